//! The REST client every exchange uses: rate limiting before each request, signing after the wait
//! (so timestamps are fresh), backoff on HTTP 429/418 honouring `Retry-After` (logged), clock-offset
//! sync with one retry on a timestamp error, and typed errors for exchange error bodies and for
//! bodies that are not what the API returns (an HTML error page from a proxy).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;

use super::auth::RequestSigner;
use super::clock::{ServerClock, local_ms};
use super::error::CexError;
use super::rate_limit::RateLimiter;

/// Percent-encodes `k=v` pairs in order (UTF-8 bytes as `%XX`, space as `+`).
pub fn encode_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k.as_ref(), v.as_ref());
    }
    s.finish()
}

/// What differs between exchanges at the HTTP level.
pub trait HttpProtocol: Send + Sync + fmt::Debug {
    /// Adds authentication to a signed request: extends the query and/or adds headers.
    fn authenticate(
        &self,
        signer: &dyn RequestSigner,
        query: &mut String,
        headers: &mut Vec<(&'static str, String)>,
        server_now_ms: i64,
    );
    /// The exchange's (code, message) in an error body, if the body is one.
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)>;
    /// Whether an error code means "your timestamp is outside the window".
    fn is_timestamp_error(&self, code: i64) -> bool;
    /// The unsigned server-time request: path and its cost.
    fn server_time_path(&self) -> &'static str;
    fn server_time_cost(&self) -> Vec<(&'static str, u32)>;
    fn parse_server_time(&self, body: &[u8]) -> Option<i64>;
    /// Lets the limiter learn the exchange's own usage counters from response headers.
    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, limiter: &RateLimiter);
    /// Identifies the account on a request that carries the API key but no signature (Binance's
    /// `USER_STREAM` endpoints). Exchanges without such requests keep the default: nothing added.
    fn identify(&self, _signer: &dyn RequestSigner, _headers: &mut Vec<(&'static str, String)>) {}
}

/// One API call.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    /// Parameters, sent percent-encoded in the query string, in this order.
    pub params: Vec<(String, String)>,
    pub signed: bool,
    /// Carries the API key but no signature (see [`HttpProtocol::identify`]).
    pub keyed: bool,
    /// Rate-limit cost: (counter, units) on each counter it uses.
    pub costs: Vec<(&'static str, u32)>,
}

impl ApiRequest {
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_string(),
            params: Vec::new(),
            signed: false,
            keyed: false,
            costs: Vec::new(),
        }
    }

    pub fn param(mut self, k: &str, v: impl ToString) -> Self {
        self.params.push((k.to_string(), v.to_string()));
        self
    }

    pub fn signed(mut self) -> Self {
        self.signed = true;
        self
    }

    /// Sends the API key without signing (timestamp and signature are not added).
    pub fn keyed(mut self) -> Self {
        self.keyed = true;
        self
    }

    pub fn cost(mut self, counter: &'static str, units: u32) -> Self {
        self.costs.push((counter, units));
        self
    }

    fn is_idempotent(&self) -> bool {
        self.method == Method::GET
    }
}

/// A REST client for one exchange endpoint and account.
#[derive(Debug, Clone)]
pub struct RestClient {
    http: reqwest::Client,
    base_url: String,
    protocol: Arc<dyn HttpProtocol>,
    signer: Option<Arc<dyn RequestSigner>>,
    pub limiter: Arc<RateLimiter>,
    pub clock: Arc<ServerClock>,
    /// How many times a 429/418 or a failed GET is retried.
    pub max_retries: u32,
    pub timeout: Duration,
    /// Longest `Retry-After` waited out before giving up with an error.
    pub max_retry_after: Duration,
}

