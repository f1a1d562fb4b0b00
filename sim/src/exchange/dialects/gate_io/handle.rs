//! The test-facing handle of the simulated Gate.io: start/stop, URLs, credentials, and controls
//! (liquidity, balances, inspection, depth and connection faults, HTTP faults, clock).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use super::error::GateError;
use super::shapes::{GateEvents, status};
use super::shared::{GateLimits, HttpFault, Shared, lock};
use super::{rest, ws};
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::{
    Servers, market_maker_account, random_token, release_held_diffs, serve_http, trading_account,
};
use crate::exchange::engine::spec::{NotionalFilter, SymbolSpec};

/// Errors of the handle.
#[derive(Debug, thiserror::Error)]
pub enum GateMockError {
    #[error("cannot bind the simulated Gate.io on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    #[error("the simulated Gate.io refused the operation: {} {}", .0.label, .0.message)]
    Rejected(GateError),
    #[error("unknown account {0}")]
    UnknownAccount(usize),
}

impl From<EngineError> for GateMockError {
    fn from(e: EngineError) -> Self {
        GateMockError::Rejected(e.into())
    }
}

/// Gate.io's pairs as the simulator lists them by default: BTC_USDT (tick 0.01, step 0.0001) and
/// ETH_USDT (tick 0.01, step 0.001), minimum order 1 USDT, fee 0.2 %.
pub fn gate_symbols() -> Vec<SymbolSpec> {
    let pair = |base: &str, step: Decimal| {
        let mut s = SymbolSpec::new(base, "USDT");
        s.symbol = format!("{base}_USDT");
        s.tick_size = dec!(0.01);
        s.min_price = dec!(0.01);
        s.step_size = step;
        s.min_qty = step;
        s.max_qty = dec!(100000);
        s.min_notional = dec!(1);
        s.notional_filter = NotionalFilter::MinNotional;
        s.maker_fee = dec!(0.002);
        s.taker_fee = dec!(0.002);
        s
    };
    vec![pair("BTC", dec!(0.0001)), pair("ETH", dec!(0.001))]
}

/// Configuration of a simulated Gate.io.
#[derive(Clone)]
pub struct GateConfig {
    pub symbols: Vec<SymbolSpec>,
    pub limits: GateLimits,
    /// API key of the default trading account (random when `None`).
    pub api_key: Option<String>,
    /// Its secret (random when `None`).
    pub api_secret: Option<Zeroizing<String>>,
    /// Free balances of the default trading account.
    pub balances: Vec<(String, Decimal)>,
}

impl fmt::Debug for GateConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GateConfig")
            .field("symbols", &self.symbols.len())
            .field("limits", &self.limits)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish()
    }
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            symbols: gate_symbols(),
            limits: GateLimits::default(),
            api_key: None,
            api_secret: None,
            balances: vec![
                ("USDT".into(), dec!(10000)),
                ("BTC".into(), dec!(100)),
                ("ETH".into(), dec!(100)),
            ],
        }
    }
}

/// The simulator's own book of a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateBook {
    /// The update id of the last change (the snapshot's `id`).
    pub id: u64,
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// An order as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateOrderView {
    pub id: u64,
    pub text: String,
    /// `open`, `closed`, `cancelled`.
    pub status: String,
    pub filled: Decimal,
    pub amount: Decimal,
}

/// A running simulated Gate.io. Dropping it stops the servers.
pub struct MockGateIo {
    shared: Arc<Shared>,
    servers: Servers,
    api_key: String,
    api_secret: Zeroizing<String>,
    account: usize,
}

impl fmt::Debug for MockGateIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockGateIo")
            .field("rest_url", &self.rest_url())
            .field("ws_url", &self.ws_url())
            .finish_non_exhaustive()
    }
}

impl MockGateIo {
    pub async fn start() -> Result<Self, GateMockError> {
        Self::start_with(GateConfig::default()).await
    }

