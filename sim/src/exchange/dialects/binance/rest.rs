//! The mock's REST API (HTTP/1.1 on 127.0.0.1): Binance's `/api/v3` endpoints with their request
//! weights, signed-endpoint authentication, rate-limit headers, and injected HTTP faults.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::auth;
use super::error::ApiError;
use super::params::Params;
use super::shapes::{
    AccountJson, LimitsJson, OrderJson, SymbolJson, TradeJson, levels_json as snapshot_levels_json,
};
use super::shared::{HttpFault, Shared};
use crate::exchange::engine::error::{EngineError, Operation};

/// Path of the legacy listenKey endpoints.
const LISTEN_KEY_PATH: &str = "/api/v3/userDataStream";

/// The endpoints served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Ping,
    Time,
    ExchangeInfo,
    Depth,
    Trades,
    NewOrder,
    CancelOrder,
    CancelAll,
    QueryOrder,
    OrderRateLimit,
    OpenOrders,
    Account,
    MyTrades,
    /// Legacy listenKey endpoints (`X-MBX-APIKEY`, no signature).
    ListenKeyCreate,
    ListenKeyKeepAlive,
    ListenKeyClose,
}

impl Endpoint {
    fn route(method: &Method, path: &str) -> Option<Self> {
        Some(match (method.as_str(), path) {
            ("GET", "/api/v3/ping") => Endpoint::Ping,
            ("GET", "/api/v3/time") => Endpoint::Time,
            ("GET", "/api/v3/exchangeInfo") => Endpoint::ExchangeInfo,
            ("GET", "/api/v3/depth") => Endpoint::Depth,
            ("GET", "/api/v3/trades") => Endpoint::Trades,
            ("POST", "/api/v3/order") => Endpoint::NewOrder,
            ("DELETE", "/api/v3/order") => Endpoint::CancelOrder,
            ("DELETE", "/api/v3/openOrders") => Endpoint::CancelAll,
            ("GET", "/api/v3/rateLimit/order") => Endpoint::OrderRateLimit,
            ("GET", "/api/v3/order") => Endpoint::QueryOrder,
            ("GET", "/api/v3/openOrders") => Endpoint::OpenOrders,
            ("GET", "/api/v3/account") => Endpoint::Account,
            ("GET", "/api/v3/myTrades") => Endpoint::MyTrades,
            ("POST", LISTEN_KEY_PATH) => Endpoint::ListenKeyCreate,
            ("PUT", LISTEN_KEY_PATH) => Endpoint::ListenKeyKeepAlive,
            ("DELETE", LISTEN_KEY_PATH) => Endpoint::ListenKeyClose,
            _ => return None,
        })
    }

    fn signed(self) -> bool {
        matches!(
            self,
            Endpoint::NewOrder
                | Endpoint::CancelOrder
                | Endpoint::CancelAll
                | Endpoint::OrderRateLimit
                | Endpoint::QueryOrder
                | Endpoint::OpenOrders
                | Endpoint::Account
                | Endpoint::MyTrades
        )
    }

    /// Carries the API key but no signature (Binance's `USER_STREAM` security type).
    fn keyed(self) -> bool {
        matches!(
            self,
            Endpoint::ListenKeyCreate | Endpoint::ListenKeyKeepAlive | Endpoint::ListenKeyClose
        )
    }

    /// Order placement and cancel: weight 0 when they succeed, 1 when they fail (Binance,
    /// 2026-04-02).
    fn weight_on_success_only(self) -> bool {
        matches!(
            self,
            Endpoint::NewOrder | Endpoint::CancelOrder | Endpoint::CancelAll
        )
    }

