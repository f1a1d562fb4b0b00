//! One WebSocket API connection (`/ws-api/v3`): `ping`, `time`, `session.status`,
//! `session.subscriptions`, `session.logon` / `session.logout` (Ed25519 keys only, as Binance),
//! `userDataStream.subscribe` (on a logged-on session), `userDataStream.subscribe.signature`
//! (any key) and `userDataStream.unsubscribe`; user-data events go out as
//! `{"subscriptionId":N,"event":{..}}`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::auth;
use super::error::ApiError;
use super::listen_key::WsApiUserStream;
use super::shared::Shared;
use crate::exchange::engine::account::AccountKey;

/// Weight of the user-data-stream and session methods.
const METHOD_WEIGHT: u64 = 2;

struct UserSubscription {
    id: u64,
    account: usize,
    forwarder: JoinHandle<()>,
    /// Opened by `userDataStream.subscribe` on a logged-on session (closed by `session.logout`).
    through_logon: bool,
}

struct Session {
    connected_since: u64,
    /// Account and API key authenticated by `session.logon`, and since when.
    logon: Option<(usize, String, u64)>,
    subs: Vec<UserSubscription>,
    next_sub_id: u64,
    events_tx: mpsc::UnboundedSender<String>,
}

impl Drop for Session {
    fn drop(&mut self) {
        for s in &self.subs {
            s.forwarder.abort();
        }
    }
}

