//! What the spot–perpetual runner reports: its events (one JSON line each in `sluice arb --json`),
//! its errors and the summary of a run.

use rust_decimal::Decimal;
use serde::Serialize;

use super::decision::{Carry, CloseBasis, Holding, OpenEdge, SizeError};
use crate::core::{Fill, FundingPayment, OrderRequest, OrderState};
use crate::store::{AssetFlow, RunId, StoreError};
use crate::strategy::arb::RunOutcome;
use crate::venue::VenueError;

/// Something the runner did or saw.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SpotPerpEvent {
    /// The run (new, or resumed after a restart) and what it holds.
    Started {
        run_id: RunId,
        resumed: bool,
        holding: Holding,
    },
    /// The edges of opening each carry, and the basis of a held position.
    Basis {
        edges: Vec<OpenEdge>,
        basis: Option<CloseBasis>,
    },
    OrderSent {
        venue: String,
        order: OrderRequest,
        reduce_only: bool,
    },
    OrderUpdate {
        venue: String,
        client_id: String,
        state: OrderState,
        reason: Option<String>,
    },
    Fill {
        fill: Fill,
    },
    Opened {
        carry: Carry,
        size: Decimal,
        expected_net: Decimal,
    },
    Closed {
        carry: Carry,
        size: Decimal,
    },
    LegFailed {
        detail: String,
    },
    Skipped {
        reason: String,
    },
    Funding {
        payment: FundingPayment,
    },
    Stopped {
        outcome: RunOutcome,
        holding: Holding,
    },
}

/// Why the runner could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum SpotPerpError {
    #[error("{venue}: {source}")]
    Venue {
        venue: String,
        source: Box<VenueError>,
    },
    #[error("{venue} has no market {pair}")]
    NoMarket { venue: String, pair: String },
    #[error(transparent)]
    Size(#[from] SizeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "run {run} holds unbalanced legs (spot {spot}, perpetual {perp}) that the policy could not \
         settle: {detail}"
    )]
    Unbalanced {
        run: RunId,
        spot: Decimal,
        perp: Decimal,
        detail: String,
    },
    #[error("run {run}: order {client_id} at {venue} cannot be resolved: {source}")]
    Unresolved {
        run: RunId,
        venue: String,
        client_id: String,
        source: Box<VenueError>,
    },
}

/// The end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct SpotPerpSummary {
    pub run_id: RunId,
    /// Positions opened and closed (each open or close of both legs counts once).
    pub opens: u32,
    pub closes: u32,
    pub failures: u32,
    pub outcome: RunOutcome,
    /// What is still held; a run that holds a position stays open in the journal for the next
    /// start to resume.
    pub holding: Holding,
    /// Realized PnL per asset (fills, fees, funding).
    pub pnl: Vec<AssetFlow>,
}
