//! The sending module on the local dYdX node: deposits, withdrawals and transfers of USDC
//! collateral, paying fees at the minimum gas price.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_withdrawals_and_transfers_move_collateral_and_pay_fees() {
    let (n, a, b) = node().await;
    let (num, _) = account(&n, &a);
    let me = sub(&a.address, 0);
    let before_bank = n.chain().balance(&a.address, USDC_DENOM);
    let before = n.engine.collateral(&me);
    assert_eq!(before, dec!(100000));
    let deposit = any(
        MSG_DEPOSIT_TO_SUBACCOUNT_URL,
        &MsgDepositToSubaccount {
            sender: a.address.clone(),
            recipient: Some(sub(&a.address, 1)),
            asset_id: 0,
            quantums: 5_000_000,
        },
    );
    // sending messages pay fees at the minimum gas price: 0.025 per gas in USDC
    let cheap = Opts::new(num, 0).usdc_fee(100, 200_000);
    assert_code(
        broadcast(&n, &sign(&a, vec![deposit.clone()], &cheap)),
        "sdk",
        13,
    );
    let opts = Opts::new(num, 0).usdc_fee(5_000, 200_000);
    broadcast(&n, &sign(&a, vec![deposit], &opts)).unwrap();
    n.produce_block();
    assert_eq!(n.engine.collateral(&sub(&a.address, 1)), dec!(5));
    assert_eq!(
        n.chain().balance(&a.address, USDC_DENOM),
        before_bank - 5_000_000 - 5_000
    );
    let transfer = any(
        MSG_CREATE_TRANSFER_URL,
        &MsgCreateTransfer {
            transfer: Some(Transfer {
                sender: Some(me.clone()),
                recipient: Some(sub(&b.address, 0)),
                asset_id: 0,
                amount: 2_500_000,
            }),
        },
    );
    let withdraw = any(
        MSG_WITHDRAW_FROM_SUBACCOUNT_URL,
        &MsgWithdrawFromSubaccount {
            sender: Some(me.clone()),
            recipient: a.address.clone(),
            asset_id: 0,
            quantums: 1_000_000,
        },
    );
    let opts = Opts::new(num, 1).usdc_fee(10_000, 300_000);
    broadcast(&n, &sign(&a, vec![transfer, withdraw], &opts)).unwrap();
    n.produce_block();
    assert_eq!(n.engine.collateral(&me), dec!(99996.5));
    assert_eq!(n.engine.collateral(&sub(&b.address, 0)), dec!(100002.5));
    // more than the collateral: the transaction fails in the block, nothing moves
    let too_much = any(
        MSG_WITHDRAW_FROM_SUBACCOUNT_URL,
        &MsgWithdrawFromSubaccount {
            sender: Some(sub(&a.address, 1)),
            recipient: a.address.clone(),
            asset_id: 0,
            quantums: 6_000_000,
        },
    );
    let opts = Opts::new(num, 2).usdc_fee(5_000, 200_000);
    let tx = sign(&a, vec![too_much], &opts);
    broadcast(&n, &tx).unwrap();
    n.produce_block();
    let hash = sluice::chain::cosmos::tx::tx_hash(&tx);
    assert_eq!(n.chain().tx_result(&hash).unwrap()["code"], 5);
    assert_eq!(n.engine.collateral(&sub(&a.address, 1)), dec!(5));
    // a transfer to oneself is malformed
    let selfie = any(
        MSG_CREATE_TRANSFER_URL,
        &MsgCreateTransfer {
            transfer: Some(Transfer {
                sender: Some(me.clone()),
                recipient: Some(me.clone()),
                asset_id: 0,
                amount: 1,
            }),
        },
    );
    let opts = Opts::new(num, 3).usdc_fee(5_000, 200_000);
    assert_code(broadcast(&n, &sign(&a, vec![selfie], &opts)), "sending", 1);
}
