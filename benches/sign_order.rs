//! Signing an exchange order, the last stage of the arbitrage's trade path: a Binance IOC limit
//! order made into its request (`binance::order_request`), then signed and laid out for the wire
//! by `cex::http::prepare_request` (query encoded, recvWindow and timestamp added, HMAC-SHA256
//! over totalParams, the signature appended, the API-key header, the URL) — the one path every
//! live order and `sluice keys sign` take. Also the parts alone: encoding the order's query and
//! the recipe's `Signer::sign` on an already-encoded request.
//!
//! `cargo bench --bench sign_order` (pin it: `taskset -c 1 target/release/deps/sign_order-<hash>
//! --bench`). Made-up keys; nothing is sent.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use sluice::cex::auth::ApiCredentials;
use sluice::cex::exchanges::binance::api::BinanceProtocol;
use sluice::cex::exchanges::binance::{binance_signer, order_request};
use sluice::cex::http::{Endpoint, encode_query, prepare_request};
use sluice::cex::sign::{NonceSource, SignRequest};
use sluice::core::{Asset, ClientOrderId, OrderRequest, OrderType, Pair, Side, TimeInForce};

const TIME_MS: i64 = 1_765_100_000_000;

fn order() -> OrderRequest {
    let asset = |s: &str| Asset::new(s).expect("asset");
    OrderRequest {
        client_id: ClientOrderId::new("slaGGyB9i6vYMqIjfBmaNbt").expect("client id"),
        pair: Pair::new(asset("ETH"), asset("USDT")),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: Decimal::ONE,
        price: Some(Decimal::new(299_246, 2)),
        time_in_force: TimeInForce::Ioc,
        deadline: None,
    }
}

fn bench(c: &mut Criterion) {
    let signer = binance_signer(
        &ApiCredentials::new(
            "benchKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS",
            "benchSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP",
        )
        .expect("credentials"),
        5000,
    )
    .expect("signer");
    let endpoint = Endpoint::new("https://api.binance.com");
    let protocol = BinanceProtocol {
        recv_window_ms: 5000,
    };
    let order = order();
    let req = order_request(&order, "ETHUSDT");
    // The result is what a live order sends: check it once before timing it.
    let prepared = prepare_request(
        &endpoint,
        Some(&protocol),
        Some(&signer),
        &req,
        TIME_MS,
        NonceSource::Derived,
    )
    .expect("signed");
    assert!(prepared.query.starts_with(
        "symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=1&price=2992.46&"
    ));
    assert!(
        prepared
            .query
            .contains("&recvWindow=5000&timestamp=1765100000000&signature=")
    );

    let mut g = c.benchmark_group("sign_order");
    g.bench_function("order_request + prepare_request (binance HMAC)", |b| {
        b.iter(|| {
            let req = order_request(black_box(&order), "ETHUSDT");
            black_box(
                prepare_request(
                    &endpoint,
                    Some(&protocol),
                    Some(&signer),
                    &req,
                    TIME_MS,
                    NonceSource::Derived,
                )
                .expect("signed"),
            )
        })
    });
    g.bench_function("encode the order's query", |b| {
        b.iter(|| black_box(encode_query(black_box(&req.params))))
    });
    let encoded = encode_query(&req.params);
    g.bench_function("Signer::sign (query already encoded)", |b| {
        b.iter(|| {
            let sreq = SignRequest::new(req.method.clone(), &req.path, 1_765_100_000_000)
                .query(&req.params)
                .with_encoded_query(&encoded);
            black_box(signer.sign(black_box(&sreq)).expect("signed"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
