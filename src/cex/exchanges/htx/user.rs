//! HTX's private stream: the v2 WebSocket (`/ws/v2`, plain JSON), an `auth` request signed by
//! version 2.1 on every connect (on the exchange's clock), then — once it is answered `code`
//! 200 — subscriptions to `orders#*` (order states), `trade.clearing#*#0` (trades with their
//! fees) and `accounts.update#1` (balance and available on every change). The server's
//! `{"action":"ping"}` is answered with `{"action":"pong"}` carrying the same `ts`. A relay task
//! between the socket and the framework holds each connect back until `orders#*` is confirmed
//! (so the framework's reconcile after a reconnect happens once events flow; a refused
//! subscription releases it at once, so that polling covers what the stream cannot say) and
//! reports a refused `auth`. [`parse_frame`] turns one push into the framework's [`UserEvent`]: an
//! `orders#` trade reports the executed quantity (fills the stream missed are then polled), a
//! `trade.clearing#` trade carries the fill itself.

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use crate::cex::clock::ServerClock;
use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::sign::Signer;
use crate::cex::stream::{self, StreamConfig, StreamEvent};
use crate::cex::venue::{Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{Asset, Balance, ClientOrderId, Fill, OrderState};
use crate::venue::{VenueError, VenueId};

use super::api::{decode, id_text, num, opt_num, order_state, parse_type};
use super::errors::{V2_BASE, classify};
use super::sign::ws_auth_message;

/// The private stream has one mechanism: the v2 WebSocket with an `auth` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateWs;

impl std::fmt::Display for PrivateWs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("v2 websocket (auth, orders + trade.clearing + accounts.update)")
    }
}

/// The topics subscribed after a successful `auth`.
pub const TOPICS: [&str; 3] = ["orders#*", "trade.clearing#*#0", "accounts.update#1"];

/// `{"action":"sub","ch":topic}`.
pub fn sub_message(topic: &str) -> String {
    serde_json::json!({"action": "sub", "ch": topic}).to_string()
}

/// The `host[:port]` the `auth` request signs: the private URL's authority, lower-cased.
pub fn ws_host(ws_private_url: &str) -> Result<String, CexError> {
    let u = url::Url::parse(ws_private_url)
        .map_err(|e| CexError::Invalid(format!("private websocket url: {e}")))?;
    let host = u
        .host_str()
        .ok_or_else(|| CexError::Invalid("private websocket url without a host".into()))?;
    Ok(match u.port() {
        Some(p) => format!("{host}:{p}").to_ascii_lowercase(),
        None => host.to_ascii_lowercase(),
    })
}

enum Start {
    Subscribed,
    Refused { code: i64, msg: String },
}

