//! The manifest of a deployed local environment: every contract address, pool and token, as JSON next
//! to the state snapshot. Tests, the demo and `sluice anvil up` read it to find the protocols.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

/// Bumped when the manifest's shape changes (3: the genesis hash of the chain it was deployed on).
pub const MANIFEST_FORMAT: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The chain id of the node it was deployed on (checked against the node it is used with).
    pub chain_id: u64,
    /// The hash of block 0 of the chain it was deployed on (checked against the node it is used
    /// with; see `manifest_check`). `None` in manifests of format 2 and older: those are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genesis_hash: Option<B256>,
    /// The account that deployed everything and owns every admin role (dev account 0).
    pub deployer: Address,
    /// The head block once everything was deployed and seeded.
    pub block: u64,
    /// Test tokens by symbol (WETH, USDC, DAI, and the Mento assets).
    pub tokens: BTreeMap<String, TokenInfo>,
    pub uniswap_v2: UniswapV2,
    pub uniswap_v3: UniswapV3,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balancer: Option<Balancer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perp: Option<Perp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mento: Option<Mento>,
    /// Tokens that misbehave on purpose (`contracts-test/src/hostile/`), funded for every dev account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostile_tokens: Option<HostileTokens>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub address: Address,
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniswapV2 {
    pub factory: Address,
    pub router02: Address,
    /// keccak256 of the pair creation code (the mainnet value, which Router02 hard-codes).
    pub pair_init_code_hash: B256,
    pub pairs: Vec<V2Pair>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2Pair {
    pub address: Address,
    /// Sorted by address, as the pair stores them.
    pub token0: Address,
    pub token1: Address,
    /// Reserves right after seeding, in raw units.
    pub reserve0: U256,
    pub reserve1: U256,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniswapV3 {
    pub factory: Address,
    pub position_manager: Address,
    pub swap_router: Address,
    pub quoter_v2: Address,
    pub tick_lens: Address,
    /// keccak256 of the pool creation code (the mainnet `POOL_INIT_CODE_HASH`).
    pub pool_init_code_hash: B256,
    pub pools: Vec<V3Pool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V3Pool {
    pub address: Address,
    pub token0: Address,
    pub token1: Address,
    /// Fee in hundredths of a basis point (500 = 0.05 %).
    pub fee: u32,
    pub tick_spacing: i32,
    /// The price and tick right after seeding.
    pub sqrt_price_x96: U256,
    pub tick: i32,
    pub positions: Vec<V3Position>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V3Position {
    /// The NonfungiblePositionManager token id (owned by the deployer).
    pub token_id: U256,
    pub tick_lower: i32,
    pub tick_upper: i32,
    /// Written as a decimal string: JSON readers lose precision on numbers above 2^53.
    #[serde(with = "u128_as_string")]
    pub liquidity: u128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balancer {
    pub authorizer: Address,
    pub vault: Address,
    pub weighted_pool_factory: Address,
    /// The StablePoolFactory of `20220609-stable-pool-v2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_pool_factory: Option<Address>,
    pub queries: Address,
    /// Weighted pools first (the 2-token WETH/USDC pool is the first), then stable pools.
    pub pools: Vec<BalancerPool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancerPool {
    pub id: B256,
    pub address: Address,
    /// Sorted by address, as the Vault requires.
    pub tokens: Vec<Address>,
    /// Normalized weights (1e18 = 100 %), in the order of `tokens`; empty for a stable pool.
    pub weights: Vec<U256>,
    /// Swap fee (1e18 = 100 %).
    pub swap_fee: U256,
    /// A stable pool's amplification parameter (without its 1e3 precision); `None` if weighted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplification: Option<U256>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perp {
    pub clearing_house: Address,
    pub insurance_fund: Address,
    pub clearing_house_viewer: Address,
    pub amm_reader: Address,
    /// The mock price feed (`L2PriceFeedMock`), whose price the test can set.
    pub price_feed: Address,
    /// The margin token (USDC).
    pub quote_token: Address,
    pub amms: Vec<PerpAmm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerpAmm {
    pub address: Address,
    /// e.g. "ETH/USDC"
    pub pair: String,
    /// The price feed key (bytes32 of the base symbol).
    pub price_feed_key: B256,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mento {
    pub broker: Address,
    pub bi_pool_manager: Address,
    /// The constant-product pricing module.
    pub pricing_module: Address,
    /// The constant-sum pricing module.
    #[serde(default)]
    pub constant_sum_module: Address,
    pub reserve: Address,
    pub sorted_oracles: Address,
    pub breaker_box: Address,
    pub exchanges: Vec<MentoExchange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentoExchange {
    pub id: B256,
    /// The stable asset (minted and burned by the Broker).
    pub asset0: Address,
    /// The collateral asset (held by the Reserve).
    pub asset1: Address,
    /// The oracle rate feed id.
    pub rate_feed: Address,
    /// The exchange's pricing module.
    #[serde(default)]
    pub pricing_module: Address,
}

/// The hostile tokens deployed in the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostileTokens {
    /// Burns 1 % of every transfer (18 decimals).
    pub fee_on_transfer: Address,
    /// USDT-like: no bool from transfer/transferFrom/approve; approve must go through zero (6 decimals).
    pub no_bool: Address,
    /// Every transfer and approve reverts with a reason (18 decimals).
    pub reverting: Address,
    /// 2 decimals.
    pub two_decimals: Address,
}

impl Manifest {
    /// A token by symbol.
    pub fn token(&self, symbol: &str) -> Option<&TokenInfo> {
        self.tokens.get(symbol)
    }

    /// A token's address by symbol.
    pub fn token_address(&self, symbol: &str) -> Option<Address> {
        self.token(symbol).map(|t| t.address)
    }

    /// The v2 pair of two tokens (by symbol, any order).
    pub fn v2_pair(&self, a: &str, b: &str) -> Option<&V2Pair> {
        let (x, y) = (self.token_address(a)?, self.token_address(b)?);
        self.uniswap_v2
            .pairs
            .iter()
            .find(|p| same_pair(p.token0, p.token1, x, y))
    }

    /// The v3 pool of two tokens (by symbol, any order) and fee tier.
    pub fn v3_pool(&self, a: &str, b: &str, fee: u32) -> Option<&V3Pool> {
        let (x, y) = (self.token_address(a)?, self.token_address(b)?);
        self.uniswap_v3
            .pools
            .iter()
            .find(|p| p.fee == fee && same_pair(p.token0, p.token1, x, y))
    }

    /// Every deployed contract as `(name, address)`, in a stable order (for tables and logs).
    pub fn contracts(&self) -> Vec<(String, Address)> {
        let mut out: Vec<(String, Address)> = Vec::new();
        let mut add = |name: String, a: Address| out.push((name, a));
        for t in self.tokens.values() {
            add(
                format!("token {} ({} decimals)", t.symbol, t.decimals),
                t.address,
            );
        }
        let (v2, v3) = (&self.uniswap_v2, &self.uniswap_v3);
        add("uniswap_v2 factory".into(), v2.factory);
        add("uniswap_v2 router02".into(), v2.router02);
        for p in &v2.pairs {
            add(
                format!(
                    "uniswap_v2 pair {}/{}",
                    self.symbol(p.token0),
                    self.symbol(p.token1)
                ),
                p.address,
            );
        }
        add("uniswap_v3 factory".into(), v3.factory);
        add("uniswap_v3 position_manager".into(), v3.position_manager);
        add("uniswap_v3 swap_router".into(), v3.swap_router);
        add("uniswap_v3 quoter_v2".into(), v3.quoter_v2);
        add("uniswap_v3 tick_lens".into(), v3.tick_lens);
        for p in &v3.pools {
            let name = format!(
                "{}/{} {}",
                self.symbol(p.token0),
                self.symbol(p.token1),
                p.fee
            );
            add(format!("uniswap_v3 pool {name}"), p.address);
        }
        if let Some(b) = &self.balancer {
            add("balancer authorizer".into(), b.authorizer);
            add("balancer vault".into(), b.vault);
            add(
                "balancer weighted_pool_factory".into(),
                b.weighted_pool_factory,
            );
            add("balancer queries".into(), b.queries);
            if let Some(f) = b.stable_pool_factory {
                add("balancer stable_pool_factory".into(), f);
            }
            for p in &b.pools {
                let names: Vec<String> = p.tokens.iter().map(|t| self.symbol(*t)).collect();
                let kind = if p.amplification.is_some() {
                    "stable"
                } else {
                    "weighted"
                };
                add(
                    format!("balancer {kind} pool {}", names.join("/")),
                    p.address,
                );
            }
        }
        if let Some(p) = &self.perp {
            add("perp clearing_house".into(), p.clearing_house);
            add("perp insurance_fund".into(), p.insurance_fund);
            add("perp clearing_house_viewer".into(), p.clearing_house_viewer);
            add("perp amm_reader".into(), p.amm_reader);
            add("perp price_feed".into(), p.price_feed);
            for a in &p.amms {
                add(format!("perp amm {}", a.pair), a.address);
            }
        }
        if let Some(m) = &self.mento {
            add("mento broker".into(), m.broker);
            add("mento bi_pool_manager".into(), m.bi_pool_manager);
            add("mento pricing_module".into(), m.pricing_module);
            add("mento constant_sum_module".into(), m.constant_sum_module);
            add("mento reserve".into(), m.reserve);
            add("mento sorted_oracles".into(), m.sorted_oracles);
            add("mento breaker_box".into(), m.breaker_box);
        }
        if let Some(h) = &self.hostile_tokens {
            add("hostile fee_on_transfer".into(), h.fee_on_transfer);
            add("hostile no_bool".into(), h.no_bool);
            add("hostile reverting".into(), h.reverting);
            add("hostile two_decimals".into(), h.two_decimals);
        }
        out
    }

    /// The symbol of a manifest token, or its address.
    fn symbol(&self, address: Address) -> String {
        self.tokens
            .values()
            .find(|t| t.address == address)
            .map(|t| t.symbol.clone())
            .unwrap_or_else(|| address.to_string())
    }

    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
impl Manifest {
    /// A manifest with no contracts (zero addresses), for tests of what reads manifests.
    pub(crate) fn empty_for_tests(format: u32) -> Self {
        Manifest {
            format,
            chain_id: 31337,
            genesis_hash: Some(B256::ZERO),
            deployer: Address::ZERO,
            block: 0,
            tokens: Default::default(),
            uniswap_v2: UniswapV2 {
                factory: Address::ZERO,
                router02: Address::ZERO,
                pair_init_code_hash: B256::ZERO,
                pairs: vec![],
            },
            uniswap_v3: UniswapV3 {
                factory: Address::ZERO,
                position_manager: Address::ZERO,
                swap_router: Address::ZERO,
                quoter_v2: Address::ZERO,
                tick_lens: Address::ZERO,
                pool_init_code_hash: B256::ZERO,
                pools: vec![],
            },
            balancer: None,
            perp: None,
            mento: None,
            hostile_tokens: None,
        }
    }
}

mod u128_as_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn same_pair(t0: Address, t1: Address, x: Address, y: Address) -> bool {
    (t0 == x && t1 == y) || (t0 == y && t1 == x)
}
