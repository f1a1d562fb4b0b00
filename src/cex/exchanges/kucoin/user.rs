//! KuCoin's private stream: a connection ticket from the signed `POST /api/v1/bullet-private`
//! (the stream's only authentication), one websocket subscribed to `/spotMarket/tradeOrdersV2`
//! (orders and their matches) and `/account/balance` (`privateChannel: true`, acknowledged by
//! `ack`), `ping` every `pingInterval`, reconnects by the framework's stream (re-subscribing on
//! each connect), each connection on a fresh ticket (a token is good for one connection). A `match` push carries no fee: it reports the order's filled size without a
//! fill, and the framework fetches the trades (with fees and trade ids) from `/api/v1/fills`.

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};
use crate::cex::venue::{Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{Asset, Balance, ClientOrderId, OrderState};
use crate::venue::{VenueError, VenueId};

use super::api::{self, dec_str};
use super::ws;

/// The private topics, in the order they are subscribed.
pub const TOPICS: [&str; 2] = ["/spotMarket/tradeOrdersV2", "/account/balance"];

/// How the private stream is delivered (KuCoin has one mechanism).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateTopics;

impl std::fmt::Display for PrivateTopics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&TOPICS.join(", "))
    }
}

/// What keeps the stream running: the pinger, which owns the socket's handle.
struct Keep {
    pinger: JoinHandle<()>,
}

