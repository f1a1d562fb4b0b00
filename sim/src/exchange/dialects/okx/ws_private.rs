//! One private WebSocket connection of the simulated OKX: `op: login` verified by the documented
//! recipe (timestamp in Unix seconds within 30 s, the key's passphrase, base64 HMAC-SHA256 of
//! `timestamp + "GET" + "/users/self/verify"`; refusals as `{"event":"error","code":"600xx"}`),
//! then `subscribe` to `orders` (SPOT) and `account` — refused with 60011 before a login — and the
//! account's pushes on the subscribed channels. Dropped abruptly by the outage faults.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::auth::sign;
use super::shared::Shared;
use super::ws::{IDLE_LIMIT, conn_id};

fn error_event(code: i64, msg: &str, conn: &str) -> String {
    json!({"event": "error", "code": code.to_string(), "msg": msg, "connId": conn}).to_string()
}

/// Checks a login's args; the account's event receiver on success.
fn login(
    shared: &Shared,
    args: &Value,
    conn: &str,
) -> Result<broadcast::Receiver<Arc<str>>, String> {
    let a = args.get(0).unwrap_or(&Value::Null);
    let f = |n: &str| a.get(n).and_then(Value::as_str).unwrap_or("");
    let (key, pass, ts, sig) = (f("apiKey"), f("passphrase"), f("timestamp"), f("sign"));
    let Some((secret, passphrase)) = shared.credentials(key) else {
        return Err(error_event(60005, "Invalid apiKey", conn));
    };
    if pass != passphrase {
        return Err(error_event(60024, "Wrong passphrase", conn));
    }
    let now_s = i64::try_from(shared.now_ms() / 1000).unwrap_or(i64::MAX);
    match ts.parse::<i64>() {
        Ok(t) if (now_s - t).abs() <= 30 => {}
        _ => return Err(error_event(60004, "Invalid timestamp", conn)),
    }
    if sign(&secret, format!("{ts}GET/users/self/verify").as_bytes()) != sig {
        return Err(error_event(60007, "Invalid sign", conn));
    }
    let ex = shared.exchange();
    let idx = *ex
        .keys
        .get(key)
        .ok_or_else(|| error_event(60005, "Invalid apiKey", conn))?;
    let acct = ex
        .accounts
        .get(idx)
        .ok_or_else(|| error_event(60005, "Invalid apiKey", conn))?;
    Ok(acct.user_tx.subscribe())
}

/// Runs a private connection until the client leaves, a drop fault fires or the server stops.
pub async fn run(mut ws: WebSocketStream<TcpStream>, shared: Arc<Shared>) {
    shared.user_connections.fetch_add(1, Ordering::SeqCst);
    let mut kill = shared.user_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let conn = conn_id();
    let mut events: Option<broadcast::Receiver<Arc<str>>> = None;
    let (mut orders, mut account) = (false, false);
    loop {
        if kill.has_changed().unwrap_or(true) {
            break;
        }
        let recv = async {
            match events.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = kill.changed() => break,
            _ = shutdown.changed() => break,
            ev = recv => {
                match ev {
                    Ok(text) => {
                        let wanted = (orders && text.starts_with("{\"arg\":{\"channel\":\"orders\""))
                            || (account && text.starts_with("{\"arg\":{\"channel\":\"account\""));
                        if wanted && ws.send(Message::text(text.to_string())).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => events = None,
                }
            }
            frame = tokio::time::timeout(IDLE_LIMIT, ws.next()) => {
                let text = match frame {
                    Err(_) => break, // idle for 30 s
                    Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
                    Ok(Some(Ok(Message::Ping(p)))) => {
                        let _ = ws.send(Message::Pong(p)).await;
                        continue;
                    }
                    Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => break,
                    Ok(Some(Ok(_))) => continue,
                };
                if text == "ping" {
                    if ws.send(Message::text("pong")).await.is_err() { break; }
                    continue;
                }
                let reply = answer(&shared, &text, &conn, &mut events, &mut orders, &mut account);
                let mut failed = false;
                for r in reply {
                    if ws.send(Message::text(r)).await.is_err() {
                        failed = true;
                        break;
                    }
                }
                if failed { break; }
            }
        }
    }
    shared.user_connections.fetch_sub(1, Ordering::SeqCst);
}

fn answer(
    shared: &Shared,
    text: &str,
    conn: &str,
    events: &mut Option<broadcast::Receiver<Arc<str>>>,
    orders: &mut bool,
    account: &mut bool,
) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec![error_event(
            60012,
            &format!("Invalid request: {text}"),
            conn,
        )];
    };
    let args = v.get("args").cloned().unwrap_or(Value::Null);
    match v.get("op").and_then(Value::as_str) {
        Some("login") => match login(shared, &args, conn) {
            Ok(rx) => {
                *events = Some(rx);
                shared.logins.fetch_add(1, Ordering::SeqCst);
                vec![json!({"event": "login", "code": "0", "msg": "", "connId": conn}).to_string()]
            }
            Err(e) => vec![e],
        },
        Some(op @ ("subscribe" | "unsubscribe")) => {
            let on = op == "subscribe";
            let mut out = Vec::new();
            for a in args.as_array().cloned().unwrap_or_default() {
                if events.is_none() {
                    out.push(error_event(60011, "Please log in", conn));
                    continue;
                }
                match a.get("channel").and_then(Value::as_str) {
                    Some("orders") if a.get("instType").and_then(Value::as_str).is_some() => {
                        *orders = on
                    }
                    Some("account") => *account = on,
                    _ => {
                        out.push(error_event(
                            60018,
                            &format!("Wrong URL or channel:{a}, doesn't exist."),
                            conn,
                        ));
                        continue;
                    }
                }
                out.push(json!({"event": op, "arg": a, "connId": conn}).to_string());
            }
            out
        }
        _ => vec![error_event(
            60012,
            &format!("Invalid request: {text}"),
            conn,
        )],
    }
}