    pub async fn start_with(config: GateConfig) -> Result<Self, GateMockError> {
        let mm = market_maker_account(
            &config.symbols,
            random_token(32),
            Zeroizing::new(random_token(64)),
        );
        let mut exchange = Exchange::new(config.symbols.clone(), mm, Arc::new(GateEvents));
        let api_key = config.api_key.clone().unwrap_or_else(|| random_token(32));
        let api_secret = config
            .api_secret
            .clone()
            .unwrap_or_else(|| Zeroizing::new(random_token(64)));
        let trader = trading_account(api_key.clone(), api_secret.clone(), &config.balances);
        let account = exchange.add_account(trader);
        let shared = Arc::new(Shared::new(exchange, config.limits.clone()));
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self {
            shared,
            servers,
            api_key,
            api_secret,
            account,
        };
        mock.spawn(http, wsl);
        tracing::info!(rest = %mock.rest_url(), ws = %mock.ws_url(), "simulated Gate.io started");
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
    pub async fn restart(&self) -> Result<(), GateMockError> {
        let (http, wsl) = self.servers.rebind(&self.shared.shutdown).await?;
        self.spawn(http, wsl);
        Ok(())
    }

    /// REST host, `http://127.0.0.1:<port>` (endpoints under `/api/v4`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// The websocket endpoint, `ws://127.0.0.1:<port>/ws/v4/`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws/v4/", self.servers.ws_addr())
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// The default trading account.
    pub fn account(&self) -> usize {
        self.account
    }

    /// Sets an account's free balance of `asset` (a `spot.balances` update follows).
    pub fn set_balance(
        &self,
        account: usize,
        asset: &str,
        free: Decimal,
    ) -> Result<(), GateMockError> {
        if self.shared.set_free_balance(account, asset, free) {
            Ok(())
        } else {
            Err(GateMockError::UnknownAccount(account))
        }
    }

    /// The simulator's own book of `pair`, every level, with its update id.
    pub fn book(&self, pair: &str) -> Result<GateBook, GateMockError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(pair).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(GateBook {
            id: book.update_id,
            bids,
            asks,
        })
    }

    /// Every order of an account, oldest first.
    pub fn orders_of(&self, account: usize) -> Vec<GateOrderView> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == account)
            .map(|o| GateOrderView {
                id: o.id,
                text: o.client_order_id.clone(),
                status: status(o).0.to_string(),
                filled: o.executed_qty,
                amount: o.orig_qty,
            })
            .collect()
    }

    /// Seeds `levels` bids and asks of `qty` around `mid`, `spacing_ticks` apart.
    pub fn seed_book(
        &self,
        pair: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), GateMockError> {
        Ok(self
            .shared
            .seed_book(pair, mid, levels, spacing_ticks, qty)?)
    }

    /// `count` random book operations on `pair`, deterministic for a seed; how many changed it.
    pub fn random_book_updates(
        &self,
        pair: &str,
        seed: u64,
        count: usize,
    ) -> Result<usize, GateMockError> {
        Ok(self.shared.random_book_updates(pair, seed, count)?)
    }

    /// `count` random book operations on `pair`, one every `pause`, releasing the engine in
    /// between so that clients can snapshot and trade meanwhile; how many changed the book.
    pub async fn random_book_updates_paced(
        &self,
        pair: &str,
        seed: u64,
        count: usize,
        pause: Duration,
    ) -> Result<usize, GateMockError> {
        Ok(self
            .shared
            .random_book_updates_paced(pair, seed, count, pause)
            .await?)
    }

    /// Delays the answers to orders and cancels (they execute at once).
    pub fn set_ack_delay(&self, delay: Duration) {
        *lock(&self.shared.ack_delay) = delay;
    }

    /// Requests answered `429 TOO_MANY_REQUESTS` by the rate limits so far.
    pub fn rejected_429(&self) -> usize {
        self.shared.rejected_429.load(Ordering::SeqCst)
    }
}

/// The controls every simulated exchange shares (faults, connections, clock, fills, balances,
/// liquidity): [`Controls`].
impl Deref for MockGateIo {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.shared
    }
}

impl Drop for MockGateIo {
    fn drop(&mut self) {
        self.stop();
    }
}
