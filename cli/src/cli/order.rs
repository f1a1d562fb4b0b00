//! `sluice order place|cancel|list --venue binance …`: orders at an exchange with the API keys
//! stored by `sluice keys add`. Rules (tick, step, minimum size and notional) are checked before
//! anything is sent. `--base-url` / `--ws-url` point it at a mock exchange.
//!
//! `place` and `cancel` are journaled like the strategy's orders: a manual run (its one venue and
//! pair) is started, the intent is written before the send, the state and fills after, and the run
//! ends with the command. An order whose outcome is unknown (a timeout) stays in flight in the
//! journal and the next `sluice arb` on that venue and pair adopts it; a manual order's position is
//! the user's and is never corrected.
//!
//! `place --reduce-only` (one-way mode) and `place --position-side long|short` (hedge mode) make
//! a perpetual order, sent through `Venue::submit_perp`; a venue without perpetuals refuses it.
//!
//! `place --dry-run` sends nothing and journals nothing: it prints the exact signed request (an
//! exchange) or signed transaction (a chain venue) the order would send (`Venue::dry_run`).

use rust_decimal::Decimal;
use serde::Serialize;
use sluice::core::{
    ClientOrderId, Order, OrderRequest, OrderState, OrderType, Pair, PerpOrder, PositionSide, Side,
    TimeInForce,
};
use sluice::store::{Journal, RunId, RunKind, RunLeg, RunScope};
use sluice::venue::{Access, DryRun, Venue, VenueError, WireForm};

