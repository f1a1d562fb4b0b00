//! The AMM leg of the arbitrage environment, one row per AMM of the deployment: its connector,
//! the pool pair the deployer seeds and its price, the exchange market that mirrors it (the mock
//! lists it, its book centred off the pool's price), the assets the strategy counts as one, the
//! contract a swap approves, and the demo's defaults (order size, book shape).
//!
//! | AMM | pool pair (anvil) | price | exchange pair |
//! |---|---|---|---|
//! | `uniswap_v2`, `uniswap_v3`, `balancer` | WETH/USDC | 3000 USDC | ETH-USDT |
//! | `mento` | CELO/cUSD (constant product, 0.25 % spread) | 0.50 cUSD | CELO-USDT |
//! | `terra_swap` (local Terra) | LUNA/axlUSDC (Terraswap pair, 0.3 %) | 0.50 axlUSDC | LUNA-USDT |
//!
//! Where the pool lives is [`ArbAmm::local_chain`]: the anvil of the deployment, or a local
//! Cosmos chain started beside it (`sim::cosmos`).

use std::fmt;
use std::str::FromStr;

use alloy::primitives::Address;
use rust_decimal::Decimal;
use sluice::chain::deployment::Manifest;

use crate::cosmos::Flavor;
use crate::exchange::dialects::binance::SymbolSpec;

/// Which AMM the arbitrage runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArbAmm {
    UniswapV2,
    /// The default (and `sluice demo`'s).
    #[default]
    UniswapV3,
    Balancer,
    Mento,
    /// The Terraswap LUNA/axlUSDC pair of the local Terra.
    TerraSwap,
}

/// The local chain an AMM's pool is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalChain {
    /// The anvil of the deployment snapshot.
    Anvil,
    /// A local Cosmos chain of this flavour.
    Cosmos(Flavor),
}

impl LocalChain {
    /// The chain spec the venue trades on (`anvil`, `terra_local`).
    pub fn spec_name(self) -> &'static str {
        match self {
            LocalChain::Anvil => "anvil",
            LocalChain::Cosmos(f) => f.spec_name(),
        }
    }

    /// The chain label of the venue under `simulated_names` (`sim-anvil`, `sim-terra`): no real
    /// node's start ever takes its journaled transactions for its own.
    pub fn simulated_label(self) -> &'static str {
        match self {
            LocalChain::Anvil => super::SIMULATED_CHAIN,
            LocalChain::Cosmos(Flavor::Terra) => "sim-terra",
            LocalChain::Cosmos(Flavor::Classic) => "sim-terra-classic",
        }
    }
}

impl ArbAmm {
    /// The AMMs on the local anvil.
    pub const ALL: [ArbAmm; 4] = [
        ArbAmm::UniswapV2,
        ArbAmm::UniswapV3,
        ArbAmm::Balancer,
        ArbAmm::Mento,
    ];

    /// Every AMM the environment has: those on anvil, and the Terraswap pair of the local Terra.
    pub fn every() -> impl Iterator<Item = ArbAmm> {
        Self::ALL.into_iter().chain([ArbAmm::TerraSwap])
    }

