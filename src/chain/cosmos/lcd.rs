//! A client for a Cosmos SDK node's LCD REST API (the gRPC-gateway paths): node info (the chain id
//! is checked at connect), latest height, account number and sequence, bank balances, contract
//! smart queries, Terra Classic's tax rate, simulate, broadcast (sync) and transactions by hash.
//!
//! Every request has a timeout. Reads and simulations are retried (with a growing pause) when
//! the node cannot be reached, times out, or answers a 5xx/HTML page instead of the gateway's
//! JSON; an answer in the gateway's error form (`{"code","message"}`) is final. A broadcast is
//! sent once: a timeout after it is reported as [`Broadcast::Unknown`] so that the caller looks
//! the transaction up by hash instead of sending it again. The URL is shown redacted (scheme,
//! host, port) in every error: LCD URLs often carry an API key.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::CosmosError;
use super::coin::Coin;
use crate::redact::{redact_url, scrub_url};

/// Timeouts and retries.
#[derive(Debug, Clone)]
pub struct LcdConfig {
    pub timeout: Duration,
    /// Further attempts after the first, for retryable failures.
    pub retries: u32,
    pub backoff: Duration,
}

impl Default for LcdConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

/// An account's number and next sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountInfo {
    pub account_number: u64,
    pub sequence: u64,
}

/// One event of a transaction's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A transaction's result as the node reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxResult {
    pub txhash: String,
    /// 0 while only checked (broadcast answer).
    pub height: u64,
    pub code: u32,
    pub codespace: String,
    pub raw_log: String,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

/// What a sync broadcast came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broadcast {
    /// The node answered: `code` 0 is in the mempool, anything else refused.
    Answered(TxResult),
    /// No answer (timeout, connection lost, an error page): the transaction may or may not be in
    /// the mempool. Look it up by hash; never sign another one with its sequence before it expires.
    Unknown(String),
}

/// The client of one LCD endpoint.
#[derive(Clone)]
pub struct LcdClient {
    http: reqwest::Client,
    base: String,
    shown: String,
    cfg: LcdConfig,
}

impl std::fmt::Debug for LcdClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LcdClient")
            .field("url", &self.shown)
            .finish()
    }
}

enum Failure {
    Retry(String),
    Final(CosmosError),
}

