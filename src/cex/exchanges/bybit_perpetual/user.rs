//! Bybit v5's private stream (`wss://stream.bybit.com/v5/private`): on every connect, the first
//! and each reconnect, an `auth` op signed then (`{"op":"auth","args":[apiKey, expires,
//! signature]}`, the signature the hex HMAC-SHA256 of `GET/realtime{expires}`, `expires` a few
//! seconds ahead on the exchange's clock); once Bybit answers it with `success: true`, the
//! subscription to `order`, `execution`, `position` and `wallet`; `{"op":"ping"}` every 20 s.
//!
//! A relay between the socket and the framework holds each connect back until the subscription
//! is confirmed (so that the framework's reconcile after a reconnect, which covers what the
//! outage missed, happens once events flow), consumes the op answers (pong, auth, subscribe),
//! reports a refused auth to [`open`] (an authentication error) or in the log after a
//! reconnect, and splits a push of several `order` or `execution` items into one frame each
//! (the framework takes one order update per frame). Frames are read by `user_frames.rs`.

use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{mpsc, oneshot};

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};
use crate::cex::sign::{KeyForm, SignError, Signer};
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};
use crate::cex::venue::UserStream;
use crate::cex::venue::exchange::signed_on_connect;
use crate::venue::{VenueError, VenueId};

/// The private topics, subscribed in one op after the auth.
pub const TOPICS: [&str; 4] = ["order", "execution", "position", "wallet"];

/// Bybit asks for a ping every 20 s.
pub const PING_EVERY: Duration = Duration::from_secs(20);

/// How far ahead of the exchange's clock an auth's `expires` is.
pub const AUTH_EXPIRES_IN_MS: u64 = 10_000;

/// How long [`open`] waits for the subscription before returning (the stream goes on trying in
/// the background).
pub const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// The private stream's one mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateWs;

impl std::fmt::Display for PrivateWs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "private websocket (auth; {})", TOPICS.join(", "))
    }
}

/// The text an auth signs.
pub fn auth_text(expires_ms: u64) -> String {
    format!("GET/realtime{expires_ms}")
}

/// The auth's signature: hex HMAC-SHA256, keyed by the secret, of [`auth_text`].
pub fn auth_signature(signer: &Signer, expires_ms: u64) -> Result<String, CexError> {
    let creds = signer.credentials();
    let key = match creds.hmac_key() {
        Some(k) if creds.key_form() == KeyForm::HmacRaw => k,
        _ => {
            return Err(SignError::WrongKeyForm {
                recipe: signer.recipe().name(),
                need: KeyForm::HmacRaw,
                have: creds.key_form(),
            }
            .into());
        }
    };
    Ok(hmac_encoded(
        HmacHash::Sha256,
        key,
        &[auth_text(expires_ms).as_bytes()],
        Encoding::Hex,
    ))
}

/// The auth op valid until `expires_ms`. It carries a signature: never logged.
pub fn auth_message(signer: &Signer, expires_ms: u64) -> Result<String, CexError> {
    let sign = auth_signature(signer, expires_ms)?;
    Ok(serde_json::json!({"op": "auth", "args": [signer.api_key(), expires_ms, sign]}).to_string())
}

/// The subscription sent once the auth is accepted.
pub fn subscribe_message() -> String {
    serde_json::json!({"op": "subscribe", "args": TOPICS}).to_string()
}

/// How the first connect ended.
enum Start {
    Subscribed,
    AuthRefused(String),
    SubscribeRefused(String),
}

/// Opens the private stream: returns once it is subscribed, with an authentication error when
/// Bybit refuses the auth, or (no answer within `wait`) with the stream trying in the
/// background.
pub async fn open(
    id: &VenueId,
    rest: &RestClient,
    url: &str,
    wait: Duration,
) -> Result<UserStream<PrivateWs>, VenueError> {
    let signer = rest
        .signer()
        .cloned()
        .ok_or_else(|| VenueError::Auth("the user stream needs API keys".into()))?;
    // signed once now, to fail before connecting when the keys cannot sign it
    auth_message(&signer, 0)?;
    // on each connect, an auth valid a few seconds from then on the exchange's clock
    let auth = signed_on_connect(rest.clock.clone(), move |now| {
        Ok(vec![auth_message(
            &signer,
            now.saturating_add(AUTH_EXPIRES_IN_MS),
        )?])
    });
    let (handle, raw) = stream::spawn(StreamConfig::new(&format!("{id} user stream"), url), auth);
    let (tx, events) = mpsc::channel(stream::DEFAULT_BUFFER);
    let (first_tx, first_rx) = oneshot::channel();
    let stream = UserStream::relayed(
        PrivateWs,
        tokio::spawn(relay(handle, raw, tx, first_tx)),
        events,
    );
    match tokio::time::timeout(wait, first_rx).await {
        Ok(Ok(Start::Subscribed)) => {}
        Ok(Ok(Start::AuthRefused(msg))) => {
            tracing::error!(venue = %id, %msg, "private stream auth refused");
            return Err(VenueError::Auth(format!(
                "bybit refused the private stream's auth: {msg}"
            )));
        }
        Ok(Ok(Start::SubscribeRefused(msg))) => {
            return Err(VenueError::Rejected {
                code: None,
                reason: format!("bybit refused the private subscription: {msg}"),
            });
        }
        Ok(Err(_)) | Err(_) => {
            tracing::warn!(venue = %id, "private stream not subscribed yet; retrying in the background");
        }
    }
    Ok(stream)
}

