//! The OKX connector's REST side against the simulated OKX: a burst of 500 requests spread by
//! the documented per-endpoint limits without one 429; wrong keys, passphrase or signature
//! refused by the simulator's own verification and reported as authentication errors; a skewed
//! clock re-synced; a 429 waited out; hostile answers (an HTML page, truncated JSON, huge
//! numbers, unknown fields, an error under HTTP 200) give typed errors, never a panic.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::RateLimiter;
use sluice::cex::exchanges::okx::OkxSpot;
use sluice::cex::exchanges::okx::api::{OkxProtocol, default_limits, limit};
use sluice::cex::http::{ApiRequest, RestClient};
use sluice::core::Pair;
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::okx::{HttpFault, MockOkx};
use tokio::time::Instant;

use crate::okx_orders::{okx_config, okx_venue};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_500_requests_gets_no_429() {
    let mock = MockOkx::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 5, 1, dec!(1))
        .unwrap();
    let limiter = Arc::new(RateLimiter::new(&default_limits()));
    let mut rest = RestClient::new(&mock.rest_url(), Arc::new(OkxProtocol), None, limiter).unwrap();
    // No retries: a single 429 would fail a request.
    rest.max_retries = 0;
    let start = Instant::now();
    let mut tasks = Vec::new();
    // 500 book requests at 40 per 2 s: the limiter must spread them over 24 s or more.
    for _ in 0..500 {
        let rest = rest.clone();
        tasks.push(tokio::spawn(async move {
            let req = ApiRequest::new(Method::GET, "/api/v5/market/books")
                .param("instId", "BTC-USDT")
                .param("sz", 5)
                .cost(limit::BOOKS, 1);
            rest.request(&req).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("no request may be rejected");
    }
    assert_eq!(mock.rate_limited_count(), 0);
    assert!(
        start.elapsed() >= Duration::from_secs(20),
        "a burst over the limit must be spread"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_refuses_bad_credentials_as_okx_does() {
    let mock = MockOkx::start().await.unwrap();
    let cfg = okx_config(&mock);
    let with = |secret: &str, pass: &str| {
        let c = ApiCredentials::new(mock.api_key(), secret)
            .unwrap()
            .with_passphrase(pass)
            .unwrap();
        OkxSpot::new(cfg.clone(), Some(c)).unwrap()
    };
    for (v, code) in [
        (with("not-the-secret", mock.passphrase()), "50113"),
        (with(mock.api_secret(), "wrong pass"), "50105"),
    ] {
        match v.balances().await {
            Err(VenueError::Auth(m)) => assert!(m.contains(code), "{m}"),
            other => panic!("bad credentials accepted: {other:?}"),
        }
        // and the private stream's login is refused too
        assert!(matches!(
            v.start_user_stream().await,
            Err(VenueError::Auth(_))
        ));
    }
    let unknown = OkxSpot::new(
        cfg,
        Some(
            ApiCredentials::new("nobody", "s")
                .unwrap()
                .with_passphrase("p")
                .unwrap(),
        ),
    )
    .unwrap();
    match unknown.balances().await {
        Err(VenueError::Auth(m)) => assert!(m.contains("50111"), "{m}"),
        other => panic!("{other:?}"),
    }
    // the right keys work
    assert!(okx_venue(&mock).balances().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skew_429_and_hostile_answers() {
    let mock = MockOkx::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 5, 1, dec!(1))
        .unwrap();
    let v = okx_venue(&mock);
    v.balances().await.unwrap();
    // the exchange's clock moves 45 s: 50102, a clock sync, one retry
    mock.set_clock_offset_ms(45_000);
    v.balances().await.unwrap();
    assert!((v.rest().clock.offset_ms() - 45_000).abs() < 2_000);
    // a 429 is waited out
    mock.inject_http_fault(HttpFault::TooManyRequests);
    let t = Instant::now();
    v.balances().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(900));

    let expect_protocol = |r: Result<Vec<sluice::core::Balance>, VenueError>, what: &str| match r {
        Err(VenueError::Protocol(m)) => m,
        other => panic!("{what}: {other:?}"),
    };
    mock.inject_http_fault(HttpFault::HtmlPage { status: 502 });
    let m = expect_protocol(v.balances().await, "html");
    assert!(m.contains("HTTP 502") && m.contains("html"), "{m}");
    mock.inject_http_fault(HttpFault::TruncatedJson);
    let m = expect_protocol(v.balances().await, "truncated");
    assert!(m.contains("balance"), "{m}");
    for huge in ["1e999999", "99999999999999999999999999999999999999", "-"] {
        mock.inject_http_fault(HttpFault::Body {
            status: 200,
            body: format!(
                r#"{{"code":"0","msg":"","data":[{{"details":[{{"ccy":"BTC","availBal":"{huge}","frozenBal":"0"}}]}}]}}"#
            ),
        });
        expect_protocol(v.balances().await, huge);
    }
    // an error under HTTP 200 is the exchange's error, typed
    mock.inject_http_fault(HttpFault::Body {
        status: 200,
        body: r#"{"code":"50113","msg":"Invalid Sign","data":[]}"#.into(),
    });
    assert!(matches!(v.balances().await, Err(VenueError::Auth(_))));
    // unknown fields are ignored
    mock.inject_http_fault(HttpFault::Body {
        status: 200,
        body: r#"{"code":"0","msg":"","new":{"x":[1]},"data":[{"future":true,"details":[{"ccy":"BTC","availBal":"1.5","frozenBal":"0.5","more":"x"}]}]}"#.into(),
    });
    let b = v.balances().await.unwrap();
    assert_eq!((b[0].total, b[0].available), (dec!(2), dec!(1.5)));
    // and the connector still works, markets and quotes included
    let markets = v.markets().await.unwrap();
    let btc = markets
        .iter()
        .find(|m| m.venue_symbol == "BTC-USDT")
        .unwrap();
    assert_eq!(
        (btc.tick_size, btc.step_size, btc.min_size),
        (dec!(0.1), dec!(0.00000001), dec!(0.00001))
    );
    assert_eq!(markets.len(), 3);
    let unknown: Pair = "XYZ-USDT".parse().unwrap();
    assert!(matches!(
        v.market(&unknown).await,
        Err(VenueError::UnknownPair { .. })
    ));
}
