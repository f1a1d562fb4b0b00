//! The one interface every connector implements, whatever the venue: a centralized exchange, an
//! order book on a layer 2, or an AMM on chain. See DESIGN.md §3.

mod background;
mod catalog;
pub mod connector;
mod dry_run;
mod events;
mod registry;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::core::{
    Balance, ClientOrderId, CoreError, Fill, FundingInfo, FundingPayment, LeverageSetting,
    MarginMode, MarketRules, Order, OrderRequest, Pair, PerpOrder, Position, PositionMode, Quote,
    QuoteRequest, RuleViolation, TxInfo,
};

pub use background::BackgroundTasks;
pub use catalog::{CATALOG, VenueInfo, VenueStatus};
pub use connector::{Access, ConnectContext, ConnectError, Connector};
pub use dry_run::{DryRun, EvmTxForm, WireForm};
pub use events::{EventHub, EventReceiver};
pub use registry::{ConnectorDescriptor, ImplState, Registry, RegistryEntry};

/// What kind of market a venue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VenueKind {
    /// A centralized exchange's spot order book.
    Cex,
    /// An automated market maker on chain.
    Amm,
    /// An order book on a layer 2 or an app chain.
    Clob,
    /// Perpetual futures.
    Perp,
}

impl VenueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VenueKind::Cex => "cex",
            VenueKind::Amm => "amm",
            VenueKind::Clob => "clob",
            VenueKind::Perp => "perp",
        }
    }
}

impl fmt::Display for VenueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a venue executes a trade: a capability the strategy asks for, never inferred from the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Execution {
    /// A limit order, immediate-or-cancel, priced at the bound (an exchange's or a chain's book).
    IocLimit,
    /// A swap with a minimum output (or maximum input) and a deadline (an AMM).
    SwapMinOut,
    /// A change of a position's size (a perpetual, a vAMM).
    PositionChange,
}

/// A venue instance: a connector name, plus the chain for chain venues
/// (`binance`, `uniswap_v3@ethereum`, `mento@celo`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VenueId {
    pub connector: String,
    pub chain: Option<String>,
}

impl VenueId {
    pub fn new(connector: &str, chain: Option<&str>) -> Self {
        Self {
            connector: connector.to_string(),
            chain: chain.map(str::to_string),
        }
    }
}

impl FromStr for VenueId {
    type Err = VenueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        };
        let (connector, chain) = match s.split_once('@') {
            Some((c, ch)) => (c, Some(ch)),
            None => (s, None),
        };
        if !valid(connector) || chain.is_some_and(|c| !valid(c)) {
            return Err(VenueError::InvalidRequest(format!(
                "invalid venue id {s:?}: expected name or name@chain in lower case"
            )));
        }
        Ok(Self::new(connector, chain))
    }
}

impl TryFrom<String> for VenueId {
    type Error = VenueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<VenueId> for String {
    fn from(v: VenueId) -> String {
        v.to_string()
    }
}

impl fmt::Display for VenueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.chain {
            Some(c) => write!(f, "{}@{}", self.connector, c),
            None => f.write_str(&self.connector),
        }
    }
}

/// What can go wrong talking to a venue. `is_retryable` tells transient from fatal.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VenueError {
    #[error("network error: {0}")]
    Network(String),
    #[error("rate limited{}", retry_after_ms.map(|ms| format!(", retry after {ms} ms")).unwrap_or_default())]
    RateLimited { retry_after_ms: Option<u64> },
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("rejected by the venue{}: {reason}", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    Rejected {
        code: Option<String>,
        reason: String,
    },
    #[error("order breaks a market rule: {0}")]
    Rule(#[from] RuleViolation),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("unknown pair {pair} at {venue}")]
    UnknownPair { venue: String, pair: Pair },
    #[error("unknown order {0}")]
    UnknownOrder(ClientOrderId),
    #[error("not enough liquidity: {0}")]
    InsufficientLiquidity(String),
    #[error("insufficient balance: need {needed} {asset}, have {available}")]
    InsufficientBalance {
        asset: String,
        needed: Decimal,
        available: Decimal,
    },
    #[error("malformed data from the venue: {0}")]
    Protocol(String),
    #[error("chain error: {0}")]
    Chain(String),
    #[error("not supported by this venue: {0}")]
    NotSupported(String),
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl VenueError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            VenueError::Network(_)
                | VenueError::RateLimited { .. }
                | VenueError::Timeout(_)
                | VenueError::Protocol(_)
        )
    }
}

/// The top of a live order book: levels best first, as (price, size), and the venue's sequence
/// number of the last update applied, where it has one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookTop {
    pub bids: Vec<(Decimal, Decimal)>,
    pub asks: Vec<(Decimal, Decimal)>,
    pub sequence: Option<u64>,
}

/// An approval a chain venue sent before a swap (shown to the user, never silent): the token,
/// the spender and the transaction hashes, in the chain's own text forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalNote {
    pub token: String,
    pub spender: String,
    pub tx_hashes: Vec<String>,
}

