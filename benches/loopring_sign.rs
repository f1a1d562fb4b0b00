//! Loopring's order signing: the Poseidon order hash (t=12, 11 inputs; constants cached after the
//! first call) alone, then the whole EdDSA order signature (hash, SHA-512 nonce, two Baby Jubjub
//! scalar multiplications, the t=6 challenge) and its verification, as the simulator checks it.
//!
//! `cargo bench --bench loopring_sign` (pin it: `taskset -c 1 target/release/deps/loopring_sign-<hash>
//! --bench`). Made-up key; nothing is sent.

use std::hint::black_box;

use alloy::primitives::{Address, U256, address};
use criterion::{Criterion, criterion_group, criterion_main};
use sluice::clob::loopring::eddsa::{EddsaKey, field_to_u256};
use sluice::clob::loopring::sign::OrderFields;

fn order() -> OrderFields {
    OrderFields {
        exchange: address!("7489DE8c7C1Ee35101196ec650931D7bef9FdAD2"),
        storage_id: 0,
        account_id: 10004,
        sell_token_id: 0,
        buy_token_id: 1,
        sell_volume: U256::from(90_000_000_000_000_000_000u128),
        buy_volume: U256::from(100_000_000_000_000_000_000u128),
        valid_until: 1_700_000_000,
        max_fee_bips: 50,
        fill_amount_b_or_s: true,
        taker: Address::ZERO,
    }
}

fn bench(c: &mut Criterion) {
    let order = order();
    let key = EddsaKey::from_scalar(U256::from(56_869_496_543_825u64)).expect("key");
    // The python SDK's hash of this order: check it once before timing it.
    let hash = order.hash().expect("hash");
    assert_eq!(
        format!("{:#066x}", field_to_u256(&hash)),
        "0x29cd0d0af93db7a54cf0bc593529bab94beef63df236ca6a7ada6aeddc1e4d63"
    );
    let sig = order.sign(&key).expect("signature");
    let public = key.public_key();
    assert!(order.verify(&public, &sig).expect("verify"));

    c.bench_function("poseidon_order_hash", |b| {
        b.iter(|| black_box(black_box(&order).hash()))
    });
    c.bench_function("order_sign", |b| {
        b.iter(|| black_box(black_box(&order).sign(&key)))
    });
    c.bench_function("order_verify", |b| {
        b.iter(|| black_box(black_box(&order).verify(&public, &sig)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
