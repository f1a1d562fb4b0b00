//! The REST client every exchange uses: rate limiting before each request, signing after the wait
//! (so timestamps are fresh), backoff on HTTP 429/418 honouring `Retry-After` (logged), clock-offset
//! sync before the first signed request, every [`SYNC_INTERVAL`](super::clock::SYNC_INTERVAL) and (with one retry) after a
//! timestamp error, and typed errors for exchange error bodies and for bodies that are not what the
//! API returns (an HTML error page from a proxy).
//!
//! No request waits without bound: each has a deadline ([`RestClient::max_wait`], at most
//! [`MAX_WAIT`] by default, or shorter per request with [`ApiRequest::max_wait`]); a request whose
//! turn at the limiter (or the end of a ban) comes later fails at once with
//! [`CexError::Throttled`], carrying the remaining time.
//!
//! Signed and keyed requests carry credentials in the query string (`signature`, `listenKey`), and
//! `reqwest` quotes the full URL in its errors: errors are taken without their URL
//! (`reqwest::Error::without_url`), show the endpoint without its query, and any remaining trace
//! of the query is scrubbed, so no error or log line carries it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use tokio::time::Instant;

use super::clock::{ServerClock, local_ms};
use super::error::{ApiErrorKind, CexError};
use super::rate_limit::{MAX_WAIT, RateLimiter};
use super::sign::{NonceSource, SignRequest, Signer, encode_pairs};

/// Query parameters whose values are credentials (never shown in an error or a log).
const SECRET_PARAMS: &[&str] = &["signature", "listenKey"];

/// Removes every trace of `query` (the whole string, and the values of [`SECRET_PARAMS`], raw or
/// percent-decoded) from a text about a request.
fn scrub_query(text: &str, query: &str) -> String {
    let mut out = text.to_string();
    if query.is_empty() {
        return out;
    }
    out = out.replace(query, "…");
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if SECRET_PARAMS.contains(&k.as_ref()) && !v.is_empty() {
            out = out.replace(v.as_ref(), "…");
            let raw = url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            out = out.replace(&raw, "…");
        }
    }
    out
}

/// A `reqwest` error as text without its URL: the error and its causes, each once, with any trace
/// of `query` scrubbed.
fn describe(e: reqwest::Error, query: &str) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cur = std::error::Error::source(&e);
    while let Some(c) = cur {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cur = c.source();
    }
    scrub_query(&text, query)
}

/// Percent-encodes `k=v` pairs in order (UTF-8 bytes as `%XX`, space as `+`): the encoding the
/// signing recipes sign ([`encode_pairs`]).
pub fn encode_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    encode_pairs(params)
}

/// What differs between exchanges at the HTTP level (signing is the venue's
/// [`SigningRecipe`](super::sign::SigningRecipe), held by the client's [`Signer`]).
pub trait HttpProtocol: Send + Sync + fmt::Debug {
    /// The exchange's (code, message) in an error body, if the body is one.
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)>;
    /// What an error (HTTP status, the exchange's code and message) means: the venue's own
    /// table (its `errors.rs`). By default a 401 or 403 is an authentication error, anything
    /// else a plain refusal.
    fn classify_error(&self, status: u16, _code: i64, _msg: &str) -> ApiErrorKind {
        match status {
            401 | 403 => ApiErrorKind::Authentication,
            _ => ApiErrorKind::Rejected,
        }
    }
    /// The unsigned server-time request: path and its cost.
    fn server_time_path(&self) -> &'static str;
    fn server_time_cost(&self) -> Vec<(&'static str, u32)>;
    fn parse_server_time(&self, body: &[u8]) -> Option<i64>;
    /// Lets the limiter learn the exchange's own usage counters from response headers.
    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, limiter: &RateLimiter);
    /// Identifies the account on a request that carries the API key but no signature (Binance's
    /// `USER_STREAM` endpoints). Exchanges without such requests keep the default: nothing added.
    fn identify(&self, _signer: &Signer, _headers: &mut Vec<(&'static str, String)>) {}
}

/// A request body, sent (and signed) byte for byte as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// A JSON document (`Content-Type: application/json`).
    Json(String),
    /// An `application/x-www-form-urlencoded` body, already encoded.
    Form(String),
}

impl RequestBody {
    /// A form body of these pairs, encoded as queries are ([`encode_pairs`]).
    pub fn form<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Self {
        RequestBody::Form(encode_pairs(pairs))
    }

