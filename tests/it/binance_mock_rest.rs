//! The mock Binance's REST API driven by a plain reqwest client: documented signature examples,
//! every authentication and validation error path, matching scenarios, rate limits, HTTP faults.

use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;
use sluice_sim::exchange::dialects::binance::{
    HttpFault, MockBinance, MockConfig, RateLimits, SymbolSpec, default_symbols, hmac_sha256_hex,
};
use zeroize::Zeroizing;

const DOC_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const DOC_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const DOC_TIMESTAMP: u64 = 1_499_827_319_559;

struct Api {
    mock: MockBinance,
    http: Client,
}

impl Api {
    async fn start() -> Self {
        Self::with(MockConfig::default()).await
    }

    async fn with(config: MockConfig) -> Self {
        let mock = MockBinance::start_with(config).await.unwrap();
        Self {
            mock,
            http: Client::new(),
        }
    }

    async fn public(
        &self,
        path_and_query: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let resp = self
            .http
            .get(format!("{}{path_and_query}", self.mock.rest_url()))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap();
        (status, headers, body)
    }

    /// Signs `params` (+ timestamp) with the default account's secret and sends them in the query.
    async fn signed(
        &self,
        method: Method,
        path: &str,
        params: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let ts = self.mock.server_time_ms();
        let sep = if params.is_empty() { "" } else { "&" };
        let query = format!("{params}{sep}timestamp={ts}");
        let sig = hmac_sha256_hex(self.mock.api_secret().as_bytes(), query.as_bytes());
        self.raw(
            method,
            &format!("{path}?{query}&signature={sig}"),
            "",
            Some(self.mock.api_key()),
        )
        .await
    }

