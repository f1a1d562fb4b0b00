//! The local dYdX node against transactions built here with `cosmos-sdk-proto` and the dYdX
//! messages of [`super::proto`], signed with the library's Cosmos signer (SIGN_MODE_DIRECT):
//! short-term orders placed, matched, cancelled and expired; long-term and conditional orders
//! sequence-checked and placed in a block; refusals with the chain's codes; the node's faults.

use std::time::Duration;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::mode_info::{Single, Sum};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use prost::Message;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::chain::cosmos::lcd::{Broadcast, LcdClient, LcdConfig};
use sluice::wallet::{CosmosSigner, Mnemonic, account_path, derive_key};

use super::proto::*;
use super::*;
use crate::anvil::DEV_MNEMONIC;
use crate::cosmos::chain::ExecError;

struct Key {
    signer: CosmosSigner,
    address: String,
}

fn dev_key(index: u32) -> Key {
    let seed = Mnemonic::parse(DEV_MNEMONIC).unwrap().to_seed(&"".into());
    let path = account_path("m/44'/118'/0'/0", u64::from(index)).unwrap();
    let key = derive_key(&seed, &path).unwrap();
    Key {
        address: key.cosmos_address("dydx").unwrap(),
        signer: key.cosmos_signer(),
    }
}

/// Everything a transaction covers besides its messages.
#[derive(Clone)]
struct Opts {
    chain_id: String,
    account_number: u64,
    sequence: u64,
    fee: Vec<ProtoCoin>,
    gas: u64,
    timeout_height: u64,
    non_critical: Vec<Any>,
    critical: Vec<Any>,
}

impl Opts {
    fn new(account_number: u64, sequence: u64) -> Self {
        Self {
            chain_id: "localdydxprotocol".into(),
            account_number,
            sequence,
            fee: vec![],
            gas: 0,
            timeout_height: 0,
            non_critical: vec![],
            critical: vec![],
        }
    }

    fn usdc_fee(mut self, amount: u64, gas: u64) -> Self {
        self.fee = vec![ProtoCoin {
            denom: USDC_DENOM.into(),
            amount: amount.to_string(),
        }];
        self.gas = gas;
        self
    }
}

fn sign(key: &Key, msgs: Vec<Any>, o: &Opts) -> Vec<u8> {
    let body_bytes = TxBody {
        messages: msgs,
        memo: String::new(),
        timeout_height: o.timeout_height,
        extension_options: o.critical.clone(),
        non_critical_extension_options: o.non_critical.clone(),
    }
    .encode_to_vec();
    #[allow(deprecated)] // `tip`: still a field of the SDK's AuthInfo, never set.
    let auth_info_bytes = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: PubKey {
                    key: key.signer.public_key().to_vec(),
                }
                .encode_to_vec(),
            }),
            mode_info: Some(ModeInfo {
                sum: Some(Sum::Single(Single {
                    mode: SignMode::Direct as i32,
                })),
            }),
            sequence: o.sequence,
        }],
        fee: Some(Fee {
            amount: o.fee.clone(),
            gas_limit: o.gas,
            payer: String::new(),
            granter: String::new(),
        }),
        tip: None,
    }
    .encode_to_vec();
    let doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: o.chain_id.clone(),
        account_number: o.account_number,
    }
    .encode_to_vec();
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![key.signer.sign(&doc).to_vec()],
    }
    .encode_to_vec()
}

