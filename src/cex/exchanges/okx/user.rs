//! OKX's private stream: the private WebSocket, a login on every connect (`op: login`, signed
//! over `timestamp + "GET" + "/users/self/verify"` with the timestamp in Unix seconds, on the
//! exchange's clock), then — once the login is answered — subscriptions to the `orders` (spot)
//! and `account` channels; the text `ping` every 20 s. A relay task between the socket and the
//! framework holds each connect back until the `orders` subscription is confirmed (so the
//! framework's reconcile after a reconnect happens once events flow), splits pushes of several
//! items into one frame each, and reports a refused login. [`parse_frame`] turns one frame
//! into the framework's [`UserEvent`].

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::cex::clock::ServerClock;
use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::sign::Signer;
use crate::cex::stream::{self, StreamConfig, StreamEvent};
use crate::cex::venue::{Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::ClientOrderId;
use crate::venue::{VenueError, VenueId};

use super::api::{AccountBalance, OrderDetail};
use super::errors::classify;
use super::live::PING_EVERY;
use super::sign::ws_login_message;

/// The private stream has one mechanism: the private WebSocket with a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateWs;

impl std::fmt::Display for PrivateWs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("private websocket (login, orders + account)")
    }
}

/// The subscriptions sent after a successful login.
pub fn subscribe_message() -> String {
    serde_json::json!({"op": "subscribe", "args": [
        {"channel": "orders", "instType": "SPOT"},
        {"channel": "account"}
    ]})
    .to_string()
}

/// How the first connect ended.
enum Start {
    Subscribed,
    Refused { code: i64, msg: String },
}

/// What an event frame (`{"event":…}`) says.
#[derive(serde::Deserialize)]
struct EventFrame {
    event: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    arg: Option<serde_json::Value>,
}