    async fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        body: &str,
        key: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path_and_query}", self.mock.rest_url()));
        if let Some(k) = key {
            req = req.header("X-MBX-APIKEY", k);
        }
        if !body.is_empty() {
            req = req
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn place(&self, params: &str) -> Value {
        let (status, _, body) = self.signed(Method::POST, "/api/v3/order", params).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

fn d(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

fn error_of(status: StatusCode, body: &Value) -> (u16, i64, String) {
    (
        status.as_u16(),
        body["code"].as_i64().unwrap(),
        body["msg"].as_str().unwrap().to_string(),
    )
}

fn ltcbtc_config() -> MockConfig {
    let mut symbols = default_symbols();
    let mut ltc = SymbolSpec::new("LTC", "BTC");
    ltc.tick_size = dec!(0.000001);
    ltc.min_price = dec!(0.000001);
    ltc.step_size = dec!(0.001);
    ltc.min_qty = dec!(0.001);
    ltc.min_notional = dec!(0.0001);
    symbols.push(ltc);
    MockConfig {
        symbols,
        api_key: Some(DOC_KEY.to_string()),
        api_secret: Some(Zeroizing::new(DOC_SECRET.to_string())),
        balances: vec![("BTC".into(), dec!(10)), ("LTC".into(), dec!(10))],
        ..MockConfig::default()
    }
}

/// Sets the mock's clock to `target_ms` (now).
fn set_server_time(mock: &MockBinance, target_ms: u64) {
    let sys = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    mock.set_clock_offset_ms(target_ms as i64 - sys);
}

/// Puts the mock's clock 100 ms after the documented examples' timestamp.
fn at_doc_time(mock: &MockBinance) {
    set_server_time(mock, DOC_TIMESTAMP + 100);
}

#[tokio::test]
async fn documented_signature_examples_are_accepted_over_http() {
    let api = Api::with(ltcbtc_config()).await;
    at_doc_time(&api.mock);
    let params = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    // Example 1: all in the query string.
    let (s, _, body) = api.raw(Method::POST, &format!(
        "/api/v3/order?{params}&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"), "", Some(DOC_KEY)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "NEW");
    // Example 2: all in the body.
    let (s, _, body) = api.raw(Method::POST, "/api/v3/order", &format!(
        "{params}&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"), Some(DOC_KEY)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // Example 3: mixed query and body, totalParams concatenated without '&'.
    let (s, _, body) = api.raw(
        Method::POST,
        "/api/v3/order?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
        "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77",
        Some(DOC_KEY),
    ).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        api.mock.balance(api.mock.account(), "BTC").unwrap().locked,
        dec!(0.3)
    );
    // Upper-case hex is accepted too.
    let (s, _, body) = api.raw(Method::POST, &format!(
        "/api/v3/order?{params}&signature=C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71"), "", Some(DOC_KEY)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn bad_signatures_keys_and_timestamps_are_rejected_with_binance_codes() {
    let api = Api::with(ltcbtc_config()).await;
    at_doc_time(&api.mock);
    let params = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    let good = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
    // Tampered query.
    let tampered = params.replace("quantity=1", "quantity=2");
    let (s, _, b) = api
        .raw(
            Method::POST,
            &format!("/api/v3/order?{tampered}&signature={good}"),
            "",
            Some(DOC_KEY),
        )
        .await;
    assert_eq!(
        error_of(s, &b),
        (
            400,
            -1022,
            "Signature for this request is not valid.".into()
        )
    );
    // Wrong secret.
    let wrong = hmac_sha256_hex(b"not-the-secret", params.as_bytes());
    let (s, _, b) = api
        .raw(
            Method::POST,
            &format!("/api/v3/order?{params}&signature={wrong}"),
            "",
            Some(DOC_KEY),
        )
        .await;
    assert_eq!(error_of(s, &b).1, -1022);
    // Missing signature.
    let (s, _, b) = api
        .raw(
            Method::POST,
            &format!("/api/v3/order?{params}"),
            "",
            Some(DOC_KEY),
        )
        .await;
    assert_eq!(
        error_of(s, &b),
        (
            400,
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.".into()
        )
    );
    // Missing and unknown API key.
    let signed = format!("/api/v3/order?{params}&signature={good}");
    let (s, _, b) = api.raw(Method::POST, &signed, "", None).await;
    assert_eq!(
        error_of(s, &b),
        (401, -2014, "API-key format invalid.".into())
    );
    let (s, _, b) = api
        .raw(Method::POST, &signed, "", Some("unknown-key"))
        .await;
    assert_eq!(
        error_of(s, &b),
        (
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.".into()
        )
    );
    // Stale: the server is 5100 ms past the timestamp with recvWindow=5000.
    set_server_time(&api.mock, DOC_TIMESTAMP + 5_100);
    let (s, _, b) = api.raw(Method::POST, &signed, "", Some(DOC_KEY)).await;
    assert_eq!(
        error_of(s, &b),
        (
            400,
            -1021,
            "Timestamp for this request is outside of the recvWindow.".into()
        )
    );
    // Ahead: the timestamp is 1000 ms or more in the server's future.
    set_server_time(&api.mock, DOC_TIMESTAMP - 1_100);
    let (s, _, b) = api.raw(Method::POST, &signed, "", Some(DOC_KEY)).await;
    assert_eq!(
        error_of(s, &b),
        (
            400,
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.".into()
        )
    );
    at_doc_time(&api.mock);
    // recvWindow above 60000.
    let big = params.replace("recvWindow=5000", "recvWindow=60001");
    let sig = hmac_sha256_hex(DOC_SECRET.as_bytes(), big.as_bytes());
    let (s, _, b) = api
        .raw(
            Method::POST,
            &format!("/api/v3/order?{big}&signature={sig}"),
            "",
            Some(DOC_KEY),
        )
        .await;
    assert_eq!(error_of(s, &b).1, -1102);
    // Nothing was placed.
    assert_eq!(
        api.mock.balance(api.mock.account(), "BTC").unwrap().locked,
        Decimal::ZERO
    );
}

#[tokio::test]
async fn public_endpoints_have_binance_shapes() {
    let api = Api::start().await;
    let (s, h, b) = api.public("/api/v3/ping").await;
    assert_eq!((s, b), (StatusCode::OK, serde_json::json!({})));
    assert_eq!(h["x-mbx-used-weight-1m"], "1");
    let (_, _, b) = api.public("/api/v3/time").await;
    assert!(b["serverTime"].as_u64().unwrap() > 1_700_000_000_000);
    let (_, h, info) = api.public("/api/v3/exchangeInfo").await;
    assert_eq!(h["x-mbx-used-weight-1m"], "22");
    let limits = info["rateLimits"].as_array().unwrap();
    assert!(limits.contains(&serde_json::json!({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000})));
    assert!(limits.contains(&serde_json::json!({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50})));
    assert!(limits.contains(&serde_json::json!({"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 160000})));
    let btc = info["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["symbol"] == "BTCUSDT")
        .unwrap();
    let filter = |t: &str| {
        btc["filters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filterType"] == t)
            .unwrap()
            .clone()
    };
    assert_eq!(filter("PRICE_FILTER")["tickSize"], "0.01000000");
    assert_eq!(filter("LOT_SIZE")["stepSize"], "0.00001000");
    assert_eq!(filter("NOTIONAL")["minNotional"], "5.00000000");
    let (_, _, one) = api.public("/api/v3/exchangeInfo?symbol=ETHBTC").await;
    let ethbtc = &one["symbols"][0];
    assert!(
        ethbtc["filters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["filterType"] == "MIN_NOTIONAL")
    );
    let (s, _, b) = api.public("/api/v3/exchangeInfo?symbol=NOPE").await;
    assert_eq!(error_of(s, &b), (400, -1121, "Invalid symbol.".into()));
    api.mock
        .seed_book("BTCUSDT", dec!(100), 3, 1, dec!(2))
        .unwrap();
    let (_, h, depth) = api.public("/api/v3/depth?symbol=BTCUSDT&limit=2").await;
    assert_eq!(
        depth["bids"],
        serde_json::json!([["99.99000000", "2.00000000"], ["99.98000000", "2.00000000"]])
    );
    assert_eq!(
        depth["asks"][0],
        serde_json::json!(["100.01000000", "2.00000000"])
    );
    assert_eq!(
        depth["lastUpdateId"].as_u64().unwrap(),
        api.mock.book("BTCUSDT").unwrap().last_update_id
    );
    let used: u64 = h["x-mbx-used-weight-1m"].to_str().unwrap().parse().unwrap();
    assert_eq!(
        used,
        1 + 1 + 20 + 20 + 20 + 5,
        "ping, time, exchangeInfo x3 (a failed one too), depth"
    );
    let (s, _, b) = api.public("/api/v3/depth?symbol=XYZ").await;
    assert_eq!(error_of(s, &b).1, -1121);
    let (s, _, b) = api.public("/api/v3/depth").await;
    assert_eq!(error_of(s, &b).1, -1102);
}

#[tokio::test]
async fn order_validation_errors() {
    let api = Api::start().await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1))
        .unwrap();
    let cases: &[(&str, i64, &str)] = &[
        (
            "symbol=NOPE&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=10",
            -1121,
            "Invalid symbol.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=10.001",
            -1013,
            "Filter failure: PRICE_FILTER",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.000015&price=10",
            -1013,
            "Filter failure: LOT_SIZE",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price=10",
            -1013,
            "Filter failure: NOTIONAL",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1000&price=99",
            -2010,
            "Account has insufficient balance for requested action.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=1&price=100.01",
            -2010,
            "Order would immediately match and take.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=10",
            -1102,
            "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTD&quantity=1&price=10",
            -1115,
            "Invalid timeInForce.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=ICEBERG&quantity=1",
            -1116,
            "Invalid orderType.",
        ),
        (
            "symbol=BTCUSDT&side=LONG&type=MARKET&quantity=1",
            -1117,
            "Invalid side.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&price=10",
            -1106,
            "Parameter 'price' sent when not required.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=MARKET",
            -1102,
            "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.123456789",
            -1111,
            "Parameter 'quantity' has too much precision.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=STOP_LOSS&quantity=1",
            -2010,
            "Stop loss orders are not supported for this symbol.",
        ),
    ];
    for (params, code, msg) in cases {
        let (s, _, b) = api.signed(Method::POST, "/api/v3/order", params).await;
        assert_eq!(error_of(s, &b), (400, *code, msg.to_string()), "{params}");
    }
    // Duplicate open client order id.
    api.place("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=90&newClientOrderId=dup-1").await;
    let (s, _, b) = api.signed(Method::POST, "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=91&newClientOrderId=dup-1").await;
    assert_eq!(
        error_of(s, &b),
        (400, -2010, "Duplicate order sent.".into())
    );
    // Cancel and query of unknown orders.
    let (s, _, b) = api
        .signed(
            Method::DELETE,
            "/api/v3/order",
            "symbol=BTCUSDT&orderId=999999",
        )
        .await;
    assert_eq!(error_of(s, &b), (400, -2011, "Unknown order sent.".into()));
    let (s, _, b) = api
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=BTCUSDT&orderId=999999",
        )
        .await;
    assert_eq!(
        error_of(s, &b),
        (400, -2013, "Order does not exist.".into())
    );
    let (s, _, b) = api
        .signed(Method::DELETE, "/api/v3/order", "symbol=BTCUSDT")
        .await;
    assert_eq!(error_of(s, &b).1, -1102);
    // Nothing but the one good order is locked.
    assert_eq!(
        api.mock.balance(api.mock.account(), "USDT").unwrap().locked,
        dec!(90)
    );
}

#[tokio::test]
async fn limit_order_rests_then_cancels_and_frees_its_balance() {
    let api = Api::start().await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1))
        .unwrap();
    let o = api.place("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.5&price=99.50&newClientOrderId=rest-1").await;
    assert_eq!(
        (o["status"].as_str(), o["clientOrderId"].as_str()),
        (Some("NEW"), Some("rest-1"))
    );
    assert_eq!(o["fills"], serde_json::json!([]));
    let id = o["orderId"].as_u64().unwrap();
    let usdt = api.mock.balance(api.mock.account(), "USDT").unwrap();
    assert_eq!((usdt.free, usdt.locked), (dec!(9950.25), dec!(49.75)));
    let book = api.mock.book("BTCUSDT").unwrap();
    assert!(book.bids.contains(&(dec!(99.50), dec!(0.5))));
    let (_, _, open) = api
        .signed(Method::GET, "/api/v3/openOrders", "symbol=BTCUSDT")
        .await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["orderId"].as_u64(), Some(id));
    let (_, _, q) = api
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=BTCUSDT&origClientOrderId=rest-1",
        )
        .await;
    assert_eq!(
        (q["status"].as_str(), q["isWorking"].as_bool()),
        (Some("NEW"), Some(true))
    );
    let (s, _, c) = api
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}&newClientOrderId=cxl-1"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            c["status"].as_str(),
            c["origClientOrderId"].as_str(),
            c["clientOrderId"].as_str()
        ),
        (Some("CANCELED"), Some("rest-1"), Some("cxl-1"))
    );
    let usdt = api.mock.balance(api.mock.account(), "USDT").unwrap();
    assert_eq!((usdt.free, usdt.locked), (dec!(10000), dec!(0)));
    assert!(
        !api.mock
            .book("BTCUSDT")
            .unwrap()
            .bids
            .iter()
            .any(|(p, _)| *p == dec!(99.50))
    );
    // A second cancel is rejected.
    let (s, _, b) = api
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}"),
        )
        .await;
    assert_eq!(error_of(s, &b).1, -2011);
}

