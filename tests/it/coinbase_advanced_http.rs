//! The Coinbase Advanced Trade connector's signing and HTTP layer against the simulated venue:
//! JWTs from the connector's signer accepted by the simulator's verifier (ES256 with the key's
//! public part); another key, a JWT replayed on another path and a skewed clock refused as
//! typed errors, the clock resynced after an expired JWT; a burst of 500 requests spread under the
//! documented limits without one 429; hostile answers (HTML pages, truncated JSON, huge numbers,
//! unknown fields) reported as typed errors, never a panic.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::CexError;
use sluice::cex::exchanges::coinbase_advanced::api::{self, CoinbaseProtocol};
use sluice::cex::exchanges::coinbase_advanced::{CoinbaseAdvancedSpot, coinbase_advanced_signer};
use sluice::cex::http::{ApiRequest, HttpProtocol};
use sluice::core::{OrderRequest, OrderState, OrderType, Pair, QuoteRequest, Side, TimeInForce};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::coinbase_advanced::{
    HttpFault, MockCoinbaseAdvanced, new_cdp_key,
};

use crate::cex_support::rate_limit::{self, Burst};
use crate::coinbase_advanced_book::config;

fn connector(mock: &MockCoinbaseAdvanced, key: &str, pem: &str) -> CoinbaseAdvancedSpot {
    CoinbaseAdvancedSpot::new(config(mock), Some(ApiCredentials::new(key, pem).unwrap())).unwrap()
}

#[tokio::test]
async fn coinbase_advanced_jwts_are_verified_and_refusals_are_typed() {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    let good = connector(&mock, mock.api_key(), mock.api_secret());
    assert!(
        good.balances()
            .await
            .unwrap()
            .iter()
            .any(|b| b.asset.as_str() == "USD")
    );
    // the right key name with another private key: the signature does not verify
    let (other_pem, _) = new_cdp_key();
    let bad = connector(&mock, mock.api_key(), &other_pem);
    match bad.balances().await {
        Err(VenueError::Auth(m)) => {
            assert!(
                m.contains("UNAUTHENTICATED") && m.contains("signature"),
                "{m}"
            );
            assert!(!m.contains("PRIVATE KEY"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let stranger = connector(&mock, "organizations/x/apiKeys/nobody", &other_pem);
    assert!(
        matches!(stranger.balances().await, Err(VenueError::Auth(m)) if m.contains("unknown key"))
    );
    // a JWT is bound to its request: replayed on another path it is refused
    let prepared = good
        .rest()
        .prepare(
            &ApiRequest::new(Method::GET, "/api/v3/brokerage/accounts").signed(),
            good.rest().clock.now_ms(),
            sluice::cex::sign::NonceSource::Derived,
        )
        .unwrap();
    let auth = prepared
        .headers
        .iter()
        .find(|(k, _)| *k == "Authorization")
        .unwrap()
        .1
        .clone();
    let client = reqwest::Client::new();
    let ok = client
        .get(&prepared.url)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let replay = client
        .get(format!(
            "{}/api/v3/brokerage/transaction_summary",
            mock.rest_url()
        ))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    let body = replay.text().await.unwrap();
    assert!(
        body.contains("UNAUTHENTICATED") && body.contains("uri"),
        "{body}"
    );
    // a server clock 5 minutes ahead: the JWT is expired there; the clock is synced and the
    // request retried
    mock.set_clock_offset_ms(300_000);
    assert!(good.balances().await.is_ok());
    let offset = good.rest().clock.offset_ms();
    assert!((offset - 300_000).abs() < 5_000, "offset {offset}");
    // an unknown product is typed
    let r = good
        .rest()
        .request(&ApiRequest::new(
            Method::GET,
            "/api/v3/brokerage/market/products/NOPE-USD",
        ))
        .await;
    assert!(
        matches!(&r, Err(CexError::Api { status: 404, .. })),
        "{r:?}"
    );
    let pair: Pair = "NOPE-USD".parse().unwrap();
    assert!(matches!(
        good.quote(&QuoteRequest {
            pair,
            side: Side::Buy,
            base_amount: dec!(1)
        })
        .await,
        Err(VenueError::UnknownPair { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_a_burst_of_500_requests_gets_no_429() {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 5, 1, dec!(1)).unwrap();
    let creds = ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap();
    let burst = Burst {
        url: mock.rest_url(),
        protocol: Arc::new(CoinbaseProtocol),
        signer: coinbase_advanced_signer(&creds).unwrap(),
        limits: api::default_limits(),
        // 400 account requests (30 per second) and 100 book requests (10 per second)
        request: |i| {
            let req = if i % 5 == 0 {
                ApiRequest::new(Method::GET, "/api/v3/brokerage/market/product_book")
                    .param("product_id", "BTC-USD")
                    .cost(api::PUBLIC, 1)
            } else {
                ApiRequest::new(Method::GET, "/api/v3/brokerage/accounts")
                    .signed()
                    .cost(api::PRIVATE, 1)
            };
            req.max_wait(Duration::from_secs(60))
        },
        spread_at_least: Duration::from_secs(9),
        probe: ApiRequest::new(Method::GET, "/api/v3/brokerage/time"),
        probes: 40,
    };
    rate_limit::a_burst_of_500_requests_gets_no_429(burst, || mock.rejected_429()).await;
}

#[tokio::test]
async fn coinbase_advanced_hostile_answers_are_typed_errors() {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 5, 1, dec!(1)).unwrap();
    let v = connector(&mock, mock.api_key(), mock.api_secret());
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
    mock.inject_http_fault(HttpFault::HugeNumbers);
    assert!(v.markets().await.is_err());
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(v.markets().await.is_err());
    let markets = v.markets().await.unwrap();
    assert_eq!(markets.len(), 2);
    assert_eq!(
        (markets[0].maker_fee, markets[0].taker_fee),
        (dec!(0.004), dec!(0.006))
    );
    // an error body with an unknown word and unknown fields is a plain typed refusal
    let p = CoinbaseProtocol;
    let (code, msg) = p
        .parse_error(br#"{"error":"SOMETHING_NEW","message":"?","extra":{"a":[1,2]}}"#)
        .unwrap();
    assert_eq!(
        p.classify_error(400, code, &msg),
        sluice::cex::error::ApiErrorKind::Rejected
    );
    // quotes still work after all of it
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
    let o = OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: "BTC-USD".parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(0.1),
        price: Some(dec!(95)),
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    };
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(v.submit(o.clone()).await.is_err());
    assert_eq!(v.tracked(&o.client_id).unwrap().state, OrderState::Unknown);
    v.reconcile().await.unwrap();
    assert_eq!(v.tracked(&o.client_id).unwrap().state, OrderState::Open);
    // a 429 with Retry-After is waited out and the request retried
    mock.inject_http_fault(HttpFault::TooManyRequests);
    assert!(v.balances().await.is_ok());
}