use super::book::ExchangeArgs;
use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: OrderCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum OrderCommand {
    /// Place a limit, post-only or market order.
    Place(PlaceArgs),
    /// Cancel an open order by its client order id.
    Cancel(CancelArgs),
    /// List open orders.
    List(ListArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TypeArg {
    Limit,
    LimitMaker,
    Market,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TifArg {
    Gtc,
    Ioc,
    Fok,
}

#[derive(Debug, clap::Args)]
pub struct PlaceArgs {
    #[command(flatten)]
    pub exchange: ExchangeArgs,
    /// Pair as BASE-QUOTE.
    #[arg(long)]
    pub pair: Pair,
    /// buy or sell.
    #[arg(long)]
    pub side: Side,
    #[arg(long = "type", value_enum, default_value = "limit")]
    pub order_type: TypeArg,
    /// Base-asset amount.
    #[arg(long)]
    pub amount: Decimal,
    /// Limit price (not for market orders).
    #[arg(long)]
    pub price: Option<Decimal>,
    #[arg(long, value_enum, default_value = "gtc")]
    pub tif: TifArg,
    /// Client order id (generated if absent; at most 36 characters for Binance).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Perpetuals, one-way mode: only reduce the position, never open or grow one.
    #[arg(long, conflicts_with = "position_side")]
    pub reduce_only: bool,
    /// Perpetuals, hedge mode: the position side the order acts on.
    #[arg(long, value_enum)]
    pub position_side: Option<PositionSideArg>,
    /// Print the exact signed request or transaction the order would send, without sending it.
    #[arg(long, conflicts_with_all = ["reduce_only", "position_side"])]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PositionSideArg {
    Long,
    Short,
}

impl PlaceArgs {
    /// The perpetual options given, if any (`None`: a plain order through `Venue::submit`).
    fn perp_options(&self) -> Option<(PositionSide, bool)> {
        let side = match self.position_side {
            None => PositionSide::Net,
            Some(PositionSideArg::Long) => PositionSide::Long,
            Some(PositionSideArg::Short) => PositionSide::Short,
        };
        (self.reduce_only || side != PositionSide::Net).then_some((side, self.reduce_only))
    }
}

#[derive(Debug, clap::Args)]
pub struct CancelArgs {
    #[command(flatten)]
    pub exchange: ExchangeArgs,
    /// Client order id of the order.
    #[arg(long)]
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub exchange: ExchangeArgs,
    /// Only this pair.
    #[arg(long)]
    pub pair: Option<Pair>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct OrderView {
    client_id: String,
    venue_order_id: Option<String>,
    pair: String,
    side: String,
    state: String,
    amount: Decimal,
    price: Option<Decimal>,
    filled: Decimal,
    average_price: Option<Decimal>,
    reason: Option<String>,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        Self {
            client_id: o.client_id().to_string(),
            venue_order_id: o.venue_order_id.clone(),
            pair: o.request.pair.to_string(),
            side: o.request.side.to_string(),
            state: o.state.to_string(),
            amount: o.request.amount,
            price: o.request.price,
            filled: o.filled,
            average_price: o.average_price(),
            reason: o.reason.clone(),
        }
    }
}

fn show(orders: &[OrderView], json: bool) -> Result<(), CliError> {
    if json {
        return print_json(orders);
    }
    let mut t = Table::new(&[
        "client id",
        "order id",
        "pair",
        "side",
        "state",
        "amount",
        "price",
        "filled",
    ]);
    for o in orders {
        t.row(vec![
            o.client_id.clone(),
            o.venue_order_id.clone().unwrap_or_default(),
            o.pair.clone(),
            o.side.clone(),
            o.state.clone(),
            o.amount.to_string(),
            o.price.map(|p| p.to_string()).unwrap_or_default(),
            o.filled.to_string(),
        ]);
    }
    t.print()
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    match args.command {
        OrderCommand::Place(a) => place(a, ctx).await,
        OrderCommand::Cancel(a) => cancel(a, ctx).await,
        OrderCommand::List(a) => list(a, ctx).await,
    }
}

async fn place(a: PlaceArgs, ctx: &Context) -> Result<(), CliError> {
    let venue = a.exchange.connect(ctx, Access::Trade).await?;
    let client_id = match &a.client_id {
        Some(c) => ClientOrderId::new(c)?,
        None => venue.new_client_id()?,
    };
    let request = OrderRequest {
        client_id: client_id.clone(),
        pair: a.pair.clone(),
        side: a.side,
        order_type: match a.order_type {
            TypeArg::Limit => OrderType::Limit,
            TypeArg::LimitMaker => OrderType::LimitMaker,
            TypeArg::Market => OrderType::Market,
        },
        amount: a.amount,
        price: a.price,
        time_in_force: match a.tif {
            TifArg::Gtc => TimeInForce::Gtc,
            TifArg::Ioc => TimeInForce::Ioc,
            TifArg::Fok => TimeInForce::Fok,
        },
        deadline: None,
    };
    let perp = a
        .perp_options()
        .map(|(position_side, reduce_only)| PerpOrder {
            order: request.clone(),
            position_side,
            reduce_only,
        });
    if let Some(p) = &perp {
        p.check_shape()?;
    }
    if a.dry_run {
        let dry = venue.dry_run(request).await?;
        return show_dry_run(&dry, a.json);
    }
    let journal = Journal::open(&ctx.journal_path())?;
    let run = manual_run(&journal, venue.as_ref(), &a.pair, "order place")?;
    let placed = place_journaled(venue.as_ref(), &journal, run, request, perp).await;
    let outcome = match &placed {
        Ok(o) => format!("order {client_id}: {}", o.state),
        Err(e) => format!("order {client_id}: {e}"),
    };
    journal.end_run(run, &outcome)?;
    show(&[OrderView::from(&placed?)], a.json)
}

/// Prints a dry run: the JSON form, or the request as it would be written on the wire (an
/// exchange) or the transaction's fields (a chain venue).
fn show_dry_run(dry: &DryRun, json: bool) -> Result<(), CliError> {
    if json {
        return print_json(dry);
    }
    println!(
        "dry run at {} ({}): nothing was sent",
        dry.venue,
        dry.wire.kind()
    );
    match &dry.wire {
        WireForm::Http {
            method,
            url,
            headers,
            body,
        } => {
            println!("{method} {url}");
            for (k, v) in headers {
                println!("{k}: {v}");
            }
            if let Some(b) = body {
                println!("\n{b}");
            }
        }
        other => {
            let fields =
                serde_json::to_value(other).map_err(|e| format!("cannot show the dry run: {e}"))?;
            if let serde_json::Value::Object(m) = fields {
                for (k, v) in m.iter().filter(|(k, _)| k.as_str() != "kind") {
                    match v {
                        serde_json::Value::String(s) => println!("{k}: {s}"),
                        serde_json::Value::Null => println!("{k}: -"),
                        v => println!("{k}: {v}"),
                    }
                }
            }
        }
    }
    Ok(())
}

/// Starts the manual run of one command on one (venue, pair).
fn manual_run(
    journal: &Journal,
    venue: &dyn Venue,
    pair: &Pair,
    label: &str,
) -> Result<RunId, CliError> {
    start_manual_run(journal, &venue.id().to_string(), pair, label)
}

/// Starts the manual run (`sluice order`, `sluice swap`) of one command on one (venue, pair).
pub(super) fn start_manual_run(
    journal: &Journal,
    venue: &str,
    pair: &Pair,
    label: &str,
) -> Result<RunId, CliError> {
    let scope = RunScope::new(
        RunKind::Manual,
        vec![RunLeg {
            venue: venue.to_string(),
            pair: pair.clone(),
        }],
        Vec::new(),
    );
    Ok(journal.start_scoped_run(label, "", &scope)?)
}

/// Journals the intent, sends the order (with its perpetual options through
/// `Venue::submit_perp` when it has any), journals what the venue answered.
async fn place_journaled(
    venue: &dyn Venue,
    journal: &Journal,
    run: RunId,
    request: OrderRequest,
    perp: Option<PerpOrder>,
) -> Result<Order, CliError> {
    let id = request.client_id.clone();
    let name = venue.id().to_string();
    journal.record_intent(run, &name, &request)?;
    let sent = match perp {
        Some(p) => venue.submit_perp(p).await,
        None => venue.submit(request.clone()).await,
    };
    if let Err(e) = sent {
        let reason = e.to_string();
        let unknown = matches!(e, VenueError::Timeout(_) | VenueError::Network(_));
        let state = if unknown {
            OrderState::Unknown
        } else {
            OrderState::Failed
        };
        journal.record_state(&id, state, None, Some(&reason))?;
        if unknown {
            return Err(format!(
                "order {id}: no answer from {name} ({reason}); it may have reached the venue: it \
                 stays in flight in the journal and the next start on {name} {} adopts it",
                request.pair
            )
            .into());
        }
        return Err(e.into());
    }
    let order = current(venue, &request).await?;
    record_outcome(venue, journal, run, &order).await?;
    Ok(order)
}

/// The order as the venue has it now: its local view when it tracks the order, else asked.
async fn current(venue: &dyn Venue, request: &OrderRequest) -> Result<Order, VenueError> {
    match venue.tracked_order(&request.client_id) {
        Some(order) => Ok(order),
        None => venue.order_status(request).await,
    }
}

/// Journals an order's fills (each once) and its current state.
async fn record_outcome(
    venue: &dyn Venue,
    journal: &Journal,
    run: RunId,
    order: &Order,
) -> Result<(), CliError> {
    if !order.filled.is_zero() {
        // Fills not fetched now are fetched by the next start's reconcile (the order stays in
        // flight until its fills are in).
        match venue.order_fills(&order.request).await {
            Ok(fills) => {
                for f in fills {
                    journal.record_fill(run, &f)?;
                }
            }
            Err(e) => {
                tracing::warn!(order = %order.client_id(), error = %e, "fills not fetched");
                return Ok(());
            }
        }
    }
    let id = order.client_id();
    let now = journal.order(id)?.map(|o| o.state);
    if now != Some(order.state) {
        journal.record_state(
            id,
            order.state,
            order.venue_order_id.as_deref(),
            order.reason.as_deref(),
        )?;
    }
    Ok(())
}

async fn cancel(a: CancelArgs, ctx: &Context) -> Result<(), CliError> {
    let venue = a.exchange.connect(ctx, Access::Trade).await?;
    let id = ClientOrderId::new(&a.id)?;
    // finds the open order at the exchange and tracks it, then cancels it
    let request = match venue.tracked_order(&id) {
        Some(order) => order.request,
        None => venue.adopt_order(&id).await?.request,
    };
    let journal = Journal::open(&ctx.journal_path())?;
    // An order sluice did not place is adopted into a manual run of its own.
    let (run, adopted) = match journal.order(&id)? {
        Some(o) => (o.run_id, None),
        None => {
            let run = manual_run(&journal, venue.as_ref(), &request.pair, "order cancel")?;
            journal.record_intent(run, &venue.id().to_string(), &request)?;
            (run, Some(run))
        }
    };
    let cancelled = venue.cancel(&id).await;
    let order = current(venue.as_ref(), &request).await?;
    let recorded = record_outcome(venue.as_ref(), &journal, run, &order).await;
    if let Some(run) = adopted {
        journal.end_run(
            run,
            &format!("order {id} adopted and cancelled: {}", order.state),
        )?;
    }
    cancelled?;
    recorded?;
    show(&[OrderView::from(&order)], a.json)
}

async fn list(a: ListArgs, ctx: &Context) -> Result<(), CliError> {
    let venue = a.exchange.connect(ctx, Access::Trade).await?;
    let views: Vec<OrderView> = venue
        .list_open_orders(a.pair.as_ref())
        .await?
        .iter()
        .map(|o| OrderView {
            // the list carries no fill prices
            average_price: None,
            ..OrderView::from(o)
        })
        .collect();
    show(&views, a.json)
}
