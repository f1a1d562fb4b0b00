//! `sluice positions --venue ID [--chain CHAIN] (--wallet NAME [--account N] | --address ADDR)
//! [--pair PAIR] [--json]`: the account's open positions at a perpetual venue (size, side, entry
//! notional and price, mark notional, margin, unrealized PnL, margin ratio, liquidation price,
//! unsettled funding), read through `Venue::positions`. The venue is built through the connector
//! registry from a table made of the flags; a venue without positions says so.
//!
//! An exchange venue (one with API keys, e.g. `binance_perpetual`) needs no account flag: its
//! stored keys (`sluice keys add`) are the account, as for `sluice order`, and `--base-url` /
//! `--ws-url` point it at a simulator. A chain venue still needs `--wallet` or `--address`.

use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::Serialize;
use sluice::core::{Pair, Position};
use sluice::venue::{Access, ConnectError, Venue, VenueId};
use sluice_sim::deploy::environment::{Snapshot, cache_dir};

use super::book::ExchangeArgs;
use super::connect::{COMMAND_LINE, FlagTable, venue_id};
use super::quote::{VenueArgs, parse_pair};
use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub venue: VenueArgs,
    /// The wallet whose account is read (its password from SLUICE_PASSWORD or a prompt).
    #[arg(long, conflicts_with = "address")]
    pub wallet: Option<String>,
    /// Account index within the wallet.
    #[arg(long, default_value_t = 0, requires = "wallet")]
    pub account: u64,
    /// An address to read instead of a wallet's account (no password; the table's `address`).
    #[arg(long)]
    pub address: Option<String>,
    /// Only this market (BASE-QUOTE).
    #[arg(long)]
    pub pair: Option<String>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// An exchange's REST base URL override (e.g. a local mock: http://127.0.0.1:PORT).
    #[arg(long)]
    pub base_url: Option<String>,
    /// An exchange's market-stream websocket base URL override (ws://127.0.0.1:PORT).
    #[arg(long)]
    pub ws_url: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    venue: String,
    positions: Vec<Position>,
}

/// The cached test deployment's manifest, for the `anvil` chain when no manifest is named.
fn cached_manifest() -> Option<PathBuf> {
    let dir = cache_dir().ok()?;
    Snapshot::read(&dir).ok().flatten()?;
    Some(dir.join("manifest.json"))
}

/// Whether `id` is an exchange venue whose account is its stored API keys.
fn is_exchange(id: &VenueId) -> bool {
    id.chain.is_none() && sluice::connectors::key_scheme(&id.connector).is_some()
}

/// The exchange venue with its stored keys; the chain-only flags are refused, not ignored.
async fn connect_exchange(
    args: &Args,
    ctx: &Context,
) -> Result<std::sync::Arc<dyn Venue>, CliError> {
    let chain_flags = [
        ("--wallet", args.wallet.is_some()),
        ("--address", args.address.is_some()),
        ("--rpc-url", args.venue.rpc_url.is_some()),
        ("--manifest", args.venue.manifest.is_some()),
    ];
    if let Some((flag, _)) = chain_flags.iter().find(|(_, given)| *given) {
        return Err(format!(
            "{flag} is for chain venues; {} reads the account of its stored API keys (sluice \
             keys add --venue {})",
            args.venue.venue, args.venue.venue
        )
        .into());
    }
    let exchange = ExchangeArgs {
        venue: args.venue.venue.clone(),
        base_url: args.base_url.clone(),
        ws_url: args.ws_url.clone(),
        ws_api_url: None,
        wallet: None,
        wallet_index: None,
    };
    exchange.connect(ctx, Access::Trade).await
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let pair: Option<Pair> = args.pair.as_deref().map(parse_pair).transpose()?;
    let id: VenueId = venue_id(&args.venue.venue, args.venue.chain.as_deref())?;
    if is_exchange(&id) {
        let venue = connect_exchange(&args, ctx).await?;
        return report(venue.as_ref(), pair, args.json, false).await;
    }
    if args.base_url.is_some() || args.ws_url.is_some() {
        return Err(format!("--base-url and --ws-url are for exchange venues, not {id}").into());
    }
    if args.wallet.is_none() && args.address.is_none() {
        return Err("name the account: --wallet NAME [--account N], or --address ADDR".into());
    }
    let account = i64::try_from(args.account)
        .map_err(|_| format!("--account {} is out of range", args.account))?;
    let access = if args.wallet.is_some() {
        Access::Trade
    } else {
        Access::ReadOnly
    };
    let cc = super::connect::context(ctx, std::path::Path::new(COMMAND_LINE), access);
    let table = |manifest: Option<&PathBuf>| {
        FlagTable::new()
            .put("rpc_url", args.venue.rpc_url.clone())
            .put("manifest", manifest.map(|m| m.display().to_string()))
            .put("wallet", args.wallet.clone())
            .put("account_index", args.wallet.as_ref().map(|_| account))
            .put("address", args.address.clone())
            .table()
            .clone()
    };
    let mut venue = None;
    if args.venue.manifest.is_none()
        && id.chain.as_deref() == Some("anvil")
        && let Some(cached) = cached_manifest()
    {
        match sluice::connectors::connect(&id, &table(Some(&cached)), &cc).await {
            Ok(v) => venue = Some(v),
            Err(ConnectError::BadValue { key, reason, .. }) if key == "manifest" => {
                tracing::warn!(
                    "{reason}; the cached test deployment's manifest is not used (pass \
                     --manifest for this node's deployment)"
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    let venue = match venue {
        Some(v) => v,
        None => sluice::connectors::connect(&id, &table(args.venue.manifest.as_ref()), &cc).await?,
    };
    report(venue.as_ref(), pair, args.json, true).await
}

/// Reads the venue's positions (a chain venue started on the pair first: its state is synced;
/// an exchange answers from its REST API, no stream needed), closes it and prints them.
async fn report(
    venue: &dyn Venue,
    pair: Option<Pair>,
    json: bool,
    start: bool,
) -> Result<(), CliError> {
    let pairs: Vec<Pair> = pair.iter().cloned().collect();
    let read = async {
        if start {
            venue.start(&pairs).await?;
        }
        venue.positions(pair.as_ref()).await
    }
    .await;
    venue.close().await;
    let report = Report {
        venue: venue.id().to_string(),
        positions: read?,
    };
    if json {
        return print_json(&report);
    }
    print_table(&report)
}

fn opt(d: Option<Decimal>) -> String {
    d.map(|d| d.round_dp(6).to_string())
        .unwrap_or_else(|| "-".into())
}

fn print_table(r: &Report) -> Result<(), CliError> {
    if r.positions.is_empty() {
        println!("no open positions at {}", r.venue);
        return Ok(());
    }
    let mut t = Table::new(&[
        "pair",
        "side",
        "size",
        "entry price",
        "entry notional",
        "mark notional",
        "margin",
        "unrealized PnL",
        "margin ratio",
        "liq. price",
        "funding owed",
    ]);
    for p in &r.positions {
        let side = if p.is_long() { "long" } else { "short" };
        t.row(vec![
            p.pair.to_string(),
            side.to_string(),
            p.size.abs().round_dp(6).to_string(),
            opt(p.entry_price),
            p.entry_notional.round_dp(6).to_string(),
            opt(p.mark_notional),
            format!("{} {}", p.margin.round_dp(6), p.margin_asset),
            p.unrealized_pnl.round_dp(6).to_string(),
            opt(p.margin_ratio),
            opt(p.liquidation_price),
            opt(p.funding_paid),
        ]);
    }
    t.print()
}
