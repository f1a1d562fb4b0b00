//! The test-facing handle of the simulated OKX: start/stop, URLs, credentials (with the
//! passphrase), and the controls (liquidity, balances, inspection, faults, clock).

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use super::error::OkxError;
use super::shapes::{OkxEvents, state_name};
use super::shared::{HttpFault, Shared, lock};
use super::{rest, ws};
use crate::exchange::engine::account::{Account, Balance};
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::{Exchange, MARKET_MAKER};
use crate::exchange::engine::server::{
    Servers, default_balances, market_maker_account, random_token, release_held_diffs, serve_http,
    trading_account,
};
use crate::exchange::engine::spec::{NotionalFilter, SymbolSpec};

/// Errors of the handle.
#[derive(Debug, thiserror::Error)]
pub enum MockOkxError {
    #[error("cannot bind the simulated OKX on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    #[error("the simulated OKX refused the operation: {0}")]
    Rejected(OkxError),
    #[error("unknown account {0}")]
    UnknownAccount(usize),
}

impl From<EngineError> for MockOkxError {
    fn from(e: EngineError) -> Self {
        MockOkxError::Rejected(e.into())
    }
}

/// An OKX spot instrument with OKX-like rules: no minimum notional (OKX publishes none), fees
/// of the regular tier (maker 0.08 %, taker 0.1 %).
pub fn okx_symbol(
    base: &str,
    quote: &str,
    tick: Decimal,
    lot: Decimal,
    min_sz: Decimal,
) -> SymbolSpec {
    SymbolSpec {
        symbol: format!("{base}-{quote}"),
        base: base.to_string(),
        quote: quote.to_string(),
        tick_size: tick,
        min_price: tick,
        max_price: dec!(10000000),
        step_size: lot,
        min_qty: min_sz,
        max_qty: dec!(100000),
        min_notional: Decimal::ZERO,
        max_notional: dec!(1000000000),
        notional_filter: NotionalFilter::MinNotional,
        maker_fee: dec!(0.0008),
        taker_fee: dec!(0.001),
    }
}

/// The instruments listed by default: BTC-USDT, ETH-USDT, ETH-BTC.
pub fn okx_symbols() -> Vec<SymbolSpec> {
    vec![
        okx_symbol("BTC", "USDT", dec!(0.1), dec!(0.00000001), dec!(0.00001)),
        okx_symbol("ETH", "USDT", dec!(0.01), dec!(0.000001), dec!(0.0001)),
        okx_symbol("ETH", "BTC", dec!(0.00001), dec!(0.000001), dec!(0.001)),
    ]
}

/// Configuration of a simulated OKX.
#[derive(Clone)]
pub struct OkxMockConfig {
    pub symbols: Vec<SymbolSpec>,
    /// API key, secret and passphrase of the default trading account (random when `None`).
    pub api_key: Option<String>,
    pub api_secret: Option<Zeroizing<String>>,
    pub passphrase: Option<Zeroizing<String>>,
    /// Free balances of the default trading account.
    pub balances: Vec<(String, Decimal)>,
    /// Whether books pushes carry the real CRC32 (default `false`: 0, as OKX since June 2026).
    pub checksums: bool,
}

impl std::fmt::Debug for OkxMockConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OkxMockConfig")
            .field("symbols", &self.symbols)
            .field("api_key", &self.api_key)
            .field("balances", &self.balances)
            .field("checksums", &self.checksums)
            .finish_non_exhaustive()
    }
}

impl Default for OkxMockConfig {
    fn default() -> Self {
        let symbols = okx_symbols();
        let balances = default_balances(&symbols);
        Self {
            symbols,
            api_key: None,
            api_secret: None,
            passphrase: None,
            balances,
            checksums: false,
        }
    }
}

/// An account (index; 0 is the market maker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OkxAccount(pub usize);

