//! The HTX connector's signing and HTTP layer against the simulated HTX: the documented example
//! signed by the connector passes the simulator's verifier, a changed byte, a stale timestamp or
//! a wrong secret does not (HTX's codes as typed errors); the clock resynced after
//! `invalid-timestamp`; a burst of 500 requests spread under the documented limits without one
//! 429; hostile answers (HTML pages, truncated JSON, huge numbers, unknown fields) reported as
//! typed errors, never a panic.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::CexError;
use sluice::cex::error::ApiErrorKind;
use sluice::cex::exchanges::htx::api::{self, HtxProtocol, limit};
use sluice::cex::exchanges::htx::{HtxSpot, htx_signer};
use sluice::cex::http::{ApiRequest, Endpoint, HttpProtocol, prepare_request};
use sluice::cex::sign::NonceSource;
use sluice::core::{OrderRequest, OrderState, OrderType, Pair, QuoteRequest, Side, TimeInForce};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::htx::{HttpFault, HtxMockConfig, MockHtx, verify_rest};

use crate::cex_support::rate_limit::{self, Burst};
use crate::htx_book::{SYMBOL, config};

const KEY: &str = "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx";
const SECRET: &str = "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx";

fn connector(mock: &MockHtx, secret: &str) -> HtxSpot {
    HtxSpot::new(
        config(mock),
        Some(ApiCredentials::new(mock.api_key(), secret).unwrap()),
    )
    .unwrap()
}

/// The documented example (`GET /v1/order/orders?order-id=1234567890` at 2017-05-11T15:19:30),
/// signed through the live request path, passes the simulator's verifier at its own time.
#[tokio::test]
async fn htx_documented_example_passes_the_simulator_verifier() {
    let mock = MockHtx::start_with(HtxMockConfig {
        api_key: Some(KEY.into()),
        api_secret: Some(SECRET.to_string().into()),
        ..HtxMockConfig::default()
    })
    .await
    .unwrap();
    let signer = htx_signer(&ApiCredentials::new(KEY, SECRET).unwrap()).unwrap();
    let req = ApiRequest::new(Method::GET, "/v1/order/orders")
        .param("order-id", "1234567890")
        .signed();
    let at: u64 = 1_494_515_970_000;
    let p = prepare_request(
        &Endpoint::new("https://api.huobi.pro"),
        None,
        Some(&signer),
        &req,
        i64::try_from(at).unwrap(),
        NonceSource::Derived,
    )
    .unwrap();
    let verify = |host: &str, query: &str, now: u64| {
        mock.with_exchange(|ex| verify_rest(ex, "GET", host, "/v1/order/orders", query, now))
            .map_err(|e| e.code)
    };
    assert_eq!(
        verify("api.huobi.pro", &p.query, at + 1_000),
        Ok(mock.account())
    );
    // another host, a changed parameter, a stale time, no signature: refused
    assert_eq!(
        verify("api-aws.huobi.pro", &p.query, at),
        Err("api-signature-not-valid")
    );
    let changed = p.query.replace("1234567890", "1234567891");
    assert_eq!(
        verify("api.huobi.pro", &changed, at),
        Err("api-signature-not-valid")
    );
    assert_eq!(
        verify("api.huobi.pro", &p.query, at + 600_000),
        Err("invalid-timestamp")
    );
    assert_eq!(
        verify("api.huobi.pro", "order-id=1234567890", at),
        Err("api-signature-not-valid")
    );
}

#[tokio::test]
async fn htx_bad_keys_are_typed_errors_and_the_clock_is_resynced() {
    let mock = MockHtx::start().await.unwrap();
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
            m.contains("api-signature-not-valid") && !m.contains("not-the-secret"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    let stranger = HtxSpot::new(
        config(&mock),
        Some(ApiCredentials::new("nobody", "x").unwrap()),
    )
    .unwrap();
    assert!(
        matches!(stranger.balances().await, Err(VenueError::Auth(m)) if m.contains("invalid-access-key-id"))
    );
    // a server clock 10 minutes ahead: invalid-timestamp, the clock is synced, the request retried
    mock.set_clock_offset_ms(600_000);
    assert!(good.balances().await.is_ok());
    let offset = good.rest().clock.offset_ms();
    assert!((offset - 600_000).abs() < 5_000, "offset {offset}");
    // an unknown symbol is HTX's base-symbol-error, typed
    let r = good
        .rest()
        .request(
            &ApiRequest::new(Method::GET, "/market/depth")
                .param("symbol", "nopeusdt")
                .param("type", "step0"),
        )
        .await
        .and_then(|b| api::decode_data::<serde_json::Value>("depth", &b).map(|_| b));
    assert!(
        matches!(
            r,
            Err(CexError::Api {
                kind: ApiErrorKind::UnknownSymbol,
                ..
            })
        ),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htx_a_burst_of_500_requests_gets_no_429() {
    let mock = MockHtx::start().await.unwrap();
    let creds = ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap();
    let burst = Burst {
        url: mock.rest_url(),
        protocol: Arc::new(HtxProtocol),
        signer: htx_signer(&creds).unwrap(),
        limits: api::default_limits(),
        // 450 account requests (100 per 2 s) and 50 symbol lists (10 per second): spread by the
        // limiter
        request: |i| {
            if i % 10 == 0 {
                ApiRequest::new(Method::GET, "/v1/common/symbols").cost(limit::PUBLIC, 1)
            } else {
                ApiRequest::new(Method::GET, "/v1/account/accounts")
                    .signed()
                    .cost(limit::ACCOUNT, 1)
            }
        },
        spread_at_least: Duration::from_secs(6),
        probe: ApiRequest::new(Method::GET, "/v1/common/timestamp"),
        probes: 50,
    };
    rate_limit::a_burst_of_500_requests_gets_no_429(burst, || mock.rejected_429()).await;
}

#[tokio::test]
async fn htx_hostile_answers_are_typed_errors() {
    let mock = MockHtx::start().await.unwrap();
    mock.seed_book(SYMBOL, dec!(100), 5, 1, dec!(1)).unwrap();
    let v = connector(&mock, mock.api_secret());
    v.sync_clock().await.unwrap();
    // the spot account id is read once, before the faults
    assert!(v.balances().await.is_ok());
    mock.inject_http_fault(HttpFault::HtmlPage { status: 502 });
    match v.balances().await {
        Err(VenueError::Protocol(m)) => {
            assert!(m.contains("HTTP 502") && m.contains("html"), "{m}")
        }
        other => panic!("HTML page not reported: {other:?}"),
    }
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(matches!(v.balances().await, Err(VenueError::Protocol(m)) if m.contains("balance")));
    mock.inject_http_fault(HttpFault::HugeNumbers);
    assert!(matches!(v.balances().await, Err(VenueError::Protocol(m)) if m.contains("balance")));
    // markets through a truncated answer, then fine again
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(v.markets().await.is_err());
    assert_eq!(v.markets().await.unwrap().len(), 2);
    // an error body with an unknown code and unknown fields is a plain typed refusal
    let p = HtxProtocol;
    let (code, msg) = p
        .parse_error(
            br#"{"status":"error","err-code":"something-new","err-msg":"?","extra":{"a":[1,2]}}"#,
        )
        .unwrap();
    assert!(msg.starts_with("something-new"));
    assert_eq!(p.classify_error(200, code, &msg), ApiErrorKind::Rejected);
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
    let o = OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: "BTC-USDT".parse().unwrap(),
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
}
