//! The official client's test vectors (dydx-v3-python `tests/starkex/`): the same inputs give the
//! same StarkEx fields and the same signatures.

use super::*;

/// 2020-09-17T04:15:55.028Z
const EXPIRY_MS: u64 = 1_600_316_155_028;

/// The SDK's mock key whose public key has an odd y coordinate.
const PRIVATE: &str = "58c7d5a90b1776bde86ebac077e053ed85b0f7164f53b080304a531947f46e3";
const PUBLIC: &str = "3b865a18323b8d147a12c556bfb1d502516c325b1477a23ba6c77af31f020fd";
/// And one with an even y.
const PRIVATE_EVEN_Y: &str = "65b7bb244e019b45a521ef990fb8a002f76695d1fc6c1e31911680f2ed78b84";
const PUBLIC_EVEN_Y: &str = "5c749cd4c44bdc730bc90af9bfbdede9deb2c1c96c05806ce1bc1cb4fed64f7";

fn order_params() -> OrderParams<'static> {
    OrderParams {
        network_id: NETWORK_SEPOLIA,
        market: "ETH-USD",
        side: OrderSide::Buy,
        position_id: 12345,
        size: "145.0005",
        price: "350.00067",
        limit_fee: "0.125",
        client_id: "This is an ID that the client came up with to describe this order",
        expiration_ms: EXPIRY_MS,
    }
}

fn public(hex: &str) -> Felt {
    crate::clob::dydx_v3::stark::felt_from_hex(hex).unwrap()
}

#[test]
fn order_fields_equal_the_sdk() {
    let o = StarkOrder::new(&order_params()).unwrap();
    assert_eq!(o.quantums_synthetic, 145_000_500_000);
    assert_eq!(o.quantums_collateral, 50_750_272_151);
    assert_eq!(o.quantums_fee, 6_343_784_019);
    assert_eq!(o.expiration_epoch_hours, 444_701);
}

#[test]
fn order_signatures_equal_the_sdk() {
    let o = StarkOrder::new(&order_params()).unwrap();
    let sig = o.sign(&StarkKey::from_hex(PRIVATE).unwrap()).unwrap();
    assert_eq!(
        sig.to_hex(),
        "0500a22a8c8b14fbb3b7d26366604c446b9d059420d7db2a8f94bc52691d2626\
         003e38aa083f72c9db89a7a80b98a6eb92edce7294d917d8489767740affc6ed"
    );
    assert!(sig.verify(&public(PUBLIC), &o.hash().unwrap()));
    let even = o
        .sign(&StarkKey::from_hex(PRIVATE_EVEN_Y).unwrap())
        .unwrap();
    assert_eq!(
        even.to_hex(),
        "06f593fcec14720cd895e7edf0830b668b6104c0de4be6d22befe4ced0868dc3\
         0507259e9634a140d83a8fcfc43b5a08af6cec7f85d3606cc7a974465aff334e"
    );
    assert!(even.verify(&public(PUBLIC_EVEN_Y), &o.hash().unwrap()));
    assert_eq!(
        StarkKey::from_hex(PRIVATE).unwrap().public_key(),
        public(PUBLIC)
    );
}

#[test]
fn the_fee_edge_case_and_the_expiry_boundary_equal_the_sdk() {
    let fee = "0.000001999999999999999999999999999999999999999999";
    let o = StarkOrder::new(&OrderParams {
        limit_fee: fee,
        ..order_params()
    })
    .unwrap();
    assert_eq!(o.quantums_fee, 50_751);
    // 2021-02-24T16:00:00.407Z: less than a second into the hour
    let o = StarkOrder::new(&OrderParams {
        expiration_ms: 1_614_182_400_407,
        ..order_params()
    })
    .unwrap();
    assert_eq!(o.expiration_epoch_hours, 448_553);
}

#[test]
fn a_sell_rounds_the_collateral_down() {
    let o = StarkOrder::new(&OrderParams {
        side: OrderSide::Sell,
        ..order_params()
    })
    .unwrap();
    // 145.0005 × 350.00067 = 50750.27215033500 → 50750.272150 USDC
    assert_eq!(o.quantums_collateral, 50_750_272_150);
    assert!(!o.is_buying_synthetic);
}