#[tokio::test]
async fn crossing_orders_fill_partially_and_fully_with_fees_and_trades() {
    let api = Api::start().await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1))
        .unwrap(); // asks 100.01, 100.02, 100.03
    // GTC buy of 1.5 at 100.01: fills 1 at 100.01, rests 0.5.
    let o = api
        .place("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1.5&price=100.01")
        .await;
    assert_eq!(o["status"], "PARTIALLY_FILLED");
    assert_eq!(d(&o["executedQty"]), dec!(1));
    assert_eq!(o["fills"][0]["price"], "100.01000000");
    assert_eq!(o["fills"][0]["commission"], "0.00100000");
    assert_eq!(o["fills"][0]["commissionAsset"], "BTC");
    let book = api.mock.book("BTCUSDT").unwrap();
    assert_eq!(book.bids[0], (dec!(100.01), dec!(0.5)));
    assert_eq!(book.asks[0], (dec!(100.02), dec!(1)));
    // IOC sell of 2 at 99.98: hits our 0.5 at 100.01, the MM's 99.99 and 99.98; the rest expires.
    let o = api
        .place("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=IOC&quantity=3&price=99.98")
        .await;
    assert_eq!(o["status"], "EXPIRED");
    assert_eq!(d(&o["executedQty"]), dec!(2.5));
    assert_eq!(o["fills"].as_array().unwrap().len(), 3);
    // FOK that cannot fill expires with nothing.
    let o = api
        .place("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=FOK&quantity=5&price=100.03")
        .await;
    assert_eq!(
        (o["status"].as_str(), d(&o["executedQty"])),
        (Some("EXPIRED"), dec!(0))
    );
    // MARKET buy by quantity sweeps two levels.
    let o = api
        .place("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1.5")
        .await;
    assert_eq!(o["status"], "FILLED");
    assert_eq!(
        d(&o["cummulativeQuoteQty"]),
        dec!(100.02) + dec!(0.5) * dec!(100.03)
    );
    // MARKET buy by quote quantity.
    let o = api
        .place("symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=20")
        .await;
    assert_eq!(o["status"], "FILLED");
    assert_eq!(d(&o["origQuoteOrderQty"]), dec!(20));
    assert!(d(&o["cummulativeQuoteQty"]) <= dec!(20));
    assert!(d(&o["cummulativeQuoteQty"]) > dec!(19.9));
    // Balances add up: every BTC bought less fees, every USDT paid.
    let (_, _, trades) = api
        .signed(Method::GET, "/api/v3/myTrades", "symbol=BTCUSDT")
        .await;
    let trades = trades.as_array().unwrap();
    let mut btc = dec!(100);
    let mut usdt = dec!(10000);
    for t in trades {
        let (qty, quote, fee) = (d(&t["qty"]), d(&t["quoteQty"]), d(&t["commission"]));
        if t["isBuyer"].as_bool().unwrap() {
            btc += qty - fee;
            usdt -= quote;
        } else {
            btc -= qty;
            usdt += quote - fee;
        }
    }
    let acct = api.mock.account();
    assert_eq!(api.mock.balance(acct, "BTC").unwrap().free, btc);
    assert_eq!(api.mock.balance(acct, "USDT").unwrap().free, usdt);
    assert_eq!(
        api.mock.balance(acct, "USDT").unwrap().locked,
        Decimal::ZERO
    );
    // Our resting buy was hit as maker in the IOC sell: both sides appear for that trade.
    assert!(trades.iter().filter(|t| t["isMaker"] == true).count() >= 1);
    let (_, _, public) = api.public("/api/v3/trades?symbol=BTCUSDT&limit=2").await;
    assert_eq!(public.as_array().unwrap().len(), 2);
    let (_, _, account) = api
        .signed(Method::GET, "/api/v3/account", "omitZeroBalances=true")
        .await;
    assert_eq!(account["accountType"], "SPOT");
    assert!(
        account["balances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["asset"] == "BTC")
    );
}

