//! `sluice order place --dry-run` on the local Terra (`terra_swap`): the swap's transaction is
//! built and signed as a submit would send it, nothing is broadcast and the sequence is not used
//! up (a second dry run signs at the same one); the printed bytes, broadcast afterwards by hand,
//! are accepted by the node and perform the swap.

use std::time::Duration;

use base64::Engine as _;
use rust_decimal_macros::dec;
use sluice::chain::cosmos::lcd::{Broadcast, LcdClient, LcdConfig};
use sluice::core::{Pair, QuoteRequest, Side};
use sluice::venue::WireForm;
use sluice_sim::cosmos::{Flavor, LocalTerra};

use crate::terra_swap_swaps::{order, trader_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terra_swap_dry_run_signs_without_broadcasting_and_its_bytes_swap_when_sent() {
    let t = LocalTerra::start(Flavor::Terra, 0).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let v = trader_with(&t, home.path(), 2, "").await;
    let me = t.accounts[2].address.clone();
    let usdc_denom = t.spec.token("axlUSDC").unwrap().denom.clone().unwrap();
    let pair: Pair = "LUNA-axlUSDC".parse().unwrap();
    v.start(std::slice::from_ref(&pair)).await.unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(100),
        })
        .await
        .unwrap();
    let o = order(&pair, Side::Sell, dec!(100), q.average_price * dec!(0.995));
    let sent_before = t.node.chain().broadcast_log.len();
    let usdc_before = t.node.chain().balance(&me, &usdc_denom);

    let dry = v.dry_run(o.clone()).await.unwrap();
    assert_eq!(dry.venue, "terra_swap@terra_local");
    let WireForm::CosmosTx {
        tx_bytes,
        txhash,
        from,
        sequence,
        ..
    } = dry.wire.clone()
    else {
        panic!("not a Cosmos transaction: {}", dry.wire.kind());
    };
    assert_eq!(from, me);
    assert_eq!(
        t.node.chain().broadcast_log.len(),
        sent_before,
        "nothing broadcast"
    );
    assert_eq!(t.node.chain().balance(&me, &usdc_denom), usdc_before);
    // the sequence was not used up: a second dry run signs at the same one
    let again = v.dry_run(o.clone()).await.unwrap();
    let WireForm::CosmosTx { sequence: s2, .. } = again.wire else {
        panic!("not a Cosmos transaction");
    };
    assert_eq!(s2, sequence);

    // the printed bytes are the real thing: the node accepts them and the swap happens
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&tx_bytes)
        .unwrap();
    let lcd = LcdClient::new(t.lcd_url(), LcdConfig::default()).unwrap();
    match lcd.broadcast_sync(&bytes).await.unwrap() {
        Broadcast::Answered(r) => assert_eq!(r.code, 0, "{}", r.raw_log),
        Broadcast::Unknown(why) => panic!("no answer: {why}"),
    }
    for _ in 0..200 {
        if lcd.tx(&txhash).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = lcd
        .tx(&txhash)
        .await
        .unwrap()
        .expect("the transaction is in a block");
    assert_eq!(r.code, 0);
    assert!(t.node.chain().balance(&me, &usdc_denom) > usdc_before);
}
