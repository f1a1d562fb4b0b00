//! The arbitrage configuration (TOML). Everything a trader sets: the two venues and pairs, which assets
//! are the same, size, threshold, slippage buffers, gas pricing, execution mode, cooldown, exposure and
//! failure policy.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::core::{Asset, Pair};
use crate::store::AssetFlow;
use crate::strategy::config_error as bad;
use crate::venue::VenueId;

/// An invalid configuration, naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("arbitrage config: {key}: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

/// One side of the arbitrage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegConfig {
    pub venue: VenueId,
    pub pair: Pair,
    /// Extra price tolerance on this venue, in percent, applied to the limit (exchange) or the minimum
    /// output (AMM) of the order.
    #[serde(default)]
    pub slippage_pct: Decimal,
}

/// `asset` is the same thing as `same_as`, one unit of `asset` being worth `rate` units of `same_as`
/// (WETH = 1 ETH; USDC = 1 USDT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetAlias {
    pub asset: Asset,
    pub same_as: Asset,
    #[serde(default = "one")]
    pub rate: Decimal,
}

fn one() -> Decimal {
    Decimal::ONE
}

/// How gas, paid in a chain's native asset, is priced in the quote asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum GasPricing {
    /// The native asset is the (aliased) base asset of the pair: use the other venue's price.
    Market,
    /// A fixed price of one native unit in the quote asset.
    Fixed { native_price: Decimal },
}

/// How the two legs are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionMode {
    /// Both legs at once.
    Concurrent,
    /// The AMM leg first; the exchange leg only after the AMM leg is mined.
    AmmFirst,
}

/// What to do when one leg fails and the other did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Trade back the leg that executed, at market, on its venue.
    Unwind,
    /// Send the failed leg again at market on its venue.
    Hedge,
    /// Stop the strategy; the exposure stays recorded.
    Stop,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArbConfig {
    pub venue_a: LegConfig,
    pub venue_b: LegConfig,
    #[serde(default)]
    pub assets: Vec<AssetAlias>,
    /// Base amount per trade.
    pub order_size: Decimal,
    /// Minimum net profit, in percent of the amount paid, after fees and gas.
    pub min_profit_pct: Decimal,
    pub gas: GasPricing,
    pub execution: ExecutionMode,
    #[serde(default)]
    pub cooldown_ms: u64,
    /// Largest net base position (both venues together) the strategy may hold at any time.
    pub max_open_exposure: Decimal,
    pub on_leg_failure: FailurePolicy,
    /// The strategy stops after this many failed trades.
    pub max_failures: u32,
    /// Stop after this many completed trades (none: run until stopped).
    #[serde(default)]
    pub max_trades: Option<u32>,
    /// Seconds an AMM swap may wait to be mined before it reverts.
    #[serde(default = "default_deadline")]
    pub swap_deadline_secs: u64,
}

fn default_deadline() -> u64 {
    120
}

impl FromStr for ArbConfig {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let cfg: ArbConfig = crate::strategy::parse_toml(s)?;
        cfg.validate()?;
        Ok(cfg)
    }
}

impl ArbConfig {
    /// Checks the values: positive sizes, sane percentages, and that both pairs are the same market
    /// once aliases are applied.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.order_size <= Decimal::ZERO {
            return Err(bad("order_size", "must be positive"));
        }
        if self.min_profit_pct < Decimal::ZERO {
            return Err(bad("min_profit_pct", "must not be negative"));
        }
        if self.max_open_exposure < self.order_size {
            return Err(bad("max_open_exposure", "must be at least order_size"));
        }
        if self.max_failures == 0 {
            return Err(bad("max_failures", "must be at least 1"));
        }
        for (key, leg) in [("venue_a", &self.venue_a), ("venue_b", &self.venue_b)] {
            if leg.slippage_pct < Decimal::ZERO || leg.slippage_pct >= Decimal::from(100) {
                return Err(bad(&format!("{key}.slippage_pct"), "must be in [0, 100)"));
            }
        }
        if self.venue_a.venue == self.venue_b.venue {
            return Err(bad("venue_b.venue", "must differ from venue_a.venue"));
        }
        for (i, a) in self.assets.iter().enumerate() {
            if a.rate <= Decimal::ZERO {
                return Err(bad(&format!("assets[{i}].rate"), "must be positive"));
            }
        }
        if let GasPricing::Fixed { native_price } = self.gas
            && native_price < Decimal::ZERO
        {
            return Err(bad("gas.native_price", "must not be negative"));
        }
        let (a, b) = (
            self.canonical_pair(&self.venue_a.pair),
            self.canonical_pair(&self.venue_b.pair),
        );
        if a != b {
            return Err(bad(
                "venue_b.pair",
                format!(
                    "{} is {b} and {} is {a}: not the same market (add [[assets]] aliases)",
                    self.venue_b.pair, self.venue_a.pair
                ),
            ));
        }
        Ok(())
    }

    /// The asset this one is the same as, and the rate (units of the canonical asset per unit).
    pub fn canonical(&self, asset: &Asset) -> (Asset, Decimal) {
        self.assets
            .iter()
            .find(|a| &a.asset == asset)
            .map(|a| (a.same_as.clone(), a.rate))
            .unwrap_or_else(|| (asset.clone(), Decimal::ONE))
    }

    /// Per-asset flows merged through the aliases: what the run made or lost once WETH counts as ETH
    /// and USDC as USDT (at each alias's rate). Sorted by asset; exact (no rounding).
    pub fn merge_aliases(&self, flows: &[AssetFlow]) -> Vec<AssetFlow> {
        let mut merged: std::collections::BTreeMap<String, Decimal> = Default::default();
        for f in flows {
            let (asset, rate) = match Asset::new(&f.asset) {
                Ok(a) => self.canonical(&a),
                // Not a parseable asset name: keep it apart rather than guess.
                Err(_) => {
                    *merged.entry(f.asset.clone()).or_default() += f.net;
                    continue;
                }
            };
            *merged.entry(asset.to_string()).or_default() += f.net * rate;
        }
        merged
            .into_iter()
            .map(|(asset, net)| AssetFlow { asset, net })
            .collect()
    }

    pub fn canonical_pair(&self, pair: &Pair) -> Pair {
        Pair::new(self.canonical(&pair.base).0, self.canonical(&pair.quote).0)
    }
}
