//! The legacy listenKey user-data stream, for a Binance server that does not serve the WebSocket
//! API subscription (possibly Binance US; Binance.com discontinued it for spot on 2026-02-20):
//!
//! - `POST /api/v3/userDataStream` with the `X-MBX-APIKEY` header (no signature) gives
//!   `{"listenKey":"…"}` (an account with an active key gets the same key back, extended);
//! - the stream is `<ws_url>/ws/<listenKey>` on the market-stream server, carrying bare event
//!   objects;
//! - `PUT /api/v3/userDataStream?listenKey=…` keeps the key alive (every 30 minutes by default;
//!   a key lapses after 60 minutes without one);
//! - on `listenKeyExpired`, a dropped socket, or a keepalive answered `-1125` (the key no longer
//!   exists), a key is asked for again and the stream reconnected, with the backoff of
//!   [`crate::cex::stream`];
//! - on stop, `DELETE /api/v3/userDataStream?listenKey=…` closes the key.
//!
//! The driver reports the same [`StreamEvent`]s as a WebSocket API stream, so the connector
//! consumes both the same way. USDⓈ-M futures keep their keys the same way at another path
//! (`/fapi/v1/listenKey`, weight 1) with the key in the stream URL's query: [`ListenKeyApi`]. Each request weighs 2 (REQUEST_WEIGHT), as Binance documents.
//!
//! The key is a credential: it is never logged, and the REST client keeps it out of errors. The
//! driver's channel is bounded (the socket's capacity, [`crate::cex::stream::DEFAULT_BUFFER`]):
//! the driver waits for the consumer (backpressure, still answering stop), so a slow consumer
//! fills the socket's own channel, whose overflow drops and resyncs the connection (see
//! [`crate::cex::stream`]) rather than losing an event silently.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::stream::{self, StreamConfig, StreamEvent};

use super::api::{RAW_REQUESTS, REQUEST_WEIGHT, code, decode};
use super::user::{self as binance_user, UserMessage};

/// The REST path of the listenKey endpoints.
pub const PATH: &str = "/api/v3/userDataStream";

/// Request weight of each listenKey endpoint.
const WEIGHT: u32 = 2;

/// Shortest keepalive interval accepted (a zero interval would spin).
const MIN_KEEPALIVE: Duration = Duration::from_millis(10);

/// Longest wait for the `DELETE` on stop.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where one Binance API keeps its listenKeys: spot's ([`SPOT`]) or USDⓈ-M futures'
/// (`/fapi/v1/listenKey`, streams named `/ws?listenKey=<key>` on the private stream host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenKeyApi {
    /// REST path of the create / keepalive / close endpoints.
    pub path: &'static str,
    /// Request weight of each of them.
    pub weight: u32,
    /// The stream URL names the key as a query (`<ws_url>/ws?listenKey=<key>`) rather than a path
    /// segment (`<ws_url>/ws/<key>`).
    pub key_in_query: bool,
}

/// Binance spot's listenKey API.
pub const SPOT: ListenKeyApi = ListenKeyApi {
    path: PATH,
    weight: WEIGHT,
    key_in_query: false,
};

impl ListenKeyApi {
    /// The stream of `key` under the stream host `ws_url`.
    pub fn stream_url(&self, ws_url: &str, key: &str) -> String {
        if self.key_in_query {
            format!("{ws_url}/ws?listenKey={key}")
        } else {
            format!("{ws_url}/ws/{key}")
        }
    }
}

fn request(api: &ListenKeyApi, method: Method) -> ApiRequest {
    ApiRequest::new(method, api.path)
        .keyed()
        .cost(REQUEST_WEIGHT, api.weight)
        .cost(RAW_REQUESTS, 1)
}

/// `POST /api/v3/userDataStream`: a listenKey for the account.
pub async fn create_key(rest: &RestClient) -> Result<String, CexError> {
    create_key_at(rest, &SPOT).await
}

/// `POST <api.path>`: a listenKey for the account.
pub async fn create_key_at(rest: &RestClient, api: &ListenKeyApi) -> Result<String, CexError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Created {
        listen_key: String,
    }
    let body = rest.request(&request(api, Method::POST)).await?;
    let created: Created = decode("listenKey", &body)?;
    if created.listen_key.is_empty()
        || !created
            .listen_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
    {
        return Err(CexError::decode(
            "listenKey",
            "empty or not alphanumeric (it becomes a URL path segment)",
        ));
    }
    Ok(created.listen_key)
}

