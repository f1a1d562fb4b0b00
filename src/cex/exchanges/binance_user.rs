//! Binance's private user-data stream by the mechanism documented since 2026-02-20 (listenKeys for
//! spot were discontinued): a WebSocket API connection that sends
//! `userDataStream.subscribe.signature {apiKey, timestamp, signature}` on every connect, then
//! receives `{"subscriptionId":…,"event":{…}}` frames (`executionReport`,
//! `outboundAccountPosition`, `balanceUpdate`).

use std::sync::Arc;

use serde::Deserialize;

use crate::cex::auth::RequestSigner;
use crate::cex::clock::ServerClock;
use crate::cex::error::CexError;
use crate::cex::stream::Subscriber;

use super::binance_api::{AccountPosition, ExecutionReport};
use super::binance_sign::sign_ws_params;

/// The subscribe request, signed now.
pub fn subscribe_request(signer: &dyn RequestSigner, server_now_ms: i64, id: &str) -> String {
    let params = vec![
        ("apiKey", signer.api_key().to_string()),
        ("timestamp", server_now_ms.to_string()),
    ];
    let signature = sign_ws_params(signer, &params);
    serde_json::json!({
        "id": id,
        "method": "userDataStream.subscribe.signature",
        "params": {
            "apiKey": signer.api_key(),
            "timestamp": server_now_ms,
            "signature": signature,
        }
    })
    .to_string()
}

/// Builds a fresh signed subscription on each connect.
pub fn subscriber(signer: Arc<dyn RequestSigner>, clock: Arc<ServerClock>) -> Subscriber {
    Arc::new(move || {
        vec![subscribe_request(
            signer.as_ref(),
            clock.now_ms(),
            "sluice-user-stream",
        )]
    })
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
}

#[derive(Deserialize)]
struct ApiErr {
    code: i64,
    msg: String,
}

/// Parses one frame.
pub fn parse(frame: &[u8]) -> Result<UserMessage, CexError> {
    let f: Frame = serde_json::from_slice(frame).map_err(|e| {
        CexError::decode(
            "user stream frame",
            format!("{e}: {}", CexError::snippet(frame)),
        )
    })?;
    if let Some(ev) = f.event {
        let kind = ev
            .get("e")
            .and_then(|e| e.as_str())
            .unwrap_or("")
            .to_string();
        return match kind.as_str() {
            "executionReport" => serde_json::from_value(ev)
                .map(|e| UserMessage::Execution(Box::new(e)))
                .map_err(|e| CexError::decode("executionReport", e)),
            "outboundAccountPosition" => serde_json::from_value(ev)
                .map(UserMessage::Account)
                .map_err(|e| CexError::decode("outboundAccountPosition", e)),
            _ => Ok(UserMessage::Other(kind)),
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::auth::{ApiCredentials, HmacSha256Signer};

    #[test]
    fn subscribe_is_signed_over_sorted_params() {
        let s = HmacSha256Signer::new(ApiCredentials::new("KEY", "SECRET").unwrap());
        let req: serde_json::Value =
            serde_json::from_str(&subscribe_request(&s, 1_700_000_000_000, "x")).unwrap();
        assert_eq!(req["method"], "userDataStream.subscribe.signature");
        assert_eq!(req["params"]["apiKey"], "KEY");
        assert_eq!(
            req["params"]["signature"],
            s.sign(b"apiKey=KEY&timestamp=1700000000000").as_str()
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
        assert!(parse(br#"{"subscriptionId":0,"event":{"e":"executionReport","s":1}}"#).is_err());
    }
}
