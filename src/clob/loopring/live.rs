//! The live Loopring book: the websocket `orderbook` topic (level 0) followed by the framework's
//! [`cex::live_book`](crate::cex::live_book) task with [`LoopringBook`]'s version rule, the REST
//! snapshot `GET /api/v3/depth?market=&level=0` after each connect.

use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::live_book::{self, DiffBook, DiffFeed, SnapshotStep};
use crate::cex::stream::StreamConfig;
use crate::cex::venue::{Market, RulesRefresher};
use crate::core::Pair;
use crate::venue::EventHub;

use super::book::LoopringBook;
use super::rest::public;

/// A running book subscription; dropping it stops the task.
pub type LiveBook = live_book::LiveBook<LoopringBook>;

/// How many levels a depth snapshot asks for.
pub const DEPTH_LIMIT: u32 = 100;

/// `GET /api/v3/depth?market=&level=0`.
pub async fn fetch_depth(rest: &RestClient, market: &str) -> Result<Bytes, CexError> {
    let req = public("/api/v3/depth")
        .param("market", market)
        .param("level", 0)
        .param("limit", DEPTH_LIMIT);
    rest.request(&req).await
}

/// The subscription to a market's level-0 `orderbook` topic.
pub fn subscribe_message(market: &str) -> String {
    serde_json::json!({
        "op": "sub",
        "unsubscribeAll": false,
        "topics": [{"topic": "orderbook", "market": market, "level": 0, "snapshot": false}],
    })
    .to_string()
}

/// A one-off book of `market` from the REST snapshot.
pub async fn snapshot_book(
    rest: &RestClient,
    market: &Market,
    base_decimals: u32,
) -> Result<LoopringBook, CexError> {
    let body = fetch_depth(rest, &market.rules.venue_symbol).await?;
    let mut book = LoopringBook::new(market.price, market.size, base_decimals);
    match DiffBook::on_snapshot(&mut book, &body) {
        SnapshotStep::Synced { .. } => Ok(book),
        SnapshotStep::OffGrid(why) | SnapshotStep::Bad(why) => {
            Err(CexError::decode("/api/v3/depth", why))
        }
        SnapshotStep::Again { why } => Err(CexError::decode("/api/v3/depth", why)),
    }
}

/// Follows `market` on the websocket at `ws_url`.
pub fn spawn_live_book(
    pair: Pair,
    market: &Market,
    base_decimals: u32,
    rest: RestClient,
    ws_url: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let symbol = market.rules.venue_symbol.clone();
    let subscribe = subscribe_message(&symbol);
    let feed = DiffFeed {
        stream: StreamConfig::new(&format!("loopring book {pair}"), ws_url),
        subscribe: Arc::new(move || vec![subscribe.clone()]),
        snapshot: Arc::new(move || {
            let (rest, symbol) = (rest.clone(), symbol.clone());
            async move { fetch_depth(&rest, &symbol).await }.boxed()
        }),
        ping: None,
        pair,
        hub,
        refresh_rules,
    };
    LiveBook::spawn(
        feed,
        LoopringBook::new(market.price, market.size, base_decimals),
    )
}