/// Runs a WebSocket API connection.
pub async fn run(mut ws: WebSocketStream<TcpStream>, shared: Arc<Shared>) {
    shared.user_connections.fetch_add(1, Ordering::SeqCst);
    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<String>();
    let mut session = Session {
        connected_since: shared.now_ms(),
        logon: None,
        subs: Vec::new(),
        next_sub_id: 0,
        events_tx,
    };
    let mut kill = shared.user_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut notice = shared.shutdown_notice.subscribe();
    let mut ping = tokio::time::interval(shared.ping_interval);
    ping.tick().await;
    loop {
        // A drop fault wins over anything queued: nothing is sent after it fired.
        if kill.has_changed().unwrap_or(true) {
            break;
        }
        tokio::select! {
            biased;
            _ = kill.changed() => break, // dropped without a close frame
            _ = shutdown.changed() => break,
            incoming = ws.next() => {
                match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let reply = request(&shared, &mut session, &text);
                        if ws.send(Message::text(reply.to_string())).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
            Some(event) = events_rx.recv() => {
                if ws.send(Message::text(event)).await.is_err() {
                    break;
                }
            }
            _ = notice.changed() => {
                let time = *notice.borrow_and_update();
                let event = format!("{{\"event\":{{\"e\":\"serverShutdown\",\"E\":{time}}}}}");
                if ws.send(Message::text(event)).await.is_err() {
                    break;
                }
            }
            _ = ping.tick() => {
                if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    drop(session);
    shared.user_connections.fetch_sub(1, Ordering::SeqCst);
}

fn request(shared: &Arc<Shared>, session: &mut Session, text: &str) -> Value {
    let Ok(req) = serde_json::from_str::<Value>(text) else {
        return error_response(shared, Value::Null, &ApiError::invalid_json());
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let empty = serde_json::Map::new();
    let params = req
        .get("params")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let method = req
        .get("method")
        .and_then(Value::as_str)
        .map(|m| m.strip_prefix("v3/").unwrap_or(m))
        .unwrap_or("");
    let weight = match method {
        "ping" | "time" => 1,
        _ => METHOD_WEIGHT,
    };
    let now = shared.now_ms();
    if let Err(r) = shared.limiter().admit(now, weight) {
        return error_response(shared, id, &ApiError::from(r));
    }
    let unknown_user_stream = shared.user_streams.ws_api != WsApiUserStream::Served
        && method.starts_with("userDataStream.");
    let result = match method {
        _ if unknown_user_stream => Err(ApiError::unsupported()),
        "ping" => Ok(json!({})),
        "time" => Ok(json!({ "serverTime": now })),
        "session.status" => Ok(session_status(session, now)),
        "session.subscriptions" => Ok(Value::Array(
            session
                .subs
                .iter()
                .map(|s| json!({ "subscriptionId": s.id }))
                .collect(),
        )),
        "session.logon" => logon(shared, params).map(|(account, key)| {
            session.logon = Some((account, key, now));
            session_status(session, now)
        }),
        "session.logout" => {
            // Only the subscription opened through the logged-on session closes.
            if let Some((account, _, _)) = session.logon.take() {
                session.subs.retain(|s| {
                    let close = s.through_logon && s.account == account;
                    if close {
                        s.forwarder.abort();
                    }
                    !close
                });
            }
            Ok(session_status(session, now))
        }
        "userDataStream.subscribe.signature" => verify_signed(shared, params)
            .and_then(|account| start_subscription(shared, session, account, false)),
        "userDataStream.subscribe" => match session.logon.as_ref().map(|l| l.0) {
            Some(account) => start_subscription(shared, session, account, true),
            None => Err(ApiError::new(
                401,
                -1002,
                "You are not authorized to execute this request.",
            )),
        },
        "userDataStream.unsubscribe" => {
            let which = params.get("subscriptionId").and_then(Value::as_u64);
            session.subs.retain(|s| {
                let close = which.is_none_or(|w| w == s.id);
                if close {
                    s.forwarder.abort();
                }
                !close
            });
            Ok(json!({}))
        }
        _ => Err(ApiError::unsupported()),
    };
    match result {
        Ok(v) => json!({ "id": id, "status": 200, "result": v, "rateLimits": rate_limits(shared) }),
        Err(e) => error_response(shared, id, &e),
    }
}

fn session_status(session: &Session, now: u64) -> Value {
    let (key, since) = match &session.logon {
        Some((_, key, since)) => (json!(key), json!(since)),
        None => (Value::Null, Value::Null),
    };
    json!({
        "apiKey": key,
        "authorizedSince": since,
        "connectedSince": session.connected_since,
        "returnRateLimits": true,
        "serverTime": now,
        "userDataStream": !session.subs.is_empty()
    })
}

/// Checks `apiKey`, `timestamp` / `recvWindow` and `signature` of a signed request; returns the
/// account.
fn verify_signed(
    shared: &Shared,
    params: &serde_json::Map<String, Value>,
) -> Result<usize, ApiError> {
    let api_key = params
        .get("apiKey")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::mandatory("apiKey"))?;
    let timestamp = params
        .get("timestamp")
        .map(auth::json_param_text)
        .ok_or_else(|| ApiError::mandatory("timestamp"))?;
    let timestamp = auth::parse_timestamp_us(&timestamp)?;
    let recv_window = params.get("recvWindow").map(auth::json_param_text);
    let recv_window = auth::parse_recv_window_us(recv_window.as_deref())?;
    let signature = params
        .get("signature")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::mandatory("signature"))?;
    let ex = shared.exchange();
    let account = *ex
        .keys
        .get(api_key)
        .ok_or_else(ApiError::rejected_api_key)?;
    auth::check_timing(timestamp, recv_window, shared.now_us())?;
    let payload = auth::ws_api_payload(params);
    let verified = ex
        .accounts
        .get(account)
        .is_some_and(|a| auth::verify(a.key(), payload.as_bytes(), signature, false));
    if !verified {
        return Err(ApiError::bad_signature());
    }
    Ok(account)
}

/// `session.logon`: a signed request from an Ed25519 key (Binance accepts no other kind here).
fn logon(
    shared: &Shared,
    params: &serde_json::Map<String, Value>,
) -> Result<(usize, String), ApiError> {
    let account = verify_signed(shared, params)?;
    let ex = shared.exchange();
    let acct = ex
        .accounts
        .get(account)
        .ok_or_else(ApiError::rejected_api_key)?;
    if !matches!(acct.key(), AccountKey::Ed25519(_)) {
        return Err(ApiError::new(
            400,
            -1002,
            "You are not authorized to execute this request.",
        ));
    }
    Ok((account, acct.api_key.clone()))
}

fn start_subscription(
    shared: &Arc<Shared>,
    session: &mut Session,
    account: usize,
    through_logon: bool,
) -> Result<Value, ApiError> {
    if session.subs.iter().any(|s| s.account == account) {
        return Err(ApiError::subscription_active());
    }
    let mut rx = shared
        .exchange()
        .accounts
        .get(account)
        .map(|a| a.user_tx.subscribe())
        .ok_or_else(ApiError::rejected_api_key)?;
    let id = session.next_sub_id;
    session.next_sub_id += 1;
    let tx = session.events_tx.clone();
    let forwarder = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(event) => {
                    if tx
                        .send(format!("{{\"subscriptionId\":{id},\"event\":{event}}}"))
                        .is_err()
                    {
                        break;
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
    session.subs.push(UserSubscription {
        id,
        account,
        forwarder,
        through_logon,
    });
    Ok(json!({ "subscriptionId": id }))
}

fn rate_limits(shared: &Shared) -> Value {
    let now = shared.now_ms();
    let mut limiter = shared.limiter();
    let used = limiter.used_weight(now);
    let limit = limiter.limits().request_weight_per_minute;
    json!([{ "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": limit, "count": used }])
}

fn error_response(shared: &Shared, id: Value, err: &ApiError) -> Value {
    json!({ "id": id, "status": err.status, "error": err.body(), "rateLimits": rate_limits(shared) })
}
