//! The test-facing handle of the simulated Coinbase Advanced Trade: start/stop, URLs, the
//! trader's CDP key, and controls (liquidity, balances, inspection, depth and connection faults,
//! HTTP faults, clock).

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

use super::error::CbError;
use super::shapes::{CoinbaseEvents, order_id, status};
use super::shared::{CoinbaseLimits, HttpFault, Shared, lock};
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
pub enum CoinbaseMockError {
    #[error("cannot bind the simulated Coinbase Advanced Trade on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    #[error("the simulated Coinbase Advanced Trade refused the operation: {} {}", .0.error, .0.message)]
    Rejected(CbError),
    #[error("unknown account {0}")]
    UnknownAccount(usize),
}

impl From<EngineError> for CoinbaseMockError {
    fn from(e: EngineError) -> Self {
        CoinbaseMockError::Rejected(e.into())
    }
}

/// A product as the simulator lists it: tick 0.01, step 0.00000001, minimum order 1 of the quote
/// asset, fees 0.4 % maker / 0.6 % taker.
pub fn product_spec(base: &str, quote: &str) -> SymbolSpec {
    let mut s = SymbolSpec::new(base, quote);
    s.symbol = format!("{base}-{quote}");
    s.tick_size = dec!(0.01);
    s.min_price = dec!(0.01);
    s.step_size = dec!(0.00000001);
    s.min_qty = dec!(0.00000001);
    s.max_qty = dec!(10000);
    s.min_notional = dec!(1);
    s.notional_filter = NotionalFilter::MinNotional;
    s.maker_fee = dec!(0.004);
    s.taker_fee = dec!(0.006);
    s
}

/// Products as the simulator lists them by default: BTC-USD and ETH-USD ([`product_spec`]).
pub fn coinbase_products() -> Vec<SymbolSpec> {
    vec![product_spec("BTC", "USD"), product_spec("ETH", "USD")]
}

/// A fresh CDP key: its PEM private key (SEC1, one line with `\n` escapes, as Coinbase's key file
/// writes it) and its public part.
pub fn new_cdp_key() -> (Zeroizing<String>, p256::ecdsa::VerifyingKey) {
    loop {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::thread_rng().fill_bytes(bytes.as_mut());
        let Ok(secret) = p256::SecretKey::from_slice(bytes.as_ref()) else {
            continue;
        };
        let Ok(der) = secret.to_sec1_der() else {
            continue;
        };
        let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der.as_slice()));
        let mut pem = Zeroizing::new(String::from("-----BEGIN EC PRIVATE KEY-----\\n"));
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(chunk));
            pem.push_str("\\n");
        }
        pem.push_str("-----END EC PRIVATE KEY-----\\n");
        let public = *p256::ecdsa::SigningKey::from(&secret).verifying_key();
        return (pem, public);
    }
}

/// Configuration of a simulated Coinbase Advanced Trade.
#[derive(Clone)]
pub struct CoinbaseConfig {
    pub symbols: Vec<SymbolSpec>,
    pub limits: CoinbaseLimits,
    /// Free balances of the default trading account.
    pub balances: Vec<(String, Decimal)>,
}

impl fmt::Debug for CoinbaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoinbaseConfig")
            .field("symbols", &self.symbols.len())
            .field("limits", &self.limits)
            .finish()
    }
}

impl Default for CoinbaseConfig {
    fn default() -> Self {
        Self {
            symbols: coinbase_products(),
            limits: CoinbaseLimits::default(),
            balances: vec![
                ("USD".into(), dec!(10000)),
                ("BTC".into(), dec!(100)),
                ("ETH".into(), dec!(100)),
            ],
        }
    }
}

/// The simulator's own book of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinbaseBook {
    /// The engine's update id of the last change.
    pub id: u64,
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// An order as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinbaseOrderView {
    /// The engine's id (fill it with [`MockCoinbaseAdvanced::fill_order`]).
    pub id: u64,
    /// Coinbase's order id.
    pub order_id: String,
    pub client_order_id: String,
    /// `OPEN`, `FILLED`, `CANCELLED`, `EXPIRED`.
    pub status: String,
    pub filled: Decimal,
    pub amount: Decimal,
}

/// A running simulated Coinbase Advanced Trade. Dropping it stops the servers.
pub struct MockCoinbaseAdvanced {
    shared: Arc<Shared>,
    servers: Servers,
    key_name: String,
    pem: Zeroizing<String>,
    account: usize,
}

