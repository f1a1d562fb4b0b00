//! `sluice leverage --venue V PAIR N [--json]`: sets the leverage of a perpetual market at an
//! exchange (`Venue::set_leverage`, with the stored API keys) and prints what the venue applied.
//! `--base-url` / `--ws-url` point it at a simulator. A venue without leverage says so.

use serde::Serialize;
use sluice::core::Pair;
use sluice::venue::Access;

use super::book::ExchangeArgs;
use super::{CliError, Context, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub exchange: ExchangeArgs,
    /// The perpetual market as BASE-QUOTE, e.g. BTC-USDT.
    pub pair: Pair,
    /// The leverage, a whole number from 1 to the market's maximum.
    pub leverage: u32,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    venue: String,
    pair: String,
    leverage: u32,
    max_notional: Option<rust_decimal::Decimal>,
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    if args.leverage == 0 {
        return Err("the leverage must be at least 1".into());
    }
    let venue = args.exchange.connect(ctx, Access::Trade).await?;
    let set = venue.set_leverage(&args.pair, args.leverage).await;
    venue.close().await;
    let set = set?;
    let report = Report {
        venue: venue.id().to_string(),
        pair: set.pair.to_string(),
        leverage: set.leverage,
        max_notional: set.max_notional,
    };
    if args.json {
        return print_json(&report);
    }
    match report.max_notional {
        Some(n) => println!(
            "{} {}: leverage {}x (max notional {n})",
            report.venue, report.pair, report.leverage
        ),
        None => println!(
            "{} {}: leverage {}x",
            report.venue, report.pair, report.leverage
        ),
    }
    Ok(())
}
