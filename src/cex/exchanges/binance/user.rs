//! Binance's private user-data stream, by either mechanism a server may speak:
//!
//! - the WebSocket API (Binance.com since listenKeys for spot were discontinued on 2026-02-20): a
//!   connection that sends `userDataStream.subscribe.signature {apiKey, timestamp, signature}` on
//!   every connect, then receives `{"subscriptionId":…,"event":{…}}` frames;
//! - the legacy listenKey stream (a server that never followed the change, possibly Binance US):
//!   `POST /api/v3/userDataStream` gives a key, `<ws_url>/ws/<listenKey>` carries the bare event
//!   objects (`{"e":"executionReport",…}`), see `listen_key`.
//!
//! [`parse`] reads both shapes into the same [`UserMessage`]s (`executionReport`,
//! `outboundAccountPosition`; `listenKeyExpired` on the legacy stream), and
//! [`UserStreamMode`] says which mechanism to use: `auto` tries the WebSocket API first and falls
//! back to listenKeys only when the server shows it does not serve the subscription
//! ([`means_unsupported`]).
//!
//! The subscription is signed with a timestamp: [`start_ws_api`] syncs the clock first when it
//! never was (or not for a while), and answers a `-1021` (timestamp outside recvWindow) with a
//! fresh clock sync and one more subscription.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;

use crate::cex::clock::ServerClock;
use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::sign::recipes::binance_ws_signature;
use crate::cex::sign::{SignError, Signer};
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle, Subscriber};

use super::api::{AccountPosition, ExecutionReport, code};

/// Which user-data-stream mechanism a connector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStreamMode {
    /// The WebSocket API subscription, falling back to listenKeys when the server refuses it as
    /// unknown (the upgrade fails or the method is answered as unsupported).
    #[default]
    Auto,
    /// Only the WebSocket API subscription.
    WsApi,
    /// Only the legacy listenKey stream.
    ListenKey,
}

impl fmt::Display for UserStreamMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UserStreamMode::Auto => "auto",
            UserStreamMode::WsApi => "ws_api",
            UserStreamMode::ListenKey => "listen_key",
        })
    }
}

impl FromStr for UserStreamMode {
    type Err = CexError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(UserStreamMode::Auto),
            "ws_api" => Ok(UserStreamMode::WsApi),
            "listen_key" => Ok(UserStreamMode::ListenKey),
            other => Err(CexError::Invalid(format!(
                "user stream mode {other:?}: expected auto, ws_api or listen_key"
            ))),
        }
    }
}

/// Whether an error answer to the subscribe request means the server does not serve the method
/// at all (then `auto` falls back to listenKeys). Binance answers a method it does not know with
/// `-1020 UNSUPPORTED_OPERATION` ("This operation is not supported."). Authentication (-1002,
/// -1022, -2014, -2015), timestamp (-1021) and rate-limit errors are real errors, never a reason
/// to switch mechanism.
pub fn means_unsupported(code: i64) -> bool {
    code == code::UNSUPPORTED_OPERATION
}

/// The subscribe request, signed now.
pub fn subscribe_request(
    signer: &Signer,
    server_now_ms: i64,
    id: &str,
) -> Result<String, SignError> {
    let params = vec![
        ("apiKey", signer.api_key().to_string()),
        ("timestamp", server_now_ms.to_string()),
    ];
    let signature = binance_ws_signature(signer.credentials(), &params)?;
    Ok(serde_json::json!({
        "id": id,
        "method": "userDataStream.subscribe.signature",
        "params": {
            "apiKey": signer.api_key(),
            "timestamp": server_now_ms,
            "signature": signature,
        }
    })
    .to_string())
}

/// Builds a fresh signed subscription on each connect (none, logged, if the keys cannot sign:
/// the stream then gets no answer and reports it).
pub fn subscriber(signer: Arc<Signer>, clock: Arc<ServerClock>) -> Subscriber {
    Arc::new(
        move || match subscribe_request(&signer, clock.now_ms(), "sluice-user-stream") {
            Ok(req) => vec![req],
            Err(e) => {
                tracing::error!(error = %e, "cannot sign the user-stream subscription");
                Vec::new()
            }
        },
    )
}

