//! Coinbase Advanced Trade's private stream: the user websocket subscribed to `heartbeats` and to
//! the `user` channel, each subscribe message carrying a fresh CDP JWT (no `uri` claim), rebuilt on
//! every connect. The `user` channel reports orders only (a `snapshot` of the open orders, then
//! `update`s with cumulative quantity, fees and status): fills with their trade ids and fees come
//! from REST (`/orders/historical/fills`), which the framework calls when an update reports more
//! filled than it has fills for; balances come from REST too (the venue streams no spot balances).
//! Every message carries the connection's `sequence_num`: a gap means order updates were lost, and
//! is reported to the framework as a reconnect, which reconciles every open order by polling.
//! A message with several orders is split into one frame per order.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::sign::recipes::CoinbaseAdvanced;
use crate::cex::stream::{self, StreamConfig, StreamEvent};
use crate::cex::venue::{Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{ClientOrderId, OrderState};
use crate::venue::{VenueError, VenueId};

use super::api::order_state;
use super::book::channel_message;
use super::depth::HEARTBEATS;

/// The private channel.
pub const USER: &str = "user";

/// How the private stream is delivered (one mechanism: the `user` channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserChannel;

impl std::fmt::Display for UserChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("user channel")
    }
}

/// A signed subscribe message of `channel`.
pub fn subscribe_message(channel: &str, jwt: &str) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&channel_message("subscribe", channel, &[])).unwrap_or_default();
    v["jwt"] = serde_json::Value::String(jwt.to_string());
    v.to_string()
}

/// What keeps the stream running: the socket and the splitter.
struct Keep {
    splitter: JoinHandle<()>,
}

impl Drop for Keep {
    fn drop(&mut self) {
        self.splitter.abort();
    }
}

/// A message of the user connection, as far as sequencing and splitting care.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    channel: String,
    #[serde(default, rename = "type")]
    msg_type: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    sequence_num: Option<u64>,
    #[serde(default)]
    events: Vec<serde_json::Value>,
}

/// One order of the `user` channel.
#[derive(Debug, Clone, Deserialize)]
pub struct UserOrder {
    pub order_id: String,
    #[serde(default)]
    pub client_order_id: String,
    pub product_id: String,
    pub status: String,
    #[serde(default)]
    pub cumulative_quantity: Decimal,
    #[serde(default)]
    pub cancel_reason: String,
    #[serde(default)]
    pub reject_reason: String,
}

/// Splits a user message with several orders into one frame per order.
fn split(frame: Bytes) -> Vec<Bytes> {
    let Ok(env) = serde_json::from_slice::<Envelope>(&frame) else {
        return vec![frame];
    };
    if env.channel != USER {
        return vec![frame];
    }
    let mut out = Vec::new();
    for ev in &env.events {
        let kind = ev.get("type").cloned().unwrap_or_default();
        for o in ev
            .get("orders")
            .and_then(|o| o.as_array())
            .into_iter()
            .flatten()
        {
            let one =
                serde_json::json!({"channel": USER, "events": [{"type": kind, "orders": [o]}]});
            out.push(Bytes::from(one.to_string()));
        }
    }
    out
}

/// Follows the connection's sequence: `true` when messages were lost since the last one.
fn gap(last: &mut Option<u64>, frame: &[u8]) -> bool {
    let Ok(env) = serde_json::from_slice::<Envelope>(frame) else {
        return false;
    };
    let Some(seq) = env.sequence_num else {
        return false;
    };
    let lost = last.is_some_and(|l| seq > l + 1);
    if last.is_none_or(|l| seq > l) {
        *last = Some(seq);
    }
    lost
}

