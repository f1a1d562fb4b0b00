//! Gas priced in a fee currency (Celo fee abstraction, CIP-64 transactions).
//!
//! The rules implemented are those of Celo's fee-abstraction specification
//! (docs.celo.org/specs/fee-abstraction, "JSON-RPC Changes" and "The Fee Currency Directory"):
//!
//! - `eth_gasPrice` and `eth_maxPriorityFeePerGas` take an optional `feeCurrency` parameter and
//!   then answer in that currency's units: they give the base part and the tip of the fees;
//! - `eth_estimateGas` takes a `feeCurrency` field and then includes the gas of debiting and
//!   crediting the fee currency (its *intrinsic gas*, about 50,000);
//! - the `FeeCurrencyDirectory` core contract (address in the chain spec,
//!   `protocols.celo_core.fee_currency_directory`) lists each fee currency with its intrinsic gas
//!   (`getCurrencyConfig(token) -> (oracle, intrinsicGas)`) and its exchange rate
//!   (`getExchangeRate(token) -> (numerator, denominator)`: an amount of CELO times
//!   numerator / denominator is the amount in the token, as the node converts it).
//!
//! So: the gas limit is the larger of the node's fee-currency estimate and the plain estimate plus
//! the directory's intrinsic gas (safe even behind a node that ignores `feeCurrency`), plus the
//! policy's margin; the fees are the node's fee-currency price and tip, with the policy's base-fee
//! headroom, capped by the policy's cap converted into the fee currency at the directory's rate
//! (rounded down, so the cap is never exceeded). The directory's interface is written from the
//! signatures Celo documents (no official ABI artifact is installed).

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol;

use super::cip64::TxCip64;
use super::client::EvmClient;
use super::error::EvmError;
use super::fees::{FeePolicy, Fees};
use crate::chain::FeeModel;

sol! {
    #[sol(rpc)]
    interface IFeeCurrencyDirectory {
        struct CurrencyConfig {
            address oracle;
            uint256 intrinsicGas;
        }
        function getCurrencyConfig(address token) external view returns (CurrencyConfig memory);
        function getExchangeRate(address token) external view returns (uint256 numerator, uint256 denominator);
    }
}

/// What the chain says about one fee currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeCurrencyInfo {
    pub token: Address,
    /// Gas added to every transaction paying in this currency.
    pub intrinsic_gas: u64,
    /// CELO amount * numerator / denominator = amount in the token.
    pub rate: (U256, U256),
}

/// The gas limit of a fee-currency transaction: the larger of the node's fee-currency estimate
/// and the plain estimate plus the currency's intrinsic gas, then the policy's margin.
pub fn fee_currency_gas_limit(
    policy: &FeePolicy,
    estimate_with_currency: u64,
    plain_estimate: u64,
    intrinsic_gas: u64,
) -> u64 {
    policy.gas_limit(estimate_with_currency.max(plain_estimate.saturating_add(intrinsic_gas)))
}

/// Fees in the fee currency's units from the node's fee-currency gas price and tip, with the
/// policy's base-fee headroom, capped by the policy's cap (native wei) converted at `rate`.
pub fn fee_currency_fees(
    policy: &FeePolicy,
    gas_price: u128,
    tip: u128,
    rate: (U256, U256),
) -> Result<Fees, EvmError> {
    let (numerator, denominator) = rate;
    if denominator.is_zero() || numerator.is_zero() {
        return Err(EvmError::BadResponse {
            what: "FeeCurrencyDirectory.getExchangeRate".into(),
            problem: format!("unusable rate {numerator}/{denominator}"),
        });
    }
    // Rounded down: the converted cap never allows more than the native cap.
    let cap = U256::from(policy.cap_wei) * numerator / denominator;
    let cap = u128::try_from(cap).unwrap_or(u128::MAX);
    let base = gas_price.saturating_sub(tip);
    let floor = base.saturating_add(tip);
    if floor > cap {
        return Err(EvmError::FeeCapExceeded { needed: floor, cap });
    }
    let wanted = base.saturating_mul(u128::from(policy.base_fee_headroom_percent.max(100))) / 100;
    Ok(Fees::Eip1559 {
        max_fee_per_gas: wanted.saturating_add(tip).min(cap),
        max_priority_fee_per_gas: tip.min(cap),
    })
}

