//! The official SDKs' published vectors (hello_loopring's `test/v3explorer/test_eddsa.py`, the JS
//! SDK's `TestsEDDSAUtil_test.ts`), and values the python SDK computes for its own test inputs
//! where its tests print instead of asserting (run with hello_loopring's `sdk/` unchanged).

use alloy::primitives::{Address, U256, address};
use ark_bn254::Fr;
use ark_ec::AffineRepr;
use ark_ec::twisted_edwards::TECurveConfig;
use ark_ff::{Field, MontFp, Zero};

use super::eddsa::{
    EddsaError, EddsaKey, EthsnarksJubjub, Signature, field_to_u256, point, subgroup_order, verify,
};
use super::keys::{key_from_l1_signature, key_seed};
use super::poseidon::{PoseidonSet, poseidon};
use super::sign::{
    OrderFields, RequestParams, request_hash, request_message, request_signature,
    verify_request_signature,
};

fn u(dec: &str) -> U256 {
    U256::from_str_radix(dec, 10).unwrap()
}

fn h(hex: &str) -> U256 {
    U256::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap()
}

fn fr(v: U256) -> Fr {
    super::eddsa::field_element("test", v).unwrap()
}

const URL_SIG: &str = "0x0dfbbcc409fbcdb07dc350b50cf034fa0ebfd259346c81b3fd3bdb8951117a152ccecf37615e470d0038f15fd1c1ea69f212636033d880119b474e1e9e7548131074a9dad709b4e4950a86fea510d9c0b207a66f35aab4fc135e5fe64b9d009b";

fn api_key_query() -> Vec<(String, String)> {
    vec![("accountId".into(), "10001".into())]
}

#[test]
fn url_signature_equals_the_python_sdk_vector() {
    // test_url_signer: key 0x1234, GET /api/v3/apiKey?accountId=10001 on the UAT host.
    let key = EddsaKey::from_scalar(U256::from(0x1234u32)).unwrap();
    let url = "https://api.uat.loopring.pro/api/v3/apiKey";
    let q = api_key_query();
    assert_eq!(
        request_message("GET", url, RequestParams::Query(&q)),
        "GET&https%3A%2F%2Fapi.uat.loopring.pro%2Fapi%2Fv3%2FapiKey&accountId%3D10001"
    );
    let msg = request_message("GET", url, RequestParams::Query(&q));
    assert_eq!(
        field_to_u256(&request_hash(&msg)),
        h("0x2b8cbcd76e82523cf206534a6cbf7082ffbe7846b6f03ae769a7ed195103a9f7")
    );
    let sig = request_signature(&key, "GET", url, RequestParams::Query(&q));
    assert_eq!(sig, URL_SIG);
    let public = key.public_key();
    assert!(
        verify_request_signature(&public, URL_SIG, "GET", url, RequestParams::Query(&q)).unwrap()
    );
    // Another account, another path, or another key: refused.
    let other = vec![("accountId".to_string(), "10002".to_string())];
    assert!(
        !verify_request_signature(&public, URL_SIG, "GET", url, RequestParams::Query(&other))
            .unwrap()
    );
    assert!(
        !verify_request_signature(&public, URL_SIG, "DELETE", url, RequestParams::Query(&q))
            .unwrap()
    );
    let stranger = EddsaKey::from_scalar(U256::from(0x1235u32)).unwrap();
    assert!(
        !verify_request_signature(
            &stranger.public_key(),
            URL_SIG,
            "GET",
            url,
            RequestParams::Query(&q)
        )
        .unwrap()
    );
}