    /// A JSON body or, when `text` does not start with `{` or `[`, a form body.
    pub fn guess(text: &str) -> Self {
        if text.trim_start().starts_with(['{', '[']) {
            RequestBody::Json(text.to_string())
        } else {
            RequestBody::Form(text.to_string())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            RequestBody::Json(s) | RequestBody::Form(s) => s.as_bytes(),
        }
    }

    pub fn content_type(&self) -> &'static str {
        match self {
            RequestBody::Json(_) => "application/json",
            RequestBody::Form(_) => "application/x-www-form-urlencoded",
        }
    }
}

/// One API call.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    /// Parameters, sent percent-encoded in the query string, in this order.
    pub params: Vec<(String, String)>,
    /// The body, if the call has one (JSON or form).
    pub body: Option<RequestBody>,
    pub signed: bool,
    /// Carries the API key but no signature (see [`HttpProtocol::identify`]).
    pub keyed: bool,
    /// Rate-limit cost: (counter, units) on each counter it uses.
    pub costs: Vec<(&'static str, u32)>,
    /// Longest this request may wait for the limiter (shorter than the client's to fail faster).
    pub max_wait: Option<Duration>,
}

impl ApiRequest {
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_string(),
            params: Vec::new(),
            body: None,
            signed: false,
            keyed: false,
            costs: Vec::new(),
            max_wait: None,
        }
    }

    /// Fails with [`CexError::Throttled`] rather than wait longer than `d` for the rate limit
    /// (a cancel behind a long ban, say).
    pub fn max_wait(mut self, d: Duration) -> Self {
        self.max_wait = Some(d);
        self
    }

    pub fn param(mut self, k: &str, v: impl ToString) -> Self {
        self.params.push((k.to_string(), v.to_string()));
        self
    }

    /// Sends `body` (JSON or form) with the request.
    pub fn body(mut self, body: RequestBody) -> Self {
        self.body = Some(body);
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

/// The scheme, host and optional port requests go to, and the host as signed (`host[:port]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base_url: String,
    host: String,
}

impl Endpoint {
    /// `base_url` without a trailing `/`; its host is empty when it is not a URL.
    pub fn new(base_url: &str) -> Self {
        let base_url = base_url.trim_end_matches('/').to_string();
        let host = url::Url::parse(&base_url)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_string();
                Some(match u.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                })
            })
            .unwrap_or_default();
        Self { base_url, host }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn host(&self) -> &str {
        &self.host
    }
}

/// A request as it goes on the wire: what [`RestClient`] sends and `sluice keys sign` prints.
#[derive(Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    pub method: Method,
    /// The full URL, query included.
    pub url: String,
    /// The encoded query (no `?`), signature parameters included.
    pub query: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

/// Method and URL without the query: the query and headers may carry credentials.
impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("endpoint", &endpoint)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// Builds the wire form of `req` at `time_ms` (the exchange's clock): a signed request is signed
/// by `signer` over its method, host, path, query and body; a keyed one carries the API key as
/// `protocol` says (a keyed request without a protocol is refused). The one path every request takes, live or printed by `sluice keys sign`.
pub fn prepare_request(
    endpoint: &Endpoint,
    protocol: Option<&dyn HttpProtocol>,
    signer: Option<&Signer>,
    req: &ApiRequest,
    time_ms: i64,
    nonce: NonceSource,
) -> Result<PreparedRequest, CexError> {
    let mut query = encode_pairs(&req.params);
    let mut headers = Vec::new();
    let mut body = req.body.as_ref().map(|b| b.as_bytes().to_vec());
    if let Some(b) = &req.body {
        headers.push(("Content-Type", b.content_type().to_string()));
    }
    if req.signed {
        let signer = signer.ok_or_else(|| {
            CexError::Invalid(format!("{} needs API keys; none are configured", req.path))
        })?;
        let time_ms = u64::try_from(time_ms).map_err(|_| {
            CexError::Invalid(format!("cannot sign for a time before 1970 ({time_ms} ms)"))
        })?;
        let sreq = SignRequest {
            method: req.method.clone(),
            host: endpoint.host(),
            path: &req.path,
            query: &req.params,
            encoded: Some(&query),
            body: body.as_deref().unwrap_or_default(),
            time_ms,
            nonce,
        };
        let parts = signer.sign(&sreq)?;
        headers.extend(parts.headers);
        let added = match parts.encoded_query {
            Some(encoded) => encoded,
            None => encode_pairs(&parts.query),
        };
        if !added.is_empty() {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&added);
        }
        if let Some(b) = parts.body {
            body = Some(b);
        }
    } else if req.keyed {
        let signer = signer.ok_or_else(|| {
            CexError::Invalid(format!("{} needs an API key; none is configured", req.path))
        })?;
        let protocol = protocol.ok_or_else(|| {
            CexError::Invalid(format!(
                "{} is keyed and this venue has no keyed requests",
                req.path
            ))
        })?;
        protocol.identify(signer, &mut headers);
    }
    let mut url =
        String::with_capacity(endpoint.base_url().len() + req.path.len() + 1 + query.len());
    url.push_str(endpoint.base_url());
    url.push_str(&req.path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    Ok(PreparedRequest {
        method: req.method.clone(),
        url,
        query,
        headers,
        body,
    })
}

