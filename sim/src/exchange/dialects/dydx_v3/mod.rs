//! A simulated dYdX v3 (closed in 2024) for tests: REST and websocket servers on 127.0.0.1 (random
//! ports) over the venue-neutral engine, speaking v3's shapes and verifying every signature.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::dydx_v3::MockDydxV3;
//! let mock = MockDydxV3::start().await?;
//! mock.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1)).expect("listed");
//! // [connect.dydx_v3] rest_url = mock.rest_url(), ws_url = mock.ws_url(), wallet = …
//! # Ok(()) }
//! ```
//!
//! The trading account onboarded with a fixed Ethereum test key ([`TRADER_ETH_KEY`]): its STARK
//! public key and API key are the ones the official clients derive from it on the network
//! (`onboarding.rs`); every private request's `DYDX-SIGNATURE` and every order's STARK signature
//! are checked against them (`auth.rs`). Public: `/v3/time`, `/v3/markets`, `/v3/orderbook/:m`
//! (levels with offsets), the `v3_orderbook` channel. Private (`private.rs`): orders, cancels,
//! order queries, active orders, fills, accounts (equity, free collateral, positions replayed
//! from the engine's trades), funding payments. Faults: the engine's (skip / duplicate / swap an
//! update, raw frames, dropped connections) and HTTP faults. Not served: `v3_accounts`.

mod account;
pub mod auth;
mod private;
mod server;
pub mod shapes;

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use alloy::signers::local::PrivateKeySigner;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::clob::dydx_v3::onboarding::{derive_api_key, derive_stark_key};
use sluice::clob::dydx_v3::starkex::NETWORK_MAINNET;
use zeroize::Zeroizing;

use self::auth::Registered;
pub use self::server::FundingRecord;
use self::server::Shared;
use crate::exchange::dialects::binance::PriceLevel;
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::{
    MARKET_MAKER_FUNDS, Servers, lock, market_maker_account, random_token, release_held_diffs,
    serve_http, trading_account,
};
use crate::exchange::engine::spec::SymbolSpec;

/// The trading account's Ethereum key: Ganache's first account, the official client's test key
/// (public test material).
pub const TRADER_ETH_KEY: &str =
    "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";

/// The trading account's USDC deposit.
pub const DEPOSIT: Decimal = dec!(10000);

/// The account's StarkEx position id.
pub const POSITION_ID: u64 = 12_345;

/// BTC-USD (tick 1, step 0.001) and ETH-USD (tick 0.1, step 0.01), at v3's base-tier fees.
pub fn default_markets() -> Vec<SymbolSpec> {
    let market = |base: &str, tick: Decimal, step: Decimal| SymbolSpec {
        symbol: format!("{base}-USD"),
        tick_size: tick,
        min_price: tick,
        step_size: step,
        min_qty: step,
        max_qty: dec!(100000),
        min_notional: Decimal::ZERO,
        maker_fee: dec!(0.0002),
        taker_fee: dec!(0.0005),
        ..SymbolSpec::new(base, "USD")
    };
    vec![
        market("BTC", dec!(1), dec!(0.001)),
        market("ETH", dec!(0.1), dec!(0.01)),
    ]
}

/// The simulator's book of a market: bids and asks, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DydxBookView {
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// A running simulated dYdX v3. Dropping it stops the servers.
pub struct MockDydxV3 {
    shared: Arc<Shared>,
    servers: Servers,
}

impl std::fmt::Debug for MockDydxV3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockDydxV3")
            .field("rest_url", &self.rest_url())
            .finish_non_exhaustive()
    }
}

