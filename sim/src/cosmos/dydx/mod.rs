//! A local dYdX v4 node for tests: the local Cosmos chain ([`LocalNode`]) with chain id
//! `localdydxprotocol`, bech32 prefix `dydx`, fees in USDC or the native token at the local
//! chain's minimum gas prices, and dYdX's CLOB and sending modules ([`clob::DydxModules`]) whose
//! orders match in an instance of the exchange simulator's engine ([`engine::DydxEngine`],
//! injectable so the indexer simulator can serve the same books, fills and positions).
//!
//! Every transaction is checked as `v4-chain`'s ante handler does: signature (direct mode), chain
//! id, account number; the sequence for everything but a short-term order placement or cancel
//! (which must be its transaction's only message, is not sequence-checked or incremented, and
//! never goes into a block); no fee for CLOB transactions; the official clients' non-critical
//! `TxExtension` accepted. Blocks come on a timer or by hand ([`LocalDydx::produce_block`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_sim::cosmos::dydx::LocalDydxError> {
//! use sluice_sim::cosmos::dydx::{DydxConfig, GenesisAccount, LocalDydx};
//! let node = LocalDydx::start(
//!     DydxConfig::default(),
//!     &[GenesisAccount::mnemonic(sluice_sim::anvil::DEV_MNEMONIC, 0, 1_000_000_000_000)],
//!     0,
//! )
//! .await?;
//! // node.url(), node.chain_id, node.accounts[0].address, node.engine
//! # Ok(()) }
//! ```

pub mod clob;
pub mod engine;
pub mod errors;
pub mod indexer;
pub mod markets;
pub mod msgs;
pub mod proto;

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use sluice::chain::cosmos::Coin;
use sluice::chain::cosmos::fees::GasPrice;
use sluice::wallet::{Mnemonic, PrivateKey, account_path, derive_key};
use zeroize::Zeroizing;

pub use self::clob::{ClobParams, DydxModules, SUBACCOUNTS_MODULE};
pub use self::engine::{DydxEngine, QuietShapes};
pub use self::markets::{MarketParams, Markets};
pub use self::proto::SubaccountId;
use super::chain::{ChainConfig, LocalChain, NoContracts};
use super::server::LocalNode;

/// The local chain's USDC denom (the IBC denom of Noble USDC, as on mainnet).
pub const USDC_DENOM: &str = "ibc/8E27BA2D5493AF5636760E354E46004562C46AB7EC0CC4C1CA14E9E20E2545B5";
/// The local chain's native token (`v4-chain`'s local and test networks).
pub const NATIVE_DENOM: &str = "adv4tnt";

/// The node's parameters.
#[derive(Debug, Clone)]
pub struct DydxConfig {
    pub chain_id: String,
    pub hrp: String,
    /// Minimum gas prices: a fee meeting either is enough (`0.025` USDC quantums and
    /// `25000000000adv4tnt` per gas, `v4-chain`'s `MinGasPrice`).
    pub usdc_gas_price: Decimal,
    pub native_gas_price: Decimal,
    /// Zero: no timer, blocks only by hand.
    pub block_time: Duration,
    /// `ShortBlockWindow`: 40 in `v4-chain` since release 9.6 (it was 20 before).
    pub short_block_window: u32,
    pub markets: Markets,
}

impl Default for DydxConfig {
    fn default() -> Self {
        Self {
            chain_id: "localdydxprotocol".into(),
            hrp: "dydx".into(),
            usdc_gas_price: Decimal::new(25, 3),
            native_gas_price: Decimal::from(25_000_000_000u64),
            block_time: Duration::from_millis(500),
            short_block_window: 40,
            markets: Markets::default(),
        }
    }
}

/// How a genesis account's key is given.
pub enum GenesisKey {
    /// A BIP-39 mnemonic and the account index on the Cosmos path `m/44'/118'/0'/0/i`.
    Mnemonic {
        phrase: Zeroizing<String>,
        index: u32,
    },
    Private(PrivateKey),
}

impl std::fmt::Debug for GenesisKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenesisKey::Mnemonic { index, .. } => {
                write!(f, "Mnemonic {{ phrase: <redacted>, index: {index} }}")
            }
            GenesisKey::Private(_) => f.write_str("Private(<redacted>)"),
        }
    }
}

/// An account funded at genesis: bank coins, and USDC collateral in its subaccount 0.
#[derive(Debug)]
pub struct GenesisAccount {
    pub key: GenesisKey,
    pub bank: Vec<Coin>,
    /// USDC quantums (10⁻⁶ USDC) in subaccount 0.
    pub subaccount_usdc: u64,
}

impl GenesisAccount {
    /// `phrase`'s account `index`, with `usdc` quantums in its bank and as much again in its
    /// subaccount 0, and 10²¹ of the native token.
    pub fn mnemonic(phrase: &str, index: u32, usdc: u64) -> Self {
        Self {
            key: GenesisKey::Mnemonic {
                phrase: Zeroizing::new(phrase.to_string()),
                index,
            },
            bank: vec![
                Coin::new(u128::from(usdc), USDC_DENOM),
                Coin::new(1_000_000_000_000_000_000_000, NATIVE_DENOM),
            ],
            subaccount_usdc: usdc,
        }
    }

