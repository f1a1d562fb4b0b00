//! The test-facing handle of the simulated KuCoin: start/stop, URLs, credentials (with the
//! passphrase), and controls (liquidity, balances, inspection, depth and connection faults, HTTP
//! faults, clock).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use super::error::KuCoinError;
use super::shapes::KuCoinEvents;
use super::shared::{HttpFault, KuCoinLimits, Shared, lock};
use super::{rest, ws};
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::OrderStatus;
use crate::exchange::engine::server::{
    Servers, default_balances, market_maker_account, random_token, release_held_diffs, serve_http,
    trading_account,
};
use crate::exchange::engine::spec::{NotionalFilter, SymbolSpec};

/// Errors of the handle.
#[derive(Debug, thiserror::Error)]
pub enum KuCoinMockError {
    #[error("cannot bind the simulated KuCoin on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    #[error("the simulated KuCoin refused the operation: {} {}", .0.code, .0.msg)]
    Rejected(KuCoinError),
    #[error("unknown account {0}")]
    UnknownAccount(usize),
}

impl From<EngineError> for KuCoinMockError {
    fn from(e: EngineError) -> Self {
        KuCoinMockError::Rejected(e.into())
    }
}

/// KuCoin's pairs as the simulator lists them by default: BTC-USDT (tick 0.01, step 0.0001) and
/// ETH-USDT (tick 0.01, step 0.001), minimum funds 0.1 USDT, fees 0.1 %.
pub fn kucoin_symbols() -> Vec<SymbolSpec> {
    let pair = |base: &str, step: Decimal| {
        let mut s = SymbolSpec::new(base, "USDT");
        s.symbol = format!("{base}-USDT");
        s.tick_size = dec!(0.01);
        s.min_price = dec!(0.01);
        s.step_size = step;
        s.min_qty = step;
        s.max_qty = dec!(10000000000);
        s.min_notional = dec!(0.1);
        s.notional_filter = NotionalFilter::MinNotional;
        s.maker_fee = dec!(0.001);
        s.taker_fee = dec!(0.001);
        s
    };
    vec![pair("BTC", dec!(0.0001)), pair("ETH", dec!(0.001))]
}

/// Configuration of a simulated KuCoin.
#[derive(Clone)]
pub struct KuCoinConfig {
    pub symbols: Vec<SymbolSpec>,
    pub limits: KuCoinLimits,
    /// `pingInterval` the bullet endpoints announce; `pingTimeout` is the same. A connection
    /// silent for both is closed.
    pub ping_interval_ms: u64,
    /// API key, secret and passphrase of the default trading account (random when `None`).
    pub api_key: Option<String>,
    pub api_secret: Option<Zeroizing<String>>,
    pub passphrase: Option<Zeroizing<String>>,
    /// Free balances of the default trading account.
    pub balances: Vec<(String, Decimal)>,
}

impl fmt::Debug for KuCoinConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KuCoinConfig")
            .field("symbols", &self.symbols.len())
            .field("limits", &self.limits)
            .field("ping_interval_ms", &self.ping_interval_ms)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

impl Default for KuCoinConfig {
    fn default() -> Self {
        let symbols = kucoin_symbols();
        Self {
            balances: default_balances(&symbols),
            symbols,
            limits: KuCoinLimits::default(),
            ping_interval_ms: 18_000,
            api_key: None,
            api_secret: None,
            passphrase: None,
        }
    }
}

/// The simulator's own book of a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KuCoinBook {
    /// The sequence of the last change (the snapshot's `sequence`).
    pub sequence: u64,
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// An order as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KuCoinOrderView {
    pub id: u64,
    pub client_oid: String,
    pub status: OrderStatus,
    pub filled: Decimal,
    pub size: Decimal,
}

/// A running simulated KuCoin. Dropping it stops the servers.
pub struct MockKuCoin {
    shared: Arc<Shared>,
    servers: Servers,
    api_key: String,
    api_secret: Zeroizing<String>,
    passphrase: Zeroizing<String>,
    account: usize,
}

impl fmt::Debug for MockKuCoin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockKuCoin")
            .field("rest_url", &self.rest_url())
            .field("ws_url", &self.ws_url())
            .finish_non_exhaustive()
    }
}

impl MockKuCoin {
    pub async fn start() -> Result<Self, KuCoinMockError> {
        Self::start_with(KuCoinConfig::default()).await
    }

