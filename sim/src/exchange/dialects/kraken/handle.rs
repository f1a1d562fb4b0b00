//! The test-facing handle of the simulated Kraken: start/stop, URLs, credentials, and controls
//! (liquidity, balances, orders filled behind the client's back, book-feed, connection and HTTP
//! faults, rate-limit inspection). See the dialect's module doc.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use rand::RngCore;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use super::names;
use super::rest;
use super::shapes::{KrakenEvents, SymbolNames};
use super::shared::{BookFaults, HttpFault, KrakenLimits, Shared, lock};
use super::ws;
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::{Servers, market_maker_account, serve_http, trading_account};
use crate::exchange::engine::spec::{NotionalFilter, SymbolSpec};

/// Errors of the handle.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot bind the simulated Kraken on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    #[error("simulated Kraken refused the operation: {0}")]
    Rejected(#[from] EngineError),
    #[error("unknown account {0}")]
    UnknownAccount(usize),
}

/// A Kraken spot pair of the asset codes `base` and `quote` (`XETH`, `USDT`) as the simulator
/// lists it: named by its `altname` (`ETHUSDT`), price tick `tick`, `ordermin` `min`, 8 lot
/// decimals, `costmin` 0.5, fees 0.25 % maker / 0.40 % taker (Kraken's first tier).
pub fn kraken_pair(base: &str, quote: &str, tick: Decimal, min: Decimal) -> SymbolSpec {
    SymbolSpec {
        symbol: altname(base, quote),
        base: base.to_string(),
        quote: quote.to_string(),
        tick_size: tick,
        min_price: tick,
        max_price: dec!(100000000),
        step_size: dec!(0.00000001),
        min_qty: min,
        max_qty: dec!(100000000),
        min_notional: dec!(0.5),
        max_notional: dec!(100000000000),
        notional_filter: NotionalFilter::MinNotional,
        maker_fee: dec!(0.0025),
        taker_fee: dec!(0.004),
    }
}

/// The `altname` of the pair of asset codes `base`/`quote` (`XXBT`, `ZUSD` → `XBTUSD`).
pub fn altname(base: &str, quote: &str) -> String {
    format!(
        "{}{}",
        names::asset_names(base).0,
        names::asset_names(quote).0
    )
}

/// Kraken's spot pairs as the simulator lists them by default: `XBTUSD` (tick 0.1, `ordermin`
/// 0.0001) and `ETHUSD` (tick 0.01, `ordermin` 0.002), see [`kraken_pair`].
pub fn kraken_symbols() -> Vec<SymbolSpec> {
    vec![
        kraken_pair("XXBT", "ZUSD", dec!(0.1), dec!(0.0001)),
        kraken_pair("XETH", "ZUSD", dec!(0.01), dec!(0.002)),
    ]
}

/// Configuration of a simulated Kraken.
#[derive(Clone)]
pub struct KrakenMockConfig {
    pub symbols: Vec<SymbolSpec>,
    pub limits: KrakenLimits,
    /// API key of the trading account (random when `None`).
    pub api_key: Option<String>,
    /// Its secret, base64 as Kraken issues them (random 64 bytes when `None`).
    pub api_secret: Option<Zeroizing<String>>,
    /// Balances of the trading account by asset code (`XXBT`, `ZUSD`).
    pub balances: Vec<(String, Decimal)>,
    /// Interval of the WebSocket heartbeats (Kraken: 1 s).
    pub heartbeat: Duration,
}

impl fmt::Debug for KrakenMockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KrakenMockConfig")
            .field("symbols", &self.symbols)
            .field("limits", &self.limits)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("balances", &self.balances)
            .finish()
    }
}

impl Default for KrakenMockConfig {
    fn default() -> Self {
        Self {
            symbols: kraken_symbols(),
            limits: KrakenLimits::default(),
            api_key: None,
            api_secret: None,
            balances: vec![
                ("ZUSD".into(), dec!(100000)),
                ("XXBT".into(), dec!(100)),
                ("XETH".into(), dec!(100)),
            ],
            heartbeat: Duration::from_secs(1),
        }
    }
}

/// An order as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrakenOrderView {
    pub txid: String,
    pub engine_id: u64,
    pub cl_ord_id: String,
    /// REST status: `open`, `closed`, `canceled`, `expired`.
    pub status: String,
    pub vol: Decimal,
    pub vol_exec: Decimal,
}

/// A running simulated Kraken. Dropping it stops the servers.
pub struct MockKraken {
    shared: Arc<Shared>,
    servers: Servers,
    api_key: String,
    api_secret: Zeroizing<String>,
    account: usize,
}

impl fmt::Debug for MockKraken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockKraken")
            .field("rest_url", &self.rest_url())
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

fn random_secret() -> Zeroizing<String> {
    let mut b = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut b);
    Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(b))
}

fn random_key() -> String {
    let mut b = [0u8; 28];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::STANDARD.encode(b)
}

impl MockKraken {
    pub async fn start() -> Result<Self, MockError> {
        Self::start_with(KrakenMockConfig::default()).await
    }

