//! dYdX v3's order signing (StarkEx): the order's Pedersen hash (five Pedersen hashes over the
//! assets, amounts, nonce, position and expiry) alone, the STARK ECDSA signature of a hash
//! (RFC 6979 nonce, one scalar multiplication), the whole order signature as the connector makes
//! it (fields quantized from the API's decimal text, hashed, signed), and its verification as the
//! simulator checks it.
//!
//! `cargo bench --bench dydx_v3_sign` (pin it: `taskset -c 1 target/release/deps/dydx_v3_sign-<hash>
//! --bench`). The order and key are dydx-v3-python's test vectors; the signature is checked
//! against the SDK's before timing. Nothing is sent.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sluice::clob::dydx_v3::stark::{StarkKey, felt_from_hex};
use sluice::clob::dydx_v3::starkex::{NETWORK_SEPOLIA, OrderParams, OrderSide, StarkOrder};

/// dydx-v3-python's `tests/starkex/test_order.py` order (2020-09-17T04:15:55.028Z expiry).
fn params() -> OrderParams<'static> {
    OrderParams {
        network_id: NETWORK_SEPOLIA,
        market: "ETH-USD",
        side: OrderSide::Buy,
        position_id: 12345,
        size: "145.0005",
        price: "350.00067",
        limit_fee: "0.125",
        client_id: "This is an ID that the client came up with to describe this order",
        expiration_ms: 1_600_316_155_028,
    }
}

/// The SDK's mock key (odd y) and its public key.
const PRIVATE: &str = "58c7d5a90b1776bde86ebac077e053ed85b0f7164f53b080304a531947f46e3";
const PUBLIC: &str = "3b865a18323b8d147a12c556bfb1d502516c325b1477a23ba6c77af31f020fd";
const SDK_SIGNATURE: &str = "0500a22a8c8b14fbb3b7d26366604c446b9d059420d7db2a8f94bc52691d2626\
                             003e38aa083f72c9db89a7a80b98a6eb92edce7294d917d8489767740affc6ed";

fn bench(c: &mut Criterion) {
    let params = params();
    let key = StarkKey::from_hex(PRIVATE).expect("the SDK's key");
    let public = felt_from_hex(PUBLIC).expect("the SDK's public key");
    let order = StarkOrder::new(&params).expect("order");
    let hash = order.hash().expect("hash");
    let sig = order.sign(&key).expect("signature");
    assert_eq!(sig.to_hex(), SDK_SIGNATURE, "not the SDK's signature");
    assert!(sig.verify(&public, &hash));

    c.bench_function("stark_order_hash", |b| {
        b.iter(|| black_box(black_box(&order).hash()))
    });
    c.bench_function("stark_sign_hash", |b| {
        b.iter(|| black_box(black_box(&key).sign(black_box(&hash))))
    });
    c.bench_function("stark_order_sign", |b| {
        b.iter(|| {
            let order = StarkOrder::new(black_box(&params)).expect("order");
            black_box(order.sign(&key))
        })
    });
    c.bench_function("stark_order_verify", |b| {
        b.iter(|| black_box(black_box(&sig).verify(&public, &hash)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