/// A control frame (`action` other than `push`).
#[derive(Deserialize)]
struct Control {
    action: String,
    #[serde(default)]
    ch: String,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// Opens the private stream: returns once `orders#*` is subscribed, with the error when `auth`
/// is refused, or (no answer within `timeout`) with the stream retrying in the background.
pub async fn open(
    id: &VenueId,
    rest: &RestClient,
    ws_private_url: &str,
    timeout: Duration,
) -> Result<UserStream<PrivateWs>, VenueError> {
    let signer = rest
        .signer()
        .cloned()
        .ok_or_else(|| VenueError::Auth("the user stream needs API keys".into()))?;
    let host = ws_host(ws_private_url)?;
    // signed now, to fail before connecting when the keys cannot sign it
    ws_auth_message(&signer, &host, 0).map_err(VenueError::from)?;
    let auth = auth_builder(signer, rest.clock.clone(), host);
    let cfg = StreamConfig::new(&format!("{id} user stream"), ws_private_url);
    let (handle, raw) = stream::spawn(cfg, auth);
    let (tx, rx) = mpsc::channel(stream::DEFAULT_BUFFER);
    let (first_tx, first_rx) = oneshot::channel();
    let keep = RelayTask(tokio::spawn(relay(handle, raw, tx, first_tx)));
    match tokio::time::timeout(timeout, first_rx).await {
        Ok(Ok(Start::Subscribed)) => {}
        Ok(Ok(Start::Refused { code, msg })) => {
            tracing::error!(venue = %id, code, %msg, "user stream auth refused");
            return Err(CexError::Api {
                status: 401,
                code: V2_BASE + code,
                kind: classify(401, V2_BASE + code),
                msg,
            }
            .into());
        }
        Ok(Err(_)) | Err(_) => {
            tracing::warn!(venue = %id, "user stream not subscribed yet; retrying in the background");
        }
    }
    Ok(UserStream {
        mechanism: PrivateWs,
        keep: Box::new(keep),
        first: None,
        events: rx,
        stop: None,
    })
}

/// Aborts the relay (and with it the socket) when dropped.
struct RelayTask(tokio::task::JoinHandle<()>);

impl Drop for RelayTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The `auth` request sent on each connect, signed at that moment on the exchange's clock.
fn auth_builder(signer: Arc<Signer>, clock: Arc<ServerClock>, host: String) -> stream::Subscriber {
    Arc::new(move || {
        let ms = u64::try_from(clock.now_ms()).unwrap_or(0);
        match ws_auth_message(&signer, &host, ms) {
            Ok(m) => vec![m],
            Err(e) => {
                tracing::error!(error = %e, "cannot sign the user stream auth");
                Vec::new()
            }
        }
    })
}

async fn relay(
    handle: stream::StreamHandle,
    mut raw: mpsc::Receiver<StreamEvent>,
    tx: mpsc::Sender<StreamEvent>,
    first: oneshot::Sender<Start>,
) {
    let mut first = Some(first);
    let mut pending_connect: Option<bool> = None;
    while let Some(ev) = raw.recv().await {
        let out = match ev {
            StreamEvent::Connected { reconnect } => {
                pending_connect = Some(reconnect);
                continue;
            }
            StreamEvent::Disconnected { reason } => {
                pending_connect = None;
                StreamEvent::Disconnected { reason }
            }
            StreamEvent::Message(m) => {
                let Ok(c) = serde_json::from_slice::<Control>(&m) else {
                    tracing::warn!("unreadable user stream frame: {}", CexError::snippet(&m));
                    continue;
                };
                let ok = c.code.unwrap_or(200) == 200;
                match (c.action.as_str(), c.ch.as_str()) {
                    ("push", _) => StreamEvent::Message(m),
                    ("ping", _) => {
                        let ts = c.data.as_ref().and_then(|d| d.get("ts")).cloned();
                        handle.send(
                            serde_json::json!({"action": "pong", "data": {"ts": ts}}).to_string(),
                        );
                        continue;
                    }
                    ("req", "auth") if ok => {
                        for t in TOPICS {
                            handle.send(sub_message(t));
                        }
                        continue;
                    }
                    ("sub", "orders#*") if ok => match pending_connect.take() {
                        Some(reconnect) => {
                            if let Some(f) = first.take() {
                                let _ = f.send(Start::Subscribed);
                            }
                            StreamEvent::Connected { reconnect }
                        }
                        None => continue,
                    },
                    ("sub", ch) if !ok => {
                        tracing::error!(ch, code = c.code, msg = %c.message, "subscription refused");
                        // events cannot flow on this connection: the framework polls what the
                        // stream would have said (its reconcile on a connect), then the
                        // reconnect tries again
                        match pending_connect.take() {
                            Some(reconnect) => StreamEvent::Connected { reconnect },
                            None => continue,
                        }
                    }
                    (action, ch) if !ok => {
                        let code = c.code.unwrap_or(-1);
                        tracing::error!(action, ch, code, msg = %c.message, "user stream error");
                        if ch == "auth"
                            && let Some(f) = first.take()
                        {
                            let _ = f.send(Start::Refused {
                                code,
                                msg: c.message,
                            });
                        }
                        continue;
                    }
                    _ => continue,
                }
            }
        };
        if tx.send(out).await.is_err() {
            return;
        }
    }
}

/// The data of an `orders#…` push (`creation`, `trade`, `cancellation`: the order's state and
/// executed total) or a `trade.clearing#…` push (`trade`: one fill with its fee); the fields one
/// of them lacks are left empty.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderPush {
    event_type: String,
    symbol: String,
    #[serde(deserialize_with = "id_text")]
    order_id: String,
    #[serde(default)]
    client_order_id: String,
    #[serde(default)]
    order_status: String,
    #[serde(default, deserialize_with = "opt_num")]
    exec_amt: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_num")]
    trade_price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_num")]
    trade_volume: Option<Decimal>,
    #[serde(default)]
    order_side: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    aggressor: bool,
    #[serde(default, deserialize_with = "opt_id")]
    trade_id: Option<String>,
    #[serde(default)]
    trade_time: u64,
    #[serde(default, deserialize_with = "opt_num")]
    transact_fee: Option<Decimal>,
    #[serde(default)]
    fee_currency: String,
}

