//! `terra_swap@terra_local` through the registry with a wallet, on the local Terra: a native
//! swap (`swap` with funds) and a CW20 swap (`send` with the hook) fill at their quote exactly,
//! the bank and CW20 balances move by the fill, and a bound the pool cannot meet is refused as a
//! `max_spread` breach before anything is broadcast.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::chain::ChainSpecs;
use sluice::core::{
    ClientOrderId, Order, OrderRequest, OrderState, OrderType, Pair, QuoteRequest, Side,
    TimeInForce,
};
use sluice::venue::connector::FixedPassword;
use sluice::venue::{ConnectContext, Execution, Venue, VenueError, VenueId};
use sluice::wallet::{Mnemonic, ScryptParams, SecretString, UnlockedWallet, WalletStore};
use sluice_sim::cosmos::terra::DEV_MNEMONIC;
use sluice_sim::cosmos::{Flavor, LocalTerra};

const PASSWORD: &str = "terra swap test password";

fn context(home: &Path) -> ConnectContext {
    ConnectContext::new(
        home,
        ChainSpecs::builtin().unwrap(),
        &home.join("sluice.toml"),
    )
    .trading(Arc::new(FixedPassword(SecretString::from(PASSWORD))))
}

async fn trader(t: &LocalTerra, home: &Path, index: u64) -> Arc<dyn Venue> {
    trader_with(t, home, index, "").await
}

/// `terra_swap@terra_local` for dev account `index`, its wallet saved in `home`, with `extra`
/// lines in its table.
pub(crate) async fn trader_with(
    t: &LocalTerra,
    home: &Path,
    index: u64,
    extra: &str,
) -> Arc<dyn Venue> {
    WalletStore::with_params(home, ScryptParams::new(10, 8, 1).unwrap())
        .save(
            &UnlockedWallet::Mnemonic {
                name: "dev".into(),
                mnemonic: Mnemonic::parse(DEV_MNEMONIC).unwrap(),
                passphrase: SecretString::from(""),
            },
            &SecretString::from(PASSWORD),
        )
        .unwrap();
    let id: VenueId = "terra_swap@terra_local".parse().unwrap();
    let table = format!(
        "lcd_url = \"{}\"\nwallet = \"dev\"\naccount_index = {index}\n{extra}",
        t.lcd_url()
    );
    match sluice::connectors::connect(&id, &table.parse().unwrap(), &context(home)).await {
        Ok(v) => v,
        Err(e) => panic!("{id}: {e}"),
    }
}

pub(crate) fn order(pair: &Pair, side: Side, amount: Decimal, price: Decimal) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::generate("ts-"),
        pair: pair.clone(),
        side,
        order_type: OrderType::Swap,
        amount,
        price: Some(price),
        time_in_force: TimeInForce::Fok,
        deadline: Some(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 300,
        ),
    }
}