/// Opens the private stream; returns once the `user` subscription was answered (or `timeout`
/// passed: it goes on retrying in the background). A refused subscription is the caller's
/// error, never retried silently.
pub async fn open(
    name: &str,
    ws_url: &str,
    id: &VenueId,
    rest: &RestClient,
    timeout: Duration,
) -> Result<UserStream<UserChannel>, VenueError> {
    let signer = rest
        .signer()
        .cloned()
        .ok_or_else(|| VenueError::Auth("the user stream needs API keys".into()))?;
    let clock = rest.clock.clone();
    let subscribe: stream::Subscriber = Arc::new(move || {
        let t = u64::try_from(clock.now_ms() / 1000).unwrap_or(0);
        [HEARTBEATS, USER]
            .iter()
            .filter_map(
                |c| match CoinbaseAdvanced::ws_jwt(signer.credentials(), t) {
                    Ok(jwt) => Some(subscribe_message(c, &jwt)),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot sign the {c} subscription");
                        None
                    }
                },
            )
            .collect()
    });
    let (handle, mut raw) = stream::spawn(
        StreamConfig::new(&format!("{name} user stream"), ws_url),
        subscribe,
    );
    let (tx, events) = mpsc::channel(stream::DEFAULT_BUFFER);
    let mut last = None;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pending = Vec::new();
    loop {
        let ev = match tokio::time::timeout_at(deadline, raw.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(_) => {
                tracing::warn!(venue = %id, "user stream not answered yet; retrying in the background");
                break;
            }
        };
        let mut answered = false;
        if let StreamEvent::Message(m) = &ev
            && let Ok(env) = serde_json::from_slice::<Envelope>(m)
        {
            if env.msg_type == "error" {
                tracing::error!(venue = %id, msg = %env.message, "user stream subscription refused");
                return Err(VenueError::Auth(format!(
                    "coinbase_advanced refused the user subscription: {}",
                    env.message
                )));
            }
            answered = env.channel == "subscriptions"
                && env
                    .events
                    .iter()
                    .any(|e| e["subscriptions"].get(USER).is_some());
        }
        pending.push(ev);
        if answered {
            break;
        }
    }
    let splitter = tokio::spawn(async move {
        let pass = |ev: StreamEvent, last: &mut Option<u64>| -> Vec<StreamEvent> {
            match ev {
                StreamEvent::Message(m) => {
                    let mut out = Vec::new();
                    if gap(last, &m) {
                        tracing::warn!(
                            "gap in the user channel's sequence; reconciling the orders"
                        );
                        out.push(StreamEvent::Connected { reconnect: true });
                    }
                    out.extend(split(m).into_iter().map(StreamEvent::Message));
                    out
                }
                StreamEvent::Connected { reconnect } => {
                    *last = None;
                    vec![StreamEvent::Connected { reconnect }]
                }
                other => vec![other],
            }
        };
        let _handle = handle;
        for ev in pending {
            for e in pass(ev, &mut last) {
                if tx.send(e).await.is_err() {
                    return;
                }
            }
        }
        while let Some(ev) = raw.recv().await {
            for e in pass(ev, &mut last) {
                if tx.send(e).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(UserStream {
        mechanism: UserChannel,
        keep: Box::new(Keep { splitter }),
        first: None,
        events,
        stop: None,
    })
}

/// One frame of the private stream (one order, after [`split`]) as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    let env: Envelope = serde_json::from_slice(frame).map_err(|e| {
        CexError::decode(
            "user channel message",
            format!("{e}; starts {:?}", CexError::snippet(frame)),
        )
    })?;
    if env.channel != USER {
        return Ok(UserEvent::Ignored);
    }
    let Some(o) = env
        .events
        .first()
        .and_then(|e| e.get("orders"))
        .and_then(|o| o.get(0))
    else {
        return Ok(UserEvent::Ignored);
    };
    let o: UserOrder =
        serde_json::from_value(o.clone()).map_err(|e| CexError::decode("user channel order", e))?;
    let Some(pair) = markets.pair_of(&o.product_id) else {
        return Ok(UserEvent::UnknownSymbol(o.product_id));
    };
    let Ok(client_id) = ClientOrderId::new(&o.client_order_id) else {
        return Ok(UserEvent::Ignored);
    };
    let state = order_state(&o.status, o.cumulative_quantity).ok_or_else(|| {
        CexError::decode(
            "user channel order",
            format!("unknown status {:?}", o.status),
        )
    })?;
    let reason = [&o.reject_reason, &o.cancel_reason]
        .into_iter()
        .find(|r| !r.is_empty())
        .cloned()
        .filter(|_| matches!(state, OrderState::Failed | OrderState::Cancelled));
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id,
        pair: pair.clone(),
        venue_order_id: o.order_id,
        state,
        reason,
        fill: None,
        cumulative_filled: o.cumulative_quantity,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::venue::Market;
    use crate::core::MarketRules;
    use rust_decimal_macros::dec;

    fn markets() -> Markets {
        let mut r = MarketRules::unrestricted("BTC-USD".parse().unwrap(), "BTC-USD", dec!(0.006));
        r.tick_size = dec!(0.01);
        r.step_size = dec!(0.00000001);
        Markets::new(vec![Market::new(r).unwrap()])
    }

    const UPDATE: &str = r#"{"channel":"user","client_id":"","timestamp":"2023-02-09T20:33:57.609931463Z","sequence_num":4,
        "events":[{"type":"update","orders":[
          {"avg_price":"50000","cancel_reason":"","client_order_id":"sl-a","completion_percentage":"50.00",
           "cumulative_quantity":"0.01","filled_value":"500","leaves_quantity":"0.01","limit_price":"50000",
           "number_of_fills":"1","order_id":"o-1","order_side":"BUY","order_type":"Limit","post_only":"false",
           "product_id":"BTC-USD","product_type":"SPOT","reject_reason":"","status":"OPEN",
           "time_in_force":"GOOD_UNTIL_CANCELLED","total_fees":"3","creation_time":"2023-02-09T20:33:57Z"},
          {"order_id":"o-2","client_order_id":"sl-b","product_id":"BTC-USD","status":"CANCELLED",
           "cumulative_quantity":"0","cancel_reason":"User requested cancel","reject_reason":""}]}]}"#;

    #[test]
    fn user_updates_split_and_parse() {
        let frames = split(Bytes::from_static(UPDATE.as_bytes()));
        assert_eq!(frames.len(), 2);
        let m = markets();
        match parse_frame(&frames[0], &m).unwrap() {
            UserEvent::Order(u) => {
                assert_eq!(u.client_id.as_str(), "sl-a");
                assert_eq!(u.venue_order_id, "o-1");
                assert_eq!(u.state, OrderState::PartiallyFilled);
                assert_eq!(u.cumulative_filled, dec!(0.01));
                assert!(u.fill.is_none(), "fills come from REST");
            }
            other => panic!("{other:?}"),
        }
        match parse_frame(&frames[1], &m).unwrap() {
            UserEvent::Order(u) => {
                assert_eq!(u.state, OrderState::Cancelled);
                assert_eq!(u.reason.as_deref(), Some("User requested cancel"));
            }
            other => panic!("{other:?}"),
        }
        let other = br#"{"channel":"user","events":[{"type":"update","orders":[{"order_id":"x","client_order_id":"c","product_id":"ETH-EUR","status":"OPEN"}]}]}"#;
        assert_eq!(
            parse_frame(other, &m).unwrap(),
            UserEvent::UnknownSymbol("ETH-EUR".into())
        );
        let hb =
            br#"{"channel":"heartbeats","sequence_num":5,"events":[{"heartbeat_counter":"1"}]}"#;
        assert_eq!(parse_frame(hb, &m).unwrap(), UserEvent::Ignored);
        assert!(parse_frame(b"<html>", &m).is_err());
        let weird = br#"{"channel":"user","events":[{"type":"update","orders":[{"order_id":"x","client_order_id":"c","product_id":"BTC-USD","status":"MYSTERY"}]}]}"#;
        assert!(parse_frame(weird, &m).is_err());
    }

    #[test]
    fn sequence_gaps_are_detected() {
        let mut last = None;
        let at = |n: u64| format!(r#"{{"channel":"heartbeats","sequence_num":{n},"events":[]}}"#);
        assert!(!gap(&mut last, at(0).as_bytes()));
        assert!(!gap(&mut last, at(1).as_bytes()));
        assert!(!gap(&mut last, at(1).as_bytes()), "a duplicate is no gap");
        assert!(gap(&mut last, at(3).as_bytes()));
        assert!(!gap(&mut last, at(2).as_bytes()), "a late one is no gap");
        assert_eq!(last, Some(3));
    }

    #[test]
    fn subscribe_messages_carry_the_jwt() {
        let v: serde_json::Value = serde_json::from_str(&subscribe_message(USER, "a.b.c")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "subscribe", "channel": "user", "jwt": "a.b.c"})
        );
    }
}
