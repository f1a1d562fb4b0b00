//! A simulated Bybit v5 (linear perpetuals) for tests: REST and websocket servers on 127.0.0.1
//! (random ports) over the venue-neutral engine, speaking Bybit's shapes.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::bybit_perpetual::MockBybitPerp;
//! let mock = MockBybitPerp::start().await?;
//! mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1)).expect("listed");
//! // [connect.bybit_perpetual] rest_url = mock.rest_url(), ws_url = mock.ws_url()
//! # Ok(()) }
//! ```
//!
//! Public: `GET /v5/market/time`, `instruments-info`, `tickers` (mark, index, funding rate, next
//! funding time on the interval's grid), `orderbook`; the stream `/v5/public/linear` with
//! `orderbook.50.<SYMBOL>` (a snapshot per subscription, then deltas with `u` + 1 each and `seq`).
//! Signed (`private.rs`, Bybit's HMAC recipe verified on every request, per-endpoint limits per
//! second with 10006): orders, cancels, `order/realtime`, `execution/list`, `position/list` (both
//! position modes, marked, with `liqPrice`, `bustPrice`, `positionIM` / `positionMM`), leverage,
//! position and margin modes, the unified wallet, the transaction log's funding settlements;
//! funding settles every interval (`server.rs`). Positions, margin, funding and liquidation are
//! the engine's perpetual ledger's (`engine::perp`, Bybit's isolated formula); the risk limits
//! at `/v5/market/risk-limit`; [`MockBybitPerp::set_mark`] past a liquidation price liquidates
//! at the bankruptcy price, shown as a `BustTrade` execution (`risk.rs`). The private stream
//! `/v5/private` (`private_ws.rs`): the auth op verified, `order`, `execution`, `position` and
//! `wallet` pushed from the engine's executions and the funding settlements.
//!
//! Faults: the engine's (depth skip / duplicate / swap, raw frames, dropped market connections)
//! through [`Controls`], HTTP faults (HTML page, truncated JSON, any body, 10006, a dropped
//! answer), and the private streams' (down / up, dropped sockets). The book stream carries every level of
//! the engine's book, not only the top 50.

mod account;
mod private;
mod private_ws;
mod risk;
mod server;
pub mod shapes;

use std::collections::HashMap;

use crate::exchange::engine::perp::margin::bybit_risk_limits;
use crate::exchange::engine::perp::{Liquidation, PerpLedger, Venue};
pub use crate::exchange::engine::perp::{MarginMode, PerpHandle, PosSide, PositionRisk};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rust_decimal::Decimal;
use zeroize::Zeroizing;

use self::server::Shared;
pub use self::server::{FUNDING_INTERVAL_MS, MarkState};
use crate::exchange::dialects::binance::{PriceLevel, SymbolSpec, default_symbols};
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::{
    MARKET_MAKER_FUNDS, Servers, lock, market_maker_account, random_token, release_held_diffs,
    serve_http, trading_account,
};

/// The trading account's USDT deposit.
pub const DEPOSIT: Decimal = rust_decimal_macros::dec!(10000);

/// The simulator's book of a symbol: its `u`, bids and asks (best first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BybitBookView {
    pub u: u64,
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// One position of the trading account as the simulator keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionView {
    pub symbol: String,
    pub position_idx: u8,
    /// Signed.
    pub size: Decimal,
    pub entry: Decimal,
    pub realized: Decimal,
    pub fees: Decimal,
}

/// A running simulated Bybit. Dropping it stops the servers.
pub struct MockBybitPerp {
    shared: Arc<Shared>,
    servers: Servers,
    api_key: String,
    api_secret: Zeroizing<String>,
}

impl std::fmt::Debug for MockBybitPerp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockBybitPerp")
            .field("rest_url", &self.rest_url())
            .finish_non_exhaustive()
    }
}

