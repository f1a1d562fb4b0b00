//! Gate.io's private stream: one websocket subscribed to `spot.orders`, `spot.usertrades` and
//! `spot.balances`, each subscribe request signed (`auth.method = "api_key"`, `SIGN` over
//! `channel=…&event=subscribe&time=…`, rebuilt on every connect so the time is fresh), `spot.ping`
//! on schedule, reconnects by the framework's stream. A frame that carries several orders or
//! trades is split into one frame each before the framework's consumer sees it; each frame becomes
//! one [`UserEvent`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::sign::Credentials;
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};
use crate::cex::venue::{Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{Asset, Balance, OrderState};
use crate::venue::{VenueError, VenueId};

use super::api::{self, GateOrder, MyTrade};
use super::book::{PING_EVERY, request};
use super::sign::ws_signature;

/// The private channels, in the order they are subscribed.
pub const CHANNELS: [&str; 3] = ["spot.orders", "spot.usertrades", "spot.balances"];

/// The websocket error code of a refused authentication.
pub const AUTH_FAILED: i64 = 4;

/// How the private stream is delivered (Gate.io has one mechanism).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels;

impl std::fmt::Display for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&CHANNELS.join(", "))
    }
}

/// The signed subscribe request of one private channel at `time_s`.
pub fn subscribe_request(
    creds: &Credentials,
    channel: &str,
    time_s: u64,
) -> Result<String, CexError> {
    let sign = ws_signature(creds, channel, "subscribe", time_s)?;
    let mut v = serde_json::json!({
        "time": time_s,
        "channel": channel,
        "event": "subscribe",
        "auth": {"method": "api_key", "KEY": creds.api_key(), "SIGN": sign},
    });
    if channel != "spot.balances" {
        v["payload"] = serde_json::json!(["!all"]);
    }
    Ok(v.to_string())
}

/// What keeps the stream running: the socket, the pinger and the splitter.
struct Keep {
    pinger: JoinHandle<()>,
    splitter: JoinHandle<()>,
}

impl Drop for Keep {
    fn drop(&mut self) {
        self.pinger.abort();
        self.splitter.abort();
    }
}

/// An answer to a subscribe request, or an event, as far as opening the stream cares.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    error: Option<WsError>,
    #[serde(default)]
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct WsError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// Frames that carry several orders or trades, one frame per element.
fn split(frame: Bytes) -> Vec<Bytes> {
    let Ok(env) = serde_json::from_slice::<Envelope>(&frame) else {
        return vec![frame];
    };
    match &env.result {
        serde_json::Value::Array(items)
            if items.len() > 1 && matches!(env.channel.as_str(), "spot.orders" | "spot.usertrades") =>
        {
            items
                .iter()
                .map(|item| {
                    let one = serde_json::json!({"channel": env.channel, "event": env.event, "result": [item]});
                    Bytes::from(one.to_string())
                })
                .collect()
        }
        _ => vec![frame],
    }
}

