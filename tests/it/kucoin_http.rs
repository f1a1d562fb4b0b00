//! The KuCoin connector's signing and HTTP layer against the simulated KuCoin: the recipe's
//! vectors (computed with openssl over the documented pre-sign text) signed by the connector and
//! accepted by the simulator's own verifier; a wrong secret, a wrong passphrase, an unknown key
//! refused with KuCoin's codes as typed errors (no secret in them); the clock resynced after
//! `400002`; a burst of 500 requests kept inside KuCoin's resource pools without one 429; hostile
//! answers (HTML pages, truncated JSON, huge numbers, unknown fields) reported as typed errors or
//! read past, never a panic.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::CexError;
use sluice::cex::error::ApiErrorKind;
use sluice::cex::exchanges::kucoin::api::{self, KuCoinProtocol, limit};
use sluice::cex::exchanges::kucoin::{KuCoinSpot, kucoin_signer};
use sluice::cex::http::{ApiRequest, Endpoint, HttpProtocol, prepare_request};
use sluice::cex::sign::NonceSource;
use sluice::core::{OrderRequest, OrderState, OrderType, Pair, QuoteRequest, Side, TimeInForce};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::kucoin::{
    HttpFault, KeyRecord, MockKuCoin, Received, code, verify_rest,
};

use crate::cex_support::rate_limit::{self, Burst};
use crate::kucoin_book::config;

fn creds(key: &str, secret: &str, pass: &str) -> ApiCredentials {
    ApiCredentials::new(key, secret)
        .unwrap()
        .with_passphrase(pass)
        .unwrap()
}

fn connector(mock: &MockKuCoin, secret: &str, pass: &str) -> KuCoinSpot {
    KuCoinSpot::new(config(mock), Some(creds(mock.api_key(), secret, pass))).unwrap()
}

fn header<'a>(p: &'a sluice::cex::http::PreparedRequest, n: &str) -> Option<&'a str> {
    p.headers
        .iter()
        .find(|(k, _)| *k == n)
        .map(|(_, v)| v.as_str())
}

/// The connector's signed requests (the vectors' GET with a query and POST with a body) pass the
/// simulator's verifier, written independently from the documented recipe; a changed byte fails.
#[test]
fn kucoin_signed_requests_pass_the_simulator_verifier() {
    let signer = kucoin_signer(&creds("k1", "kucoin-test-secret", "my-passphrase")).unwrap();
    let rec = KeyRecord {
        account: 7,
        secret: "kucoin-test-secret",
        passphrase: "my-passphrase",
    };
    let get = ApiRequest::new(Method::GET, "/api/v1/deposit-addresses")
        .param("currency", "BTC")
        .signed();
    let body = r#"{"clientOid":"5c52e11203aa677f33e493fb","side":"buy","symbol":"BTC-USDT","type":"limit","price":"10000","size":"0.001"}"#;
    let post = ApiRequest::new(Method::POST, "/api/v1/orders")
        .body(sluice::cex::http::RequestBody::Json(body.into()))
        .signed();
    let endpoint = Endpoint::new("https://api.kucoin.com");
    let time = 1_547_015_186_532;
    let at = |ms: i64| u64::try_from(ms).unwrap();
    for (req, want) in [
        (&get, "qEp/fCvgBM9Vpo3A5pEOGTgJesdZdZp2VFFhSd2XMhg="),
        (&post, "Qk7bFjZprOWEXTLN4leXD0KihH6JGClZlrZDMoErev0="),
    ] {
        let p = prepare_request(
            &endpoint,
            None,
            Some(&signer),
            req,
            time,
            NonceSource::Derived,
        )
        .unwrap();
        assert_eq!(header(&p, "KC-API-SIGN"), Some(want));
        let url = url::Url::parse(&p.url).unwrap();
        let sent_body = p.body.clone().unwrap_or_default();
        let r = Received {
            method: req.method.as_str(),
            path: url.path(),
            query: url.query().unwrap_or(""),
            body: &sent_body,
            key: header(&p, "KC-API-KEY"),
            timestamp: header(&p, "KC-API-TIMESTAMP"),
            sign: header(&p, "KC-API-SIGN"),
            passphrase: header(&p, "KC-API-PASSPHRASE"),
            key_version: header(&p, "KC-API-KEY-VERSION"),
        };
        assert_eq!(verify_rest(&r, at(time + 1_000), |_| Some(rec)), Ok(7));
        let tampered = Received {
            body: b"{}",
            query: "currency=ETH",
            ..r
        };
        assert_eq!(
            verify_rest(&tampered, at(time), |_| Some(rec))
                .unwrap_err()
                .code,
            code::INVALID_SIGN
        );
        assert_eq!(
            verify_rest(&r, at(time + 6_000), |_| Some(rec))
                .unwrap_err()
                .code,
            code::INVALID_TIMESTAMP
        );
    }
}

