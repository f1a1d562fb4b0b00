//! The Gate.io connector's signing and HTTP layer against the simulated Gate.io: the documented
//! signature examples accepted by the simulator's verifier; a wrong secret, a stale timestamp and
//! a tampered query refused with Gate.io's labels as typed errors; the clock resynced after
//! `REQUEST_EXPIRED`; a burst of 500 requests spread under the documented per-endpoint limits
//! without one 429; hostile answers (HTML pages, truncated JSON, huge numbers, unknown fields)
//! reported as typed errors, never a panic.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::CexError;
use sluice::cex::exchanges::gate_io::api::{self, GateProtocol};
use sluice::cex::exchanges::gate_io::{GateIoSpot, gate_signer};
use sluice::cex::http::ApiRequest;
use sluice::cex::sign::SignRequest;
use sluice::core::{Pair, QuoteRequest, Side};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::gate_io::{
    GateConfig, HttpFault, MockGateIo, Received, verify_rest,
};

use crate::cex_support::rate_limit::{self, Burst};
use crate::gate_io_book::config;

fn connector(mock: &MockGateIo, secret: &str) -> GateIoSpot {
    GateIoSpot::new(
        config(mock),
        Some(ApiCredentials::new(mock.api_key(), secret).unwrap()),
    )
    .unwrap()
}

