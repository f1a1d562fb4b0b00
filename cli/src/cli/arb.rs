//! `sluice arb --config FILE`: runs the arbitrage strategy until Ctrl-C (then no new orders; in-flight
//! ones are followed to the end), showing the edge in each direction, actions, fills and PnL.
//!
//! The file is the strategy's TOML (see `strategy::arb::ArbConfig`) plus a `[connect.<venue>]`
//! table per venue saying how to reach it. Each table is read by that venue's connector (through
//! `sluice::connectors`: this command names no connector), which refuses a key it does not take;
//! both venues are then started on their pairs. For example:
//!
//! ```toml
//! [connect.binance]                 # optional: the production URLs are the default
//! rest_url = "http://127.0.0.1:9000"
//! ws_url = "ws://127.0.0.1:9001"
//! ws_api_url = "ws://127.0.0.1:9001/ws-api/v3"
//! user_stream = "auto"              # or "ws_api" / "listen_key": how fills and balances arrive
//!
//! [connect."uniswap_v3@anvil"]
//! rpc_url = "http://127.0.0.1:8545"
//! wallet = "main"                   # sluice wallet name; password from SLUICE_PASSWORD or a prompt
//! account_index = 0
//! manifest = "manifest.json"        # local deployments: addresses and tokens (else the chain spec)
//! ```
//! API keys come from `sluice keys add --venue binance`.
//!
//! Any AMM connector is the other leg in the same form (`uniswap_v2`, `uniswap_v3`, `balancer`,
//! `mento`, each `@<chain>` with the same table keys). A pool's pair may be named either way
//! round; when the pair's base is not the chain's native asset, gas needs a fixed price:
//!
//! ```toml
//! [venue_a]
//! venue = "binance"
//! pair = "CELO-USDT"
//!
//! [venue_b]
//! venue = "mento@celo"              # or "balancer@ethereum" with pair = "WETH-USDC"
//! pair = "CELO-cUSD"
//!
//! [gas]                             # gas is paid in CELO on Celo: here the pair's base,
//! source = "market"                 # so `market` prices it; on anvil (ETH) it would be
//!                                   # source = "fixed", native_price = "3000"
//! [[assets]]
//! asset = "cUSD"
//! same_as = "USDT"
//!
//! [connect."mento@celo"]
//! wallet = "main"
//! ```
//! A label that is not a connector's name says which connector serves it:
//! `[connect.binance-sub] connector = "binance"` (and `chain = "anvil"` for a chain venue whose
//! chain label is not a chain spec's name).
//!
//! With `strategy = "spot_perp"` the file holds the spot–perpetual strategy instead (see
//! `strategy::spot_perp::SpotPerpConfig`): `[spot]` and `[perp]` legs, the thresholds and the
//! position limit, and the same `[connect.<venue>]` tables; an unknown `strategy` is refused by name.
//!
//! The journal stores the strategy part of the file only: the `[connect]` table (URLs, wallets,
//! manifests) is stripped first. Before trading, the start settles what earlier runs left (see
//! `strategy::arb`'s recovery); a run it may not act on, or exposure it could not close, makes it
//! refuse to trade and exit non-zero, naming the run and the `sluice recover` command that settles it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sluice::core::Pair;
use sluice::store::Journal;
use sluice::strategy::arb::{ArbConfig, ArbEvent, ArbRunner, ConfigError, Evaluator};
use sluice::strategy::spot_perp::{SpotPerpConfig, SpotPerpEvent, SpotPerpRunner, StrategyKind};
use sluice::venue::{Access, Venue, VenueId};
use tokio::sync::{mpsc, watch};

use super::{CliError, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The strategy and connection file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Print every event as one JSON line on stdout instead of text.
    #[arg(long)]
    json: bool,
}