/// How a WebSocket API user stream's first connection went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsApiStart {
    /// The subscription was accepted.
    Subscribed,
    /// The server answered the subscription as a method it does not serve.
    Unsupported(String),
    /// No answer: the endpoint could not be connected to, refused the upgrade with an HTTP
    /// error, dropped the connection, or stayed silent until the timeout.
    NoAnswer(String),
    /// The subscription was refused for a real reason (keys, signature, timestamp, limits).
    Refused { status: u16, code: i64, msg: String },
}

/// Reads a WebSocket API user stream's events until its subscription is answered, the first
/// connection fails, or `timeout` passes. Frames before the answer are not events (the stream
/// sends none before the subscription).
pub async fn first_answer(rx: &mut mpsc::Receiver<StreamEvent>, timeout: Duration) -> WsApiStart {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let ev = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Err(_) => return WsApiStart::NoAnswer(format!("no answer within {timeout:?}")),
            Ok(None) => return WsApiStart::NoAnswer("the stream task ended".into()),
            Ok(Some(ev)) => ev,
        };
        match ev {
            StreamEvent::Connected { .. } => {}
            StreamEvent::Disconnected { reason } => return WsApiStart::NoAnswer(reason),
            StreamEvent::Message(m) => match parse(&m) {
                Ok(UserMessage::Subscribed) => return WsApiStart::Subscribed,
                Ok(UserMessage::Refused { code, msg, .. }) if means_unsupported(code) => {
                    return WsApiStart::Unsupported(format!("code {code}: {msg}"));
                }
                Ok(UserMessage::Refused { status, code, msg }) => {
                    return WsApiStart::Refused { status, code, msg };
                }
                Ok(other) => {
                    tracing::debug!(?other, "user stream frame before the subscription answer")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable frame before the subscription answer")
                }
            },
        }
    }
}

/// Starts a WebSocket API user stream at `cfg` and waits for its first answer
/// ([`first_answer`]). The clock is synced first when due (never synced, or stale). An answer
/// `-1021` (the timestamp is outside recvWindow: the clocks drifted apart since the last sync) is
/// followed by a fresh clock sync and one more subscription, on a new connection; a second
/// refusal is the answer.
pub async fn start_ws_api(
    rest: &RestClient,
    signer: Arc<Signer>,
    cfg: StreamConfig,
    timeout: Duration,
) -> (StreamHandle, mpsc::Receiver<StreamEvent>, WsApiStart) {
    rest.ensure_clock_synced().await;
    let mut retried = false;
    loop {
        let (handle, mut rx) =
            stream::spawn(cfg.clone(), subscriber(signer.clone(), rest.clock.clone()));
        let first = first_answer(&mut rx, timeout).await;
        let stale = matches!(
            first,
            WsApiStart::Refused { code, .. } if code == code::TIMESTAMP_OUTSIDE_RECV_WINDOW
        );
        if !stale || retried {
            return (handle, rx, first);
        }
        retried = true;
        tracing::warn!(
            stream = %cfg.name,
            "user stream subscription refused for its timestamp (-1021); syncing the clock and \
             subscribing again"
        );
        if let Err(e) = rest.sync_clock().await {
            tracing::warn!(stream = %cfg.name, error = %e, "clock sync failed");
            return (handle, rx, first);
        }
        drop(handle);
    }
}

/// One frame of the user stream.
#[derive(Debug, Clone)]
pub enum UserMessage {
    Execution(Box<ExecutionReport>),
    Account(AccountPosition),
    /// A reply to the subscribe request.
    Subscribed,
    /// An error reply (bad signature, stale timestamp, …).
    Refused {
        status: u16,
        code: i64,
        msg: String,
    },
    /// The listenKey of a legacy stream expired; the server closes the stream.
    ListenKeyExpired,
    /// Valid JSON we have no use for (`balanceUpdate`, `listStatus`, …): logged and ignored.
    Other(String),
}

#[derive(Deserialize)]
struct Frame {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    error: Option<ApiErr>,
    #[serde(default)]
    event: Option<serde_json::Value>,
    /// Event type of a bare event object (legacy listenKey stream).
    #[serde(default)]
    e: Option<String>,
}

