//! A ready arbitrage environment on one machine, built in one place for `sluice demo` and the
//! end-to-end tests: an anvil from the deployment snapshot (real Uniswap v2/v3, Balancer and Mento),
//! a mock Binance listing the chosen AMM's pair ([`ArbAmm`]: ETH/USDT for the WETH/USDC pools at
//! 3000, CELO/USDT for Mento's CELO/cUSD at 0.50) with a book around a chosen mid, a trader account
//! from the anvil dev mnemonic, and both venues built the way `sluice arb` builds them: through the
//! registry (`sluice::connectors::connect`) from `[connect.<id>]` tables, started with
//! `Venue::start` (the exchange's book, user stream and reconciler; the pools and their sync), held
//! as `Arc<dyn Venue>`. The mock's API keys and the dev wallet are handed over in memory
//! (`ConnectContext::with_keys`): no home, no sealed file, no password.
//!
//! The knobs are the ones the tests need: the AMM, the exchange's mid and fee, the dev account that
//! trades, WETH wrapped for it beforehand, approvals done beforehand; and afterwards, controls that
//! change the world under the strategy (`controls.rs`): exchange balances, on-chain tokens drained,
//! the pool moved by another account's swap, the book moved by another exchange account's market
//! sell, anvil's automine switched off and blocks mined by hand, the chain's clock moved. For
//! `sluice arb` run as a process, [`ArbEnv::connect_toml`] gives the `[connect]` tables that point it
//! at this environment. Helpers on the simulated exchange itself (its order view) stay on the mock.

mod amm;
mod controls;
mod cosmos_leg;
mod exchange;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::Address;
use alloy::providers::Provider;
use rust_decimal::Decimal;
use tokio::sync::mpsc;

use crate::anvil::DEV_MNEMONIC;
use crate::deploy::tokens;
use crate::deploy::{DeployError, Deployer, LocalEnv};
use crate::exchange::dialects::binance::{MockBinance, MockError, OrderView};
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{ApprovalPolicy, Erc20, EvmClient, EvmError};
use sluice::core::{Pair, from_units, to_units_exact};
use sluice::store::{Journal, RunKind, StoreError};
use sluice::strategy::arb::{ArbConfig, ArbEvent, ArbRunner, Evaluator};
use sluice::venue::connector::MemoryKeys;
use sluice::venue::{ConnectContext, ConnectError, Venue, VenueError, VenueId};
use sluice::wallet::{Mnemonic, SecretString, UnlockedWallet};

pub use amm::{ArbAmm, LocalChain, UnknownAmm};
pub use cosmos_leg::CosmosLeg;
pub use exchange::{ExchangeListing, SimExchange, list_pair, setup_error, url_table};

/// The exchange's symbol of the default (Uniswap v3) environment.
pub const EXCHANGE_SYMBOL: &str = "ETHUSDT";

/// The mock exchange's venue id under [`ArbEnvOptions::simulated_names`].
pub const SIMULATED_EXCHANGE: &str = "sim-binance";
/// The chain label of the AMM venue under [`ArbEnvOptions::simulated_names`]: its venue is
/// `uniswap_v3@sim-anvil`, and its transactions are journaled for the chain `sim-anvil`, so that
/// no start on a real `anvil` node ever adopts them.
pub const SIMULATED_CHAIN: &str = "sim-anvil";

/// The name of the dev wallet handed to the AMM connector in memory.
const DEV_WALLET: &str = "dev";