    /// The connector's name (`uniswap_v3`): the first part of the venue id.
    pub fn connector(self) -> &'static str {
        match self {
            ArbAmm::UniswapV2 => "uniswap_v2",
            ArbAmm::UniswapV3 => "uniswap_v3",
            ArbAmm::Balancer => "balancer",
            ArbAmm::Mento => "mento",
            ArbAmm::TerraSwap => "terra_swap",
        }
    }

    /// Where the pool is.
    pub fn local_chain(self) -> LocalChain {
        match self {
            ArbAmm::TerraSwap => LocalChain::Cosmos(Flavor::Terra),
            _ => LocalChain::Anvil,
        }
    }

    /// The protocol's name for people (`Uniswap v3`).
    pub fn title(self) -> &'static str {
        match self {
            ArbAmm::UniswapV2 => "Uniswap v2",
            ArbAmm::UniswapV3 => "Uniswap v3",
            ArbAmm::Balancer => "Balancer",
            ArbAmm::Mento => "Mento",
            ArbAmm::TerraSwap => "Terraswap (local Terra)",
        }
    }

    /// The on-chain tokens of the pool, by manifest symbol: (base, quote).
    pub fn tokens(self) -> (&'static str, &'static str) {
        match self {
            ArbAmm::Mento => ("CELO", "cUSD"),
            ArbAmm::TerraSwap => ("LUNA", "axlUSDC"),
            _ => ("WETH", "USDC"),
        }
    }

    /// The pool's pair as the strategy names it (`WETH-USDC`).
    pub fn amm_pair(self) -> String {
        let (b, q) = self.tokens();
        format!("{b}-{q}")
    }

    /// The exchange's assets mirroring the pool's: (base, quote).
    pub fn exchange_assets(self) -> (&'static str, &'static str) {
        match self {
            ArbAmm::Mento => ("CELO", "USDT"),
            ArbAmm::TerraSwap => ("LUNA", "USDT"),
            _ => ("ETH", "USDT"),
        }
    }

    /// The exchange's pair (`ETH-USDT`).
    pub fn exchange_pair(self) -> String {
        let (b, q) = self.exchange_assets();
        format!("{b}-{q}")
    }

    /// The exchange's symbol (`ETHUSDT`).
    pub fn exchange_symbol(self) -> String {
        let (b, q) = self.exchange_assets();
        format!("{b}{q}")
    }

    /// The pool's assets the strategy counts as the exchange's: (asset, same as).
    pub fn aliases(self) -> Vec<(String, String)> {
        let (ab, aq) = self.tokens();
        let (eb, eq) = self.exchange_assets();
        [(ab, eb), (aq, eq)]
            .into_iter()
            .filter(|(a, e)| !a.eq_ignore_ascii_case(e))
            .map(|(a, e)| (a.to_string(), e.to_string()))
            .collect()
    }

    /// The pool's price as the deployer seeds it, in its quote token.
    pub fn pool_price(self) -> Decimal {
        match self {
            ArbAmm::Mento | ArbAmm::TerraSwap => Decimal::new(5, 1),
            _ => Decimal::from(3000),
        }
    }

    /// Where the exchange's book is centred by default: off the pool by enough for the arbitrage
    /// to trade a few times. Above it, so that the arbitrage buys from the pool, except for
    /// Terraswap: its swaps take an exact input only, so the arbitrage must sell the base into the
    /// pool for both legs to move the same base amount (a buy returns what the input buys, a
    /// micro-unit off the order's amount).
    pub fn default_mid(self) -> Decimal {
        match self {
            ArbAmm::Mento => Decimal::new(51, 2),
            ArbAmm::TerraSwap => Decimal::new(49, 2),
            _ => Decimal::from(3100),
        }
    }

    /// The base amount per trade by default.
    pub fn default_order_size(self) -> Decimal {
        match self {
            ArbAmm::Mento => Decimal::from(1000),
            // the 2 000 000-LUNA pool moves ~0.5 % per 5 000 LUNA
            ArbAmm::TerraSwap => Decimal::from(5000),
            // the 100-WETH pool moves 2 % per ETH: a smaller trade lets the gap close in steps
            ArbAmm::Balancer => Decimal::new(25, 2),
            _ => Decimal::ONE,
        }
    }

    /// The book's default shape: (ticks between levels, base amount per level).
    pub fn default_book(self) -> (u64, Decimal) {
        match self {
            ArbAmm::Mento => (10, Decimal::from(1000)),
            ArbAmm::TerraSwap => (10, Decimal::from(10_000)),
            _ => (100, Decimal::new(5, 1)),
        }
    }

    /// One unit of the chain's native asset (ETH on anvil) in the exchange's quote asset, when
    /// gas cannot be priced from the pair itself (its base is not the native asset).
    pub fn gas_native_price(self) -> Option<Decimal> {
        match self {
            ArbAmm::Mento => Some(Decimal::from(3000)),
            _ => None,
        }
    }

    /// The exchange's listing of [`ArbAmm::exchange_symbol`], when it is not one of the mock's
    /// default symbols (ETHUSDT is).
    pub fn extra_listing(self, fee: Decimal) -> Option<SymbolSpec> {
        match self {
            ArbAmm::Mento | ArbAmm::TerraSwap => {
                let (b, q) = self.exchange_assets();
                let mut s = SymbolSpec::new(b, q);
                s.tick_size = Decimal::new(1, 4);
                s.min_price = Decimal::new(1, 4);
                s.step_size = Decimal::new(1, 1);
                s.min_qty = Decimal::new(1, 1);
                s.max_qty = Decimal::from(9_000_000);
                s.maker_fee = fee;
                s.taker_fee = fee;
                Some(s)
            }
            _ => None,
        }
    }

    /// The exchange balances the trader starts with besides the mock's defaults.
    pub fn extra_exchange_balances(self) -> Vec<(String, Decimal)> {
        match self {
            ArbAmm::Mento => vec![("CELO".into(), Decimal::from(100_000))],
            ArbAmm::TerraSwap => vec![
                ("LUNA".into(), Decimal::from(1_000_000)),
                ("USDT".into(), Decimal::from(100_000)),
            ],
            _ => Vec::new(),
        }
    }

    /// The contract a swap approves to take the trader's tokens (none off anvil: a Terraswap
    /// swap carries its tokens).
    pub fn spender(self, m: &Manifest) -> Option<Address> {
        match self {
            ArbAmm::UniswapV2 => Some(m.uniswap_v2.router02),
            ArbAmm::UniswapV3 => Some(m.uniswap_v3.swap_router),
            ArbAmm::Balancer => m.balancer.as_ref().map(|b| b.vault),
            ArbAmm::Mento => m.mento.as_ref().map(|x| x.broker),
            ArbAmm::TerraSwap => None,
        }
    }
}

