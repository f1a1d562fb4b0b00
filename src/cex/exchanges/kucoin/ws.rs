//! KuCoin's WebSocket entry: `POST /api/v1/bullet-public` (or the signed `bullet-private`)
//! answers a `token` and `instanceServers` (`endpoint`, `pingInterval`, `pingTimeout`); the
//! connection is `endpoint?token=…&connectId=…`, the server greets with `welcome`, every request
//! carries an `id` (`subscribe` with `response:true` is acknowledged by an `ack` of that id),
//! and the client sends `{"id","type":"ping"}` every `pingInterval`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};

use super::api::{decode_data, limit};

/// A connection ticket: the URL to connect to and how often to ping.
#[derive(Clone)]
pub struct Bullet {
    /// `endpoint?token=…&connectId=…` (carries the token: never logged).
    pub url: String,
    pub ping_interval: Duration,
}

impl std::fmt::Debug for Bullet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bullet")
            .field("ping_interval", &self.ping_interval)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Server {
    endpoint: String,
    #[serde(default)]
    ping_interval: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Token {
    token: String,
    instance_servers: Vec<Server>,
}

static CONNECT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh `connectId` for one connection.
pub fn connect_id() -> String {
    let n = CONNECT_ID.fetch_add(1, Ordering::Relaxed);
    format!("sluice{}{n}", crate::cex::clock::local_ms())
}

/// Asks for a connection ticket: public, or private (signed, the account's).
pub async fn bullet(rest: &RestClient, private: bool) -> Result<Bullet, CexError> {
    let path = if private {
        "/api/v1/bullet-private"
    } else {
        "/api/v1/bullet-public"
    };
    let mut req = ApiRequest::new(Method::POST, path);
    req = if private {
        req.signed().cost(limit::SPOT, limit::W_BULLET)
    } else {
        req.cost(limit::PUBLIC, limit::W_BULLET)
    };
    let t: Token = decode_data("bullet", &rest.request(&req).await?)?;
    let server = t
        .instance_servers
        .first()
        .ok_or_else(|| CexError::decode("bullet", "no instance server"))?;
    let mut url = url::Url::parse(&server.endpoint)
        .map_err(|e| CexError::decode("bullet", format!("endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("token", &t.token)
        .append_pair("connectId", &connect_id());
    Ok(Bullet {
        url: url.to_string(),
        ping_interval: Duration::from_millis(server.ping_interval.clamp(1_000, 60_000)),
    })
}

/// A request frame: `{"id","type":"subscribe"|"unsubscribe","topic","privateChannel","response":true}`.
pub fn topic_op(op: &str, topic: &str, private: bool) -> String {
    serde_json::json!({
        "id": connect_id(),
        "type": op,
        "topic": topic,
        "privateChannel": private,
        "response": true,
    })
    .to_string()
}

/// The client's ping.
pub fn ping() -> String {
    serde_json::json!({"id": connect_id(), "type": "ping"}).to_string()
}
