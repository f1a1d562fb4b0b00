//! The simulated indexer's REST side (comlink): `GET /v4/time`, `GET /v4/perpetualMarkets`
//! (optionally `?ticker=`), `GET /v4/orderbooks/perpetualMarket/{ticker}`; unknown markets and
//! paths answered with comlink's `{"errors":[{"msg":…}]}` and a 404; injected HTTP faults served
//! instead of answers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sluice::cex::sign::time::iso8601_millis;

use super::shapes::{self, IndexerEvents, PerpetualMarket};
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::lock;

/// What the servers and the handle share: the engine (with its faults and connection controls)
/// and the indexer's own state. The node simulator can place and cancel orders in the same
/// engine through it.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub events: Arc<IndexerEvents>,
    pub markets: Vec<PerpetualMarket>,
    /// Oracle prices set by the test (else the book's mid).
    pub oracle: std::sync::Mutex<HashMap<String, Decimal>>,
    /// How often the websocket pings, and how long it waits for the pong, in ms.
    pub heartbeat_ms: AtomicU64,
    pub heartbeat_timeout_ms: AtomicU64,
    /// Subscriptions still to refuse (socks' answer when comlink's initial fetch fails).
    pub refuse_subscriptions: AtomicU64,
}

impl std::ops::Deref for Shared {
    type Target = Controls<HttpFault>;
    fn deref(&self) -> &Controls<HttpFault> {
        &self.controls
    }
}

impl Shared {
    /// The oracle price of `ticker` (with the engine locked).
    pub fn oracle_price(&self, ex: &Exchange, ticker: &str) -> Option<Decimal> {
        if let Some(p) = lock(&self.oracle).get(ticker) {
            return Some(*p);
        }
        let book = ex.books.get(ticker)?;
        let (bid, ask) = (book.best_bid()?, book.best_ask()?);
        Some((book.price(bid) + book.price(ask)) / Decimal::TWO)
    }

    pub fn market(&self, ticker: &str) -> Option<&PerpetualMarket> {
        self.markets.iter().find(|m| m.ticker == ticker)
    }
}

type Resp = Response<Full<Bytes>>;

fn respond(status: u16, body: String) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn faulted(fault: HttpFault, answer: &str) -> Option<Resp> {
    Some(match fault {
        HttpFault::TooManyRequests => respond(429, shapes::error_body("Too many requests")),
        HttpFault::HtmlPage { status } => {
            respond(status, "<html><body>502 Bad Gateway</body></html>".into())
        }
        HttpFault::TruncatedJson => respond(200, answer[..answer.len() / 2].to_string()),
        HttpFault::Body { status, body } => respond(status, body),
        HttpFault::DropConnection => return None,
    })
}

/// A refusal: HTTP status and message.
struct Refused(u16, String);

/// One REST request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, std::io::Error> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let q: HashMap<String, String> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let answer = if method == hyper::Method::GET {
        get(&shared, &path, &q)
    } else {
        Err(Refused(404, format!("Cannot {method} {path}")))
    };
    let (status, text) = match answer {
        Ok(v) => (200, v.to_string()),
        Err(Refused(status, msg)) => (status, shapes::error_body(&msg)),
    };
    if let Some(fault) = shared.next_http_fault() {
        return faulted(fault, &text)
            .ok_or_else(|| std::io::Error::other("answer dropped by the fault"));
    }
    Ok(respond(status, text))
}

fn get(shared: &Shared, path: &str, q: &HashMap<String, String>) -> Result<Value, Refused> {
    if path == "/v4/time" {
        let now = shared.now_ms();
        return Ok(json!({"iso": iso8601_millis(now), "epoch": now as f64 / 1000.0}));
    }
    let ex = shared.exchange();
    if let Some(ticker) = path.strip_prefix("/v4/orderbooks/perpetualMarket/") {
        let book = ex.books.get(ticker).ok_or_else(|| {
            Refused(
                404,
                format!("{ticker} not found in markets of type PERPETUAL"),
            )
        })?;
        let (bids, asks) = book.levels(usize::MAX);
        return Ok(shapes::book_doc(&bids, &asks));
    }
    if path == "/v4/perpetualMarkets" {
        let want = q.get("ticker");
        let mut markets = serde_json::Map::new();
        for m in &shared.markets {
            if want.is_some_and(|w| *w != m.ticker) {
                continue;
            }
            markets.insert(m.ticker.clone(), m.doc(shared.oracle_price(&ex, &m.ticker)));
        }
        if let Some(w) = want
            && markets.is_empty()
        {
            return Err(Refused(
                404,
                format!("{w} not found in markets of type PERPETUAL"),
            ));
        }
        return Ok(json!({"markets": markets}));
    }
    Err(Refused(404, format!("Cannot GET {path}")))
}