/// How the environment is built.
#[derive(Debug, Clone)]
pub struct ArbEnvOptions {
    /// The AMM leg (default Uniswap v3).
    pub amm: ArbAmm,
    /// Centre of the mock exchange's book (the pools of WETH/USDC are at 3000 USDC per WETH).
    pub exchange_mid: Decimal,
    /// Levels seeded on each side of the book.
    pub book_levels: usize,
    /// Ticks between seeded levels.
    pub book_spacing_ticks: u64,
    /// Base asset on each seeded level.
    pub book_level_qty: Decimal,
    /// Maker and taker fee rate of the pair on the mock, and the fee tier the connector is told
    /// (0.001 = 0.1 %).
    pub exchange_fee: Decimal,
    /// Dev account (of the anvil dev mnemonic) that trades on chain.
    pub account_index: u64,
    /// ETH the trader wraps into WETH before anything starts (zero: none).
    pub wrap_eth: Decimal,
    /// Approve the AMM's spender (router, Vault or Broker) for the pool's tokens (unlimited)
    /// before anything starts, so that no swap needs an approval transaction first.
    pub preapprove_router: bool,
    /// How the swap executor approves the spender when a swap needs it.
    pub approval: ApprovalPolicy,
    /// How often the pool state follows the chain.
    pub pool_sync_interval: Duration,
    /// How often the exchange connector polls orders its stream may have missed.
    pub reconcile_interval: Duration,
    /// Name the venues as the simulated ones they are (`sim-binance`, `uniswap_v3@sim-anvil`), as
    /// `sluice demo` does, so that nothing they journal is ever taken for a real venue's.
    pub simulated_names: bool,
}

impl Default for ArbEnvOptions {
    fn default() -> Self {
        Self::for_amm(ArbAmm::default())
    }
}

impl ArbEnvOptions {
    /// The defaults for `amm`: its exchange mid and book shape.
    pub fn for_amm(amm: ArbAmm) -> Self {
        let (spacing, qty) = amm.default_book();
        Self {
            amm,
            exchange_mid: amm.default_mid(),
            book_levels: 20,
            book_spacing_ticks: spacing,
            book_level_qty: qty,
            exchange_fee: Decimal::new(1, 3),
            account_index: 1,
            wrap_eth: Decimal::ZERO,
            preapprove_router: false,
            approval: ApprovalPolicy::Unlimited,
            pool_sync_interval: Duration::from_millis(200),
            reconcile_interval: Duration::from_secs(2),
            simulated_names: false,
        }
    }

    /// The venue ids of the two legs on the mock Binance: (exchange, AMM).
    pub fn venue_ids(&self) -> (String, String) {
        self.venue_ids_on(MockBinance::CONNECTOR)
    }

    /// The venue ids of the two legs on the simulated exchange served by `connector`:
    /// (`sim-<connector>` or `<connector>`, `<amm>@sim-anvil` or `<amm>@anvil`).
    pub fn venue_ids_on(&self, connector: &str) -> (String, String) {
        let chain = self.amm.local_chain();
        if self.simulated_names {
            (
                format!("sim-{connector}"),
                format!("{}@{}", self.amm.connector(), chain.simulated_label()),
            )
        } else {
            (
                connector.to_string(),
                format!("{}@{}", self.amm.connector(), chain.spec_name()),
            )
        }
    }
}