#[test]
fn message_hash_signature_equals_the_python_sdk_vector() {
    // test_hash_signer: key 5 signs 0xABCD1234 >> 3 = 360292934 (Poseidon EdDSA).
    let key = EddsaKey::from_scalar(U256::from(5u8)).unwrap();
    let msg = Fr::from(360292934u64);
    let want = "0x02c8188eae892aab8156d117fb3b00cea67cdcf2e7c58eea75ac422bd0921417095bfe981854b2c56972f2343e717b293731de7d43984dacb9e91e9767f0581b1de6fbe479d71c7ee016595c0ad62c9fc7b31b52fd7dcbcc259c86ac2f04f09d";
    let sig = key.sign(msg);
    assert_eq!(sig.to_hex(), want);
    let parsed = Signature::from_hex(want).unwrap();
    assert_eq!(parsed, sig);
    assert!(verify(&key.public_key(), msg, &parsed));
    assert!(!verify(&key.public_key(), Fr::from(360292935u64), &parsed));
}

#[test]
fn js_sdk_sign_vector() {
    // TestsEDDSAUtil_test.ts testEddsaSign (the python SDK gives the same three numbers).
    let key = EddsaKey::from_scalar(u(
        "1965533437444427599736796973543479035828634172708055838572430750620147597402",
    ))
    .unwrap();
    let msg = fr(u(
        "20823375595941673465102915960468301465677704522962441935281926279865178787657",
    ));
    let sig = key.sign(msg);
    assert_eq!(
        field_to_u256(&sig.r.x),
        u("2114973053955517366033592592501464590076342821657201629830614924692550700766")
    );
    assert_eq!(
        field_to_u256(&sig.r.y),
        u("6713953096854639492359183468711112854151280690992619923536842965423886430417")
    );
    assert_eq!(
        sig.s,
        u("21100876117443371431735908718802018647851328087147897184613053393129281831653")
    );
    assert!(verify(&key.public_key(), msg, &sig));
}

#[test]
fn js_sdk_generate_key_pair_vector() {
    // test_generateKeyPair: the 32 seed bytes read little-endian, mod L.
    let seed: [u8; 32] =
        hex::decode("7f16a4c491d3494c3bc8ef097e7c123a9da6fa8167631efd5f82b89e803b0682")
            .unwrap()
            .try_into()
            .unwrap();
    let key = EddsaKey::from_seed_le(&seed).unwrap();
    let a = key.public_key();
    assert_eq!(
        field_to_u256(&a.x),
        u("18584920749226215196041463810216086509508234553287520526360090588893385486657")
    );
    assert_eq!(
        field_to_u256(&a.y),
        u("4521439321743413283487130903749053907482128013050103604539374548984130428531")
    );
    let dbg = format!("{key:?}");
    assert!(dbg.contains("public_x") && !dbg.contains("secret"), "{dbg}");
}

#[test]
fn withdrawal_poseidon_hash_equals_the_python_sdk_vector() {
    // test_withdraw_eddsa_sig: the t=10 hash of a withdrawal.
    let exchange = address!("35990C74eB567B3bbEfD2Aa480467b1031b23eD9");
    let inputs = [
        fr(U256::from_be_slice(exchange.as_slice())),
        Fr::from(5u8),
        Fr::from(0u8),
        fr(u("1000000000000000000")),
        Fr::from(0u8),
        fr(u("1000000000000000")),
        fr(h("0x09b0a56ec6c45c6f3af2abbdefd66b6e84bce8e4")),
        Fr::from(0xfffffffu64),
        Fr::from(5u8),
    ];
    let got = poseidon(PoseidonSet::Withdrawal, &inputs).unwrap();
    assert_eq!(
        field_to_u256(&got),
        h("0x1c59c63f9bf24d97195d64d828af72e2037a4022413804e410799682d960f09c")
    );
    // Too many inputs for the width: an error, not a panic.
    assert!(poseidon(PoseidonSet::Single, &inputs).is_err());
    assert!(poseidon(PoseidonSet::Single, &[]).is_err());
}

