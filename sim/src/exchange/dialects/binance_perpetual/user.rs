//! The simulated futures user data stream: `POST`/`PUT`/`DELETE /fapi/v1/listenKey` (`X-MBX-APIKEY`
//! only; 60-minute keys, spot's key registry), the stream at `/ws?listenKey=<key>` (also under
//! `/private`), and the account frames the dialect renders: `ACCOUNT_UPDATE` (wallet balance and
//! the symbol's positions, with the reason `ORDER` or `FUNDING_FEE`; no liquidation price, as
//! Binance's carries none) after each order, funding settlement and liquidation, and a
//! liquidation's `ORDER_TRADE_UPDATE` (`liquidation.rs`). Orders' `ORDER_TRADE_UPDATE` come from the engine (`shapes.rs`); the
//! engine's spot balance events are not futures events and are not sent. A lapsed key gets
//! `listenKeyExpired` and its socket is closed; `drop_user_streams` drops the sockets and while
//! `set_user_streams_down(true)` holds new ones are refused (events in between are lost).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::account::{margin_name, side_name};
use super::private::Params;
use super::server::Shared;
use crate::exchange::dialects::binance::shapes::fmt8;
use crate::exchange::dialects::binance::{ApiError, KeyStatus};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::lock;

/// How long a key lives without a keepalive.
pub const KEY_VALIDITY: Duration = Duration::from_secs(60 * 60);
/// How often a socket looks at its key.
const KEY_CHECK: Duration = Duration::from_millis(25);

/// The futures event types a user socket carries.
const FUTURES_EVENTS: [&str; 3] = ["ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "MARGIN_CALL"];

/// `POST`/`PUT`/`DELETE /fapi/v1/listenKey` for the account of `api_key`.
pub fn listen_key(
    shared: &Shared,
    api_key: Option<&str>,
    method: &str,
    p: &Params,
) -> Result<Value, ApiError> {
    let key = api_key.ok_or_else(ApiError::bad_api_key_format)?;
    let account = *shared
        .exchange()
        .keys
        .get(key)
        .ok_or_else(ApiError::rejected_api_key)?;
    let now = shared.now_ms();
    let mut keys = lock(&shared.listen_keys);
    match method {
        "POST" => Ok(json!({ "listenKey": keys.create(account, now, KEY_VALIDITY) })),
        "PUT" => {
            let name = p
                .get("listenKey")
                .ok_or_else(ApiError::invalid_listen_key)?;
            keys.keep_alive(account, name, now, KEY_VALIDITY)?;
            Ok(json!({ "listenKey": name }))
        }
        "DELETE" => {
            let name = p
                .get("listenKey")
                .ok_or_else(ApiError::invalid_listen_key)?;
            keys.close(account, name, now)?;
            Ok(json!({}))
        }
        _ => Err(ApiError::new(404, -1000, "Not found.")),
    }
}

/// The key of a user stream path (`/ws?listenKey=` or `/private/ws?listenKey=`).
pub fn key_of(path: &str, query: Option<&str>) -> Option<String> {
    if path != "/ws" && path != "/private/ws" {
        return None;
    }
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "listenKey")
        .map(|(_, v)| v.into_owned())
}

/// The events of `key`'s account, subscribed before the upgrade completes; `None` when the key is
/// not active or private streams are down.
pub fn subscribe(shared: &Shared, key: &str) -> Option<broadcast::Receiver<Arc<str>>> {
    if shared.user_streams_down.load(Ordering::SeqCst) {
        return None;
    }
    let now = shared.now_ms();
    let KeyStatus::Active { account } = lock(&shared.listen_keys).status(key, now) else {
        return None;
    };
    shared
        .exchange()
        .accounts
        .get(account)
        .map(|a| a.user_tx.subscribe())
}

fn is_futures_event(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("e").and_then(|e| e.as_str()).map(str::to_string))
        .is_some_and(|e| FUTURES_EVENTS.contains(&e.as_str()))
}

/// Runs one user socket until the key lapses, the socket is dropped or the servers stop.
pub async fn run(
    mut ws: WebSocketStream<TcpStream>,
    shared: Arc<Shared>,
    key: String,
    mut events: broadcast::Receiver<Arc<str>>,
) {
    shared.user_connections.fetch_add(1, Ordering::SeqCst);
    let mut kill = shared.user_kill.subscribe();
    kill.mark_unchanged();
    let mut shutdown = shared.shutdown.subscribe();
    let mut check = tokio::time::interval(KEY_CHECK);
    loop {
        tokio::select! {
            biased;
            _ = kill.changed() => break,
            _ = shutdown.changed() => break,
            _ = check.tick() => {
                let now = shared.now_ms();
                let status = lock(&shared.listen_keys).status(&key, now);
                if status == KeyStatus::Expired {
                    let event = json!({ "e": "listenKeyExpired", "E": now, "listenKey": key });
                    let _ = ws.send(Message::text(event.to_string())).await;
                }
                if !matches!(status, KeyStatus::Active { .. }) {
                    let _ = ws.close(None).await;
                    break;
                }
            }
            event = events.recv() => match event {
                Ok(text) if is_futures_event(&text) => {
                    if ws.send(Message::text(text.to_string())).await.is_err() {
                        break;
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    shared.user_connections.fetch_sub(1, Ordering::SeqCst);
}

impl Shared {
    /// Sends the trader's `ACCOUNT_UPDATE` for `symbol` (wallet and its positions) with `reason`.
    pub fn push_account_update(&self, ex: &Exchange, symbol: &str, reason: &str, now: u64) {
        let Some(acct) = ex.accounts.get(self.trader) else {
            return;
        };
        if !acct.has_listeners() {
            return;
        }
        let l = self.ledger(ex);
        let wallet = l.wallet(self.trader);
        let mark = l.mark(ex, symbol);
        let mode = l.margin_mode(self.trader, symbol);
        let p: Vec<Value> = l
            .sides(self.trader)
            .iter()
            .map(|&side| {
                let pos = l.position(self.trader, symbol, side);
                json!({
                    "s": symbol, "pa": fmt8(pos.size), "ep": fmt8(pos.entry()),
                    "cr": fmt8(pos.realized), "up": fmt8(pos.unrealized(mark)),
                    "mt": margin_name(mode),
                    "iw": fmt8(l.isolated_wallet(self.trader, symbol, side)),
                    "ps": side_name(side),
                })
            })
            .collect();
        drop(l);
        let event = json!({
            "e": "ACCOUNT_UPDATE", "E": now, "T": now,
            "a": {
                "m": reason,
                "B": [{ "a": "USDT", "wb": fmt8(wallet), "cw": fmt8(wallet), "bc": "0" }],
                "P": p,
            },
        });
        acct.emit(event.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_paths_name_their_key() {
        assert_eq!(key_of("/ws", Some("listenKey=abc")), Some("abc".into()));
        assert_eq!(
            key_of("/private/ws", Some("x=1&listenKey=k")),
            Some("k".into())
        );
        assert_eq!(key_of("/ws/btcusdt@depth", None), None);
        assert_eq!(key_of("/ws", Some("other=1")), None);
        assert!(is_futures_event(r#"{"E":1,"e":"ACCOUNT_UPDATE"}"#));
        assert!(!is_futures_event(r#"{"e":"outboundAccountPosition"}"#));
    }
}
