//! A swap order's on-chain record (approvals sent, the receipt) in the chain-neutral form of
//! [`crate::venue::ChainReport`], so that `sluice swap` reports it through `dyn Venue`. The text
//! forms are those of the EVM types' own serialization (lower-case `0x` hex addresses and hashes,
//! hex amounts), so the JSON a user scripts against is the same as before.

use alloy::primitives::{Address, B256, U256};

use super::swap::{ApprovalRecord, SwapExecutor, SwapReceipt};
use crate::core::ClientOrderId;
use crate::venue::{ApprovalNote, ChainReport, ReceiptNote};

/// The approvals this executor sent (a swap's approvals are its token's, for its router) and the
/// receipt of order `id`.
pub fn chain_report(executor: &SwapExecutor, id: &ClientOrderId) -> ChainReport {
    ChainReport {
        approvals: executor.approvals().iter().map(approval_note).collect(),
        receipt: executor
            .receipts()
            .iter()
            .find(|r| &r.client_id == id)
            .map(receipt_note),
    }
}

fn address(a: &Address) -> String {
    format!("{a:#x}")
}

fn hash(h: &B256) -> String {
    format!("{h:#x}")
}

fn amount(u: &U256) -> String {
    format!("{u:#x}")
}

fn approval_note(a: &ApprovalRecord) -> ApprovalNote {
    ApprovalNote {
        token: address(&a.token),
        spender: address(&a.spender),
        tx_hashes: a.tx_hashes.iter().map(hash).collect(),
    }
}

fn receipt_note(r: &SwapReceipt) -> ReceiptNote {
    ReceiptNote {
        client_id: r.client_id.clone(),
        tx_hash: hash(&r.tx_hash),
        block_number: r.block_number,
        success: r.success,
        amount_in: amount(&r.amount_in),
        amount_out: amount(&r.amount_out),
        gas_used: r.gas_used,
        gas_cost_native: r.gas_cost_native,
        revert_reason: r.revert_reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    /// The notes serialize exactly as the records they come from.
    #[test]
    fn notes_read_as_the_records_serialize() {
        let approval = ApprovalRecord {
            token: Address::repeat_byte(0xab),
            spender: Address::repeat_byte(0x1c),
            tx_hashes: vec![B256::repeat_byte(0x07)],
        };
        let receipt = SwapReceipt {
            client_id: ClientOrderId::new("swap-1").unwrap(),
            tx_hash: B256::repeat_byte(0xfe),
            block_number: 12,
            success: true,
            amount_in: U256::from(10u64).pow(U256::from(18u64)),
            amount_out: U256::ZERO,
            gas_used: 123_456,
            gas_cost_native: Decimal::new(12345, 9),
            revert_reason: None,
        };
        assert_eq!(
            serde_json::to_value(approval_note(&approval)).unwrap(),
            serde_json::to_value(&approval).unwrap()
        );
        assert_eq!(
            serde_json::to_value(receipt_note(&receipt)).unwrap(),
            serde_json::to_value(&receipt).unwrap()
        );
    }
}
