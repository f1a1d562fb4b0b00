//! A simulated Binance USDⓈ-M futures exchange (public side) for tests: REST and websocket servers
//! on 127.0.0.1 (random ports) over the venue-neutral engine, speaking the futures shapes —
//! `GET /fapi/v1/exchangeInfo` (perpetual contracts: PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL
//! `notional`), `/fapi/v1/depth` (`lastUpdateId`, `E`, `T`), `/fapi/v1/premiumIndex` (mark, index,
//! funding rate, next funding time on the 8-hour grid), `/fapi/v1/time`, and the
//! `<symbol>@depth@100ms` stream whose events carry `pu`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::binance_perpetual::MockBinancePerp;
//! let mock = MockBinancePerp::start().await?;
//! mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1)).expect("listed");
//! // [connect.binance_perpetual] rest_url = mock.rest_url(), ws_url = mock.ws_url()
//! # Ok(()) }
//! ```
//!
//! Signed (`private.rs`, verified by Binance's HMAC recipe): orders with `positionSide` and
//! `reduceOnly`, open orders, trades, balance, `positionRisk`, leverage, margin type, position
//! mode, `leverageBracket`. Positions, margin, funding and liquidation are the engine's perpetual
//! ledger's (`engine::perp`, Binance's formulas): size, average entry, realized PnL and fees,
//! unrealized PnL at the mark, isolated wallet, maintenance margin by bracket and the
//! liquidation price in `positionRisk`.
//!
//! Funding (`funding.rs`): settled at each funding time of the simulator's clock (advance it with
//! `set_clock_offset_ms`) or at once with [`MockBinancePerp::settle_funding`], from each position's
//! size at the mark and the rate; booked as income records (`GET /fapi/v1/income`) that move the
//! wallet balance.
//!
//! User data stream (`user.rs`): listenKeys at `/fapi/v1/listenKey`, the socket at
//! `/ws?listenKey=`, `ORDER_TRADE_UPDATE` for every execution, `ACCOUNT_UPDATE` after each order
//! and funding settlement, `listenKeyExpired` when a key lapses ([`MockBinancePerp::expire_listen_keys`]).
//!
//! Faults (the engine's, through [`Controls`]): depth skip / duplicate / swap, raw frames,
//! dropped market and user connections, user streams down.
//!
//! Liquidation (`liquidation.rs`): [`MockBinancePerp::set_mark`] past a position's liquidation
//! price closes it at its bankruptcy price, with an `autoclose-` `ORDER_TRADE_UPDATE` and an
//! `ACCOUNT_UPDATE`.

mod account;
mod funding;
mod liquidation;
mod margin;
mod private;
mod server;
pub mod shapes;
mod user;

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use crate::exchange::engine::perp::margin::binance_brackets;
use crate::exchange::engine::perp::{Liquidation, PerpLedger, Venue};
pub use crate::exchange::engine::perp::{MarginMode, PerpHandle, PosSide, PositionRisk};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use self::server::Shared;
pub use self::server::{FUNDING_INTERVAL_MS, MarkState};
use crate::exchange::dialects::binance::{
    BookSnapshot, ListenKeyCounts, ListenKeys, SymbolSpec, default_symbols,
};
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::{
    MARKET_MAKER_FUNDS, Servers, lock, market_maker_account, random_token, release_held_diffs,
    serve_http, trading_account,
};

/// The trading account's USDT deposit.
pub const DEPOSIT: Decimal = rust_decimal_macros::dec!(10000);

/// A running simulated futures exchange. Dropping it stops the servers.
pub struct MockBinancePerp {
    shared: Arc<Shared>,
    servers: Servers,
    api_key: String,
    api_secret: Zeroizing<String>,
    account: usize,
}

impl std::fmt::Debug for MockBinancePerp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockBinancePerp")
            .field("rest_url", &self.rest_url())
            .finish_non_exhaustive()
    }
}

