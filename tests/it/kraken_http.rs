//! Kraken's REST edge against the simulated Kraken: a 500-request burst paced by the client's
//! limiter meets no 429 (and the same burst unpaced does), refused keys and signatures are
//! authentication errors, and hostile answers (an HTML error page, truncated JSON, huge numbers)
//! are typed errors, never a panic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice::cex::auth::ApiCredentials;
use sluice::cex::error::CexError;
use sluice::cex::exchanges::kraken::KrakenSpot;
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::kraken::HttpFault;

use crate::kraken_support::{config, start, trading_venue};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_a_burst_of_500_requests_gets_no_429() {
    // 50 public calls per second at both ends: the client's limiter spreads the burst
    let mock = start(50).await;
    let v = KrakenSpot::new(config(&mock, 50), None).unwrap();
    let mut rest = v.rest().clone();
    rest.max_retries = 0; // a single 429 would fail a request
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..500 {
        let rest = rest.clone();
        tasks.push(tokio::spawn(async move {
            let req = sluice::cex::http::ApiRequest::new(reqwest::Method::GET, "/0/public/Time")
                .cost(sluice::cex::exchanges::kraken::api::PUBLIC, 1);
            rest.request(&req).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("no request may be refused");
    }
    assert_eq!(mock.rate_limited_count(), 0);
    assert!(
        started.elapsed() >= Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );

    // the control: a client allowing 10× more gets 429s from the same server
    let loose = KrakenSpot::new(config(&mock, 500), None).unwrap();
    let mut rest = loose.rest().clone();
    rest.max_retries = 0;
    let mut refused = 0;
    for _ in 0..100 {
        let req = sluice::cex::http::ApiRequest::new(reqwest::Method::GET, "/0/public/Time")
            .cost(sluice::cex::exchanges::kraken::api::PUBLIC, 1);
        if matches!(rest.request(&req).await, Err(CexError::RateLimited { .. })) {
            refused += 1;
        }
    }
    assert!(refused > 0, "the server's limit is real");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_bad_keys_and_hostile_answers_are_typed_errors() {
    let mock = start(50).await;
    let v = trading_venue(&mock, 50);
    assert!(!v.balances().await.unwrap().is_empty());
    // a wrong secret: Kraken's EAPI:Invalid signature, an authentication error
    let wrong = ApiCredentials::new(mock.api_key(), "c2VjcmV0c2VjcmV0c2VjcmV0").unwrap();
    let bad = KrakenSpot::new(config(&mock, 50), Some(wrong)).unwrap();
    match bad.balances().await {
        Err(VenueError::Auth(m)) => assert!(m.contains("EAPI:Invalid signature"), "{m}"),
        other => panic!("{other:?}"),
    }
    for fault in [
        HttpFault::HtmlPage { status: 502 },
        HttpFault::TruncatedJson,
        HttpFault::HugeNumbers,
    ] {
        mock.inject_http_fault(fault.clone());
        match v.balances().await {
            Err(VenueError::Protocol(m)) => assert!(!m.is_empty(), "{fault:?}"),
            other => panic!("{fault:?}: {other:?}"),
        }
    }
    // markets: huge numbers in AssetPairs are a typed error too, and the next call works
    mock.inject_http_fault(HttpFault::HugeNumbers);
    let fresh = KrakenSpot::new(config(&mock, 50), None).unwrap();
    assert!(matches!(
        fresh.markets().await,
        Err(VenueError::Protocol(_))
    ));
    let markets = fresh.markets().await.unwrap();
    assert_eq!(markets.len(), 2);
    let _ = Arc::new(markets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_the_simulator_refuses_a_replayed_nonce_and_a_tampered_body() {
    use sluice::cex::http::{ApiRequest, RequestBody};
    let mock = start(50).await;
    let v = trading_venue(&mock, 50);
    let rest = v.rest();
    let call = |body: &str| {
        ApiRequest::new(reqwest::Method::POST, "/0/private/Balance")
            .body(RequestBody::Form(body.to_string()))
            .signed()
    };
    let first = rest.request(&call("nonce=5")).await.unwrap();
    assert!(String::from_utf8_lossy(&first).contains("\"error\":[]"));
    let again = rest.request(&call("nonce=5")).await.unwrap();
    assert!(String::from_utf8_lossy(&again).contains("EAPI:Invalid nonce"));
    // a body changed after signing: the signature no longer matches
    let prepared = rest
        .prepare(&call("nonce=7&asset=XXBT"), 0, Default::default())
        .unwrap();
    let tampered = reqwest::Client::new()
        .post(&prepared.url)
        .headers({
            let mut h = reqwest::header::HeaderMap::new();
            for (k, val) in &prepared.headers {
                h.insert(*k, val.parse().unwrap());
            }
            h
        })
        .body("nonce=7&asset=XETH")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(tampered.contains("EAPI:Invalid signature"), "{tampered}");
}