impl MockBybitPerp {
    /// The default symbols (BTCUSDT, ETHUSDT, …) listed as linear perpetuals.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(default_symbols()).await
    }

    pub async fn start_with(symbols: Vec<SymbolSpec>) -> std::io::Result<Self> {
        let mm = market_maker_account(&symbols, random_token(32), Zeroizing::new(random_token(64)));
        // the engine matches; margin, PnL, fees and funding are the dialect's (`account.rs`), so
        // the trader holds enough of every asset for the spot accounting underneath never to
        // refuse
        let funds: Vec<(String, Decimal)> = symbols
            .iter()
            .flat_map(|s| [s.base.clone(), s.quote.clone()])
            .map(|a| (a, MARKET_MAKER_FUNDS))
            .collect();
        let events = Arc::new(shapes::BybitEvents::default());
        let mut exchange = Exchange::new(symbols, mm, events.clone());
        let api_key = random_token(18);
        let api_secret = Zeroizing::new(random_token(36));
        let account =
            exchange.add_account(trading_account(api_key.clone(), api_secret.clone(), &funds));
        let mut ledger =
            PerpLedger::new(Venue::Bybit, bybit_risk_limits(), account::DEFAULT_LEVERAGE);
        ledger.add_account(account, DEPOSIT);
        let shared = Arc::new(Shared {
            controls: Controls::new(exchange),
            events,
            derivatives: Mutex::new(ledger),
            account,
            funding_interval_ms: AtomicU64::new(FUNDING_INTERVAL_MS),
            windows: Mutex::new(HashMap::new()),
            rate_limited: AtomicU64::new(0),
        });
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self {
            shared,
            servers,
            api_key,
            api_secret,
        };
        let shared = mock.shared.clone();
        let rest_shared = shared.clone();
        mock.servers.track([
            tokio::spawn(serve_http(http, shared.shutdown.subscribe(), move |req| {
                server::handle(rest_shared.clone(), req)
            })),
            tokio::spawn(server::serve_ws(wsl, shared.clone())),
            tokio::spawn(server::funding_clock(shared.clone())),
            tokio::spawn(release_held_diffs(shared, |s: &Shared| s.exchange())),
        ]);
        Ok(mock)
    }

    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// `http://127.0.0.1:<port>` (endpoints under `/v5`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// `ws://127.0.0.1:<port>/v5/private` (the public stream's port).
    pub fn private_ws_url(&self) -> String {
        format!("ws://{}/v5/private", self.servers.ws_addr())
    }

    /// `ws://127.0.0.1:<port>/v5/public/linear`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/v5/public/linear", self.servers.ws_addr())
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// The simulator's own book of `symbol`, every level, with the `u` of its last message.
    pub fn book(&self, symbol: &str) -> Result<BybitBookView, EngineError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(symbol).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(BybitBookView {
            u: self.shared.events.current_u(symbol),
            bids,
            asks,
        })
    }

    /// The trading account's positions (open or not), as the ledger keeps them.
    pub fn positions(&self) -> Vec<PositionView> {
        let ex = self.shared.exchange();
        let l = self.shared.ledger(&ex);
        l.account(self.shared.account)
            .map(|a| {
                a.positions
                    .iter()
                    .map(|((symbol, side), p)| PositionView {
                        symbol: symbol.clone(),
                        position_idx: account::idx_of(*side),
                        size: p.size,
                        entry: p.entry(),
                        realized: p.realized,
                        fees: p.fees,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The wallet: deposit + realized PnL − fees + funding.
    pub fn wallet(&self) -> Decimal {
        let ex = self.shared.exchange();
        self.shared.ledger(&ex).wallet(self.shared.account)
    }

    /// The funding booked so far: (id, symbol, positionIdx, change).
    pub fn settlements(&self) -> Vec<(String, String, u8, Decimal)> {
        lock(&self.shared.derivatives)
            .funding
            .iter()
            .filter(|s| s.account == self.shared.account)
            .map(|s| {
                let id = account::settlement_id(s);
                (id, s.symbol.clone(), account::idx_of(s.side), s.amount)
            })
            .collect()
    }

    /// Settles funding of `symbol` now; the settlements booked.
    pub fn settle_funding(&self, symbol: &str) -> usize {
        self.shared.settle_funding(symbol)
    }

    /// Funding every `every` from now on (8 h by default).
    pub fn set_funding_interval(&self, every: Duration) {
        let ms = u64::try_from(every.as_millis()).unwrap_or(u64::MAX).max(1);
        self.shared.funding_interval_ms.store(ms, Ordering::Relaxed);
    }

    /// Sets a symbol's mark and index prices and funding rate (else the mid, at rate 0); a
    /// position whose liquidation price the mark crossed is liquidated: the liquidations.
    pub fn set_mark(&self, symbol: &str, state: MarkState) -> Vec<Liquidation> {
        lock(&self.shared.derivatives).set_mark(symbol, state);
        self.shared.liquidate_due(self.shared.now_ms())
    }

    /// The engine's id of the trading account's order `order_link_id`.
    pub fn order_id(&self, order_link_id: &str) -> Option<u64> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .find(|o| o.account == self.shared.account && o.client_order_id == order_link_id)
            .map(|o| o.id)
    }

    /// Requests refused with 10006 so far.
    pub fn rate_limited_count(&self) -> u64 {
        self.shared.rate_limited.load(Ordering::Relaxed)
    }

    /// Serves `fault` instead of the next REST answer.
    pub fn inject_fault(&self, fault: HttpFault) {
        self.shared.inject_http_fault(fault);
    }
}

/// The tests' view of the ledger (`engine::perp`).
impl PerpHandle for MockBybitPerp {
    fn engine(&self) -> std::sync::MutexGuard<'_, Exchange> {
        self.shared.exchange()
    }

    fn ledger_cell(&self) -> &Mutex<PerpLedger> {
        &self.shared.derivatives
    }

    fn account(&self) -> usize {
        self.shared.account
    }
}

/// The controls every simulated exchange shares (liquidity, depth faults, dropped connections,
/// clock).
impl Deref for MockBybitPerp {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Self::Target {
        &self.shared
    }
}

impl Drop for MockBybitPerp {
    fn drop(&mut self) {
        self.stop();
    }
}