impl MockDydxV3 {
    /// The default markets on mainnet (network id 1).
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(default_markets(), NETWORK_MAINNET).await
    }

    pub async fn start_with(markets: Vec<SymbolSpec>, network_id: u64) -> std::io::Result<Self> {
        let bad = |e: String| std::io::Error::other(format!("dYdX v3 simulator keys: {e}"));
        let signer: PrivateKeySigner = TRADER_ETH_KEY.parse().map_err(|e| bad(format!("{e}")))?;
        let stark = derive_stark_key(&signer, network_id).map_err(|e| bad(e.to_string()))?;
        let api = derive_api_key(&signer, network_id).map_err(|e| bad(e.to_string()))?;
        let keys = Registered {
            api_key: api.key.clone(),
            secret: api.secret.clone(),
            passphrase: api.passphrase.clone(),
            stark_public_key: stark.public_key(),
            position_id: POSITION_ID,
        };
        let mm = market_maker_account(&markets, random_token(32), Zeroizing::new(random_token(64)));
        // the engine matches; margin, PnL, fees and funding are the dialect's (`account.rs`), so
        // the trader holds enough of every asset for the spot accounting underneath never to refuse
        let funds: Vec<(String, Decimal)> = markets
            .iter()
            .flat_map(|s| [s.base.clone(), s.quote.clone()])
            .map(|a| (a, MARKET_MAKER_FUNDS))
            .collect();
        let events = Arc::new(shapes::DydxEvents::default());
        let mut exchange = Exchange::new(markets, mm, events.clone());
        let account = exchange.add_account(trading_account(
            random_token(24),
            Zeroizing::new(random_token(40)),
            &funds,
        ));
        let shared = Arc::new(Shared {
            controls: Controls::new(exchange),
            events,
            keys,
            account,
            account_id: format!("sim-{}", random_token(12)),
            network_id,
            deposit: DEPOSIT,
            oracle: Mutex::new(HashMap::new()),
            funding: Mutex::new(Vec::new()),
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

    /// `http://127.0.0.1:<port>` (endpoints under `/v3`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// `ws://127.0.0.1:<port>/v3/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/v3/ws", self.servers.ws_addr())
    }

    /// The account's API key (derived from [`TRADER_ETH_KEY`]).
    pub fn api_key(&self) -> &str {
        &self.shared.keys.api_key
    }

    /// The account's STARK public key, `0x…`.
    pub fn stark_public_key(&self) -> String {
        format!("{:#x}", self.shared.keys.stark_public_key)
    }

    /// The account's id (`/v3/accounts/:id`).
    pub fn account_id(&self) -> &str {
        &self.shared.account_id
    }

    /// The simulator's own book of `market`, every level.
    pub fn book(&self, market: &str) -> Result<DydxBookView, EngineError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(market).ok_or(EngineError::UnknownSymbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(DydxBookView { bids, asks })
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

    /// The account's signed position size in `market`.
    pub fn position(&self, market: &str) -> Decimal {
        let ex = self.shared.exchange();
        account::positions(&ex, self.shared.account)
            .get(market)
            .map_or(Decimal::ZERO, |b| b.size)
    }

    /// Sets `market`'s oracle price (else the book's mid).
    pub fn set_oracle_price(&self, market: &str, price: Decimal) {
        lock(&self.shared.oracle).insert(market.to_string(), price);
    }

    /// Books a funding payment of `market` at `rate` on the account's position now: the position
    /// pays `size × oracle × rate` (received when negative); the record.
    pub fn settle_funding(&self, market: &str, rate: Decimal) -> Option<FundingRecord> {
        let now = self.shared.now_ms();
        let size = self.position(market);
        let price = {
            let ex = self.shared.exchange();
            self.shared.mark(&ex, market)?
        };
        let record = FundingRecord {
            market: market.to_string(),
            payment: -(size * price * rate).round_dp(6),
            rate,
            position_size: size,
            price,
            time: now,
        };
        lock(&self.shared.funding).push(record.clone());
        Some(record)
    }

    /// Private requests refused for a bad signature so far.
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

/// The controls every simulated exchange shares (liquidity, depth faults, dropped connections,
/// clock).
impl Deref for MockDydxV3 {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Self::Target {
        &self.shared
    }
}

impl Drop for MockDydxV3 {
    fn drop(&mut self) {
        self.stop();
    }
}
