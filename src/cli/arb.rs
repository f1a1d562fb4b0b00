//! `sluice arb --config FILE`: runs the arbitrage strategy until Ctrl-C (then no new orders; in-flight
//! ones are followed to the end), showing the edge in each direction, actions, fills and PnL.
//!
//! The file is the strategy's TOML (see `strategy::arb::ArbConfig`) plus a `[connect]` table saying
//! how to reach each venue:
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
//! The journal stores the strategy part of the file only: the `[connect]` table (URLs, wallets,
//! manifests) is stripped first. Before trading, the start settles what earlier runs left (see
//! `strategy::arb`'s recovery); a run it may not act on, or exposure it could not close, makes it
//! refuse to trade and exit non-zero, naming the run and the `sluice recover` command that settles it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alloy::network::EthereumWallet;
use serde::Deserialize;
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v3::connector::{UniswapV3Venue, V3Contracts};
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot, UserStreamMode};
use sluice::cex::key_store::ApiKeyStore;
use sluice::chain::evm::{ApprovalPolicy, EvmClient, TrackerConfig, TxTracker};
use sluice::core::Asset;
use sluice::store::Journal;
use sluice::strategy::arb::{ArbConfig, ArbEvent, ArbRunner, Evaluator, LegConfig};
use sluice::testkit::deploy::Manifest;
use sluice::venue::{Venue, VenueId};
use sluice::wallet::{SecretString, WalletStore};
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Connect {
    rest_url: Option<String>,
    ws_url: Option<String>,
    ws_api_url: Option<String>,
    /// Binance's user-data stream: the WebSocket API subscription, the legacy listenKey stream,
    /// or `auto` (the first, else the second when the server does not serve it).
    user_stream: Option<UserStreamMode>,
    rpc_url: Option<String>,
    wallet: Option<String>,
    #[serde(default)]
    account_index: u64,
    manifest: Option<PathBuf>,
}

async fn connect_venue(
    leg: &LegConfig,
    c: &Connect,
    ctx: &Context,
    pw: &mut Option<SecretString>,
) -> Result<Arc<dyn Venue>, CliError> {
    let id: &VenueId = &leg.venue;
    match (id.connector.as_str(), id.chain.as_deref()) {
        (name @ ("binance" | "binance_us"), None) => {
            let base = BinanceConfig::for_venue(name).ok_or("unknown Binance venue")?;
            let cfg = BinanceConfig {
                rest_url: c.rest_url.clone().unwrap_or(base.rest_url.clone()),
                ws_url: c.ws_url.clone().unwrap_or(base.ws_url.clone()),
                ws_api_url: c.ws_api_url.clone().unwrap_or(base.ws_api_url.clone()),
                user_stream: c.user_stream.unwrap_or(base.user_stream),
                ..base
            };
            if pw.is_none() {
                *pw = Some(super::wallet::password("wallet password: ", false)?);
            }
            let p = pw.as_ref().ok_or("no password")?;
            let creds = ApiKeyStore::new(&ctx.home).load(name, p.as_bytes())?;
            let v = BinanceSpot::new(cfg, Some(creds))?;
            v.watch_book(&leg.pair).await?;
            v.start_user_stream().await?;
            // Detached: it polls for the life of the process.
            drop(v.spawn_reconciler(Duration::from_secs(5)));
            Ok(Arc::new(v))
        }
        ("uniswap_v3", Some(chain)) => {
            let spec = ctx.chain(chain)?;
            let url = c
                .rpc_url
                .clone()
                .or_else(|| spec.rpc_urls.first().cloned())
                .ok_or("no rpc_url")?;
            let wallet_name = c
                .wallet
                .as_deref()
                .ok_or_else(|| format!("[connect.\"{id}\"] needs `wallet`"))?;
            if pw.is_none() {
                *pw = Some(super::wallet::password("wallet password: ", false)?);
            }
            let p = pw.as_ref().ok_or("no password")?;
            let signer = WalletStore::new(&ctx.home)
                .unlock(wallet_name, p)?
                .evm_signer(spec, c.account_index)?;
            let client = EvmClient::connect(spec, &url).await?;
            let tracker = TxTracker::new(
                client.clone(),
                EthereumWallet::from(signer),
                TrackerConfig::for_client(&client),
            );
            let mut book = TokenBook::from_chain_spec(spec);
            let contracts = match &c.manifest {
                Some(path) => {
                    // Refused unless it records this node's chain id and genesis hash.
                    let m = Manifest::load_checked(path, client.provider()).await?;
                    book.add_manifest(&m);
                    V3Contracts::from(&m)
                }
                None => V3Contracts::from_chain_spec(spec)?,
            };
            let native = Asset::new(&spec.native.symbol)?;
            let v =
                UniswapV3Venue::connect(chain, native, client.provider().clone(), contracts, book)
                    .await?
                    .with_executor(tracker, ApprovalPolicy::Exact);
            let base = v.resolve_token(leg.pair.base.as_str()).await?;
            let quote = v.resolve_token(leg.pair.quote.as_str()).await?;
            let (Some(a), Some(b)) = (base.address, quote.address) else {
                return Err("both tokens of an AMM pair must be contracts".into());
            };
            v.track_pair(a, b).await?;
            let v = Arc::new(v);
            // Detached: it follows the chain for the life of the process.
            drop(v.spawn_sync(Duration::from_millis(500)));
            Ok(v)
        }
        _ => Err(format!(
            "`sluice arb` cannot connect to {id} yet (binance, binance_us, uniswap_v3@<chain>)"
        )
        .into()),
    }
}

