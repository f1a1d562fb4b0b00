//! The Coinbase Exchange connector's signing and HTTP layer against the simulated exchange:
//! requests signed by the connector's signer pass the simulator's verifier, a changed byte, a
//! stale timestamp, a wrong passphrase and missing headers are refused with Coinbase's messages
//! as typed errors; the clock is resynced after `request timestamp expired`; a burst of 500
//! requests is spread under the documented limits without one 429; hostile answers (HTML pages,
//! truncated JSON, huge numbers, unknown fields) are typed errors, never a panic.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::CexError;
use sluice::cex::exchanges::coinbase_pro::api::{self, CoinbaseProtocol};
use sluice::cex::exchanges::coinbase_pro::{CoinbaseProSpot, coinbase_signer};
use sluice::cex::http::ApiRequest;
use sluice::cex::sign::SignRequest;
use sluice::core::{Pair, QuoteRequest, Side};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::coinbase_pro::{
    CbConfig, HttpFault, MockCoinbasePro, Received, verify,
};

use crate::cex_support::rate_limit::{self, Burst};
use crate::coinbase_pro_book::config;
use crate::coinbase_pro_orders::credentials;

const SECRET: &str = "c2VjcmV0LWJ5dGVzLWZvci1jb2luYmFzZS1leGNoYW5nZQ==";

fn connector(mock: &MockCoinbasePro, creds: ApiCredentials) -> CoinbaseProSpot {
    CoinbaseProSpot::new(config(mock), Some(creds)).unwrap()
}

/// Requests signed by the connector's signer at a fixed time pass the simulator's verifier at
/// that time; any changed part is refused with Coinbase's message.
#[tokio::test]
async fn coinbase_pro_signed_requests_pass_the_simulator_verifier() {
    let mock = MockCoinbasePro::start_with(CbConfig {
        api_key: Some("cb-key".into()),
        api_secret: Some(SECRET.to_string().into()),
        passphrase: Some("cb-pass".to_string().into()),
        ..CbConfig::default()
    })
    .await
    .unwrap();
    let creds = ApiCredentials::new("cb-key", SECRET)
        .unwrap()
        .with_passphrase("cb-pass")
        .unwrap();
    let signer = coinbase_signer(&creds).unwrap();
    let q: Vec<(String, String)> = vec![("product_id".into(), "BTC-USD".into())];
    let t = 1_700_000_000_000u64;
    let get = signer
        .sign(&SignRequest::new(Method::GET, "/orders", t).query(&q))
        .unwrap();
    let body = br#"{"price":"1.0","size":"1.0","side":"buy","product_id":"BTC-USD"}"#;
    let post = signer
        .sign(&SignRequest::new(Method::POST, "/orders", t).body(body))
        .unwrap();
    let check = |method, query, body: &[u8], sign: Option<&str>, pass, now_ms| {
        mock.with_exchange(|ex| {
            let passphrases = [("cb-key".to_string(), "cb-pass".to_string())]
                .into_iter()
                .collect();
            verify(
                ex,
                &passphrases,
                &Received {
                    method,
                    path: "/orders",
                    query,
                    body,
                    key: Some("cb-key"),
                    sign,
                    timestamp: Some("1700000000"),
                    passphrase: pass,
                },
                now_ms,
            )
            .map_err(|e| e.message)
        })
    };
    let (g, p) = (get.header("CB-ACCESS-SIGN"), post.header("CB-ACCESS-SIGN"));
    assert!(check("GET", "product_id=BTC-USD", b"", g, Some("cb-pass"), t).is_ok());
    assert!(check("POST", "", body, p, Some("cb-pass"), t + 1_000).is_ok());
    let refused = |r: Result<usize, String>| r.unwrap_err();
    assert_eq!(
        refused(check(
            "GET",
            "product_id=ETH-USD",
            b"",
            g,
            Some("cb-pass"),
            t
        )),
        "invalid signature"
    );
    assert_eq!(
        refused(check("POST", "", b"{}", p, Some("cb-pass"), t)),
        "invalid signature"
    );
    assert_eq!(
        refused(check("GET", "product_id=BTC-USD", b"", g, Some("other"), t)),
        "Invalid Passphrase"
    );
    assert_eq!(
        refused(check(
            "GET",
            "product_id=BTC-USD",
            b"",
            g,
            Some("cb-pass"),
            t + 60_000
        )),
        "request timestamp expired"
    );
    assert_eq!(
        refused(check("GET", "", b"", None, Some("cb-pass"), t)),
        "CB-ACCESS-KEY header is required"
    );
}