fn sample_order() -> OrderFields {
    // test_order_eddsa_sig's order (its test prints the hash without asserting it).
    OrderFields {
        exchange: address!("7489DE8c7C1Ee35101196ec650931D7bef9FdAD2"),
        storage_id: 0,
        account_id: 10004,
        sell_token_id: 0,
        buy_token_id: 1,
        sell_volume: u("90000000000000000000"),
        buy_volume: u("100000000000000000000"),
        valid_until: 1700000000,
        max_fee_bips: 50,
        fill_amount_b_or_s: true,
        taker: Address::ZERO,
    }
}

#[test]
fn order_hash_and_signature_equal_the_python_sdk() {
    let order = sample_order();
    assert_eq!(
        field_to_u256(&order.hash().unwrap()),
        h("0x29cd0d0af93db7a54cf0bc593529bab94beef63df236ca6a7ada6aeddc1e4d63")
    );
    let key = EddsaKey::from_scalar(U256::from(56869496543825u64)).unwrap();
    let (x, y) = key.public_key_hex();
    assert_eq!(
        x,
        "0x14763264c2e25f64e2dec407322d38b66fce3c5a92c3ea4a7767dda552f1fa7f"
    );
    assert_eq!(
        y,
        "0x12b46668825532da3809fe42b7f9d80d5a730cc29fce908c4f573dca3cb05613"
    );
    let sig = order.sign(&key).unwrap();
    assert_eq!(
        sig.to_hex(),
        "0x1c31e81cdde3c9f92e31ab35733e3403de45325cb5f90832c9d4f8673ec22f501de9e9b97c8d7b475ab12836d87c9c6f2a78a91cd650bc77ec4079ffd966933f10d6a5c133ee270013f1d8596c706f2623d0ba1c3dccbc3f202db606bb00d6bc"
    );
    assert!(order.verify(&key.public_key(), &sig).unwrap());
    let mut changed = order.clone();
    changed.buy_volume += U256::from(1u8);
    assert!(!changed.verify(&key.public_key(), &sig).unwrap());
    let mut too_big = order;
    too_big.sell_volume = U256::MAX;
    assert!(matches!(too_big.hash(), Err(EddsaError::NotInField { .. })));
}

#[test]
fn curve_equals_ark_ed_on_bn254_and_ethsnarks() {
    // ark-ed-on-bn254 writes the curve with a = 1, d' = d/a: the same curve under x ↦ x·√a.
    let a: Fr = MontFp!("168700");
    let d: Fr = MontFp!("168696");
    assert_eq!(
        <ark_ed_on_bn254::EdwardsConfig as TECurveConfig>::COEFF_D * a,
        d
    );
    let s = a.sqrt().unwrap();
    let g = EthsnarksJubjub::GENERATOR;
    assert!(g.is_on_curve() && g.is_in_correct_subgroup_assuming_on_curve());
    let mapped = ark_ed_on_bn254::EdwardsAffine::new_unchecked(g.x * s, g.y);
    assert!(mapped.is_on_curve() && mapped.is_in_correct_subgroup_assuming_on_curve());
    // L·B = 0 and the subgroup order is ethsnarks' JUBJUB_L.
    assert_eq!(
        subgroup_order(),
        u("2736030358979909402780800718157159386076813972158567259200215660948447373041")
    );
    assert!(g.mul_bigint(subgroup_order().as_limbs()).is_zero());
}

#[test]
fn malformed_input_is_refused() {
    assert_eq!(
        EddsaKey::from_scalar(U256::ZERO).unwrap_err(),
        EddsaError::KeyOutOfRange
    );
    assert_eq!(
        EddsaKey::from_scalar(subgroup_order()).unwrap_err(),
        EddsaError::KeyOutOfRange
    );
    for bad in [
        "",
        "0x",
        "0x12",
        &URL_SIG[2..],
        &format!("{}zz", &URL_SIG[..192]),
    ] {
        assert!(Signature::from_hex(bad).is_err(), "{bad:?}");
    }
    // R not on the curve.
    let off = format!("0x{:064x}{}", 1, &URL_SIG[66..]);
    assert!(matches!(
        Signature::from_hex(&off),
        Err(EddsaError::NotOnCurve { .. })
    ));
    assert!(point("A", U256::from(1u8), U256::from(1u8)).is_err());
}