    /// Request weight (Binance's documented values).
    fn weight(self, params: &Params) -> u64 {
        match self {
            Endpoint::Ping | Endpoint::Time => 1,
            Endpoint::ExchangeInfo => 20,
            Endpoint::Depth => match params
                .get("limit")
                .and_then(|l| l.parse::<u64>().ok())
                .unwrap_or(100)
            {
                0..=100 => 5,
                101..=500 => 25,
                501..=1000 => 50,
                _ => 250,
            },
            Endpoint::Trades => 25,
            Endpoint::NewOrder | Endpoint::CancelOrder | Endpoint::CancelAll => 0,
            Endpoint::OrderRateLimit => 40,
            Endpoint::QueryOrder => 4,
            Endpoint::OpenOrders => {
                if params.get("symbol").is_some() {
                    6
                } else {
                    80
                }
            }
            Endpoint::Account => 20,
            Endpoint::ListenKeyCreate | Endpoint::ListenKeyKeepAlive | Endpoint::ListenKeyClose => {
                2
            }
            Endpoint::MyTrades => {
                if params.get("orderId").is_some() {
                    5
                } else {
                    20
                }
            }
        }
    }
}

/// Serves one HTTP request.
pub async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let api_key = req
        .headers()
        .get("X-MBX-APIKEY")
        .map(|v| v.to_str().map(str::to_string).map_err(|_| ()));
    let body = match req.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    if let Some(fault) = shared.next_http_fault() {
        return Ok(fault_response(&shared, &fault));
    }
    if path == LISTEN_KEY_PATH && !shared.user_streams.listen_keys {
        // Binance.com since 2026-02-20: the gateway answers, the API is never reached.
        return Ok(gone_response());
    }
    let Some(endpoint) = Endpoint::route(&method, &path) else {
        return Ok(json_response(
            404,
            &json!({"code": -1000, "msg": "Unknown endpoint."}),
            &[],
        ));
    };
    let outcome = serve(&shared, endpoint, &query, &body, api_key);
    let now = shared.now_ms();
    let mut headers = Vec::new();
    let response = match outcome {
        Ok((value, order_counts)) => {
            if let Some((c10, cday)) = order_counts {
                headers.push(("X-MBX-ORDER-COUNT-10S", c10.to_string()));
                headers.push(("X-MBX-ORDER-COUNT-1D", cday.to_string()));
            }
            (200, value)
        }
        Err(Failure { error, retry_after }) => {
            if endpoint.weight_on_success_only() && retry_after.is_none() {
                shared.limiter().charge(now, 1);
            }
            if let Some(secs) = retry_after {
                headers.push(("Retry-After", secs.to_string()));
            }
            (error.status, error.body())
        }
    };
    let used = shared.limiter().used_weight(now);
    headers.push(("X-MBX-USED-WEIGHT-1M", used.to_string()));
    if endpoint.weight_on_success_only() {
        let delay = shared.ack_delay();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    Ok(json_response(response.0, &response.1, &headers))
}

/// An API error, with `Retry-After` for rate-limit rejections.
struct Failure {
    error: ApiError,
    retry_after: Option<u64>,
}

