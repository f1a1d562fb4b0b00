//! A ready arbitrage environment on one machine, built in one place for `sluice demo` and the
//! end-to-end tests: an anvil from the deployment snapshot (real Uniswap v3, WETH/USDC pools at
//! 3000), a mock Binance with an ETH/USDT book around a chosen mid, a trader account from the anvil
//! dev mnemonic, both venues connected (Binance with its book, user stream and reconciler; Uniswap v3
//! with a swap executor and pool sync), and the strategy runner for a given TOML configuration.
//!
//! The knobs are the ones the tests need: the exchange's mid and fee, the dev account that trades, WETH
//! wrapped for it beforehand, router approvals done beforehand; and afterwards, controls that change
//! the world under the strategy: exchange balances, on-chain tokens drained, the pool moved by another
//! account's swap, the book moved by another exchange account's market sell, anvil's automine
//! switched off and blocks mined by hand, the chain's clock moved. For `sluice arb` run as a process,
//! [`ArbEnv::connect_toml`] gives the `[connect]` tables that point it at this environment.
//!
//! The trader's transactions go through a nonce manager of this environment's own: every node started
//! from the snapshot has the same chain id and genesis, so the process-wide registry would hand a
//! second environment in the same process (another test) the manager of the first.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::aliases::U24;
use alloy::primitives::{Address, B256, U160, U256};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use rust_decimal::Decimal;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::anvil::DEV_MNEMONIC;
use crate::deploy::tokens::{self, IERC20};
use crate::deploy::{DeployError, Deployer, LocalEnv};
use crate::exchange::dialects::binance::{MockBinance, MockConfig, MockError, OrderView};
use sluice::amm::AmmError;
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v3::abi::ISwapRouter;
use sluice::amm::uniswap_v3::connector::{UniswapV3Venue, V3Contracts};
use sluice::cex::CexError;
use sluice::cex::auth::ApiCredentials;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot};
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{
    ApprovalPolicy, Erc20, EvmClient, EvmError, NonceManager, TrackerConfig, TxTracker,
};
use sluice::core::{
    Asset, ClientOrderId, OrderRequest, OrderType, Pair, Side, TimeInForce, from_units,
    to_units_exact,
};
use sluice::store::{Journal, RunKind, StoreError};
use sluice::strategy::arb::{ArbConfig, ArbEvent, ArbRunner, Evaluator};
use sluice::venue::{Venue, VenueError};
use sluice::wallet::{Mnemonic, SecretString, UnlockedWallet};

/// The exchange's symbol and pair in this environment.
pub const EXCHANGE_SYMBOL: &str = "ETHUSDT";

/// The mock exchange's venue id under [`ArbEnvOptions::simulated_names`].
pub const SIMULATED_EXCHANGE: &str = "sim-binance";
/// The chain label of the AMM venue under [`ArbEnvOptions::simulated_names`]: its venue is
/// `uniswap_v3@sim-anvil`, and its transactions are journaled for the chain `sim-anvil`, so that
/// no start on a real `anvil` node ever adopts them.
pub const SIMULATED_CHAIN: &str = "sim-anvil";

