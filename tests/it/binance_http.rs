//! The Binance connector's signing and HTTP layer against the mock exchange: documented signature
//! vectors accepted by the mock's verifier; wrong secret, stale timestamp and tampered query
//! rejected; the clock resynced after a timestamp error; a burst of 500 requests spread under the
//! documented limits without one 429; injected 429 / 418 waited out as `Retry-After` says; HTML
//! pages and malformed JSON reported as errors and survived.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use rust_decimal_macros::dec;
use sluice::cex::auth::ApiCredentials;
use sluice::cex::exchanges::binance::api::{
    self as binance_api, BinanceProtocol, RAW_REQUESTS, REQUEST_WEIGHT,
};
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot, binance_signer};
use sluice::cex::http::{ApiRequest, RequestBody, RestClient, encode_query as encode_params};
use sluice::cex::sign::{SignRequest, Signer};
use sluice::cex::{CexError, RateLimiter};
use sluice::core::{Pair, QuoteRequest, Side};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::binance::{
    HttpFault, MockBinance, hmac_sha256_hex, split_signature, verify_hmac_hex,
};

const DOC_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const DOC_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

fn config(mock: &MockBinance) -> BinanceConfig {
    BinanceConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ws_api_url: mock.ws_api_url(),
        ..BinanceConfig::binance()
    }
}

fn venue(mock: &MockBinance, secret: &str) -> BinanceSpot {
    BinanceSpot::new(
        config(mock),
        Some(ApiCredentials::new(mock.api_key(), secret).unwrap()),
    )
    .unwrap()
}

/// The connector's signer for these keys (recvWindow 5000, as configured by default).
fn signer_of(key: &str, secret: &str) -> Signer {
    binance_signer(&ApiCredentials::new(key, secret).unwrap(), 5000).unwrap()
}

/// The signature the connector's signer appends to a request with this query and body.
fn sign_rest(signer: &Signer, query: &str, body: &str) -> String {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let req = SignRequest::new(Method::POST, "/api/v3/order", 1_499_827_319_559)
        .query(&pairs)
        .body(body.as_bytes());
    let parts = signer.sign(&req).unwrap();
    parts.query_param("signature").unwrap().to_string()
}

#[test]
fn documented_vectors_pass_the_mock_verifier() {
    let signer = signer_of(DOC_KEY, DOC_SECRET);
    let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
    let body = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    let sig = sign_rest(&signer, query, body);
    assert_eq!(
        sig,
        "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    );
    let signed_body = format!("{body}&signature={sig}");
    let (payload, got) = split_signature(query, &signed_body);
    assert!(verify_hmac_hex(
        DOC_SECRET.as_bytes(),
        payload.as_bytes(),
        &got.unwrap()
    ));
    let all = format!("{query}&{body}");
    let sig = sign_rest(&signer, &all, "");
    assert_eq!(
        sig,
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    );
    assert!(verify_hmac_hex(DOC_SECRET.as_bytes(), all.as_bytes(), &sig));
    assert!(!verify_hmac_hex(b"wrong", all.as_bytes(), &sig));
}

#[tokio::test]
async fn signed_requests_accepted_and_bad_ones_rejected() {
    let mock = MockBinance::start().await.unwrap();
    let good = venue(&mock, mock.api_secret());
    assert!(!good.balances().await.unwrap().is_empty());

    // wrong secret → -1022, surfaced as an authentication error
    let bad = venue(&mock, "not-the-secret");
    match bad.balances().await {
        Err(VenueError::Auth(m)) => assert!(m.contains("-1022"), "{m}"),
        other => panic!("wrong secret accepted: {other:?}"),
    }

    // a stale timestamp and a tampered query, sent by hand
    let http = reqwest::Client::new();
    let secret = mock.api_secret().as_bytes().to_vec();
    let send = |query: String| {
        let http = http.clone();
        let url = format!("{}/api/v3/account?{query}", mock.rest_url());
        let key = mock.api_key().to_string();
        async move {
            let r = http
                .get(url)
                .header("X-MBX-APIKEY", key)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let stale = mock.server_time_ms() - 60_000;
    let q = encode_params(&[
        ("recvWindow", "5000".to_string()),
        ("timestamp", stale.to_string()),
    ]);
    let (status, body) = send(format!(
        "{q}&signature={}",
        hmac_sha256_hex(&secret, q.as_bytes())
    ))
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("-1021"), "{body}");
    let now = mock.server_time_ms();
    let q = encode_params(&[
        ("recvWindow", "5000".to_string()),
        ("timestamp", now.to_string()),
    ]);
    let sig = hmac_sha256_hex(&secret, q.as_bytes());
    let (status, _) = send(format!("{q}&signature={sig}")).await;
    assert_eq!(status, 200, "the untampered request is fine");
    let tampered = q.replace("recvWindow=5000", "recvWindow=6000");
    let (status, body) = send(format!("{tampered}&signature={sig}")).await;
    assert_eq!(status, 400);
    assert!(body.contains("-1022"), "{body}");
}

#[tokio::test]
async fn a_signed_form_body_and_an_ed25519_key_are_accepted_by_the_mock() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 2, 1, dec!(1)).unwrap();
    let limiter = Arc::new(RateLimiter::new(&binance_api::default_limits()));
    let protocol = Arc::new(BinanceProtocol {
        recv_window_ms: 5000,
    });
    // An order with its parameters in a form body, signed over query + body.
    let hmac = RestClient::new(
        &mock.rest_url(),
        protocol.clone(),
        Some(Arc::new(signer_of(mock.api_key(), mock.api_secret()))),
        limiter.clone(),
    )
    .unwrap();
    let order = |id: &str| {
        ApiRequest::new(Method::POST, "/api/v3/order")
            .param("symbol", "BTCUSDT")
            .body(RequestBody::form(&[
                ("side", "BUY"),
                ("type", "LIMIT"),
                ("timeInForce", "GTC"),
                ("quantity", "1"),
                ("price", "99"),
                ("newClientOrderId", id),
            ]))
            .signed()
    };
    let sent = hmac.prepare(&order("a1"), 1, Default::default()).unwrap();
    assert!(
        sent.url
            .contains("symbol=BTCUSDT&recvWindow=5000&timestamp=1&signature="),
        "{}",
        sent.url
    );
    assert_eq!(
        sent.headers[0],
        ("Content-Type", "application/x-www-form-urlencoded".into())
    );
    let body: serde_json::Value =
        serde_json::from_slice(&hmac.request(&order("a1")).await.unwrap()).unwrap();
    assert_eq!(body["clientOrderId"], "a1", "{body}");
    // The same with an Ed25519 key given as a PEM with `\n` escapes on one line.
    let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    mock.add_ed25519_account("ed-key", sk.verifying_key());
    let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
    der.extend_from_slice(&[7u8; 32]);
    use base64::Engine;
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n",
        base64::engine::general_purpose::STANDARD.encode(&der)
    );
    let ed = RestClient::new(
        &mock.rest_url(),
        protocol,
        Some(Arc::new(signer_of("ed-key", &pem))),
        limiter,
    )
    .unwrap();
    let account = ApiRequest::new(Method::GET, "/api/v3/account")
        .signed()
        .cost(REQUEST_WEIGHT, 20);
    assert!(ed.request(&account).await.is_ok());
}