/// The receipt of an order's transaction: amounts in the token's smallest units (hex, as the
/// node reports them), gas, and the revert reason when it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptNote {
    pub client_id: ClientOrderId,
    pub tx_hash: String,
    pub block_number: u64,
    pub success: bool,
    pub amount_in: String,
    pub amount_out: String,
    pub gas_used: u64,
    pub gas_cost_native: Decimal,
    pub revert_reason: Option<String>,
}

/// What a chain venue did on chain for one order (see [`Venue::chain_report`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub approvals: Vec<ApprovalNote>,
    pub receipt: Option<ReceiptNote>,
}

/// Where a chain venue makes its transactions durable: each one is recorded (status pending) after it
/// is signed and **before** it is broadcast, so that a process killed at any point leaves no sent
/// transaction its journal does not name; after a restart the venue reads them back to adopt the
/// orders a previous process sent. Implemented by the store (`store::RunTxJournal`).
pub trait TxJournal: Send + Sync {
    /// Inserts or updates a transaction (by hash). An error before a broadcast stops the broadcast.
    fn record_tx(&self, tx: &TxInfo) -> Result<(), String>;
    /// Every transaction recorded for an order (any process, any run), by nonce.
    fn order_txs(&self, client_id: &ClientOrderId) -> Result<Vec<TxInfo>, String>;
    /// The transactions of `from` on `chain` that the journal still has as pending.
    fn pending_txs(&self, chain: &str, from: &str) -> Result<Vec<TxInfo>, String>;
}

