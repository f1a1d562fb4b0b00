//! The strategy TOML of the local arbitrage setup, written once: by default Binance `ETH-USDT`
//! against `uniswap_v3@anvil` `WETH-USDC`, with WETH counted as ETH and USDC as USDT
//! ([`StrategyToml::for_amm`]: the pairs and aliases of another AMM's leg). `sluice demo`, the
//! end-to-end and crash tests and the latency bench each set the values they vary and keep the
//! rest.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::arb_env::ArbAmm;

/// The strategy's values; [`StrategyToml::text`] writes the TOML that `ArbConfig` reads.
#[derive(Debug, Clone)]
pub struct StrategyToml {
    /// The venue ids of the two legs (`sluice demo` names its simulated ones).
    pub venue_a: String,
    pub venue_b: String,
    /// The pairs of the two legs (`ETH-USDT`, `WETH-USDC`).
    pub pair_a: String,
    pub pair_b: String,
    /// Assets counted as one: (asset, same as) (`WETH` = `ETH`).
    pub aliases: Vec<(String, String)>,
    pub size: Decimal,
    pub min_profit_pct: Decimal,
    /// `amm_first` or `concurrent`.
    pub execution: &'static str,
    /// `unwind`, `hedge` or `stop`.
    pub on_leg_failure: &'static str,
    pub max_failures: u32,
    /// `None`: no limit.
    pub max_trades: Option<u32>,
    /// `None`: the config's default.
    pub swap_deadline_secs: Option<u64>,
    pub exchange_slippage_pct: Decimal,
    pub amm_slippage_pct: Decimal,
    /// `None`: gas priced at market; `Some(p)`: one ETH costs `p` USDT.
    pub gas_native_price: Option<Decimal>,
    /// Pause after a trade before the next evaluation, in milliseconds.
    pub cooldown_ms: u64,
}

impl Default for StrategyToml {
    fn default() -> Self {
        Self {
            venue_a: "binance".into(),
            venue_b: "uniswap_v3@anvil".into(),
            pair_a: "ETH-USDT".into(),
            pair_b: "WETH-USDC".into(),
            aliases: ArbAmm::UniswapV3.aliases(),
            size: Decimal::ONE,
            min_profit_pct: Decimal::new(3, 1),
            execution: "amm_first",
            on_leg_failure: "unwind",
            max_failures: 1,
            max_trades: None,
            swap_deadline_secs: None,
            exchange_slippage_pct: Decimal::new(2, 1),
            amm_slippage_pct: Decimal::new(5, 1),
            gas_native_price: None,
            cooldown_ms: 0,
        }
    }
}

impl StrategyToml {
    /// The defaults with `amm`'s pairs, aliases, order size and gas pricing.
    pub fn for_amm(amm: ArbAmm) -> Self {
        Self {
            venue_b: format!("{}@{}", amm.connector(), amm.local_chain().spec_name()),
            pair_a: amm.exchange_pair(),
            pair_b: amm.amm_pair(),
            aliases: amm.aliases(),
            size: amm.default_order_size(),
            gas_native_price: amm.gas_native_price(),
            ..Self::default()
        }
    }

    /// The TOML text; the maximum open exposure is two order sizes (one trade in flight, and its
    /// corrective order).
    pub fn text(&self) -> String {
        let mut limits = String::new();
        if let Some(n) = self.max_trades {
            let _ = writeln!(limits, "max_trades = {n}");
        }
        if let Some(s) = self.swap_deadline_secs {
            let _ = writeln!(limits, "swap_deadline_secs = {s}");
        }
        let gas = match self.gas_native_price {
            None => "source = \"market\"".to_string(),
            Some(p) => format!("source = \"fixed\"\nnative_price = \"{p}\""),
        };
        let mut aliases = String::new();
        for (asset, same_as) in &self.aliases {
            let _ = write!(
                aliases,
                "\n[[assets]]\nasset = \"{asset}\"\nsame_as = \"{same_as}\"\n"
            );
        }
        format!(
            r#"order_size = "{size}"
min_profit_pct = "{min_profit}"
execution = "{execution}"
cooldown_ms = {cooldown}
max_open_exposure = "{exposure}"
on_leg_failure = "{policy}"
max_failures = {max_failures}
{limits}
[venue_a]
venue = "{venue_a}"
pair = "{pair_a}"
slippage_pct = "{slip_a}"

[venue_b]
venue = "{venue_b}"
pair = "{pair_b}"
slippage_pct = "{slip_b}"

[gas]
{gas}
{aliases}"#,
            cooldown = self.cooldown_ms,
            venue_a = self.venue_a,
            pair_a = self.pair_a,
            pair_b = self.pair_b,
            aliases = aliases,
            venue_b = self.venue_b,
            size = self.size,
            min_profit = self.min_profit_pct,
            execution = self.execution,
            exposure = self.size * Decimal::TWO,
            policy = self.on_leg_failure,
            max_failures = self.max_failures,
            slip_a = self.exchange_slippage_pct,
            slip_b = self.amm_slippage_pct,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use sluice::strategy::arb::{ArbConfig, ExecutionMode, GasPricing};

    #[test]
    fn every_knob_reaches_the_config() {
        let text = StrategyToml {
            size: dec!(0.5),
            execution: "concurrent",
            max_trades: Some(3),
            swap_deadline_secs: Some(120),
            gas_native_price: Some(dec!(3000)),
            ..Default::default()
        }
        .text();
        let cfg: ArbConfig = text.parse().unwrap();
        assert_eq!(cfg.order_size, dec!(0.5));
        assert_eq!(cfg.max_open_exposure, dec!(1));
        assert_eq!(cfg.execution, ExecutionMode::Concurrent);
        assert_eq!(cfg.max_trades, Some(3));
        assert_eq!(cfg.swap_deadline_secs, 120);
        assert!(matches!(cfg.gas, GasPricing::Fixed { .. }), "{:?}", cfg.gas);
        let plain: ArbConfig = StrategyToml::default().text().parse().unwrap();
        assert_eq!(plain.max_trades, None);
        assert_eq!(plain.gas, GasPricing::Market);
        assert_eq!(plain.assets.len(), 2);
        assert_eq!(
            StrategyToml::for_amm(ArbAmm::UniswapV3).text(),
            StrategyToml::default().text(),
            "the default is Uniswap v3's"
        );
    }

    #[test]
    fn every_amm_leg_parses_with_its_pairs_and_aliases() {
        for amm in ArbAmm::ALL {
            let cfg: ArbConfig = StrategyToml::for_amm(amm).text().parse().unwrap();
            assert_eq!(cfg.venue_b.venue.to_string(), format!("{amm}@anvil"));
            assert_eq!(
                cfg.venue_a.pair.to_string(),
                amm.exchange_pair().to_uppercase()
            );
            assert_eq!(cfg.venue_b.pair.to_string(), amm.amm_pair().to_uppercase());
            assert_eq!(cfg.assets.len(), amm.aliases().len(), "{amm}");
        }
        let mento: ArbConfig = StrategyToml::for_amm(ArbAmm::Mento).text().parse().unwrap();
        assert!(
            matches!(mento.gas, GasPricing::Fixed { .. }),
            "{:?}",
            mento.gas
        );
    }
}