/// Opens the private stream; returns once the orders channel answered its subscription (or
/// `timeout` passed: it goes on retrying in the background). A refused subscription is the caller's
/// error, never retried silently.
pub async fn open(
    name: &str,
    ws_url: &str,
    id: &VenueId,
    rest: &RestClient,
    timeout: Duration,
) -> Result<UserStream<Channels>, VenueError> {
    let signer = rest
        .signer()
        .cloned()
        .ok_or_else(|| VenueError::Auth("the user stream needs API keys".into()))?;
    let clock = rest.clock.clone();
    let subscribe: stream::Subscriber = Arc::new(move || {
        let t = u64::try_from(clock.now_ms() / 1000).unwrap_or(0);
        CHANNELS
            .iter()
            .filter_map(|c| match subscribe_request(signer.credentials(), c, t) {
                Ok(m) => Some(m),
                Err(e) => {
                    tracing::error!(error = %e, "cannot sign the {c} subscription");
                    None
                }
            })
            .collect()
    });
    let (handle, mut raw) = stream::spawn(
        StreamConfig::new(&format!("{name} user stream"), ws_url),
        subscribe,
    );
    let (tx, events) = mpsc::channel(stream::DEFAULT_BUFFER);
    // up to the orders channel's answer, frames are read here and passed on
    let deadline = tokio::time::Instant::now() + timeout;
    let mut answered = false;
    while !answered {
        let ev = match tokio::time::timeout_at(deadline, raw.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(_) => {
                tracing::warn!(venue = %id, "user stream not answered yet; retrying in the background");
                break;
            }
        };
        if let StreamEvent::Message(m) = &ev
            && let Ok(env) = serde_json::from_slice::<Envelope>(m)
            && env.event == "subscribe"
            && env.channel == CHANNELS[0]
        {
            match env.error {
                // Gate.io's code 4: the key or its signature was refused
                Some(e) if e.code == AUTH_FAILED => {
                    tracing::error!(venue = %id, code = e.code, msg = %e.message, "user stream subscription refused");
                    return Err(VenueError::Auth(format!(
                        "gate_io refused the {} subscription: code {}: {}",
                        CHANNELS[0], e.code, e.message
                    )));
                }
                Some(e) => tracing::warn!(
                    venue = %id, code = e.code, msg = %e.message,
                    "user stream subscription not accepted yet; retrying in the background"
                ),
                None => {}
            }
            answered = true;
        }
        for e in split_event(ev) {
            let _ = tx.try_send(e);
        }
    }
    let pinger = tokio::spawn(ping_loop(rest.clock.clone(), handle));
    let splitter = tokio::spawn(async move {
        while let Some(ev) = raw.recv().await {
            for e in split_event(ev) {
                if tx.send(e).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(UserStream {
        mechanism: Channels,
        keep: Box::new(Keep { pinger, splitter }),
        first: None,
        events,
        stop: None,
    })
}

fn split_event(ev: StreamEvent) -> Vec<StreamEvent> {
    match ev {
        StreamEvent::Message(m) => split(m).into_iter().map(StreamEvent::Message).collect(),
        other => vec![other],
    }
}

/// Sends `spot.ping` every [`PING_EVERY`]; owns the stream handle (dropped with the task).
async fn ping_loop(clock: Arc<crate::cex::clock::ServerClock>, handle: StreamHandle) {
    let mut t = tokio::time::interval(PING_EVERY);
    loop {
        t.tick().await;
        let now = u64::try_from(clock.now_ms() / 1000).unwrap_or(0);
        handle.send(request("spot.ping", "", None, now));
    }
}

/// One frame of the private stream as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    let env: Envelope = api::decode("user stream frame", frame)?;
    if let Some(e) = env.error {
        tracing::error!(channel = %env.channel, code = e.code, msg = %e.message, "error on the user stream");
        return Ok(UserEvent::Ignored);
    }
    if env.event != "update" {
        tracing::debug!(channel = %env.channel, event = %env.event, "user stream message ignored");
        return Ok(UserEvent::Ignored);
    }
    match env.channel.as_str() {
        "spot.orders" => {
            let orders: Vec<GateOrder> = serde_json::from_value(env.result)
                .map_err(|e| CexError::decode("spot.orders", e))?;
            let Some(o) = orders.into_iter().next() else {
                return Ok(UserEvent::Ignored);
            };
            let Some(client_id) = api::client_id_of(&o.text) else {
                return Ok(UserEvent::Ignored);
            };
            let Some(pair) = markets.pair_of(&o.currency_pair) else {
                return Ok(UserEvent::UnknownSymbol(o.currency_pair));
            };
            let state = o.state().ok_or_else(|| {
                CexError::decode("spot.orders", format!("unknown status {}", o.status_word()))
            })?;
            Ok(UserEvent::Order(Box::new(OrderUpdate {
                client_id,
                pair: pair.clone(),
                venue_order_id: o.id.clone(),
                state,
                reason: o
                    .finish_as
                    .clone()
                    .filter(|f| !matches!(f.as_str(), "open" | "filled")),
                fill: None,
                cumulative_filled: o.filled().unwrap_or_default(),
            })))
        }
        "spot.usertrades" => {
            let trades: Vec<MyTrade> = serde_json::from_value(env.result)
                .map_err(|e| CexError::decode("spot.usertrades", e))?;
            let Some(t) = trades.into_iter().next() else {
                return Ok(UserEvent::Ignored);
            };
            let Some(client_id) = api::client_id_of(&t.text) else {
                return Ok(UserEvent::Ignored);
            };
            let Some(pair) = markets.pair_of(&t.currency_pair) else {
                return Ok(UserEvent::UnknownSymbol(t.currency_pair));
            };
            let fill = t.to_fill(&client_id, pair)?;
            Ok(UserEvent::Order(Box::new(OrderUpdate {
                client_id,
                pair: pair.clone(),
                venue_order_id: t.order_id.clone(),
                // the order's state follows its fills
                state: OrderState::PartiallyFilled,
                reason: None,
                fill: Some(fill),
                cumulative_filled: rust_decimal::Decimal::ZERO,
            })))
        }
        "spot.balances" => {
            #[derive(Deserialize)]
            struct B {
                currency: String,
                total: rust_decimal::Decimal,
                available: rust_decimal::Decimal,
            }
            let items: Vec<B> = serde_json::from_value(env.result)
                .map_err(|e| CexError::decode("spot.balances", e))?;
            let mut out = Vec::with_capacity(items.len());
            for b in items {
                match Asset::new(&b.currency) {
                    Ok(a) => out.push(Balance::new(a, b.total, b.available)),
                    Err(e) => tracing::warn!(error = %e, "balance of an unreadable asset"),
                }
            }
            Ok(UserEvent::Balances(out))
        }
        other => {
            tracing::debug!(channel = %other, "user stream channel ignored");
            Ok(UserEvent::Ignored)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::grid::Grid;
    use crate::cex::venue::Market;
    use crate::core::MarketRules;
    use rust_decimal_macros::dec;

    fn markets() -> Markets {
        let mut r = MarketRules::unrestricted("BTC-USDT".parse().unwrap(), "BTC_USDT", dec!(0.002));
        r.tick_size = dec!(0.01);
        r.step_size = dec!(0.0001);
        let m = Market {
            price: Grid::new(r.tick_size).unwrap(),
            size: Grid::new(r.step_size).unwrap(),
            rules: r,
        };
        Markets::new(vec![m])
    }

    #[test]
    fn subscribe_requests_are_signed_per_channel() {
        let creds =
            Credentials::parse(crate::cex::sign::KeyForm::HmacRaw, "k1", "s1", None).unwrap();
        let m: serde_json::Value =
            serde_json::from_str(&subscribe_request(&creds, "spot.orders", 1_606_292_218).unwrap())
                .unwrap();
        assert_eq!(m["payload"], serde_json::json!(["!all"]));
        assert_eq!(m["auth"]["method"], "api_key");
        assert_eq!(m["auth"]["KEY"], "k1");
        assert_eq!(
            m["auth"]["SIGN"],
            ws_signature(&creds, "spot.orders", "subscribe", 1_606_292_218).unwrap()
        );
        let b: serde_json::Value =
            serde_json::from_str(&subscribe_request(&creds, "spot.balances", 1).unwrap()).unwrap();
        assert!(b.get("payload").is_none());
    }

    #[test]
    fn frames_become_events() {
        let m = markets();
        let order = br#"{"time":1,"channel":"spot.orders","event":"update","result":[{"id":"30784435","user":1,
            "text":"t-sl1","event":"finish","currency_pair":"BTC_USDT","type":"limit","side":"sell","amount":"1",
            "price":"10001","time_in_force":"gtc","left":"0","filled_amount":"1","finish_as":"filled"}]}"#;
        match parse_frame(order, &m).unwrap() {
            UserEvent::Order(u) => {
                assert_eq!(u.state, OrderState::Filled);
                assert_eq!(u.cumulative_filled, dec!(1));
                assert_eq!(u.client_id.as_str(), "sl1");
            }
            other => panic!("{other:?}"),
        }
        let trade = br#"{"time":1,"channel":"spot.usertrades","event":"update","result":[{"id":5736713,"user_id":1,
            "order_id":"30784435","currency_pair":"BTC_USDT","create_time":1605176741,"create_time_ms":"1605176741123.456",
            "side":"sell","amount":"0.5","role":"maker","price":"10001","fee":"0.01","fee_currency":"USDT","text":"t-sl1"}]}"#;
        match parse_frame(trade, &m).unwrap() {
            UserEvent::Order(u) => {
                let f = u.fill.unwrap();
                assert_eq!(
                    (f.trade_id.as_str(), f.amount, f.is_maker),
                    ("BTC-USDT:5736713", dec!(0.5), true)
                );
            }
            other => panic!("{other:?}"),
        }
        let bal = br#"{"time":1,"channel":"spot.balances","event":"update","result":[{"timestamp":"1","currency":"USDT",
            "change":"100","total":"1032.5","available":"1022.5","freeze":"10"}]}"#;
        assert!(
            matches!(parse_frame(bal, &m).unwrap(), UserEvent::Balances(b) if b[0].total == dec!(1032.5))
        );
        let other_pair = br#"{"channel":"spot.orders","event":"update","result":[{"id":"1","text":"t-a","currency_pair":"X_Y","side":"buy","amount":"1","event":"put"}]}"#;
        assert!(
            matches!(parse_frame(other_pair, &m).unwrap(), UserEvent::UnknownSymbol(s) if s == "X_Y")
        );
        let web = br#"{"channel":"spot.orders","event":"update","result":[{"id":"1","text":"web","currency_pair":"BTC_USDT","side":"buy","amount":"1","event":"put"}]}"#;
        assert_eq!(parse_frame(web, &m).unwrap(), UserEvent::Ignored);
        assert!(parse_frame(b"<html>", &m).is_err());
        assert!(
            parse_frame(
                br#"{"channel":"spot.orders","event":"update","result":[{"id":"1"}]}"#,
                &m
            )
            .is_err()
        );
    }

    #[test]
    fn frames_with_several_items_are_split() {
        let f = Bytes::from_static(
            br#"{"channel":"spot.usertrades","event":"update","result":[{"id":1},{"id":2}]}"#,
        );
        let parts = split(f);
        assert_eq!(parts.len(), 2);
        assert!(String::from_utf8_lossy(&parts[1]).contains(r#""id":2"#));
        let b = Bytes::from_static(
            br#"{"channel":"spot.balances","event":"update","result":[{"a":1},{"a":2}]}"#,
        );
        assert_eq!(split(b).len(), 1);
    }
}
