//! The manifest of a deployed local environment: every contract address, pool and token, as JSON next
//! to the state snapshot. Tests, the demo and `sluice anvil up` read it to find the protocols.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

/// Bumped when the manifest's shape changes.
pub const MANIFEST_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub chain_id: u64,
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
    pub liquidity: u128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balancer {
    pub authorizer: Address,
    pub vault: Address,
    pub weighted_pool_factory: Address,
    pub queries: Address,
    pub pools: Vec<BalancerPool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancerPool {
    pub id: B256,
    pub address: Address,
    /// Sorted by address, as the Vault requires.
    pub tokens: Vec<Address>,
    /// Normalized weights (1e18 = 100 %), in the order of `tokens`.
    pub weights: Vec<U256>,
    /// Swap fee (1e18 = 100 %).
    pub swap_fee: U256,
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
    pub pricing_module: Address,
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

    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn same_pair(t0: Address, t1: Address, x: Address, y: Address) -> bool {
    (t0 == x && t1 == y) || (t0 == y && t1 == x)
}