#[tokio::test]
async fn price_time_priority_between_accounts() {
    let api = Api::start().await;
    let first = api.mock.add_account("first-key", "first-secret");
    api.mock.set_balance(first, "BTC", dec!(10)).unwrap();
    let first_order = {
        // The first account places its ask by signing with its own secret.
        let ts = api.mock.server_time_ms();
        let q = format!(
            "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=101&timestamp={ts}"
        );
        let sig = hmac_sha256_hex(b"first-secret", q.as_bytes());
        let (s, _, b) = api
            .raw(
                Method::POST,
                &format!("/api/v3/order?{q}&signature={sig}"),
                "",
                Some("first-key"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["orderId"].as_u64().unwrap()
    };
    let second = api
        .place("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=101")
        .await;
    assert_eq!(
        api.mock.book("BTCUSDT").unwrap().asks,
        vec![(dec!(101), dec!(2))]
    );
    // A taker from a third account lifts 1.2 at 101: the earlier order fills first.
    let taker = api.mock.add_account("taker-key", "taker-secret");
    api.mock.set_balance(taker, "USDT", dec!(1000)).unwrap();
    let ts = api.mock.server_time_ms();
    let q = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1.2&price=101&timestamp={ts}"
    );
    let sig = hmac_sha256_hex(b"taker-secret", q.as_bytes());
    let (s, _, b) = api
        .raw(
            Method::POST,
            &format!("/api/v3/order?{q}&signature={sig}"),
            "",
            Some("taker-key"),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("FILLED")));
    assert_eq!(api.mock.order(first_order).unwrap().status, "FILLED");
    let second_view = api.mock.order(second["orderId"].as_u64().unwrap()).unwrap();
    assert_eq!(
        (second_view.status.as_str(), second_view.executed_qty),
        ("PARTIALLY_FILLED", dec!(0.2))
    );
    assert_eq!(
        api.mock.book("BTCUSDT").unwrap().asks,
        vec![(dec!(101), dec!(0.8))]
    );
    assert_eq!(
        api.mock.balance(first, "USDT").unwrap().free,
        dec!(101) - dec!(0.101)
    );
}

