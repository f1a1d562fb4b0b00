//! The Cosmos sender (`sluice::chain::cosmos`) against the local node (`sluice_sim::cosmos`):
//! transactions in both sign modes included with their events decoded, the node's refusals
//! (chain id, account number, fee, Terra Classic's tax), and the faults — a sequence mismatch
//! (signed again once, with the new sequence), a transaction never included (expired, nothing
//! sent twice), 5xx/HTML answers (retried, then a clear error), a broadcast answered too late
//! (found by hash, not sent again).

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::chain::cosmos::lcd::{Broadcast, LcdClient, LcdConfig};
use sluice::chain::cosmos::sender::{CosmosSender, SenderConfig};
use sluice::chain::cosmos::tx::sign_tx;
use sluice::chain::cosmos::{Coin, CosmosError, Msg, SignMode, TxParams};
use sluice::wallet::{CosmosSigner, PrivateKey};
use sluice_sim::cosmos::{ChainConfig, LocalNode, NoContracts};

const KEY: &str = "80e81ea269e66a0a05b11236df7919fb7fbeedba87452d667489d7403a02f005";
const TO: &str = "terra18wukp84dq227wu4mgh0jm6n9nlnj6rs82pp9wf";

fn signer() -> CosmosSigner {
    PrivateKey::from_hex(KEY).unwrap().cosmos_signer()
}

fn fast_lcd() -> LcdConfig {
    LcdConfig {
        timeout: Duration::from_secs(2),
        retries: 3,
        backoff: Duration::from_millis(20),
    }
}

async fn node(mut cfg: ChainConfig) -> (LocalNode, String) {
    cfg.block_time = Duration::from_millis(100);
    let node = LocalNode::start(cfg, Arc::new(NoContracts), 0)
        .await
        .unwrap();
    let me = signer().address("terra").unwrap();
    node.chain().fund(
        &me,
        &[
            Coin::new(100_000_000_000, "uluna"),
            Coin::new(5_000_000, "uusd"),
        ],
    );
    (node, me)
}

async fn sender(node: &LocalNode, chain_id: &str, mode: SignMode) -> CosmosSender {
    let lcd = LcdClient::connect(&node.lcd_url, chain_id, fast_lcd())
        .await
        .unwrap();
    let mut cfg = SenderConfig::for_chain(chain_id).unwrap();
    cfg.sign_mode = mode;
    cfg.poll = Duration::from_millis(50);
    cfg.timeout_blocks = 5;
    CosmosSender::new(lcd, chain_id, "terra", signer(), cfg).unwrap()
}

