//! The test-facing handle of the simulated Coinbase Exchange: start/stop, URLs, credentials
//! (key, base64 secret, passphrase), and controls (liquidity, balances, inspection, book and
//! connection faults, HTTP faults, clock).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use super::error::CbError;
use super::shapes::{CoinbaseEvents, Sequences, order_uuid, status};
use super::shared::{CbLimits, HttpFault, Shared, lock};
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
pub enum CbMockError {
    #[error("cannot bind the simulated Coinbase Exchange on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    #[error("the simulated Coinbase Exchange refused the operation: {}", .0.message)]
    Rejected(CbError),
    #[error("unknown account {0}")]
    UnknownAccount(usize),
}

impl From<EngineError> for CbMockError {
    fn from(e: EngineError) -> Self {
        CbMockError::Rejected(e.into())
    }
}

/// Coinbase's products as the simulator lists them by default: BTC-USD (tick 0.01, step
/// 0.00000001, at least 0.0001) and ETH-USD (tick 0.01, step 0.00000001, at least 0.001), market
/// funds at least 1 USD.
pub fn coinbase_symbols() -> Vec<SymbolSpec> {
    vec![
        product_spec("BTC", "USD", dec!(0.0001)),
        product_spec("ETH", "USD", dec!(0.001)),
    ]
}

/// A product as the simulator lists it: tick 0.01, step 0.00000001, at least `min` base, market
/// funds at least 1 of the quote asset, fees 0.4 % maker and 0.6 % taker.
pub fn product_spec(base: &str, quote: &str, min: Decimal) -> SymbolSpec {
    let mut s = SymbolSpec::new(base, quote);
    s.symbol = format!("{base}-{quote}");
    s.tick_size = dec!(0.01);
    s.min_price = dec!(0.01);
    s.step_size = dec!(0.00000001);
    s.min_qty = min;
    s.max_qty = dec!(10000);
    s.min_notional = dec!(1);
    s.notional_filter = NotionalFilter::MinNotional;
    s.maker_fee = dec!(0.004);
    s.taker_fee = dec!(0.006);
    s
}

/// Configuration of a simulated Coinbase Exchange.
#[derive(Clone)]
pub struct CbConfig {
    pub symbols: Vec<SymbolSpec>,
    pub limits: CbLimits,
    /// (maker, taker) fee rates of the trading account (`/fees`; every fill pays them).
    pub fee_rates: (Decimal, Decimal),
    pub api_key: Option<String>,
    /// The base64 secret (random when `None`).
    pub api_secret: Option<Zeroizing<String>>,
    pub passphrase: Option<Zeroizing<String>>,
    /// Free balances of the default trading account.
    pub balances: Vec<(String, Decimal)>,
}

impl fmt::Debug for CbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CbConfig")
            .field("symbols", &self.symbols.len())
            .field("limits", &self.limits)
            .field("fee_rates", &self.fee_rates)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("passphrase", &"<redacted>")
            .finish()
    }
}

impl Default for CbConfig {
    fn default() -> Self {
        Self {
            symbols: coinbase_symbols(),
            limits: CbLimits::default(),
            fee_rates: (dec!(0.004), dec!(0.006)),
            api_key: None,
            api_secret: None,
            passphrase: None,
            balances: vec![
                ("USD".into(), dec!(100000)),
                ("BTC".into(), dec!(100)),
                ("ETH".into(), dec!(100)),
            ],
        }
    }
}

/// The simulator's own book of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CbBook {
    /// The product's sequence (book updates published so far).
    pub sequence: u64,
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// An order as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CbOrderView {
    pub id: u64,
    /// Coinbase's UUID of the order.
    pub uuid: String,
    pub client_oid: String,
    /// `open` or `done`.
    pub status: String,
    pub filled: Decimal,
    pub size: Decimal,
}

/// A running simulated Coinbase Exchange. Dropping it stops the servers.
pub struct MockCoinbasePro {
    shared: Arc<Shared>,
    servers: Servers,
    api_key: String,
    api_secret: Zeroizing<String>,
    passphrase: Zeroizing<String>,
    account: usize,
}

impl fmt::Debug for MockCoinbasePro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockCoinbasePro")
            .field("rest_url", &self.rest_url())
            .field("ws_url", &self.ws_url())
            .finish_non_exhaustive()
    }
}

impl MockCoinbasePro {
    pub async fn start() -> Result<Self, CbMockError> {
        Self::start_with(CbConfig::default()).await
    }

