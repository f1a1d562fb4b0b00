//! `sluice swap --venue uniswap_v2|uniswap_v3 --chain CHAIN (or --venue uniswap_v3@CHAIN) --wallet
//! NAME PAIR buy|sell AMOUNT --slippage PCT`: quotes locally, then sends the swap with a bound at the quote moved by the
//! slippage tolerance and a deadline; approves the router first when needed (shown: exactly the
//! amount by default, `--approve unlimited` to opt in to an unlimited allowance); waits for the
//! receipt and prints the fill decoded from its logs, or the revert reason. A native leg (ETH-USDC)
//! is paid or received as native coin.

use std::time::Duration;

use alloy::network::EthereumWallet;
use rust_decimal::Decimal;
use serde::Serialize;
use sluice::amm::swap::{ApprovalRecord, SwapReceipt};
use sluice::chain::evm::{ApprovalPolicy, EvmClient, TrackerConfig, TxTracker};
use sluice::core::{
    ClientOrderId, Order, OrderRequest, OrderType, Quote, QuoteRequest, Side, TimeInForce,
};
use sluice::venue::Venue;
use sluice::wallet::WalletStore;

use super::swap_venue::{VenueArgs, open_venue, resolve_pair};
use super::wallet::password;
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
    /// BASE-QUOTE, each a symbol or a 0x address; the chain's native asset (ETH-USDC) is paid or
    /// received as native coin, wrapped and unwrapped by the router (no approval for ETH in).
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

/// `--approve`: how much the router may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Approve {
    Exact,
    Unlimited,
}

impl From<Approve> for ApprovalPolicy {
    fn from(a: Approve) -> Self {
        match a {
            Approve::Exact => ApprovalPolicy::Exact,
            Approve::Unlimited => ApprovalPolicy::Unlimited,
        }
    }
}

#[derive(Debug, Serialize)]
struct SwapReport {
    quote: Quote,
    /// How the router was (or would have been) approved: `exact` or `unlimited`.
    approval_policy: ApprovalPolicy,
    order: Order,
    approvals: Vec<ApprovalRecord>,
    receipt: Option<SwapReceipt>,
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    if args.slippage < Decimal::ZERO || args.slippage >= Decimal::ONE_HUNDRED {
        return Err(format!("--slippage {} must be in [0, 100)", args.slippage).into());
    }
    let (_, chain) = args.venue.target()?;
    let spec = ctx.chain(&chain)?;
    let url = args
        .venue
        .rpc_url
        .clone()
        .or_else(|| spec.rpc_urls.first().cloned())
        .ok_or_else(|| format!("chain {} has no RPC URL; pass --rpc-url", spec.name))?;
    let store = WalletStore::new(&ctx.home);
    let wallet = store.unlock(&args.wallet, &password("Wallet password: ", false)?)?;
    let signer = wallet.evm_signer(spec, args.account)?;
    let client = EvmClient::connect(spec, &url).await?;
    let config = TrackerConfig::for_client(&client);
    let tracker = TxTracker::new(client, EthereumWallet::from(signer), config);
    let policy = ApprovalPolicy::from(args.approve);

    let (venue, _provider, _) = open_venue(&args.venue, ctx).await?;
    let venue = venue.with_executor(tracker, policy);
    let (base, quote_token, pair) = resolve_pair(&venue, &args.pair).await?;
    let request = QuoteRequest {
        pair: pair.clone(),
        side: args.side,
        base_amount: args.amount,
    };
    let quote = venue.quote_tokens(&request, &base, &quote_token).await?;
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
    let v: &dyn Venue = venue.as_venue();
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
    let executor = venue
        .executor()
        .ok_or("the venue has no executor after with_executor")?;
    let report = SwapReport {
        quote,
        approval_policy: policy,
        approvals: executor.approvals(),
        receipt: executor
            .receipts()
            .into_iter()
            .find(|r| r.client_id == order.client_id),
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
        ApprovalPolicy::Exact => "exact: the amount this swap needs",
        ApprovalPolicy::Unlimited => {
            "unlimited (--approve unlimited): the router may move all of it"
        }
    };
    for a in &r.approvals {
        t.row(vec![
            "approval".into(),
            format!(
                "{how}; token {} for {} (tx {:?})",
                a.token, a.spender, a.tx_hashes
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
