//! Official vectors: BIP-39 (TREZOR set), BIP-32 vectors 1 and 2, the anvil dev accounts, per-chain
//! paths and addresses, and the Web3 Secret Storage keystore vectors.

use coins_bip32::enc::{MainnetEncoder, XKeyEncoder};
use serde_json::Value;
use sluice::chain::ChainSpecs;
use sluice::wallet::derivation::{derive_xpriv, master_key};
use sluice::wallet::{
    DerivationPath, KeystoreError, Mnemonic, PrivateKey, ScryptParams, SecretString, account_path,
    decrypt_keystore, derive_key, encrypt_keystore,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/wallet");
const ANVIL: &str = "test test test test test test test test test test test junk";
const SPEC_KEY: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

#[test]
fn bip39_trezor_vectors() {
    let doc: Value = serde_json::from_str(&fixture("bip39_trezor_vectors.json")).unwrap();
    let vectors = doc["english"].as_array().unwrap();
    assert_eq!(vectors.len(), 24);
    let passphrase = SecretString::from("TREZOR");
    for v in vectors {
        let entropy = hex::decode(v[0].as_str().unwrap()).unwrap();
        let phrase = v[1].as_str().unwrap();
        let from_entropy = Mnemonic::from_entropy(&entropy).unwrap();
        assert_eq!(&*from_entropy.phrase(), phrase);
        let parsed = Mnemonic::parse(phrase).unwrap();
        let seed = parsed.to_seed(&passphrase);
        assert_eq!(
            hex::encode(seed.as_bytes()),
            v[2].as_str().unwrap(),
            "{phrase}"
        );
        let root = master_key(&seed).unwrap();
        assert_eq!(
            MainnetEncoder::xpriv_to_base58(&root).unwrap(),
            v[3].as_str().unwrap()
        );
    }
}

#[test]
fn bip32_vectors_1_and_2() {
    let doc: Value = serde_json::from_str(&fixture("bip32_vectors.json")).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 2);
    let mut checked = 0;
    for v in vectors {
        let seed = hex::decode(v["seed"].as_str().unwrap()).unwrap();
        let root = coins_bip32::xkeys::XPriv::root_from_seed(
            &seed,
            Some(coins_bip32::primitives::Hint::Legacy),
        )
        .unwrap();
        for c in v["chains"].as_array().unwrap() {
            let path: DerivationPath = c["path"].as_str().unwrap().parse().unwrap();
            let key = derive_xpriv(&root, &path).unwrap();
            assert_eq!(
                MainnetEncoder::xpriv_to_base58(&key).unwrap(),
                c["xprv"].as_str().unwrap(),
                "path {path}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

#[test]
fn anvil_dev_accounts() {
    let specs = ChainSpecs::builtin().unwrap();
    let key_path = &specs.get("ethereum").unwrap().key_path;
    let seed = Mnemonic::parse(ANVIL)
        .unwrap()
        .to_seed(&SecretString::default());
    let expected = [
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    ];
    for (i, want) in expected.iter().enumerate() {
        let path = account_path(key_path, i as u64).unwrap();
        assert_eq!(path.to_string(), format!("m/44'/60'/0'/0/{i}"));
        let key = derive_key(&seed, &path).unwrap();
        assert_eq!(key.evm_address().to_checksum(None), *want);
    }
    // Anvil's documented first private key.
    let first = derive_key(&seed, &account_path(key_path, 0).unwrap()).unwrap();
    assert_eq!(
        hex::encode(*first.to_bytes()),
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    );
}

#[test]
fn chain_paths_come_from_chain_specs() {
    let specs = ChainSpecs::builtin().unwrap();
    let seed = Mnemonic::parse(ANVIL)
        .unwrap()
        .to_seed(&SecretString::default());
    let path_of =
        |chain: &str, i: u64| account_path(&specs.get(chain).unwrap().key_path, i).unwrap();
    assert_eq!(path_of("xdai", 0), path_of("ethereum", 0));
    assert_eq!(path_of("celo", 2).to_string(), "m/44'/52752'/0'/0/2");
    assert_eq!(path_of("terra", 1).to_string(), "m/44'/330'/0'/0/1");
    let celo = derive_key(&seed, &path_of("celo", 0)).unwrap();
    let eth = derive_key(&seed, &path_of("ethereum", 0)).unwrap();
    assert_ne!(celo.evm_address(), eth.evm_address());
    let terra = derive_key(&seed, &path_of("terra", 0)).unwrap();
    let addr = terra.cosmos_address("terra").unwrap();
    assert!(addr.starts_with("terra1") && addr.len() == 44, "{addr}");
    let (_, data) = bech32::decode(&addr).unwrap();
    assert_eq!(data.len(), 20);
}

fn spec_vector(name: &str) {
    let start = std::time::Instant::now();
    let key = decrypt_keystore(&fixture(name), b"testpassword").unwrap();
    assert_eq!(hex::encode(*key.to_bytes()), SPEC_KEY, "{name}");
    assert!(
        start.elapsed().as_secs() < 30,
        "{name} took {:?}",
        start.elapsed()
    );
    assert!(matches!(
        decrypt_keystore(&fixture(name), b"wrongpassword"),
        Err(KeystoreError::MacMismatch)
    ));
}

#[test]
fn keystore_spec_pbkdf2() {
    spec_vector("keystore_spec_pbkdf2.json");
}

#[test]
fn keystore_spec_scrypt_n262144_r1_p8() {
    spec_vector("keystore_spec_scrypt_r1_p8.json");
}

#[test]
fn keystore_accepts_capital_crypto_and_extra_fields() {
    let mut doc: Value = serde_json::from_str(&fixture("keystore_spec_pbkdf2.json")).unwrap();
    let crypto = doc.as_object_mut().unwrap().remove("crypto").unwrap();
    doc["Crypto"] = crypto;
    doc["address"] = "008aeeda4d805471df9b2a5b0f38a0c3bcba786b".into();
    doc["x-ethers"] = serde_json::json!({"client": "whatever"});
    let key = decrypt_keystore(&doc.to_string(), b"testpassword").unwrap();
    assert_eq!(hex::encode(*key.to_bytes()), SPEC_KEY);
    assert_eq!(
        hex::encode(key.evm_address()),
        "008aeeda4d805471df9b2a5b0f38a0c3bcba786b"
    );
}

#[test]
fn keystore_tampered_or_truncated_is_refused() {
    let text = fixture("keystore_spec_pbkdf2.json");
    // Tampered ciphertext: MAC mismatch.
    let tampered = text.replace("5318b4d5bcd2", "5318b4d5bcd3");
    assert!(matches!(
        decrypt_keystore(&tampered, b"testpassword"),
        Err(KeystoreError::MacMismatch)
    ));
    // Tampered MAC.
    let bad_mac = text.replace("517ead924a9d", "517ead924a9e");
    assert!(matches!(
        decrypt_keystore(&bad_mac, b"testpassword"),
        Err(KeystoreError::MacMismatch)
    ));
    // Truncated file: not JSON.
    let truncated = &text[..text.len() / 2];
    let err = decrypt_keystore(truncated, b"testpassword").unwrap_err();
    assert!(matches!(err, KeystoreError::Malformed(_)), "{err}");
    // Truncated ciphertext: MAC mismatch.
    let short = text.replace("f869aa46", "f869");
    assert!(matches!(
        decrypt_keystore(&short, b"testpassword"),
        Err(KeystoreError::MacMismatch)
    ));
    // Wrong version, unknown kdf.
    assert!(matches!(
        decrypt_keystore(
            &text.replace("\"version\": 3", "\"version\": 2"),
            b"testpassword"
        ),
        Err(KeystoreError::Unsupported(_))
    ));
    assert!(matches!(
        decrypt_keystore(&text.replace("\"pbkdf2\"", "\"argon2\""), b"testpassword"),
        Err(KeystoreError::Unsupported(_))
    ));
}

#[test]
fn keystore_export_round_trip_standard_params() {
    let key = PrivateKey::from_hex(SPEC_KEY).unwrap();
    let json = encrypt_keystore(&key, b"pw", ScryptParams::GETH_STANDARD).unwrap();
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["version"], 3);
    assert_eq!(doc["crypto"]["kdfparams"]["n"], 262_144);
    assert_eq!(doc["address"], "008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
    assert!(!json.contains(SPEC_KEY));
    let back = decrypt_keystore(&json, b"pw").unwrap();
    assert_eq!(*back.to_bytes(), *key.to_bytes());
}

#[test]
fn celo_and_terra_keys_match_cast_and_a_python_bech32() {
    let doc: Value = serde_json::from_str(&fixture("cast_reference.json")).unwrap();
    let d = &doc["derived_addresses"];
    let seed = Mnemonic::parse(d["mnemonic"].as_str().unwrap())
        .unwrap()
        .to_seed(&SecretString::default());
    let evm = d["evm"].as_object().unwrap();
    assert_eq!(evm.len(), 3);
    for (path, want) in evm {
        let key = derive_key(&seed, &path.parse().unwrap()).unwrap();
        assert_eq!(
            key.evm_address().to_checksum(None),
            want.as_str().unwrap(),
            "{path}"
        );
    }
    for (path, want) in d["terra"].as_object().unwrap() {
        let key = derive_key(&seed, &path.parse().unwrap()).unwrap();
        assert_eq!(
            key.cosmos_address("terra").unwrap(),
            want.as_str().unwrap(),
            "{path}"
        );
    }
}