impl EvmClient {
    /// The chain's FeeCurrencyDirectory, refused on a chain whose fee model is not Celo's.
    fn fee_currency_directory(&self) -> Result<Address, EvmError> {
        let spec = self.spec();
        if spec.fee_model != FeeModel::Celo {
            return Err(EvmError::BadSpec {
                chain: spec.name.clone(),
                problem: format!(
                    "the {:?} fee model has no fee currencies (CIP-64 needs Celo's)",
                    spec.fee_model
                ),
            });
        }
        spec.protocol_address("celo_core", "fee_currency_directory")
            .ok_or_else(|| EvmError::BadSpec {
                chain: spec.name.clone(),
                problem: "no protocols.celo_core.fee_currency_directory".into(),
            })
    }

    /// The directory's intrinsic gas and exchange rate of `token`.
    pub async fn fee_currency_info(&self, token: Address) -> Result<FeeCurrencyInfo, EvmError> {
        let directory = IFeeCurrencyDirectory::new(self.fee_currency_directory()?, self.provider());
        let config = directory
            .getCurrencyConfig(token)
            .call()
            .await
            .map_err(|e| {
                self.call_error("FeeCurrencyDirectory.getCurrencyConfig", contract_err(e))
            })?;
        if config.oracle == Address::ZERO {
            return Err(EvmError::Token {
                token,
                problem: "not a fee currency (not in the FeeCurrencyDirectory)".into(),
            });
        }
        let rate = directory.getExchangeRate(token).call().await.map_err(|e| {
            self.call_error("FeeCurrencyDirectory.getExchangeRate", contract_err(e))
        })?;
        Ok(FeeCurrencyInfo {
            token,
            intrinsic_gas: u64::try_from(config.intrinsicGas).map_err(|_| EvmError::Overflow {
                value: config.intrinsicGas,
                what: "intrinsic gas as u64".into(),
            })?,
            rate: (rate.numerator, rate.denominator),
        })
    }

    /// Fees for a transaction paying gas in `token`, in its units.
    pub async fn suggest_fees_in(&self, info: &FeeCurrencyInfo) -> Result<Fees, EvmError> {
        let price = self.u128_rpc("eth_gasPrice", info.token).await?;
        let tip = self
            .u128_rpc("eth_maxPriorityFeePerGas", info.token)
            .await?;
        fee_currency_fees(&self.options().fees, price, tip, info.rate)
    }

    /// A gas limit for `tx` paying gas in `info.token` (see [`fee_currency_gas_limit`]).
    pub async fn estimate_gas_in(
        &self,
        tx: &TransactionRequest,
        info: &FeeCurrencyInfo,
    ) -> Result<u64, EvmError> {
        let plain = self
            .provider()
            .estimate_gas(tx.clone())
            .await
            .map_err(|e| self.call_error("eth_estimateGas", e))?;
        let mut with_currency = serde_json::to_value(tx).map_err(|e| EvmError::BadResponse {
            what: "transaction request".into(),
            problem: e.to_string(),
        })?;
        if let Some(map) = with_currency.as_object_mut() {
            map.insert("feeCurrency".into(), serde_json::json!(info.token));
        }
        let estimate: alloy::primitives::U64 = self
            .provider()
            .raw_request("eth_estimateGas".into(), (with_currency,))
            .await
            .map_err(|e| self.call_error("eth_estimateGas(feeCurrency)", e))?;
        Ok(fee_currency_gas_limit(
            &self.options().fees,
            estimate.to::<u64>(),
            plain,
            info.intrinsic_gas,
        ))
    }

    async fn u128_rpc(&self, method: &'static str, token: Address) -> Result<u128, EvmError> {
        let v: U256 = self
            .provider()
            .raw_request(method.into(), (token,))
            .await
            .map_err(|e| self.rpc_error(method, e))?;
        u128::try_from(v).map_err(|_| EvmError::Overflow {
            value: v,
            what: format!("{method} as u128"),
        })
    }
}