#[tokio::test]
async fn weight_and_order_limits_answer_429_with_retry_after() {
    let limits = RateLimits {
        request_weight_per_minute: 30,
        orders_per_10s: 2,
        ..RateLimits::default()
    };
    let api = Api::with(MockConfig {
        limits,
        ..MockConfig::default()
    })
    .await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1))
        .unwrap();
    for _ in 0..2 {
        api.place("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price=90")
            .await;
    }
    let (s, h, b) = api
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price=90",
        )
        .await;
    assert_eq!(
        error_of(s, &b),
        (
            429,
            -1015,
            "Too many new orders; current limit is 2 orders per 10 SECOND.".into()
        )
    );
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry));
    // An order that trades gives its slot back.
    let (s, h, b) = api
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1",
        )
        .await;
    assert_eq!(error_of(s, &b).1, -1015, "{h:?}");
    let (c10, _) = api.mock.order_counts(api.mock.account());
    assert_eq!(c10, 2);
    // Weight: a successful order costs 0, each failed one 1; exchangeInfo costs 20.
    let used = api.mock.used_weight();
    let (s, _, _) = api.public("/api/v3/exchangeInfo").await;
    assert_eq!(s, StatusCode::OK);
    let (s, h, b) = api.public("/api/v3/exchangeInfo").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "used before: {used}");
    assert_eq!(b["code"], -1003);
    assert!(h.contains_key("retry-after"));
}