impl From<EngineError> for Failure {
    fn from(error: EngineError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

type Served = Result<(Value, Option<(u64, u64)>), Failure>;

fn serve(
    shared: &Shared,
    endpoint: Endpoint,
    query: &str,
    body: &str,
    api_key: Option<Result<String, ()>>,
) -> Served {
    let params = Params::parse(query, body)?;
    let now = shared.now_ms();
    shared
        .limiter()
        .admit(now, endpoint.weight(&params))
        .map_err(|r| Failure {
            error: r.into(),
            retry_after: Some(r.retry_after_secs),
        })?;
    let account = if endpoint.signed() {
        Some(authenticate(shared, query, body, &params, api_key)?)
    } else if endpoint.keyed() {
        Some(key_account(shared, api_key)?)
    } else {
        None
    };
    match (endpoint, account) {
        (Endpoint::Ping, _) => Ok((json!({}), None)),
        (Endpoint::Time, _) => Ok((json!({ "serverTime": now }), None)),
        (Endpoint::ExchangeInfo, _) => Ok((exchange_info(shared, &params, now)?, None)),
        (Endpoint::Depth, _) => Ok((depth(shared, &params)?, None)),
        (Endpoint::Trades, _) => Ok((trades(shared, &params)?, None)),
        (Endpoint::NewOrder, Some(acct)) => new_order(shared, &params, acct),
        (Endpoint::CancelOrder, Some(acct)) => {
            let symbol = params.symbol()?;
            let (order_id, client_id) = order_ref(&params)?;
            let new_client = params.client_id("newClientOrderId")?;
            let mut ex = shared.exchange();
            let c = ex.cancel(
                acct,
                &symbol,
                order_id,
                client_id.as_deref(),
                new_client,
                now,
            )?;
            let order = ex
                .orders
                .get(&c.id)
                .ok_or(EngineError::UnknownOrder(Operation::Cancel))?;
            Ok((order.cancel_json(&c.cancel_client_id, now), None))
        }
        (Endpoint::CancelAll, Some(acct)) => {
            let symbol = params.symbol()?;
            let mut ex = shared.exchange();
            let canceled = ex.cancel_all(acct, &symbol, now)?;
            let out: Vec<Value> = canceled
                .iter()
                .filter_map(|c| {
                    let o = ex.orders.get(&c.id)?;
                    Some(o.cancel_json(&c.cancel_client_id, now))
                })
                .collect();
            Ok((Value::Array(out), None))
        }
        (Endpoint::OrderRateLimit, Some(acct)) => {
            let mut limiter = shared.limiter();
            let (c10, cday) = limiter.order_counts(acct, now);
            let l = limiter.limits();
            let value = json!([
                { "rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                  "limit": l.orders_per_10s, "count": c10 },
                { "rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1,
                  "limit": l.orders_per_day, "count": cday }
            ]);
            Ok((value, None))
        }
        (Endpoint::QueryOrder, Some(acct)) => {
            let symbol = params.symbol()?;
            let (order_id, client_id) = order_ref(&params)?;
            let ex = shared.exchange();
            Ok((
                ex.query(acct, &symbol, order_id, client_id.as_deref())?
                    .query_json(),
                None,
            ))
        }
        (Endpoint::OpenOrders, Some(acct)) => {
            let ex = shared.exchange();
            let symbol = params.get("symbol");
            if let Some(s) = symbol {
                ex.spec(s)?;
            }
            let list: Vec<Value> = ex
                .open_orders(acct, symbol)
                .iter()
                .map(|o| o.query_json())
                .collect();
            Ok((Value::Array(list), None))
        }
        (Endpoint::Account, Some(acct)) => {
            let ex = shared.exchange();
            let omit = params.get("omitZeroBalances") == Some("true");
            let (maker, taker) = ex
                .specs
                .values()
                .next()
                .map(|s| (s.maker_fee, s.taker_fee))
                .unwrap_or_default();
            let a = ex
                .accounts
                .get(acct)
                .ok_or_else(ApiError::rejected_api_key)?;
            Ok((a.account_json(now, omit, maker, taker), None))
        }
        (Endpoint::MyTrades, Some(acct)) => Ok((my_trades(shared, &params, acct)?, None)),
        (Endpoint::ListenKeyCreate, Some(acct)) => {
            let validity = shared.user_streams.listen_key_validity;
            let key = shared.listen_keys().create(acct, now, validity);
            Ok((json!({ "listenKey": key }), None))
        }
        (Endpoint::ListenKeyKeepAlive, Some(acct)) => {
            let key = params.required("listenKey")?;
            let validity = shared.user_streams.listen_key_validity;
            shared.listen_keys().keep_alive(acct, key, now, validity)?;
            Ok((json!({}), None))
        }
        (Endpoint::ListenKeyClose, Some(acct)) => {
            let key = params.required("listenKey")?;
            shared.listen_keys().close(acct, key, now)?;
            Ok((json!({}), None))
        }
        (_, None) => Err(ApiError::rejected_api_key().into()),
    }
}

/// Authenticates a signed request; returns the account index.
fn authenticate(
    shared: &Shared,
    query: &str,
    body: &str,
    params: &Params,
    api_key: Option<Result<String, ()>>,
) -> Result<usize, ApiError> {
    let key = match api_key {
        Some(Ok(k)) if !k.is_empty() => k,
        _ => return Err(ApiError::bad_api_key_format()),
    };
    let timestamp = auth::parse_timestamp_us(params.required("timestamp")?)?;
    let recv_window = auth::parse_recv_window_us(params.get("recvWindow"))?;
    let (payload, signature) = auth::split_signature(query, body);
    let ex = shared.exchange();
    let account = *ex.keys.get(&key).ok_or_else(ApiError::rejected_api_key)?;
    auth::check_timing(timestamp, recv_window, shared.now_us())?;
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::mandatory("signature"))?;
    let verified = ex
        .accounts
        .get(account)
        .is_some_and(|a| auth::verify(a.key(), payload.as_bytes(), &signature, true));
    if !verified {
        return Err(ApiError::bad_signature());
    }
    Ok(account)
}

/// The account of a request that carries only the API key: missing or empty → -2014, unknown
/// → -2015 (both 401).
fn key_account(shared: &Shared, api_key: Option<Result<String, ()>>) -> Result<usize, ApiError> {
    let key = match api_key {
        Some(Ok(k)) if !k.is_empty() => k,
        _ => return Err(ApiError::bad_api_key_format()),
    };
    shared
        .exchange()
        .keys
        .get(&key)
        .copied()
        .ok_or_else(ApiError::rejected_api_key)
}

fn order_ref(params: &Params) -> Result<(Option<u64>, Option<String>), ApiError> {
    let order_id = params.u64("orderId")?;
    let client_id = params.get("origClientOrderId").map(str::to_string);
    if order_id.is_none() && client_id.is_none() {
        return Err(ApiError::one_of("orderId", "origClientOrderId"));
    }
    Ok((order_id, client_id))
}

fn new_order(shared: &Shared, params: &Params, account: usize) -> Served {
    let (req, resp_type) = params.new_order()?;
    let now = shared.now_ms();
    let mut ex = shared.exchange();
    ex.spec(&req.symbol)?;
    shared
        .limiter()
        .check_order(account, now)
        .map_err(|r| Failure {
            error: r.into(),
            retry_after: Some(r.retry_after_secs),
        })?;
    let placed = ex.place(account, req, now, true)?;
    let value = ex
        .orders
        .get(&placed.id)
        .ok_or(EngineError::UnknownOrder(Operation::Place))?
        .new_order_response(resp_type, now, &placed.fills);
    let mut limiter = shared.limiter();
    limiter.count_order(account, now);
    // An order that traded at once gives its slot back straight away.
    for acct in ex.first_fills.drain(..) {
        limiter.uncount_order(acct, now);
    }
    let counts = limiter.order_counts(account, now);
    Ok((value, Some(counts)))
}

fn exchange_info(shared: &Shared, params: &Params, now: u64) -> Result<Value, ApiError> {
    let ex = shared.exchange();
    let wanted: Option<Vec<String>> = if let Some(s) = params.get("symbol") {
        Some(vec![s.to_string()])
    } else if let Some(list) = params.get("symbols") {
        Some(serde_json::from_str(list).map_err(|_| ApiError::invalid_parameter("symbols"))?)
    } else {
        None
    };
    let symbols: Vec<Value> = match wanted {
        Some(list) => list
            .iter()
            .map(|s| ex.listed_spec(s).map(|spec| spec.exchange_info_json()))
            .collect::<Result<_, _>>()?,
        None => ex
            .specs
            .keys()
            .map(|s| ex.listed_spec(s).map(|spec| spec.exchange_info_json()))
            .collect::<Result<_, _>>()?,
    };
    let limits = shared.limiter().limits().exchange_info_json();
    Ok(json!({
        "timezone": "UTC",
        "serverTime": now,
        "rateLimits": limits,
        "exchangeFilters": [],
        "symbols": symbols
    }))
}

fn depth(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let symbol = params.symbol()?;
    let limit = params.u64("limit")?.unwrap_or(100).clamp(1, 5000) as usize;
    let ex = shared.exchange();
    ex.spec(&symbol)?;
    let book = ex.books.get(&symbol).ok_or_else(ApiError::invalid_symbol)?;
    let (bids, asks) = book.levels(limit);
    Ok(json!({
        "lastUpdateId": book.update_id,
        "bids": snapshot_levels_json(&bids),
        "asks": snapshot_levels_json(&asks)
    }))
}

fn trades(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let symbol = params.symbol()?;
    let limit = params.u64("limit")?.unwrap_or(500).clamp(1, 1000) as usize;
    let ex = shared.exchange();
    ex.spec(&symbol)?;
    let list = ex
        .trades
        .get(&symbol)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let start = list.len().saturating_sub(limit);
    Ok(Value::Array(
        list.iter().skip(start).map(|t| t.public_json()).collect(),
    ))
}

fn my_trades(shared: &Shared, params: &Params, account: usize) -> Result<Value, ApiError> {
    let symbol = params.symbol()?;
    let order_id = params.u64("orderId")?;
    let from_id = params.u64("fromId")?;
    let start_time = params.u64("startTime")?;
    let end_time = params.u64("endTime")?;
    let limit = params.u64("limit")?.unwrap_or(500).clamp(1, 1000) as usize;
    let ex = shared.exchange();
    ex.spec(&symbol)?;
    let mut out = Vec::new();
    for t in ex
        .trades
        .get(&symbol)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if from_id.is_some_and(|f| t.id < f)
            || start_time.is_some_and(|s| t.time < s)
            || end_time.is_some_and(|e| t.time > e)
        {
            continue;
        }
        for (as_buyer, (oid, acct)) in [(true, t.buyer), (false, t.seller)] {
            if acct == account && order_id.is_none_or(|o| o == oid) {
                out.push(t.account_json(as_buyer));
            }
        }
    }
    let out: Vec<Value> = if from_id.is_some() || start_time.is_some() {
        out.into_iter().take(limit).collect()
    } else {
        let skip = out.len().saturating_sub(limit);
        out.into_iter().skip(skip).collect()
    };
    Ok(Value::Array(out))
}

fn fault_response(shared: &Shared, fault: &HttpFault) -> Response<Full<Bytes>> {
    match fault {
        HttpFault::TooManyRequests { retry_after_secs } => {
            let limit = shared.limiter().limits().request_weight_per_minute;
            let err = ApiError::too_much_weight(limit, "1 MINUTE");
            json_response(
                429,
                &err.body(),
                &[("Retry-After", retry_after_secs.to_string())],
            )
        }
        HttpFault::Banned { retry_after_secs } => {
            let err = ApiError::banned(shared.now_ms() + retry_after_secs * 1_000);
            json_response(
                418,
                &err.body(),
                &[("Retry-After", retry_after_secs.to_string())],
            )
        }
        HttpFault::HtmlPage { status } => {
            let html = format!(
                "<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>{status} Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
            );
            raw_response(*status, "text/html", html.into_bytes(), &[])
        }
        HttpFault::MalformedJson => raw_response(
            200,
            "application/json",
            b"{\"serverTime\": 17".to_vec(),
            &[],
        ),
    }
}

/// `410 Gone` from the gateway (nginx's page), what Binance.com answers on the listenKey endpoints
/// since they were removed.
fn gone_response() -> Response<Full<Bytes>> {
    let html = "<html>\r\n<head><title>410 Gone</title></head>\r\n<body>\r\n<center><h1>410 Gone</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    raw_response(410, "text/html", html.as_bytes().to_vec(), &[])
}

fn json_response(status: u16, body: &Value, headers: &[(&str, String)]) -> Response<Full<Bytes>> {
    raw_response(
        status,
        "application/json;charset=UTF-8",
        body.to_string().into_bytes(),
        headers,
    )
}

fn raw_response(
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().insert(n, v);
        }
    }
    resp
}
