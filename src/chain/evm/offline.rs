//! Offline signing: a fully specified transaction (nonce, gas, fees given; nothing asked of a
//! node) signed for a chain whose spec gives the chain id and the fee model. What
//! `sluice tx sign` prints, and the same signing the tracker does before a broadcast.
//!
//! - EIP-1559 and Celo chains: an EIP-1559 transaction (type 0x02), signed through alloy's
//!   `TransactionRequest::build` with an `EthereumWallet`, as [`super::TxTracker`] does;
//! - with a fee currency, on a chain whose fee model is Celo's only: a CIP-64 transaction
//!   (type 0x7b, [`super::cip64`]);
//! - a legacy-fee chain is refused (no shipped EVM chain uses it; the form has a tip flag that a
//!   legacy transaction cannot carry).

use alloy::eips::Encodable2718;
use alloy::eips::eip2930::AccessList;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::Signer;
use alloy::signers::local::PrivateKeySigner;
use serde::Serialize;

use super::cip64::{Cip64Error, TxCip64};
use crate::chain::{ChainFamily, ChainSpec, FeeModel};

/// Why an offline transaction was not signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfflineSignError {
    #[error("chain {0:?} is not an EVM chain")]
    NotEvm(String),
    #[error(
        "chain {chain:?} has the {fee_model:?} fee model: a fee currency (CIP-64) needs a chain whose fee model is Celo's"
    )]
    FeeCurrencyNotSupported { chain: String, fee_model: FeeModel },
    #[error(
        "chain {0:?} uses legacy gas prices: an EIP-1559 transaction (--max-fee, --priority-fee) cannot be signed for it"
    )]
    LegacyChain(String),
    #[error("the priority fee {tip} is above the max fee {max}")]
    TipAboveMax { tip: u128, max: u128 },
    #[error(transparent)]
    Cip64(#[from] Cip64Error),
    #[error("cannot sign: {0}")]
    Signing(String),
}

/// A transaction with every field given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineTx {
    /// `None`: a contract creation.
    pub to: Option<Address>,
    pub value: U256,
    pub data: Bytes,
    pub nonce: u64,
    pub gas_limit: u64,
    pub max_fee_per_gas: u128,
    pub max_priority_fee_per_gas: u128,
    pub access_list: AccessList,
    /// Pay gas in this token (CIP-64); fees are then denominated in it.
    pub fee_currency: Option<Address>,
}

/// A signed transaction: sender, raw EIP-2718 bytes (for `eth_sendRawTransaction`) and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedRaw {
    pub from: Address,
    pub raw: Bytes,
    pub hash: B256,
}