/// A REST client for one exchange endpoint and account.
#[derive(Debug, Clone)]
pub struct RestClient {
    http: reqwest::Client,
    endpoint: Endpoint,
    protocol: Arc<dyn HttpProtocol>,
    signer: Option<Arc<Signer>>,
    pub limiter: Arc<RateLimiter>,
    pub clock: Arc<ServerClock>,
    /// How many times a 429/418 or a failed GET is retried.
    pub max_retries: u32,
    pub timeout: Duration,
    /// Longest a request waits for the rate limiter, a `Retry-After` included, over all its
    /// attempts ([`MAX_WAIT`] by default); past it the request fails with
    /// [`CexError::Throttled`] or the exchange's 429/418 error.
    pub max_wait: Duration,
    /// One clock sync at a time.
    sync_lock: Arc<tokio::sync::Mutex<()>>,
    /// Capture mode ([`RestClient::capturing`]): GETs go out, the first other request is
    /// returned prepared and signed as [`CexError::Captured`] instead of being sent.
    capture: bool,
}

impl RestClient {
    pub fn new(
        base_url: &str,
        protocol: Arc<dyn HttpProtocol>,
        signer: Option<Arc<Signer>>,
        limiter: Arc<RateLimiter>,
    ) -> Result<Self, CexError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| CexError::Network {
                url: base_url.to_string(),
                detail: describe(e, ""),
            })?;
        Ok(Self {
            http,
            endpoint: Endpoint::new(base_url),
            protocol,
            signer,
            limiter,
            clock: Arc::new(ServerClock::new()),
            max_retries: 3,
            timeout: Duration::from_secs(10),
            max_wait: MAX_WAIT,
            sync_lock: Arc::new(tokio::sync::Mutex::new(())),
            capture: false,
        })
    }

    pub fn base_url(&self) -> &str {
        self.endpoint.base_url()
    }

    /// The wire form of `req` if it were sent at `time_ms` (see [`prepare_request`]).
    pub fn prepare(
        &self,
        req: &ApiRequest,
        time_ms: i64,
        nonce: NonceSource,
    ) -> Result<PreparedRequest, CexError> {
        prepare_request(
            &self.endpoint,
            Some(self.protocol.as_ref()),
            self.signer.as_deref(),
            req,
            time_ms,
            nonce,
        )
    }

    /// The same client (limiter, clock, signer shared) in capture mode, for dry runs: reads
    /// (GETs) are sent as usual, and the first state-changing request is prepared and signed
    /// exactly as it would be sent, then returned as [`CexError::Captured`] without being sent.
    pub fn capturing(&self) -> Self {
        Self {
            capture: true,
            ..self.clone()
        }
    }

    pub fn signer(&self) -> Option<&Arc<Signer>> {
        self.signer.as_ref()
    }

    /// Reads the exchange's clock and stores the offset to ours.
    pub async fn sync_clock(&self) -> Result<i64, CexError> {
        let mut req = ApiRequest::new(Method::GET, self.protocol.server_time_path());
        req.costs = self.protocol.server_time_cost();
        let sent = local_ms();
        self.clock.attempted(sent);
        let body = self.send_raw(&req, self.deadline(&req)).await?;
        let received = local_ms();
        let server = self
            .protocol
            .parse_server_time(&body)
            .ok_or_else(|| CexError::decode("server time", CexError::snippet(&body)))?;
        let offset = self.clock.update(server, sent, received)?;
        tracing::debug!(offset_ms = offset, "clock offset to {}", self.base_url());
        Ok(offset)
    }

    /// Syncs the clock if it never was, or not for
    /// [`SYNC_INTERVAL`](super::clock::SYNC_INTERVAL) (one sync at a time; a failed
    /// sync is logged, retried after a pause, and requests go on with the last offset: a
    /// timestamp the exchange refuses triggers a sync and one retry anyway).
    pub async fn ensure_clock_synced(&self) {
        if !self.clock.sync_due(local_ms()) {
            return;
        }
        let _one = self.sync_lock.lock().await;
        if !self.clock.sync_due(local_ms()) {
            return;
        }
        if let Err(e) = self.sync_clock().await {
            tracing::warn!(
                error = %e,
                "clock sync with {} failed; signing with the last known offset",
                self.base_url()
            );
        }
    }

    /// When a request started now must have passed the limiter.
    fn deadline(&self, req: &ApiRequest) -> Instant {
        let wait = req.max_wait.map_or(self.max_wait, |w| w.min(self.max_wait));
        let now = Instant::now();
        now.checked_add(wait).unwrap_or(now)
    }

    /// Sends a request with rate limiting, retries on 429/418 and on a timestamp error; never waits
    /// for the limiter past the request's deadline.
    pub async fn request(&self, req: &ApiRequest) -> Result<Bytes, CexError> {
        let deadline = self.deadline(req);
        let mut attempt = 0u32;
        let mut clock_retried = false;
        loop {
            if req.signed {
                self.ensure_clock_synced().await;
            }
            match self.send_raw(req, deadline).await {
                Ok(b) => return Ok(b),
                Err(
                    CexError::RateLimited { retry_after_ms } | CexError::Banned { retry_after_ms },
                ) if attempt < self.max_retries
                    && Duration::from_millis(retry_after_ms)
                        <= deadline.saturating_duration_since(Instant::now()) =>
                {
                    // send_raw already blocked the limiter and logged; the next acquire waits.
                    attempt += 1;
                }
                Err(CexError::Api {
                    code,
                    kind: ApiErrorKind::Timestamp,
                    ..
                }) if req.signed && !clock_retried => {
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
                    let backoff = Duration::from_millis(100)
                        .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX));
                    tracing::warn!(error = %e, "GET {} failed; retrying in {backoff:?}", req.path);
                    tokio::time::sleep(backoff).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn send_raw(&self, req: &ApiRequest, deadline: Instant) -> Result<Bytes, CexError> {
        self.limiter.acquire(&req.costs, deadline).await?;
        let prepared = self.prepare(req, self.clock.now_ms(), NonceSource::Derived)?;
        if self.capture && req.method != Method::GET {
            return Err(CexError::Captured(Box::new(prepared)));
        }
        let query = prepared.query;
        let mut rb = self
            .http
            .request(req.method.clone(), &prepared.url)
            .timeout(self.timeout);
        for (k, v) in prepared.headers {
            rb = rb.header(k, v);
        }
        if let Some(b) = prepared.body {
            rb = rb.body(b);
        }
        // Errors name the endpoint, never the query (it carries signatures and listenKeys).
        let shown_url = format!("{}{}", self.base_url(), req.path);
        // A reqwest error as a transport error of this endpoint (timeout or network).
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                CexError::Timeout(shown_url.clone())
            } else {
                CexError::Network {
                    url: shown_url.clone(),
                    detail: describe(e, &query),
                }
            }
        };
        let resp = rb.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        self.protocol.observe_headers(resp.headers(), &self.limiter);
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = resp.bytes().await.map_err(transport)?;
        if status == 429 || status == 418 {
            let secs = retry_after.unwrap_or(if status == 418 { 60 } else { 1 });
            let ms = secs.saturating_mul(1000);
            self.limiter.block_for(Duration::from_millis(ms));
            tracing::warn!(
                status,
                retry_after_s = secs,
                "{} {}: {} by the exchange; requests wait {secs} s as Retry-After says \
                 (or fail at once if their deadline comes sooner)",
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
            Some((code, msg)) => Err(CexError::Api {
                status,
                code,
                kind: self.protocol.classify_error(status, code, &msg),
                msg: scrub_query(&msg, &query),
            }),
            None => {
                let e = CexError::UnexpectedResponse {
                    url: shown_url,
                    status,
                    snippet: CexError::snippet(
                        scrub_query(&String::from_utf8_lossy(&body), &query).as_bytes(),
                    ),
                };
                tracing::error!(error = %e, "response is not an API error body");
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::exchanges::binance::api::BinanceProtocol;
    use crate::cex::rate_limit::RateLimit;

    /// A loopback port nothing listens on.
    fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }

    fn client(url: &str, limiter: Arc<RateLimiter>) -> RestClient {
        let protocol = Arc::new(BinanceProtocol {
            recv_window_ms: 5000,
        });
        RestClient::new(url, protocol, None, limiter).unwrap()
    }

    #[test]
    fn the_query_and_its_secret_values_are_scrubbed() {
        let query = "symbol=BTCUSDT&timestamp=1&signature=abc123def&listenKey=Key%2B42";
        let text = format!("GET /api?{query} failed; sig abc123def, key Key+42 or Key%2B42");
        let clean = scrub_query(&text, query);
        for secret in ["abc123def", "Key+42", "Key%2B42", query] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(clean.contains("failed"), "{clean}");
        assert_eq!(scrub_query("nothing", ""), "nothing");
    }

    #[tokio::test]
    async fn capture_mode_returns_a_state_changing_request_unsent_and_sends_reads() {
        let base = format!("http://127.0.0.1:{}", closed_port());
        let rest = client(&base, Arc::new(RateLimiter::new(&[]))).capturing();
        let post = ApiRequest::new(Method::POST, "/api/v3/order").param("symbol", "BTCUSDT");
        match rest.request(&post).await {
            Err(CexError::Captured(p)) => {
                assert_eq!(p.method, Method::POST);
                assert_eq!(p.url, format!("{base}/api/v3/order?symbol=BTCUSDT"));
                let e = CexError::Captured(p);
                assert!(e.to_string().starts_with("dry run: POST"), "{e}");
                assert!(!e.to_string().contains("symbol="), "{e}");
            }
            other => panic!("expected the captured request: {other:?}"),
        }
        // a read goes out (and meets the closed port)
        let get = ApiRequest::new(Method::GET, "/api/v3/ping");
        assert!(matches!(
            rest.request(&get).await,
            Err(CexError::Network { .. })
        ));
    }

    #[tokio::test]
    async fn reqwest_errors_lose_their_url() {
        let query = "listenKey=SECRETLISTENKEY42&signature=SECRETSIGNATURE42";
        let url = format!(
            "http://127.0.0.1:{}/api/v3/userDataStream?{query}",
            closed_port()
        );
        let e = reqwest::Client::new().put(&url).send().await.unwrap_err();
        assert!(
            e.to_string().contains("SECRETLISTENKEY42"),
            "reqwest quotes the URL: {e}"
        );
        let text = describe(e, query);
        assert!(
            !text.contains("SECRET") && !text.contains("userDataStream"),
            "{text}"
        );
        assert!(text.contains("error sending request"), "{text}");
    }

    #[tokio::test]
    async fn a_long_ban_fails_requests_at_once_with_the_remaining_time() {
        let limiter = Arc::new(RateLimiter::new(&[RateLimit::new(
            "W",
            Duration::from_secs(60),
            10,
        )]));
        let rest = client(
            &format!("http://127.0.0.1:{}", closed_port()),
            limiter.clone(),
        );
        assert_eq!(rest.max_wait, MAX_WAIT);
        limiter.block_for(Duration::from_secs(3600));
        let started = Instant::now();
        let req = ApiRequest::new(Method::GET, "/api/v3/ping").cost("W", 1);
        match rest.request(&req).await {
            Err(CexError::Throttled(r)) => {
                assert!(r.retry_after > Duration::from_secs(3590), "{r:?}")
            }
            other => panic!("expected a fast rate-limit error: {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "waited {:?}",
            started.elapsed()
        );
        let venue: crate::venue::VenueError =
            CexError::Throttled(crate::cex::rate_limit::RateLimited {
                retry_after: Duration::from_secs(5),
            })
            .into();
        assert!(
            matches!(
                venue,
                crate::venue::VenueError::RateLimited {
                    retry_after_ms: Some(5000)
                }
            ),
            "{venue:?}"
        );
    }

    #[tokio::test]
    async fn a_request_deadline_shorter_than_the_block_fails_and_a_longer_one_waits() {
        let limiter = Arc::new(RateLimiter::new(&[]));
        let rest = client(
            &format!("http://127.0.0.1:{}", closed_port()),
            limiter.clone(),
        );
        limiter.block_for(Duration::from_millis(300));
        let quick =
            ApiRequest::new(Method::DELETE, "/api/v3/order").max_wait(Duration::from_millis(50));
        let started = Instant::now();
        assert!(matches!(
            rest.request(&quick).await,
            Err(CexError::Throttled(_))
        ));
        assert!(started.elapsed() < Duration::from_millis(200));
        // the same request allowed to wait goes out after the block (and meets the closed port)
        let patient = ApiRequest::new(Method::DELETE, "/api/v3/order");
        match rest.request(&patient).await {
            Err(CexError::Network { detail, .. }) => assert!(!detail.is_empty()),
            other => panic!("expected the network error after the wait: {other:?}"),
        }
        assert!(
            started.elapsed() >= Duration::from_millis(280),
            "{:?}",
            started.elapsed()
        );
    }
}
