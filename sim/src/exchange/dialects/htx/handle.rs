//! The test-facing handle of the simulated HTX: start/stop, URLs, credentials, and controls
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

use super::error::HtxError;
use super::shapes::{HtxEvents, state};
use super::shared::{HttpFault, HtxLimits, Shared};
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
pub enum HtxMockError {
    #[error("cannot bind the simulated HTX on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    #[error("the simulated HTX refused the operation: {} {}", .0.code, .0.message)]
    Rejected(HtxError),
    #[error("unknown account {0}")]
    UnknownAccount(usize),
}

impl From<EngineError> for HtxMockError {
    fn from(e: EngineError) -> Self {
        HtxMockError::Rejected(e.into())
    }
}

/// HTX's symbols as the simulator lists them by default: `btcusdt` (price precision 2, amount
/// precision 4) and `ethusdt` (2, 3), minimum order value 5 USDT, fee 0.2 %.
pub fn htx_symbols() -> Vec<SymbolSpec> {
    let pair = |base: &str, step: Decimal| {
        let mut s = SymbolSpec::new(base, "USDT");
        s.symbol = format!("{}usdt", base.to_ascii_lowercase());
        s.tick_size = dec!(0.01);
        s.min_price = dec!(0.01);
        s.step_size = step;
        s.min_qty = step;
        s.max_qty = dec!(100000);
        s.min_notional = dec!(5);
        s.notional_filter = NotionalFilter::MinNotional;
        s.maker_fee = dec!(0.002);
        s.taker_fee = dec!(0.002);
        s
    };
    vec![pair("BTC", dec!(0.0001)), pair("ETH", dec!(0.001))]
}

/// Configuration of a simulated HTX.
#[derive(Clone)]
pub struct HtxMockConfig {
    pub symbols: Vec<SymbolSpec>,
    pub limits: HtxLimits,
    /// API key of the default trading account (random when `None`).
    pub api_key: Option<String>,
    /// Its secret (random when `None`).
    pub api_secret: Option<Zeroizing<String>>,
    /// Free balances of the default trading account.
    pub balances: Vec<(String, Decimal)>,
    /// How often the servers ping.
    pub ping_every: Duration,
}

impl fmt::Debug for HtxMockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HtxMockConfig")
            .field("symbols", &self.symbols.len())
            .field("limits", &self.limits)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Default for HtxMockConfig {
    fn default() -> Self {
        Self {
            symbols: htx_symbols(),
            limits: HtxLimits::default(),
            api_key: None,
            api_secret: None,
            balances: vec![
                ("USDT".into(), dec!(10000)),
                ("BTC".into(), dec!(100)),
                ("ETH".into(), dec!(100)),
            ],
            ping_every: Duration::from_secs(5),
        }
    }
}

/// An order as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtxOrderView {
    pub id: u64,
    pub client_order_id: String,
    /// HTX's state word.
    pub state: String,
    pub filled: Decimal,
    pub amount: Decimal,
}

/// A running simulated HTX. Dropping it stops the servers.
pub struct MockHtx {
    shared: Arc<Shared>,
    servers: Servers,
    api_key: String,
    api_secret: Zeroizing<String>,
    account: usize,
}

impl fmt::Debug for MockHtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockHtx")
            .field("rest_url", &self.rest_url())
            .field("ws_url", &self.ws_url())
            .finish_non_exhaustive()
    }
}

impl MockHtx {
    pub async fn start() -> Result<Self, HtxMockError> {
        Self::start_with(HtxMockConfig::default()).await
    }

    pub async fn start_with(config: HtxMockConfig) -> Result<Self, HtxMockError> {
        let mm = market_maker_account(
            &config.symbols,
            random_token(32),
            Zeroizing::new(random_token(64)),
        );
        let mut exchange = Exchange::new(config.symbols.clone(), mm, Arc::new(HtxEvents));
        let api_key = config.api_key.clone().unwrap_or_else(|| random_token(32));
        let api_secret = config
            .api_secret
            .clone()
            .unwrap_or_else(|| Zeroizing::new(random_token(64)));
        let trader = trading_account(api_key.clone(), api_secret.clone(), &config.balances);
        let account = exchange.add_account(trader);
        let mut shared = Shared::new(exchange, config.limits.clone());
        shared.ping_every = config.ping_every;
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self {
            shared: Arc::new(shared),
            servers,
            api_key,
            api_secret,
            account,
        };
        mock.spawn(http, wsl);
        tracing::info!(rest = %mock.rest_url(), ws = %mock.ws_url(), "simulated HTX started");
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
    pub async fn restart(&self) -> Result<(), HtxMockError> {
        let (http, wsl) = self.servers.rebind(&self.shared.shutdown).await?;
        self.spawn(http, wsl);
        Ok(())
    }

    /// REST host, `http://127.0.0.1:<port>`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// WebSocket base, `ws://127.0.0.1:<port>` (`/feed`, `/ws`, `/ws/v2`).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.servers.ws_addr())
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// The default trading account (its id is HTX's `account-id`).
    pub fn account(&self) -> usize {
        self.account
    }

    /// Sets an account's free balance of `asset` (an `accounts.update` push follows).
    pub fn set_balance(
        &self,
        account: usize,
        asset: &str,
        free: Decimal,
    ) -> Result<(), HtxMockError> {
        if self.shared.set_free_balance(account, asset, free) {
            Ok(())
        } else {
            Err(HtxMockError::UnknownAccount(account))
        }
    }

    /// The simulator's own book of `symbol`, every level, with its `seqNum`.
    pub fn book(
        &self,
        symbol: &str,
    ) -> Result<(u64, Vec<PriceLevel>, Vec<PriceLevel>), HtxMockError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(symbol).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok((book.update_id, bids, asks))
    }

    /// Every order of an account, oldest first.
    pub fn orders_of(&self, account: usize) -> Vec<HtxOrderView> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == account)
            .map(|o| HtxOrderView {
                id: o.id,
                client_order_id: o.client_order_id.clone(),
                state: state(o).to_string(),
                filled: o.executed_qty,
                amount: o.orig_qty,
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
    ) -> Result<(), HtxMockError> {
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
    ) -> Result<usize, HtxMockError> {
        Ok(self
            .shared
            .random_book_updates_paced(symbol, seed, count, pause)
            .await?)
    }

    /// Requests answered 429 by the rate limits so far.
    pub fn rejected_429(&self) -> usize {
        self.shared.rejected_429.load(Ordering::SeqCst)
    }
}

/// The controls every simulated exchange shares (faults, connections, clock, fills, balances,
/// liquidity): [`Controls`].
impl Deref for MockHtx {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.shared
    }
}

impl Drop for MockHtx {
    fn drop(&mut self) {
        self.stop();
    }
}