impl fmt::Debug for MockCoinbaseAdvanced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockCoinbaseAdvanced")
            .field("rest_url", &self.rest_url())
            .field("ws_url", &self.ws_url())
            .finish_non_exhaustive()
    }
}

impl MockCoinbaseAdvanced {
    pub async fn start() -> Result<Self, CoinbaseMockError> {
        Self::start_with(CoinbaseConfig::default()).await
    }

    pub async fn start_with(config: CoinbaseConfig) -> Result<Self, CoinbaseMockError> {
        let mm = market_maker_account(
            &config.symbols,
            random_token(32),
            Zeroizing::new(random_token(64)),
        );
        let mut exchange = Exchange::new(
            config.symbols.clone(),
            mm,
            Arc::new(CoinbaseEvents::default()),
        );
        let key_name = format!(
            "organizations/{}/apiKeys/{}",
            random_token(12),
            random_token(12)
        );
        let (pem, public) = new_cdp_key();
        // the engine's HMAC secret is never used: requests are verified with the public key
        let trader = trading_account(
            key_name.clone(),
            Zeroizing::new(random_token(64)),
            &config.balances,
        );
        let account = exchange.add_account(trader);
        let shared = Arc::new(Shared::new(exchange, config.limits.clone()));
        lock(&shared.public_keys).insert(key_name.clone(), public);
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self {
            shared,
            servers,
            key_name,
            pem,
            account,
        };
        mock.spawn(http, wsl);
        tracing::info!(rest = %mock.rest_url(), ws = %mock.ws_url(), "simulated Coinbase Advanced Trade started");
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
    pub async fn restart(&self) -> Result<(), CoinbaseMockError> {
        let (http, wsl) = self.servers.rebind(&self.shared.shutdown).await?;
        self.spawn(http, wsl);
        Ok(())
    }

    /// REST host, `http://127.0.0.1:<port>` (endpoints under `/api/v3/brokerage`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// The market-data websocket, `ws://127.0.0.1:<port>/`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/", self.servers.ws_addr())
    }

    /// The user websocket, `ws://127.0.0.1:<port>/user`.
    pub fn user_ws_url(&self) -> String {
        format!("ws://{}/user", self.servers.ws_addr())
    }

    /// The trader's CDP key name (`organizations/…/apiKeys/…`).
    pub fn api_key(&self) -> &str {
        &self.key_name
    }

    /// The trader's CDP private key, PEM on one line with `\n` escapes.
    pub fn api_secret(&self) -> &str {
        &self.pem
    }

    /// The default trading account.
    pub fn account(&self) -> usize {
        self.account
    }

    /// Sets an account's free balance of `asset`.
    pub fn set_balance(
        &self,
        account: usize,
        asset: &str,
        free: Decimal,
    ) -> Result<(), CoinbaseMockError> {
        if self.shared.set_free_balance(account, asset, free) {
            Ok(())
        } else {
            Err(CoinbaseMockError::UnknownAccount(account))
        }
    }

    /// The simulator's own book of `product`, every level.
    pub fn book(&self, product: &str) -> Result<CoinbaseBook, CoinbaseMockError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(product).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(CoinbaseBook {
            id: book.update_id,
            bids,
            asks,
        })
    }

    /// Every order of an account, oldest first.
    pub fn orders_of(&self, account: usize) -> Vec<CoinbaseOrderView> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == account)
            .map(|o| CoinbaseOrderView {
                id: o.id,
                order_id: order_id(o.id),
                client_order_id: o.client_order_id.clone(),
                status: status(o).to_string(),
                filled: o.executed_qty,
                amount: o.orig_qty,
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
    ) -> Result<(), CoinbaseMockError> {
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
    ) -> Result<usize, CoinbaseMockError> {
        Ok(self
            .shared
            .random_book_updates_paced(product, seed, count, pause)
            .await?)
    }

    /// Loses the next `n` user-channel messages (their sequence numbers are used: a gap).
    pub fn lose_next_user_messages(&self, n: usize) {
        self.shared.user_skips.fetch_add(n, Ordering::SeqCst);
    }

    /// Delays the answers to order creation and cancels (they execute at once).
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
impl Deref for MockCoinbaseAdvanced {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.shared
    }
}

impl Drop for MockCoinbaseAdvanced {
    fn drop(&mut self) {
        self.stop();
    }
}