impl MockBinancePerp {
    /// Binance's default symbols (BTCUSDT, ETHUSDT, …) listed as perpetual contracts.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(default_symbols()).await
    }

    pub async fn start_with(symbols: Vec<SymbolSpec>) -> std::io::Result<Self> {
        let specs = symbols.clone();
        let mm = market_maker_account(&symbols, random_token(32), Zeroizing::new(random_token(64)));
        // the engine matches; margin, PnL and fees are the dialect's (`account.rs`), so the
        // trader holds enough of every asset for the spot accounting underneath never to refuse
        let funds: Vec<(String, Decimal)> = symbols
            .iter()
            .flat_map(|s| [s.base.clone(), s.quote.clone()])
            .map(|a| (a, MARKET_MAKER_FUNDS))
            .collect();
        let mut exchange = Exchange::new(symbols, mm, Arc::new(shapes::PerpEvents::new(&specs)));
        let api_key = random_token(32);
        let api_secret = Zeroizing::new(random_token(64));
        let account =
            exchange.add_account(trading_account(api_key.clone(), api_secret.clone(), &funds));
        let mut ledger = PerpLedger::new(
            Venue::Binance,
            binance_brackets(),
            account::DEFAULT_LEVERAGE,
        );
        ledger.add_account(account, DEPOSIT);
        let shared = Arc::new(Shared {
            controls: Controls::new(exchange),
            ledger: Mutex::new(ledger),
            funding_slot: Mutex::new(None),
            trader: account,
            listen_keys: Mutex::new(ListenKeys::default()),
        });
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self {
            shared,
            servers,
            api_key,
            api_secret,
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
                server::handle(rest_shared.clone(), req)
            })),
            tokio::spawn(server::serve_ws(wsl, shared.clone())),
            tokio::spawn(release_held_diffs(shared, |s: &Shared| s.exchange())),
        ]);
    }

    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// `http://127.0.0.1:<port>` (endpoints under `/fapi`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// `ws://127.0.0.1:<port>` (streams under `/ws/`).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.servers.ws_addr())
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// The trading account's positions: (symbol, position side, size, entry price, realized PnL,
    /// fees), as the ledger keeps them (closed ones too).
    pub fn positions(&self) -> Vec<(String, &'static str, Decimal, Decimal, Decimal, Decimal)> {
        let ex = self.shared.exchange();
        let l = self.shared.ledger(&ex);
        l.account(self.account)
            .map(|a| {
                a.positions
                    .iter()
                    .map(|((s, side), p)| {
                        let side = account::side_name(*side);
                        (s.clone(), side, p.size, p.entry(), p.realized, p.fees)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Settles funding now on every open position (at each symbol's mark and rate): the records
    /// booked as (symbol, position side, amount, tranId).
    pub fn settle_funding(&self) -> Vec<(String, &'static str, Decimal, u64)> {
        let now = self.shared.now_ms();
        self.shared
            .settle_funding_now(now)
            .into_iter()
            .map(|i| {
                (
                    i.symbol.clone(),
                    account::side_name(i.side),
                    i.amount,
                    funding::tran_id(&i),
                )
            })
            .collect()
    }

    /// Every funding record booked so far, oldest first, as [`MockBinancePerp::settle_funding`]
    /// gives them.
    pub fn funding_records(&self) -> Vec<(String, &'static str, Decimal, u64)> {
        lock(&self.shared.ledger)
            .funding
            .iter()
            .filter(|i| i.account == self.account)
            .map(|i| {
                (
                    i.symbol.clone(),
                    account::side_name(i.side),
                    i.amount,
                    funding::tran_id(i),
                )
            })
            .collect()
    }

    /// Makes every listenKey lapse now (its sockets get `listenKeyExpired` and close).
    pub fn expire_listen_keys(&self) {
        lock(&self.shared.listen_keys).expire_all();
    }

    /// What happened to listenKeys so far.
    pub fn listen_key_counts(&self) -> ListenKeyCounts {
        lock(&self.shared.listen_keys).counts
    }

    /// The simulator's own book of `symbol`, every level, with its update id.
    pub fn book(&self, symbol: &str) -> Result<BookSnapshot, EngineError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(symbol).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(BookSnapshot {
            last_update_id: book.update_id,
            bids,
            asks,
        })
    }

    /// Sets a symbol's mark and index prices and funding rate (else the mid, at rate 0); a
    /// position whose liquidation price the mark crossed is liquidated: the liquidations.
    pub fn set_mark(&self, symbol: &str, state: MarkState) -> Vec<Liquidation> {
        lock(&self.shared.ledger).set_mark(symbol, state);
        self.shared.liquidate_due(self.shared.now_ms())
    }

    /// The mark state `premiumIndex` reports now.
    pub fn mark(&self, symbol: &str) -> Option<MarkState> {
        self.shared.mark_state(symbol)
    }

    /// Seeds `levels` bids and asks of `qty` around `mid`, `spacing_ticks` apart.
    pub fn seed_book(
        &self,
        symbol: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), EngineError> {
        self.shared
            .seed_book(symbol, mid, levels, spacing_ticks, qty)
    }

    /// `count` random book operations, one every `pause`; how many changed the book.
    pub async fn random_book_updates_paced(
        &self,
        symbol: &str,
        seed: u64,
        count: usize,
        pause: Duration,
    ) -> Result<usize, EngineError> {
        self.shared
            .random_book_updates_paced(symbol, seed, count, pause)
            .await
    }
}

/// The tests' view of the ledger (`engine::perp`).
impl PerpHandle for MockBinancePerp {
    fn engine(&self) -> std::sync::MutexGuard<'_, Exchange> {
        self.shared.exchange()
    }

    fn ledger_cell(&self) -> &Mutex<PerpLedger> {
        &self.shared.ledger
    }

    fn account(&self) -> usize {
        self.account
    }
}

/// The controls every simulated exchange shares (depth faults, dropped connections, clock).
impl Deref for MockBinancePerp {
    type Target = Controls<std::convert::Infallible>;

    fn deref(&self) -> &Self::Target {
        &self.shared
    }
}

impl Drop for MockBinancePerp {
    fn drop(&mut self) {
        self.stop();
    }
}
