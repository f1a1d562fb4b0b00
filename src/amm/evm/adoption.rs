//! What a journaled transaction became, read back from the chain after a restart: mined or reverted
//! (with gas and, for a swap, the amounts from the receipt's token transfers, or for a native ETH
//! leg from the router's wrapping and unwrapping), still in the node's pool, superseded by another
//! transaction with its nonce, or never broadcast / dropped.
//!
//! The swap executor records every transaction before it broadcasts it ([`crate::venue::TxJournal`]),
//! so these are all the transactions a killed process can have sent; this module tells what each one
//! did.

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Log, TransactionReceipt};
use alloy::sol_types::SolEvent;

use super::native::{self, NativeLeg};
use crate::amm::AmmError;
use crate::chain::evm::RevertReason;
use crate::core::{TxInfo, TxState, from_units};

// The ERC-20 transfer event: how much of each token a swap moved, whatever the router.
use super::abi::IERC20::Transfer;

/// One journaled transaction checked against the chain.
#[derive(Debug, Clone)]
pub struct ChainTx {
    /// The journal's record with the chain's answer (status, gas, block).
    pub info: TxInfo,
    /// The receipt, when the transaction is in a block.
    pub receipt: Option<TransactionReceipt>,
}

/// Reads the hash of a journaled transaction.
pub fn tx_hash(info: &TxInfo) -> Result<B256, AmmError> {
    info.hash.parse().map_err(|e| AmmError::Decode {
        what: "journaled transaction hash",
        reason: format!("{:?}: {e}", info.hash),
    })
}

/// What `info` became. `mined_count` is the account's transaction count in the latest block:
/// a transaction the node does not know whose nonce is below it was superseded; at or above it, it
/// was never broadcast (or dropped from the pool).
pub async fn resolve(
    provider: &DynProvider,
    info: &TxInfo,
    mined_count: u64,
    native_decimals: u8,
) -> Result<ChainTx, AmmError> {
    let hash = tx_hash(info)?;
    let mut out = info.clone();
    let receipt = provider
        .get_transaction_receipt(hash)
        .await
        .map_err(AmmError::rpc)?
        .filter(|r| r.block_hash.is_some());
    if let Some(r) = &receipt {
        let cost = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
        out.status = if r.status() {
            TxState::Mined
        } else {
            TxState::Reverted
        };
        out.gas_used = Some(r.gas_used);
        out.effective_gas_price = Some(r.effective_gas_price.to_string());
        out.fee_native = Some(
            from_units(cost, native_decimals)
                .map_err(|e| AmmError::InvalidAmount(format!("gas cost of {hash}: {e}")))?,
        );
        out.block = r.block_number;
        return Ok(ChainTx { info: out, receipt });
    }
    let in_pool = provider
        .get_transaction_by_hash(hash)
        .await
        .map_err(AmmError::rpc)?
        .is_some();
    out.status = if in_pool {
        TxState::Pending
    } else if info.nonce < mined_count {
        TxState::Replaced
    } else {
        TxState::Dropped
    };
    Ok(ChainTx {
        info: out,
        receipt: None,
    })
}

/// The calldata of a transaction, `None` when the node does not serve it; an error when the node
/// did not answer.
pub async fn tx_input(provider: &DynProvider, hash: B256) -> Result<Option<Bytes>, AmmError> {
    use alloy::consensus::Transaction as _;
    Ok(provider
        .get_transaction_by_hash(hash)
        .await
        .map_err(AmmError::rpc)?
        .map(|tx| tx.input().clone()))
}

/// The account's transaction count in the latest block.
pub async fn mined_count(provider: &DynProvider, account: Address) -> Result<u64, AmmError> {
    provider
        .get_transaction_count(account)
        .latest()
        .await
        .map_err(AmmError::rpc)
}

/// (amount of `token_in` that left `account`, amount of `token_out` that reached it) in a receipt's
/// logs: what a swap paid and received, for any router and any number of hops.
pub fn transfer_amounts(
    logs: &[Log],
    account: Address,
    token_in: Address,
    token_out: Address,
) -> (U256, U256) {
    let mut paid = U256::ZERO;
    let mut received = U256::ZERO;
    for log in logs {
        let Ok(t) = Transfer::decode_log(&log.inner) else {
            continue;
        };
        if log.address() == token_in && t.from == account {
            paid = paid.saturating_add(t.value);
        }
        if log.address() == token_out && t.to == account {
            received = received.saturating_add(t.value);
        }
    }
    (paid, received)
}

