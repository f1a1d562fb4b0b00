//! The legacy listenKey user-data stream, and which user-stream mechanisms the mock serves
//! ([`UserStreams`]): Binance.com since 2026-02-20 (WebSocket API only; the listenKey endpoints
//! answer `410 Gone` from the gateway) or a server that never followed the change (listenKeys only;
//! the WebSocket API answers `userDataStream.subscribe*` as an unsupported operation, -1020, or
//! refuses the upgrade).
//!
//! Legacy protocol, as Binance documented it: `POST /api/v3/userDataStream` (`X-MBX-APIKEY`, no
//! signature; weight 2) returns `{"listenKey":"<60 characters>"}`, the account's active key again
//! (extended) if it has one; `PUT …?listenKey=` extends a key by the validity (60 minutes);
//! `DELETE …?listenKey=` closes it; an unknown or lapsed key is `-1125 This listenKey does not
//! exist.`. `/ws/<listenKey>` on the market-stream server carries the account's events as bare
//! objects; when the key lapses the socket gets `{"e":"listenKeyExpired","E":…,"listenKey":…}`
//! and is closed; a closed key's sockets are closed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use rand::Rng;
use rand::distributions::Alphanumeric;
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::error::ApiError;
use super::shared::Shared;

/// How the WebSocket API treats the user-data-stream subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsApiUserStream {
    /// `userDataStream.subscribe.signature` and friends work (Binance.com).
    Served,
    /// The `userDataStream.*` methods are answered as an unknown method: 400, `-1020 This
    /// operation is not supported.`.
    UnknownMethod,
    /// `/ws-api/v3` refuses the websocket upgrade with 404 (no WebSocket API at all).
    UpgradeRefused,
}

/// Which user-data-stream mechanisms the mock serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStreams {
    /// The WebSocket API subscription.
    pub ws_api: WsApiUserStream,
    /// The listenKey endpoints and `/ws/<listenKey>`. Off: the endpoints answer `410 Gone` with
    /// the gateway's HTML page, as Binance.com does since 2026-02-20.
    pub listen_keys: bool,
    /// How long a listenKey lives without a keepalive (Binance: 60 minutes).
    pub listen_key_validity: Duration,
}

impl UserStreams {
    /// Binance.com today: WebSocket API only.
    pub fn binance_com() -> Self {
        Self {
            ws_api: WsApiUserStream::Served,
            listen_keys: false,
            listen_key_validity: Duration::from_secs(60 * 60),
        }
    }

    /// A server without the WebSocket API user stream: listenKeys only, the subscription
    /// answered as an unknown method.
    pub fn listen_key_only() -> Self {
        Self {
            ws_api: WsApiUserStream::UnknownMethod,
            listen_keys: true,
            ..Self::binance_com()
        }
    }
}

impl Default for UserStreams {
    fn default() -> Self {
        Self::binance_com()
    }
}

/// What happened to listenKeys so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenKeyCounts {
    /// `POST`s answered with a new key.
    pub created: u64,
    /// `POST`s answered with the account's active key (extended).
    pub reused: u64,
    /// Successful keepalive `PUT`s.
    pub kept_alive: u64,
    /// Successful `DELETE`s.
    pub closed: u64,
    /// Keys that lapsed.
    pub expired: u64,
}

#[derive(Debug, Clone, Copy)]
struct Key {
    account: usize,
    expires_at_ms: u64,
}

/// Where a key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active { account: usize },
    Expired,
    Gone,
}

/// The listenKeys of every account.
#[derive(Debug, Default)]
pub struct ListenKeys {
    active: HashMap<String, Key>,
    expired: HashSet<String>,
    /// Counters for tests.
    pub counts: ListenKeyCounts,
}

impl ListenKeys {
    /// Moves lapsed keys to the expired set.
    fn sweep(&mut self, now_ms: u64) {
        let lapsed: Vec<String> = self
            .active
            .iter()
            .filter(|(_, k)| k.expires_at_ms <= now_ms)
            .map(|(name, _)| name.clone())
            .collect();
        for name in lapsed {
            self.active.remove(&name);
            self.expired.insert(name);
            self.counts.expired += 1;
        }
    }

    /// `POST`: the account's active key (extended), or a new one.
    pub fn create(&mut self, account: usize, now_ms: u64, validity: Duration) -> String {
        self.sweep(now_ms);
        let expires_at_ms = now_ms + validity.as_millis() as u64;
        if let Some((name, key)) = self.active.iter_mut().find(|(_, k)| k.account == account) {
            key.expires_at_ms = expires_at_ms;
            self.counts.reused += 1;
            return name.clone();
        }
        let name: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(60)
            .map(char::from)
            .collect();
        self.active.insert(
            name.clone(),
            Key {
                account,
                expires_at_ms,
            },
        );
        self.counts.created += 1;
        name
    }

    /// `PUT`: extends the account's key.
    pub fn keep_alive(
        &mut self,
        account: usize,
        name: &str,
        now_ms: u64,
        validity: Duration,
    ) -> Result<(), ApiError> {
        self.sweep(now_ms);
        match self.active.get_mut(name) {
            Some(k) if k.account == account => {
                k.expires_at_ms = now_ms + validity.as_millis() as u64;
                self.counts.kept_alive += 1;
                Ok(())
            }
            _ => Err(ApiError::invalid_listen_key()),
        }
    }

