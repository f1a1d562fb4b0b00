//! `sluice quote --venue ID [--chain CHAIN] [--rpc-url URL] PAIR buy|sell AMOUNT`: the
//! executable price of a size at a venue (on an AMM: the pools' state read from the node and the
//! exact swap math run locally), fees and gas included. The venue is built through the connector
//! registry from a `[connect.<venue>]` table made of the flags, read-only (no password asked).
//! Tokens are symbols (chain spec or deployment manifest).

use std::path::PathBuf;
use std::sync::Arc;

use rust_decimal::Decimal;
use sluice::core::{Pair, QuoteRequest, Side};
use sluice::venue::{Access, ConnectError, Venue, VenueId};
use sluice_sim::deploy::environment::{Snapshot, cache_dir};

use super::connect::{COMMAND_LINE, FlagTable, venue_id};
use super::{CliError, Context, Table, print_json};

/// Which venue, and where it lives.
#[derive(Debug, clap::Args)]
pub struct VenueArgs {
    /// The venue: an id from `sluice venues` (e.g. uniswap_v3@ethereum), or its connector name
    /// with `--chain`.
    #[arg(long)]
    pub venue: String,
    /// The chain of a chain venue (a name from `sluice chains`): `--venue uniswap_v3 --chain
    /// anvil` is the venue `uniswap_v3@anvil`.
    #[arg(long)]
    pub chain: Option<String>,
    /// The node's JSON-RPC URL (the table's `rpc_url`); default: the chain spec's first.
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// A deployment manifest (from `sluice anvil`) giving token symbols and protocol addresses
    /// (the table's `manifest`); it must record the node's chain id and genesis hash (another
    /// chain's is refused). On the `anvil` chain the cached test deployment's manifest is used
    /// when none is given and it matches the node.
    #[arg(long, env = "SLUICE_MANIFEST")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub venue: VenueArgs,
    /// BASE-QUOTE, token symbols (e.g. WETH-USDC); the chain's native asset (ETH) is priced
    /// through its wrapped token.
    pub pair: String,
    /// buy or sell the base token.
    pub side: Side,
    /// Base amount, in whole tokens (e.g. 1.5).
    pub amount: Decimal,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The cached test deployment's manifest, for the `anvil` chain when no manifest is named.
fn cached_manifest() -> Option<PathBuf> {
    let dir = cache_dir().ok()?;
    Snapshot::read(&dir).ok().flatten()?;
    Some(dir.join("manifest.json"))
}

/// Builds the venue through the registry and starts it on `pair`: read-only for a quote, or
/// `Access::Trade` with the table entries in `extra` (`sluice swap`: wallet, account, approval).
/// On `anvil` without a manifest, the cached deployment's is tried first and dropped (with a
/// warning) when the node is not that deployment.
pub(super) async fn open_venue(
    args: &VenueArgs,
    ctx: &Context,
    pair: &Pair,
    access: Access,
    extra: &toml::Table,
) -> Result<Arc<dyn Venue>, CliError> {
    let id: VenueId = venue_id(&args.venue, args.chain.as_deref())?;
    let cc = super::connect::context(ctx, std::path::Path::new(COMMAND_LINE), access);
    let table = |manifest: Option<&PathBuf>| {
        let mut t = FlagTable::new()
            .put("rpc_url", args.rpc_url.clone())
            .put("manifest", manifest.map(|m| m.display().to_string()))
            .table()
            .clone();
        t.extend(extra.clone());
        t
    };
    let pairs = std::slice::from_ref(pair);
    if args.manifest.is_none()
        && id.chain.as_deref() == Some("anvil")
        && let Some(cached) = cached_manifest()
    {
        match sluice::connectors::connect(&id, &table(Some(&cached)), &cc).await {
            Ok(v) => {
                v.start(pairs).await?;
                return Ok(v);
            }
            Err(ConnectError::BadValue { key, reason, .. }) if key == "manifest" => {
                tracing::warn!(
                    "{reason}; the cached test deployment's manifest is not used (pass \
                     --manifest for this node's deployment)"
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    super::connect::open(&id, &table(args.manifest.as_ref()), &cc, pairs).await
}

/// `BASE-QUOTE` of token symbols.
pub(super) fn parse_pair(text: &str) -> Result<Pair, CliError> {
    text.parse().map_err(|_| {
        format!("invalid pair {text:?}: expected BASE-QUOTE of token symbols, e.g. WETH-USDC")
            .into()
    })
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let pair = parse_pair(&args.pair)?;
    let venue = open_venue(
        &args.venue,
        ctx,
        &pair,
        Access::ReadOnly,
        &toml::Table::new(),
    )
    .await?;
    let request = QuoteRequest {
        pair,
        side: args.side,
        base_amount: args.amount,
    };
    let quoted = venue.quote(&request).await;
    venue.close().await;
    let q = quoted?;
    if args.json {
        return print_json(&q);
    }
    let mut t = Table::new(&["field", "value"]);
    let gas = q
        .gas
        .as_ref()
        .map(|g| {
            format!(
                "~{} gas = {} {}",
                g.gas_units, g.native_amount, g.native_asset
            )
        })
        .unwrap_or_else(|| "-".into());
    for (k, v) in [
        ("venue", q.venue.clone()),
        ("pair", q.pair.to_string()),
        ("side", q.side.to_string()),
        ("base amount", format!("{} {}", q.base_amount, q.pair.base)),
        (
            match q.side {
                Side::Buy => "quote paid",
                Side::Sell => "quote received",
            },
            format!("{} {}", q.quote_amount, q.pair.quote),
        ),
        ("average price", q.average_price.round_dp(12).to_string()),
        ("last-unit price", q.worst_price.round_dp(12).to_string()),
        ("fee", format!("{} {}", q.fee_amount, q.fee_asset)),
        ("gas (estimate)", gas),
    ] {
        t.row(vec![k.to_string(), v]);
    }
    t.print()
}
