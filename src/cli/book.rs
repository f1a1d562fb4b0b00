//! `sluice book --venue binance PAIR [--depth N]`: a live, updating order book (`--once` prints one
//! snapshot of the synced book and exits). `--base-url` / `--ws-url` point it at a mock exchange.
//! Also home of the exchange connection options shared with `sluice order`.

use std::io::Write;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Serialize;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot};
use sluice::core::{Pair, VenueEvent};

use super::{CliError, Context, Table, print_json};

/// Which exchange, and where it lives.
#[derive(Debug, Clone, clap::Args)]
pub struct ExchangeArgs {
    /// Exchange: binance or binance_us.
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
}

impl ExchangeArgs {
    pub fn config(&self) -> Result<BinanceConfig, CliError> {
        let mut cfg = BinanceConfig::for_venue(&self.venue).ok_or_else(|| {
            format!(
                "no exchange connector for {:?}; available: binance, binance_us",
                self.venue
            )
        })?;
        if let Some(u) = &self.base_url {
            cfg.rest_url = u.clone();
        }
        if let Some(u) = &self.ws_url {
            cfg.ws_url = u.clone();
        }
        if let Some(u) = &self.ws_api_url {
            cfg.ws_api_url = u.clone();
        }
        Ok(cfg)
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

pub async fn run(args: Args, _ctx: &Context) -> Result<(), CliError> {
    let venue = BinanceSpot::new(args.exchange.config()?, None)?;
    let mut events = sluice::Venue::events(&venue);
    let live = venue.watch_book(&args.pair).await?;
    if !live.wait_synced(Duration::from_secs(args.timeout)).await {
        return Err(format!(
            "the {} book did not sync within {} s",
            args.pair, args.timeout
        )
        .into());
    }
    let view = || {
        let b = live.read();
        let (bids, asks) = b.book.top(args.depth);
        BookView {
            venue: args.exchange.venue.clone(),
            pair: args.pair.to_string(),
            last_update_id: b.last_update_id(),
            bids,
            asks,
        }
    };
    if args.once {
        return show(&view(), args.json);
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
                    if last_print.elapsed() >= Duration::from_millis(200) && live.read().is_synced() {
                        last_print = tokio::time::Instant::now();
                        if args.json {
                            println!("{}", serde_json::to_string(&view())?);
                        } else {
                            print!("\x1b[2J\x1b[H");
                            show(&view(), false)?;
                            std::io::stdout().flush()?;
                        }
                    }
                }
                Some(_) => {}
            }
        }
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