/// (amount paid, amount received) of a mined swap sent by `account` to `router`: an ERC-20 leg
/// read from the account's transfers ([`transfer_amounts`]), a native leg from the wrapped token
/// (`token_in` or `token_out`, which the native asset trades as): the router's `Deposit` for a
/// native input (what the swap used, without any refund of the value sent), its `Withdrawal` for a
/// native output (what it paid out) — as a live swap reads them.
pub fn swap_amounts(
    logs: &[Log],
    (account, router): (Address, Address),
    (token_in, token_out): (Address, Address),
    leg: NativeLeg,
) -> Result<(U256, U256), AmmError> {
    let (paid, received) = transfer_amounts(logs, account, token_in, token_out);
    Ok(match leg {
        NativeLeg::None => (paid, received),
        NativeLeg::In => (native::wrapped_by(logs, token_in, router)?, received),
        NativeLeg::Out => (paid, native::unwrapped_by(logs, token_out, router)?),
    })
}

/// Why a mined transaction reverted: its call replayed on the parent block.
pub async fn revert_reason(provider: &DynProvider, hash: B256, block: u64) -> String {
    let tx = match provider.get_transaction_by_hash(hash).await {
        Ok(Some(tx)) => tx,
        Ok(None) => return "reverted (the transaction is no longer served)".into(),
        Err(e) => return format!("reverted (replay failed: {e})"),
    };
    let call = tx.into_request();
    let mut call = call;
    call.nonce = None;
    call.gas_price = None;
    call.max_fee_per_gas = None;
    call.max_priority_fee_per_gas = None;
    let at = alloy::eips::BlockId::number(block.saturating_sub(1));
    match provider.call(call).block(at).await {
        Ok(_) => "reverted on chain, but the call succeeds on the parent block".into(),
        Err(e) => RevertReason::from_rpc_error(&e)
            .map(|r| r.to_string())
            .unwrap_or_else(|| format!("reverted (replay failed: {e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::amm::evm::abi::IWETH9::{Deposit, Withdrawal};

    fn log(address: Address, data: alloy::primitives::LogData) -> Log {
        Log {
            inner: alloy::primitives::Log { address, data },
            ..Log::default()
        }
    }

    fn transfer(token: Address, from: Address, to: Address, value: u64) -> Log {
        let value = U256::from(value);
        log(token, Transfer { from, to, value }.encode_log_data())
    }

    #[test]
    fn a_native_leg_is_read_from_the_routers_wrapping() {
        let (me, router, pool) = (
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        );
        let (weth, usdc) = (Address::repeat_byte(10), Address::repeat_byte(11));
        // ETH in: the router wraps what the swap uses and pays the pool; USDC reaches the account.
        let eth_in = vec![
            log(
                weth,
                Deposit {
                    dst: router,
                    wad: U256::from(700u32),
                }
                .encode_log_data(),
            ),
            transfer(weth, router, pool, 700),
            transfer(usdc, pool, me, 2_000),
        ];
        let parties = (me, router);
        assert_eq!(
            swap_amounts(&eth_in, parties, (weth, usdc), NativeLeg::In),
            Ok((U256::from(700u32), U256::from(2_000u32)))
        );
        // Read as ERC-20 only, the ETH paid is lost.
        assert_eq!(
            swap_amounts(&eth_in, parties, (weth, usdc), NativeLeg::None),
            Ok((U256::ZERO, U256::from(2_000u32)))
        );
        // ETH out: the pool pays the router, which unwraps and sends ETH.
        let eth_out = vec![
            transfer(usdc, me, pool, 3_000),
            transfer(weth, pool, router, 900),
            log(
                weth,
                Withdrawal {
                    src: router,
                    wad: U256::from(900u32),
                }
                .encode_log_data(),
            ),
        ];
        assert_eq!(
            swap_amounts(&eth_out, parties, (usdc, weth), NativeLeg::Out),
            Ok((U256::from(3_000u32), U256::from(900u32)))
        );
        // A native leg the receipt does not show is an error, never zero.
        assert!(swap_amounts(&eth_out, parties, (weth, usdc), NativeLeg::In).is_err());
        assert!(swap_amounts(&eth_in, parties, (usdc, weth), NativeLeg::Out).is_err());
    }
}
