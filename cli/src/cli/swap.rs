//! `sluice swap --venue uniswap_v2|uniswap_v3 --chain CHAIN (or --venue uniswap_v3@CHAIN) --wallet
//! NAME PAIR buy|sell AMOUNT --slippage PCT`: quotes locally, then sends the swap with a bound at the
//! quote moved by the slippage tolerance and a deadline; approves the router first when needed
//! (shown: exactly the amount by default, `--approve unlimited` to opt in to an unlimited
//! allowance); waits for the receipt and prints the fill decoded from its logs, or the revert
//! reason. A native leg (ETH-USDC) is paid or received as native coin. The venue is built through
//! the connector registry (`wallet`, `account_index` and `approval` in its table).

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Serialize;
use sluice::core::{
    ClientOrderId, Order, OrderRequest, OrderType, Quote, QuoteRequest, Side, TimeInForce,
};
use sluice::venue::{Access, ApprovalNote, Execution, ReceiptNote, Venue, VenueKind};

use super::quote::{VenueArgs, open_venue, parse_pair};
use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub venue: VenueArgs,
    /// The wallet that signs (see `sluice wallet list`); its password comes from SLUICE_PASSWORD or
    /// a prompt.
    #[arg(long)]
    pub wallet: String,
    /// Account index within the wallet.
    #[arg(long, default_value_t = 0)]
    pub account: u64,
    /// BASE-QUOTE of token symbols; the chain's native asset (ETH-USDC) is paid or received as
    /// native coin, wrapped and unwrapped by the router (no approval for ETH in).
    pub pair: String,
    /// buy or sell the base token.
    pub side: Side,
    /// Base amount, in whole tokens.
    pub amount: Decimal,
    /// Slippage tolerance in percent of the quoted price (0.5 = 0.5 %).
    #[arg(long)]
    pub slippage: Decimal,
    /// Seconds until the swap's deadline.
    #[arg(long, default_value_t = 300)]
    pub deadline_secs: u64,
    /// How the router is approved when its allowance is short: `exact` (the default) approves
    /// what this swap needs; `unlimited` approves type(uint256).max once for good, after which
    /// the router can move all of this token. The output says which was done.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = Approve::Exact)]
    pub approve: Approve,
    /// Older spelling of `--approve exact`, now the default; kept so scripts keep working.
    #[arg(long, hide = true, conflicts_with = "approve")]
    pub exact_approval: bool,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `--approve`: how much the router may spend (the table's `approval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Approve {
    Exact,
    Unlimited,
}

impl Approve {
    fn as_str(self) -> &'static str {
        match self {
            Approve::Exact => "exact",
            Approve::Unlimited => "unlimited",
        }
    }
}

#[derive(Debug, Serialize)]
struct SwapReport {
    quote: Quote,
    /// How the router was (or would have been) approved: `exact` or `unlimited`.
    approval_policy: Approve,
    order: Order,
    approvals: Vec<ApprovalNote>,
    receipt: Option<ReceiptNote>,
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    if args.slippage < Decimal::ZERO || args.slippage >= Decimal::ONE_HUNDRED {
        return Err(format!("--slippage {} must be in [0, 100)", args.slippage).into());
    }
    let pair = parse_pair(&args.pair)?;
    refuse_non_amm(&args.venue.venue)?;
    let mut trade = toml::Table::new();
    trade.insert("wallet".into(), args.wallet.clone().into());
    let account = i64::try_from(args.account)
        .map_err(|_| format!("--account {} is out of range", args.account))?;
    trade.insert("account_index".into(), account.into());
    trade.insert("approval".into(), args.approve.as_str().into());
    let venue = open_venue(&args.venue, ctx, &pair, Access::Trade, &trade).await?;
    let v: &dyn Venue = venue.as_ref();
    if !matches!(
        v.execution(),
        Execution::SwapMinOut | Execution::PositionChange
    ) {
        return Err(format!(
            "`sluice swap` sends swaps; {} does not trade by swaps",
            v.id()
        )
        .into());
    }
    let request = QuoteRequest {
        pair: pair.clone(),
        side: args.side,
        base_amount: args.amount,
    };
    let quote = v.quote(&request).await?;
    let tolerance = args.slippage / Decimal::ONE_HUNDRED;
    let worst = match args.side {
        Side::Sell => quote.average_price * (Decimal::ONE - tolerance),
        Side::Buy => quote.average_price * (Decimal::ONE + tolerance),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())?;
    let order = OrderRequest {
        client_id: ClientOrderId::generate("swap-"),
        pair,
        side: args.side,
        order_type: OrderType::Swap,
        amount: args.amount,
        price: Some(worst),
        time_in_force: TimeInForce::Fok,
        deadline: Some(now + args.deadline_secs),
    };
    // Journaled as a manual run: the intent before the send, transactions as they go, the end.
    let journal = sluice::store::Journal::open(&ctx.journal_path())?;
    let name = v.id().to_string();
    let run = super::order::start_manual_run(&journal, &name, &order.pair, "swap")?;
    v.attach_tx_journal(std::sync::Arc::new(sluice::store::RunTxJournal::new(
        journal.clone(),
        run,
    )));
    journal.record_intent(run, &name, &order)?;
    if let Err(e) = v.submit(order.clone()).await {
        // A timeout may have reached the node: left in flight for the next start to adopt.
        if !matches!(
            e,
            sluice::venue::VenueError::Timeout(_) | sluice::venue::VenueError::Network(_)
        ) {
            let reason = e.to_string();
            let failed = sluice::core::OrderState::Failed;
            journal.record_state(&order.client_id, failed, None, Some(&reason))?;
        }
        journal.end_run(run, &format!("swap {}: {e}", order.client_id))?;
        return Err(e.into());
    }
    let final_order = wait_final(v, &order, Duration::from_secs(args.deadline_secs + 60)).await?;
    for f in v.order_fills(&order).await.unwrap_or_default() {
        journal.record_fill(run, &f)?;
    }
    if journal.order(&order.client_id)?.map(|o| o.state) != Some(final_order.state) {
        journal.record_state(
            &order.client_id,
            final_order.state,
            final_order.venue_order_id.as_deref(),
            final_order.reason.as_deref(),
        )?;
    }
    journal.end_run(
        run,
        &format!("swap {}: {}", order.client_id, final_order.state),
    )?;
    let on_chain = v.chain_report(&order.client_id).unwrap_or_default();
    let report = SwapReport {
        quote,
        approval_policy: args.approve,
        approvals: on_chain.approvals,
        receipt: on_chain.receipt,
        order: final_order,
    };
    if args.json {
        print_json(&report)?;
    } else {
        print_table(&report)?;
    }
    if report.order.state == sluice::core::OrderState::Filled {
        Ok(())
    } else {
        Err(format!(
            "swap {} ended {}: {}",
            report.order.request.client_id,
            report.order.state.as_str(),
            report.order.reason.clone().unwrap_or_default()
        )
        .into())
    }
}