/// How the environment is built.
#[derive(Debug, Clone)]
pub struct ArbEnvOptions {
    /// Centre of the mock exchange's ETH/USDT book (the pools are at 3000 USDC per WETH).
    pub exchange_mid: Decimal,
    /// Levels seeded on each side of the book.
    pub book_levels: usize,
    /// Ticks (0.01 USDT) between seeded levels.
    pub book_spacing_ticks: u64,
    /// ETH on each seeded level.
    pub book_level_qty: Decimal,
    /// Maker and taker fee rate of ETH/USDT on the mock, and the fee tier the connector is told
    /// (0.001 = 0.1 %).
    pub exchange_fee: Decimal,
    /// Dev account (of the anvil dev mnemonic) that trades on chain.
    pub account_index: u64,
    /// ETH the trader wraps into WETH before anything starts (zero: none).
    pub wrap_eth: Decimal,
    /// Approve the router for WETH and USDC (unlimited) before anything starts, so that no swap
    /// needs an approval transaction first.
    pub preapprove_router: bool,
    /// How the swap executor approves the router when a swap needs it.
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
        Self {
            exchange_mid: Decimal::from(3100),
            book_levels: 20,
            book_spacing_ticks: 100,
            book_level_qty: Decimal::new(5, 1),
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
}

/// Why the environment could not be built or a control failed.
#[derive(Debug, thiserror::Error)]
pub enum ArbEnvError {
    #[error("local chain: {0}")]
    Deploy(#[from] DeployError),
    #[error("mock exchange: {0}")]
    Mock(#[from] MockError),
    #[error("exchange connector: {0}")]
    Cex(#[from] CexError),
    #[error("AMM connector: {0}")]
    Amm(#[from] AmmError),
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
    /// On chain, by asset: ETH (native), WETH, USDC.
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

/// The running environment. Dropping it stops the background tasks, the mock and anvil.
pub struct ArbEnv {
    pub chain: LocalEnv,
    pub mock: MockBinance,
    pub binance: BinanceSpot,
    pub uniswap: Arc<UniswapV3Venue>,
    pub client: EvmClient,
    /// The trader's on-chain address.
    pub trader: Address,
    pub weth: Address,
    pub usdc: Address,
    options: ArbEnvOptions,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for ArbEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArbEnv")
            .field("anvil", &self.chain.anvil)
            .field("mock", &self.mock)
            .field("trader", &self.trader)
            .finish()
    }
}

impl ArbEnv {
    /// Starts anvil and the mock, prepares the trader, connects both venues.
    pub async fn start(options: ArbEnvOptions) -> Result<Self, ArbEnvError> {
        // 1. The chain: anvil from the snapshot, with the real Uniswap v3 deployed.
        let env = LocalEnv::start().await?;
        let specs = ChainSpecs::builtin().map_err(|e| ArbEnvError::Strategy(e.to_string()))?;
        let spec = specs
            .get("anvil")
            .ok_or_else(|| ArbEnvError::Strategy("no anvil chain spec".into()))?;

        // 2. The exchange: a mock Binance with an ETH/USDT book around `exchange_mid`.
        let mut mock_cfg = MockConfig::default();
        for s in mock_cfg
            .symbols
            .iter_mut()
            .filter(|s| s.symbol == EXCHANGE_SYMBOL)
        {
            s.maker_fee = options.exchange_fee;
            s.taker_fee = options.exchange_fee;
        }
        let mock = MockBinance::start_with(mock_cfg).await?;
        mock.seed_book(
            EXCHANGE_SYMBOL,
            options.exchange_mid,
            options.book_levels,
            options.book_spacing_ticks,
            options.book_level_qty,
        )?;

        // 3. The wallet: anvil's dev mnemonic, account `account_index`.
        let mnemonic =
            Mnemonic::parse(DEV_MNEMONIC).map_err(|e| ArbEnvError::Wallet(e.to_string()))?;
        let wallet = UnlockedWallet::Mnemonic {
            name: "demo".into(),
            mnemonic,
            passphrase: SecretString::new(String::new()),
        };
        let signer = wallet
            .evm_signer(spec, options.account_index)
            .map_err(|e| ArbEnvError::Wallet(e.to_string()))?;
        let trader = signer.address();
        let token = |s: &str| {
            env.manifest
                .tokens
                .get(s)
                .map(|t| t.address)
                .ok_or_else(|| {
                    ArbEnvError::Strategy(format!("{s} is not in the deployment manifest"))
                })
        };
        let (weth, usdc) = (token("WETH")?, token("USDC")?);
        let router = env.manifest.uniswap_v3.swap_router;
        prepare_account(&env, trader, weth, usdc, router, &options).await?;

        // 4. The venues.
        let (exchange_name, chain_label) = if options.simulated_names {
            (SIMULATED_EXCHANGE, SIMULATED_CHAIN)
        } else {
            ("binance", "anvil")
        };
        let cfg = BinanceConfig {
            name: exchange_name.into(),
            rest_url: mock.rest_url(),
            ws_url: mock.ws_url(),
            ws_api_url: mock.ws_api_url(),
            maker_fee: options.exchange_fee,
            taker_fee: options.exchange_fee,
            ..BinanceConfig::binance()
        };
        let creds = ApiCredentials::new(mock.api_key(), mock.api_secret().to_string())
            .map_err(|e| ArbEnvError::Strategy(e.to_string()))?;
        let binance = BinanceSpot::new(cfg, Some(creds))?;
        let eth_usdt: Pair = "ETH-USDT"
            .parse()
            .map_err(|e: sluice::core::CoreError| ArbEnvError::Strategy(e.to_string()))?;
        binance.watch_book(&eth_usdt).await?;
        binance.start_user_stream().await?;
        let reconciler = binance.spawn_reconciler(options.reconcile_interval);

        let client = EvmClient::connect(spec, env.anvil.url().as_str()).await?;
        // This node's own nonce manager, not the process's shared one: every node started from the
        // snapshot has the same chain id and genesis, so the registry would hand an environment
        // the manager (and the node) of an earlier one in the same process, such as another test.
        let nonces = NonceManager::new(Arc::new(client.clone()), trader);
        let tracker = TxTracker::with_nonce_manager(
            client.clone(),
            EthereumWallet::from(signer),
            nonces,
            TrackerConfig::for_client(&client),
        );
        let mut book = TokenBook::new(chain_label);
        book.set_native("ETH");
        book.add_manifest(&env.manifest);
        let native = Asset::new("ETH").map_err(|e| ArbEnvError::Strategy(e.to_string()))?;
        let uniswap = UniswapV3Venue::connect(
            chain_label,
            native,
            env.anvil.read_provider(),
            V3Contracts::from(&env.manifest),
            book,
        )
        .await?
        .with_executor(tracker, options.approval);
        uniswap.track_pair(weth, usdc).await?;
        let uniswap = Arc::new(uniswap);
        let sync = uniswap.spawn_sync(options.pool_sync_interval);
        Ok(Self {
            chain: env,
            mock,
            binance,
            uniswap,
            client,
            trader,
            weth,
            usdc,
            options,
            tasks: vec![reconciler, sync],
        })
    }

    pub fn options(&self) -> &ArbEnvOptions {
        &self.options
    }

    /// The two venues in the order of the configurations: `binance`, then `uniswap_v3@anvil`.
    pub fn venues(&self) -> [Arc<dyn Venue>; 2] {
        [Arc::new(self.binance.clone()), self.uniswap.clone()]
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
        for asset in ["ETH", "USDT"] {
            let b = self.mock.balance(self.mock.account(), asset)?;
            h.exchange.insert(asset.into(), b.free + b.locked);
        }
        let wei = self
            .client
            .provider()
            .get_balance(self.trader)
            .await
            .map_err(|e| setup(format!("eth_getBalance: {e}")))?;
        h.chain
            .insert("ETH".into(), from_units(wei, 18).map_err(setup)?);
        for (symbol, address) in [("WETH", self.weth), ("USDC", self.usdc)] {
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
        let json = serde_json::to_vec_pretty(&self.chain.manifest).map_err(setup)?;
        std::fs::write(manifest, json)
            .map_err(|e| setup(format!("writing {}: {e}", manifest.display())))?;
        let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
        Ok(format!(
            "[connect.binance]\nrest_url = {}\nws_url = {}\nws_api_url = {}\n\n\
             [connect.\"uniswap_v3@anvil\"]\nrpc_url = {}\nwallet = {}\naccount_index = {}\nmanifest = {}\n",
            quoted(&self.mock.rest_url()),
            quoted(&self.mock.ws_url()),
            quoted(&self.mock.ws_api_url()),
            quoted(self.chain.anvil.url().as_str()),
            quoted(wallet),
            self.options.account_index,
            quoted(&manifest.display().to_string()),
        ))
    }

    /// Every order the trader's exchange account placed.
    pub fn exchange_orders(&self) -> Vec<OrderView> {
        self.mock.orders_of(self.mock.account())
    }

    /// Sets the trader's free balance of `asset` on the exchange.
    pub fn set_exchange_balance(&self, asset: &str, free: Decimal) -> Result<(), ArbEnvError> {
        Ok(self.mock.set_balance(self.mock.account(), asset, free)?)
    }

    /// Another exchange account sells `qty` ETH at market: the best bids are taken and the book's
    /// top moves down (what a competitor does between the strategy's decision and its order).
    pub async fn exchange_taker_sell(&self, qty: Decimal) -> Result<(), ArbEnvError> {
        let (key, secret) = (
            uuid::Uuid::new_v4().simple().to_string(),
            uuid::Uuid::new_v4().simple().to_string(),
        );
        let account = self.mock.add_account(&key, &secret);
        self.mock.set_balance(account, "ETH", qty)?;
        let cfg = BinanceConfig {
            rest_url: self.mock.rest_url(),
            ws_url: self.mock.ws_url(),
            ws_api_url: self.mock.ws_api_url(),
            ..BinanceConfig::binance()
        };
        let taker = BinanceSpot::new(cfg, Some(ApiCredentials::new(key, secret).map_err(setup)?))?;
        let pair: Pair = "ETH-USDT"
            .parse()
            .map_err(|e: sluice::core::CoreError| setup(e))?;
        taker
            .submit(OrderRequest {
                client_id: ClientOrderId::generate("taker"),
                pair,
                side: Side::Sell,
                order_type: OrderType::Market,
                amount: qty,
                price: None,
                time_in_force: TimeInForce::Ioc,
                deadline: None,
            })
            .await?;
        taker.close();
        Ok(())
    }

    /// Moves all of the trader's `symbol` tokens (WETH or USDC) to dev account 0.
    pub async fn drain_token(&self, symbol: &str) -> Result<(), ArbEnvError> {
        let token = match symbol {
            "WETH" => self.weth,
            "USDC" => self.usdc,
            other => return Err(setup(format!("no token {other} in this environment"))),
        };
        let amount = Erc20::new(self.client.clone(), token)
            .balance_of(self.trader)
            .await?;
        let d = Deployer::new(self.chain.anvil.provider(), self.trader);
        d.call(
            "drain",
            token,
            &IERC20::transferCall {
                to: self.chain.manifest.deployer,
                value: amount,
            },
        )
        .await?;
        Ok(())
    }

    /// Prepares dev account `index` to move the pools: wraps `weth` ETH and approves the router for
    /// WETH and USDC (it holds a million USDC from the deployment).
    pub async fn prepare_mover(&self, index: usize, weth: Decimal) -> Result<(), ArbEnvError> {
        let from = dev_address(index)?;
        let router = self.router();
        let d = Deployer::new(self.chain.anvil.provider(), from);
        tokens::wrap(&d, self.weth, to_units_exact(weth, 18).map_err(setup)?).await?;
        tokens::approve_max(&d, self.weth, router).await?;
        tokens::approve_max(&d, self.usdc, router).await?;
        Ok(())
    }

    /// Sends (without waiting for it to be mined) a swap from dev account `index` in the WETH/USDC
    /// pool of `fee`: `Side::Buy` buys WETH with `amount` USDC, `Side::Sell` sells `amount` WETH.
    /// Its priority fee of 100 gwei puts it ahead of the trader's transactions in a block mined by
    /// hand (anvil orders by fee). The account must be prepared ([`ArbEnv::prepare_mover`]).
    pub async fn send_pool_swap(
        &self,
        index: usize,
        fee: u32,
        side: Side,
        amount: Decimal,
    ) -> Result<B256, ArbEnvError> {
        let from = dev_address(index)?;
        let (token_in, token_out, decimals) = match side {
            Side::Buy => (self.usdc, self.weth, 6),
            Side::Sell => (self.weth, self.usdc, 18),
        };
        let call = ISwapRouter::exactInputSingleCall {
            params: ISwapRouter::ExactInputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                fee: U24::from(fee),
                recipient: from,
                deadline: Deployer::deadline(),
                amountIn: to_units_exact(amount, decimals).map_err(setup)?,
                amountOutMinimum: U256::ZERO,
                sqrtPriceLimitX96: U160::ZERO,
            },
        };
        let gwei = 1_000_000_000u128;
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(self.router())
            .with_input(call.abi_encode())
            .with_gas_limit(500_000)
            .with_max_priority_fee_per_gas(100 * gwei)
            .with_max_fee_per_gas(1_000 * gwei);
        let pending = self
            .chain
            .anvil
            .provider()
            .send_transaction(tx)
            .await
            .map_err(|e| setup(format!("pool swap from dev account {index}: {e}")))?;
        Ok(*pending.tx_hash())
    }

    /// Switches anvil's automine on or off (off: transactions wait in the pool for [`ArbEnv::mine`]).
    pub async fn set_automine(&self, on: bool) -> Result<(), ArbEnvError> {
        self.chain
            .anvil
            .read_provider()
            .anvil_set_auto_mine(on)
            .await
            .map_err(|e| setup(format!("anvil_setAutomine: {e}")))
    }

    /// Mines one block with what is in the transaction pool.
    pub async fn mine(&self) -> Result<(), ArbEnvError> {
        self.chain
            .anvil
            .read_provider()
            .evm_mine(None)
            .await
            .map_err(|e| setup(format!("evm_mine: {e}")))?;
        Ok(())
    }

    /// Moves the chain's clock forward by `secs` for the next blocks.
    pub async fn advance_time(&self, secs: u64) -> Result<(), ArbEnvError> {
        self.chain
            .anvil
            .read_provider()
            .anvil_increase_time(secs)
            .await
            .map_err(|e| setup(format!("evm_increaseTime: {e}")))?;
        Ok(())
    }

    fn router(&self) -> Address {
        self.chain.manifest.uniswap_v3.swap_router
    }

    /// Stops the background tasks, the exchange connector and the mock (anvil stops on drop).
    pub fn close(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        self.binance.close();
        self.mock.stop();
    }
}

impl Drop for ArbEnv {
    fn drop(&mut self) {
        self.close();
    }
}

fn dev_address(index: usize) -> Result<Address, ArbEnvError> {
    crate::anvil::dev_signer(index)
        .map(|s| s.address())
        .ok_or_else(|| setup(format!("no dev account {index}")))
}

/// Wraps ETH and approves the router for the trader, as the options say.
async fn prepare_account(
    env: &LocalEnv,
    trader: Address,
    weth: Address,
    usdc: Address,
    router: Address,
    options: &ArbEnvOptions,
) -> Result<(), ArbEnvError> {
    if options.wrap_eth.is_zero() && !options.preapprove_router {
        return Ok(());
    }
    let d = Deployer::new(env.anvil.provider(), trader);
    if !options.wrap_eth.is_zero() {
        tokens::wrap(
            &d,
            weth,
            to_units_exact(options.wrap_eth, 18).map_err(setup)?,
        )
        .await?;
    }
    if options.preapprove_router {
        tokens::approve_max(&d, weth, router).await?;
        tokens::approve_max(&d, usdc, router).await?;
    }
    Ok(())
}