    pub async fn start_with(config: KuCoinConfig) -> Result<Self, KuCoinMockError> {
        let mm = market_maker_account(
            &config.symbols,
            random_token(24),
            Zeroizing::new(random_token(36)),
        );
        let mut exchange = Exchange::new(config.symbols.clone(), mm, Arc::new(KuCoinEvents));
        let api_key = config.api_key.clone().unwrap_or_else(|| random_token(24));
        let api_secret = config
            .api_secret
            .clone()
            .unwrap_or_else(|| Zeroizing::new(random_token(36)));
        let passphrase = config
            .passphrase
            .clone()
            .unwrap_or_else(|| Zeroizing::new(random_token(16)));
        let trader = trading_account(api_key.clone(), api_secret.clone(), &config.balances);
        let account = exchange.add_account(trader);
        let (servers, http, wsl) = Servers::bind().await?;
        let shared = Arc::new(Shared::new(
            exchange,
            config.limits.clone(),
            format!("ws://{}/", servers.ws_addr()),
            config.ping_interval_ms,
        ));
        lock(&shared.passphrases).insert(api_key.clone(), passphrase.clone());
        let mock = Self {
            shared,
            servers,
            api_key,
            api_secret,
            passphrase,
            account,
        };
        mock.spawn(http, wsl);
        tracing::info!(rest = %mock.rest_url(), ws = %mock.ws_url(), "simulated KuCoin started");
        Ok(mock)
    }

    fn spawn(&self, http: TcpListener, wsl: TcpListener) {
        let shared = self.shared.clone();
        let rest_shared = shared.clone();
        self.servers.track([
            tokio::spawn(serve_http(http, shared.shutdown.subscribe(), move |req| {
                rest::handle(rest_shared.clone(), req)
            })),
            tokio::spawn(ws::serve(wsl, shared.clone())),
            tokio::spawn(release_held_diffs(shared, |s: &Shared| s.exchange())),
        ]);
    }

    /// Stops the servers and closes every connection; the state is kept for `restart`.
    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// Starts the servers again on the same ports with the same state.
    pub async fn restart(&self) -> Result<(), KuCoinMockError> {
        let (http, wsl) = self.servers.rebind(&self.shared.shutdown).await?;
        self.spawn(http, wsl);
        Ok(())
    }

    /// REST base, `http://127.0.0.1:<port>` (endpoints under `/api`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// The websocket endpoint the bullet endpoints announce.
    pub fn ws_url(&self) -> String {
        self.shared.ws_endpoint.clone()
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    pub fn passphrase(&self) -> &str {
        &self.passphrase
    }

    /// The default trading account.
    pub fn account(&self) -> usize {
        self.account
    }

    /// Sets an account's free balance of `asset` (an `/account/balance` push follows).
    pub fn set_balance(
        &self,
        account: usize,
        asset: &str,
        free: Decimal,
    ) -> Result<(), KuCoinMockError> {
        if self.shared.set_free_balance(account, asset, free) {
            Ok(())
        } else {
            Err(KuCoinMockError::UnknownAccount(account))
        }
    }

    /// The simulator's own book of `symbol`, every level, with its sequence.
    pub fn book(&self, symbol: &str) -> Result<KuCoinBook, KuCoinMockError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(symbol).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(KuCoinBook {
            sequence: book.update_id,
            bids,
            asks,
        })
    }

    /// Every order of an account, oldest first.
    pub fn orders_of(&self, account: usize) -> Vec<KuCoinOrderView> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == account)
            .map(|o| KuCoinOrderView {
                id: o.id,
                client_oid: o.client_order_id.clone(),
                status: o.status,
                filled: o.executed_qty,
                size: o.orig_qty,
            })
            .collect()
    }

    /// Seeds `levels` bids and asks of `qty` around `mid`, `spacing_ticks` apart.
    pub fn seed_book(
        &self,
        symbol: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), KuCoinMockError> {
        Ok(self
            .shared
            .seed_book(symbol, mid, levels, spacing_ticks, qty)?)
    }

    /// `count` random book operations on `symbol`, one every `pause`, releasing the engine in
    /// between so that clients can snapshot and trade meanwhile; how many changed the book.
    pub async fn random_book_updates_paced(
        &self,
        symbol: &str,
        seed: u64,
        count: usize,
        pause: Duration,
    ) -> Result<usize, KuCoinMockError> {
        Ok(self
            .shared
            .random_book_updates_paced(symbol, seed, count, pause)
            .await?)
    }

    /// Connections closed because the client stopped pinging.
    pub fn ping_timeouts(&self) -> usize {
        self.shared.ping_timeouts.load(Ordering::SeqCst)
    }

    /// Delays the answers to orders and cancels (they execute at once).
    pub fn set_ack_delay(&self, delay: Duration) {
        *lock(&self.shared.ack_delay) = delay;
    }

    /// Requests answered 429 by the resource pools so far.
    pub fn rejected_429(&self) -> usize {
        self.shared.rejected_429.load(Ordering::SeqCst)
    }
}

/// The controls every simulated exchange shares (faults, connections, clock, fills, balances,
/// liquidity): [`Controls`].
impl Deref for MockKuCoin {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.shared
    }
}

impl Drop for MockKuCoin {
    fn drop(&mut self) {
        self.stop();
    }
}