/// Opens the private stream: returns once `orders` is subscribed, with the error when the login
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
    // the login is signed now, to fail before connecting when the keys cannot sign it
    ws_login_message(&signer, 0).map_err(VenueError::from)?;
    let clock = rest.clock.clone();
    let login = login_builder(signer, clock);
    let cfg = StreamConfig::new(&format!("{id} user stream"), ws_private_url);
    let (handle, raw) = stream::spawn(cfg, login);
    let (tx, rx) = mpsc::channel(stream::DEFAULT_BUFFER);
    let (first_tx, first_rx) = oneshot::channel();
    let relay = tokio::spawn(relay(handle, raw, tx, first_tx));
    let keep = RelayTask(relay);
    match tokio::time::timeout(timeout, first_rx).await {
        Ok(Ok(Start::Subscribed)) => {}
        Ok(Ok(Start::Refused { code, msg })) => {
            tracing::error!(venue = %id, code, %msg, "user stream login refused");
            return Err(CexError::Api {
                status: 401,
                code,
                kind: classify(401, code, &msg),
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

/// The login sent on each connect, signed at that moment on the exchange's clock.
fn login_builder(signer: Arc<Signer>, clock: Arc<ServerClock>) -> stream::Subscriber {
    Arc::new(move || {
        let secs = u64::try_from(clock.now_ms()).unwrap_or(0) / 1000;
        match ws_login_message(&signer, secs) {
            Ok(m) => vec![m],
            Err(e) => {
                tracing::error!(error = %e, "cannot sign the user stream login");
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
    // a connect is announced once `orders` is subscribed
    let mut pending_connect: Option<bool> = None;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let ev = tokio::select! {
            ev = raw.recv() => match ev { Some(ev) => ev, None => return },
            _ = ping.tick() => {
                handle.send("ping".into());
                continue;
            }
        };
        let out = match ev {
            StreamEvent::Connected { reconnect } => {
                pending_connect = Some(reconnect);
                continue;
            }
            StreamEvent::Disconnected { reason } => {
                pending_connect = None;
                vec![StreamEvent::Disconnected { reason }]
            }
            StreamEvent::Message(m) => {
                if m.as_ref() == b"pong" {
                    continue;
                }
                match serde_json::from_slice::<EventFrame>(&m) {
                    Ok(e) => match e.event.as_str() {
                        "login" if e.code.is_empty() || e.code == "0" => {
                            handle.send(subscribe_message());
                            continue;
                        }
                        "subscribe" => {
                            let orders = e
                                .arg
                                .as_ref()
                                .and_then(|a| a.get("channel"))
                                .is_some_and(|c| c == "orders");
                            match (orders, pending_connect.take()) {
                                (true, Some(reconnect)) => {
                                    if let Some(f) = first.take() {
                                        let _ = f.send(Start::Subscribed);
                                    }
                                    vec![StreamEvent::Connected { reconnect }]
                                }
                                (_, p) => {
                                    pending_connect = p;
                                    continue;
                                }
                            }
                        }
                        "error" | "login" => {
                            let code = e.code.trim().parse::<i64>().unwrap_or(-1);
                            tracing::error!(code, msg = %e.msg, "user stream error event");
                            if let Some(f) = first.take() {
                                let _ = f.send(Start::Refused { code, msg: e.msg });
                            }
                            continue;
                        }
                        other => {
                            tracing::debug!(event = other, "user stream event ignored");
                            continue;
                        }
                    },
                    Err(_) => split(&m),
                }
            }
        };
        for ev in out {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }
}

/// One frame per item of a push with several `data` items (others pass as they are).
fn split(m: &bytes::Bytes) -> Vec<StreamEvent> {
    #[derive(serde::Deserialize)]
    struct Push {
        arg: serde_json::Value,
        data: Vec<serde_json::Value>,
    }
    match serde_json::from_slice::<Push>(m) {
        Ok(p) if p.data.len() > 1 => p
            .data
            .into_iter()
            .map(|d| {
                let one = serde_json::json!({"arg": p.arg, "data": [d]});
                StreamEvent::Message(bytes::Bytes::from(one.to_string()))
            })
            .collect(),
        _ => vec![StreamEvent::Message(m.clone())],
    }
}

/// One frame of the private stream as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    if frame == b"pong" {
        return Ok(UserEvent::Ignored);
    }
    #[derive(serde::Deserialize)]
    struct Push {
        #[serde(default)]
        arg: Option<serde_json::Value>,
        #[serde(default)]
        data: Vec<serde_json::Value>,
        #[serde(default)]
        event: Option<String>,
    }
    let p: Push = super::api::decode("user stream push", frame)?;
    if let Some(e) = p.event {
        tracing::debug!(event = %e, "user stream event frame");
        return Ok(UserEvent::Ignored);
    }
    let channel = p
        .arg
        .as_ref()
        .and_then(|a| a.get("channel"))
        .and_then(|c| c.as_str())
        .unwrap_or_default()
        .to_string();
    let Some(item) = p.data.into_iter().next() else {
        return Ok(UserEvent::Ignored);
    };
    match channel.as_str() {
        "orders" => order_event(super::api::item("orders push", item)?, markets),
        "account" => {
            let a: AccountBalance = super::api::item("account push", item)?;
            let mut out = Vec::with_capacity(a.details.len());
            for d in &a.details {
                match d.to_balance() {
                    Ok(b) => out.push(b),
                    Err(e) => tracing::warn!(error = %e, "unusable balance in the account push"),
                }
            }
            Ok(UserEvent::Balances(out))
        }
        other => {
            tracing::debug!(channel = other, "user stream push ignored");
            Ok(UserEvent::Ignored)
        }
    }
}

fn order_event(o: OrderDetail, markets: &Markets) -> Result<UserEvent, CexError> {
    let Some(pair) = markets.pair_of(&o.inst_id) else {
        return Ok(UserEvent::UnknownSymbol(o.inst_id));
    };
    let Ok(id) = ClientOrderId::new(&o.cl_ord_id) else {
        tracing::debug!(ord_id = %o.ord_id, "order push without a usable clOrdId; ignored");
        return Ok(UserEvent::Ignored);
    };
    let state = o.state()?;
    let fill = match o.fill(&id, pair) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "bad fill in an orders push");
            None
        }
    };
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id: id,
        pair: pair.clone(),
        venue_order_id: o.ord_id.clone(),
        state,
        reason: None,
        fill,
        cumulative_filled: o.acc_fill_sz.unwrap_or_default(),
    })))
}