/// The simulator's own book of an instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OkxBookSnapshot {
    /// The `seqId` a books push of this state carries.
    pub seq_id: i64,
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// An order as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OkxOrderView {
    pub ord_id: u64,
    pub cl_ord_id: String,
    /// OKX state name (`live`, `partially_filled`, `filled`, `canceled`).
    pub state: String,
    pub filled: Decimal,
    pub size: Decimal,
}

/// A running simulated OKX.
pub struct MockOkx {
    shared: Arc<Shared>,
    servers: Servers,
    api_key: String,
    api_secret: Zeroizing<String>,
    passphrase: Zeroizing<String>,
    account: OkxAccount,
}

impl std::fmt::Debug for MockOkx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockOkx")
            .field("http", &self.servers.http_addr())
            .field("ws", &self.servers.ws_addr())
            .finish_non_exhaustive()
    }
}

impl MockOkx {
    /// Starts a simulated OKX with the default configuration.
    pub async fn start() -> Result<Self, MockOkxError> {
        Self::start_with(OkxMockConfig::default()).await
    }

    /// Starts a simulated OKX with `config`.
    pub async fn start_with(config: OkxMockConfig) -> Result<Self, MockOkxError> {
        let mm = market_maker_account(
            &config.symbols,
            random_token(36),
            Zeroizing::new(random_token(32)),
        );
        let mut exchange = Exchange::new(config.symbols.clone(), mm, Arc::new(OkxEvents));
        let api_key = config.api_key.clone().unwrap_or_else(|| random_token(36));
        let api_secret = config
            .api_secret
            .clone()
            .unwrap_or_else(|| Zeroizing::new(random_token(32)));
        let passphrase = config
            .passphrase
            .clone()
            .unwrap_or_else(|| Zeroizing::new(random_token(12)));
        let trader = trading_account(api_key.clone(), api_secret.clone(), &config.balances);
        let account = OkxAccount(exchange.add_account(trader));
        let shared = Arc::new(Shared::new(exchange, config.checksums));
        lock(&shared.passphrases).insert(api_key.clone(), passphrase.clone());
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

    /// Stops the servers and closes every connection; state is kept for [`MockOkx::restart`].
    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// Starts the servers again on the same ports with the same state.
    pub async fn restart(&self) -> Result<(), MockOkxError> {
        let (http, wsl) = self.servers.rebind(&self.shared.shutdown).await?;
        self.spawn(http, wsl);
        Ok(())
    }

    /// `http://127.0.0.1:<port>` (endpoints under `/api/v5/...`): the `rest_url` of `[connect.okx]`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// `ws://127.0.0.1:<port>` (`/ws/v5/public`, `/ws/v5/private`): the `ws_url` of `[connect.okx]`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.servers.ws_addr())
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
    pub fn account(&self) -> OkxAccount {
        self.account
    }

    /// Adds a trading account with these credentials and no balances.
    pub fn add_account(&self, api_key: &str, api_secret: &str, passphrase: &str) -> OkxAccount {
        let acct = Account::new(api_key.to_string(), Zeroizing::new(api_secret.to_string()));
        lock(&self.shared.passphrases).insert(api_key.into(), Zeroizing::new(passphrase.into()));
        OkxAccount(self.shared.exchange().add_account(acct))
    }

    /// Sets an account's free balance of `asset` (an `account` push follows).
    pub fn set_balance(
        &self,
        account: OkxAccount,
        asset: &str,
        free: Decimal,
    ) -> Result<(), MockOkxError> {
        let now = self.shared.now_ms();
        let mut ex = self.shared.exchange();
        if account.0 >= ex.accounts.len() {
            return Err(MockOkxError::UnknownAccount(account.0));
        }
        ex.set_balance(account.0, asset, free, now);
        Ok(())
    }

    pub fn balance(&self, account: OkxAccount, asset: &str) -> Balance {
        let ex = self.shared.exchange();
        ex.accounts
            .get(account.0)
            .and_then(|a| a.balances.get(asset).copied())
            .unwrap_or_default()
    }

    /// The simulator's book of `inst`, every level, with the `seqId` of its state.
    pub fn book(&self, inst: &str) -> Result<OkxBookSnapshot, MockOkxError> {
        let (update_id, bids, asks) = {
            let ex = self.shared.exchange();
            let book = ex.books.get(inst).ok_or(EngineError::UnknownSymbol)?;
            let (bids, asks) = book.levels(usize::MAX);
            (book.update_id, bids, asks)
        };
        Ok(OkxBookSnapshot {
            seq_id: self.shared.seq_of(inst, update_id),
            bids,
            asks,
        })
    }

    /// The orders an account placed, oldest first.
    pub fn orders_of(&self, account: OkxAccount) -> Vec<OkxOrderView> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == account.0)
            .map(|o| OkxOrderView {
                ord_id: o.id,
                cl_ord_id: o.client_order_id.clone(),
                state: state_name(o.status).to_string(),
                filled: o.executed_qty,
                size: o.orig_qty,
            })
            .collect()
    }

    /// The order of client id `cl` of the default account.
    pub fn order_by_client_id(&self, cl: &str) -> Option<OkxOrderView> {
        self.orders_of(self.account)
            .into_iter()
            .rev()
            .find(|o| o.cl_ord_id == cl)
    }

    /// Seeds `levels` bids and asks of `qty` around `mid`, `spacing_ticks` apart.
    pub fn seed_book(
        &self,
        inst: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), MockOkxError> {
        Ok(self
            .shared
            .seed_book(inst, mid, levels, spacing_ticks, qty)?)
    }

    /// `count` random book operations on `inst`, one every `pause`, releasing the engine in
    /// between so that clients can snapshot and trade meanwhile; how many changed the book.
    pub async fn random_book_updates_paced(
        &self,
        inst: &str,
        seed: u64,
        count: usize,
        pause: Duration,
    ) -> Result<usize, MockOkxError> {
        Ok(self
            .shared
            .random_book_updates_paced(inst, seed, count, pause)
            .await?)
    }

    pub fn set_market_streams_down(&self, down: bool) {
        self.shared
            .market_streams_down
            .store(down, Ordering::SeqCst);
    }

    /// The next books push carries a wrong non-zero checksum.
    pub fn corrupt_next_checksum(&self) {
        self.shared.corrupt_checksums.fetch_add(1, Ordering::SeqCst);
    }

    /// Switches real checksums on or off (off: 0, as OKX sends since June 2026).
    pub fn set_checksums(&self, on: bool) {
        self.shared.checksums.store(on, Ordering::SeqCst);
    }

    /// Sends an idle push (same `seqId`, `prevSeqId == seqId`, no levels) on every books
    /// subscription.
    pub fn push_idle_updates(&self) {
        self.shared.idle_push.send_modify(|g| *g += 1);
    }

    /// A documented sequence reset of `inst`: the next update's `seqId` restarts at `new_seq`
    /// (smaller than its `prevSeqId`), the chain unbroken.
    pub fn reset_seq_ids(&self, inst: &str, new_seq: i64) -> Result<(), MockOkxError> {
        let r = {
            let ex = self.shared.exchange();
            ex.books
                .get(inst)
                .ok_or(EngineError::UnknownSymbol)?
                .update_id
        };
        lock(&self.shared.seq_resets)
            .entry(inst.to_string())
            .or_default()
            .push((r, new_seq - 1));
        Ok(())
    }

    /// Requests refused with 429 so far.
    pub fn rate_limited_count(&self) -> u64 {
        lock(&self.shared.limits).rejected
    }

    /// Successful private logins so far.
    pub fn logins(&self) -> usize {
        self.shared.logins.load(Ordering::SeqCst)
    }

    /// The market maker (its orders make the seeded and random liquidity).
    pub fn market_maker(&self) -> OkxAccount {
        OkxAccount(MARKET_MAKER)
    }
}

/// The controls every simulated exchange shares (faults, connections, clock, fills, balances,
/// liquidity): [`Controls`].
impl Deref for MockOkx {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.shared
    }
}

impl Drop for MockOkx {
    fn drop(&mut self) {
        self.stop();
    }
}