    fn address(&self, hrp: &str) -> Result<String, LocalDydxError> {
        let gen_err = |e: String| LocalDydxError::Genesis(e);
        match &self.key {
            GenesisKey::Private(k) => k.cosmos_address(hrp).map_err(|e| gen_err(e.to_string())),
            GenesisKey::Mnemonic { phrase, index } => {
                let m = Mnemonic::parse(phrase).map_err(|e| gen_err(e.to_string()))?;
                let seed = m.to_seed(&"".into());
                let path = account_path("m/44'/118'/0'/0", u64::from(*index))
                    .map_err(|e| gen_err(e.to_string()))?;
                let key = derive_key(&seed, &path).map_err(|e| gen_err(e.to_string()))?;
                key.cosmos_address(hrp).map_err(|e| gen_err(e.to_string()))
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LocalDydxError {
    #[error("cannot start the node: {0}")]
    Io(#[from] std::io::Error),
    #[error("genesis: {0}")]
    Genesis(String),
    #[error("engine: {0}")]
    Engine(#[from] engine::DydxEngineError),
}

/// A funded account: its address and subaccount 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundedAccount {
    pub address: String,
    pub subaccount: SubaccountId,
}

/// A running local dYdX node; stopped when dropped.
pub struct LocalDydx {
    pub node: LocalNode,
    pub chain_id: String,
    pub hrp: String,
    pub engine: Arc<DydxEngine>,
    pub modules: Arc<DydxModules>,
    pub accounts: Vec<FundedAccount>,
}

impl LocalDydx {
    /// Starts a node with its own engine (events rendered by [`QuietShapes`]).
    pub async fn start(
        cfg: DydxConfig,
        accounts: &[GenesisAccount],
        port: u16,
    ) -> Result<Self, LocalDydxError> {
        let engine = Arc::new(DydxEngine::new(cfg.markets.clone(), Arc::new(QuietShapes))?);
        Self::start_with_engine(cfg, engine, accounts, port).await
    }

    /// Starts a node over `engine` (shared with an indexer simulator).
    pub async fn start_with_engine(
        cfg: DydxConfig,
        engine: Arc<DydxEngine>,
        accounts: &[GenesisAccount],
        port: u16,
    ) -> Result<Self, LocalDydxError> {
        let modules = Arc::new(DydxModules::new(
            engine.clone(),
            ClobParams {
                short_block_window: cfg.short_block_window,
                usdc_denom: USDC_DENOM.into(),
                hrp: cfg.hrp.clone(),
            },
        ));
        let chain_cfg = ChainConfig {
            chain_id: cfg.chain_id.clone(),
            hrp: cfg.hrp.clone(),
            min_gas_price: GasPrice {
                amount: cfg.usdc_gas_price,
                denom: USDC_DENOM.into(),
            },
            tax_rate: None,
            block_time: cfg.block_time,
        };
        let node =
            LocalNode::start_with_modules(chain_cfg, Arc::new(NoContracts), modules.clone(), port)
                .await?;
        let mut funded = vec![];
        {
            let mut chain = node.chain();
            chain.alt_gas_prices = vec![GasPrice {
                amount: cfg.native_gas_price,
                denom: NATIVE_DENOM.into(),
            }];
            for a in accounts {
                let address = a.address(&cfg.hrp)?;
                chain.fund(&address, &a.bank);
                let subaccount = SubaccountId {
                    owner: address.clone(),
                    number: 0,
                };
                if a.subaccount_usdc > 0 {
                    chain.fund(
                        SUBACCOUNTS_MODULE,
                        &[Coin::new(u128::from(a.subaccount_usdc), USDC_DENOM)],
                    );
                    engine.add_collateral(
                        &subaccount,
                        Decimal::from(a.subaccount_usdc) / Decimal::from(1_000_000u32),
                    );
                }
                funded.push(FundedAccount {
                    address,
                    subaccount,
                });
            }
        }
        Ok(Self {
            node,
            chain_id: cfg.chain_id,
            hrp: cfg.hrp,
            engine,
            modules,
            accounts: funded,
        })
    }

    /// The LCD URL (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> &str {
        &self.node.lcd_url
    }

    /// The chain state (accounts, balances, faults, the broadcast log).
    pub fn chain(&self) -> std::sync::MutexGuard<'_, LocalChain> {
        self.node.chain()
    }

    /// Makes a block now; returns its height.
    pub fn produce_block(&self) -> u64 {
        let mut c = self.node.chain();
        c.produce_block();
        c.height
    }

    /// The last block's height.
    pub fn height(&self) -> u64 {
        self.node.chain().height
    }
}

#[cfg(test)]
mod tests;