#[derive(Deserialize)]
struct ApiErr {
    code: i64,
    msg: String,
}

/// Parses one frame of either mechanism: a WebSocket API frame (`{"subscriptionId":…,
/// "event":{…}}` or a reply) or a bare event object of the listenKey stream.
pub fn parse(frame: &[u8]) -> Result<UserMessage, CexError> {
    let f: Frame = serde_json::from_slice(frame).map_err(|e| {
        CexError::decode(
            "user stream frame",
            format!("{e}: {}", CexError::snippet(frame)),
        )
    })?;
    if let Some(ev) = f.event {
        return parse_event(ev);
    }
    if f.e.is_some() {
        let ev: serde_json::Value =
            serde_json::from_slice(frame).map_err(|e| CexError::decode("user stream event", e))?;
        return parse_event(ev);
    }
    match (f.status, f.error) {
        (Some(200), _) => Ok(UserMessage::Subscribed),
        (Some(status), Some(e)) => Ok(UserMessage::Refused {
            status,
            code: e.code,
            msg: e.msg,
        }),
        _ => Ok(UserMessage::Other(CexError::snippet(frame))),
    }
}

fn parse_event(ev: serde_json::Value) -> Result<UserMessage, CexError> {
    let kind = ev
        .get("e")
        .and_then(|e| e.as_str())
        .unwrap_or("")
        .to_string();
    match kind.as_str() {
        "executionReport" => serde_json::from_value(ev)
            .map(|e| UserMessage::Execution(Box::new(e)))
            .map_err(|e| CexError::decode("executionReport", e)),
        "outboundAccountPosition" => serde_json::from_value(ev)
            .map(UserMessage::Account)
            .map_err(|e| CexError::decode("outboundAccountPosition", e)),
        "listenKeyExpired" => Ok(UserMessage::ListenKeyExpired),
        _ => Ok(UserMessage::Other(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::sign::recipes::BinanceHmac;
    use crate::cex::sign::{Credentials, KeyForm};

    #[test]
    fn subscribe_is_signed_over_sorted_params() {
        let creds = Credentials::parse(KeyForm::HmacRaw, "KEY", "SECRET", None).unwrap();
        let s = Signer::new(Box::new(BinanceHmac::default()), creds).unwrap();
        let req: serde_json::Value =
            serde_json::from_str(&subscribe_request(&s, 1_700_000_000_000, "x").unwrap()).unwrap();
        assert_eq!(req["method"], "userDataStream.subscribe.signature");
        assert_eq!(req["params"]["apiKey"], "KEY");
        assert_eq!(
            req["params"]["signature"],
            crate::cex::sign::hmac::hmac_encoded(
                crate::cex::sign::hmac::HmacHash::Sha256,
                b"SECRET",
                &[b"apiKey=KEY&timestamp=1700000000000"],
                crate::cex::sign::hmac::Encoding::Hex
            )
            .as_str()
        );
    }

    #[test]
    fn frames() {
        assert!(matches!(
            parse(br#"{"id":"x","status":200,"result":{"subscriptionId":0}}"#).unwrap(),
            UserMessage::Subscribed
        ));
        assert!(matches!(
            parse(br#"{"id":"x","status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}}"#).unwrap(),
            UserMessage::Refused { code: -1022, .. }
        ));
        assert!(matches!(
            parse(br#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1,"u":1,"B":[{"a":"BTC","f":"1.5","l":"0.5"}]}}"#).unwrap(),
            UserMessage::Account(a) if a.balances.len() == 1
        ));
        assert!(matches!(
            parse(br#"{"subscriptionId":0,"event":{"e":"balanceUpdate"}}"#).unwrap(),
            UserMessage::Other(k) if k == "balanceUpdate"
        ));
        assert!(parse(b"<html>").is_err());
        assert!(parse(b"[1,2]").is_err());
        assert!(parse(br#"{"subscriptionId":0,"event":{"e":"executionReport","s":1}}"#).is_err());
    }

    /// The legacy stream's bare objects parse into the same messages as the wrapped ones.
    #[test]
    fn bare_and_wrapped_events_are_the_same_messages() {
        let exec = r#"{"e":"executionReport","E":1,"s":"BTCUSDT","c":"mine","C":"","S":"BUY","x":"TRADE",
            "X":"PARTIALLY_FILLED","i":7,"l":"0.2","z":"0.2","L":"99","n":"0.0002","N":"BTC","T":2,"t":5,"m":true}"#;
        let wrapped = format!(r#"{{"subscriptionId":0,"event":{exec}}}"#);
        for frame in [exec.to_string(), wrapped] {
            match parse(frame.as_bytes()).unwrap() {
                UserMessage::Execution(e) => {
                    assert_eq!(
                        (e.order_id, e.trade_id, e.status.as_str()),
                        (7, 5, "PARTIALLY_FILLED")
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        let pos =
            r#"{"e":"outboundAccountPosition","E":1,"u":1,"B":[{"a":"USDT","f":"10","l":"0"}]}"#;
        assert!(
            matches!(parse(pos.as_bytes()).unwrap(), UserMessage::Account(a) if a.balances[0].asset == "USDT")
        );
        assert!(matches!(
            parse(br#"{"e":"listenKeyExpired","E":1,"listenKey":"abc"}"#).unwrap(),
            UserMessage::ListenKeyExpired
        ));
        assert!(matches!(
            parse(br#"{"e":"balanceUpdate","E":1,"a":"BTC","d":"1","T":1}"#).unwrap(),
            UserMessage::Other(k) if k == "balanceUpdate"
        ));
        // a bare executionReport missing fields is an error, not a panic
        assert!(parse(br#"{"e":"executionReport","s":"BTCUSDT"}"#).is_err());
    }

    #[test]
    fn only_unsupported_operation_means_fall_back() {
        assert!(means_unsupported(-1020));
        for code in [-1002, -1021, -1022, -2014, -2015, -1003, -1000, -1102] {
            assert!(!means_unsupported(code), "{code}");
        }
    }

    #[tokio::test]
    async fn the_first_answer_decides() {
        use bytes::Bytes;
        let cases = [
            (
                r#"{"id":"x","status":200,"result":{"subscriptionId":0}}"#,
                WsApiStart::Subscribed,
            ),
            (
                r#"{"id":"x","status":400,"error":{"code":-1020,"msg":"This operation is not supported."}}"#,
                WsApiStart::Unsupported("code -1020: This operation is not supported.".into()),
            ),
            (
                r#"{"id":"x","status":401,"error":{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}}"#,
                WsApiStart::Refused {
                    status: 401,
                    code: -2015,
                    msg: "Invalid API-key, IP, or permissions for action.".into(),
                },
            ),
        ];
        for (frame, want) in cases {
            let (tx, mut rx) = mpsc::channel(8);
            tx.try_send(StreamEvent::Connected { reconnect: false })
                .unwrap();
            tx.try_send(StreamEvent::Message(Bytes::from_static(b"garbage")))
                .unwrap();
            tx.try_send(StreamEvent::Message(Bytes::from(frame)))
                .unwrap();
            assert_eq!(first_answer(&mut rx, Duration::from_secs(5)).await, want);
        }
        let (tx, mut rx) = mpsc::channel(8);
        tx.try_send(StreamEvent::Disconnected {
            reason: "connect failed: HTTP error: 404 Not Found".into(),
        })
        .unwrap();
        assert!(
            matches!(first_answer(&mut rx, Duration::from_secs(5)).await, WsApiStart::NoAnswer(r) if r.contains("404"))
        );
        let (_tx, mut rx) = mpsc::channel(8);
        assert!(matches!(
            first_answer(&mut rx, Duration::from_millis(20)).await,
            WsApiStart::NoAnswer(_)
        ));
    }

    #[test]
    fn modes_parse_and_print() {
        for m in [
            UserStreamMode::Auto,
            UserStreamMode::WsApi,
            UserStreamMode::ListenKey,
        ] {
            assert_eq!(m.to_string().parse::<UserStreamMode>().unwrap(), m);
        }
        assert!("both".parse::<UserStreamMode>().is_err());
        assert_eq!(UserStreamMode::default(), UserStreamMode::Auto);
    }
}
