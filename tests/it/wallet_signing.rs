//! Signatures compared byte for byte with reference outputs of foundry's `cast` (fixture
//! `cast_reference.json`, each entry with the command that produced it): EIP-155 (the EIP's own
//! example), EIP-1559, EIP-191 and EIP-712, all through the alloy signer the wallet hands out.

use alloy::consensus::{SignableTransaction, TxEip1559, TxLegacy};
use alloy::dyn_abi::TypedData;
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Bytes, TxKind, U256, address, hex};
use alloy::signers::SignerSync;
use serde_json::Value;
use sluice::chain::ChainSpecs;
use sluice::wallet::{Mnemonic, PrivateKey, SecretString, account_path, derive_key};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/wallet");

fn reference() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("{FIXTURES}/cast_reference.json")).unwrap(),
    )
    .unwrap()
}

fn key(reference: &Value) -> PrivateKey {
    PrivateKey::from_hex(reference["private_key"].as_str().unwrap()).unwrap()
}

#[test]
fn eip155_legacy_matches_the_eip_example() {
    let r = reference();
    let signer = key(&r).evm_signer();
    let mut tx = TxLegacy {
        chain_id: Some(1),
        nonce: 9,
        gas_price: 20_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(address!("3535353535353535353535353535353535353535")),
        value: U256::from(10u64).pow(U256::from(18)),
        input: Bytes::new(),
    };
    let sig = signer.sign_transaction_sync(&mut tx).unwrap();
    let raw = tx.into_signed(sig).encoded_2718();
    let want = r["eip155"]["raw"].as_str().unwrap();
    assert_eq!(format!("0x{}", hex::encode(&raw)), want);
    assert!(want.starts_with("0xf86c0985") && want.ends_with("6d83"));
}

#[test]
fn eip1559_matches_cast() {
    let r = reference();
    let signer = key(&r).evm_signer();
    // transfer(0x1111…, 1000)
    let mut input = hex::decode("a9059cbb").unwrap();
    input.extend_from_slice(&[0u8; 12]);
    input.extend_from_slice(&[0x11; 20]);
    input.extend_from_slice(&U256::from(1000u64).to_be_bytes::<32>());
    let mut tx = TxEip1559 {
        chain_id: 1,
        nonce: 7,
        gas_limit: 60_000,
        max_fee_per_gas: 30_000_000_000,
        max_priority_fee_per_gas: 2_000_000_000,
        to: TxKind::Call(address!("3535353535353535353535353535353535353535")),
        value: U256::from(12_345u64),
        access_list: Default::default(),
        input: input.into(),
    };
    let sig = signer.sign_transaction_sync(&mut tx).unwrap();
    let raw = tx.into_signed(sig).encoded_2718();
    assert_eq!(
        format!("0x{}", hex::encode(&raw)),
        r["eip1559"]["raw"].as_str().unwrap()
    );
}

#[test]
fn eip191_matches_cast() {
    let r = reference();
    let signer = key(&r).evm_signer();
    let msg = r["eip191"]["message"].as_str().unwrap();
    let sig = signer.sign_message_sync(msg.as_bytes()).unwrap();
    assert_eq!(
        format!("0x{}", hex::encode(sig.as_bytes())),
        r["eip191"]["signature"].as_str().unwrap()
    );
    assert_eq!(
        sig.recover_address_from_msg(msg.as_bytes()).unwrap(),
        signer.address()
    );
}

#[test]
fn eip191_from_derived_anvil_key_matches_cast() {
    let r = reference();
    let specs = ChainSpecs::builtin().unwrap();
    let seed = Mnemonic::parse("test test test test test test test test test test test junk")
        .unwrap()
        .to_seed(&SecretString::default());
    let path = account_path(&specs.get("ethereum").unwrap().key_path, 1).unwrap();
    let signer = derive_key(&seed, &path).unwrap().evm_signer();
    let entry = &r["eip191_anvil_mnemonic_index_1"];
    let sig = signer
        .sign_message_sync(entry["message"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(
        format!("0x{}", hex::encode(sig.as_bytes())),
        entry["signature"].as_str().unwrap()
    );
}

#[test]
fn eip712_matches_cast() {
    let r = reference();
    let signer = key(&r).evm_signer();
    let file = r["eip712"]["file"].as_str().unwrap();
    let typed: TypedData =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{file}")).unwrap())
            .unwrap();
    let sig = signer.sign_dynamic_typed_data_sync(&typed).unwrap();
    assert_eq!(
        format!("0x{}", hex::encode(sig.as_bytes())),
        r["eip712"]["signature"].as_str().unwrap()
    );
}