/// A config file split in two: the strategy's TOML (what the journal stores: no `[connect]`
/// table, so no URLs, wallets or manifests) and the connections: each venue's own table, read
/// by its connector (which rejects keys it does not know).
struct SplitConfig {
    /// The top-level `strategy` key (taken out of `strategy_text`).
    kind: StrategyKind,
    strategy_text: String,
    connect: BTreeMap<String, toml::Table>,
}

fn split_config(text: &str, path: &Path) -> Result<SplitConfig, CliError> {
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{}: {}", path.display(), e.message()))?;
    let connect: BTreeMap<String, toml::Table> = match table.remove("connect") {
        Some(v) => v.try_into().map_err(|e: toml::de::Error| {
            format!(
                "{}: [connect]: {} (one table per venue: [connect.<venue>])",
                path.display(),
                e.message()
            )
        })?,
        None => BTreeMap::new(),
    };
    let kind =
        StrategyKind::take_from(&mut table).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(SplitConfig {
        kind,
        strategy_text: toml::to_string(&table)?,
        connect,
    })
}

/// Every `[connect.<venue>]` table names a venue of the strategy: a typo is refused, not ignored.
fn check_tables(
    connect: &BTreeMap<String, toml::Table>,
    venues: &[&VenueId],
    path: &Path,
) -> Result<(), CliError> {
    for name in connect.keys() {
        if !venues.iter().any(|v| v.to_string() == *name) {
            let known: Vec<String> = venues.iter().map(ToString::to_string).collect();
            return Err(format!(
                "{}: [connect.\"{name}\"] names no venue of the strategy ({})",
                path.display(),
                known.join(", ")
            )
            .into());
        }
    }
    Ok(())
}

/// Reads a `sluice arb` config file and connects both of its venues through the registry, each
/// started on its pair: the strategy config, the text to journal (its `[connect]` table
/// stripped) and the venues.
pub(super) async fn load_and_connect(
    path: &Path,
    ctx: &Context,
) -> Result<(ArbConfig, String, [Arc<dyn Venue>; 2]), CliError> {
    let SplitConfig {
        kind,
        strategy_text,
        connect,
    } = read_config(path)?;
    if kind != StrategyKind::Arb {
        return Err(format!(
            "{}: strategy = \"spot_perp\": this command settles CEX↔AMM arbitrage runs; a \
             spot–perpetual run is resumed by `sluice arb --config` with the same file",
            path.display()
        )
        .into());
    }
    let cfg: ArbConfig = strategy_text
        .parse()
        .map_err(|e: sluice::strategy::arb::ConfigError| format!("{}: {e}", path.display()))?;
    check_tables(&connect, &[&cfg.venue_a.venue, &cfg.venue_b.venue], path)?;
    let legs = [
        (&cfg.venue_a.venue, &cfg.venue_a.pair),
        (&cfg.venue_b.venue, &cfg.venue_b.pair),
    ];
    let venues = connect_legs(legs, &connect, path, ctx).await?;
    Ok((cfg, strategy_text, venues))
}

fn read_config(path: &Path) -> Result<SplitConfig, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    split_config(&text, path)
}

