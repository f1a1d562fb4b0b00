//! A simulated dYdX v4 indexer for tests: REST (comlink) and websocket (socks) servers on
//! 127.0.0.1 (random ports) over the venue-neutral engine, in the indexer's documented shapes.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::dydx::MockDydxIndexer;
//! let mock = MockDydxIndexer::start().await?;
//! mock.seed_book("BTC-USD", dec!(30000), 10, 1, dec!(1)).expect("listed");
//! // indexer REST: mock.rest_url(), websocket: mock.ws_url()
//! # Ok(()) }
//! ```
//!
//! Served: `GET /v4/time`, `GET /v4/perpetualMarkets`, `GET /v4/orderbooks/perpetualMarket/
//! {ticker}` (`server.rs`) and the `v4_orderbook` channel with the connection's `message_id`
//! counter and heartbeat (`ws.rs`). The engine's book is the truth; its diffs go out as
//! `channel_data`, its faults apply (skip / duplicate / swap a diff, raw frames, dropped
//! connections, HTTP faults). The engine is shared through [`MockDydxIndexer::engine`]: the node
//! simulator can place and cancel orders in the same instance, and the indexer publishes them.
//! Not served: trades, candles, markets and subaccount channels.

pub mod server;
pub mod shapes;
mod ws;

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rust_decimal::Decimal;
use zeroize::Zeroizing;

pub use self::server::Shared;
pub use self::shapes::PerpetualMarket;
use crate::exchange::dialects::binance::PriceLevel;
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::{
    Servers, lock, market_maker_account, random_token, release_held_diffs, serve_http,
};

/// The engine and the indexer's state, as the servers share them.
pub type EngineHandle = Arc<Shared>;

/// Mainnet's BTC-USD and ETH-USD market parameters (tick 1 / step 0.0001 and tick 0.1 / step
/// 0.001).
pub fn default_markets() -> Vec<PerpetualMarket> {
    let market = |ticker: &str, clob_pair_id, atomic_resolution| PerpetualMarket {
        ticker: ticker.to_string(),
        clob_pair_id,
        atomic_resolution,
        quantum_conversion_exponent: -9,
        step_base_quantums: 1_000_000,
        subticks_per_tick: 100_000,
    };
    vec![market("BTC-USD", 0, -10), market("ETH-USD", 1, -9)]
}

/// The simulator's book of a market: bids and asks, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexerBookView {
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// A running simulated indexer. Dropping it stops the servers.
pub struct MockDydxIndexer {
    shared: EngineHandle,
    servers: Servers,
}

impl std::fmt::Debug for MockDydxIndexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockDydxIndexer")
            .field("rest_url", &self.rest_url())
            .finish_non_exhaustive()
    }
}

impl MockDydxIndexer {
    /// The default markets.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(default_markets()).await
    }

    pub async fn start_with(markets: Vec<PerpetualMarket>) -> std::io::Result<Self> {
        let specs = markets
            .iter()
            .map(PerpetualMarket::spec)
            .collect::<Vec<_>>();
        let mm = market_maker_account(&specs, random_token(32), Zeroizing::new(random_token(64)));
        let events = Arc::new(shapes::IndexerEvents::default());
        let exchange = Exchange::new(specs, mm, events.clone());
        let shared = Arc::new(Shared {
            controls: Controls::new(exchange),
            events,
            markets,
            oracle: std::sync::Mutex::new(HashMap::new()),
            heartbeat_ms: AtomicU64::new(30_000),
            heartbeat_timeout_ms: AtomicU64::new(10_000),
            refuse_subscriptions: AtomicU64::new(0),
        });
        let (servers, http, wsl) = Servers::bind().await?;
        let rest_shared = shared.clone();
        servers.track([
            tokio::spawn(serve_http(http, shared.shutdown.subscribe(), move |req| {
                server::handle(rest_shared.clone(), req)
            })),
            tokio::spawn(ws::serve_ws(wsl, shared.clone())),
            tokio::spawn(release_held_diffs(shared.clone(), |s: &Shared| {
                s.exchange()
            })),
        ]);
        Ok(Self { shared, servers })
    }

    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// `http://127.0.0.1:<port>` (endpoints under `/v4`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// `ws://127.0.0.1:<port>/v4/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/v4/ws", self.servers.ws_addr())
    }

    /// The engine and the indexer's state (for the node simulator to trade in the same engine).
    pub fn engine(&self) -> EngineHandle {
        self.shared.clone()
    }

    /// The simulator's own book of `ticker`, every level.
    pub fn book(&self, ticker: &str) -> Result<IndexerBookView, EngineError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(ticker).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(IndexerBookView { bids, asks })
    }

    /// Sets `ticker`'s oracle price (else the book's mid).
    pub fn set_oracle_price(&self, ticker: &str, price: Decimal) {
        lock(&self.shared.oracle).insert(ticker.to_string(), price);
    }

    /// Pings every `every` on new connections and closes them when no pong comes within
    /// `timeout` (socks: 30 s and 10 s).
    pub fn set_heartbeat(&self, every: Duration, timeout: Duration) {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.shared.heartbeat_ms.store(ms(every), Ordering::Relaxed);
        self.shared
            .heartbeat_timeout_ms
            .store(ms(timeout), Ordering::Relaxed);
    }

    /// Answers the next `n` book subscriptions with socks' error for a failed initial fetch
    /// (`Internal error, could not fetch data for subscription: v4_orderbook.`), subscribing
    /// nothing.
    pub fn refuse_next_subscriptions(&self, n: u64) {
        self.shared.refuse_subscriptions.store(n, Ordering::SeqCst);
    }

    /// Serves `fault` instead of the next REST answer.
    pub fn inject_fault(&self, fault: HttpFault) {
        self.shared.inject_http_fault(fault);
    }
}

/// The controls every simulated exchange shares (liquidity, depth faults, dropped connections,
/// clock).
impl Deref for MockDydxIndexer {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Self::Target {
        &self.shared
    }
}

impl Drop for MockDydxIndexer {
    fn drop(&mut self) {
        self.stop();
    }
}