    /// `DELETE`: closes the account's key.
    pub fn close(&mut self, account: usize, name: &str, now_ms: u64) -> Result<(), ApiError> {
        self.sweep(now_ms);
        match self.active.get(name) {
            Some(k) if k.account == account => {
                self.active.remove(name);
                self.counts.closed += 1;
                Ok(())
            }
            _ => Err(ApiError::invalid_listen_key()),
        }
    }

    /// Where `name` stands now.
    pub fn status(&mut self, name: &str, now_ms: u64) -> KeyStatus {
        self.sweep(now_ms);
        if let Some(k) = self.active.get(name) {
            KeyStatus::Active { account: k.account }
        } else if self.expired.contains(name) {
            KeyStatus::Expired
        } else {
            KeyStatus::Gone
        }
    }

    /// Makes every active key lapse now (as if no keepalive came for the whole validity).
    pub fn expire_all(&mut self) {
        for k in self.active.values_mut() {
            k.expires_at_ms = 0;
        }
        self.sweep(0);
    }

    /// The active keys.
    pub fn active_keys(&self) -> Vec<String> {
        self.active.keys().cloned().collect()
    }
}

/// How often a listenKey socket looks at its key.
const KEY_CHECK: Duration = Duration::from_millis(25);

/// Runs a `/ws/<listenKey>` connection; `events` was subscribed before the upgrade completed,
/// so every event after the client sees the connection open reaches it.
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
    let mut notice = shared.shutdown_notice.subscribe();
    notice.mark_unchanged();
    let mut ping = tokio::time::interval(shared.ping_interval);
    ping.tick().await;
    let mut check = tokio::time::interval(KEY_CHECK);
    loop {
        if kill.has_changed().unwrap_or(true) {
            break;
        }
        tokio::select! {
            biased;
            _ = kill.changed() => break, // dropped without a close frame
            _ = shutdown.changed() => break,
            _ = check.tick() => {
                let now = shared.now_ms();
                let status = shared.listen_keys().status(&key, now);
                match status {
                    KeyStatus::Active { .. } => {}
                    KeyStatus::Expired => {
                        let event = format!(
                            "{{\"e\":\"listenKeyExpired\",\"E\":{now},\"listenKey\":\"{key}\"}}"
                        );
                        let _ = ws.send(Message::text(event)).await;
                        let _ = ws.close(None).await;
                        break;
                    }
                    KeyStatus::Gone => {
                        let _ = ws.close(None).await;
                        break;
                    }
                }
            }
            event = events.recv() => match event {
                Ok(text) => {
                    if ws.send(Message::text(text.to_string())).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = notice.changed() => {
                let time = *notice.borrow_and_update();
                let event = format!("{{\"e\":\"serverShutdown\",\"E\":{time}}}");
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
    shared.user_connections.fetch_sub(1, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn keys_are_reused_extended_and_lapse() {
        let mut keys = ListenKeys::default();
        let k = keys.create(1, 1_000, HOUR);
        assert_eq!(k.len(), 60);
        assert!(k.bytes().all(|b| b.is_ascii_alphanumeric()));
        // an active key comes back on a second POST, extended
        assert_eq!(keys.create(1, 2_000, HOUR), k);
        assert_ne!(keys.create(2, 2_000, HOUR), k);
        assert_eq!(keys.status(&k, 3_601_999), KeyStatus::Active { account: 1 });
        keys.keep_alive(1, &k, 3_000_000, HOUR).unwrap();
        assert_eq!(keys.status(&k, 6_000_000), KeyStatus::Active { account: 1 });
        // another account's key is not yours
        assert_eq!(
            keys.keep_alive(2, &k, 3_000_000, HOUR).unwrap_err().code,
            -1125
        );
        // lapsed: expired, unknown to PUT, and a POST gives a new key
        assert_eq!(keys.status(&k, 6_600_000), KeyStatus::Expired);
        assert_eq!(
            keys.keep_alive(1, &k, 6_600_000, HOUR).unwrap_err().code,
            -1125
        );
        assert_ne!(keys.create(1, 6_600_000, HOUR), k);
        let c = keys.counts;
        assert_eq!((c.created, c.reused, c.kept_alive, c.expired), (3, 1, 1, 2));
    }

    #[test]
    fn closed_keys_are_gone() {
        let mut keys = ListenKeys::default();
        let k = keys.create(1, 0, HOUR);
        assert_eq!(keys.close(2, &k, 1).unwrap_err().code, -1125);
        keys.close(1, &k, 1).unwrap();
        assert_eq!(keys.status(&k, 2), KeyStatus::Gone);
        assert_eq!(keys.close(1, &k, 3).unwrap_err().code, -1125);
        let k2 = keys.create(1, 5, HOUR);
        keys.expire_all();
        assert_eq!(keys.status(&k2, 6), KeyStatus::Expired);
        assert!(keys.active_keys().is_empty());
    }
}