/// The documented examples (key `key`, secret `secret`) signed by the connector's signer pass
/// the simulator's verifier, at the example's own time.
#[tokio::test]
async fn gate_io_documented_examples_pass_the_simulator_verifier() {
    let mock = MockGateIo::start_with(GateConfig {
        api_key: Some("key".into()),
        api_secret: Some("secret".to_string().into()),
        ..GateConfig::default()
    })
    .await
    .unwrap();
    let signer = gate_signer(&ApiCredentials::new("key", "secret").unwrap()).unwrap();
    let q: Vec<(String, String)> = [
        ("contract", "BTC_USD"),
        ("status", "finished"),
        ("limit", "50"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let req = SignRequest::new(Method::GET, "/api/v4/futures/orders", 1_541_993_715_000).query(&q);
    let parts = signer.sign(&req).unwrap();
    assert_eq!(
        parts.header("SIGN"),
        Some(
            "55f84ea195d6fe57ce62464daaa7c3c02fa9d1dde954e4c898289c9a2407a3d6fb3faf24deff16790d726b66ac9f74526668b13bd01029199cc4fcc522418b8a"
        )
    );
    let body =
        br#"{"contract":"BTC_USD","type":"limit","size":100,"price":6800,"time_in_force":"gtc"}"#;
    let post =
        SignRequest::new(Method::POST, "/api/v4/futures/orders", 1_541_993_715_999).body(body);
    let post_parts = signer.sign(&post).unwrap();
    assert_eq!(
        post_parts.header("SIGN"),
        Some(
            "eae42da914a590ddf727473aff25fc87d50b64783941061f47a3fdb92742541fc4c2c14017581b4199a1418d54471c269c03a38d788d802e2c306c37636389f0"
        )
    );
    // the simulator's verifier accepts both at their time, and refuses a changed byte
    let check = |method, path, query, body: &[u8], sign: Option<&str>, now_ms| {
        mock_verify(
            &mock,
            Received {
                method,
                path,
                query,
                body,
                key: Some("key"),
                timestamp: Some("1541993715"),
                sign,
            },
            now_ms,
        )
    };
    assert!(
        check(
            "GET",
            "/api/v4/futures/orders",
            "contract=BTC_USD&status=finished&limit=50",
            b"",
            parts.header("SIGN"),
            1_541_993_715_000
        )
        .is_ok()
    );
    assert!(
        check(
            "POST",
            "/api/v4/futures/orders",
            "",
            body,
            post_parts.header("SIGN"),
            1_541_993_716_000
        )
        .is_ok()
    );
    let e = check(
        "GET",
        "/api/v4/futures/orders",
        "contract=BTC_USD&status=finished&limit=51",
        b"",
        parts.header("SIGN"),
        1_541_993_715_000,
    )
    .unwrap_err();
    assert_eq!(e, "INVALID_SIGNATURE");
    let e = check(
        "GET",
        "/api/v4/futures/orders",
        "contract=BTC_USD&status=finished&limit=50",
        b"",
        parts.header("SIGN"),
        1_541_993_815_000,
    )
    .unwrap_err();
    assert_eq!(e, "REQUEST_EXPIRED");
    let e = check(
        "GET",
        "/api/v4/futures/orders",
        "",
        b"",
        None,
        1_541_993_715_000,
    )
    .unwrap_err();
    assert_eq!(e, "MISSING_REQUIRED_HEADER");
}

fn mock_verify(mock: &MockGateIo, r: Received<'_>, now_ms: u64) -> Result<usize, &'static str> {
    mock.with_exchange(|ex| verify_rest(ex, &r, now_ms))
        .map_err(|e| e.label)
}

#[tokio::test]
async fn gate_io_bad_keys_are_typed_errors_and_the_clock_is_resynced() {
    let mock = MockGateIo::start().await.unwrap();
    let good = connector(&mock, mock.api_secret());
    assert!(
        good.balances()
            .await
            .unwrap()
            .iter()
            .any(|b| b.asset.as_str() == "USDT")
    );
    let bad = connector(&mock, "not-the-secret");
    match bad.balances().await {
        Err(VenueError::Auth(m)) => assert!(
            m.contains("INVALID_SIGNATURE") && !m.contains("not-the-secret"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    let stranger = GateIoSpot::new(
        config(&mock),
        Some(ApiCredentials::new("nobody", "x").unwrap()),
    )
    .unwrap();
    assert!(
        matches!(stranger.balances().await, Err(VenueError::Auth(m)) if m.contains("INVALID_KEY"))
    );
    // a server clock 5 minutes ahead: REQUEST_EXPIRED, the clock is synced, the request retried
    mock.set_clock_offset_ms(300_000);
    assert!(good.balances().await.is_ok());
    let offset = good.rest().clock.offset_ms();
    assert!((offset - 300_000).abs() < 5_000, "offset {offset}");
    // an unknown pair is the exchange's INVALID_CURRENCY_PAIR, typed
    let r = good
        .rest()
        .request(&ApiRequest::new(
            Method::GET,
            "/api/v4/spot/currency_pairs/NOPE_USDT",
        ))
        .await;
    assert!(
        matches!(
            r,
            Err(CexError::Api {
                kind: sluice::cex::error::ApiErrorKind::UnknownSymbol,
                ..
            })
        ),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_io_a_burst_of_500_requests_gets_no_429() {
    let mock = MockGateIo::start().await.unwrap();
    let creds = ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap();
    let burst = Burst {
        url: mock.rest_url(),
        protocol: Arc::new(GateProtocol),
        signer: gate_signer(&creds).unwrap(),
        limits: api::default_limits(),
        // 400 balance requests (200 per 10 s) and 100 order-book requests: the limiter must
        // spread them
        request: |i| {
            if i % 5 == 0 {
                ApiRequest::new(Method::GET, "/api/v4/spot/order_book")
                    .param("currency_pair", "BTC_USDT")
                    .param("with_id", "true")
                    .cost(api::PUBLIC_BOOK, 1)
            } else {
                ApiRequest::new(Method::GET, "/api/v4/spot/accounts")
                    .signed()
                    .cost(api::ACCOUNTS, 1)
            }
        },
        spread_at_least: Duration::from_secs(10),
        probe: ApiRequest::new(Method::GET, "/api/v4/spot/time"),
        probes: 250,
    };
    rate_limit::a_burst_of_500_requests_gets_no_429(burst, || mock.rejected_429()).await;
}

#[tokio::test]
async fn gate_io_hostile_answers_are_typed_errors() {
    let mock = MockGateIo::start().await.unwrap();
    mock.seed_book("BTC_USDT", dec!(100), 5, 1, dec!(1))
        .unwrap();
    let v = connector(&mock, mock.api_secret());
    v.sync_clock().await.unwrap();
    mock.inject_http_fault(HttpFault::HtmlPage { status: 502 });
    match v.balances().await {
        Err(VenueError::Protocol(m)) => {
            assert!(m.contains("HTTP 502") && m.contains("html"), "{m}")
        }
        other => panic!("HTML page not reported: {other:?}"),
    }
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(matches!(v.balances().await, Err(VenueError::Protocol(m)) if m.contains("accounts")));
    mock.inject_http_fault(HttpFault::HugeNumbers);
    assert!(matches!(v.balances().await, Err(VenueError::Protocol(m)) if m.contains("accounts")));
    // markets through a truncated answer, then fine again
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(v.markets().await.is_err());
    let markets = v.markets().await.unwrap();
    assert_eq!(markets.len(), 2);
    // an error body with an unknown label and unknown fields is a plain typed refusal
    let p = GateProtocol;
    use sluice::cex::http::HttpProtocol;
    let (code, msg) = p
        .parse_error(br#"{"label":"SOMETHING_NEW","message":"?","extra":{"a":[1,2]}}"#)
        .unwrap();
    assert_eq!(
        p.classify_error(400, code, &msg),
        sluice::cex::error::ApiErrorKind::Rejected
    );
    // quotes still work after all of it
    let q = v
        .quote(&QuoteRequest {
            pair: "BTC-USDT".parse::<Pair>().unwrap(),
            side: Side::Sell,
            base_amount: dec!(0.5),
        })
        .await
        .unwrap();
    assert!(q.quote_amount > dec!(0));
    // an order answer cut in half: the order's outcome is unknown, then reconciled
    let o = sluice::core::OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: "BTC-USDT".parse().unwrap(),
        side: Side::Buy,
        order_type: sluice::core::OrderType::Limit,
        amount: dec!(0.1),
        price: Some(dec!(95)),
        time_in_force: sluice::core::TimeInForce::Gtc,
        deadline: None,
    };
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(v.submit(o.clone()).await.is_err());
    assert_eq!(
        v.tracked(&o.client_id).unwrap().state,
        sluice::core::OrderState::Unknown
    );
    v.reconcile().await.unwrap();
    assert_eq!(
        v.tracked(&o.client_id).unwrap().state,
        sluice::core::OrderState::Open
    );
}
