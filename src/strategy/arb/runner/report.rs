//! What the runner tells the world: its events as it goes, how a run ended, the run's summary,
//! and the errors that stop it.

use super::*;

/// What the runner reports as it goes (for a live display or a log).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ArbEvent {
    Edges {
        edges: Vec<DirectionEdge>,
    },
    Skipped {
        reason: String,
    },
    OrderSent {
        venue: String,
        order: OrderRequest,
    },
    OrderUpdate {
        venue: String,
        client_id: ClientOrderId,
        state: OrderState,
        reason: Option<String>,
    },
    Fill {
        fill: Fill,
    },
    TradeDone {
        trade: u32,
        expected_profit: Decimal,
    },
    LegFailed {
        trade: u32,
        detail: String,
    },
    Reconciled {
        orders: usize,
    },
    Stopped {
        outcome: RunOutcome,
    },
}

/// Why the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum RunOutcome {
    /// Asked to stop (Ctrl-C); in-flight orders were followed to the end.
    Stopped,
    /// The configured number of trades was reached.
    MaxTrades,
    /// Too many failed trades.
    TooManyFailures(String),
    /// The failure policy is `stop` and a leg failed.
    PolicyStop(String),
    /// A venue's event stream ended.
    VenueGone(String),
}

/// The end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: RunId,
    pub trades: u32,
    pub failures: u32,
    pub outcome: RunOutcome,
    pub pnl: Vec<AssetFlow>,
    /// `pnl` with the config's aliases merged (WETH counted as ETH, USDC as USDT): the run's result.
    pub pnl_net: Vec<AssetFlow>,
}

/// Errors that stop the runner outright.
#[derive(Debug, thiserror::Error)]
pub enum ArbError {
    #[error("journal: {0}")]
    Journal(#[from] StoreError),
    #[error("{venue}: {source}")]
    Venue { venue: String, source: VenueError },
    #[error("{venue} has no market {pair}")]
    NoMarket { venue: String, pair: String },
    #[error("order size {size} is below what {venue} can trade after rounding to its step size")]
    SizeTooSmall { venue: String, size: Decimal },
    /// An earlier run's exposure is not settled: nothing is traded until it is.
    #[error("not trading: {detail}")]
    Unresolved { runs: Vec<RunId>, detail: String },
    /// Orders or transactions of an earlier run were still moving at the reconcile timeout.
    #[error(
        "not trading: {orders} order(s) and {transactions} transaction(s) of an earlier run are \
         still in flight after the reconcile timeout{runs}; start again once they settle \
         (`sluice history` shows them)"
    )]
    InFlight {
        orders: usize,
        transactions: usize,
        runs: String,
    },
    /// `sluice recover` cannot act on this run with this configuration.
    #[error("run {run}: {problem}")]
    CannotRecover { run: RunId, problem: String },
    /// A venue executes in a shape the arbitrage does not send (a position change).
    #[error(
        "{venue} executes by {execution:?}, which the arbitrage does not trade: its legs are swaps with a minimum out or IOC limit orders, so this leg is refused before the run and nothing is sent to either venue"
    )]
    UnsupportedExecution { venue: String, execution: Execution },
}
