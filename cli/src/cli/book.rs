//! `sluice book --venue binance PAIR [--depth N]`: a live, updating order book (`--once` prints one
//! snapshot of the synced book and exits). `--base-url` / `--ws-url` point it at a mock exchange.
//! Also home of the exchange connection options shared with `sluice order`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Serialize;
use sluice::core::{Pair, VenueEvent};
use sluice::venue::{Access, BookTop, Venue};

use super::connect::{self, FlagTable};
use super::{CliError, Context, Table, print_json};

/// Which exchange, and where it lives.
#[derive(Debug, Clone, clap::Args)]
pub struct ExchangeArgs {
    /// Exchange: a venue id of `sluice venues` with a connector (binance, binance_us).
    #[arg(long)]
    pub venue: String,
    /// REST base URL override (e.g. a local mock: http://127.0.0.1:PORT).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Market-stream websocket base URL override (ws://127.0.0.1:PORT).
    #[arg(long)]
    pub ws_url: Option<String>,
    /// WebSocket API URL override (ws://127.0.0.1:PORT/ws-api/v3).
    #[arg(long)]
    pub ws_api_url: Option<String>,
    /// For venues that sign with keys derived from a wallet (dydx_v3's STARK key, Loopring's L2
    /// key): the wallet (its password from SLUICE_PASSWORD or a prompt), the connect table's
    /// `wallet`.
    #[arg(long)]
    pub wallet: Option<String>,
    /// The account index under the wallet's Ethereum key path (the table's `wallet_index`).
    #[arg(long, requires = "wallet")]
    pub wallet_index: Option<u64>,
}

impl ExchangeArgs {
    /// Builds the venue through the registry, its `[connect]` table made from the URL flags;
    /// `Access::Trade` loads the stored API keys (`sluice keys add`). Nothing is started.
    pub async fn connect(&self, ctx: &Context, access: Access) -> Result<Arc<dyn Venue>, CliError> {
        let id = connect::venue_id(&self.venue, None)?;
        let wallet_index = self
            .wallet_index
            .map(|i| i64::try_from(i).map_err(|_| format!("--wallet-index {i} is out of range")))
            .transpose()?;
        let table = FlagTable::new()
            .put("rest_url", self.base_url.clone())
            .put("ws_url", self.ws_url.clone())
            .put("ws_api_url", self.ws_api_url.clone())
            .put("wallet", self.wallet.clone())
            .put("wallet_index", wallet_index);
        let cc = connect::context(ctx, Path::new(connect::COMMAND_LINE), access);
        Ok(sluice::connectors::connect(&id, table.table(), &cc).await?)
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub exchange: ExchangeArgs,
    /// Pair as BASE-QUOTE, e.g. BTC-USDT.
    pub pair: Pair,
    /// Levels shown per side.
    #[arg(long, default_value_t = 10)]
    pub depth: usize,
    /// Print one snapshot of the synced book and exit.
    #[arg(long)]
    pub once: bool,
    /// Print JSON (one document with --once, else one line per update).
    #[arg(long)]
    pub json: bool,
    /// Give up if the book is not synced within this many seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

#[derive(Debug, Serialize)]
struct BookView {
    venue: String,
    pair: String,
    last_update_id: Option<u64>,
    bids: Vec<(Decimal, Decimal)>,
    asks: Vec<(Decimal, Decimal)>,
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let venue = args.exchange.connect(ctx, Access::ReadOnly).await?;
    let mut events = venue.events();
    venue.start(std::slice::from_ref(&args.pair)).await?;
    let top = wait_synced(venue.as_ref(), &args.pair, args.depth, args.timeout).await?;
    let view = |top: BookTop| BookView {
        venue: args.exchange.venue.clone(),
        pair: args.pair.to_string(),
        last_update_id: top.sequence,
        bids: top.bids,
        asks: top.asks,
    };
    if args.once {
        return show(&view(top), args.json);
    }
    let mut last_print = tokio::time::Instant::now() - Duration::from_secs(1);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            ev = events.recv() => match ev {
                None => return Err("the book stream ended".into()),
                Some(VenueEvent::ConnectionLost { reason }) => eprintln!("connection lost: {reason}"),
                Some(VenueEvent::Resynced { what }) => eprintln!("resynced: {what}"),
                Some(VenueEvent::BookChanged { .. }) => {
                    // at most 5 redraws a second
                    if last_print.elapsed() < Duration::from_millis(200) {
                        continue;
                    }
                    let Some(top) = venue.book_top(&args.pair, args.depth).await? else {
                        continue;
                    };
                    last_print = tokio::time::Instant::now();
                    if args.json {
                        println!("{}", serde_json::to_string(&view(top))?);
                    } else {
                        print!("\x1b[2J\x1b[H");
                        show(&view(top), false)?;
                        std::io::stdout().flush()?;
                    }
                }
                Some(_) => {}
            }
        }
    }
}

/// Waits until the venue's book of `pair` is synced, at most `timeout_secs`.
async fn wait_synced(
    venue: &dyn Venue,
    pair: &Pair,
    depth: usize,
    timeout_secs: u64,
) -> Result<BookTop, CliError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        if let Some(top) = venue.book_top(pair, depth).await? {
            return Ok(top);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("the {pair} book did not sync within {timeout_secs} s").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn show(v: &BookView, json: bool) -> Result<(), CliError> {
    if json {
        return print_json(v);
    }
    println!(
        "{} {}  (update {})",
        v.venue,
        v.pair,
        v.last_update_id.unwrap_or_default()
    );
    let mut t = Table::new(&["bid size", "bid", "ask", "ask size"]);
    for i in 0..v.bids.len().max(v.asks.len()) {
        let (bp, bq) = v
            .bids
            .get(i)
            .map_or((String::new(), String::new()), |(p, q)| {
                (p.to_string(), q.to_string())
            });
        let (ap, aq) = v
            .asks
            .get(i)
            .map_or((String::new(), String::new()), |(p, q)| {
                (p.to_string(), q.to_string())
            });
        t.row(vec![bq, bp, ap, aq]);
    }
    t.print()
}
