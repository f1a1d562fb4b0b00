//! `sluice recover --run ID --close|--abandon`: settles a run that a start refused to act on (an
//! interrupted run of other venues or pairs, one journaled without a scope, one whose correction
//! did not end flat).
//!
//! - `--abandon` ends the run as abandoned by the user: nothing is sent; its exposure is theirs and
//!   is written into its outcome.
//! - `--close --config FILE` connects the venues of a `sluice arb` config whose legs are the run's,
//!   reconciles the run's orders, flattens its net exposure with one bounded corrective order
//!   (journaled under that run before it is sent) and ends it.
//!
//! `sluice history --run ID` shows the run's scope and exposure first. Takes the home lock.

use std::path::PathBuf;

use serde::Serialize;
use sluice::store::Journal;
use sluice::strategy::arb::{ArbRunner, Evaluator, abandon_run};
use tokio::sync::mpsc;

use super::{CliError, Context, print_json};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["close", "abandon"])))]
pub struct Args {
    /// The run to settle (see `sluice history`).
    #[arg(long)]
    run: i64,
    /// Flatten the run's exposure with bounded corrective orders, then end it (needs --config).
    #[arg(long, requires = "config")]
    close: bool,
    /// End the run without sending anything; its exposure becomes yours.
    #[arg(long)]
    abandon: bool,
    /// A `sluice arb` config whose venues and pairs are the run's (for --close).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Settled<'a> {
    run: i64,
    action: &'a str,
    outcome: String,
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let path = ctx.journal_path();
    if !path.exists() {
        return Err(format!("no journal at {}: nothing to recover", path.display()).into());
    }
    let journal = Journal::open(&path)?;
    let (action, outcome) = if args.abandon {
        ("abandon", abandon_run(&journal, args.run)?)
    } else {
        let config = args
            .config
            .as_deref()
            .ok_or("--close needs --config FILE")?;
        let (cfg, strategy_text, venues) = super::arb::load_and_connect(config, ctx).await?;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let runner = ArbRunner::new(
            venues,
            Evaluator::new(cfg),
            journal,
            "recover",
            &strategy_text,
            tx,
        )
        .await?;
        let json = args.json;
        // What the correction does goes to stderr as it happens; stdout keeps the result.
        let printer = tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                if let Ok(line) = serde_json::to_string(&ev) {
                    if json {
                        eprintln!("{line}");
                    } else {
                        eprintln!("recover: {line}");
                    }
                }
            }
        });
        let outcome = runner.close_run(args.run).await;
        let _ = printer.await;
        ("close", outcome?)
    };
    if args.json {
        return print_json(&Settled {
            run: args.run,
            action,
            outcome,
        });
    }
    println!("run {}: {outcome}", args.run);
    Ok(())
}
