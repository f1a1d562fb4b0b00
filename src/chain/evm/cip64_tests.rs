//! CIP-64 vectors. The reference transaction is viem's (`src/celo/serializers.test.ts`, wevm/viem):
//! chain 42220, nonce 1, 2 gwei tip and max fee, no gas limit, to anvil's first account, 1 CELO,
//! no data, fee currency cUSD, signed with anvil's first key. Its unsigned and signed encodings are
//! reproduced byte for byte, which pins the field order, the type byte and the signing hash.

use alloy::eips::eip2930::AccessListItem;
use alloy::hex;
use alloy::primitives::{address, b256, bytes};

use super::*;

const ANVIL_KEY0: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ANVIL_ADDR0: Address = address!("f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
const CUSD: Address = address!("765de816845861e75a25fca122bb6898b8b1282a");

fn viem_tx() -> TxCip64 {
    TxCip64 {
        chain_id: 42220,
        nonce: 1,
        max_priority_fee_per_gas: 2_000_000_000,
        max_fee_per_gas: 2_000_000_000,
        gas_limit: 0,
        to: TxKind::Call(ANVIL_ADDR0),
        value: U256::from(10u64).pow(U256::from(18)),
        input: Bytes::new(),
        access_list: AccessList::default(),
        fee_currency: CUSD,
    }
}

fn signer() -> PrivateKeySigner {
    ANVIL_KEY0.parse().unwrap()
}

#[test]
fn unsigned_encoding_matches_viem() {
    let payload = viem_tx().signing_payload();
    assert_eq!(
        hex::encode(&payload),
        "7bf84482a4ec01847735940084773594008094f39fd6e51aad88f6f4ce6ab8827279cfffb92266880de0b6b3a764000080c094765de816845861e75a25fca122bb6898b8b1282a"
    );
    assert_eq!(viem_tx().signature_hash(), keccak256(&payload));
    assert_eq!(TxCip64::decode_unsigned(&payload).unwrap(), viem_tx());
}

#[test]
fn signed_encoding_matches_viem() {
    let signed = viem_tx().sign(&signer()).unwrap();
    let expected = "7bf88782a4ec01847735940084773594008094f39fd6e51aad88f6f4ce6ab8827279cfffb92266880de0b6b3a764000080c094765de816845861e75a25fca122bb6898b8b1282a01a087a588ffb7bec68b00d264932305b3badc3bfba2f48e9d3d916d038e1bb831a5a077e665b35849c636b52b3cc205acb98141b4a582fb84a7181e048dc5473c6d6d";
    assert_eq!(hex::encode(&signed.raw), expected);
    assert_eq!(signed.hash, keccak256(hex::decode(expected).unwrap()));
    assert!(signed.signature.v());
    let back = SignedCip64::decode(&signed.raw).unwrap();
    assert_eq!(back, signed);
    assert_eq!(back.recover_signer().unwrap(), ANVIL_ADDR0);
}

/// viem's fixed-signature vectors: the y parity is the first of the three signature fields.
#[test]
fn signature_fields_follow_the_documented_order() {
    let r = U256::from_be_bytes(
        b256!("60fdd29ff912ce880cd3edaf9f932dc61d3dae823ea77e0323f94adb9f6a72fe").0,
    );
    let tail = "94765de816845861e75a25fca122bb6898b8b1282a";
    let rs = "a060fdd29ff912ce880cd3edaf9f932dc61d3dae823ea77e0323f94adb9f6a72fea060fdd29ff912ce880cd3edaf9f932dc61d3dae823ea77e0323f94adb9f6a72fe";
    let head = "7bf88782a4ec01847735940084773594008094f39fd6e51aad88f6f4ce6ab8827279cfffb92266880de0b6b3a764000080c0";
    for (parity, byte) in [(true, "01"), (false, "80")] {
        let raw = viem_tx().encode_signed(&Signature::new(r, r, parity));
        assert_eq!(hex::encode(&raw), format!("{head}{tail}{byte}{rs}"));
        let back = SignedCip64::decode(&raw).unwrap();
        assert_eq!(back.signature.v(), parity);
        assert_eq!(back.tx, viem_tx());
    }
}

#[test]
fn creation_data_and_access_list_round_trip() {
    let tx = TxCip64 {
        to: TxKind::Create,
        input: bytes!("6080604052"),
        gas_limit: 1_234_567,
        nonce: 0,
        max_priority_fee_per_gas: 1,
        access_list: AccessList(vec![AccessListItem {
            address: Address::ZERO,
            storage_keys: vec![
                b256!("0000000000000000000000000000000000000000000000000000000000000001"),
                b256!("60fdd29ff912ce880cd3edaf9f932dc61d3dae823ea77e0323f94adb9f6a72fe"),
            ],
        }]),
        ..viem_tx()
    };
    let signed = tx.clone().sign(&signer()).unwrap();
    let back = SignedCip64::decode(&signed.raw).unwrap();
    assert_eq!(back.tx, tx);
    assert_eq!(back.recover_signer().unwrap(), ANVIL_ADDR0);
    // A creation encodes `to` as the empty string (0x80) right after the gas limit.
    let payload = tx.signing_payload();
    let gas_then_empty = [0x83, 0x12, 0xd6, 0x87, 0x80];
    assert!(payload.windows(5).any(|w| w == gas_then_empty));
    // The EIP-1559 encoding of the same fields differs only by type byte and the fee currency.
    let eip1559 = tx.as_eip1559();
    let mut plain = Vec::new();
    eip1559.rlp_encode_fields(&mut plain);
    let mut fields = Vec::new();
    tx.encode_fields(&mut fields);
    assert_eq!(&fields[..plain.len()], &plain[..]);
    assert_eq!(
        &fields[plain.len()..],
        &[&[0x94][..], CUSD.as_slice()].concat()[..]
    );
}

#[test]
fn refusals() {
    let e = TxCip64 {
        max_priority_fee_per_gas: 3,
        max_fee_per_gas: 2,
        ..viem_tx()
    }
    .sign(&signer())
    .unwrap_err();
    assert_eq!(e, Cip64Error::TipAboveMax { tip: 3, max: 2 });
    let e = TxCip64 {
        fee_currency: Address::ZERO,
        ..viem_tx()
    }
    .sign(&signer())
    .unwrap_err();
    assert_eq!(e, Cip64Error::ZeroFeeCurrency);

    let signed = viem_tx().sign(&signer()).unwrap();
    let raw = signed.raw.to_vec();
    // Wrong type byte (an EIP-1559 transaction).
    let mut eip1559 = raw.clone();
    eip1559[0] = 0x02;
    assert!(matches!(
        SignedCip64::decode(&eip1559),
        Err(Cip64Error::NotCip64(_))
    ));
    assert!(matches!(
        SignedCip64::decode(&[]),
        Err(Cip64Error::NotCip64(_))
    ));
    // Truncated, or with trailing bytes.
    assert!(matches!(
        SignedCip64::decode(&raw[..raw.len() - 1]),
        Err(Cip64Error::Rlp(_))
    ));
    let mut longer = raw.clone();
    longer.push(0);
    assert!(matches!(
        SignedCip64::decode(&longer),
        Err(Cip64Error::Rlp(_))
    ));
    // An unsigned transaction is not a signed one, and the other way round.
    let unsigned = viem_tx().signing_payload();
    assert_eq!(SignedCip64::decode(&unsigned), Err(Cip64Error::Unsigned));
    assert!(TxCip64::decode_unsigned(&raw).is_err());
    // A tampered field recovers another signer (or fails), never the real one.
    let mut tampered = viem_tx();
    tampered.nonce = 2;
    let forged = SignedCip64::decode(&tampered.encode_signed(&signed.signature)).unwrap();
    assert_ne!(forged.recover_signer().ok(), Some(ANVIL_ADDR0));
}