/// A config file split in two: the strategy's TOML (what the journal stores: no `[connect]`
/// table, so no URLs, wallets or manifests) and the connections.
struct SplitConfig {
    strategy_text: String,
    connect: BTreeMap<String, Connect>,
}

fn split_config(text: &str, path: &Path) -> Result<SplitConfig, CliError> {
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{}: {}", path.display(), e.message()))?;
    let connect: BTreeMap<String, Connect> = match table.remove("connect") {
        Some(v) => v.try_into().map_err(|e: toml::de::Error| {
            format!("{}: [connect]: {}", path.display(), e.message())
        })?,
        None => BTreeMap::new(),
    };
    Ok(SplitConfig {
        strategy_text: toml::to_string(&table)?,
        connect,
    })
}

/// Reads a `sluice arb` config file and connects both of its venues: the strategy config, the
/// text to journal (its `[connect]` table stripped) and the venues.
pub(super) async fn load_and_connect(
    path: &Path,
    ctx: &Context,
) -> Result<(ArbConfig, String, [Arc<dyn Venue>; 2]), CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let SplitConfig {
        strategy_text,
        connect,
    } = split_config(&text, path)?;
    let cfg: ArbConfig = strategy_text
        .parse()
        .map_err(|e: sluice::strategy::arb::ConfigError| format!("{}: {e}", path.display()))?;
    let mut pw = None;
    let none = Connect::default();
    let mut venues = Vec::new();
    for leg in [&cfg.venue_a, &cfg.venue_b] {
        let c = connect.get(&leg.venue.to_string()).unwrap_or(&none);
        venues.push(connect_venue(leg, c, ctx, &mut pw).await?);
    }
    drop(pw);
    let venues: [Arc<dyn Venue>; 2] = [venues[0].clone(), venues[1].clone()];
    Ok((cfg, strategy_text, venues))
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
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
            split.connect["uniswap_v3@anvil"].wallet.as_deref(),
            Some("main")
        );
    }

    #[test]
    fn the_connect_table_takes_the_user_stream_mechanism() {
        let c: Connect = toml::from_str("user_stream = \"listen_key\"").unwrap();
        assert_eq!(c.user_stream, Some(UserStreamMode::ListenKey));
        let c: Connect = toml::from_str("rest_url = \"http://127.0.0.1:1\"").unwrap();
        assert_eq!(c.user_stream, None, "absent: the venue's default (auto)");
        let e = toml::from_str::<Connect>("user_stream = \"push\"").unwrap_err();
        assert!(e.to_string().contains("user_stream"), "{e}");
    }
}
