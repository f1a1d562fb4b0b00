//! A simulated Loopring (its exchange shut on 2026-06-28) for tests: REST and websocket servers
//! on 127.0.0.1 (random ports) over the venue-neutral engine, speaking Loopring's API v3 shapes
//! and verifying every signature.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::loopring::MockLoopring;
//! let mock = MockLoopring::start().await?;
//! mock.seed_book("ETH-USDC", dec!(2000), 10, 1, dec!(1)).expect("listed");
//! // [connect.loopring] rest_url = mock.rest_url(), ws_url = mock.ws_url(), wallet = …
//! # Ok(()) }
//! ```
//!
//! The trading account belongs to a fixed Ethereum test key ([`TRADER_ETH_KEY`]); its registered
//! L2 public key is the one Loopring's clients derive from that key (key nonce 0, the mainnet
//! exchange), and every `X-API-SIG` and every order's `eddsaSignature` is verified against it
//! (`server.rs`, `private.rs`); a bad one is refused with its `resultInfo` code and counted.
//! Markets ETH-USDC and LRC-USDC; orders match in the engine (partial fills included); the depth
//! endpoint and the `orderbook` topic carry the engine's update ids as versions. Faults: the
//! engine's (skip / duplicate / swap an update, dropped connections) and HTTP faults.

mod private;
mod server;
pub mod shapes;

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::clob::loopring::eddsa::Point;
use sluice::clob::loopring::keys::{MAINNET_EXCHANGE, derive_l2_key};
use zeroize::Zeroizing;

use crate::exchange::dialects::binance::PriceLevel;
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::{
    Servers, market_maker_account, random_token, release_held_diffs, serve_http, trading_account,
};
use crate::exchange::engine::spec::SymbolSpec;

/// The trading account's Ethereum key: Ganache's first account (public test material).
pub const TRADER_ETH_KEY: &str =
    "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";

/// The trading account's id.
pub const ACCOUNT_ID: u32 = 10_004;

/// What the trader holds at the start: 10 ETH, 100000 LRC, 100000 USDC.
pub fn trader_funds() -> Vec<(String, Decimal)> {
    vec![
        ("ETH".into(), dec!(10)),
        ("LRC".into(), dec!(100000)),
        ("USDC".into(), dec!(100000)),
    ]
}

/// ETH-USDC (tick 0.01, step 0.001) and LRC-USDC (tick 0.0001, step 0.1); no maker fee, 0.25 %
/// taker.
pub fn default_markets() -> Vec<SymbolSpec> {
    let market = |base: &str, tick: Decimal, step: Decimal| SymbolSpec {
        symbol: format!("{base}-USDC"),
        tick_size: tick,
        min_price: tick,
        step_size: step,
        min_qty: step,
        max_qty: dec!(1000000),
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        taker_fee: dec!(0.0025),
        ..SymbolSpec::new(base, "USDC")
    };
    vec![
        market("ETH", dec!(0.01), dec!(0.001)),
        market("LRC", dec!(0.0001), dec!(0.1)),
    ]
}

/// What the servers and the handle share.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub exchange: Address,
    pub owner: Address,
    pub account: usize,
    pub account_id: u32,
    pub api_key: String,
    pub public_key: Point,
    pub public_key_hex: (String, String),
    /// The next storage id per sell token.
    pub storage: Mutex<HashMap<u32, u32>>,
    /// Order hash → (engine id, market).
    pub hashes: Mutex<HashMap<String, (u64, String)>>,
    /// Requests and orders refused for their signature so far.
    pub refused: AtomicU64,
}

impl Deref for Shared {
    type Target = Controls<HttpFault>;
    fn deref(&self) -> &Controls<HttpFault> {
        &self.controls
    }
}

/// The simulator's book of a market: bids and asks, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopringBookView {
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// A running simulated Loopring. Dropping it stops the servers.
pub struct MockLoopring {
    shared: Arc<Shared>,
    servers: Servers,
}

impl std::fmt::Debug for MockLoopring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockLoopring")
            .field("rest_url", &self.rest_url())
            .finish_non_exhaustive()
    }
}

impl MockLoopring {
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(default_markets()).await
    }

    pub async fn start_with(markets: Vec<SymbolSpec>) -> std::io::Result<Self> {
        let bad = |e: String| std::io::Error::other(format!("Loopring simulator keys: {e}"));
        let signer: PrivateKeySigner = TRADER_ETH_KEY.parse().map_err(|e| bad(format!("{e}")))?;
        let key = derive_l2_key(&signer, MAINNET_EXCHANGE, 0).map_err(|e| bad(e.to_string()))?;
        let exchange: Address = MAINNET_EXCHANGE.parse().map_err(|e| bad(format!("{e}")))?;
        let mm = market_maker_account(&markets, random_token(32), Zeroizing::new(random_token(64)));
        let mut engine = Exchange::new(markets, mm, Arc::new(shapes::LoopringEvents));
        let api_key = random_token(64);
        let account = engine.add_account(trading_account(
            api_key.clone(),
            Zeroizing::new(random_token(40)),
            &trader_funds(),
        ));
        let shared = Arc::new(Shared {
            controls: Controls::new(engine),
            exchange,
            owner: signer.address(),
            account,
            account_id: ACCOUNT_ID,
            api_key,
            public_key: key.public_key(),
            public_key_hex: key.public_key_hex(),
            storage: Mutex::new(HashMap::new()),
            hashes: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        });
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self { shared, servers };
        let shared = mock.shared.clone();
        let rest_shared = shared.clone();
        mock.servers.track([
            tokio::spawn(serve_http(http, shared.shutdown.subscribe(), move |req| {
                server::handle(rest_shared.clone(), req)
            })),
            tokio::spawn(server::serve_ws(wsl, shared.clone())),
            tokio::spawn(release_held_diffs(shared, |s: &Shared| s.exchange())),
        ]);
        Ok(mock)
    }

    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// `http://127.0.0.1:<port>` (endpoints under `/api/v3`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// `ws://127.0.0.1:<port>/v3/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/v3/ws", self.servers.ws_addr())
    }

    /// The account's API key (what `GET /api/v3/apiKey` answers).
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// The registered L2 public key, `(x, y)` as `0x…`.
    pub fn l2_public_key(&self) -> (String, String) {
        self.shared.public_key_hex.clone()
    }

    /// The simulator's own book of `market`, every level.
    pub fn book(&self, market: &str) -> Result<LoopringBookView, EngineError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(market).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(LoopringBookView { bids, asks })
    }

    /// The engine's id of the account's order of client id `client_id` (the latest).
    pub fn order_id(&self, client_id: &str) -> Option<u64> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == self.shared.account && o.client_order_id == client_id)
            .map(|o| o.id)
            .max()
    }

    /// Requests and orders refused for a bad signature so far.
    pub fn refused_signatures(&self) -> u64 {
        self.shared.refused.load(Ordering::Relaxed)
    }

    /// Serves `fault` instead of the next REST answer.
    pub fn inject_fault(&self, fault: HttpFault) {
        self.shared.inject_http_fault(fault);
    }

    /// The trading account's index in the engine.
    pub fn trader_account(&self) -> usize {
        self.shared.account
    }
}

/// The controls every simulated exchange shares.
impl Deref for MockLoopring {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Self::Target {
        &self.shared
    }
}

impl Drop for MockLoopring {
    fn drop(&mut self) {
        self.stop();
    }
}