fn send_msg(from: &str, amount: u128) -> Msg {
    Msg::Send {
        from: from.into(),
        to: TO.into(),
        amount: vec![Coin::new(amount, "uluna")],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_sends_in_both_modes_with_events() {
    let (node, me) = node(ChainConfig::terra()).await;
    for (i, mode) in [SignMode::Direct, SignMode::AminoJson]
        .into_iter()
        .enumerate()
    {
        let s = sender(&node, "phoenix-1", mode).await;
        let before = node.chain().balance(&me, "uluna");
        let inc = s.send(&[send_msg(&me, 1_000_000)], "hi").await.unwrap();
        assert_eq!(inc.sequence, i as u64);
        assert_eq!(inc.broadcasts, 1);
        let transfer = inc.events.iter().find(|e| e.kind == "transfer").unwrap();
        assert_eq!(transfer.attr("recipient"), Some(TO));
        assert_eq!(transfer.attr("amount"), Some("1000000uluna"));
        let fee = inc.fee[0].amount;
        // The fee is the gas limit (simulated gas × 1.3, rounded up) × 0.015, rounded up.
        assert!(fee > 0 && inc.gas_used > 0);
        assert_eq!(node.chain().balance(&me, "uluna"), before - 1_000_000 - fee);
    }
    assert_eq!(node.chain().balance(TO, "uluna"), 2_000_000);
    assert_eq!(node.chain().account(&me).unwrap().1, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_connect_checks_the_chain_id() {
    let (node, _) = node(ChainConfig::terra()).await;
    let e = LcdClient::connect(&node.lcd_url, "columbus-5", fast_lcd())
        .await
        .unwrap_err();
    assert!(matches!(e, CosmosError::WrongChain { .. }), "{e}");
    assert!(e.to_string().contains("phoenix-1"), "{e}");
}

/// The node checks what the ante handler checks: the chain id and account number signed, the
/// sequence, the minimum fee, and its answers carry the SDK's codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_node_refuses_what_the_chain_refuses() {
    let (node, me) = node(ChainConfig::terra()).await;
    let lcd = LcdClient::connect(&node.lcd_url, "phoenix-1", fast_lcd())
        .await
        .unwrap();
    let (number, _) = node.chain().account(&me).unwrap();
    let good = TxParams {
        chain_id: "phoenix-1".into(),
        account_number: number,
        sequence: 0,
        fee: vec![Coin::new(3000, "uluna")],
        gas_limit: 200_000,
        memo: String::new(),
        timeout_height: 0,
    };
    let cases = [
        (
            TxParams {
                chain_id: "columbus-5".into(),
                ..good.clone()
            },
            4,
            "signature verification failed",
        ),
        (
            TxParams {
                account_number: number + 1,
                ..good.clone()
            },
            4,
            "signature verification failed",
        ),
        (
            TxParams {
                sequence: 3,
                ..good.clone()
            },
            32,
            "expected 0, got 3",
        ),
        (
            TxParams {
                fee: vec![Coin::new(2999, "uluna")],
                ..good.clone()
            },
            13,
            "insufficient fee",
        ),
        (
            TxParams {
                timeout_height: 1,
                ..good.clone()
            },
            30,
            "timeout height",
        ),
    ];
    for mode in [SignMode::Direct, SignMode::AminoJson] {
        for (p, code, log) in &cases {
            let tx = sign_tx(&signer(), "terra", &[send_msg(&me, 5)], p, mode).unwrap();
            let Broadcast::Answered(r) = lcd.broadcast_sync(&tx.tx_bytes).await.unwrap() else {
                panic!("no answer")
            };
            assert_eq!(r.code, *code, "{mode:?} {p:?}: {}", r.raw_log);
            assert!(r.raw_log.contains(log), "{}", r.raw_log);
        }
    }
    assert_eq!(node.chain().account(&me).unwrap().1, 0);
    let tx = sign_tx(
        &signer(),
        "terra",
        &[send_msg(&me, 5)],
        &good,
        SignMode::AminoJson,
    )
    .unwrap();
    let Broadcast::Answered(r) = lcd.broadcast_sync(&tx.tx_bytes).await.unwrap() else {
        panic!("no answer")
    };
    assert_eq!((r.code, r.txhash.as_str()), (0, tx.txhash.as_str()));
}

/// Terra Classic: the fee must carry the burn tax of the coins sent; the sender adds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_classic_fee_includes_the_burn_tax() {
    let (node, me) = node(ChainConfig::terra_classic()).await;
    let s = sender(&node, "columbus-5", SignMode::Direct).await;
    let inc = s.send(&[send_msg(&me, 10_000_000)], "").await.unwrap();
    // The fee: the gas limit (≥ the gas used) at 28.325uluna, plus 0.5 % of the 10 LUNC sent.
    let gas_part = (Decimal::from(inc.gas_used) * dec!(28.325)).ceil();
    assert!(
        Decimal::from(inc.fee[0].amount) >= gas_part + dec!(50000),
        "{:?}",
        inc.fee
    );
    assert!(
        Decimal::from(inc.fee[0].amount) <= gas_part * dec!(1.4) + dec!(50000),
        "{:?}",
        inc.fee
    );
    // Without the tax (gas fee only) the node refuses.
    let (number, seq) = node.chain().account(&me).unwrap();
    let p = TxParams {
        chain_id: "columbus-5".into(),
        account_number: number,
        sequence: seq,
        fee: vec![Coin::new(28_325 * 200, "uluna")],
        gas_limit: 200_000,
        memo: String::new(),
        timeout_height: 0,
    };
    let tx = sign_tx(
        &signer(),
        "terra",
        &[send_msg(&me, 10_000_000)],
        &p,
        SignMode::Direct,
    )
    .unwrap();
    let Broadcast::Answered(r) = s.lcd().broadcast_sync(&tx.tx_bytes).await.unwrap() else {
        panic!("no answer")
    };
    assert_eq!(r.code, 13, "{}", r.raw_log);
    // With the tax (0.5 % of 10 LUNC = 50000uluna) it is accepted.
    let p = TxParams {
        fee: vec![Coin::new(28_325 * 200 + 50_000, "uluna")],
        ..p
    };
    let tx = sign_tx(
        &signer(),
        "terra",
        &[send_msg(&me, 10_000_000)],
        &p,
        SignMode::Direct,
    )
    .unwrap();
    let Broadcast::Answered(r) = s.lcd().broadcast_sync(&tx.tx_bytes).await.unwrap() else {
        panic!("no answer")
    };
    assert_eq!(r.code, 0, "{}", r.raw_log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_sequence_mismatch_is_signed_again_once() {
    let (node, me) = node(ChainConfig::terra()).await;
    let s = sender(&node, "phoenix-1", SignMode::Direct).await;
    node.chain().faults.bump_sequence = 1;
    let inc = s.send(&[send_msg(&me, 7)], "").await.unwrap();
    assert_eq!((inc.broadcasts, inc.sequence), (2, 1));
    {
        let c = node.chain();
        assert_eq!(c.broadcast_log.len(), 2);
        assert_ne!(c.broadcast_log[0], c.broadcast_log[1]);
        assert_eq!(c.included(), 1);
        assert_eq!(c.balance(TO, "uluna"), 7);
    }
    // Two mismatches in a row: signed again once only, then a clear error; nothing included.
    node.chain().faults.bump_sequence = 2;
    let e = s.send(&[send_msg(&me, 7)], "").await.unwrap_err();
    assert!(matches!(e, CosmosError::Refused { code: 32, .. }), "{e}");
    let c = node.chain();
    assert_eq!(c.broadcast_log.len(), 4);
    assert_eq!(c.included(), 1);
    assert_eq!(c.balance(TO, "uluna"), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_never_included_expires_and_nothing_is_sent_twice() {
    let (node, me) = node(ChainConfig::terra()).await;
    let s = sender(&node, "phoenix-1", SignMode::AminoJson).await;
    node.chain().faults.drop_txs = 1;
    let before = node.chain().balance(&me, "uluna");
    let e = s.send(&[send_msg(&me, 9)], "").await.unwrap_err();
    let CosmosError::Expired { txhash, .. } = &e else {
        panic!("{e}")
    };
    let c = node.chain();
    assert_eq!(c.broadcast_log, vec![txhash.clone()]);
    assert_eq!(c.included(), 0);
    assert_eq!(c.balance(&me, "uluna"), before);
    assert_eq!(c.account(&me).unwrap().1, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_error_pages_are_retried_then_a_clear_error() {
    let (node, me) = node(ChainConfig::terra()).await;
    let lcd = LcdClient::connect(&node.lcd_url, "phoenix-1", fast_lcd())
        .await
        .unwrap();
    node.chain().faults.error_pages = 3;
    let coins = lcd.balances(&me).await.unwrap();
    assert!(coins.contains(&Coin::new(100_000_000_000, "uluna")));
    node.chain().faults.error_pages = 10;
    let e = lcd.balances(&me).await.unwrap_err().to_string();
    assert!(
        e.contains("HTTP 502: an HTML page (after 4 attempts)"),
        "{e}"
    );
    assert!(e.contains("/cosmos/bank/v1beta1/balances/"), "{e}");
    // A transaction sent through error pages: the reads are retried, the send goes through once.
    node.chain().faults.error_pages = 2;
    let s = sender(&node, "phoenix-1", SignMode::Direct).await;
    node.chain().faults.error_pages = 3;
    let inc = s.send(&[send_msg(&me, 11)], "").await.unwrap();
    assert_eq!(node.chain().times_broadcast(&inc.txhash), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_timeout_after_broadcast_is_found_by_hash() {
    let (node, me) = node(ChainConfig::terra()).await;
    let s = sender(&node, "phoenix-1", SignMode::Direct).await;
    {
        let mut c = node.chain();
        c.faults.slow_broadcasts = 1;
        c.faults.slow_delay = Duration::from_secs(4);
    }
    let inc = s.send(&[send_msg(&me, 13)], "").await.unwrap();
    let c = node.chain();
    assert_eq!(c.broadcast_log, vec![inc.txhash.clone()]);
    assert_eq!(inc.broadcasts, 1);
    assert_eq!(c.balance(TO, "uluna"), 13);
}

/// A stalled chain: the transaction is neither included nor expired; tracking gives up after its
/// wait with an error that says the sequence is still taken, and nothing is sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_stalled_chain_is_unconfirmed_not_resent() {
    let (node, me) = node(ChainConfig::terra()).await;
    let lcd = LcdClient::connect(&node.lcd_url, "phoenix-1", fast_lcd())
        .await
        .unwrap();
    let mut cfg = SenderConfig::for_chain("phoenix-1").unwrap();
    cfg.poll = Duration::from_millis(50);
    cfg.max_wait = Duration::from_millis(700);
    let s = CosmosSender::new(lcd, "phoenix-1", "terra", signer(), cfg).unwrap();
    {
        let mut c = node.chain();
        c.faults.halt = true;
    }
    let e = s.send(&[send_msg(&me, 3)], "").await.unwrap_err();
    assert!(matches!(e, CosmosError::Unconfirmed { .. }), "{e}");
    assert!(e.to_string().contains("may still be included"), "{e}");
    let mut c = node.chain();
    assert_eq!(c.broadcast_log.len(), 1);
    // Once the chain moves again, the one transaction is included.
    c.faults.halt = false;
    c.produce_block();
    assert_eq!(c.included(), 1);
    assert_eq!(c.balance(TO, "uluna"), 3);
}