#[test]
fn withdrawal_equals_the_sdk() {
    let w = StarkWithdrawal::new(
        NETWORK_SEPOLIA,
        12345,
        "49.478023",
        "This is an ID that the client came up with to describe this withdrawal",
        EXPIRY_MS,
    )
    .unwrap();
    assert_eq!(w.quantums, 49_478_023);
    assert_eq!(w.expiration_epoch_hours, 444_533);
    let sig = w.sign(&StarkKey::from_hex(PRIVATE).unwrap()).unwrap();
    assert_eq!(
        sig.to_hex(),
        "01af771baee70bea9e5e0a5e600e29fa67171b32ee5d38c67c5a97630bcd8fab\
         0563d154cd47dcf9c34e4ddf00d8fea353176807ba5f7ab62316133a8976a733"
    );
    assert!(sig.verify(&public(PUBLIC), &w.hash().unwrap()));
}

#[test]
fn transfer_equals_the_sdk() {
    let client_id = "This is an ID that the client came up with to describe this transfer";
    let make = |client: &str, receiver: u64| {
        StarkTransfer::new(
            NETWORK_SEPOLIA,
            12345,
            receiver,
            "05135ef87716b0faecec3ba672d145a6daad0aa46437c365d490022115aba674",
            "49.478023",
            client,
            EXPIRY_MS,
        )
        .unwrap()
    };
    let key = StarkKey::from_hex(PRIVATE).unwrap();
    let t = make(client_id, 67890);
    assert_eq!(t.quantums, 49_478_023);
    assert_eq!(t.expiration_epoch_hours, 444_533);
    let sig = t.sign(&key).unwrap();
    assert_eq!(
        sig.to_hex(),
        "02b4d393ea955be0f53029e2f8a10d31671eb9d3ada015d973c903417264688a\
         02ffb6b7f29870208f1f860b125de95b5444142a867be9dcd80128999518ddd3"
    );
    assert!(sig.verify(&public(PUBLIC), &t.hash().unwrap()));
    let other_client = format!("{client_id}!");
    assert_ne!(make(&other_client, 67890).sign(&key).unwrap(), sig);
    assert_ne!(make(client_id, 67891).sign(&key).unwrap(), sig);
}

#[test]
fn synthetic_ids_are_the_listed_constants() {
    let btc = synthetic("BTC-USD").unwrap();
    assert_eq!(
        btc.id,
        U256::from_str_radix("4254432d3130000000000000000000", 16).unwrap()
    );
    assert_eq!(btc.exponent, 10);
    assert_eq!(
        synthetic("1INCH-USD").unwrap().id,
        U256::from_str_radix("31494e43482d370000000000000000", 16).unwrap()
    );
    assert_eq!(
        synthetic("CELO-USD").unwrap().id,
        U256::from_str_radix("43454c4f2d36000000000000000000", 16).unwrap()
    );
    assert!(matches!(
        synthetic("BTC-EUR"),
        Err(StarkExError::UnknownMarket(_))
    ));
    assert!(matches!(
        synthetic("FOO-USD"),
        Err(StarkExError::UnknownMarket(_))
    ));
}

#[test]
fn bad_inputs_are_typed_errors() {
    let bad = |p: OrderParams<'static>| StarkOrder::new(&p).unwrap_err();
    assert!(matches!(
        bad(OrderParams {
            size: "145.00050000001",
            ..order_params()
        }),
        StarkExError::NotQuantized { .. }
    ));
    assert!(matches!(
        bad(OrderParams {
            size: "-1",
            ..order_params()
        }),
        StarkExError::BadAmount { .. }
    ));
    assert!(matches!(
        bad(OrderParams {
            price: "1e3",
            ..order_params()
        }),
        StarkExError::BadAmount { .. }
    ));
    assert!(matches!(
        bad(OrderParams {
            limit_fee: "0.1.2",
            ..order_params()
        }),
        StarkExError::BadAmount { .. }
    ));
    assert!(matches!(
        bad(OrderParams {
            network_id: 5,
            ..order_params()
        }),
        StarkExError::UnknownNetwork(5)
    ));
    assert!(matches!(
        bad(OrderParams {
            size: "99999999999",
            ..order_params()
        }),
        StarkExError::TooLarge { .. }
    ));
    assert!(matches!(
        StarkTransfer::new(NETWORK_SEPOLIA, 1, 2, "0xnothex", "1", "c", EXPIRY_MS),
        Err(StarkExError::Stark(_))
    ));
}

#[test]
fn nonces_are_the_low_32_bits_of_sha256() {
    // sha256("") = e3b0…b855
    assert_eq!(nonce_from_client_id(""), 0x7852_b855);
    assert_eq!(epoch_hours_ceil(3_600_000), 1);
    assert_eq!(epoch_hours_ceil(3_600_001), 2);
    assert_eq!(epoch_hours_ceil(0), 0);
}