/// `sluice swap` drives the AMM venues that have a connector, and the on-chain perpetual ones (a
/// position change); any other is refused by name, before anything is connected.
fn refuse_non_amm(venue: &str) -> Result<(), CliError> {
    let connector = venue.split('@').next().unwrap_or(venue);
    let amms: Vec<&str> = sluice::connectors::builtin()
        .iter()
        .map(|c| c.descriptor().name)
        .filter(|name| {
            sluice::venue::CATALOG.iter().any(|v| {
                v.name == *name
                    && (v.kind == VenueKind::Amm
                        || (v.kind == VenueKind::Perp && !v.chains.is_empty()))
            })
        })
        .collect();
    if amms.contains(&connector) {
        return Ok(());
    }
    Err(format!("`sluice swap` drives {}, not {venue}", amms.join(" and ")).into())
}

async fn wait_final(
    v: &dyn Venue,
    order: &OrderRequest,
    limit: Duration,
) -> Result<Order, CliError> {
    let started = std::time::Instant::now();
    loop {
        let o = v.order_status(order).await?;
        if o.state.is_terminal() || o.state == sluice::core::OrderState::Unknown {
            return Ok(o);
        }
        if started.elapsed() > limit {
            return Ok(o);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn print_table(r: &SwapReport) -> Result<(), CliError> {
    let mut t = Table::new(&["field", "value"]);
    let how = match r.approval_policy {
        Approve::Exact => "exact: the amount this swap needs",
        Approve::Unlimited => "unlimited (--approve unlimited): the router may move all of it",
    };
    for a in &r.approvals {
        t.row(vec![
            "approval".into(),
            format!(
                "{how}; token {} for {} (tx {})",
                a.token,
                a.spender,
                a.tx_hashes.join(", ")
            ),
        ]);
    }
    if r.approvals.is_empty() {
        t.row(vec![
            "approval".into(),
            "none sent (the allowance already covered the swap, or no token went in)".into(),
        ]);
    }
    t.row(vec!["order".into(), r.order.request.client_id.to_string()]);
    t.row(vec!["state".into(), r.order.state.as_str().to_string()]);
    t.row(vec![
        "transaction".into(),
        r.order.venue_order_id.clone().unwrap_or_else(|| "-".into()),
    ]);
    t.row(vec![
        "quoted".into(),
        format!(
            "{} {} for {} {}",
            r.quote.quote_amount, r.quote.pair.quote, r.quote.base_amount, r.quote.pair.base
        ),
    ]);
    t.row(vec![
        "bound (worst average price)".into(),
        r.order
            .request
            .price
            .map(|p| p.to_string())
            .unwrap_or_default(),
    ]);
    t.row(vec![
        "filled".into(),
        format!(
            "{} {} for {} {}",
            r.order.filled, r.quote.pair.base, r.order.filled_quote, r.quote.pair.quote
        ),
    ]);
    if let Some(rc) = &r.receipt {
        t.row(vec![
            "gas".into(),
            format!("{} used, {} native", rc.gas_used, rc.gas_cost_native),
        ]);
    }
    if let Some(reason) = &r.order.reason {
        t.row(vec!["reason".into(), reason.clone()]);
    }
    t.print()
}