    pub async fn start_with(config: KrakenMockConfig) -> Result<Self, MockError> {
        let mm = market_maker_account(&config.symbols, random_key(), random_secret());
        let symbols: HashMap<String, SymbolNames> = config
            .symbols
            .iter()
            .map(|s| (s.symbol.clone(), SymbolNames::of(s)))
            .collect();
        let mut exchange = Exchange::new(
            config.symbols.clone(),
            mm,
            Arc::new(KrakenEvents { symbols }),
        );
        let api_key = config.api_key.clone().unwrap_or_else(random_key);
        let api_secret = config.api_secret.clone().unwrap_or_else(random_secret);
        let trader = trading_account(api_key.clone(), api_secret.clone(), &config.balances);
        let account = exchange.add_account(trader);
        let shared = Arc::new(Shared::new(exchange, config.limits, config.heartbeat));
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self {
            shared,
            servers,
            api_key,
            api_secret,
            account,
        };
        mock.spawn(http, wsl);
        tracing::info!(rest = %mock.rest_url(), ws = %mock.ws_url(), "simulated Kraken started");
        Ok(mock)
    }

    fn spawn(&self, http: TcpListener, wsl: TcpListener) {
        let rest_shared = self.shared.clone();
        self.servers.track([
            tokio::spawn(serve_http(
                http,
                self.shared.shutdown.subscribe(),
                move |req| rest::handle(rest_shared.clone(), req),
            )),
            tokio::spawn(ws::serve(wsl, self.shared.clone())),
        ]);
    }

    /// Stops the servers and closes every connection (state kept).
    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// REST base URL, `http://127.0.0.1:<port>` (`/0/public/…`, `/0/private/…`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// Public WebSocket v2 URL.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/v2", self.servers.ws_addr())
    }

    /// Private WebSocket v2 URL.
    pub fn ws_auth_url(&self) -> String {
        format!("ws://{}/auth/v2", self.servers.ws_addr())
    }

    /// A `[connect.kraken]` table pointing the connector here (`public_per_second` as limited).
    pub fn connect_table(&self) -> String {
        format!(
            "rest_url = \"{}\"\nws_url = \"{}\"\nws_auth_url = \"{}\"\npublic_per_second = {}\n",
            self.rest_url(),
            self.ws_url(),
            self.ws_auth_url(),
            self.shared.limits.public.max
        )
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The trading account's secret (base64).
    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// Seeds `levels` bids and asks of `qty` around `mid`, `spacing_ticks` apart.
    pub fn seed_book(
        &self,
        symbol: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), MockError> {
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
    ) -> Result<usize, MockError> {
        Ok(self
            .shared
            .random_book_updates_paced(symbol, seed, count, pause)
            .await?)
    }

    /// The true book's top `n` levels per side, best first.
    pub fn top(&self, symbol: &str, n: usize) -> (Vec<PriceLevel>, Vec<PriceLevel>) {
        self.shared
            .exchange()
            .books
            .get(symbol)
            .map(|b| b.levels(n))
            .unwrap_or_default()
    }

    /// The trading account's orders with client id `cl_ord_id`, oldest first.
    pub fn orders_by_client_id(&self, cl_ord_id: &str) -> Vec<KrakenOrderView> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == self.account && o.client_order_id == cl_ord_id)
            .map(|o| KrakenOrderView {
                txid: names::order_txid(o.id),
                engine_id: o.id,
                cl_ord_id: o.client_order_id.clone(),
                status: names::rest_status(o.status).to_string(),
                vol: o.orig_qty,
                vol_exec: o.executed_qty,
            })
            .collect()
    }

    /// Sets the trading account's free balance of `asset` (a Kraken code).
    pub fn set_balance(&self, asset: &str, free: Decimal) {
        let now = self.shared.now_ms();
        self.shared
            .exchange()
            .set_balance(self.account, asset, free, now);
    }

    /// The trading account's balance of `asset`.
    pub fn balance(&self, asset: &str) -> Balance {
        let ex = self.shared.exchange();
        ex.accounts
            .get(self.account)
            .and_then(|a| a.balances.get(asset).copied())
            .unwrap_or_default()
    }

    /// Adds book-feed faults, each consumed by the next update sent.
    pub fn add_book_faults(&self, faults: BookFaults) {
        let mut f = lock(&self.shared.book_faults);
        f.drop += faults.drop;
        f.duplicate += faults.duplicate;
        f.swap += faults.swap;
        f.corrupt += faults.corrupt;
    }

    /// Book-feed faults not yet applied.
    pub fn pending_book_faults(&self) -> BookFaults {
        *lock(&self.shared.book_faults)
    }

    pub fn set_market_streams_down(&self, down: bool) {
        self.shared
            .market_streams_down
            .store(down, Ordering::SeqCst);
    }

    /// Requests refused for a rate limit so far (REST counters, engine counters, public 429s).
    pub fn rate_limited_count(&self) -> usize {
        self.shared.rate_limited.load(Ordering::Relaxed)
    }

    /// The trading account's REST counter now (calls).
    pub fn api_counter(&self) -> u64 {
        let now = self.shared.now_ms();
        lock(&self.shared.api_counters)
            .get(&self.account)
            .map_or(0, |c| c.calls(self.shared.limits.api, now))
    }
}

/// The controls every simulated exchange shares (faults, connections, clock, fills, balances,
/// liquidity): [`Controls`].
impl Deref for MockKraken {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.shared
    }
}

impl Drop for MockKraken {
    fn drop(&mut self) {
        self.stop();
    }
}
