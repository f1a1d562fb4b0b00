//! The indexer's `v4_subaccounts` channel (id `{address}/{subaccount number}`): the `subscribed`
//! snapshot (the subaccount with its positions, its open orders, the height), then
//! `channel_data` (or `channel_batch_data`) messages of order, fill, position and asset
//! updates as the chain's events happen, over the framework's reconnecting stream; every
//! reconnect resubscribes and yields a fresh snapshot.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::docs::{SubaccountSnapshot, SubaccountUpdate};
use crate::cex::error::CexError;
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};

/// The channel's name.
pub const CHANNEL: &str = "v4_subaccounts";

/// What the subaccount stream yields.
#[derive(Debug, Clone, PartialEq)]
pub enum SubaccountEvent {
    /// The `subscribed` answer (after every connect).
    Snapshot(Box<SubaccountSnapshot>),
    /// One `channel_data` message (a batch yields one per item), with its `message_id`.
    Update {
        message_id: u64,
        update: Box<SubaccountUpdate>,
    },
    /// The connection dropped; a reconnect and a new snapshot follow.
    Disconnected(String),
}

/// The subscribe message of `address`'s subaccount `number`.
pub fn subscribe_message(address: &str, number: u32) -> String {
    serde_json::json!({"type": "subscribe", "channel": CHANNEL, "id": format!("{address}/{number}")})
        .to_string()
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    message_id: Option<u64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    contents: Option<Value>,
}

/// One frame of the channel: its events (none for `connected`, pongs and other channels); an
/// `error` frame, a frame that is not JSON or whose contents do not parse is an error.
pub fn parse_subaccount_message(text: &[u8]) -> Result<Vec<SubaccountEvent>, CexError> {
    let env: Envelope = crate::cex::exchanges::okx::api::decode("v4_subaccounts message", text)?;
    if env.kind == "error" {
        return Err(CexError::WebSocket(format!(
            "indexer: {}",
            env.message.unwrap_or_default()
        )));
    }
    if env.channel.as_deref() != Some(CHANNEL) {
        return Ok(vec![]);
    }
    let contents = env.contents.unwrap_or(Value::Null);
    let parse = |what: &str, v: Value| -> Result<SubaccountUpdate, CexError> {
        serde_json::from_value(v).map_err(|e| CexError::decode(what, e))
    };
    let message_id = env.message_id.unwrap_or(0);
    match env.kind.as_str() {
        "subscribed" => {
            let snap: SubaccountSnapshot = serde_json::from_value(contents)
                .map_err(|e| CexError::decode("v4_subaccounts snapshot", e))?;
            Ok(vec![SubaccountEvent::Snapshot(Box::new(snap))])
        }
        "channel_data" => Ok(vec![SubaccountEvent::Update {
            message_id,
            update: Box::new(parse("v4_subaccounts update", contents)?),
        }]),
        "channel_batch_data" => {
            let Value::Array(items) = contents else {
                return Err(CexError::decode(
                    "v4_subaccounts batch",
                    "contents is not an array",
                ));
            };
            items
                .into_iter()
                .map(|v| {
                    Ok(SubaccountEvent::Update {
                        message_id,
                        update: Box::new(parse("v4_subaccounts update", v)?),
                    })
                })
                .collect()
        }
        _ => Ok(vec![]),
    }
}

/// A running `v4_subaccounts` subscription; dropping it closes the socket.
#[derive(Debug)]
pub struct SubaccountStream {
    _handle: StreamHandle,
    rx: mpsc::Receiver<StreamEvent>,
    pending: std::collections::VecDeque<SubaccountEvent>,
}

impl SubaccountStream {
    /// Connects to `ws_url` (e.g. `wss://indexer.dydx.trade/v4/ws`) and subscribes to
    /// `address`'s subaccount `number`.
    pub fn connect(ws_url: &str, address: &str, number: u32) -> Self {
        let msg = subscribe_message(address, number);
        let (handle, rx) = stream::spawn(
            StreamConfig::new("dydx v4_subaccounts", ws_url),
            Arc::new(move || vec![msg.clone()]),
        );
        Self {
            _handle: handle,
            rx,
            pending: Default::default(),
        }
    }

    /// The next event; `None` when the stream task ended. A frame that does not parse is
    /// returned as its error and the stream goes on.
    pub async fn next(&mut self) -> Option<Result<SubaccountEvent, CexError>> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(Ok(e));
            }
            match self.rx.recv().await? {
                StreamEvent::Connected { .. } => {}
                StreamEvent::Disconnected { reason } => {
                    return Some(Ok(SubaccountEvent::Disconnected(reason)));
                }
                StreamEvent::Message(bytes) => match parse_subaccount_message(&bytes) {
                    Ok(events) => self.pending.extend(events),
                    Err(e) => return Some(Err(e)),
                },
            }
        }
    }
}