fn any(type_url: &str, m: &impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

fn sub(owner: &str, number: u32) -> SubaccountId {
    SubaccountId {
        owner: owner.into(),
        number,
    }
}

fn oid(owner: &str, client_id: u32, flags: u32, clob: u32) -> OrderId {
    OrderId {
        subaccount_id: Some(sub(owner, 0)),
        client_id,
        order_flags: flags,
        clob_pair_id: clob,
    }
}

fn order(id: &OrderId, side: i32, quantums: u64, subticks: u64, good_til: GoodTil) -> Order {
    Order {
        order_id: Some(id.clone()),
        side,
        quantums,
        subticks,
        good_til: Some(good_til),
        ..Order::default()
    }
}

fn place(o: &Order) -> Any {
    any(
        MSG_PLACE_ORDER_URL,
        &MsgPlaceOrder {
            order: Some(o.clone()),
        },
    )
}

fn cancel(id: &OrderId, good_til: CancelGoodTil) -> Any {
    any(
        MSG_CANCEL_ORDER_URL,
        &MsgCancelOrder {
            order_id: Some(id.clone()),
            good_til: Some(good_til),
        },
    )
}

/// $50,000 and $49,999 in BTC-USD subticks; 0.1 BTC in quantums.
const P50K: u64 = 5_000_000_000;
const P49_999: u64 = 4_999_900_000;
const TENTH_BTC: u64 = 1_000_000_000;

async fn node() -> (LocalDydx, Key, Key) {
    let cfg = DydxConfig {
        block_time: Duration::ZERO,
        ..DydxConfig::default()
    };
    let accounts = [
        GenesisAccount::mnemonic(DEV_MNEMONIC, 0, 100_000_000_000),
        GenesisAccount::mnemonic(DEV_MNEMONIC, 1, 100_000_000_000),
    ];
    let n = LocalDydx::start(cfg, &accounts, 0).await.unwrap();
    let (a, b) = (dev_key(0), dev_key(1));
    assert_eq!(n.accounts[0].address, a.address);
    assert_eq!(n.accounts[1].address, b.address);
    (n, a, b)
}

fn account(n: &LocalDydx, k: &Key) -> (u64, u64) {
    n.chain().account(&k.address).unwrap()
}

fn broadcast(n: &LocalDydx, tx: &[u8]) -> Result<(), ExecError> {
    n.chain().broadcast(tx).1
}

type Levels = Vec<(Decimal, Decimal)>;

/// BTC-USD's bids and asks, best first.
fn book(n: &LocalDydx) -> (Levels, Levels) {
    n.engine.book("BTC-USD").unwrap()
}

fn assert_code(r: Result<(), ExecError>, codespace: &str, code: u32) -> String {
    let e = r.expect_err("refused");
    assert_eq!((e.codespace.as_str(), e.code), (codespace, code), "{e:?}");
    e.log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_term_order_partly_filled_against_a_resting_order_then_cancelled() {
    let (n, a, b) = node().await;
    let lcd = LcdClient::connect(n.url(), "localdydxprotocol", LcdConfig::default())
        .await
        .unwrap();
    let h = lcd.latest_height().await.unwrap();
    // A rests 0.1 BTC for sale at $50,000
    let info = lcd.account(&a.address).await.unwrap();
    let resting = oid(&a.address, 1, FLAG_SHORT_TERM, 0);
    let tx = sign(
        &a,
        vec![place(&order(
            &resting,
            SIDE_SELL,
            TENTH_BTC,
            P50K,
            GoodTil::GoodTilBlock((h + 10) as u32),
        ))],
        &Opts::new(info.account_number, info.sequence),
    );
    let Broadcast::Answered(r) = lcd.broadcast_sync(&tx).await.unwrap() else {
        panic!("no answer")
    };
    assert_eq!(r.code, 0, "{}", r.raw_log);
    assert_eq!(book(&n).1, vec![(dec!(50000), dec!(0.1))]);
    // B buys 0.3 at $50,000: 0.1 fills at once, 0.2 rests
    let info_b = lcd.account(&b.address).await.unwrap();
    let taker = oid(&b.address, 7, FLAG_SHORT_TERM, 0);
    let tx = sign(
        &b,
        vec![place(&order(
            &taker,
            SIDE_BUY,
            3 * TENTH_BTC,
            P50K,
            GoodTil::GoodTilBlock((h + 10) as u32),
        ))],
        &Opts::new(info_b.account_number, info_b.sequence),
    );
    let Broadcast::Answered(r) = lcd.broadcast_sync(&tx).await.unwrap() else {
        panic!("no answer")
    };
    assert_eq!(r.code, 0, "{}", r.raw_log);
    assert_eq!(n.engine.filled(&taker), dec!(0.1));
    assert_eq!(book(&n), (vec![(dec!(50000), dec!(0.2))], vec![]));
    assert_eq!(
        n.engine.position(&sub(&a.address, 0), "BTC-USD").size,
        dec!(-0.1)
    );
    assert_eq!(
        n.engine.position(&sub(&b.address, 0), "BTC-USD").size,
        dec!(0.1)
    );
    let trades = n.engine.trades("BTC-USD");
    assert_eq!(trades.len(), 1);
    assert_eq!((trades[0].price, trades[0].qty), (dec!(50000), dec!(0.1)));
    // the rest cancelled by B (short-term: good-til-block, no sequence)
    let tx = sign(
        &b,
        vec![cancel(&taker, CancelGoodTil::GoodTilBlock((h + 10) as u32))],
        &Opts::new(info_b.account_number, info_b.sequence),
    );
    let Broadcast::Answered(r) = lcd.broadcast_sync(&tx).await.unwrap() else {
        panic!("no answer")
    };
    assert_eq!(r.code, 0, "{}", r.raw_log);
    assert_eq!(book(&n), (vec![], vec![]));
    assert!(!n.engine.is_open(&taker));
    assert_eq!(n.engine.filled(&taker), dec!(0.1));
    // short-term transactions are never in a block and move no sequence
    n.produce_block();
    assert_eq!(
        lcd.tx(&sluice::chain::cosmos::tx::tx_hash(&tx))
            .await
            .unwrap(),
        None
    );
    assert_eq!(lcd.account(&b.address).await.unwrap().sequence, 0);
    assert_eq!(lcd.latest_height().await.unwrap(), h + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_term_order_expires_when_its_good_til_block_passes() {
    let (n, a, _) = node().await;
    let (num, _) = account(&n, &a);
    let h = n.height();
    let id = oid(&a.address, 2, FLAG_SHORT_TERM, 0);
    let gtb = h + 2;
    let tx = sign(
        &a,
        vec![place(&order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTil::GoodTilBlock(gtb as u32),
        ))],
        &Opts::new(num, 0),
    );
    broadcast(&n, &tx).unwrap();
    assert_eq!(book(&n).0, vec![(dec!(49999), dec!(0.1))]);
    n.produce_block(); // h + 1: still good
    assert!(n.modules.short_term_live(&id));
    assert_eq!(n.produce_block(), gtb); // block gtb made: expired
    assert!(!n.modules.short_term_live(&id));
    assert_eq!(book(&n), (vec![], vec![]));
    // placing it again now is too late
    let log = assert_code(broadcast(&n, &tx), "clob", 10);
    assert!(
        log.contains("is less than the current blockHeight"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_term_order_is_sequence_checked_and_placed_in_the_block() {
    let (n, a, _) = node().await;
    let (num, seq) = account(&n, &a);
    assert_eq!(seq, 0);
    let gtbt = (n.chain().block_time + 3600) as u32;
    let id = oid(&a.address, 3, FLAG_LONG_TERM, 0);
    let tx = sign(
        &a,
        vec![place(&order(
            &id,
            SIDE_SELL,
            TENTH_BTC,
            P50K,
            GoodTil::GoodTilBlockTime(gtbt),
        ))],
        &Opts::new(num, 0),
    );
    broadcast(&n, &tx).unwrap();
    assert_eq!(account(&n, &a).1, 1, "the sequence is used when admitted");
    assert_eq!(book(&n).1, vec![], "placed in the block, not before");
    // a second stateful order at the same (now stale) sequence is refused
    let other = oid(&a.address, 4, FLAG_LONG_TERM, 0);
    let stale = sign(
        &a,
        vec![place(&order(
            &other,
            SIDE_SELL,
            TENTH_BTC,
            P50K,
            GoodTil::GoodTilBlockTime(gtbt),
        ))],
        &Opts::new(num, 0),
    );
    let log = assert_code(broadcast(&n, &stale), "sdk", 32);
    assert!(
        log.contains("account sequence mismatch, expected 1, got 0"),
        "{log}"
    );
    n.produce_block();
    assert!(n.modules.stateful_in_state(&id));
    assert_eq!(book(&n).1, vec![(dec!(50000), dec!(0.1))]);
    let hash = sluice::chain::cosmos::tx::tx_hash(&tx);
    assert_eq!(n.chain().tx_result(&hash).unwrap()["code"], 0);
    // the same id again is a duplicate
    let again = sign(
        &a,
        vec![place(&order(
            &id,
            SIDE_SELL,
            TENTH_BTC,
            P50K,
            GoodTil::GoodTilBlockTime(gtbt + 1),
        ))],
        &Opts::new(num, 1),
    );
    assert_code(broadcast(&n, &again), "clob", 3005);
    // cancelled by time: a lower good-til-block-time than the order's is refused, then cancelled
    let low = sign(
        &a,
        vec![cancel(&id, CancelGoodTil::GoodTilBlockTime(gtbt - 1))],
        &Opts::new(num, 1),
    );
    assert_code(broadcast(&n, &low), "clob", 29);
    let ok = sign(
        &a,
        vec![cancel(&id, CancelGoodTil::GoodTilBlockTime(gtbt))],
        &Opts::new(num, 1),
    );
    broadcast(&n, &ok).unwrap();
    assert_eq!(book(&n).1.len(), 1, "cancelled in the block");
    n.produce_block();
    assert_eq!(book(&n).1, vec![]);
    assert!(!n.modules.stateful_in_state(&id));
    assert_eq!(account(&n, &a).1, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_order_is_accepted_and_stored_off_the_book() {
    let (n, a, _) = node().await;
    let (num, _) = account(&n, &a);
    let gtbt = (n.chain().block_time + 600) as u32;
    let id = oid(&a.address, 5, FLAG_CONDITIONAL, 0);
    let mut o = order(
        &id,
        SIDE_SELL,
        TENTH_BTC,
        P49_999,
        GoodTil::GoodTilBlockTime(gtbt),
    );
    o.condition_type = CONDITION_STOP_LOSS;
    o.conditional_order_trigger_subticks = P50K;
    let tx = sign(&a, vec![place(&o)], &Opts::new(num, 0));
    broadcast(&n, &tx).unwrap();
    n.produce_block();
    assert!(n.modules.stateful_in_state(&id));
    assert_eq!(book(&n), (vec![], vec![]));
    // without its condition it is malformed
    let mut bad = o.clone();
    bad.order_id = Some(oid(&a.address, 6, FLAG_CONDITIONAL, 0));
    bad.condition_type = CONDITION_UNSPECIFIED;
    assert_code(
        broadcast(&n, &sign(&a, vec![place(&bad)], &Opts::new(num, 1))),
        "clob",
        6000,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_signature_chain_id_or_account_number_is_refused() {
    let (n, a, b) = node().await;
    let (num, _) = account(&n, &a);
    let h = n.height();
    let msg = || {
        let id = oid(&a.address, 9, FLAG_SHORT_TERM, 0);
        vec![place(&order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTil::GoodTilBlock((h + 5) as u32),
        ))]
    };
    let wrong_chain = Opts {
        chain_id: "dydx-mainnet-1".into(),
        ..Opts::new(num, 0)
    };
    let log = assert_code(broadcast(&n, &sign(&a, msg(), &wrong_chain)), "sdk", 4);
    assert!(log.contains("signature verification failed"), "{log}");
    assert_code(
        broadcast(&n, &sign(&a, msg(), &Opts::new(num + 1, 0))),
        "sdk",
        4,
    );
    let mut tampered = TxRaw::decode(sign(&a, msg(), &Opts::new(num, 0)).as_slice()).unwrap();
    tampered.signatures[0][10] ^= 1;
    assert_code(broadcast(&n, &tampered.encode_to_vec()), "sdk", 4);
    // B signing A's order: the signer is not the subaccount's owner
    let (num_b, _) = account(&n, &b);
    let log = assert_code(
        broadcast(&n, &sign(&b, msg(), &Opts::new(num_b, 0))),
        "sdk",
        4,
    );
    assert!(
        log.contains("pubkey does not match signer address"),
        "{log}"
    );
    assert_eq!(book(&n), (vec![], vec![]));
    // and signed right, it is accepted
    broadcast(&n, &sign(&a, msg(), &Opts::new(num, 0))).unwrap();
    assert_eq!(book(&n).0.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_term_orders_are_accepted_at_any_sequence_and_do_not_move_it() {
    let (n, a, _) = node().await;
    let (num, _) = account(&n, &a);
    let h = n.height();
    for (client_id, seq) in [(10u32, 7u64), (11, 0), (12, 123_456)] {
        let id = oid(&a.address, client_id, FLAG_SHORT_TERM, 0);
        let tx = sign(
            &a,
            vec![place(&order(
                &id,
                SIDE_BUY,
                TENTH_BTC,
                P49_999,
                GoodTil::GoodTilBlock((h + 3) as u32),
            ))],
            &Opts::new(num, seq),
        );
        broadcast(&n, &tx).unwrap();
        assert!(n.modules.short_term_live(&id));
    }
    assert_eq!(account(&n, &a).1, 0);
    assert_eq!(book(&n).0, vec![(dec!(49999), dec!(0.3))]);
    // a short-term order with a second message is refused
    let id = oid(&a.address, 13, FLAG_SHORT_TERM, 0);
    let o = order(
        &id,
        SIDE_BUY,
        TENTH_BTC,
        P49_999,
        GoodTil::GoodTilBlock((h + 3) as u32),
    );
    let mut o2 = o.clone();
    o2.order_id = Some(oid(&a.address, 14, FLAG_SHORT_TERM, 0));
    let log = assert_code(
        broadcast(
            &n,
            &sign(&a, vec![place(&o), place(&o2)], &Opts::new(num, 0)),
        ),
        "sdk",
        18,
    );
    assert!(
        log.contains("may not contain more than one message"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_mismatch_on_a_long_term_order_changes_nothing() {
    let (n, a, _) = node().await;
    let (num, _) = account(&n, &a);
    let gtbt = (n.chain().block_time + 3600) as u32;
    let id = oid(&a.address, 20, FLAG_LONG_TERM, 0);
    let tx = sign(
        &a,
        vec![place(&order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTil::GoodTilBlockTime(gtbt),
        ))],
        &Opts::new(num, 5),
    );
    let log = assert_code(broadcast(&n, &tx), "sdk", 32);
    assert!(log.contains("expected 0, got 5"), "{log}");
    // the fault: another transaction of the signer lands first
    n.chain().faults.bump_sequence = 1;
    let tx = sign(
        &a,
        vec![place(&order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTil::GoodTilBlockTime(gtbt),
        ))],
        &Opts::new(num, 0),
    );
    assert_code(broadcast(&n, &tx), "sdk", 32);
    n.produce_block();
    assert_eq!(account(&n, &a).1, 1, "only the fault's bump");
    assert!(!n.modules.stateful_in_state(&id));
    assert_eq!(book(&n), (vec![], vec![]));
    // signed again at the new sequence, it is accepted, once
    let tx = sign(
        &a,
        vec![place(&order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTil::GoodTilBlockTime(gtbt),
        ))],
        &Opts::new(num, 1),
    );
    broadcast(&n, &tx).unwrap();
    n.produce_block();
    assert!(n.modules.stateful_in_state(&id));
    assert_eq!(book(&n).0, vec![(dec!(49999), dec!(0.1))]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_never_included_leaves_nothing_placed() {
    let (n, a, _) = node().await;
    let (num, _) = account(&n, &a);
    let h = n.height();
    n.chain().faults.drop_txs = 2;
    let short = oid(&a.address, 30, FLAG_SHORT_TERM, 0);
    let tx = sign(
        &a,
        vec![place(&order(
            &short,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTil::GoodTilBlock((h + 5) as u32),
        ))],
        &Opts::new(num, 0),
    );
    broadcast(&n, &tx).unwrap();
    let gtbt = (n.chain().block_time + 3600) as u32;
    let long = oid(&a.address, 31, FLAG_LONG_TERM, 0);
    let tx = sign(
        &a,
        vec![place(&order(
            &long,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTil::GoodTilBlockTime(gtbt),
        ))],
        &Opts::new(num, 0),
    );
    broadcast(&n, &tx).unwrap();
    n.produce_block();
    n.produce_block();
    assert!(!n.modules.short_term_live(&short));
    assert!(!n.modules.stateful_in_state(&long));
    assert_eq!(book(&n), (vec![], vec![]));
    assert_eq!(account(&n, &a).1, 0);
    assert!(
        n.chain()
            .tx_result(&sluice::chain::cosmos::tx::tx_hash(&tx))
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_refused_with_the_chains_codes() {
    let (n, a, _) = node().await;
    let (num, _) = account(&n, &a);
    let h = n.height() as u32;
    let gtbt = (n.chain().block_time + 3600) as u32;
    let st = |client_id: u32| oid(&a.address, client_id, FLAG_SHORT_TERM, 0);
    let gtb = GoodTil::GoodTilBlock(h + 5);
    let try_place = |o: Order| broadcast(&n, &sign(&a, vec![place(&o)], &Opts::new(num, 0)));
    let cases: Vec<(Order, &str, u32)> = vec![
        (order(&st(40), SIDE_BUY, 0, P50K, gtb), "clob", 4),
        (order(&st(41), 0, TENTH_BTC, P50K, gtb), "clob", 3),
        (order(&st(42), SIDE_BUY, TENTH_BTC, 0, gtb), "clob", 6),
        (
            order(&st(43), SIDE_BUY, TENTH_BTC, P50K + 1, gtb),
            "clob",
            12,
        ),
        (
            order(&st(44), SIDE_BUY, TENTH_BTC + 1, P50K, gtb),
            "clob",
            12,
        ),
        (
            order(
                &st(45),
                SIDE_BUY,
                TENTH_BTC,
                P50K,
                GoodTil::GoodTilBlock(h + 42),
            ),
            "clob",
            11,
        ),
        (
            order(&st(46), SIDE_BUY, TENTH_BTC, P50K, GoodTil::GoodTilBlock(h)),
            "clob",
            10,
        ),
        (
            order(&oid(&a.address, 47, 0, 99), SIDE_BUY, TENTH_BTC, P50K, gtb),
            "clob",
            8,
        ),
        (
            order(&oid(&a.address, 48, 7, 0), SIDE_BUY, TENTH_BTC, P50K, gtb),
            "clob",
            3000,
        ),
        (
            order(
                &oid(&a.address, 49, FLAG_LONG_TERM, 0),
                SIDE_BUY,
                TENTH_BTC,
                P50K,
                gtb,
            ),
            "clob",
            3001,
        ),
        (
            order(
                &oid(&a.address, 50, FLAG_LONG_TERM, 0),
                SIDE_BUY,
                TENTH_BTC,
                P50K,
                GoodTil::GoodTilBlockTime(gtbt + 96 * 24 * 3600),
            ),
            "clob",
            3004,
        ),
        (
            Order {
                time_in_force: TIF_IOC,
                ..order(
                    &oid(&a.address, 51, FLAG_LONG_TERM, 0),
                    SIDE_BUY,
                    TENTH_BTC,
                    P50K,
                    GoodTil::GoodTilBlockTime(gtbt),
                )
            },
            "clob",
            3002,
        ),
        (
            Order {
                time_in_force: TIF_FILL_OR_KILL,
                ..order(&st(52), SIDE_BUY, TENTH_BTC, P50K, gtb)
            },
            "clob",
            48,
        ),
        (
            Order {
                reduce_only: true,
                ..order(&st(53), SIDE_BUY, TENTH_BTC, P50K, gtb)
            },
            "clob",
            9003,
        ),
    ];
    for (o, codespace, code) in cases {
        let client_id = o.order_id.as_ref().unwrap().client_id;
        let e = try_place(o).expect_err("refused");
        assert_eq!(
            (e.codespace.as_str(), e.code),
            (codespace, code),
            "client id {client_id}: {e:?}"
        );
    }
    // a subaccount number above 128,000
    let mut big = st(54);
    big.subaccount_id = Some(sub(&a.address, 128_001));
    assert_code(
        try_place(order(&big, SIDE_BUY, TENTH_BTC, P50K, gtb)),
        "subaccounts",
        200,
    );
    // the same short-term order twice is reprocessed; a lower good-til-block does not replace it
    let ok = order(
        &st(55),
        SIDE_BUY,
        TENTH_BTC,
        P49_999,
        GoodTil::GoodTilBlock(h + 6),
    );
    try_place(ok.clone()).unwrap();
    assert_code(try_place(ok.clone()), "clob", 30);
    assert_code(
        try_place(Order {
            good_til: Some(GoodTil::GoodTilBlock(h + 5)),
            ..ok.clone()
        }),
        "clob",
        20,
    );
    // a cancelled short-term order cannot be placed again within the cancel's good-til-block
    broadcast(
        &n,
        &sign(
            &a,
            vec![cancel(&st(55), CancelGoodTil::GoodTilBlock(h + 8))],
            &Opts::new(num, 0),
        ),
    )
    .unwrap();
    assert_code(
        try_place(Order {
            good_til: Some(GoodTil::GoodTilBlock(h + 7)),
            ..ok
        }),
        "clob",
        7,
    );
    // a stateful cancel of an order never placed
    let ghost = oid(&a.address, 56, FLAG_LONG_TERM, 0);
    assert_code(
        broadcast(
            &n,
            &sign(
                &a,
                vec![cancel(&ghost, CancelGoodTil::GoodTilBlockTime(gtbt))],
                &Opts::new(num, 0),
            ),
        ),
        "clob",
        3006,
    );
    // an undecodable message and an unknown critical extension option
    let junk = Any {
        type_url: MSG_PLACE_ORDER_URL.into(),
        value: vec![0x0a, 0xff],
    };
    assert_code(
        broadcast(&n, &sign(&a, vec![junk], &Opts::new(num, 0))),
        "sdk",
        2,
    );
    let opts = Opts {
        critical: vec![any(TX_EXTENSION_URL, &TxExtension::default())],
        ..Opts::new(num, 0)
    };
    let o = order(&st(57), SIDE_BUY, TENTH_BTC, P49_999, gtb);
    assert_code(broadcast(&n, &sign(&a, vec![place(&o)], &opts)), "sdk", 31);
    assert_eq!(book(&n).0, vec![], "nothing of the refused orders rests");
    assert_eq!(account(&n, &a).1, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_clients_tx_extension_is_accepted() {
    let (n, a, _) = node().await;
    let (num, _) = account(&n, &a);
    let h = n.height() as u32;
    let id = oid(&a.address, 60, FLAG_SHORT_TERM, 0);
    let o = order(
        &id,
        SIDE_BUY,
        TENTH_BTC,
        P49_999,
        GoodTil::GoodTilBlock(h + 5),
    );
    let with = |ext: Any| Opts {
        non_critical: vec![ext],
        ..Opts::new(num, 0)
    };
    let ext = any(TX_EXTENSION_URL, &TxExtension::default());
    broadcast(&n, &sign(&a, vec![place(&o)], &with(ext))).unwrap();
    assert!(n.modules.short_term_live(&id));
    // an option of a type the chain does not register fails to decode
    let other = Any {
        type_url: "/x.y.Unknown".into(),
        value: vec![],
    };
    let o2 = Order {
        order_id: Some(oid(&a.address, 61, FLAG_SHORT_TERM, 0)),
        ..o
    };
    assert_code(
        broadcast(&n, &sign(&a, vec![place(&o2)], &with(other))),
        "sdk",
        2,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_withdrawals_and_transfers_move_collateral_and_pay_fees() {
    let (n, a, b) = node().await;
    let (num, _) = account(&n, &a);
    let me = sub(&a.address, 0);
    let before_bank = n.chain().balance(&a.address, USDC_DENOM);
    let before = n.engine.collateral(&me);
    assert_eq!(before, dec!(100000));
    let deposit = any(
        MSG_DEPOSIT_URL,
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
        MSG_WITHDRAW_URL,
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
        MSG_WITHDRAW_URL,
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
