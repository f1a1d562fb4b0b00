//! `sluice demo`: the arbitrage end to end on a local anvil and a mock Binance, no keys and no
//! internet needed. Prints each action and trade, then the final PnL. `--amm uniswap_v2|
//! uniswap_v3|balancer|mento|terra_swap` picks the AMM leg (default Uniswap v3), `--exchange` the
//! simulated exchange (default Binance).
//!
//! Where it journals: in a new throwaway home (printed) unless `--home` is given on the command
//! line. An inherited `SLUICE_HOME` does not count: it usually names the user's real home, and a
//! demo must never write into that unless the user asks for it by typing `--home`.

use std::time::Duration;

use rust_decimal::Decimal;
use sluice::strategy::arb::ArbEvent;
use sluice_sim::arb_env::ArbAmm;
use sluice_sim::demo::{self, DemoOptions};

use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The simulated exchange, by its connector's name (binance, coinbase_advanced, coinbase_pro,
    /// gate_io, htx, kraken, kucoin, okx).
    #[arg(long, default_value = "binance", value_parser = parse_exchange)]
    exchange: String,
    /// The AMM leg: uniswap_v2, uniswap_v3, balancer (WETH/USDC pools at 3000 USDC, against
    /// ETH-USDT), mento (CELO/cUSD at 0.50 cUSD, against CELO-USDT) or terra_swap (LUNA/axlUSDC at
    /// 0.50 on a local Terra, against LUNA-USDT).
    #[arg(long, default_value = "uniswap_v3", value_parser = parse_amm)]
    amm: ArbAmm,
    /// Base asset per trade [default: 1 ETH; 0.25 with balancer; 1000 CELO with mento; 5000 LUNA
    /// with terra_swap].
    #[arg(long)]
    size: Option<Decimal>,
    /// Centre of the mock exchange's book [default: 3100 USDT; 0.51 with mento].
    #[arg(long)]
    exchange_mid: Option<Decimal>,
    /// Stop after this many trades.
    #[arg(long, default_value_t = 12)]
    max_trades: u32,
    /// Stop after this many seconds whatever happens.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// Print the final report as one JSON document (progress goes to stderr).
    #[arg(long)]
    json: bool,
}

fn parse_exchange(s: &str) -> Result<String, String> {
    let known = demo::exchange_names();
    if known.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "no simulated exchange {s:?}; the demo has: {}",
            known.join(", ")
        ))
    }
}

fn parse_amm(s: &str) -> Result<ArbAmm, String> {
    s.parse()
        .map_err(|e: sluice_sim::arb_env::UnknownAmm| e.to_string())
}

fn describe(e: &ArbEvent) -> Option<String> {
    match e {
        ArbEvent::OrderSent { venue, order } => Some(format!(
            "→ {venue}: {} {} {} {}{}",
            order.side,
            order.amount,
            order.pair,
            format!("{:?}", order.order_type).to_lowercase(),
            order
                .price
                .map(|p| format!(" bound {}", p.round_dp(4)))
                .unwrap_or_default()
        )),
        ArbEvent::Fill { fill } => Some(format!(
            "  fill at {}: {} {} {} at {} (fee {} {})",
            fill.venue,
            fill.side,
            fill.amount,
            fill.pair.base,
            fill.price.round_dp(4),
            fill.fee_amount.round_dp(8),
            fill.fee_asset
        )),
        ArbEvent::OrderUpdate {
            venue,
            client_id,
            state,
            reason,
        } => reason
            .as_ref()
            .map(|r| format!("  {venue} order {client_id} {state}: {r}")),
        ArbEvent::TradeDone {
            trade,
            expected_profit,
        } => Some(format!(
            "✓ trade {trade} complete (expected profit {} USDT)",
            expected_profit.round_dp(2)
        )),
        ArbEvent::LegFailed { trade, detail } => Some(format!("✗ trade {trade}: {detail}")),
        ArbEvent::Skipped { reason } => Some(format!("  skipped: {reason}")),
        ArbEvent::Reconciled { orders } => {
            Some(format!("  reconciled {orders} orders from the journal"))
        }
        ArbEvent::Stopped { outcome } => Some(format!("strategy stopped: {outcome:?}")),
        ArbEvent::Edges { .. } => None,
    }
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let home = if ctx.home_from_flag {
        ctx.home.clone()
    } else {
        if std::env::var_os(super::HOME_ENV).is_some_and(|v| !v.is_empty()) {
            eprintln!(
                "sluice demo: {} is not used by the demo (it never writes into a real home); \
                 pass --home to journal the demo somewhere you choose",
                super::HOME_ENV
            );
        }
        demo::fresh_home()?
    };
    eprintln!(
        "sluice demo: home {} (afterwards: sluice history --home {})",
        home.display(),
        home.display()
    );
    let amm = args.amm;
    let options = DemoOptions {
        home,
        exchange: args.exchange.clone(),
        amm,
        order_size: args.size,
        exchange_mid: args.exchange_mid,
        max_trades: args.max_trades,
        timeout: Duration::from_secs(args.timeout_secs),
        ..DemoOptions::default()
    };
    let [exchange, amm_venue] = demo::demo_venues(&args.exchange, amm);
    let (ab, aq) = amm.tokens();
    eprintln!(
        "sluice demo: simulated venues only: {amm_venue} ({} {ab}/{aq} at {} on a throwaway anvil) \
         vs {exchange} (a mock {}, {} around {})",
        amm.title(),
        amm.pool_price(),
        demo::exchange_title(&args.exchange).unwrap_or(&args.exchange),
        amm.exchange_pair().replace('-', "/"),
        args.exchange_mid.unwrap_or(amm.default_mid())
    );
    let mut last_edges = String::new();
    let report = demo::run(options, |e| {
        if let ArbEvent::Edges { edges } = e {
            let text = edges
                .iter()
                .map(|x| format!("{}: {}%", x.direction, x.profit_pct.round_dp(3)))
                .collect::<Vec<_>>()
                .join(", ");
            if text != last_edges {
                eprintln!("  edge {text}");
                last_edges = text;
            }
        } else if let Some(line) = describe(e) {
            eprintln!("{line}");
        }
    })
    .await?;
    if args.json {
        return print_json(&report);
    }
    println!(
        "\n{} trades in {:.1} s; {}",
        report.summary.trades,
        report.elapsed_ms as f64 / 1000.0,
        report.stopped_because
    );
    let mut t = Table::new(&["venue", "side", "amount", "price", "fee"]);
    for tr in &report.trades {
        t.row(vec![
            tr.venue.clone(),
            tr.side.clone(),
            format!("{} {}", tr.amount, tr.pair.split('-').next().unwrap_or("")),
            tr.price.round_dp(4).to_string(),
            format!("{} {}", tr.fee_amount.round_dp(8), tr.fee_asset),
        ]);
    }
    t.print()?;
    println!(
        "realized PnL: {} (aliases merged; per asset: {})",
        super::history::flows(&report.summary.pnl_net, 8),
        super::history::flows(&report.summary.pnl, 8)
    );
    println!(
        "journal: {} (see `sluice history --home {}`)",
        report.journal.display(),
        report.home.display()
    );
    Ok(())
}