/// `accounts.update#1` push data.
#[derive(Debug, Deserialize)]
struct AccountPush {
    currency: String,
    #[serde(deserialize_with = "num")]
    balance: Decimal,
    #[serde(default, deserialize_with = "opt_num")]
    available: Option<Decimal>,
}

fn opt_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    id_text(d).map(Some)
}

#[derive(Deserialize)]
struct Push {
    ch: String,
    data: Box<serde_json::value::RawValue>,
}

/// One frame of the private stream as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    let p: Push = match decode::<Control>("user stream frame", frame)? {
        c if c.action == "push" => decode("user stream push", frame)?,
        _ => return Ok(UserEvent::Ignored),
    };
    let data = p.data.get().as_bytes();
    if p.ch.starts_with("orders#") {
        let o: OrderPush = decode("orders push", data)?;
        order_event(o, markets)
    } else if p.ch.starts_with("trade.clearing#") {
        let c: OrderPush = decode("trade.clearing push", data)?;
        clearing_event(c, markets)
    } else if p.ch.starts_with("accounts.update#") {
        let a: AccountPush = decode("accounts.update push", data)?;
        let Some(free) = a.available else {
            return Ok(UserEvent::Ignored);
        };
        let asset = Asset::new(&a.currency.to_ascii_uppercase())?;
        Ok(UserEvent::Balances(vec![Balance::new(
            asset, a.balance, free,
        )]))
    } else {
        tracing::debug!(ch = %p.ch, "user stream push ignored");
        Ok(UserEvent::Ignored)
    }
}

fn state_of(status: &str, filled: Decimal) -> Result<OrderState, CexError> {
    order_state(status, filled)
        .ok_or_else(|| CexError::decode("order push", format!("unknown state {status:?}")))
}

fn order_event(o: OrderPush, markets: &Markets) -> Result<UserEvent, CexError> {
    if !matches!(o.event_type.as_str(), "creation" | "trade" | "cancellation") {
        return Ok(UserEvent::Ignored);
    }
    let Some(pair) = markets.pair_of(&o.symbol) else {
        return Ok(UserEvent::UnknownSymbol(o.symbol));
    };
    let Ok(id) = ClientOrderId::new(&o.client_order_id) else {
        return Ok(UserEvent::Ignored);
    };
    let filled = o.exec_amt.unwrap_or_default();
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id: id,
        pair: pair.clone(),
        venue_order_id: o.order_id,
        state: state_of(&o.order_status, filled)?,
        reason: None,
        fill: None,
        cumulative_filled: filled,
    })))
}

fn clearing_event(c: OrderPush, markets: &Markets) -> Result<UserEvent, CexError> {
    if c.event_type != "trade" {
        return Ok(UserEvent::Ignored);
    }
    let Some(pair) = markets.pair_of(&c.symbol) else {
        return Ok(UserEvent::UnknownSymbol(c.symbol));
    };
    let Ok(id) = ClientOrderId::new(&c.client_order_id) else {
        return Ok(UserEvent::Ignored);
    };
    let missing = |f: &str| CexError::decode("trade.clearing push", format!("no {f}"));
    let side = match c.order_side.as_str() {
        "buy" => crate::core::Side::Buy,
        "sell" => crate::core::Side::Sell,
        _ => {
            parse_type(&c.order_type)
                .ok_or_else(|| missing("orderSide"))?
                .0
        }
    };
    let fee_ccy = if c.fee_currency.is_empty() {
        pair.quote.as_str().to_string()
    } else {
        c.fee_currency.to_ascii_uppercase()
    };
    let fill = Fill {
        venue: String::new(),
        trade_id: c.trade_id.ok_or_else(|| missing("tradeId"))?,
        client_id: Some(id.clone()),
        venue_order_id: Some(c.order_id.clone()),
        pair: pair.clone(),
        side,
        price: c.trade_price.ok_or_else(|| missing("tradePrice"))?,
        amount: c.trade_volume.ok_or_else(|| missing("tradeVolume"))?,
        fee_asset: Asset::new(&fee_ccy)?,
        fee_amount: c.transact_fee.unwrap_or_default().abs(),
        is_maker: !c.aggressor,
        timestamp_ms: c.trade_time,
    };
    // the executed total is not in this push: the state follows the fills held
    let state = state_of(&c.order_status, fill.amount)?;
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id: id,
        pair: pair.clone(),
        venue_order_id: c.order_id,
        state,
        reason: None,
        fill: Some(fill),
        cumulative_filled: Decimal::ZERO,
    })))
}
