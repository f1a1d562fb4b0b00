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
use sluice::chain::cosmos::Coin;
use sluice::chain::cosmos::lcd::{Broadcast, LcdClient, LcdConfig};
use sluice::wallet::{CosmosSigner, Mnemonic, account_path, derive_key};

use super::proto::*;
use super::*;
use crate::anvil::DEV_MNEMONIC;
use crate::cosmos::chain::ExecError;

mod refusals;
mod sending;

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

fn order(id: &OrderId, side: i32, quantums: u64, subticks: u64, good_til: GoodTilOneof) -> Order {
    Order {
        order_id: Some(id.clone()),
        side,
        quantums,
        subticks,
        good_til_oneof: Some(good_til),
        ..Order::default()
    }
}

/// One transaction placing one order.
fn sign_place(key: &Key, o: &Order, opts: &Opts) -> Vec<u8> {
    sign(key, vec![place(o)], opts)
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
            good_til_oneof: Some(good_til),
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
    let tx = sign_place(
        &a,
        &order(
            &resting,
            SIDE_SELL,
            TENTH_BTC,
            P50K,
            GoodTilOneof::GoodTilBlock((h + 10) as u32),
        ),
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
    let tx = sign_place(
        &b,
        &order(
            &taker,
            SIDE_BUY,
            3 * TENTH_BTC,
            P50K,
            GoodTilOneof::GoodTilBlock((h + 10) as u32),
        ),
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
    let tx = sign_place(
        &a,
        &order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTilOneof::GoodTilBlock(gtb as u32),
        ),
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
    let tx = sign_place(
        &a,
        &order(
            &id,
            SIDE_SELL,
            TENTH_BTC,
            P50K,
            GoodTilOneof::GoodTilBlockTime(gtbt),
        ),
        &Opts::new(num, 0),
    );
    broadcast(&n, &tx).unwrap();
    assert_eq!(account(&n, &a).1, 1, "the sequence is used when admitted");
    assert_eq!(book(&n).1, vec![], "placed in the block, not before");
    // a second stateful order at the same (now stale) sequence is refused
    let other = oid(&a.address, 4, FLAG_LONG_TERM, 0);
    let stale = sign_place(
        &a,
        &order(
            &other,
            SIDE_SELL,
            TENTH_BTC,
            P50K,
            GoodTilOneof::GoodTilBlockTime(gtbt),
        ),
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
    let again = sign_place(
        &a,
        &order(
            &id,
            SIDE_SELL,
            TENTH_BTC,
            P50K,
            GoodTilOneof::GoodTilBlockTime(gtbt + 1),
        ),
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
async fn conditional_order_is_stored_off_the_book_and_stateful_orders_expire_by_time() {
    let (n, a, _) = node().await;
    let (num, _) = account(&n, &a);
    let gtbt = (n.chain().block_time + 600) as u32;
    let id = oid(&a.address, 5, FLAG_CONDITIONAL, 0);
    let mut o = order(
        &id,
        SIDE_SELL,
        TENTH_BTC,
        P49_999,
        GoodTilOneof::GoodTilBlockTime(gtbt),
    );
    o.condition_type = CONDITION_STOP_LOSS;
    o.conditional_order_trigger_subticks = P50K;
    let tx = sign_place(&a, &o, &Opts::new(num, 0));
    broadcast(&n, &tx).unwrap();
    n.produce_block();
    assert!(n.modules.stateful_in_state(&id));
    assert_eq!(book(&n), (vec![], vec![]));
    // without its condition it is malformed
    let mut bad = o.clone();
    bad.order_id = Some(oid(&a.address, 6, FLAG_CONDITIONAL, 0));
    bad.condition_type = CONDITION_UNSPECIFIED;
    assert_code(
        broadcast(&n, &sign_place(&a, &bad, &Opts::new(num, 1))),
        "clob",
        6000,
    );
    // stateful orders expire with the block time: a long-term one beside it, then the clock
    // jumps past both good-til-block-times
    let long = oid(&a.address, 7, FLAG_LONG_TERM, 0);
    let o = order(
        &long,
        SIDE_BUY,
        TENTH_BTC,
        P49_999,
        GoodTilOneof::GoodTilBlockTime(gtbt),
    );
    broadcast(&n, &sign_place(&a, &o, &Opts::new(num, 1))).unwrap();
    n.produce_block();
    assert_eq!(book(&n).0, vec![(dec!(49999), dec!(0.1))]);
    n.chain().block_time = u64::from(gtbt) - 1;
    n.produce_block();
    assert!(n.modules.stateful_in_state(&long), "not yet");
    n.chain().block_time = u64::from(gtbt);
    n.produce_block();
    assert!(!n.modules.stateful_in_state(&id));
    assert!(!n.modules.stateful_in_state(&long));
    assert_eq!(book(&n), (vec![], vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ioc_and_post_only_orders_follow_their_time_in_force() {
    let (n, a, b) = node().await;
    let (num_a, _) = account(&n, &a);
    let (num_b, _) = account(&n, &b);
    let gtb = GoodTilOneof::GoodTilBlock(n.height() as u32 + 5);
    let maker = oid(&a.address, 70, FLAG_SHORT_TERM, 0);
    let o = order(&maker, SIDE_SELL, TENTH_BTC, P50K, gtb);
    broadcast(&n, &sign_place(&a, &o, &Opts::new(num_a, 0))).unwrap();
    // a post-only buy at the ask would take: refused, nothing rests
    let post = oid(&b.address, 71, FLAG_SHORT_TERM, 0);
    let o = Order {
        time_in_force: TIF_POST_ONLY,
        ..order(&post, SIDE_BUY, TENTH_BTC, P50K, gtb)
    };
    assert_code(
        broadcast(&n, &sign_place(&b, &o, &Opts::new(num_b, 0))),
        "clob",
        2003,
    );
    assert_eq!(book(&n).0, vec![]);
    // an IOC buy of 0.3 fills 0.1 and its rest does not rest
    let ioc = oid(&b.address, 72, FLAG_SHORT_TERM, 0);
    let o = Order {
        time_in_force: TIF_IOC,
        ..order(&ioc, SIDE_BUY, 3 * TENTH_BTC, P50K, gtb)
    };
    broadcast(&n, &sign_place(&b, &o, &Opts::new(num_b, 0))).unwrap();
    assert_eq!(n.engine.filled(&ioc), dec!(0.1));
    assert!(!n.engine.is_open(&ioc));
    assert_eq!(book(&n), (vec![], vec![]));
    assert_eq!(
        n.engine.position(&sub(&b.address, 0), "BTC-USD").size,
        dec!(0.1)
    );
    // the maker's order is fully filled: placing the same id again says so
    let again = order(
        &maker,
        SIDE_SELL,
        TENTH_BTC,
        P50K,
        GoodTilOneof::GoodTilBlock(n.height() as u32 + 6),
    );
    assert_code(
        broadcast(&n, &sign_place(&a, &again, &Opts::new(num_a, 0))),
        "clob",
        24,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_come_on_the_timer_and_the_lcd_serves_simulate_and_balances() {
    let cfg = DydxConfig {
        block_time: Duration::from_millis(40),
        ..DydxConfig::default()
    };
    let key = sluice::wallet::PrivateKey::from_hex(
        "80e81ea269e66a0a05b11236df7919fb7fbeedba87452d667489d7403a02f005",
    )
    .unwrap();
    let address = key.cosmos_address("dydx").unwrap();
    let genesis = GenesisAccount {
        key: GenesisKey::Private(key.clone()),
        bank: vec![Coin::new(7_000_000, USDC_DENOM)],
        subaccount_usdc: 0,
    };
    let n = LocalDydx::start(cfg, &[genesis], 0).await.unwrap();
    assert_eq!(n.accounts[0].address, address);
    let k = Key {
        signer: key.cosmos_signer(),
        address: address.clone(),
    };
    let lcd = LcdClient::connect(n.url(), "localdydxprotocol", LcdConfig::default())
        .await
        .unwrap();
    let balances = lcd.balances(&address).await.unwrap();
    assert_eq!(balances, vec![Coin::new(7_000_000, USDC_DENOM)]);
    let h = lcd.latest_height().await.unwrap();
    let id = oid(&address, 80, FLAG_SHORT_TERM, 1);
    // ETH-USD: $3,000 is 3,000,000,000 subticks, 0.01 ETH 10,000,000 quantums
    let o = order(
        &id,
        SIDE_BUY,
        10_000_000,
        3_000_000_000,
        GoodTilOneof::GoodTilBlock(h as u32 + 3),
    );
    let info = lcd.account(&address).await.unwrap();
    let tx = sign_place(&k, &o, &Opts::new(info.account_number, info.sequence));
    assert!(lcd.simulate(&tx).await.unwrap() > 0);
    let Broadcast::Answered(r) = lcd.broadcast_sync(&tx).await.unwrap() else {
        panic!("no answer")
    };
    assert_eq!(r.code, 0, "{}", r.raw_log);
    assert_eq!(
        n.engine.book("ETH-USD").unwrap().0,
        vec![(dec!(3000), dec!(0.01))]
    );
    // the timer makes blocks; the order expires with block h + 3
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while n.modules.short_term_live(&id) {
        assert!(std::time::Instant::now() < deadline, "no expiry");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(lcd.latest_height().await.unwrap() >= h + 3);
    assert_eq!(n.engine.book("ETH-USD").unwrap().0, vec![]);
}