pub(crate) async fn final_order(v: &dyn Venue, o: &OrderRequest) -> Order {
    for _ in 0..300 {
        let s = v.order_status(o).await.unwrap();
        if s.state.is_terminal() || s.state == OrderState::Unknown {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {} never ended", o.client_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_and_cw20_swaps_fill_at_their_quote_and_a_breach_sends_nothing() {
    let t = LocalTerra::start(Flavor::Terra, 0).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let v = trader(&t, home.path(), 2).await;
    assert_eq!(v.execution(), Execution::SwapMinOut);
    let me = t.accounts[2].address.clone();
    let usdc_denom = t.spec.token("axlUSDC").unwrap().denom.clone().unwrap();

    // LUNA → axlUSDC (native swap with funds)
    let pair: Pair = "LUNA-axlUSDC".parse().unwrap();
    v.start(std::slice::from_ref(&pair)).await.unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(1234.5),
        })
        .await
        .unwrap();
    let usdc_before = t.node.chain().balance(&me, &usdc_denom);
    let o = order(
        &pair,
        Side::Sell,
        dec!(1234.5),
        q.average_price * dec!(0.995),
    );
    v.submit(o.clone()).await.unwrap();
    let done = final_order(v.as_ref(), &o).await;
    assert_eq!(done.state, OrderState::Filled, "{:?}", done.reason);
    let fills = v.order_fills(&o).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].amount, dec!(1234.5));
    assert_eq!(
        (fills[0].price * fills[0].amount).round_dp(6),
        q.quote_amount,
        "the swap equals its quote"
    );
    let got = t.node.chain().balance(&me, &usdc_denom) - usdc_before;
    assert_eq!(Decimal::from(got) / dec!(1000000), q.quote_amount);

    // Buy LUNA with axlUSDC: the offer is the reverse simulation's
    let qb = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: dec!(50),
        })
        .await
        .unwrap();
    let o = order(&pair, Side::Buy, dec!(50), qb.average_price * dec!(1.01));
    v.submit(o.clone()).await.unwrap();
    let done = final_order(v.as_ref(), &o).await;
    assert_eq!(done.state, OrderState::Filled, "{:?}", done.reason);
    assert_eq!(
        done.filled_quote.round_dp(6),
        qb.quote_amount,
        "paid the reverse quote"
    );

    // TST → LUNA (a CW20 send with the swap hook)
    let tst_pair: Pair = "TST-LUNA".parse().unwrap();
    let tst = t.addresses["token_TST"].clone();
    let tst_before = t.contracts.token_balance(&tst, &me);
    let q = v
        .quote(&QuoteRequest {
            pair: tst_pair.clone(),
            side: Side::Sell,
            base_amount: dec!(777),
        })
        .await
        .unwrap();
    let o = order(
        &tst_pair,
        Side::Sell,
        dec!(777),
        q.average_price * dec!(0.99),
    );
    v.submit(o.clone()).await.unwrap();
    let done = final_order(v.as_ref(), &o).await;
    assert_eq!(done.state, OrderState::Filled, "{:?}", done.reason);
    assert_eq!(done.filled_quote.round_dp(6), q.quote_amount);
    assert_eq!(
        tst_before - t.contracts.token_balance(&tst, &me),
        777_000_000
    );
    // The same client id again: refused, and the filled swap is not broadcast twice.
    let sent_before = t.node.chain().broadcast_log.len();
    match v.submit(o.clone()).await {
        Err(VenueError::InvalidRequest(reason)) => {
            assert!(reason.contains("already submitted"), "{reason}")
        }
        other => panic!("expected the repeated id refused, got {other:?}"),
    }
    assert_eq!(
        t.node.chain().broadcast_log.len(),
        sent_before,
        "nothing sent again"
    );

    // balances: bank coins and the CW20
    let balances = v.balances().await.unwrap();
    let tst_bal = balances.iter().find(|b| b.asset.as_str() == "TST").unwrap();
    assert_eq!(
        tst_bal.total,
        Decimal::from(tst_before - 777_000_000) / dec!(1000000)
    );
    assert!(
        balances
            .iter()
            .any(|b| b.asset.as_str() == "LUNA" && b.total > Decimal::ZERO)
    );

    // A bound no pool can meet: refused as a max_spread breach, nothing broadcast.
    let sent_before = t.node.chain().broadcast_log.len();
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(10),
        })
        .await
        .unwrap();
    let o = order(&pair, Side::Sell, dec!(10), q.average_price * dec!(1.02));
    match v.submit(o).await {
        Err(VenueError::Rejected { code, reason }) => {
            assert_eq!(code.as_deref(), Some("max_spread"), "{reason}");
        }
        other => panic!("expected a max_spread refusal, got {other:?}"),
    }
    assert_eq!(
        t.node.chain().broadcast_log.len(),
        sent_before,
        "nothing sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classic_swap_pays_the_burn_tax_and_signs_in_amino_json() {
    let t = LocalTerra::start(Flavor::Classic, 0).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    WalletStore::with_params(home.path(), ScryptParams::new(10, 8, 1).unwrap())
        .save(
            &UnlockedWallet::Mnemonic {
                name: "dev".into(),
                mnemonic: Mnemonic::parse(DEV_MNEMONIC).unwrap(),
                passphrase: SecretString::from(""),
            },
            &SecretString::from(PASSWORD),
        )
        .unwrap();
    let id: VenueId = "terra_swap@terra_classic_local".parse().unwrap();
    let table = format!(
        "lcd_url = \"{}\"\nwallet = \"dev\"\naccount_index = 3\nsign_mode = \"amino-json\"\n",
        t.lcd_url()
    );
    let v = sluice::connectors::connect(&id, &table.parse().unwrap(), &context(home.path()))
        .await
        .unwrap();
    let me = t.accounts[3].address.clone();
    let pair: Pair = "LUNC-USTC".parse().unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(20000),
        })
        .await
        .unwrap();
    let luna_before = t.node.chain().balance(&me, "uluna");
    let ustc_before = t.node.chain().balance(&me, "uusd");
    let o = order(&pair, Side::Sell, dec!(20000), q.average_price * dec!(0.99));
    v.submit(o.clone()).await.unwrap();
    let done = final_order(v.as_ref(), &o).await;
    assert_eq!(done.state, OrderState::Filled, "{:?}", done.reason);
    let fill = &v.order_fills(&o).await.unwrap()[0];
    // the fee: gas at 28.325uluna plus 0.5 % of the 20 000 LUNC sent as funds
    let tax = dec!(100);
    assert!(
        fill.fee_amount > tax,
        "fee {} includes the tax",
        fill.fee_amount
    );
    let spent = Decimal::from(luna_before - t.node.chain().balance(&me, "uluna")) / dec!(1000000);
    assert_eq!(spent, dec!(20000) + fill.fee_amount);
    let got = Decimal::from(t.node.chain().balance(&me, "uusd") - ustc_before) / dec!(1000000);
    assert_eq!(got, q.quote_amount);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_meeting_a_sequence_mismatch_is_signed_again_once_and_fills_once() {
    let t = LocalTerra::start(Flavor::Terra, 0).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let v = trader(&t, home.path(), 4).await;
    let pair: Pair = "LUNA-axlUSDC".parse().unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(42),
        })
        .await
        .unwrap();
    let included_before = t.node.chain().included();
    t.node.chain().faults.bump_sequence = 1;
    let o = order(&pair, Side::Sell, dec!(42), q.average_price * dec!(0.99));
    v.submit(o.clone()).await.unwrap();
    let done = final_order(v.as_ref(), &o).await;
    assert_eq!(done.state, OrderState::Filled, "{:?}", done.reason);
    assert_eq!(v.order_fills(&o).await.unwrap().len(), 1);
    let hash = done.venue_order_id.clone().unwrap();
    let chain = t.node.chain();
    assert_eq!(
        chain.times_broadcast(&hash),
        1,
        "the re-signed transaction sent once"
    );
    assert_eq!(
        chain.broadcast_log.len(),
        2,
        "the refused one and the re-signed one"
    );
    assert_eq!(chain.included(), included_before + 1);
}