/// A CIP-64 transaction from the request's fields, signed by the wallet's signer.
pub(super) async fn sign_request_cip64(
    wallet: &EthereumWallet,
    account: Address,
    chain_id: u64,
    tx: &TransactionRequest,
    fees: Fees,
    fee_currency: Address,
) -> Result<(B256, Bytes), EvmError> {
    let err = |reason: String| EvmError::Signing {
        from: account,
        reason,
    };
    let Fees::Eip1559 {
        max_fee_per_gas,
        max_priority_fee_per_gas,
    } = fees
    else {
        return Err(err("a CIP-64 transaction needs EIP-1559 fees".into()));
    };
    let unsigned = TxCip64 {
        chain_id,
        nonce: tx.nonce.ok_or_else(|| err("no nonce".into()))?,
        max_priority_fee_per_gas,
        max_fee_per_gas,
        gas_limit: tx.gas.ok_or_else(|| err("no gas limit".into()))?,
        to: tx.to.unwrap_or(TxKind::Create),
        value: tx.value.unwrap_or_default(),
        input: tx.input.input().cloned().unwrap_or_default(),
        access_list: tx.access_list.clone().unwrap_or_default(),
        fee_currency,
    };
    let signer = wallet
        .signer_by_address(account)
        .ok_or_else(|| err("the wallet has no signer for this account".into()))?;
    let signed = unsigned
        .sign_with(signer.as_ref())
        .await
        .map_err(|e| err(e.to_string()))?;
    Ok((signed.hash, signed.raw))
}

fn contract_err(e: alloy::contract::Error) -> alloy::transports::TransportError {
    match e {
        alloy::contract::Error::TransportError(t) => t,
        other => alloy::transports::TransportErrorKind::custom_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GWEI: u128 = 1_000_000_000;

    #[test]
    fn gas_limit_covers_the_intrinsic_gas() {
        let p = FeePolicy::default(); // 20 % margin
        // A node honouring feeCurrency: its estimate already has the intrinsic gas.
        assert_eq!(fee_currency_gas_limit(&p, 71_000, 21_000, 50_000), 85_200);
        // A node ignoring it: the plain estimate plus the directory's intrinsic gas.
        assert_eq!(fee_currency_gas_limit(&p, 21_000, 21_000, 50_000), 85_200);
        assert_eq!(fee_currency_gas_limit(&p, 90_000, 21_000, 50_000), 108_000);
    }

    #[test]
    fn fees_in_the_currency_are_capped_at_the_converted_cap() {
        let p = FeePolicy {
            cap_wei: 100 * GWEI,
            ..FeePolicy::default()
        };
        // 1 CELO = 0.5 token: cap 50 gwei-of-token. Price 21 = base 20 + tip 1.
        let rate = (U256::from(1), U256::from(2));
        assert_eq!(
            fee_currency_fees(&p, 21 * GWEI, GWEI, rate).unwrap(),
            Fees::Eip1559 {
                max_fee_per_gas: 41 * GWEI,
                max_priority_fee_per_gas: GWEI
            }
        );
        // Headroom clipped by the cap.
        assert_eq!(
            fee_currency_fees(&p, 31 * GWEI, GWEI, rate)
                .unwrap()
                .max_per_gas(),
            50 * GWEI
        );
        // Base + tip above the converted cap: refused.
        assert!(matches!(
            fee_currency_fees(&p, 51 * GWEI, GWEI, rate),
            Err(EvmError::FeeCapExceeded { needed, cap }) if needed == 51 * GWEI && cap == 50 * GWEI
        ));
        // The cap rounds down.
        let odd = (U256::from(1), U256::from(3));
        let f = fee_currency_fees(&FeePolicy { cap_wei: 100, ..p }, 30, 0, odd).unwrap();
        assert_eq!(f.max_per_gas(), 33);
        assert!(fee_currency_fees(&p, GWEI, 0, (U256::ZERO, U256::from(1))).is_err());
        assert!(fee_currency_fees(&p, GWEI, 0, (U256::from(1), U256::ZERO)).is_err());
    }
}
