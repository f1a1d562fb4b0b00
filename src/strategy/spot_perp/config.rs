//! The spot–perpetual configuration (TOML, `strategy = "spot_perp"` in a `sluice arb` file): the spot
//! leg and the perpetual leg (venue + pair each), the size, the open threshold (the basis net of
//! both legs' fees and of the funding expected until a horizon, in percent), the close threshold
//! (convergence), the largest position, and the leg-failure policy of the CEX↔AMM arbitrage.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::core::Pair;
use crate::strategy::arb::{ConfigError, FailurePolicy};
use crate::venue::VenueId;

use crate::strategy::config_error as bad;

/// One leg: where and what it trades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotPerpLeg {
    pub venue: VenueId,
    pub pair: Pair,
    /// Extra price tolerance of this leg's IOC limit, in percent of the quoted worst price.
    #[serde(default)]
    pub slippage_pct: Decimal,
}

/// The whole spot–perpetual configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotPerpConfig {
    pub spot: SpotPerpLeg,
    pub perp: SpotPerpLeg,
    /// Base amount per position (both legs trade the same base amount).
    pub order_size: Decimal,
    /// Open when the basis, net of both legs' fees and of the funding expected until
    /// `funding_horizon_hours`, is at least this, in percent of the spot notional.
    pub open_threshold_pct: Decimal,
    /// Close both legs when the basis left to capture (closing fees included) is at most this, in
    /// percent (it may be negative: close only once the basis has inverted that far).
    pub close_threshold_pct: Decimal,
    /// How far ahead the funding of an open position is counted into the open decision.
    #[serde(default)]
    pub funding_horizon_hours: u32,
    /// The perpetual's funding interval (Binance and Bybit: 8 hours).
    #[serde(default = "default_interval")]
    pub funding_interval_hours: u32,
    /// Also open the reverse carry (sell spot, buy the perpetual) when the perpetual trades below
    /// spot; it sells spot the account already holds.
    #[serde(default)]
    pub allow_reverse: bool,
    /// Largest base position on either leg.
    pub max_position: Decimal,
    pub on_leg_failure: FailurePolicy,
    /// The strategy stops after this many failed opens or closes.
    pub max_failures: u32,
    /// Stop after this many closed positions (none: run until stopped).
    #[serde(default)]
    pub max_trades: Option<u32>,
    /// Wait after a close before opening again, in milliseconds.
    #[serde(default)]
    pub cooldown_ms: u64,
}

fn default_interval() -> u32 {
    8
}

impl FromStr for SpotPerpConfig {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let cfg: SpotPerpConfig = crate::strategy::parse_toml(s)?;
        cfg.validate()?;
        Ok(cfg)
    }
}

impl SpotPerpConfig {
    /// Checks the values: positive sizes, sane percentages, one market on two venues.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.order_size <= Decimal::ZERO {
            return Err(bad("order_size", "must be positive"));
        }
        if self.max_position < self.order_size {
            return Err(bad("max_position", "must be at least order_size"));
        }
        if self.close_threshold_pct >= self.open_threshold_pct {
            return Err(bad(
                "close_threshold_pct",
                format!(
                    "must be below open_threshold_pct ({}): a position would close as it opens",
                    self.open_threshold_pct
                ),
            ));
        }
        if self.max_failures == 0 {
            return Err(bad("max_failures", "must be at least 1"));
        }
        if self.funding_interval_hours == 0 {
            return Err(bad("funding_interval_hours", "must be at least 1"));
        }
        for (key, leg) in [("spot", &self.spot), ("perp", &self.perp)] {
            if leg.slippage_pct < Decimal::ZERO || leg.slippage_pct >= Decimal::ONE_HUNDRED {
                return Err(bad(&format!("{key}.slippage_pct"), "must be in [0, 100)"));
            }
        }
        if self.spot.venue == self.perp.venue {
            return Err(bad("perp.venue", "must differ from spot.venue"));
        }
        if self.spot.pair.base != self.perp.pair.base {
            return Err(bad(
                "perp.pair",
                format!(
                    "{} and the spot pair {} do not trade the same base asset",
                    self.perp.pair, self.spot.pair
                ),
            ));
        }
        if self.spot.pair.quote != self.perp.pair.quote {
            return Err(bad(
                "perp.pair",
                format!(
                    "{} is margined in another quote asset than the spot pair {}",
                    self.perp.pair, self.spot.pair
                ),
            ));
        }
        Ok(())
    }
}

/// Which strategy a `sluice arb` file runs: its top-level `strategy` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    /// No key (or `"arb"`): the CEX↔AMM arbitrage.
    Arb,
    /// `"spot_perp"`: this strategy.
    SpotPerp,
}

impl StrategyKind {
    /// Takes the `strategy` key out of a config table (the strategies' own configs do not have it)
    /// and says which strategy it names; an unknown value is an error naming the key.
    pub fn take_from(table: &mut toml::Table) -> Result<Self, ConfigError> {
        match table.remove("strategy") {
            None => Ok(StrategyKind::Arb),
            Some(toml::Value::String(s)) => match s.as_str() {
                "arb" => Ok(StrategyKind::Arb),
                "spot_perp" => Ok(StrategyKind::SpotPerp),
                other => Err(bad(
                    "strategy",
                    format!("unknown strategy {other:?}: expected \"arb\" or \"spot_perp\""),
                )),
            },
            Some(other) => Err(bad(
                "strategy",
                format!(
                    "expected a string (\"arb\" or \"spot_perp\"), found a {}",
                    other.type_str()
                ),
            )),
        }
    }
}