impl RestClient {
    pub fn new(
        base_url: &str,
        protocol: Arc<dyn HttpProtocol>,
        signer: Option<Arc<dyn RequestSigner>>,
        limiter: Arc<RateLimiter>,
    ) -> Result<Self, CexError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| CexError::Network {
                url: base_url.to_string(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            protocol,
            signer,
            limiter,
            clock: Arc::new(ServerClock::new()),
            max_retries: 3,
            timeout: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn signer(&self) -> Option<&Arc<dyn RequestSigner>> {
        self.signer.as_ref()
    }

    /// Reads the exchange's clock and stores the offset to ours.
    pub async fn sync_clock(&self) -> Result<i64, CexError> {
        let mut req = ApiRequest::new(Method::GET, self.protocol.server_time_path());
        req.costs = self.protocol.server_time_cost();
        let sent = local_ms();
        let body = self.send_once(&req).await?;
        let received = local_ms();
        let server = self
            .protocol
            .parse_server_time(&body)
            .ok_or_else(|| CexError::decode("server time", CexError::snippet(&body)))?;
        let offset = self.clock.update(server, sent, received);
        tracing::debug!(offset_ms = offset, "clock offset to {}", self.base_url);
        Ok(offset)
    }

    /// Sends a request with rate limiting, retries on 429/418 and on a timestamp error.
    pub async fn request(&self, req: &ApiRequest) -> Result<Bytes, CexError> {
        let mut attempt = 0;
        let mut clock_retried = false;
        loop {
            match self.send_once(req).await {
                Ok(b) => return Ok(b),
                Err(
                    CexError::RateLimited { retry_after_ms } | CexError::Banned { retry_after_ms },
                ) if attempt < self.max_retries
                    && Duration::from_millis(retry_after_ms) <= self.max_retry_after =>
                {
                    // send_once already blocked the limiter and logged; the next acquire waits.
                    attempt += 1;
                }
                Err(CexError::Api { code, .. })
                    if req.signed && !clock_retried && self.protocol.is_timestamp_error(code) =>
                {
                    clock_retried = true;
                    tracing::warn!(
                        code,
                        path = %req.path,
                        "timestamp rejected by the exchange; syncing the clock and retrying once"
                    );
                    self.sync_clock().await?;
                }
                Err(e @ (CexError::Network { .. } | CexError::Timeout(_)))
                    if req.is_idempotent() && attempt < self.max_retries =>
                {
                    attempt += 1;
                    let backoff = Duration::from_millis(100 * 2u64.pow(attempt));
                    tracing::warn!(error = %e, "GET {} failed; retrying in {backoff:?}", req.path);
                    tokio::time::sleep(backoff).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn send_once(&self, req: &ApiRequest) -> Result<Bytes, CexError> {
        self.limiter.acquire(&req.costs).await;
        let mut query = encode_query(&req.params);
        let mut headers = Vec::new();
        if req.signed {
            let signer = self.signer.as_ref().ok_or_else(|| {
                CexError::Invalid(format!("{} needs API keys; none are configured", req.path))
            })?;
            self.protocol.authenticate(
                signer.as_ref(),
                &mut query,
                &mut headers,
                self.clock.now_ms(),
            );
        } else if req.keyed {
            let signer = self.signer.as_ref().ok_or_else(|| {
                CexError::Invalid(format!("{} needs an API key; none is configured", req.path))
            })?;
            self.protocol.identify(signer.as_ref(), &mut headers);
        }
        let url = if query.is_empty() {
            format!("{}{}", self.base_url, req.path)
        } else {
            format!("{}{}?{}", self.base_url, req.path, query)
        };
        let mut rb = self
            .http
            .request(req.method.clone(), &url)
            .timeout(self.timeout);
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        let shown_url = format!("{}{}", self.base_url, req.path);
        let resp = rb.send().await.map_err(|e| {
            if e.is_timeout() {
                CexError::Timeout(shown_url.clone())
            } else {
                CexError::Network {
                    url: shown_url.clone(),
                    detail: e.to_string(),
                }
            }
        })?;
        let status = resp.status().as_u16();
        self.protocol.observe_headers(resp.headers(), &self.limiter);
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = resp.bytes().await.map_err(|e| CexError::Network {
            url: shown_url.clone(),
            detail: e.to_string(),
        })?;
        if status == 429 || status == 418 {
            let secs = retry_after.unwrap_or(if status == 418 { 60 } else { 1 });
            let ms = secs.saturating_mul(1000);
            self.limiter.block_for(Duration::from_millis(ms));
            tracing::warn!(
                status,
                retry_after_s = secs,
                "{} {}: {} by the exchange; waiting {secs} s as Retry-After says",
                req.method,
                req.path,
                if status == 418 {
                    "IP banned"
                } else {
                    "rate limited"
                }
            );
            return Err(if status == 418 {
                CexError::Banned { retry_after_ms: ms }
            } else {
                CexError::RateLimited { retry_after_ms: ms }
            });
        }
        if (200..300).contains(&status) {
            return Ok(body);
        }
        match self.protocol.parse_error(&body) {
            Some((code, msg)) => Err(CexError::Api { status, code, msg }),
            None => {
                let e = CexError::UnexpectedResponse {
                    url: shown_url,
                    status,
                    snippet: CexError::snippet(&body),
                };
                tracing::error!(error = %e, "response is not an API error body");
                Err(e)
            }
        }
    }
}
