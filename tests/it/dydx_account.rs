//! dYdX v4's account side end to end: the local node and the indexer's account simulator on one
//! engine; two accounts' orders placed as signed short-term transactions cross; the library's
//! `IndexerAccount` reads the orders (status, filled size), fills (fees equal to the engine's
//! trades at the market's rates), positions (equal to the ledger), equity; a `v4_subaccounts`
//! subscription sees the order and fill events in order; hostile answers are typed errors.

use std::time::Duration;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::mode_info::{Single, Sum};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use prost::Message;
use rust_decimal_macros::dec;
use sluice::cex::error::CexError;
use sluice::clob::dydx::account::*;
use sluice::core::OrderState;
use sluice::wallet::{CosmosSigner, Mnemonic, account_path, derive_key};
use sluice_sim::anvil::DEV_MNEMONIC;
use sluice_sim::cosmos::dydx::indexer::IndexerAccountSim;
use sluice_sim::cosmos::dydx::proto::*;
use sluice_sim::cosmos::dydx::{DydxConfig, GenesisAccount, LocalDydx};
use sluice_sim::exchange::dialects::okx::HttpFault;

fn signer(index: u32) -> CosmosSigner {
    let seed = Mnemonic::parse(DEV_MNEMONIC).unwrap().to_seed(&"".into());
    let path = account_path("m/44'/118'/0'/0", u64::from(index)).unwrap();
    derive_key(&seed, &path).unwrap().cosmos_signer()
}

/// A short-term transaction (no fee, sequence not checked) of one message, SIGN_MODE_DIRECT.
fn sign(key: &CosmosSigner, account_number: u64, msg: Any) -> Vec<u8> {
    let body_bytes = TxBody {
        messages: vec![msg],
        ..TxBody::default()
    }
    .encode_to_vec();
    #[allow(deprecated)]
    let auth_info_bytes = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: PubKey {
                    key: key.public_key().to_vec(),
                }
                .encode_to_vec(),
            }),
            mode_info: Some(ModeInfo {
                sum: Some(Sum::Single(Single {
                    mode: SignMode::Direct as i32,
                })),
            }),
            sequence: 0,
        }],
        fee: Some(Fee {
            amount: vec![],
            gas_limit: 0,
            payer: String::new(),
            granter: String::new(),
        }),
        tip: None,
    }
    .encode_to_vec();
    let doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: "localdydxprotocol".into(),
        account_number,
    }
    .encode_to_vec();
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![key.sign(&doc).to_vec()],
    }
    .encode_to_vec()
}

fn oid(owner: &str, client_id: u32) -> OrderId {
    OrderId {
        subaccount_id: Some(SubaccountId {
            owner: owner.into(),
            number: 0,
        }),
        client_id,
        order_flags: FLAG_SHORT_TERM,
        clob_pair_id: 0,
    }
}

fn place(id: &OrderId, side: i32, quantums: u64, subticks: u64, gtb: u32) -> Any {
    let order = Order {
        order_id: Some(id.clone()),
        side,
        quantums,
        subticks,
        good_til_oneof: Some(GoodTilOneof::GoodTilBlock(gtb)),
        ..Order::default()
    };
    Any {
        type_url: MSG_PLACE_ORDER_URL.into(),
        value: MsgPlaceOrder { order: Some(order) }.encode_to_vec(),
    }
}

fn broadcast(n: &LocalDydx, key: &CosmosSigner, address: &str, msg: Any) {
    let (num, _) = n.chain().account(address).unwrap();
    let tx = sign(key, num, msg);
    let (_, r) = n.chain().broadcast(&tx);
    r.unwrap();
}

const P50K: u64 = 5_000_000_000;
const TENTH_BTC: u64 = 1_000_000_000;