#[tokio::test]
async fn order_count_headers_and_decrement_on_fill() {
    let api = Api::start().await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1))
        .unwrap();
    let (s, h, _) = api
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price=90",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["x-mbx-order-count-10s"], "1");
    assert_eq!(h["x-mbx-order-count-1d"], "1");
    let (_, h, _) = api
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1",
        )
        .await;
    assert_eq!(
        h["x-mbx-order-count-10s"], "1",
        "a filled order does not count"
    );
}

#[tokio::test]
async fn burst_of_500_requests_stays_under_binance_limits() {
    let api = Api::start().await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 5, 1, dec!(1))
        .unwrap();
    let mut statuses = Vec::new();
    for i in 0..500 {
        let path = if i % 2 == 0 {
            "/api/v3/ping"
        } else {
            "/api/v3/depth?symbol=BTCUSDT&limit=5"
        };
        let (s, _, _) = api.public(path).await;
        statuses.push(s);
    }
    assert!(statuses.iter().all(|s| *s == StatusCode::OK));
    assert_eq!(api.mock.used_weight(), 250 + 250 * 5);
}

#[tokio::test]
async fn injected_http_faults() {
    let api = Api::start().await;
    api.mock.inject_http_fault(HttpFault::TooManyRequests {
        retry_after_secs: 3,
    });
    api.mock.inject_http_fault(HttpFault::Banned {
        retry_after_secs: 7,
    });
    api.mock
        .inject_http_fault(HttpFault::HtmlPage { status: 502 });
    api.mock.inject_http_fault(HttpFault::MalformedJson);
    let (s, h, b) = api.raw(Method::GET, "/api/v3/time", "", None).await;
    assert_eq!(
        (
            s.as_u16(),
            h["retry-after"].to_str().unwrap(),
            b["code"].as_i64()
        ),
        (429, "3", Some(-1003))
    );
    let (s, h, b) = api.raw(Method::GET, "/api/v3/time", "", None).await;
    assert_eq!((s.as_u16(), h["retry-after"].to_str().unwrap()), (418, "7"));
    assert!(b["msg"].as_str().unwrap().contains("IP banned until"));
    let (s, h, b) = api.raw(Method::GET, "/api/v3/time", "", None).await;
    assert_eq!(
        (s.as_u16(), h["content-type"].to_str().unwrap()),
        (502, "text/html")
    );
    assert!(b.as_str().unwrap().starts_with("<html>"));
    let (s, _, b) = api.raw(Method::GET, "/api/v3/time", "", None).await;
    assert_eq!(s.as_u16(), 200);
    assert!(b.is_string(), "not JSON: {b}");
    let (s, _, b) = api.raw(Method::GET, "/api/v3/time", "", None).await;
    assert_eq!(s.as_u16(), 200);
    assert!(b["serverTime"].is_u64());
}

