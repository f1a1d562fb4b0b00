//! After a restart, a new process adopts the Uniswap v3 swaps an earlier one sent, from the journal's
//! records (made before each broadcast) and the chain: a mined swap gives the same fill and gas as it
//! did live, a swap still in the node's pool is open and then filled once mined (its fill counted
//! once), a reverted swap fails with its reason, and a transaction recorded but never broadcast (the
//! process died in between) fails the order as not sent, or as superseded once its nonce is used; a
//! live process whose recorded swap the node refuses settles the record at once (dropped). Swaps
//! with a native ETH leg (v3 and v2, ETH in and out, exact input and output) are adopted with the
//! fills they had live.
//! "Processes" are executors with their own nonce managers over one journal.

use std::sync::Arc;
use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v2::connector::{UniswapV2Venue, V2Contracts};
use sluice::amm::uniswap_v3::connector::{UniswapV3Venue, V3Contracts};
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{ApprovalPolicy, EvmClient, NonceManager, TrackerConfig, TxTracker};
use sluice::core::{
    Asset, ClientOrderId, Order, OrderRequest, OrderState, OrderType, Side, TimeInForce, TxInfo,
    TxState,
};
use sluice::store::{Journal, RunTxJournal};
use sluice::venue::{TxJournal, Venue, VenueError};
use sluice_sim::anvil::dev_signer;
use sluice_sim::deploy::LocalEnv;

/// The executor's tracker of one "process": its own nonce manager for dev account `account`.
async fn tracker(env: &LocalEnv, account: usize) -> TxTracker {
    let specs = ChainSpecs::builtin().unwrap();
    let spec = specs.get("anvil").unwrap();
    let client = EvmClient::connect(spec, env.anvil.url().as_str())
        .await
        .unwrap();
    let signer = dev_signer(account).unwrap().clone();
    let nonces = NonceManager::new(Arc::new(client.clone()), signer.address());
    let config = TrackerConfig::for_client(&client);
    TxTracker::with_nonce_manager(client, EthereumWallet::from(signer), nonces, config)
}

fn book(env: &LocalEnv) -> TokenBook {
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(&env.manifest);
    book
}

/// One "process": a v3 venue whose executor has its own nonce manager, recording into `journal`.
async fn process(env: &LocalEnv, account: usize, journal: Arc<dyn TxJournal>) -> UniswapV3Venue {
    let v = UniswapV3Venue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        V3Contracts::from(&env.manifest),
        book(env),
    )
    .await
    .unwrap()
    .with_executor(tracker(env, account).await, ApprovalPolicy::Unlimited);
    let token = |s: &str| env.manifest.tokens[s].address;
    v.track_pair(token("WETH"), token("USDC")).await.unwrap();
    assert!(v.attach_tx_journal(journal));
    v
}

/// [`process`] with a v2 venue.
async fn process_v2(env: &LocalEnv, account: usize, journal: Arc<dyn TxJournal>) -> UniswapV2Venue {
    let v = UniswapV2Venue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        V2Contracts::from(&env.manifest),
        book(env),
    )
    .await
    .unwrap()
    .with_executor(tracker(env, account).await, ApprovalPolicy::Unlimited);
    let token = |s: &str| env.manifest.tokens[s].address;
    v.track_pair(token("WETH"), token("USDC")).await.unwrap();
    assert!(v.attach_tx_journal(journal));
    v
}

fn buy(id: &str, amount: Decimal, price: Decimal) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        pair: "WETH-USDC".parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Swap,
        amount,
        price: Some(price),
        time_in_force: TimeInForce::Fok,
        deadline: Some(u64::MAX / 4),
    }
}