impl fmt::Display for ArbAmm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.connector())
    }
}

/// An AMM name that is not one of [`ArbAmm::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown AMM {0:?}; expected one of uniswap_v2, uniswap_v3, balancer, mento, terra_swap")]
pub struct UnknownAmm(pub String);

impl FromStr for ArbAmm {
    type Err = UnknownAmm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ArbAmm::every()
            .find(|a| a.connector() == s)
            .ok_or_else(|| UnknownAmm(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_aliases_join_what_differs() {
        for a in ArbAmm::every() {
            assert_eq!(a.connector().parse::<ArbAmm>(), Ok(a));
            // an exact-input-only pool is traded by selling into it: the exchange is below
            let exact_in_only = a == ArbAmm::TerraSwap;
            assert_eq!(
                a.default_mid() < a.pool_price(),
                exact_in_only,
                "{a}: the exchange is off the pool on the side its swaps can trade"
            );
        }
        assert!("curve".parse::<ArbAmm>().is_err());
        assert_eq!(
            ArbAmm::Balancer.aliases(),
            [
                ("WETH".into(), "ETH".into()),
                ("USDC".into(), "USDT".into())
            ]
        );
        assert_eq!(ArbAmm::Mento.aliases(), [("cUSD".into(), "USDT".into())]);
        assert_eq!(ArbAmm::Mento.exchange_symbol(), "CELOUSDT");
        let celo = ArbAmm::Mento.extra_listing(Decimal::new(1, 3)).unwrap();
        assert!(celo.check_price(ArbAmm::Mento.default_mid()).is_ok());
        assert!(ArbAmm::UniswapV3.extra_listing(Decimal::ONE).is_none());
        let luna = ArbAmm::TerraSwap.extra_listing(Decimal::new(1, 3)).unwrap();
        assert!(luna.check_price(ArbAmm::TerraSwap.default_mid()).is_ok());
        assert_eq!(
            ArbAmm::TerraSwap.aliases(),
            [("axlUSDC".into(), "USDT".into())]
        );
        assert_eq!(ArbAmm::TerraSwap.local_chain().spec_name(), "terra_local");
        assert_eq!(ArbAmm::Mento.local_chain(), LocalChain::Anvil);
    }
}