/// Connects both legs through the registry, each started on its pair.
async fn connect_legs(
    legs: [(&VenueId, &Pair); 2],
    connect: &BTreeMap<String, toml::Table>,
    path: &Path,
    ctx: &Context,
) -> Result<[Arc<dyn Venue>; 2], CliError> {
    let cc = super::connect::context(ctx, path, Access::Trade);
    let empty = toml::Table::new();
    let mut venues = Vec::new();
    for (venue, pair) in legs {
        let table = connect.get(&venue.to_string()).unwrap_or(&empty);
        let pairs = std::slice::from_ref(pair);
        venues.push(super::connect::open(venue, table, &cc, pairs).await?);
    }
    Ok([venues[0].clone(), venues[1].clone()])
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    if read_config(&args.config)?.kind == StrategyKind::SpotPerp {
        return run_spot_perp(&args, ctx).await;
    }
    let (cfg, strategy_text, venues) = load_and_connect(&args.config, ctx).await?;
    // The Ctrl-C handler is installed before the run starts: `ctrl_c()` installs it only when first
    // polled, and the select! below may take an event first, so until then a Ctrl-C would have
    // killed the process outright, in-flight orders and all.
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    let interrupted_early = futures::poll!(&mut ctrl_c).is_ready();
    let journal = Journal::open(&ctx.journal_path())?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let runner = ArbRunner::new(
        venues,
        Evaluator::new(cfg),
        journal,
        "arb",
        &strategy_text,
        tx,
    )
    .await?;
    let run_id = runner.run_id();
    let (stop_tx, stop_rx) = watch::channel(interrupted_early);
    let handle = tokio::spawn(runner.run(stop_rx));
    eprintln!(
        "arb run {run_id} started; Ctrl-C stops (no new orders, in-flight ones followed to the end)"
    );
    loop {
        tokio::select! {
            _ = &mut ctrl_c, if !*stop_tx.borrow() => {
                eprintln!("stopping: no new orders; following in-flight ones");
                let _ = stop_tx.send(true);
            }
            ev = rx.recv() => {
                let Some(ev) = ev else { break };
                print_event(&ev, args.json)?;
                if matches!(ev, ArbEvent::Stopped { .. }) {
                    break;
                }
            }
        }
    }
    let summary = handle.await.map_err(|e| format!("strategy task: {e}"))??;
    eprintln!(
        "run {}: {} trades, {} failures, {:?}; realized PnL: {} (per asset: {})",
        summary.run_id,
        summary.trades,
        summary.failures,
        summary.outcome,
        super::history::flows(&summary.pnl_net, 8),
        super::history::flows(&summary.pnl, 18),
    );
    Ok(())
}

/// `strategy = "spot_perp"`: the spot–perpetual strategy on the file's `[spot]` and `[perp]` legs.
async fn run_spot_perp(args: &Args, ctx: &Context) -> Result<(), CliError> {
    let path = &args.config;
    let SplitConfig {
        strategy_text,
        connect,
        ..
    } = read_config(path)?;
    let cfg: SpotPerpConfig = strategy_text
        .parse()
        .map_err(|e: ConfigError| format!("{}: {e}", path.display()))?;
    check_tables(&connect, &[&cfg.spot.venue, &cfg.perp.venue], path)?;
    let legs = [
        (&cfg.spot.venue, &cfg.spot.pair),
        (&cfg.perp.venue, &cfg.perp.pair),
    ];
    let venues = connect_legs(legs, &connect, path, ctx).await?;
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    let interrupted_early = futures::poll!(&mut ctrl_c).is_ready();
    let journal = Journal::open(&ctx.journal_path())?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let text = format!("strategy = \"spot_perp\"\n{strategy_text}");
    let runner = SpotPerpRunner::new(venues, cfg, journal, "spot_perp", &text, tx)
        .await
        .map_err(|e| e.to_string())?;
    let run_id = runner.run_id();
    let (stop_tx, stop_rx) = watch::channel(interrupted_early);
    let handle = tokio::spawn(runner.run(stop_rx));
    eprintln!("spot_perp run {run_id} started; Ctrl-C stops (no new orders)");
    loop {
        tokio::select! {
            _ = &mut ctrl_c, if !*stop_tx.borrow() => {
                eprintln!("stopping: no new orders");
                let _ = stop_tx.send(true);
            }
            ev = rx.recv() => {
                let Some(ev) = ev else { break };
                if args.json {
                    println!("{}", serde_json::to_string(&ev)?);
                } else {
                    print_spot_perp_event(&ev)?;
                }
                if matches!(ev, SpotPerpEvent::Stopped { .. }) {
                    break;
                }
            }
        }
    }
    let summary = handle
        .await
        .map_err(|e| format!("strategy task: {e}"))?
        .map_err(|e| e.to_string())?;
    eprintln!(
        "run {}: {} opened, {} closed, {} failures, {:?}, holding {:?}; realized PnL: {}",
        summary.run_id,
        summary.opens,
        summary.closes,
        summary.failures,
        summary.outcome,
        summary.holding,
        super::history::flows(&summary.pnl, 18),
    );
    Ok(())
}