async fn next_update(stream: &mut SubaccountStream) -> SubaccountEvent {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event in time")
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossing_orders_read_back_through_the_indexer_and_its_subaccount_channel() {
    let cfg = DydxConfig {
        block_time: Duration::ZERO,
        ..DydxConfig::default()
    };
    let accounts = [
        GenesisAccount::mnemonic(DEV_MNEMONIC, 0, 100_000_000_000),
        GenesisAccount::mnemonic(DEV_MNEMONIC, 1, 100_000_000_000),
    ];
    let n = LocalDydx::start(cfg, &accounts, 0).await.unwrap();
    let indexer = IndexerAccountSim::start(n.engine.clone()).await.unwrap();
    let (ka, kb) = (signer(0), signer(1));
    let (a, b) = (n.accounts[0].address.clone(), n.accounts[1].address.clone());
    let client_b = IndexerAccount::new(&indexer.url(), &b, 0).unwrap();
    let client_a = IndexerAccount::new(&indexer.url(), &a, 0).unwrap();

    let mut stream = SubaccountStream::connect(&indexer.ws_url(), &b, 0);
    let SubaccountEvent::Snapshot(snap) = next_update(&mut stream).await else {
        panic!("snapshot first")
    };
    assert_eq!(
        (snap.subaccount.equity, snap.orders.len()),
        (dec!(100000), 0)
    );

    let gtb = (n.height() + 10) as u32;
    broadcast(
        &n,
        &ka,
        &a,
        place(&oid(&a, 1), SIDE_SELL, TENTH_BTC, P50K, gtb),
    );
    broadcast(
        &n,
        &kb,
        &b,
        place(&oid(&b, 7), SIDE_BUY, 3 * TENTH_BTC, P50K, gtb),
    );

    // orders: B's 0.3 buy partly filled (0.1), A's sell filled
    let b_id = order_uuid(&b, 0, 7, 0, FLAG_SHORT_TERM);
    let orders = client_b.orders(&OrdersQuery::default()).await.unwrap();
    assert_eq!(orders.len(), 1);
    let o = &orders[0];
    assert_eq!(
        (o.id.as_str(), o.client_id.as_str(), o.ticker.as_str()),
        (b_id.as_str(), "7", "BTC-USD")
    );
    assert_eq!(
        (o.size, o.total_filled, o.price, o.side),
        (dec!(0.3), dec!(0.1), dec!(50000), OrderSideDoc::Buy)
    );
    assert_eq!(o.status, IndexerOrderStatus::Open);
    assert_eq!(
        order_state(o.status, o.total_filled),
        OrderState::PartiallyFilled
    );
    assert_eq!(o.good_til_block.as_deref(), Some(gtb.to_string().as_str()));
    assert_eq!(client_b.order(&b_id).await.unwrap(), *o);
    let a_orders = client_a
        .orders(&OrdersQuery {
            status: Some("FILLED".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(a_orders.len(), 1);
    assert_eq!(
        order_state(a_orders[0].status, a_orders[0].total_filled),
        OrderState::Filled
    );

    // fills equal the engine's trade, fees at the maker and taker rates (1 and 5 bp)
    let trades = n.engine.trades("BTC-USD");
    assert_eq!(trades.len(), 1);
    let fb = client_b.fills(Some("BTC-USD"), None).await.unwrap();
    let fa = client_a.fills(None, None).await.unwrap();
    assert_eq!((fb.len(), fa.len()), (1, 1));
    let (fill_b, fill_a) = (fill_of(&fb[0]).unwrap(), fill_of(&fa[0]).unwrap());
    assert_eq!(
        (fill_b.price, fill_b.amount),
        (trades[0].price, trades[0].qty)
    );
    assert_eq!(
        (
            fill_b.fee_amount,
            fill_b.is_maker,
            fill_b.venue_order_id.as_deref()
        ),
        (dec!(2.5), false, Some(b_id.as_str()))
    );
    assert_eq!((fill_a.fee_amount, fill_a.is_maker), (dec!(0.5), true));
    assert_ne!(fill_a.trade_id, fill_b.trade_id);

    // positions equal the ledger's
    let sub_b = SubaccountId {
        owner: b.clone(),
        number: 0,
    };
    let ledger_b = n.engine.position(&sub_b, "BTC-USD");
    let pb = client_b.positions(Some("OPEN")).await.unwrap();
    assert_eq!(pb.len(), 1);
    let pos_b = position_of(&pb[0]).unwrap();
    assert_eq!(
        (pos_b.size, pos_b.entry_price),
        (ledger_b.size, Some(ledger_b.entry()))
    );
    assert_eq!(pb[0].side, PositionSideDoc::Long);
    let pos_a = position_of(&client_a.positions(None).await.unwrap()[0]).unwrap();
    assert_eq!((pos_a.size, pos_a.entry_notional), (dec!(-0.1), dec!(5000)));

    // equity: collateral less the fee (no mark: the book is one-sided, so no unrealized PnL)
    let s = client_b.subaccount().await.unwrap();
    assert_eq!(s.equity, n.engine.collateral(&sub_b));
    assert_eq!(s.equity, dec!(99997.5));
    assert_eq!(s.asset_positions["USDC"].size, dec!(94997.5));
    assert_eq!(s.open_perpetual_positions["BTC-USD"].size, dec!(0.1));
    assert!(client_b.height().await.unwrap().0 >= u64::from(gtb) - 10);
    assert!(client_b.time().await.unwrap() > 1_700_000_000_000);
    assert!(
        client_b
            .funding_payments(None, None)
            .await
            .unwrap()
            .is_empty()
    );

    // the channel: the order, then its fill, then the position it opened
    let mut seen_order = false;
    let mut seen_fill = false;
    while !seen_fill {
        let SubaccountEvent::Update { update, .. } = next_update(&mut stream).await else {
            panic!("update")
        };
        if update.orders.iter().any(|o| o.id == b_id) {
            seen_order = true;
        }
        if let Some(f) = update.fills.first() {
            assert!(seen_order, "the order comes before or with its fill");
            let fill = fill_update_of(f).unwrap();
            assert_eq!(
                (fill.trade_id.as_str(), fill.fee_amount),
                (fill_b.trade_id.as_str(), dec!(2.5))
            );
            assert_eq!(update.perpetual_positions[0].size, dec!(0.1));
            assert_eq!(update.asset_positions[0].size, dec!(94997.5));
            seen_fill = true;
        }
    }
    // B cancels the rest: the channel shows it cancelled
    let cancel = MsgCancelOrder {
        order_id: Some(oid(&b, 7)),
        good_til_oneof: Some(CancelGoodTil::GoodTilBlock(gtb)),
    };
    broadcast(
        &n,
        &kb,
        &b,
        Any {
            type_url: MSG_CANCEL_ORDER_URL.into(),
            value: cancel.encode_to_vec(),
        },
    );
    let SubaccountEvent::Update { update, .. } = next_update(&mut stream).await else {
        panic!("update")
    };
    assert_eq!(update.orders[0].status, IndexerOrderStatus::Canceled);
    assert_eq!(update.orders[0].total_filled, Some(dec!(0.1)));
    let o = client_b.order(&b_id).await.unwrap();
    assert_eq!(order_state(o.status, o.total_filled), OrderState::Cancelled);

    // a dropped socket: the stream says so, reconnects and resubscribes
    indexer.drop_sockets();
    assert!(matches!(
        next_update(&mut stream).await,
        SubaccountEvent::Disconnected(_)
    ));
    let SubaccountEvent::Snapshot(snap) = next_update(&mut stream).await else {
        panic!("snapshot")
    };
    assert_eq!(snap.subaccount.equity, dec!(99997.5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_indexer_answers_are_typed_errors() {
    let cfg = DydxConfig {
        block_time: Duration::ZERO,
        ..DydxConfig::default()
    };
    let n = LocalDydx::start(
        cfg,
        &[GenesisAccount::mnemonic(DEV_MNEMONIC, 0, 1_000_000)],
        0,
    )
    .await
    .unwrap();
    let indexer = IndexerAccountSim::start(n.engine.clone()).await.unwrap();
    let a = n.accounts[0].address.clone();
    let client = IndexerAccount::new(&indexer.url(), &a, 0)
        .unwrap()
        .with_retries(0);
    assert_eq!(client.subaccount().await.unwrap().equity, dec!(1));

    indexer.inject_fault(HttpFault::HtmlPage { status: 502 });
    let e = client.subaccount().await.unwrap_err();
    assert!(
        matches!(e, CexError::UnexpectedResponse { status: 502, .. }),
        "{e:?}"
    );
    indexer.inject_fault(HttpFault::HtmlPage { status: 200 });
    assert!(matches!(
        client.subaccount().await,
        Err(CexError::Decode { .. })
    ));
    indexer.inject_fault(HttpFault::TruncatedJson);
    assert!(matches!(
        client.subaccount().await,
        Err(CexError::Decode { .. })
    ));
    let huge = r#"{"subaccount":{"address":"x","subaccountNumber":0,"equity":"1e400","freeCollateral":"1"}}"#;
    indexer.inject_fault(HttpFault::Body {
        status: 200,
        body: huge.into(),
    });
    assert!(matches!(
        client.subaccount().await,
        Err(CexError::Decode { .. })
    ));
    let missing = r#"{"subaccount":{"address":"x","subaccountNumber":0,"freeCollateral":"1"}}"#;
    indexer.inject_fault(HttpFault::Body {
        status: 200,
        body: missing.into(),
    });
    assert!(matches!(
        client.subaccount().await,
        Err(CexError::Decode { .. })
    ));
    indexer.inject_fault(HttpFault::Body {
        status: 200,
        body: r#"[{"id":"x","status":"OPEN"}]"#.into(),
    });
    assert!(matches!(
        client.orders(&OrdersQuery::default()).await,
        Err(CexError::Decode { .. })
    ));
    indexer.inject_fault(HttpFault::DropConnection);
    assert!(client.fills(None, None).await.is_err());
    // an unknown order is the indexer's 404
    let e = client
        .order("00000000-0000-5000-8000-000000000000")
        .await
        .unwrap_err();
    assert!(matches!(e, CexError::Api { status: 404, .. }), "{e:?}");
    // and the service recovers
    assert!(client.fills(None, None).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funding_and_mark_reach_equity_positions_and_funding_payments() {
    use sluice_sim::exchange::engine::perp::MarkState;
    use sluice_sim::exchange::engine::server::lock;

    let cfg = DydxConfig {
        block_time: Duration::ZERO,
        ..DydxConfig::default()
    };
    let accounts = [
        GenesisAccount::mnemonic(DEV_MNEMONIC, 0, 100_000_000_000),
        GenesisAccount::mnemonic(DEV_MNEMONIC, 1, 100_000_000_000),
    ];
    let n = LocalDydx::start(cfg, &accounts, 0).await.unwrap();
    let indexer = IndexerAccountSim::start(n.engine.clone()).await.unwrap();
    let (a, b) = (n.accounts[0].address.clone(), n.accounts[1].address.clone());
    let gtb = (n.height() + 10) as u32;
    broadcast(
        &n,
        &signer(0),
        &a,
        place(&oid(&a, 1), SIDE_SELL, TENTH_BTC, P50K, gtb),
    );
    broadcast(
        &n,
        &signer(1),
        &b,
        place(&oid(&b, 2), SIDE_BUY, TENTH_BTC, P50K, gtb),
    );
    {
        let ex = n.engine.exchange();
        let mut ledger = lock(&n.engine.ledger);
        ledger.sync(&ex);
        let state = MarkState {
            mark: dec!(51000),
            index: dec!(51000),
            funding_rate: dec!(0.0001),
        };
        ledger.set_mark("BTC-USD", state);
        ledger.settle_funding(&ex, "BTC-USD", 1_700_000_000_000, false);
    }
    let client = IndexerAccount::new(&indexer.url(), &b, 0).unwrap();
    // the long pays 0.1 × 51,000 × 0.0001 = 0.51
    let payments = client
        .funding_payments(Some("BTC-USD"), None)
        .await
        .unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(
        (
            payments[0].payment,
            payments[0].rate,
            payments[0].oracle_price
        ),
        (dec!(-0.51), dec!(0.0001), dec!(51000))
    );
    let p = funding_payment_of(&payments[0]).unwrap();
    assert_eq!((p.amount, p.time_ms), (dec!(-0.51), 1_700_000_000_000));
    let pos = client.positions(None).await.unwrap();
    assert_eq!(
        (pos[0].net_funding, pos[0].unrealized_pnl),
        (dec!(-0.51), Some(dec!(100)))
    );
    assert_eq!(position_of(&pos[0]).unwrap().funding_paid, Some(dec!(0.51)));
    // equity = collateral (100,000 − 2.5 fee − 0.51 funding) + 100 unrealized; free = equity − 5 % of 5,100
    let s = client.subaccount().await.unwrap();
    let sub_b = SubaccountId {
        owner: b.clone(),
        number: 0,
    };
    assert_eq!(s.equity, n.engine.collateral(&sub_b) + dec!(100));
    assert_eq!(
        (s.equity, s.free_collateral),
        (dec!(100096.99), dec!(99841.99))
    );
    // the same handler, mounted without the server
    let (status, body) = indexer
        .answer(
            "/v4/fundingPayments",
            &format!("address={b}&subaccountNumber=0&ticker=BTC-USD"),
        )
        .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("\"payment\":\"-0.51\""), "{body}");
    assert_eq!(indexer.answer("/v4/perpetualMarkets", ""), None);
    assert_eq!(indexer.answer("/v4/orders", "address=").unwrap().0, 400);
}