impl Drop for Keep {
    fn drop(&mut self) {
        self.pinger.abort();
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    data: serde_json::Value,
}

/// Opens the private stream: the ticket (a refused key is the caller's error, never retried
/// silently), then the socket; returns once the orders topic is acknowledged or `timeout`
/// passed (it goes on retrying in the background).
pub async fn open(
    name: &str,
    id: &VenueId,
    rest: &RestClient,
    timeout: Duration,
) -> Result<UserStream<PrivateTopics>, VenueError> {
    if rest.signer().is_none() {
        return Err(VenueError::Auth("the user stream needs API keys".into()));
    }
    let bullet = match ws::bullet(rest, true).await {
        Ok(b) => b,
        Err(CexError::Api {
            kind:
                crate::cex::error::ApiErrorKind::Authentication
                | crate::cex::error::ApiErrorKind::Timestamp,
            code,
            msg,
            ..
        }) => {
            return Err(VenueError::Auth(format!(
                "kucoin refused the private connection ticket: code {code}: {msg}"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let subscribe: stream::Subscriber = Arc::new(|| {
        TOPICS
            .iter()
            .map(|t| ws::topic_op("subscribe", t, true))
            .collect()
    });
    // The first connection uses the ticket just checked; every later one asks for a new one.
    let first_url = Arc::new(std::sync::Mutex::new(Some(bullet.url.clone())));
    let ticket_rest = rest.clone();
    let urls: stream::UrlSource = Arc::new(move || {
        let first = first_url.lock().ok().and_then(|mut u| u.take());
        let rest = ticket_rest.clone();
        Box::pin(async move {
            match first {
                Some(url) => Ok(url),
                None => ws::bullet(&rest, true)
                    .await
                    .map(|b| b.url)
                    .map_err(|e| e.to_string()),
            }
        })
    });
    let (handle, mut raw) = stream::spawn_with_urls(
        StreamConfig::new(&format!("{name} user stream"), &bullet.url),
        subscribe,
        urls,
    );
    let deadline = tokio::time::Instant::now() + timeout;
    let mut first = None;
    loop {
        match tokio::time::timeout_at(deadline, raw.recv()).await {
            Ok(Some(StreamEvent::Message(m))) => {
                let ack = serde_json::from_slice::<Envelope>(&m).is_ok_and(|e| e.kind == "ack");
                if ack {
                    break;
                }
                if first.is_none() && !m.is_empty() {
                    first = Some(StreamEvent::Message(m));
                }
            }
            Ok(Some(ev @ StreamEvent::Connected { .. })) => {
                first.get_or_insert(ev);
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                tracing::warn!(venue = %id, "user stream not acknowledged yet; retrying in the background");
                break;
            }
        }
    }
    let pinger = tokio::spawn(ping_loop(handle, bullet.ping_interval));
    Ok(UserStream {
        mechanism: PrivateTopics,
        keep: Box::new(Keep { pinger }),
        first,
        events: raw,
        stop: None,
    })
}

async fn ping_loop(handle: StreamHandle, every: Duration) {
    let mut t = tokio::time::interval(every);
    loop {
        t.tick().await;
        handle.send(ws::ping());
    }
}

/// A `/spotMarket/tradeOrdersV2` push.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderChange {
    pub symbol: String,
    pub order_id: String,
    #[serde(default)]
    pub client_oid: String,
    /// `received`, `open`, `match`, `update`, `filled`, `canceled`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `new`, `open`, `match`, `done`.
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "dec_str")]
    pub size: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub filled_size: Option<Decimal>,
}

impl OrderChange {
    pub fn state(&self) -> Result<OrderState, CexError> {
        let filled = self.filled_size.unwrap_or_default();
        Ok(match self.kind.as_str() {
            "received" | "open" if filled.is_zero() => OrderState::Open,
            "received" | "open" | "match" | "update" => OrderState::PartiallyFilled,
            "filled" => OrderState::Filled,
            "canceled" => OrderState::Cancelled,
            other => {
                return Err(CexError::decode(
                    "tradeOrdersV2",
                    format!("unknown type {other:?}"),
                ));
            }
        })
    }
}

/// A `/account/balance` push.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceChange {
    currency: String,
    #[serde(deserialize_with = "dec_str")]
    total: Option<Decimal>,
    #[serde(deserialize_with = "dec_str")]
    available: Option<Decimal>,
}

/// One frame of the private stream as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    let env: Envelope = api::decode("user stream frame", frame)?;
    match env.kind.as_str() {
        "message" => {}
        "error" => {
            tracing::error!(topic = %env.topic, "error on the user stream: {}", CexError::snippet(frame));
            return Ok(UserEvent::Ignored);
        }
        _ => return Ok(UserEvent::Ignored),
    }
    match env.topic.as_str() {
        "/spotMarket/tradeOrdersV2" | "/spotMarket/tradeOrders" => {
            let o: OrderChange = serde_json::from_value(env.data)
                .map_err(|e| CexError::decode("tradeOrdersV2", e))?;
            let Ok(client_id) = ClientOrderId::new(&o.client_oid) else {
                return Ok(UserEvent::Ignored);
            };
            let Some(pair) = markets.pair_of(&o.symbol) else {
                return Ok(UserEvent::UnknownSymbol(o.symbol));
            };
            Ok(UserEvent::Order(Box::new(OrderUpdate {
                client_id,
                pair: pair.clone(),
                venue_order_id: o.order_id.clone(),
                state: o.state()?,
                reason: None,
                // the push has no fee: the framework reads the trades when the size moves
                fill: None,
                cumulative_filled: o.filled_size.unwrap_or_default(),
            })))
        }
        "/account/balance" => {
            let b: BalanceChange = serde_json::from_value(env.data)
                .map_err(|e| CexError::decode("account balance", e))?;
            Ok(UserEvent::Balances(vec![Balance::new(
                Asset::new(&b.currency)?,
                b.total.unwrap_or_default(),
                b.available.unwrap_or_default(),
            )]))
        }
        _ => Ok(UserEvent::Ignored),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_change_states() {
        let p = |kind: &str, filled: &str| OrderChange {
            symbol: "BTC-USDT".into(),
            order_id: "o".into(),
            client_oid: "c".into(),
            kind: kind.into(),
            status: String::new(),
            size: Some(Decimal::ONE),
            filled_size: filled.parse().ok(),
        };
        assert_eq!(p("open", "0").state().unwrap(), OrderState::Open);
        assert_eq!(
            p("match", "0.5").state().unwrap(),
            OrderState::PartiallyFilled
        );
        assert_eq!(p("filled", "1").state().unwrap(), OrderState::Filled);
        assert_eq!(p("canceled", "0.5").state().unwrap(), OrderState::Cancelled);
        assert!(p("weird", "0").state().is_err());
    }

    #[test]
    fn hostile_frames_are_errors_not_panics() {
        let m = Markets::default();
        assert!(parse_frame(b"<html>", &m).is_err());
        assert!(parse_frame(br#"{"type":"message","topic":"/account/balance","data":{"currency":"BTC","total":"1e999","available":"0"}}"#, &m).is_err());
        assert_eq!(
            parse_frame(br#"{"type":"pong","id":"1"}"#, &m).unwrap(),
            UserEvent::Ignored
        );
    }
}