#[tokio::test]
async fn slow_acks_execute_first_and_answer_late() {
    let api = Api::start().await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1))
        .unwrap();
    api.mock.set_ack_delay(Duration::from_millis(400));
    let started = Instant::now();
    let mock = &api.mock;
    let place =
        api.place("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price=90");
    let watch = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        mock.book("BTCUSDT")
            .unwrap()
            .bids
            .iter()
            .any(|(p, _)| *p == dec!(90))
    };
    let (o, resting_before_ack) = tokio::join!(place, watch);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(
        resting_before_ack,
        "the order executes before its ack is sent"
    );
    assert_eq!(o["status"], "NEW");
}

#[tokio::test]
async fn stop_and_restart_keep_state_and_ports() {
    let api = Api::start().await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 2, 1, dec!(1))
        .unwrap();
    let url = api.mock.rest_url();
    api.mock.stop();
    assert!(
        api.http
            .get(format!("{url}/api/v3/ping"))
            .send()
            .await
            .is_err()
    );
    api.mock.restart().await.unwrap();
    assert_eq!(api.mock.rest_url(), url);
    let (s, _, depth) = api.public("/api/v3/depth?symbol=BTCUSDT").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(depth["asks"].as_array().unwrap().len(), 2);
    // Straight back to back as well.
    api.mock.restart().await.unwrap();
    let (s, _, _) = api.public("/api/v3/ping").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn huge_values_are_rejected_without_breaking_the_server() {
    let mut symbols = default_symbols();
    for s in &mut symbols {
        s.max_price = Decimal::ZERO; // PRICE_FILTER maxPrice disabled
        s.max_notional = Decimal::MAX;
    }
    let api = Api::with(MockConfig {
        symbols,
        ..MockConfig::default()
    })
    .await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 2, 1, dec!(1))
        .unwrap();
    let (s, _, b) = api.signed(Method::POST, "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5000&price=79228162514264337593543950").await;
    assert_eq!(error_of(s, &b).1, -1013);
    let (s, _, b) = api
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=79228162514264337593543950335",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["status"], "FILLED",
        "spends what the book offers within the balance: {b}"
    );
    let (s, _, b) = api.signed(Method::POST, "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=99999999999999999999999999999999&price=1").await;
    assert_eq!(error_of(s, &b).1, -1102);
    let (s, _, _) = api.public("/api/v3/ping").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn debug_output_never_shows_the_secret() {
    let config = MockConfig {
        api_secret: Some(Zeroizing::new("super-secret-value".to_string())),
        ..MockConfig::default()
    };
    assert!(!format!("{config:?}").contains("super-secret-value"));
    let mock = MockBinance::start_with(config).await.unwrap();
    assert_eq!(mock.api_secret(), "super-secret-value");
    assert!(!format!("{mock:?}").contains("super-secret-value"));
}

#[tokio::test]
async fn cancel_all_and_unfilled_order_count() {
    let api = Api::start().await;
    api.mock
        .seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1))
        .unwrap();
    let (s, _, b) = api
        .signed(Method::DELETE, "/api/v3/openOrders", "symbol=BTCUSDT")
        .await;
    assert_eq!(error_of(s, &b), (400, -2011, "Unknown order sent.".into()));
    for price in ["90", "91"] {
        api.place(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price={price}"
        ))
        .await;
    }
    let (_, _, counts) = api.signed(Method::GET, "/api/v3/rateLimit/order", "").await;
    assert_eq!(
        counts[0],
        serde_json::json!({"rateLimitType": "ORDERS", "interval": "SECOND",
        "intervalNum": 10, "limit": 50, "count": 2})
    );
    assert_eq!(counts[1]["limit"], 160000);
    let (s, _, b) = api
        .signed(Method::DELETE, "/api/v3/openOrders", "symbol=BTCUSDT")
        .await;
    assert_eq!(s, StatusCode::OK);
    let list = b.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(
        list.iter()
            .all(|o| o["status"] == "CANCELED" && o["origClientOrderId"].is_string())
    );
    assert_eq!(
        api.mock.balance(api.mock.account(), "USDT").unwrap().locked,
        Decimal::ZERO
    );
    let (_, _, open) = api.signed(Method::GET, "/api/v3/openOrders", "").await;
    assert_eq!(open, serde_json::json!([]));
}