fn print_spot_perp_event(ev: &SpotPerpEvent) -> Result<(), CliError> {
    let line = match ev {
        SpotPerpEvent::Basis { edges, basis } => {
            let mut parts: Vec<String> = edges
                .iter()
                .map(|e| format!("open {}: {}%", e.carry, e.net_pct.round_dp(3)))
                .collect();
            if let Some(b) = basis {
                parts.push(format!(
                    "held {}: basis {}%",
                    b.carry,
                    b.basis_pct.round_dp(3)
                ));
            }
            parts.join(" | ")
        }
        other => serde_json::to_string(other)?,
    };
    println!("{line}");
    Ok(())
}

pub(super) fn print_event(ev: &ArbEvent, json: bool) -> Result<(), CliError> {
    if json {
        println!("{}", serde_json::to_string(ev)?);
        return Ok(());
    }
    let line = match ev {
        ArbEvent::Edges { edges } => edges
            .iter()
            .map(|e| format!("{}: {}%", e.direction, e.profit_pct.round_dp(3)))
            .collect::<Vec<_>>()
            .join(" | "),
        other => serde_json::to_string(other)?,
    };
    println!("{line}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journaled_config_has_no_connect_table() {
        let text = r#"
order_size = "1"

[venue_a]
venue = "binance"

[connect.binance]
rest_url = "http://127.0.0.1:9000/?apiKey=SECRETKEY"

[connect."uniswap_v3@anvil"]
rpc_url = "https://rpc.example/v2/SECRETRPC"
wallet = "main"
manifest = "/home/u/manifest.json"
"#;
        let split = split_config(text, Path::new("arb.toml")).unwrap();
        for leaked in [
            "connect",
            "SECRET",
            "rpc_url",
            "wallet",
            "manifest",
            "127.0.0.1",
        ] {
            assert!(
                !split.strategy_text.contains(leaked),
                "{leaked} in {}",
                split.strategy_text
            );
        }
        assert!(split.strategy_text.contains("order_size"));
        assert_eq!(split.connect.len(), 2);
        assert_eq!(
            split.connect["uniswap_v3@anvil"]
                .get("wallet")
                .and_then(|v| v.as_str()),
            Some("main")
        );
    }

    #[test]
    fn the_strategy_key_selects_and_is_not_journaled() {
        let split = split_config(
            "strategy = \"spot_perp\"\norder_size = \"1\"\n",
            Path::new("a.toml"),
        )
        .unwrap();
        assert_eq!(split.kind, StrategyKind::SpotPerp);
        assert!(!split.strategy_text.contains("strategy"));
        assert_eq!(
            split_config("order_size = 1\n", Path::new("a.toml"))
                .unwrap()
                .kind,
            StrategyKind::Arb
        );
        let e = split_config("strategy = \"grid\"\n", Path::new("a.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("a.toml") && e.contains("strategy") && e.contains("grid"),
            "{e}"
        );
    }

    #[test]
    fn a_connect_table_of_no_strategy_venue_is_refused_by_name() {
        let split = split_config(
            "[connect.binance]\n[connect.\"uniswap_v3@anvill\"]\nwallet = \"w\"\n",
            Path::new("arb.toml"),
        )
        .unwrap();
        let (a, b): (VenueId, VenueId) = (
            "binance".parse().unwrap(),
            "uniswap_v3@anvil".parse().unwrap(),
        );
        let e = check_tables(&split.connect, &[&a, &b], Path::new("arb.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("arb.toml") && e.contains("uniswap_v3@anvill"),
            "{e}"
        );
        let e = split_config("[connect]\nrest_url = \"x\"\n", Path::new("arb.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("[connect]"), "{e}");
    }
}