    pub async fn start_with(config: CbConfig) -> Result<Self, CbMockError> {
        let b64 =
            |n| Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(random_token(n)));
        let mm = market_maker_account(&config.symbols, random_token(32), b64(48));
        let sequences = Sequences::default();
        let fees: BTreeMap<String, (Decimal, Decimal)> = config
            .symbols
            .iter()
            .map(|s| (s.symbol.clone(), config.fee_rates))
            .collect();
        let shapes = Arc::new(CoinbaseEvents {
            sequences: sequences.clone(),
            fees,
        });
        let mut exchange = Exchange::new(config.symbols.clone(), mm, shapes);
        let api_key = config.api_key.clone().unwrap_or_else(|| random_token(32));
        let api_secret = config.api_secret.clone().unwrap_or_else(|| b64(48));
        let passphrase = config
            .passphrase
            .clone()
            .unwrap_or_else(|| Zeroizing::new(random_token(16)));
        let trader = trading_account(api_key.clone(), api_secret.clone(), &config.balances);
        let account = exchange.add_account(trader);
        let shared = Arc::new(Shared::new(
            exchange,
            sequences,
            config.fee_rates,
            config.limits.clone(),
        ));
        lock(&shared.passphrases).insert(api_key.clone(), passphrase.to_string());
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self {
            shared,
            servers,
            api_key,
            api_secret,
            passphrase,
            account,
        };
        mock.spawn(http, wsl);
        tracing::info!(rest = %mock.rest_url(), ws = %mock.ws_url(), "simulated Coinbase Exchange started");
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
            tokio::spawn(ws::heartbeats(shared.clone())),
            tokio::spawn(release_held_diffs(shared, |s: &Shared| s.exchange())),
        ]);
    }

    /// Stops the servers and closes every connection; the state is kept for `restart`.
    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// Starts the servers again on the same ports with the same state.
    pub async fn restart(&self) -> Result<(), CbMockError> {
        let (http, wsl) = self.servers.rebind(&self.shared.shutdown).await?;
        self.spawn(http, wsl);
        Ok(())
    }

    /// REST host, `http://127.0.0.1:<port>`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// The websocket feed, `ws://127.0.0.1:<port>/`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/", self.servers.ws_addr())
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The base64 secret.
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

    /// Sets an account's free balance of `asset` (a `balance` message follows).
    pub fn set_balance(
        &self,
        account: usize,
        asset: &str,
        free: Decimal,
    ) -> Result<(), CbMockError> {
        if self.shared.set_free_balance(account, asset, free) {
            Ok(())
        } else {
            Err(CbMockError::UnknownAccount(account))
        }
    }

    /// The simulator's own book of `product`, every level, with its sequence.
    pub fn book(&self, product: &str) -> Result<CbBook, CbMockError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(product).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(CbBook {
            sequence: self.shared.sequences.current(product),
            bids,
            asks,
        })
    }

    /// Every order of an account, oldest first.
    pub fn orders_of(&self, account: usize) -> Vec<CbOrderView> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == account)
            .map(|o| CbOrderView {
                id: o.id,
                uuid: order_uuid(o.id),
                client_oid: o.client_order_id.clone(),
                status: status(o).0.to_string(),
                filled: o.executed_qty,
                size: o.orig_qty,
            })
            .collect()
    }

    /// Seeds `levels` bids and asks of `qty` around `mid`, `spacing_ticks` apart.
    pub fn seed_book(
        &self,
        product: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), CbMockError> {
        Ok(self
            .shared
            .seed_book(product, mid, levels, spacing_ticks, qty)?)
    }

    /// `count` random book operations on `product`, one every `pause`, releasing the engine in
    /// between so that clients can snapshot and trade meanwhile; how many changed the book.
    pub async fn random_book_updates_paced(
        &self,
        product: &str,
        seed: u64,
        count: usize,
        pause: Duration,
    ) -> Result<usize, CbMockError> {
        Ok(self
            .shared
            .random_book_updates_paced(product, seed, count, pause)
            .await?)
    }

    /// Delays the answers to orders and cancels (they execute at once).
    pub fn set_ack_delay(&self, delay: Duration) {
        *lock(&self.shared.ack_delay) = delay;
    }

    /// Requests answered 429 by the rate limits so far.
    pub fn rejected_429(&self) -> usize {
        self.shared.rejected_429.load(Ordering::SeqCst)
    }
}

/// The controls every simulated exchange shares (faults, connections, clock, fills, balances,
/// liquidity): [`Controls`].
impl Deref for MockCoinbasePro {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.shared
    }
}

impl Drop for MockCoinbasePro {
    fn drop(&mut self) {
        self.stop();
    }
}