#[test]
fn key_seed_and_l1_signature_to_key() {
    assert_eq!(
        key_seed("0x0BABA1Ad5bE3a5C0a66E7ac838a129Bf948f1eA4", 0),
        "Sign this message to access Loopring Exchange: 0x0BABA1Ad5bE3a5C0a66E7ac838a129Bf948f1eA4 with key nonce: 0"
    );
    // The signature bytes are hashed with SHA-256, read little-endian mod L: the same as the
    // generateKeyPair vector once the digest is known.
    let sig = [7u8; 65];
    let digest: [u8; 32] = sha2::Sha256::digest(sig).into();
    use sha2::Digest;
    let a = key_from_l1_signature(&sig).unwrap().public_key();
    assert_eq!(a, EddsaKey::from_seed_le(&digest).unwrap().public_key());
}

#[test]
fn json_and_query_encodings_follow_the_js_sdk() {
    let q = vec![
        ("market".to_string(), "LRC-ETH,ETH-USDT".to_string()),
        ("accountId".to_string(), "7".to_string()),
        ("empty".to_string(), String::new()),
    ];
    assert_eq!(
        request_message(
            "get",
            "http://127.0.0.1:9/api/v3/x",
            RequestParams::Query(&q)
        ),
        "GET&http%3A%2F%2F127.0.0.1%3A9%2Fapi%2Fv3%2Fx&accountId%3D7%26market%3DLRC-ETH%252CETH-USDT"
    );
    assert_eq!(
        request_message(
            "POST",
            "http://h/p",
            RequestParams::Json(r#"{"a":"(x)!*'"}"#)
        ),
        "POST&http%3A%2F%2Fh%2Fp&%7B%22a%22%3A%22%28x%29%21*%27%22%7D"
    );
}

/// Ganache's first account (public test material) and its L2 key for mainnet's exchange, nonce 0:
/// the key-seed signature below (RFC 6979, v = 27/28) run through the JS SDK's steps in python
/// (sha256, bytes summed little-endian mod L, times hello_loopring's generator) gives this key.
pub(crate) const GANACHE_KEY: &str =
    "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
const GANACHE_KEY_SEED_SIG: &str = "9eb50e4ffe136ea0d33a918efde3169ee96c96655329d3f7cffdbf96785e47403d35b9c9820fef8d8f0e5e2c1a625a5457c6e2cb0a8555e8c531c9346eeb9c7f1b";
const GANACHE_L2_X: &str = "0x05efbecc183ca95d5067ac026abc004eb2803bb4586af749c5ea97e0978bfe23";
const GANACHE_L2_Y: &str = "0x2084c36a301ba90e75b97ebcf0d7de996ce1b20a943c84fc1413f15bf86e200d";

#[test]
fn l2_key_of_an_l1_key() {
    use super::keys::{MAINNET_EXCHANGE, derive_l2_key, personal_signature};
    let signer: alloy::signers::local::PrivateKeySigner = GANACHE_KEY.parse().unwrap();
    let sig = personal_signature(&signer, &key_seed(MAINNET_EXCHANGE, 0)).unwrap();
    assert_eq!(hex::encode(sig.as_slice()), GANACHE_KEY_SEED_SIG);
    let key = derive_l2_key(&signer, MAINNET_EXCHANGE, 0).unwrap();
    assert_eq!(
        key.public_key_hex(),
        (GANACHE_L2_X.to_string(), GANACHE_L2_Y.to_string())
    );
    let next = derive_l2_key(&signer, MAINNET_EXCHANGE, 1).unwrap();
    assert_ne!(next.public_key_hex().0, GANACHE_L2_X);
}
