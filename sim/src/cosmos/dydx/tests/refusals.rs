//! Refusals of the local dYdX node: signature, chain id, account number, signer; the sequence
//! rule (short-term orders at any sequence, a mismatch on a long-term order); the lost-broadcast
//! fault; malformed messages with the chain's codes; extension options.

use super::*;

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
            GoodTilOneof::GoodTilBlock((h + 5) as u32),
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
        let tx = sign_place(
            &a,
            &order(
                &id,
                SIDE_BUY,
                TENTH_BTC,
                P49_999,
                GoodTilOneof::GoodTilBlock((h + 3) as u32),
            ),
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
        GoodTilOneof::GoodTilBlock((h + 3) as u32),
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
    let tx = sign_place(
        &a,
        &order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTilOneof::GoodTilBlockTime(gtbt),
        ),
        &Opts::new(num, 5),
    );
    let log = assert_code(broadcast(&n, &tx), "sdk", 32);
    assert!(log.contains("expected 0, got 5"), "{log}");
    // the fault: another transaction of the signer lands first
    n.chain().faults.bump_sequence = 1;
    let tx = sign_place(
        &a,
        &order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTilOneof::GoodTilBlockTime(gtbt),
        ),
        &Opts::new(num, 0),
    );
    assert_code(broadcast(&n, &tx), "sdk", 32);
    n.produce_block();
    assert_eq!(account(&n, &a).1, 1, "only the fault's bump");
    assert!(!n.modules.stateful_in_state(&id));
    assert_eq!(book(&n), (vec![], vec![]));
    // signed again at the new sequence, it is accepted, once
    let tx = sign_place(
        &a,
        &order(
            &id,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTilOneof::GoodTilBlockTime(gtbt),
        ),
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
    let tx = sign_place(
        &a,
        &order(
            &short,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTilOneof::GoodTilBlock((h + 5) as u32),
        ),
        &Opts::new(num, 0),
    );
    broadcast(&n, &tx).unwrap();
    let gtbt = (n.chain().block_time + 3600) as u32;
    let long = oid(&a.address, 31, FLAG_LONG_TERM, 0);
    let tx = sign_place(
        &a,
        &order(
            &long,
            SIDE_BUY,
            TENTH_BTC,
            P49_999,
            GoodTilOneof::GoodTilBlockTime(gtbt),
        ),
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
    let gtb = GoodTilOneof::GoodTilBlock(h + 5);
    let try_place = |o: Order| broadcast(&n, &sign_place(&a, &o, &Opts::new(num, 0)));
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
                GoodTilOneof::GoodTilBlock(h + 42),
            ),
            "clob",
            11,
        ),
        (
            order(
                &st(46),
                SIDE_BUY,
                TENTH_BTC,
                P50K,
                GoodTilOneof::GoodTilBlock(h),
            ),
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
                GoodTilOneof::GoodTilBlockTime(gtbt + 96 * 24 * 3600),
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
                    GoodTilOneof::GoodTilBlockTime(gtbt),
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
        GoodTilOneof::GoodTilBlock(h + 6),
    );
    try_place(ok.clone()).unwrap();
    assert_code(try_place(ok.clone()), "clob", 30);
    assert_code(
        try_place(Order {
            good_til_oneof: Some(GoodTilOneof::GoodTilBlock(h + 5)),
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
            good_til_oneof: Some(GoodTilOneof::GoodTilBlock(h + 7)),
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
    assert_code(broadcast(&n, &sign_place(&a, &o, &opts)), "sdk", 31);
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
        GoodTilOneof::GoodTilBlock(h + 5),
    );
    let with = |ext: Any| Opts {
        non_critical: vec![ext],
        ..Opts::new(num, 0)
    };
    let ext = any(TX_EXTENSION_URL, &TxExtension::default());
    broadcast(&n, &sign_place(&a, &o, &with(ext))).unwrap();
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
    assert_code(broadcast(&n, &sign_place(&a, &o2, &with(other))), "sdk", 2);
}