/// `PUT /api/v3/userDataStream?listenKey=…`: keeps the key alive.
pub async fn keep_alive(rest: &RestClient, key: &str) -> Result<(), CexError> {
    keep_alive_at(rest, &SPOT, key).await
}

/// `PUT <api.path>?listenKey=…`: keeps the key alive.
pub async fn keep_alive_at(
    rest: &RestClient,
    api: &ListenKeyApi,
    key: &str,
) -> Result<(), CexError> {
    rest.request(&request(api, Method::PUT).param("listenKey", key))
        .await
        .map(|_| ())
}

/// `DELETE <api.path>?listenKey=…`: closes the key.
pub async fn close_key_at(
    rest: &RestClient,
    api: &ListenKeyApi,
    key: &str,
) -> Result<(), CexError> {
    rest.request(&request(api, Method::DELETE).param("listenKey", key))
        .await
        .map(|_| ())
}

/// Where and how the legacy stream runs.
#[derive(Debug, Clone)]
pub struct ListenKeySettings {
    /// For logs.
    pub name: String,
    /// Market-stream base URL (`/ws/<listenKey>` is appended).
    pub ws_url: String,
    /// Interval of the keepalive `PUT`s.
    pub keepalive: Duration,
    /// Which API's keys ([`SPOT`], or the futures').
    pub api: ListenKeyApi,
}

/// Starts the driver with a key already obtained (so that the caller sees the first `POST`'s
/// error). It runs until `stop` turns true (then it closes the key) or the receiver is dropped.
pub fn spawn(
    rest: RestClient,
    settings: ListenKeySettings,
    first_key: String,
    stop: watch::Receiver<bool>,
) -> (JoinHandle<()>, mpsc::Receiver<StreamEvent>) {
    let (tx, rx) = mpsc::channel(stream::DEFAULT_BUFFER);
    let task = tokio::spawn(run(rest, settings, first_key, tx, stop));
    (task, rx)
}

/// Whether a frame is the `listenKeyExpired` event.
fn is_expiry(frame: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"listenKeyExpired";
    frame.windows(NEEDLE.len()).any(|w| w == NEEDLE)
        && matches!(
            binance_user::parse(frame),
            Ok(UserMessage::ListenKeyExpired)
        )
}

/// Why one key's stream ended.
enum Ended {
    /// The key is gone (expired or unknown to the server): ask for a new one at once.
    KeyGone(String),
    /// The socket dropped: wait the backoff, then ask for a key again.
    Dropped(String),
    /// Stop requested, or nobody listens any more.
    Stop,
}

async fn run(
    rest: RestClient,
    settings: ListenKeySettings,
    first_key: String,
    tx: mpsc::Sender<StreamEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let backoff = StreamConfig::new(&settings.name, &settings.ws_url);
    let mut next_key = Some(first_key);
    let mut connected_before = false;
    let mut attempt = 0u32;
    loop {
        let key = match next_key.take() {
            Some(k) => k,
            None => match create_key_at(&rest, &settings.api).await {
                Ok(k) => k,
                Err(e) => {
                    let reason = format!("listenKey request failed: {e}");
                    tracing::warn!(stream = %settings.name, "{reason}");
                    if !forward(&tx, StreamEvent::Disconnected { reason }, &mut stop).await
                        || !pause(&mut stop, stream::backoff_delay(&backoff, attempt)).await
                    {
                        return;
                    }
                    attempt = attempt.saturating_add(1);
                    continue;
                }
            },
        };
        let ended = one_key(
            &rest,
            &settings,
            &key,
            &tx,
            &mut stop,
            &mut connected_before,
            &mut attempt,
        )
        .await;
        let reason = match ended {
            Ended::Stop => {
                match tokio::time::timeout(CLOSE_TIMEOUT, close_key_at(&rest, &settings.api, &key))
                    .await
                {
                    Ok(Ok(())) => tracing::info!(stream = %settings.name, "listenKey closed"),
                    Ok(Err(e)) => {
                        tracing::warn!(stream = %settings.name, error = %e, "closing the listenKey failed")
                    }
                    Err(_) => {
                        tracing::warn!(stream = %settings.name, "closing the listenKey timed out")
                    }
                }
                return;
            }
            Ended::KeyGone(reason) => reason,
            Ended::Dropped(reason) => {
                let delay = stream::backoff_delay(&backoff, attempt);
                attempt = attempt.saturating_add(1);
                if !forward(&tx, StreamEvent::Disconnected { reason }, &mut stop).await
                    || !pause(&mut stop, delay).await
                {
                    return;
                }
                continue;
            }
        };
        tracing::info!(stream = %settings.name, "{reason}; asking for a new listenKey");
        if !forward(&tx, StreamEvent::Disconnected { reason }, &mut stop).await {
            return;
        }
    }
}

