//! `sluice history [--run ID] [--json]`: trades, fees, gas and realized PnL per run, from the journal,
//! with each run's kind, scope (venues, pairs), whether it ended, and its net exposure per (venue,
//! pair): what `sluice recover` would settle; for runs that held perpetual positions, the last
//! position of each and the funding payments (counted in the realized PnL).

use sluice::store::{AssetFlow, Journal, RunReport, describe_positions, describe_scope};

use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this run.
    #[arg(long)]
    run: Option<i64>,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    json: bool,
}

/// `1.5 ETH, -20 USDT`, each amount rounded to `dp` decimals (half away from zero, for display).
pub(super) fn flows(v: &[AssetFlow], dp: u32) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter()
        .map(|f| {
            let n = f
                .net
                .round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                .normalize();
            format!("{n} {}", f.asset)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let path = ctx.journal_path();
    if !path.exists() {
        return Err(format!(
            "no journal at {} yet: nothing has traded with this home",
            path.display()
        )
        .into());
    }
    let journal = Journal::open(&path)?;
    let report = journal.history(args.run)?;
    if let Some(id) = args.run
        && report.runs.is_empty()
    {
        return Err(format!("no run {id} in {}", path.display()).into());
    }
    if args.json {
        return print_json(&report);
    }
    for r in &report.runs {
        println!(
            "run {} ({}) — {} orders, {} failed, {} in flight, outcome: {}",
            r.run_id,
            r.label,
            r.orders,
            r.failed_orders,
            r.orders_in_flight,
            r.outcome
                .as_deref()
                .unwrap_or("not ended: running or interrupted")
        );
        println!(
            "scope: {}\nended: {}\nnet exposure per (venue, pair): {}",
            describe_scope(r.scope.as_ref()),
            if r.ended_ms.is_some() { "yes" } else { "no" },
            describe_positions(&r.exposure)
        );
        let mut t = Table::new(&[
            "venue", "trade id", "pair", "side", "price", "amount", "fee",
        ]);
        for tr in &r.trades {
            t.row(vec![
                tr.venue.clone(),
                tr.trade_id.clone(),
                tr.pair.clone(),
                tr.side.clone(),
                tr.price.to_string(),
                tr.amount.to_string(),
                format!("{} {}", tr.fee_amount, tr.fee_asset),
            ]);
        }
        t.print()?;
        print_positions_and_funding(r)?;
        println!(
            "fees: {}\ngas: {}\nrealized PnL: {}\n",
            flows(&r.fees, 18),
            flows(&r.gas, 18),
            flows(&r.pnl, 18)
        );
    }
    Ok(())
}

/// The run's perpetual positions (last recorded) and funding payments, when it has any.
fn print_positions_and_funding(r: &RunReport) -> Result<(), CliError> {
    if !r.positions.is_empty() {
        let mut t = Table::new(&["venue", "pair", "side", "size", "entry", "mark", "uPnL"]);
        let opt = |d: Option<rust_decimal::Decimal>| d.map_or("-".into(), |v| v.to_string());
        for p in &r.positions {
            t.row(vec![
                p.venue.clone(),
                p.pair.clone(),
                p.position_side.clone(),
                p.size.to_string(),
                opt(p.entry_price),
                opt(p.mark_price),
                p.unrealized_pnl.to_string(),
            ]);
        }
        println!("positions:");
        t.print()?;
    }
    if !r.funding.is_empty() {
        let mut t = Table::new(&["venue", "payment id", "pair", "side", "amount", "time ms"]);
        for f in &r.funding {
            t.row(vec![
                f.venue.clone(),
                f.payment_id.clone(),
                f.pair.clone(),
                f.position_side.clone(),
                format!("{} {}", f.amount, f.asset),
                f.time_ms.to_string(),
            ]);
        }
        println!("funding:");
        t.print()?;
    }
    Ok(())
}