/// An op answer: `{"success":…,"ret_msg":…,"op":…}`, or a pong `{"op":"pong",…}`.
#[derive(Deserialize)]
struct OpAnswer {
    op: String,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    ret_msg: String,
}

/// A topic push, its items left unread.
#[derive(Deserialize)]
struct Push<'a> {
    topic: &'a str,
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
    #[serde(default, rename = "creationTime")]
    creation_time: Option<u64>,
    #[serde(default)]
    id: Option<&'a str>,
}

/// What a frame is to the relay.
enum Frame {
    Op(OpAnswer),
    /// Passed on (one frame per item for `order` and `execution`).
    Data(Vec<Bytes>),
}

fn frame_of(m: Bytes) -> Frame {
    if let Ok(op) = serde_json::from_slice::<OpAnswer>(&m) {
        return Frame::Op(op);
    }
    let split = match serde_json::from_slice::<Push<'_>>(&m) {
        Ok(p) if p.data.len() > 1 && matches!(p.topic, "order" | "execution") => p
            .data
            .iter()
            .map(|item| {
                let one = serde_json::json!({
                    "id": p.id, "topic": p.topic, "creationTime": p.creation_time, "data": [item],
                });
                Bytes::from(one.to_string())
            })
            .collect(),
        // anything else (one item, other topics, unreadable) is the parser's to judge
        _ => vec![m],
    };
    Frame::Data(split)
}

async fn relay(
    handle: StreamHandle,
    mut raw: mpsc::Receiver<StreamEvent>,
    tx: mpsc::Sender<StreamEvent>,
    first: oneshot::Sender<Start>,
) {
    let mut first = Some(first);
    let mut report = |start: Start| {
        if let Some(f) = first.take() {
            let _ = f.send(start);
        }
    };
    // a connect is announced once the subscription is confirmed
    let mut pending: Option<bool> = None;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let ev = tokio::select! {
            ev = raw.recv() => match ev { Some(ev) => ev, None => return },
            _ = ping.tick() => {
                handle.send(r#"{"op":"ping"}"#.into());
                continue;
            }
        };
        let out = match ev {
            StreamEvent::Connected { reconnect } => {
                pending = Some(reconnect);
                continue;
            }
            StreamEvent::Disconnected { reason } => {
                pending = None;
                vec![StreamEvent::Disconnected { reason }]
            }
            StreamEvent::Message(m) => match frame_of(m) {
                Frame::Data(frames) => frames.into_iter().map(StreamEvent::Message).collect(),
                Frame::Op(a) => match (a.op.as_str(), a.success) {
                    ("auth", Some(true)) => {
                        handle.send(subscribe_message());
                        continue;
                    }
                    ("auth", _) => {
                        tracing::error!(msg = %a.ret_msg, "private stream auth refused");
                        report(Start::AuthRefused(a.ret_msg));
                        continue;
                    }
                    ("subscribe", Some(true)) => match pending.take() {
                        Some(reconnect) => {
                            report(Start::Subscribed);
                            vec![StreamEvent::Connected { reconnect }]
                        }
                        None => continue,
                    },
                    ("subscribe", _) => {
                        tracing::error!(msg = %a.ret_msg, "private subscription refused");
                        report(Start::SubscribeRefused(a.ret_msg));
                        continue;
                    }
                    ("pong" | "ping", _) => continue,
                    (other, _) => {
                        tracing::debug!(op = other, msg = %a.ret_msg, "private stream answer ignored");
                        continue;
                    }
                },
            },
        };
        for ev in out {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(frame: &str) -> Vec<String> {
        match frame_of(Bytes::from(frame.to_string())) {
            Frame::Data(f) => f
                .iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect(),
            Frame::Op(a) => vec![format!("op {}", a.op)],
        }
    }

    #[test]
    fn pushes_of_several_orders_or_executions_are_split_and_answers_consumed() {
        let two = r#"{"id":"x","topic":"execution","creationTime":5,"data":[{"execId":"a"},{"execId":"b"}]}"#;
        let split = texts(two);
        assert_eq!(split.len(), 2);
        for (text, id) in split.iter().zip(["a", "b"]) {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(v["topic"], "execution");
            assert_eq!(v["creationTime"], 5);
            assert_eq!(v["data"], serde_json::json!([{"execId": id}]));
        }
        // positions and wallets go as they are (one account update), as does what is unreadable
        let positions = r#"{"topic":"position","data":[{"symbol":"A"},{"symbol":"B"}]}"#;
        assert_eq!(texts(positions), vec![positions.to_string()]);
        assert_eq!(texts("<html>"), vec!["<html>".to_string()]);
        assert_eq!(
            texts(r#"{"success":false,"ret_msg":"Params Error","op":"auth","conn_id":"c"}"#),
            vec!["op auth".to_string()]
        );
        assert_eq!(
            texts(r#"{"req_id":"","op":"pong","args":["1"],"conn_id":"c"}"#),
            vec!["op pong".to_string()]
        );
    }
}