/// Hands `ev` to the consumer, waiting for room; false when the consumer is gone or stop was
/// requested meanwhile.
async fn forward(
    tx: &mpsc::Sender<StreamEvent>,
    ev: StreamEvent,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        if *stop.borrow() {
            return false;
        }
        tokio::select! {
            permit = tx.reserve() => {
                return match permit {
                    Ok(p) => {
                        p.send(ev);
                        true
                    }
                    Err(_) => false,
                };
            }
            changed = stop.changed() => {
                if changed.is_err() {
                    return false;
                }
            }
        }
    }
}

/// Sleeps `delay`; false when stop was requested meanwhile.
async fn pause(stop: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(delay) => !*stop.borrow(),
        changed = stop.changed() => changed.is_ok() && !*stop.borrow(),
    }
}

/// Runs the stream of one key, keeping the key alive, until it ends.
async fn one_key(
    rest: &RestClient,
    settings: &ListenKeySettings,
    key: &str,
    tx: &mpsc::Sender<StreamEvent>,
    stop: &mut watch::Receiver<bool>,
    connected_before: &mut bool,
    attempt: &mut u32,
) -> Ended {
    let cfg = StreamConfig::new(
        &settings.name,
        &settings.api.stream_url(&settings.ws_url, key),
    );
    let (_handle, mut rx) = stream::spawn(cfg, Arc::new(Vec::new));
    let every = settings.keepalive.max(MIN_KEEPALIVE);
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if *stop.borrow() {
            return Ended::Stop;
        }
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ended::Stop;
                }
            }
            _ = keepalive.tick() => match keep_alive_at(rest, &settings.api, key).await {
                Ok(()) => tracing::debug!(stream = %settings.name, "listenKey kept alive"),
                Err(CexError::Api { code: code::INVALID_LISTEN_KEY, msg, .. }) => {
                    return Ended::KeyGone(format!("keepalive refused: {msg}"));
                }
                Err(e) => tracing::warn!(
                    stream = %settings.name,
                    error = %e,
                    "listenKey keepalive failed; retrying at the next interval"
                ),
            },
            ev = rx.recv() => match ev {
                Some(StreamEvent::Connected { .. }) => {
                    *attempt = 0;
                    let reconnect = std::mem::replace(connected_before, true);
                    if !forward(tx, StreamEvent::Connected { reconnect }, stop).await {
                        return Ended::Stop;
                    }
                }
                Some(StreamEvent::Message(m)) => {
                    let expired = is_expiry(&m);
                    if !forward(tx, StreamEvent::Message(m), stop).await {
                        return Ended::Stop;
                    }
                    if expired {
                        return Ended::KeyGone("listenKeyExpired".into());
                    }
                }
                Some(StreamEvent::Disconnected { reason }) => return Ended::Dropped(reason),
                None => return Ended::Dropped("stream task ended".into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_recognised_only_as_the_event() {
        assert!(is_expiry(
            br#"{"e":"listenKeyExpired","E":1,"listenKey":"abc"}"#
        ));
        // the word inside another event (a client order id, say) is not an expiry
        assert!(!is_expiry(
            br#"{"e":"balanceUpdate","E":1,"a":"listenKeyExpired","d":"1","T":1}"#
        ));
        assert!(!is_expiry(b"listenKeyExpired"));
    }

    #[test]
    fn requests_carry_the_key_without_a_signature_and_weigh_2() {
        let r = request(&SPOT, Method::PUT).param("listenKey", "k");
        assert!(r.keyed && !r.signed);
        assert_eq!(r.path, PATH);
        assert!(r.costs.contains(&(REQUEST_WEIGHT, 2)));
        assert_eq!(SPOT.stream_url("ws://h", "k"), "ws://h/ws/k");
        let futures = ListenKeyApi {
            path: "/fapi/v1/listenKey",
            weight: 1,
            key_in_query: true,
        };
        assert_eq!(
            futures.stream_url("ws://h/private", "k"),
            "ws://h/private/ws?listenKey=k"
        );
    }
}