#[tokio::test]
async fn coinbase_pro_bad_keys_are_typed_errors_and_the_clock_is_resynced() {
    let mock = MockCoinbasePro::start().await.unwrap();
    let good = connector(&mock, credentials(&mock));
    assert!(
        good.balances()
            .await
            .unwrap()
            .iter()
            .any(|b| b.asset.as_str() == "USD")
    );
    let wrong_secret = ApiCredentials::new(mock.api_key(), SECRET)
        .unwrap()
        .with_passphrase(mock.passphrase())
        .unwrap();
    match connector(&mock, wrong_secret).balances().await {
        Err(VenueError::Auth(m)) => {
            assert!(
                m.contains("invalid signature") && !m.contains(SECRET),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    let stranger = ApiCredentials::new("nobody", SECRET)
        .unwrap()
        .with_passphrase("x")
        .unwrap();
    assert!(
        matches!(connector(&mock, stranger).balances().await, Err(VenueError::Auth(m)) if m.contains("Invalid API Key"))
    );
    // a server clock 5 minutes ahead: the timestamp is refused, the clock synced, the request retried
    mock.set_clock_offset_ms(300_000);
    assert!(good.balances().await.is_ok());
    let offset = good.rest().clock.offset_ms();
    assert!((offset - 300_000).abs() < 5_000, "offset {offset}");
    // an unknown product is typed
    let r = good
        .rest()
        .request(&ApiRequest::new(Method::GET, "/products/NOPE-USD/book").param("level", 2))
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
async fn coinbase_pro_a_burst_of_500_requests_gets_no_429() {
    let mock = MockCoinbasePro::start().await.unwrap();
    let burst = Burst {
        url: mock.rest_url(),
        protocol: Arc::new(CoinbaseProtocol),
        signer: coinbase_signer(&credentials(&mock)).unwrap(),
        limits: api::default_limits(),
        // 300 private requests (15/s) and 200 public ones (10/s): the limiter must spread them
        request: |i| {
            if i % 5 < 2 {
                ApiRequest::new(Method::GET, "/products/BTC-USD/book")
                    .param("level", 2)
                    .cost(api::PUBLIC, 1)
            } else {
                ApiRequest::new(Method::GET, "/accounts")
                    .signed()
                    .cost(api::PRIVATE, 1)
            }
        },
        spread_at_least: Duration::from_secs(15),
        probe: ApiRequest::new(Method::GET, "/time"),
        probes: 100,
    };
    rate_limit::a_burst_of_500_requests_gets_no_429(burst, || mock.rejected_429()).await;
}

#[tokio::test]
async fn coinbase_pro_hostile_answers_are_typed_errors() {
    let mock = MockCoinbasePro::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 5, 1, dec!(1)).unwrap();
    let v = connector(&mock, credentials(&mock));
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
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(v.markets().await.is_err());
    assert_eq!(v.markets().await.unwrap().len(), 2);
    // an error body with an unknown message and unknown fields is a plain typed refusal
    let p = CoinbaseProtocol;
    use sluice::cex::http::HttpProtocol;
    let (code, msg) = p
        .parse_error(br#"{"message":"something new","extra":{"a":[1,2]}}"#)
        .unwrap();
    assert_eq!(
        p.classify_error(400, code, &msg),
        sluice::cex::error::ApiErrorKind::Rejected
    );
    let q = v
        .quote(&QuoteRequest {
            pair: "BTC-USD".parse::<Pair>().unwrap(),
            side: Side::Sell,
            base_amount: dec!(0.5),
        })
        .await
        .unwrap();
    assert!(q.quote_amount > dec!(0));
    // an order answer cut in half: the order's outcome is unknown, then reconciled
    let o = sluice::core::OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: "BTC-USD".parse().unwrap(),
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
