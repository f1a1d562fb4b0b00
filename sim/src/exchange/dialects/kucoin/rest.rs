//! The simulated KuCoin's REST API (HTTP/1.1 on 127.0.0.1): the spot endpoints sluice uses, each
//! answer in the `{"code","data"}` envelope, weights drawn from KuCoin's resource pools (429 with
//! code `429000` and the `gw-ratelimit-*` headers on every answer), every private request's
//! signature verified, the bullet endpoints handing out connection tokens, and injected HTTP
//! faults. The routes themselves are in `routes.rs`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;

use super::auth::{self, KeyRecord, Received};
use super::error::KuCoinError;
use super::routes::{self, weight};
use super::shared::{HttpFault, Shared, lock};
use crate::exchange::engine::account::AccountKey;

pub use crate::exchange::engine::server::Dropped;

type Resp = Response<Full<Bytes>>;

/// `(limit, remaining, reset ms)` of the pool a request drew on.
type PoolState = (u64, u64, u64);

fn respond(status: u16, body: String, pool: Option<PoolState>) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some((limit, remaining, reset)) = pool {
        for (name, v) in [
            ("gw-ratelimit-limit", limit),
            ("gw-ratelimit-remaining", remaining),
            ("gw-ratelimit-reset", reset),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v.to_string()) {
                h.insert(name, v);
            }
        }
    }
    r
}

fn error(e: &KuCoinError, pool: Option<PoolState>) -> Resp {
    respond(e.status, e.body(), pool)
}

fn html_page(status: u16) -> Resp {
    let mut r = respond(
        status,
        format!(
            "<html><head><title>{status}</title></head><body><center><h1>{status} Bad Gateway</h1></center><hr><center>openresty</center></body></html>"
        ),
        None,
    );
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/html"));
    r
}

/// Adds fields KuCoin does not document, at the top and in every object of `data`.
fn with_unknown_fields(mut v: Value) -> Value {
    let extra = || serde_json::json!({"nested": [1, 2, {"deep": null}], "flag": true});
    if let Some(o) = v.as_object_mut() {
        o.insert("somethingNew".into(), extra());
    }
    match v.get_mut("data") {
        Some(Value::Object(o)) => {
            o.insert("somethingNew".into(), extra());
        }
        Some(Value::Array(items)) => {
            for i in items.iter_mut().filter_map(Value::as_object_mut) {
                i.insert("somethingNew".into(), extra());
            }
        }
        _ => {}
    }
    v
}

/// Serves one request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let key = header("KC-API-KEY");
    let (ts, sign) = (header("KC-API-TIMESTAMP"), header("KC-API-SIGN"));
    let (pass, version) = (header("KC-API-PASSPHRASE"), header("KC-API-KEY-VERSION"));
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let now = shared.now_ms();
    let (pool, w, signed) = weight(&method, &path);
    let quota = shared.limits.quota(pool);
    let state = match lock(&shared.pools).admit(&shared.limits, pool, w, now) {
        Ok((remaining, reset)) => Some((quota, remaining, reset)),
        Err(reset) => {
            shared.rejected_429.fetch_add(1, Ordering::SeqCst);
            return Ok(error(
                &KuCoinError::too_many_requests(),
                Some((quota, 0, reset)),
            ));
        }
    };
    let fault = shared.next_http_fault();
    match fault {
        Some(HttpFault::TooManyRequests) => {
            let reset = state.map_or(1_000, |s| s.2);
            return Ok(error(
                &KuCoinError::too_many_requests(),
                Some((quota, 0, reset)),
            ));
        }
        Some(HttpFault::HtmlPage { status }) => return Ok(html_page(status)),
        _ => {}
    }
    let account = if signed {
        let r = Received {
            method: method.as_str(),
            path: &path,
            query: &query,
            body: &body,
            key: key.as_deref(),
            timestamp: ts.as_deref(),
            sign: sign.as_deref(),
            passphrase: pass.as_deref(),
            key_version: version.as_deref(),
        };
        let verified = {
            let ex = shared.exchange();
            let passphrases = lock(&shared.passphrases);
            auth::verify_rest(&r, now, |k| {
                let account = *ex.keys.get(k)?;
                let AccountKey::Hmac(secret) = ex.accounts.get(account)?.key() else {
                    return None;
                };
                let passphrase = passphrases.get(k)?;
                Some(KeyRecord {
                    account,
                    secret,
                    passphrase,
                })
            })
        };
        match verified {
            Ok(a) => Some(a),
            Err(e) => return Ok(error(&e, state)),
        }
    } else {
        None
    };
    let result = routes::route(&shared, &method, &path, &query, &body, account, now);
    if matches!(method, Method::POST | Method::DELETE) && path.contains("order") {
        let delay = *lock(&shared.ack_delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    let text = |r: &Result<Value, KuCoinError>| match r {
        Ok(v) => v.to_string(),
        Err(e) => e.body(),
    };
    Ok(match fault {
        Some(HttpFault::LostAck) => return Err(Dropped),
        Some(HttpFault::TruncatedJson) => {
            let t = text(&result);
            respond(200, t[..t.len() / 2].to_string(), state)
        }
        Some(HttpFault::HugeNumbers) => {
            let huge = "99999999999999999999999999999999999999999";
            let t = text(&result)
                .replace("\"available\":\"", &format!("\"available\":\"{huge}"))
                .replace("\"balance\":\"", &format!("\"balance\":\"{huge}"))
                .replace("\"dealSize\":\"", "\"dealSize\":\"1e400");
            respond(200, t, state)
        }
        Some(HttpFault::UnknownFields) => match result {
            Ok(v) => respond(200, with_unknown_fields(v).to_string(), state),
            Err(e) => error(&e, state),
        },
        _ => match result {
            Ok(v) => respond(200, v.to_string(), state),
            Err(e) => error(&e, state),
        },
    })
}