#[tokio::test]
async fn kucoin_bad_keys_are_typed_errors_and_the_clock_is_resynced() {
    let mock = MockKuCoin::start().await.unwrap();
    let good = connector(&mock, mock.api_secret(), mock.passphrase());
    assert!(
        good.balances()
            .await
            .unwrap()
            .iter()
            .any(|b| b.asset.as_str() == "USDT")
    );
    let bad = connector(&mock, "not-the-secret", mock.passphrase());
    match bad.balances().await {
        Err(VenueError::Auth(m)) => {
            assert!(m.contains("400004") && !m.contains("not-the-secret"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    let wrong_pass = connector(&mock, mock.api_secret(), "not-the-passphrase");
    match wrong_pass.balances().await {
        Err(VenueError::Auth(m)) => {
            assert!(
                m.contains("400004") && !m.contains("not-the-passphrase"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    let stranger = KuCoinSpot::new(config(&mock), Some(creds("nobody", "x", "y"))).unwrap();
    assert!(matches!(stranger.balances().await, Err(VenueError::Auth(m)) if m.contains("400003")));
    // a server clock 5 minutes ahead: 400002, the clock is synced, the request retried
    mock.set_clock_offset_ms(300_000);
    assert!(good.balances().await.is_ok());
    let offset = good.rest().clock.offset_ms();
    assert!((offset - 300_000).abs() < 5_000, "offset {offset}");
    // an unknown symbol is KuCoin's 900001, typed
    let r = good
        .rest()
        .request(&ApiRequest::new(Method::GET, "/api/v2/symbols/NOPE-USDT"))
        .await;
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
    // the private stream with a refused key is an authentication error, at once
    assert!(matches!(
        bad.start_user_stream().await,
        Err(VenueError::Auth(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_a_burst_of_500_requests_gets_no_429() {
    let mock = MockKuCoin::start().await.unwrap();
    let burst = Burst {
        url: mock.rest_url(),
        protocol: Arc::new(KuCoinProtocol),
        signer: kucoin_signer(&creds(mock.api_key(), mock.api_secret(), mock.passphrase()))
            .unwrap(),
        limits: api::default_limits(),
        // 420 balance requests (weight 5: 2100 of the management pool's 2000 per 30 s) and 80
        // book snapshots (public pool): the limiter must hold some back to the next window
        request: |i| {
            let req = if i % 25 < 4 {
                ApiRequest::new(Method::GET, "/api/v1/market/orderbook/level2_100")
                    .param("symbol", "BTC-USDT")
                    .cost(limit::PUBLIC, limit::W_BOOK)
            } else {
                ApiRequest::new(Method::GET, "/api/v1/accounts")
                    .param("type", "trade")
                    .signed()
                    .cost(limit::MANAGEMENT, limit::W_ACCOUNTS)
            };
            req.max_wait(Duration::from_secs(70))
        },
        // the last 20 balance requests wait for the oldest to leave the sliding 30 s window
        spread_at_least: Duration::from_secs(25),
        // weight 3 each: 2000 a window is spent within 667 requests, whichever window they fall in
        probe: ApiRequest::new(Method::GET, "/api/v1/timestamp"),
        probes: 1400,
    };
    rate_limit::a_burst_of_500_requests_gets_no_429(burst, || mock.rejected_429()).await;
}

#[tokio::test]
async fn kucoin_hostile_answers_are_typed_errors() {
    let mock = MockKuCoin::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 5, 1, dec!(1))
        .unwrap();
    let v = connector(&mock, mock.api_secret(), mock.passphrase());
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
    // unknown fields are read past
    mock.inject_http_fault(HttpFault::UnknownFields);
    assert!(!v.balances().await.unwrap().is_empty());
    // markets through a truncated answer, then fine again
    mock.inject_http_fault(HttpFault::TruncatedJson);
    assert!(v.markets().await.is_err());
    mock.inject_http_fault(HttpFault::UnknownFields);
    let markets = v.markets().await.unwrap();
    assert_eq!(markets.len(), 2);
    // an error body with an unknown code and unknown fields is a plain typed refusal
    let p = KuCoinProtocol;
    let (c, msg) = p
        .parse_error(br#"{"code":"777777","msg":"?","extra":{"a":[1,2]}}"#)
        .unwrap();
    assert_eq!(p.classify_error(400, c, &msg), ApiErrorKind::Rejected);
    // a 200 carrying an error code is the error, not data
    assert!(matches!(
        api::decode_data::<serde_json::Value>(
            "x",
            br#"{"code":"400100","msg":"Balance insufficient!"}"#
        ),
        Err(CexError::Api {
            kind: ApiErrorKind::InsufficientBalance,
            ..
        })
    ));
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