/// Every connector: async, object-safe, `Send + Sync`.
///
/// `submit` and `cancel` return as soon as the request is on its way; the outcome arrives as
/// [`crate::core::VenueEvent`]s from [`Venue::events`].
#[async_trait]
pub trait Venue: Send + Sync {
    fn id(&self) -> &VenueId;
    fn kind(&self) -> VenueKind;
    /// Tradable pairs and their rules.
    async fn markets(&self) -> Result<Vec<MarketRules>, VenueError>;
    /// The executable price for a size, fees included; for chain venues the gas too.
    async fn quote(&self, request: &QuoteRequest) -> Result<Quote, VenueError>;
    async fn balances(&self) -> Result<Vec<Balance>, VenueError>;
    /// Sends an order (a swap on an AMM). Returns its client id at once.
    async fn submit(&self, order: OrderRequest) -> Result<ClientOrderId, VenueError>;
    async fn cancel(&self, id: &ClientOrderId) -> Result<(), VenueError>;
    /// Asks the venue for an order's current state (to reconcile what a stream missed). The whole
    /// request is passed so that a connector can adopt an order sent before a restart; an order the
    /// venue never received is `VenueError::UnknownOrder`.
    async fn order_status(&self, order: &OrderRequest) -> Result<Order, VenueError>;
    /// Every fill of an order as the venue records it (exchange trades, or the swap decoded from the
    /// receipt), so that a restart can journal fills that happened while it was down.
    async fn order_fills(&self, order: &OrderRequest) -> Result<Vec<Fill>, VenueError>;
    /// A new subscription to this venue's events; every subscriber sees every event, in order.
    fn events(&self) -> EventReceiver;
    /// Gives a chain venue the journal where it records each transaction before broadcasting it and
    /// from which it adopts, after a restart, the orders of a previous process. Returns whether the
    /// venue sends transactions (venues that do not ignore it).
    fn attach_tx_journal(&self, _journal: Arc<dyn TxJournal>) -> bool {
        false
    }
    /// Brings the attached journal's pending transactions of this venue's account up to date with
    /// the chain (mined, reverted, replaced or dropped, with gas); returns how many are still pending.
    async fn reconcile_transactions(&self) -> Result<usize, VenueError> {
        Ok(0)
    }
    /// How this venue executes a trade: the shape of the orders the strategy sends it. Every
    /// venue declares it (it is not read from the kind: a vAMM is an AMM that changes positions).
    fn execution(&self) -> Execution;
    /// A fresh client order id that this venue accepts (its own length and character rules).
    fn new_client_id(&self) -> Result<ClientOrderId, VenueError> {
        Ok(ClientOrderId::generate("sl"))
    }
    /// The venue's local view of an order it tracks (sent or adopted by this process), without
    /// asking the venue; `None` for an order it does not track.
    fn tracked_order(&self, _id: &ClientOrderId) -> Option<Order> {
        None
    }
    /// The open orders of the account at the venue (of `pair`, or all), as the venue lists them.
    async fn list_open_orders(&self, _pair: Option<&Pair>) -> Result<Vec<Order>, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: listing open orders",
            self.id()
        )))
    }
    /// Finds the open order `id` at the venue (placed by another process or by hand) and tracks
    /// it from now on, so that it can be cancelled and followed.
    async fn adopt_order(&self, id: &ClientOrderId) -> Result<Order, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: adopting order {id}",
            self.id()
        )))
    }
    /// The top `depth` levels per side of the book the venue keeps for `pair` (after
    /// [`Venue::start`] on it); `Ok(None)` while it is not synced yet.
    async fn book_top(&self, pair: &Pair, _depth: usize) -> Result<Option<BookTop>, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: a live order book of {pair}",
            self.id()
        )))
    }
    /// The account's open positions (of `pair`, or all) on a perpetual venue: signed size, entry
    /// notional and price, margin, unrealized PnL, margin ratio, liquidation price and unsettled
    /// funding, position side, mark price, leverage and margin mode where the venue reports them. Venues without positions (spot exchanges, AMMs) keep
    /// this default, which says so.
    async fn positions(&self, _pair: Option<&Pair>) -> Result<Vec<Position>, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: positions",
            self.id()
        )))
    }
    /// Sends an order on a perpetual market with its options (position side, reduce-only; a
    /// close-position order is [`PerpOrder::close`]). Tracked and reported like [`Venue::submit`].
    async fn submit_perp(&self, order: PerpOrder) -> Result<ClientOrderId, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: perpetual order {}",
            self.id(),
            order.order.client_id
        )))
    }
    /// The mark and index prices of a perpetual market, its funding rate and next funding time.
    async fn funding(&self, pair: &Pair) -> Result<FundingInfo, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: funding and mark price of {pair}",
            self.id()
        )))
    }
    /// Sets the leverage of a perpetual market; returns what the venue applied.
    async fn set_leverage(
        &self,
        pair: &Pair,
        _leverage: u32,
    ) -> Result<LeverageSetting, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: leverage of {pair}",
            self.id()
        )))
    }
    /// The funding settlements booked on the account's positions (of `pair`, or all) since
    /// `since_ms` (Unix milliseconds), oldest first, each with the venue's id so that a caller
    /// merging these with a stream's counts each once.
    async fn funding_payments(
        &self,
        pair: Option<&Pair>,
        _since_ms: u64,
    ) -> Result<Vec<FundingPayment>, VenueError> {
        Err(VenueError::NotSupported(match pair {
            Some(p) => format!("{}: funding payments of {p}", self.id()),
            None => format!("{}: funding payments", self.id()),
        }))
    }

    /// Sets a perpetual market's margin mode (cross or isolated).
    async fn set_margin_mode(&self, pair: &Pair, mode: MarginMode) -> Result<(), VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: {mode} margin on {pair}",
            self.id()
        )))
    }
    /// The account's position mode (one-way or hedge).
    async fn position_mode(&self) -> Result<PositionMode, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: position mode",
            self.id()
        )))
    }
    /// Sets the account's position mode (venues refuse it while positions or orders are open).
    async fn set_position_mode(&self, mode: PositionMode) -> Result<(), VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: {mode} position mode",
            self.id()
        )))
    }
    /// What `submit(order)` would send, built and signed by the same path but not sent: the signed
    /// HTTP request of an exchange, the signed transaction of a chain venue (its nonce not
    /// consumed). Nothing is tracked or journaled; reads the build needs (markets, a nonce, a gas
    /// estimate) may go out. Venues that cannot keep this default, which says so.
    async fn dry_run(&self, order: OrderRequest) -> Result<DryRun, VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: a dry run of order {} (this venue cannot build an order without sending it)",
            self.id(),
            order.client_id
        )))
    }
    /// What a chain venue did on chain for order `id` in this process: the approvals it sent
    /// and the transaction's receipt, for the user's report. `None` from venues without a chain.
    fn chain_report(&self, _id: &ClientOrderId) -> Option<ChainReport> {
        None
    }
    /// Starts watching `pairs` (books, pools) and whatever runs in the background (user streams,
    /// reconcilers, log sync). The tasks are the venue's: [`Venue::close`] stops them, and so does
    /// dropping the venue when its tasks hold it only weakly (the AMM venues; not yet Binance,
    /// whose user-stream consumer holds the venue). Calling it again adds pairs.
    async fn start(&self, _pairs: &[Pair]) -> Result<(), VenueError> {
        Ok(())
    }
    /// Stops everything [`Venue::start`] started. Calls that need no stream (quotes over REST,
    /// status) keep working.
    async fn close(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venue_ids() {
        let v: VenueId = "uniswap_v3@ethereum".parse().unwrap();
        assert_eq!(v.connector, "uniswap_v3");
        assert_eq!(v.chain.as_deref(), Some("ethereum"));
        assert_eq!(v.to_string(), "uniswap_v3@ethereum");
        assert_eq!("binance".parse::<VenueId>().unwrap().chain, None);
        for bad in ["", "Binance", "a@", "@b", "a b", "a@b@c"] {
            assert!(bad.parse::<VenueId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn retryable_errors() {
        assert!(
            VenueError::RateLimited {
                retry_after_ms: Some(5)
            }
            .is_retryable()
        );
        assert!(!VenueError::Auth("bad key".into()).is_retryable());
        assert_eq!(
            VenueError::RateLimited {
                retry_after_ms: Some(5)
            }
            .to_string(),
            "rate limited, retry after 5 ms"
        );
    }
}