/// Why the environment could not be built or a control failed.
#[derive(Debug, thiserror::Error)]
pub enum ArbEnvError {
    #[error("local chain: {0}")]
    Deploy(#[from] DeployError),
    #[error("mock exchange: {0}")]
    Mock(#[from] MockError),
    #[error("connecting a venue: {0}")]
    Connect(#[from] ConnectError),
    #[error("chain client: {0}")]
    Evm(#[from] EvmError),
    #[error("venue: {0}")]
    Venue(#[from] VenueError),
    #[error("journal: {0}")]
    Journal(#[from] StoreError),
    #[error("strategy: {0}")]
    Strategy(String),
    #[error("wallet: {0}")]
    Wallet(String),
    #[error("environment: {0}")]
    Setup(String),
}

fn setup(e: impl std::fmt::Display) -> ArbEnvError {
    ArbEnvError::Setup(e.to_string())
}

/// Balances of the trader on both venues, read from the venues themselves (the mock's engine and
/// the chain), not from the connectors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holdings {
    /// Free + locked on the mock exchange, by asset (ETH, USDT).
    pub exchange: BTreeMap<String, Decimal>,
    /// On chain, by asset: ETH (native) and the pool's two tokens (WETH, USDC).
    pub chain: BTreeMap<String, Decimal>,
}

impl Holdings {
    /// `self - before`, per venue and asset.
    pub fn minus(&self, before: &Holdings) -> Holdings {
        let diff = |a: &BTreeMap<String, Decimal>, b: &BTreeMap<String, Decimal>| {
            a.iter()
                .map(|(k, v)| (k.clone(), *v - b.get(k).copied().unwrap_or_default()))
                .collect()
        };
        Holdings {
            exchange: diff(&self.exchange, &before.exchange),
            chain: diff(&self.chain, &before.chain),
        }
    }

    /// One asset summed over both venues (ETH on the exchange plus ETH paid as gas, for example).
    pub fn total(&self, asset: &str) -> Decimal {
        self.exchange.get(asset).copied().unwrap_or_default()
            + self.chain.get(asset).copied().unwrap_or_default()
    }
}

/// The running environment on the simulated exchange `X` (the mock Binance by default).
/// Dropping it stops the venues, the simulator and anvil.
pub struct ArbEnv<X: SimExchange = MockBinance> {
    pub chain: LocalEnv,
    pub mock: X,
    /// The exchange leg, as the registry built it.
    pub exchange: Arc<dyn Venue>,
    /// The AMM leg, as the registry built it.
    pub amm: Arc<dyn Venue>,
    pub client: EvmClient,
    /// The trader's on-chain address.
    pub trader: Address,
    /// Where the AMM leg's pool is: its tokens on the anvil, or a local Cosmos chain.
    pub amm_leg: AmmLeg,
    options: ArbEnvOptions,
    /// Holds the deployment manifest the AMM connector reads.
    files: tempfile::TempDir,
}

/// Where the AMM leg's pool is.
#[derive(Debug)]
pub enum AmmLeg {
    /// On the anvil: the pool's base (WETH, CELO) and quote (USDC, cUSD) tokens.
    Anvil { base: Address, quote: Address },
    /// On a local Cosmos chain started beside the anvil (`terra_swap`).
    Cosmos(Box<CosmosLeg>),
}

impl AmmLeg {
    /// The local Cosmos chain, when the pool is on one.
    pub fn cosmos(&self) -> Option<&CosmosLeg> {
        match self {
            AmmLeg::Cosmos(leg) => Some(leg),
            AmmLeg::Anvil { .. } => None,
        }
    }
}

impl<X: SimExchange> std::fmt::Debug for ArbEnv<X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArbEnv")
            .field("anvil", &self.chain.anvil)
            .field("mock", &self.mock)
            .field("exchange", self.exchange.id())
            .field("amm", self.amm.id())
            .field("trader", &self.trader)
            .finish()
    }
}

impl ArbEnv {
    /// Starts anvil and the mock Binance, prepares the trader, connects and starts both venues.
    pub async fn start(options: ArbEnvOptions) -> Result<Self, ArbEnvError> {
        Self::start_on(options).await
    }

    /// Every order the trader's exchange account placed.
    pub fn exchange_orders(&self) -> Vec<OrderView> {
        self.mock.orders_of(self.mock.account())
    }
}

impl<X: SimExchange> ArbEnv<X> {
    /// Starts anvil and the simulated exchange `X`, prepares the trader, connects and starts
    /// both venues.
    pub async fn start_on(options: ArbEnvOptions) -> Result<Self, ArbEnvError> {
        let amm = options.amm;
        // 1. The chain: anvil from the snapshot, with every protocol deployed.
        let env = LocalEnv::start().await?;
        let specs = ChainSpecs::builtin().map_err(|e| ArbEnvError::Strategy(e.to_string()))?;
        let spec = specs
            .get("anvil")
            .ok_or_else(|| ArbEnvError::Strategy("no anvil chain spec".into()))?;

        // 2. The exchange: a simulator listing the AMM's mirror pair, its book around the mid.
        let (base, quote) = amm.exchange_assets();
        let mock = X::start(ExchangeListing {
            base: base.into(),
            quote: quote.into(),
            extra: amm.extra_listing(options.exchange_fee),
            fee: options.exchange_fee,
            balances: amm.extra_exchange_balances(),
        })
        .await?;
        mock.seed_book(
            base,
            quote,
            options.exchange_mid,
            options.book_levels,
            options.book_spacing_ticks,
            options.book_level_qty,
        )?;

        // 3. The wallet: anvil's dev mnemonic, account `account_index`.
        let wallet = dev_wallet()?;
        let trader = wallet
            .evm_signer(spec, options.account_index)
            .map_err(|e| ArbEnvError::Wallet(e.to_string()))?
            .address();
        let token = |s: &str| {
            env.manifest
                .tokens
                .get(s)
                .map(|t| t.address)
                .ok_or_else(|| setup(format!("{s} is not in the deployment manifest")))
        };
        let (base_symbol, quote_symbol) = amm.tokens();
        let amm_leg = match amm.local_chain() {
            LocalChain::Cosmos(flavor) => AmmLeg::Cosmos(Box::new(
                CosmosLeg::start(flavor, options.account_index).await?,
            )),
            LocalChain::Anvil => {
                let (base, quote) = (token(base_symbol)?, token(quote_symbol)?);
                let spender = amm
                    .spender(&env.manifest)
                    .ok_or_else(|| setup(format!("{amm} is not in the deployment manifest")))?;
                controls::prepare_account(&env, trader, [base, quote], spender, &options).await?;
                AmmLeg::Anvil { base, quote }
            }
        };

        // 4. The venues, through the registry, with the mock's keys and the wallet in memory.
        let files = tempfile::tempdir().map_err(|e| setup(format!("a temporary folder: {e}")))?;
        let manifest = files.path().join("manifest.json");
        std::fs::write(&manifest, env.manifest.to_json_pretty())
            .map_err(|e| setup(format!("writing {}: {e}", manifest.display())))?;
        let (exchange_id, amm_id) = options.venue_ids_on(X::CONNECTOR);
        let keys = MemoryKeys::new()
            .with_api_key(&exchange_id, mock.trader_key())
            .with_wallet(wallet);
        let ctx =
            ConnectContext::new(files.path(), specs.clone(), Path::new("arb-env")).with_keys(keys);
        let tables = Tables::new(&mock, &env, &manifest, &options, amm_leg.cosmos());
        let exchange = connect(&exchange_id, &tables.exchange, &ctx).await?;
        exchange.start(&[pair(&amm.exchange_pair())?]).await?;
        let amm_venue = connect(&amm_id, &tables.amm, &ctx).await?;
        amm_venue.start(&[pair(&amm.amm_pair())?]).await?;
        let client = EvmClient::connect(spec, env.anvil.url().as_str()).await?;
        Ok(Self {
            chain: env,
            mock,
            exchange,
            amm: amm_venue,
            client,
            trader,
            amm_leg,
            options,
            files,
        })
    }

    pub fn options(&self) -> &ArbEnvOptions {
        &self.options
    }

    /// The two venues in the order of the configurations: the exchange, then the AMM.
    pub fn venues(&self) -> [Arc<dyn Venue>; 2] {
        [self.exchange.clone(), self.amm.clone()]
    }

    /// A runner for `config_text` (the strategy's TOML) journaling into `journal`, and the receiver
    /// of its events.
    pub async fn runner(
        &self,
        config_text: &str,
        journal: Journal,
        label: &str,
    ) -> Result<(ArbRunner, mpsc::UnboundedReceiver<ArbEvent>), ArbEnvError> {
        self.runner_of_kind(config_text, journal, label, RunKind::Arb)
            .await
    }

    /// As [`ArbEnv::runner`], the run journaled as `kind` (`RunKind::Demo` for `sluice demo`).
    pub async fn runner_of_kind(
        &self,
        config_text: &str,
        journal: Journal,
        label: &str,
        kind: RunKind,
    ) -> Result<(ArbRunner, mpsc::UnboundedReceiver<ArbEvent>), ArbEnvError> {
        let cfg: ArbConfig =
            config_text
                .parse()
                .map_err(|e: sluice::strategy::arb::ConfigError| {
                    ArbEnvError::Strategy(e.to_string())
                })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = ArbRunner::new_of_kind(
            self.venues(),
            Evaluator::new(cfg),
            journal,
            label,
            config_text,
            kind,
            tx,
        )
        .await
        .map_err(|e| ArbEnvError::Strategy(e.to_string()))?;
        Ok((runner, rx))
    }

    /// The trader's balances, read from the mock's engine and from the chain.
    pub async fn holdings(&self) -> Result<Holdings, ArbEnvError> {
        let mut h = Holdings::default();
        let (base, quote) = self.options.amm.exchange_assets();
        for asset in [base, quote] {
            h.exchange.insert(asset.into(), self.mock.holding(asset)?);
        }
        let (base, quote) = self.options.amm.tokens();
        let (base_token, quote_token) = match &self.amm_leg {
            AmmLeg::Cosmos(leg) => {
                h.chain = leg.holdings(&[base, quote])?;
                return Ok(h);
            }
            AmmLeg::Anvil { base, quote } => (*base, *quote),
        };
        let wei = self
            .client
            .provider()
            .get_balance(self.trader)
            .await
            .map_err(|e| setup(format!("eth_getBalance: {e}")))?;
        h.chain
            .insert("ETH".into(), from_units(wei, 18).map_err(setup)?);
        for (symbol, address) in [(base, base_token), (quote, quote_token)] {
            let erc20 = Erc20::new(self.client.clone(), address);
            h.chain
                .insert(symbol.into(), erc20.balance_decimal(self.trader).await?);
        }
        Ok(h)
    }

    /// The trader's mined transaction count.
    pub async fn nonce(&self) -> Result<u64, ArbEnvError> {
        self.client
            .provider()
            .get_transaction_count(self.trader)
            .await
            .map_err(|e| setup(format!("eth_getTransactionCount: {e}")))
    }

    /// The `[connect]` tables of a `sluice arb` configuration file that point it at this environment:
    /// the mock's URLs, and this node with the trader's account of the wallet `wallet` (the anvil
    /// dev mnemonic imported into the sluice home) and the deployment manifest written to `manifest`.
    /// The exchange's API keys are the mock's ([`MockBinance::api_key`], `api_secret`).
    pub fn connect_toml(&self, wallet: &str, manifest: &Path) -> Result<String, ArbEnvError> {
        std::fs::write(manifest, self.chain.manifest.to_json_pretty())
            .map_err(|e| setup(format!("writing {}: {e}", manifest.display())))?;
        let mut tables = Tables::new(
            &self.mock,
            &self.chain,
            manifest,
            &self.options,
            self.amm_leg.cosmos(),
        );
        // the environment's own tuning stays here: the CLI's defaults apply
        for key in ["maker_fee", "taker_fee", "reconcile_interval_ms"] {
            tables.exchange.remove(key);
        }
        for key in ["approval", "sync_interval_ms"] {
            tables.amm.remove(key);
        }
        tables
            .amm
            .insert("wallet".into(), toml::Value::String(wallet.into()));
        let (exchange_id, amm_id) = self.options.venue_ids_on(X::CONNECTOR);
        let mut connect = toml::Table::new();
        connect.insert(exchange_id, toml::Value::Table(tables.exchange));
        connect.insert(amm_id, toml::Value::Table(tables.amm));
        let mut root = toml::Table::new();
        root.insert("connect".into(), toml::Value::Table(connect));
        toml::to_string(&root).map_err(setup)
    }

    /// Sets the trader's free balance of `asset` on the exchange.
    pub fn set_exchange_balance(&self, asset: &str, free: Decimal) -> Result<(), ArbEnvError> {
        self.mock.set_free(asset, free)
    }

    /// Stops the venues' background work and the mock (anvil stops on drop).
    pub async fn close(&mut self) {
        self.exchange.close().await;
        self.amm.close().await;
        self.mock.stop();
    }
}

impl<X: SimExchange> Drop for ArbEnv<X> {
    fn drop(&mut self) {
        // the venues' background tasks end with their last handle; the mock stops now
        self.mock.stop();
    }
}

/// The `[connect.<id>]` tables of both venues in this environment.
struct Tables {
    exchange: toml::Table,
    amm: toml::Table,
}

impl Tables {
    fn new<X: SimExchange>(
        mock: &X,
        env: &LocalEnv,
        manifest: &Path,
        o: &ArbEnvOptions,
        cosmos: Option<&CosmosLeg>,
    ) -> Self {
        let s = |v: &str| toml::Value::String(v.to_string());
        let ms =
            |d: Duration| toml::Value::Integer(i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut exchange = toml::Table::new();
        if o.simulated_names {
            exchange.insert(sluice::connectors::CONNECTOR_KEY.into(), s(X::CONNECTOR));
        }
        exchange.extend(mock.endpoints());
        exchange.extend(X::tuning(o.exchange_fee, o.reconcile_interval));
        if let Some(leg) = cosmos {
            return Self {
                exchange,
                amm: leg.table(o),
            };
        }
        let mut amm = toml::Table::new();
        if o.simulated_names {
            amm.insert(sluice::connectors::CHAIN_KEY.into(), s("anvil"));
        }
        amm.insert("rpc_url".into(), s(env.anvil.url().as_str()));
        amm.insert("wallet".into(), s(DEV_WALLET));
        amm.insert(
            "account_index".into(),
            toml::Value::Integer(i64::try_from(o.account_index).unwrap_or(i64::MAX)),
        );
        amm.insert("manifest".into(), s(&manifest.display().to_string()));
        let approval = match o.approval {
            ApprovalPolicy::Exact => "exact",
            ApprovalPolicy::Unlimited => "unlimited",
        };
        amm.insert("approval".into(), s(approval));
        amm.insert("sync_interval_ms".into(), ms(o.pool_sync_interval));
        Self { exchange, amm }
    }
}

/// Builds venue `id` through the registry.
async fn connect(
    id: &str,
    table: &toml::Table,
    ctx: &ConnectContext,
) -> Result<Arc<dyn Venue>, ArbEnvError> {
    let id: VenueId = id.parse()?;
    Ok(sluice::connectors::connect(&id, table, ctx).await?)
}

fn pair(text: &str) -> Result<Pair, ArbEnvError> {
    text.parse()
        .map_err(|e: sluice::core::CoreError| setup(format!("pair {text}: {e}")))
}

/// The anvil dev mnemonic as an unlocked wallet named [`DEV_WALLET`].
fn dev_wallet() -> Result<UnlockedWallet, ArbEnvError> {
    let mnemonic = Mnemonic::parse(DEV_MNEMONIC).map_err(|e| ArbEnvError::Wallet(e.to_string()))?;
    Ok(UnlockedWallet::Mnemonic {
        name: DEV_WALLET.into(),
        mnemonic,
        passphrase: SecretString::new(String::new()),
    })
}

fn dev_address(index: usize) -> Result<Address, ArbEnvError> {
    crate::anvil::dev_signer(index)
        .map(|s| s.address())
        .ok_or_else(|| setup(format!("no dev account {index}")))
}

/// Wraps ETH into WETH for `who` (`wei` in ETH).
async fn wrap(d: &Deployer, weth: Address, eth: Decimal) -> Result<(), ArbEnvError> {
    tokens::wrap(d, weth, to_units_exact(eth, 18).map_err(setup)?).await?;
    Ok(())
}