/// Signs `tx` for `chain` with `signer`, without any network access.
pub async fn sign_offline(
    chain: &ChainSpec,
    tx: OfflineTx,
    signer: PrivateKeySigner,
) -> Result<SignedRaw, OfflineSignError> {
    let chain_id = match (chain.family, chain.evm_chain_id()) {
        (ChainFamily::Evm, Some(id)) => id,
        _ => return Err(OfflineSignError::NotEvm(chain.name.clone())),
    };
    match (chain.fee_model, tx.fee_currency) {
        (FeeModel::Celo, _) | (_, None) => {}
        (fee_model, Some(_)) => {
            return Err(OfflineSignError::FeeCurrencyNotSupported {
                chain: chain.name.clone(),
                fee_model,
            });
        }
    }
    if chain.fee_model == FeeModel::Legacy {
        return Err(OfflineSignError::LegacyChain(chain.name.clone()));
    }
    if tx.max_priority_fee_per_gas > tx.max_fee_per_gas {
        return Err(OfflineSignError::TipAboveMax {
            tip: tx.max_priority_fee_per_gas,
            max: tx.max_fee_per_gas,
        });
    }
    let signer = signer.with_chain_id(Some(chain_id));
    let from = signer.address();
    let kind = tx.to.map(TxKind::Call).unwrap_or(TxKind::Create);
    if let Some(fee_currency) = tx.fee_currency {
        let signed = TxCip64 {
            chain_id,
            nonce: tx.nonce,
            max_priority_fee_per_gas: tx.max_priority_fee_per_gas,
            max_fee_per_gas: tx.max_fee_per_gas,
            gas_limit: tx.gas_limit,
            to: kind,
            value: tx.value,
            input: tx.data,
            access_list: tx.access_list,
            fee_currency,
        }
        .sign(&signer)?;
        return Ok(SignedRaw {
            from,
            raw: signed.raw,
            hash: signed.hash,
        });
    }
    let mut request = TransactionRequest::default()
        .from(from)
        .value(tx.value)
        .input(tx.data.into())
        .nonce(tx.nonce)
        .gas_limit(tx.gas_limit)
        .max_fee_per_gas(tx.max_fee_per_gas)
        .max_priority_fee_per_gas(tx.max_priority_fee_per_gas)
        .access_list(tx.access_list)
        .with_chain_id(chain_id);
    request.to = Some(kind);
    let envelope = request
        .build(&EthereumWallet::from(signer))
        .await
        .map_err(|e| OfflineSignError::Signing(e.to_string()))?;
    Ok(SignedRaw {
        from,
        raw: Bytes::from(envelope.encoded_2718()),
        hash: *envelope.tx_hash(),
    })
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, bytes};

    use super::*;
    use crate::chain::ChainSpecs;

    const KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn tx() -> OfflineTx {
        OfflineTx {
            to: Some(address!("70997970C51812dc3A010C7d01b50e0d17dc79C8")),
            value: U256::from(5),
            data: bytes!("deadbeef"),
            nonce: 7,
            gas_limit: 100_000,
            max_fee_per_gas: 30_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            access_list: AccessList::default(),
            fee_currency: None,
        }
    }

    /// The same transaction as `cast mktx --chain 1 --nonce 7 --gas-limit 100000 --gas-price
    /// 30000000000 --priority-gas-price 1000000000 --value 5 --private-key <anvil key 0>
    /// 0x7099…79C8 0xdeadbeef` (cast 1.7.1); the CLI tests compare against cast itself.
    #[tokio::test]
    async fn eip1559_equals_cast() {
        let specs = ChainSpecs::builtin().unwrap();
        let signed = sign_offline(specs.get("ethereum").unwrap(), tx(), KEY.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            signed.raw.to_string(),
            "0x02f8700107843b9aca008506fc23ac00830186a09470997970c51812dc3a010c7d01b50e0d17dc79c80584deadbeefc080a02f219fd972c5c8191143090048a42a1859cb1fd7b9b2bc849a363bc0ae3b8a75a00c0411963af7ac769641a7f6b6bf1a17edf89896e7e7b43f78e844643920130a"
        );
        assert_eq!(
            signed.from,
            address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert_eq!(signed.hash, alloy::primitives::keccak256(&signed.raw));
    }

    #[tokio::test]
    async fn fee_currency_only_on_celo() {
        let specs = ChainSpecs::builtin().unwrap();
        let cusd = address!("765DE816845861e75A25fCA122bb6898B8B1282a");
        let with_fc = OfflineTx {
            fee_currency: Some(cusd),
            ..tx()
        };
        for chain in ["ethereum", "xdai", "anvil"] {
            let e = sign_offline(
                specs.get(chain).unwrap(),
                with_fc.clone(),
                KEY.parse().unwrap(),
            )
            .await
            .unwrap_err();
            assert!(
                matches!(e, OfflineSignError::FeeCurrencyNotSupported { .. }),
                "{chain}: {e}"
            );
            assert!(e.to_string().contains("Celo"), "{e}");
        }
        let celo = specs.get("celo").unwrap();
        let signed = sign_offline(celo, with_fc, KEY.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(signed.raw[0], 0x7b);
        let back = crate::chain::evm::SignedCip64::decode(&signed.raw).unwrap();
        assert_eq!(back.tx.fee_currency, cusd);
        assert_eq!(back.tx.chain_id, 42220);
        assert_eq!(back.recover_signer().unwrap(), signed.from);
        assert_eq!(back.hash, signed.hash);
        // Without a fee currency, Celo gets a plain EIP-1559 transaction.
        let plain = sign_offline(celo, tx(), KEY.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(plain.raw[0], 0x02);

        let e = sign_offline(
            celo,
            OfflineTx {
                max_priority_fee_per_gas: 31_000_000_000,
                ..tx()
            },
            KEY.parse().unwrap(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, OfflineSignError::TipAboveMax { .. }));
        let e = sign_offline(specs.get("terra").unwrap(), tx(), KEY.parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(e, OfflineSignError::NotEvm("terra".into()));
    }
}