async fn wait_final(v: &dyn Venue, req: &OrderRequest) -> Order {
    for _ in 0..300 {
        let o = v.order_status(req).await.unwrap();
        if o.state.is_terminal() {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {} not final", req.client_id);
}

fn txs_of(journal: &Journal, req: &OrderRequest) -> Vec<TxInfo> {
    journal.transactions_of_order(&req.client_id).unwrap()
}

/// Waits until the journal names a transaction of the order and returns it.
async fn recorded(journal: &Journal, req: &OrderRequest) -> TxInfo {
    for _ in 0..200 {
        if let Some(t) = txs_of(journal, req).pop() {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no transaction recorded for {}", req.client_id);
}

async fn anvil(p: &DynProvider, method: &'static str, params: serde_json::Value) {
    let _: serde_json::Value = p.raw_request(method.into(), params).await.unwrap();
}

/// A journal that records a transaction and then refuses it: the process "dies" between the
/// record and the broadcast of the swap (approvals go through), and writes nothing afterwards.
struct DiesBeforeBroadcast(RunTxJournal, std::sync::atomic::AtomicBool);

impl DiesBeforeBroadcast {
    fn new(j: &Journal) -> Arc<Self> {
        let run = j.start_run("dying", "").unwrap();
        Arc::new(Self(RunTxJournal::new(j.clone(), run), Default::default()))
    }
}

impl TxJournal for DiesBeforeBroadcast {
    fn record_tx(&self, tx: &TxInfo) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        if self.1.load(Ordering::SeqCst) {
            return Err("dead".into());
        }
        self.0.record_tx(tx)?;
        if tx.client_id.is_some() {
            self.1.store(true, Ordering::SeqCst);
            return Err("killed".into());
        }
        Ok(())
    }
    fn order_txs(&self, id: &ClientOrderId) -> Result<Vec<TxInfo>, String> {
        self.0.order_txs(id)
    }
    fn pending_txs(&self, chain: &str, from: &str) -> Result<Vec<TxInfo>, String> {
        self.0.pending_txs(chain, from)
    }
}

fn journal() -> (Journal, Arc<RunTxJournal>) {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("adoption", "").unwrap();
    let tj = Arc::new(RunTxJournal::new(j.clone(), run));
    (j, tj)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mined_swap_is_adopted_with_the_same_fill_and_gas() {
    let env = LocalEnv::start().await.unwrap();
    let (j, tj) = journal();
    let first = process(&env, 3, tj.clone()).await;
    let req = buy("adopt-mined", dec!(0.5), dec!(3100));
    first.submit(req.clone()).await.unwrap();
    let live = wait_final(&first, &req).await;
    assert_eq!(live.state, OrderState::Filled, "{live:?}");
    let live_fills = first.order_fills(&req).await.unwrap();
    assert_eq!(live_fills.len(), 1);
    // Nobody journaled the outcome (no strategy here): the records made before the broadcasts are
    // all there is, as after a crash.
    let recs = txs_of(&j, &req);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].status, TxState::Pending);
    assert_eq!(
        j.pending_transactions().unwrap().len(),
        2,
        "approval + swap"
    );

    let second = process(&env, 3, tj.clone()).await;
    let o = second.order_status(&req).await.unwrap();
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.venue_order_id, live.venue_order_id);
    let fills = second.order_fills(&req).await.unwrap();
    assert_eq!(fills.len(), 1);
    let (a, b) = (&fills[0], &live_fills[0]);
    assert_eq!(
        (&a.trade_id, a.amount, a.price, a.fee_amount, &a.fee_asset),
        (&b.trade_id, b.amount, b.price, b.fee_amount, &b.fee_asset)
    );
    let tx = &txs_of(&j, &req)[0];
    assert_eq!(tx.status, TxState::Mined);
    assert_eq!(tx.fee_native, Some(b.fee_amount));
    assert!(
        tx.gas_used.unwrap() > 50_000 && tx.block.is_some(),
        "{tx:?}"
    );
    // The approval (no order) is brought up to date by the transaction reconcile.
    assert_eq!(second.reconcile_transactions().await.unwrap(), 0);
    assert!(j.pending_transactions().unwrap().is_empty());
    let all = j.all_transactions().unwrap();
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|t| t.status == TxState::Mined && t.gas_used.is_some() && t.fee_native.is_some())
    );
    // An order with no recorded transaction never left its process.
    let never = buy("adopt-never", dec!(0.5), dec!(3100));
    assert!(matches!(
        second.order_status(&never).await,
        Err(VenueError::UnknownOrder(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_in_the_pool_is_open_then_filled_once_when_mined() {
    let env = LocalEnv::start().await.unwrap();
    let p = env.anvil.provider();
    let (j, tj) = journal();
    let first = process(&env, 4, tj.clone()).await;
    // A first swap approves the router (mined at once).
    let warm = buy("adopt-warm", dec!(0.1), dec!(3100));
    first.submit(warm.clone()).await.unwrap();
    assert_eq!(wait_final(&first, &warm).await.state, OrderState::Filled);

    anvil(&p, "evm_setAutomine", serde_json::json!([false])).await;
    let req = buy("adopt-pending", dec!(0.5), dec!(3200));
    first.submit(req.clone()).await.unwrap();
    let rec = recorded(&j, &req).await;
    let hash: B256 = rec.hash.parse().unwrap();
    for _ in 0..200 {
        if p.get_transaction_by_hash(hash).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let second = process(&env, 4, tj.clone()).await;
    let o = second.order_status(&req).await.unwrap();
    assert_eq!(o.state, OrderState::Open, "{o:?}");
    assert_eq!(o.venue_order_id.as_deref(), Some(rec.hash.as_str()));
    assert!(second.order_fills(&req).await.unwrap().is_empty());
    assert_eq!(second.reconcile_transactions().await.unwrap(), 1);

    anvil(&p, "evm_mine", serde_json::json!([])).await;
    let o = second.order_status(&req).await.unwrap();
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled, dec!(0.5));
    // Asked again: the same one fill, nothing counted twice.
    for _ in 0..2 {
        let fills = second.order_fills(&req).await.unwrap();
        assert_eq!(fills.len(), 1);
        assert_eq!(fills[0].amount, dec!(0.5));
    }
    assert_eq!(second.reconcile_transactions().await.unwrap(), 0);
    assert_eq!(txs_of(&j, &req)[0].status, TxState::Mined);
    anvil(&p, "evm_setAutomine", serde_json::json!([true])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reverted_swap_is_adopted_as_failed_with_its_reason() {
    let env = LocalEnv::start().await.unwrap();
    let (j, tj) = journal();
    let first = process(&env, 5, tj.clone()).await;
    // 100 USDC per WETH at most: the router's bound cannot be met.
    let req = buy("adopt-revert", dec!(0.5), dec!(100));
    first.submit(req.clone()).await.unwrap();
    assert_eq!(wait_final(&first, &req).await.state, OrderState::Failed);

    let second = process(&env, 5, tj.clone()).await;
    let o = second.order_status(&req).await.unwrap();
    assert_eq!(o.state, OrderState::Failed, "{o:?}");
    let reason = o.reason.unwrap();
    assert!(
        reason.contains("swap reverted") && reason.contains("Too much requested"),
        "{reason}"
    );
    assert!(second.order_fills(&req).await.unwrap().is_empty());
    let tx = &txs_of(&j, &req)[0];
    assert_eq!(tx.status, TxState::Reverted);
    assert!(tx.gas_used.is_some() && tx.fee_native.is_some(), "{tx:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_the_node_refuses_is_failed_and_its_record_settled_at_once() {
    let env = LocalEnv::start().await.unwrap();
    let (j, tj) = journal();
    let live = process(&env, 7, tj).await;
    let warm = buy("refused-warm", dec!(0.1), dec!(3100));
    live.submit(warm.clone()).await.unwrap();
    assert_eq!(wait_final(&live, &warm).await.state, OrderState::Filled);
    // No ether left for gas: the node refuses the signed (and recorded) swap.
    let p = env.anvil.provider();
    let account = dev_signer(7).unwrap().address();
    let _: serde_json::Value = p
        .raw_request(
            "anvil_setBalance".into(),
            serde_json::json!([account.to_string(), "0x1"]),
        )
        .await
        .unwrap();
    let req = buy("refused", dec!(0.2), dec!(3100));
    live.submit(req.clone()).await.unwrap();
    let o = wait_final(&live, &req).await;
    assert_eq!(o.state, OrderState::Failed, "{o:?}");
    let rec = recorded(&j, &req).await;
    assert_eq!(rec.status, TxState::Dropped, "{rec:?}");
    assert_eq!(txs_of(&j, &req).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_but_never_broadcast_fails_as_not_sent_or_superseded() {
    let env = LocalEnv::start().await.unwrap();
    let (j, tj) = journal();
    let account: Address = dev_signer(6).unwrap().address();
    let first = process(&env, 6, DiesBeforeBroadcast::new(&j)).await;
    let req = buy("adopt-unsent", dec!(0.5), dec!(3100));
    first.submit(req.clone()).await.unwrap();
    // The executor of the "dead" process fails its own order: the broadcast was stopped.
    assert_eq!(wait_final(&first, &req).await.state, OrderState::Failed);
    let rec = recorded(&j, &req).await;
    let p = env.anvil.provider();
    assert_eq!(
        p.get_transaction_count(account).await.unwrap(),
        rec.nonce,
        "nothing was broadcast at the recorded nonce"
    );
    assert_eq!(
        rec.status,
        TxState::Pending,
        "the dead process wrote nothing more"
    );

    let second = process(&env, 6, tj.clone()).await;
    let o = second.order_status(&req).await.unwrap();
    assert_eq!(o.state, OrderState::Failed, "{o:?}");
    assert!(
        o.reason.as_deref().unwrap().contains("unused"),
        "{:?}",
        o.reason
    );
    assert_eq!(txs_of(&j, &req)[0].status, TxState::Dropped);

    // Again, and this time the next process uses the nonce for another swap first.
    let third_dying = process(&env, 6, DiesBeforeBroadcast::new(&j)).await;
    // (Another amount: the same nonce, calldata and fees would sign the very same transaction.)
    let lost = buy("adopt-superseded", dec!(0.4), dec!(3100));
    third_dying.submit(lost.clone()).await.unwrap();
    let o = wait_final(&third_dying, &lost).await;
    assert!(
        o.reason.as_deref().unwrap_or("").contains("killed"),
        "{o:?}"
    );
    let lost_rec = recorded(&j, &lost).await;
    let next = buy("adopt-next", dec!(0.3), dec!(3100));
    second.submit(next.clone()).await.unwrap();
    assert_eq!(wait_final(&second, &next).await.state, OrderState::Filled);
    assert_eq!(txs_of(&j, &next)[0].nonce, lost_rec.nonce);
    let fourth = process(&env, 6, tj).await;
    let o = fourth.order_status(&lost).await.unwrap();
    assert_eq!(o.state, OrderState::Failed, "{o:?}");
    assert!(
        o.reason.as_deref().unwrap().contains("another one"),
        "{:?}",
        o.reason
    );
    assert_eq!(txs_of(&j, &lost)[0].status, TxState::Replaced);
}

/// The native ETH orders of the adoption tests: ETH in and out, exact input and exact output
/// (ETH in, exact output: the router refunds the excess of the value sent).
fn native_orders(prefix: &str) -> Vec<OrderRequest> {
    let order = |n: &str, pair: &str, side, amount, price| OrderRequest {
        client_id: ClientOrderId::new(&format!("{prefix}-{n}")).unwrap(),
        pair: pair.parse().unwrap(),
        side,
        order_type: OrderType::Swap,
        amount,
        price: Some(price),
        time_in_force: TimeInForce::Fok,
        deadline: Some(u64::MAX / 4),
    };
    vec![
        order("sell-eth", "ETH-USDC", Side::Sell, dec!(1), dec!(2500)),
        order("buy-eth", "ETH-USDC", Side::Buy, dec!(0.5), dec!(3500)),
        order(
            "usdc-for-eth",
            "USDC-ETH",
            Side::Sell,
            dec!(1000),
            dec!(0.0002),
        ),
        order(
            "eth-for-usdc",
            "USDC-ETH",
            Side::Buy,
            dec!(1500),
            dec!(0.0005),
        ),
    ]
}

/// Sends every native order through `first` (records only, as before a crash), then adopts each
/// from the journal in `second` and checks the adopted fill is the live one.
async fn native_swaps_are_adopted_as_sent<V: Venue>(
    j: &Journal,
    first: &V,
    second: impl AsyncFn() -> V,
    orders: &[OrderRequest],
) {
    let mut live = Vec::new();
    for req in orders {
        first.submit(req.clone()).await.unwrap();
        let o = wait_final(first, req).await;
        assert_eq!(o.state, OrderState::Filled, "{o:?}");
        assert_eq!(o.filled, req.amount);
        let fills = first.order_fills(req).await.unwrap();
        assert_eq!(fills.len(), 1);
        assert_eq!(txs_of(j, req)[0].status, TxState::Pending, "not journaled");
        live.push((o, fills[0].clone()));
    }
    let second = second().await;
    for (req, (o_live, b)) in orders.iter().zip(&live) {
        let o = second.order_status(req).await.unwrap();
        assert_eq!(o.state, OrderState::Filled, "{}: {o:?}", req.client_id);
        assert_eq!(o.filled, o_live.filled);
        assert_eq!(o.venue_order_id, o_live.venue_order_id);
        let fills = second.order_fills(req).await.unwrap();
        assert_eq!(fills.len(), 1, "{}", req.client_id);
        let a = &fills[0];
        assert_eq!(
            (
                &a.trade_id,
                a.side,
                a.amount,
                a.price,
                a.fee_amount,
                &a.fee_asset
            ),
            (
                &b.trade_id,
                b.side,
                b.amount,
                b.price,
                b.fee_amount,
                &b.fee_asset
            ),
            "{}",
            req.client_id
        );
        let tx = &txs_of(j, req)[0];
        assert_eq!(tx.status, TxState::Mined);
        assert_eq!(tx.fee_native, Some(b.fee_amount));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_native_eth_swaps_are_adopted_with_the_live_fills() {
    let env = LocalEnv::start().await.unwrap();
    let (j, tj) = journal();
    let first = process(&env, 3, tj.clone()).await;
    let second = async || process(&env, 3, tj.clone()).await;
    native_swaps_are_adopted_as_sent(&j, &first, second, &native_orders("v3-native")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_native_eth_swaps_are_adopted_with_the_live_fills() {
    let env = LocalEnv::start().await.unwrap();
    let (j, tj) = journal();
    let first = process_v2(&env, 3, tj.clone()).await;
    let second = async || process_v2(&env, 3, tj.clone()).await;
    native_swaps_are_adopted_as_sent(&j, &first, second, &native_orders("v2-native")).await;
}