#[tokio::test]
async fn clock_offset_is_resynced_after_a_timestamp_error() {
    let mock = MockBinance::start().await.unwrap();
    let v = venue(&mock, mock.api_secret());
    // the exchange's clock runs 30 s ahead: our first timestamp is stale, we sync and retry once
    mock.set_clock_offset_ms(30_000);
    assert!(v.balances().await.is_ok());
    let offset = v.rest().clock.offset_ms();
    assert!((offset - 30_000).abs() < 2_000, "offset {offset}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_500_requests_gets_no_429() {
    let mock = MockBinance::start().await.unwrap();
    // No retries: a single 429 would fail a request.
    let limiter = Arc::new(RateLimiter::new(&binance_api::default_limits()));
    let mut rest = RestClient::new(
        &mock.rest_url(),
        Arc::new(BinanceProtocol {
            recv_window_ms: 5000,
        }),
        None,
        limiter,
    )
    .unwrap();
    rest.max_retries = 0;
    let start = Instant::now();
    let mut tasks = Vec::new();
    // 500 × weight 20 = 10,000 > 6,000 per minute: the limiter must spread them.
    for _ in 0..500 {
        let rest = rest.clone();
        tasks.push(tokio::spawn(async move {
            let req = ApiRequest::new(Method::GET, "/api/v3/exchangeInfo")
                .cost(REQUEST_WEIGHT, 20)
                .cost(RAW_REQUESTS, 1);
            rest.request(&req).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("no request may be rejected");
    }
    assert!(
        start.elapsed() >= Duration::from_secs(50),
        "a burst over the limit must be spread"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let mock = MockBinance::start().await.unwrap();
    let v = venue(&mock, mock.api_secret());
    v.markets().await.unwrap();
    mock.inject_http_fault(HttpFault::TooManyRequests {
        retry_after_secs: 1,
    });
    let t = Instant::now();
    assert!(v.balances().await.is_ok());
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "429 not waited out: {:?}",
        t.elapsed()
    );
    mock.inject_http_fault(HttpFault::Banned {
        retry_after_secs: 2,
    });
    let t = Instant::now();
    assert!(v.balances().await.is_ok());
    assert!(
        t.elapsed() >= Duration::from_millis(1950),
        "418 not waited out: {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn html_pages_and_malformed_json_are_errors_not_panics() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 5, 1, dec!(1)).unwrap();
    let v = venue(&mock, mock.api_secret());
    // synced first, so that the fault meets the account request, not the clock sync before it
    v.sync_clock().await.unwrap();
    mock.inject_http_fault(HttpFault::HtmlPage { status: 502 });
    match v.balances().await {
        Err(VenueError::Protocol(m)) => {
            assert!(m.contains("HTTP 502") && m.contains("html"), "{m}")
        }
        other => panic!("HTML page not reported: {other:?}"),
    }
    mock.inject_http_fault(HttpFault::MalformedJson);
    match v.balances().await {
        Err(VenueError::Protocol(m)) => assert!(m.contains("account"), "{m}"),
        other => panic!("malformed JSON not reported: {other:?}"),
    }
    // and the connector still works
    assert!(v.balances().await.is_ok());
    let markets = v.markets().await.unwrap();
    let btc = markets
        .iter()
        .find(|m| m.venue_symbol == "BTCUSDT")
        .unwrap();
    assert_eq!(
        (btc.tick_size, btc.step_size, btc.min_notional),
        (dec!(0.01), dec!(0.00001), dec!(5))
    );
    assert_eq!(markets.len(), 3);
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair,
            side: Side::Sell,
            base_amount: dec!(2),
        })
        .await
        .unwrap();
    assert!(q.worst_price < q.average_price * dec!(1.01));
    // an unknown symbol is refused before anything is sent
    let unknown: Pair = "XYZ-USDT".parse().unwrap();
    assert!(matches!(
        v.market(&unknown).await,
        Err(VenueError::UnknownPair { .. })
    ));
    let e: VenueError = CexError::UnknownSymbol("XYZUSDT".into()).into();
    assert!(e.to_string().contains("XYZUSDT"));
}