impl LcdClient {
    /// A client for `url`, without checking the node (see [`LcdClient::connect`]).
    pub fn new(url: &str, cfg: LcdConfig) -> Result<Self, CosmosError> {
        let parsed = url::Url::parse(url).map_err(|_| {
            CosmosError::invalid(format!("LCD URL {} is not a URL", redact_url(url)))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(CosmosError::invalid(format!(
                "LCD URL {} is not http(s)",
                redact_url(url)
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .build()
            .map_err(|e| CosmosError::invalid(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: url.trim_end_matches('/').to_string(),
            shown: redact_url(url),
            cfg,
        })
    }

    /// A client for `url` whose node must serve `chain_id`.
    pub async fn connect(url: &str, chain_id: &str, cfg: LcdConfig) -> Result<Self, CosmosError> {
        let client = Self::new(url, cfg)?;
        let got = client.node_chain_id().await?;
        if got != chain_id {
            return Err(CosmosError::WrongChain {
                url: client.shown.clone(),
                expected: chain_id.into(),
                got,
            });
        }
        Ok(client)
    }

    /// The URL as errors show it.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    pub async fn node_chain_id(&self) -> Result<String, CosmosError> {
        let path = "/cosmos/base/tendermint/v1beta1/node_info";
        let v = self.get(path).await?;
        str_at(&v, &["default_node_info", "network"])
            .map(str::to_string)
            .ok_or_else(|| self.garbage(path, "no default_node_info.network"))
    }

    pub async fn latest_height(&self) -> Result<u64, CosmosError> {
        let path = "/cosmos/base/tendermint/v1beta1/blocks/latest";
        let v = self.get(path).await?;
        // SDK 0.47+ also has `sdk_block`; both carry the header.
        str_at(&v, &["block", "header", "height"])
            .or_else(|| str_at(&v, &["sdk_block", "header", "height"]))
            .and_then(|h| h.parse().ok())
            .ok_or_else(|| self.garbage(path, "no block.header.height"))
    }

    /// The account's number and sequence; [`CosmosError::AccountNotFound`] if it never existed.
    pub async fn account(&self, address: &str) -> Result<AccountInfo, CosmosError> {
        let path = format!("/cosmos/auth/v1beta1/accounts/{address}");
        let v = match self.get(&path).await {
            Err(CosmosError::Lcd { detail, .. }) if detail.contains("code 5") => {
                return Err(CosmosError::AccountNotFound(address.into()));
            }
            other => other?,
        };
        let acc = find_base_account(&v["account"])
            .ok_or_else(|| self.garbage(&path, "no account_number/sequence"))?;
        Ok(acc)
    }

    pub async fn balances(&self, address: &str) -> Result<Vec<Coin>, CosmosError> {
        let path = format!("/cosmos/bank/v1beta1/balances/{address}?pagination.limit=1000");
        let v = self.get(&path).await?;
        serde_json::from_value(v["balances"].clone())
            .map_err(|e| self.garbage(&path, &format!("balances: {e}")))
    }

    /// A CosmWasm contract's smart query answer (`data`).
    pub async fn smart_query(&self, contract: &str, msg: &Value) -> Result<Value, CosmosError> {
        let q = base64::engine::general_purpose::URL_SAFE.encode(msg.to_string());
        let path = format!("/cosmwasm/wasm/v1/contract/{contract}/smart/{q}");
        let v = self.get(&path).await?;
        Ok(v["data"].clone())
    }

    /// Terra Classic's treasury tax rate.
    pub async fn tax_rate(&self) -> Result<Decimal, CosmosError> {
        let path = "/terra/treasury/v1beta1/tax_rate";
        let v = self.get(path).await?;
        v["tax_rate"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.garbage(path, "no tax_rate"))
    }

    /// Gas used by the transaction in a simulation (its signature is not checked).
    pub async fn simulate(&self, tx_bytes: &[u8]) -> Result<u64, CosmosError> {
        let path = "/cosmos/tx/v1beta1/simulate";
        let body = json!({"tx_bytes": B64.encode(tx_bytes)});
        let v = match self.request(Method::POST, path, Some(&body), true).await {
            Err(CosmosError::Lcd { detail, .. }) => return Err(CosmosError::Simulation(detail)),
            other => other?,
        };
        str_at(&v, &["gas_info", "gas_used"])
            .and_then(|g| g.parse().ok())
            .ok_or_else(|| self.garbage(path, "no gas_info.gas_used"))
    }

    /// Broadcasts once in sync mode (see [`Broadcast`]).
    pub async fn broadcast_sync(&self, tx_bytes: &[u8]) -> Result<Broadcast, CosmosError> {
        let path = "/cosmos/tx/v1beta1/txs";
        let body = json!({"tx_bytes": B64.encode(tx_bytes), "mode": "BROADCAST_MODE_SYNC"});
        match self.attempt(Method::POST, path, Some(&body)).await {
            Ok(v) => Ok(Broadcast::Answered(
                parse_tx_response(&v["tx_response"])
                    .ok_or_else(|| self.garbage(path, "no tx_response"))?,
            )),
            Err(Failure::Retry(why)) => Ok(Broadcast::Unknown(why)),
            Err(Failure::Final(e)) => Err(e),
        }
    }

    /// The transaction with this hash, `None` while the node does not know it in a block.
    pub async fn tx(&self, txhash: &str) -> Result<Option<TxResult>, CosmosError> {
        let path = format!("/cosmos/tx/v1beta1/txs/{txhash}");
        match self.get(&path).await {
            Ok(v) => Ok(Some(
                parse_tx_response(&v["tx_response"])
                    .ok_or_else(|| self.garbage(&path, "no tx_response"))?,
            )),
            Err(CosmosError::Lcd { detail, .. })
                if detail.contains("code 5") || detail.contains("not found") =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn get(&self, path: &str) -> Result<Value, CosmosError> {
        self.request(Method::GET, path, None, true).await
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: bool,
    ) -> Result<Value, CosmosError> {
        let mut last = String::new();
        let attempts = if retry { self.cfg.retries + 1 } else { 1 };
        for n in 0..attempts {
            if n > 0 {
                tokio::time::sleep(self.cfg.backoff * n).await;
            }
            match self.attempt(method.clone(), path, body).await {
                Ok(v) => return Ok(v),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry(why)) => {
                    tracing::debug!(url = %self.shown, path, attempt = n + 1, "LCD retry: {why}");
                    last = why;
                }
            }
        }
        Err(CosmosError::Lcd {
            url: self.shown.clone(),
            path: path_only(path),
            detail: format!("{last} (after {attempts} attempts)"),
        })
    }

    async fn attempt(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.transport(e))?;
        let json: Option<Value> = serde_json::from_str(&text).ok();
        match (status, json) {
            (s, Some(v)) if s.is_success() => Ok(v),
            (s, Some(v)) if v.get("code").is_some() && v.get("message").is_some() => {
                let code = v["code"].as_u64().unwrap_or(0);
                let message = v["message"].as_str().unwrap_or_default();
                // gRPC Unavailable: the node is not ready yet.
                if code == 14 {
                    return Err(Failure::Retry(format!("HTTP {s}: unavailable: {message}")));
                }
                Err(Failure::Final(CosmosError::Lcd {
                    url: self.shown.clone(),
                    path: path_only(path),
                    detail: format!(
                        "HTTP {}: code {code}: {}",
                        s.as_u16(),
                        self.scrub(message, false)
                    ),
                }))
            }
            (s, _) if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => Err(
                Failure::Retry(format!("HTTP {}: {}", s.as_u16(), describe_body(&text))),
            ),
            (s, Some(_)) if s == StatusCode::NOT_FOUND => Err(Failure::Final(CosmosError::Lcd {
                url: self.shown.clone(),
                path: path_only(path),
                detail: "HTTP 404: not found".into(),
            })),
            (s, _) if s.is_success() => Err(Failure::Retry(format!(
                "HTTP {}: not JSON: {}",
                s.as_u16(),
                describe_body(&text)
            ))),
            (s, _) => Err(Failure::Final(CosmosError::Lcd {
                url: self.shown.clone(),
                path: path_only(path),
                detail: format!("HTTP {}: {}", s.as_u16(), describe_body(&text)),
            })),
        }
    }

    fn transport(&self, e: reqwest::Error) -> Failure {
        let timeout = e.is_timeout();
        Failure::Retry(self.scrub(&e.without_url().to_string(), timeout))
    }

    fn scrub(&self, text: &str, timeout: bool) -> String {
        let t = scrub_url(text, &self.base);
        if timeout {
            format!("timed out after {:?}: {t}", self.cfg.timeout)
        } else {
            t
        }
    }

    fn garbage(&self, path: &str, what: &str) -> CosmosError {
        CosmosError::Lcd {
            url: self.shown.clone(),
            path: path_only(path),
            detail: format!("unexpected answer: {what}"),
        }
    }
}

/// The path without its query or anything after the resource (addresses are fine to show).
fn path_only(path: &str) -> String {
    path.split('?').next().unwrap_or(path).to_string()
}

/// A short description of a body that is not the gateway's JSON (an HTML error page, say).
fn describe_body(text: &str) -> String {
    let t = text.trim_start();
    if t.starts_with('<') {
        "an HTML page".into()
    } else if t.is_empty() {
        "an empty body".into()
    } else {
        let short: String = t.chars().take(80).collect();
        format!("{short:?}")
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// `account_number` and `sequence` of a base account, also inside vesting and module accounts.
fn find_base_account(v: &Value) -> Option<AccountInfo> {
    if let (Some(n), Some(s)) = (v.get("account_number"), v.get("sequence")) {
        return Some(AccountInfo {
            account_number: n.as_str()?.parse().ok()?,
            sequence: s.as_str()?.parse().ok()?,
        });
    }
    v.as_object()?
        .values()
        .filter(|x| x.is_object())
        .find_map(find_base_account)
}

#[derive(Deserialize)]
struct RawAttr {
    key: String,
    #[serde(default)]
    value: String,
}

fn parse_tx_response(v: &Value) -> Option<TxResult> {
    let num = |k: &str| -> u64 {
        v.get(k)
            .and_then(|x| x.as_str().and_then(|s| s.parse().ok()).or(x.as_u64()))
            .unwrap_or(0)
    };
    let events = v
        .get("events")
        .and_then(Value::as_array)
        .map(|evs| {
            evs.iter()
                .filter_map(|e| {
                    let attrs: Vec<RawAttr> =
                        serde_json::from_value(e.get("attributes")?.clone()).ok()?;
                    Some(Event {
                        kind: e.get("type")?.as_str()?.to_string(),
                        attributes: attrs.into_iter().map(|a| (a.key, a.value)).collect(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(TxResult {
        txhash: v.get("txhash")?.as_str()?.to_string(),
        height: num("height"),
        code: u32::try_from(num("code")).unwrap_or(u32::MAX),
        codespace: v
            .get("codespace")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        raw_log: v
            .get("raw_log")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        gas_wanted: num("gas_wanted"),
        gas_used: num("gas_used"),
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_tx_responses_parse() {
        let vesting = json!({"@type": "/cosmos.vesting.v1beta1.ContinuousVestingAccount",
            "base_vesting_account": {"base_account": {"address": "terra1x", "account_number": "12", "sequence": "3"}}});
        assert_eq!(
            find_base_account(&vesting),
            Some(AccountInfo {
                account_number: 12,
                sequence: 3
            })
        );
        let r = parse_tx_response(&json!({"txhash": "AB", "height": "7", "code": 0, "gas_used": "5",
            "events": [{"type": "transfer", "attributes": [{"key": "amount", "value": "5uluna", "index": true}]}]}))
        .unwrap();
        assert_eq!((r.height, r.gas_used), (7, 5));
        assert_eq!(r.events[0].attr("amount"), Some("5uluna"));
        assert_eq!(describe_body("<html>502</html>"), "an HTML page");
    }

    #[test]
    fn urls_are_redacted() {
        let c = LcdClient::new(
            "https://lcd.example.org/key/SECRET123456789012",
            LcdConfig::default(),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("SECRET"));
        assert!(LcdClient::new("ftp://x", LcdConfig::default()).is_err());
    }
}
