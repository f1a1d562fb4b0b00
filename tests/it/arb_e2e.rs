//! The arbitrage strategy end to end on a real anvil (Uniswap v3 from the deployment snapshot) and the
//! mock Binance, through the real connectors: both directions trade and the journal's PnL equals the
//! measured balance change; unprofitable, fee- or gas-eaten and unaffordable gaps send nothing; and
//! each leg-failure path (AMM revert in AMM-first and in concurrent mode, exchange rejection, the
//! failure limit) is handled by policy, checked on the mock's orders and on chain.
//!
//! A leg is made to fail on purpose, never by chance: automine is switched off while the AMM leg waits
//! in the transaction pool, then another account's swap with a higher priority fee is mined ahead of it
//! in the same block (slippage revert); or the exchange balance is taken away before the exchange leg
//! is sent (Binance's -2010); or the chain's clock is moved past every swap's deadline.

use std::path::PathBuf;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::core::{OrderState, OrderType, Side, TxState};
use sluice::store::{AssetFlow, Journal, JournalOrder};
use sluice::strategy::arb::{ArbEvent, DirectionEdge, RunOutcome, RunSummary};
use sluice_sim::arb_env::{ArbEnv, ArbEnvOptions, Holdings};
use sluice_sim::arb_toml::StrategyToml;
use sluice_sim::exchange::dialects::binance::HttpFault;
use tokio::sync::{mpsc, watch};

use crate::cli_support::arb_env;

const BINANCE: &str = "binance";
const UNISWAP: &str = "uniswap_v3@anvil";
/// Every wait for an event is bounded by this.
const WAIT: Duration = Duration::from_secs(30);

/// The strategy the tests start from: one trade, then the run ends.
fn cfg() -> StrategyToml {
    StrategyToml {
        max_trades: Some(1),
        ..StrategyToml::default()
    }
}

/// A running strategy on an [`ArbEnv`], with every event it emitted kept for the assertions.
struct Run {
    rx: mpsc::UnboundedReceiver<ArbEvent>,
    events: Vec<ArbEvent>,
    stop: watch::Sender<bool>,
    handle: Option<tokio::task::JoinHandle<Result<RunSummary, String>>>,
    journal: PathBuf,
    _dir: tempfile::TempDir,
}

impl Run {
    async fn start(env: &ArbEnv, cfg: &StrategyToml) -> Run {
        Self::start_after(env, cfg, |_| {}).await
    }

    /// Like [`Run::start`], calling `before` once the runner is built and before it runs.
    async fn start_after(env: &ArbEnv, cfg: &StrategyToml, before: impl FnOnce(&ArbEnv)) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.sqlite");
        let (runner, rx) = env
            .runner(&cfg.text(), Journal::open(&journal).unwrap(), "e2e")
            .await
            .unwrap();
        before(env);
        let (stop, stop_rx) = watch::channel(false);
        let handle =
            tokio::spawn(async move { runner.run(stop_rx).await.map_err(|e| e.to_string()) });
        Run {
            rx,
            events: Vec::new(),
            stop,
            handle: Some(handle),
            journal,
            _dir: dir,
        }
    }

    /// Waits (bounded) for the first event, from now on, that `pred` accepts.
    async fn wait_for(&mut self, what: &str, pred: impl Fn(&ArbEvent) -> bool) -> ArbEvent {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ev = tokio::time::timeout_at(deadline, self.rx.recv()).await;
            match ev {
                Ok(Some(ev)) => {
                    self.events.push(ev.clone());
                    if pred(&ev) {
                        return ev;
                    }
                }
                Ok(None) => panic!("the runner ended before {what}; events: {:#?}", self.events),
                Err(_) => panic!("no {what} within {WAIT:?}; events: {:#?}", self.events),
            }
        }
    }

    /// Waits for the runner to end by itself (its outcome was decided).
    async fn finish(&mut self) -> RunSummary {
        let handle = self.handle.take().expect("runner already finished");
        let summary = tokio::time::timeout(WAIT, handle)
            .await
            .unwrap_or_else(|_| panic!("the runner did not end; events: {:#?}", self.events))
            .unwrap()
            .unwrap();
        while let Ok(ev) = self.rx.try_recv() {
            self.events.push(ev);
        }
        summary
    }

    /// Asks the runner to stop, then waits for it.
    async fn stop(&mut self) -> RunSummary {
        let _ = self.stop.send(true);
        self.finish().await
    }

    fn journal(&self) -> Journal {
        Journal::open(&self.journal).unwrap()
    }

    fn orders(&self, run: &RunSummary, venue: &str) -> Vec<JournalOrder> {
        self.journal()
            .orders_of_run(run.run_id)
            .unwrap()
            .into_iter()
            .filter(|o| o.venue == venue)
            .collect()
    }

    fn sent(&self) -> Vec<(String, Side, OrderType)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ArbEvent::OrderSent { venue, order } => {
                    Some((venue.clone(), order.side, order.order_type))
                }
                _ => None,
            })
            .collect()
    }

    fn skips(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ArbEvent::Skipped { reason } => Some(reason.clone()),
                _ => None,
            })
            .collect()
    }
}

fn is_edges(e: &ArbEvent) -> bool {
    matches!(e, ArbEvent::Edges { .. })
}

fn edges_of(e: &ArbEvent) -> Vec<DirectionEdge> {
    match e {
        ArbEvent::Edges { edges } => edges.clone(),
        other => panic!("not an Edges event: {other:?}"),
    }
}

fn is_open_at(venue: &'static str) -> impl Fn(&ArbEvent) -> bool {
    move |e| matches!(e, ArbEvent::OrderUpdate { venue: v, state: OrderState::Open, .. } if v == venue)
}

fn is_stopped(e: &ArbEvent) -> bool {
    matches!(e, ArbEvent::Stopped { .. })
}

fn flow(pnl: &[AssetFlow], asset: &str) -> Decimal {
    pnl.iter()
        .find(|f| f.asset == asset)
        .map_or(Decimal::ZERO, |f| f.net)
}

/// The journal's realized PnL equals the balance change measured on both venues, asset by asset and
/// exactly (Decimal): the mock books every amount with 8 decimals, the chain in raw units that
/// convert exactly, and a swap's fill price is `quote / base` with a base of exactly the order size
/// (a power of two here), so `price * amount` gives the quote amount back without rounding. ETH is
/// both the exchange's base and the chain's gas asset, so its flow is compared with the sum of both.
fn assert_pnl_matches(pnl: &[AssetFlow], change: &Holdings) {
    assert_eq!(
        flow(pnl, "ETH"),
        change.total("ETH"),
        "ETH: {pnl:?} vs {change:?}"
    );
    assert_eq!(
        flow(pnl, "USDT"),
        change.total("USDT"),
        "USDT: {pnl:?} vs {change:?}"
    );
    assert_eq!(
        flow(pnl, "WETH"),
        change.total("WETH"),
        "WETH: {pnl:?} vs {change:?}"
    );
    assert_eq!(
        flow(pnl, "USDC"),
        change.total("USDC"),
        "USDC: {pnl:?} vs {change:?}"
    );
    // At the configuration's rates (WETH = 1 ETH, USDC = 1 USDT) the canonical flows agree too.
    let canon = |a: &str, b: &str| flow(pnl, a) + flow(pnl, b);
    assert_eq!(
        canon("ETH", "WETH"),
        change.total("ETH") + change.total("WETH")
    );
    assert_eq!(
        canon("USDT", "USDC"),
        change.total("USDT") + change.total("USDC")
    );
}

/// Runs one profitable trade to the end and checks both legs and the PnL against the balances.
async fn profitable_trade(options: ArbEnvOptions, cfg: StrategyToml, buy_at: &str, sell_at: &str) {
    let env = ArbEnv::start(options).await.unwrap();
    let before = env.holdings().await.unwrap();
    let mut run = Run::start(&env, &cfg).await;
    let done = run
        .wait_for("a completed trade", |e| {
            matches!(e, ArbEvent::TradeDone { .. })
        })
        .await;
    let ArbEvent::TradeDone {
        expected_profit, ..
    } = done
    else {
        unreachable!()
    };
    assert!(expected_profit > Decimal::ZERO);
    let summary = run.finish().await;
    assert_eq!(summary.outcome, RunOutcome::MaxTrades, "{:#?}", run.events);
    assert_eq!((summary.trades, summary.failures), (1, 0));
    let change = env.holdings().await.unwrap().minus(&before);

    // Both legs executed in full, on the expected sides, and nothing else was sent.
    let sent = run.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    for (venue, side) in [(buy_at, Side::Buy), (sell_at, Side::Sell)] {
        let orders = run.orders(&summary, venue);
        assert_eq!(orders.len(), 1, "{venue}: {orders:?}");
        assert_eq!(orders[0].request.side, side, "{venue}");
        assert_eq!(orders[0].state, OrderState::Filled, "{venue}: {orders:?}");
        assert_eq!(orders[0].filled, cfg.size, "{venue}");
    }
    let ex_orders = env.exchange_orders();
    assert_eq!(ex_orders.len(), 1, "{ex_orders:?}");
    assert_eq!(ex_orders[0].status, "FILLED");
    assert_eq!(ex_orders[0].executed_qty, cfg.size);

    // The journal's PnL is the balance change, gas and fees included.
    assert_pnl_matches(&summary.pnl, &change);
    // The gap was earned in the quote asset; the base came back but for the exchange's fee when
    // it was paid in ETH (buying at the exchange); gas was paid on chain.
    assert!(
        change.total("USDT") + change.total("USDC") > Decimal::ZERO,
        "{change:?}"
    );
    let fee_eth = if buy_at == BINANCE {
        cfg.size * env.options().exchange_fee
    } else {
        Decimal::ZERO
    };
    assert_eq!(
        change.exchange["ETH"] + change.chain["WETH"],
        -fee_eth,
        "{change:?}"
    );
    assert!(
        change.chain["ETH"] < Decimal::ZERO,
        "gas was paid: {change:?}"
    );
    // Every transaction of the trader is in the journal (the approval and the swap).
    let txs = run.journal().transactions_of_run(summary.run_id).unwrap();
    let nonce = env.nonce().await.unwrap();
    let mined: Vec<_> = txs.iter().filter(|t| t.status == TxState::Mined).collect();
    assert!(!mined.is_empty());
    assert_eq!(
        mined.iter().map(|t| t.nonce).max(),
        Some(nonce - 1),
        "{txs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_above_pool_buys_on_chain_sells_at_the_exchange_and_pnl_equals_balances() {
    let options = ArbEnvOptions {
        exchange_mid: dec!(3100),
        account_index: 1,
        ..ArbEnvOptions::default()
    };
    let cfg = StrategyToml {
        execution: "concurrent",
        ..cfg()
    };
    profitable_trade(options, cfg, UNISWAP, BINANCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_above_exchange_buys_at_the_exchange_sells_on_chain_and_pnl_equals_balances() {
    let options = ArbEnvOptions {
        exchange_mid: dec!(2900),
        account_index: 2,
        wrap_eth: dec!(3),
        ..ArbEnvOptions::default()
    };
    let cfg = StrategyToml {
        execution: "amm_first",
        size: dec!(0.5),
        ..cfg()
    };
    profitable_trade(options, cfg, BINANCE, UNISWAP).await;
}

/// What must hold when nothing was sent: no order event, no order at the exchange, no journal
/// order, the trader's nonce unchanged and its balances untouched.
async fn assert_nothing_sent(
    env: &ArbEnv,
    run: &Run,
    summary: &RunSummary,
    nonce: u64,
    held: &Holdings,
) {
    assert!(run.sent().is_empty(), "{:#?}", run.events);
    assert!(
        env.exchange_orders().is_empty(),
        "{:?}",
        env.exchange_orders()
    );
    assert!(
        run.journal()
            .orders_of_run(summary.run_id)
            .unwrap()
            .is_empty()
    );
    assert_eq!(env.nonce().await.unwrap(), nonce, "a transaction was sent");
    assert_eq!(&env.holdings().await.unwrap(), held);
    assert_eq!((summary.trades, summary.failures), (0, 0));
}

/// Makes the strategy evaluate again: a book change at the exchange (more liquidity on the seeded
/// levels) and a pool change on chain (a small swap by dev account `mover`).
async fn poke_both_venues(env: &ArbEnv, mover: usize, mid: Decimal) {
    env.mock
        .seed_book("ETHUSDT", mid, 2, 100, dec!(0.1))
        .unwrap();
    env.send_pool_swap(mover, 500, Side::Buy, dec!(100))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_gap_sends_nothing() {
    let mid = dec!(3000);
    let env = arb_env(mid, 3, false).await;
    env.prepare_mover(4, dec!(1)).await.unwrap();
    let (nonce, held) = (env.nonce().await.unwrap(), env.holdings().await.unwrap());
    let mut run = Run::start(&env, &cfg()).await;
    let first = run.wait_for("the first evaluation", is_edges).await;
    poke_both_venues(&env, 4, mid).await;
    // Re-evaluated on the book change and on the pool change (the block the swap made).
    run.wait_for("a second evaluation", is_edges).await;
    run.wait_for("a third evaluation", is_edges).await;
    let summary = run.stop().await;
    assert_eq!(summary.outcome, RunOutcome::Stopped);
    let edges = edges_of(&first);
    assert_eq!(edges.len(), 2, "both directions evaluated: {edges:?}");
    for e in run.events.iter().filter(|e| is_edges(e)).flat_map(edges_of) {
        assert!(e.profit < Decimal::ZERO, "{e:?}");
    }
    assert!(run.skips().is_empty());
    assert_nothing_sent(&env, &run, &summary, nonce, &held).await;
}

/// The ETH bought on the pool sold into the exchange's bids, before any fee: what the book pays.
fn gross_bid_proceeds(env: &ArbEnv, size: Decimal) -> Decimal {
    let book = env.mock.book("ETHUSDT").unwrap();
    let (mut left, mut total) = (size, Decimal::ZERO);
    for (price, qty) in book.bids {
        let take = left.min(qty);
        total += take * price;
        left -= take;
        if left.is_zero() {
            break;
        }
    }
    assert!(left.is_zero(), "the book is too thin");
    total
}

fn buy_pool_sell_exchange(e: &ArbEvent) -> DirectionEdge {
    edges_of(e)
        .into_iter()
        .find(|d| d.direction == sluice::strategy::arb::Direction::BuyBSellA)
        .expect("the direction buy on the pool / sell at the exchange was evaluated")
}

fn pct(profit: Decimal, paid: Decimal) -> Decimal {
    profit / paid * Decimal::ONE_HUNDRED
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_fee_eats_the_gap_so_nothing_is_sent() {
    // A 1 % gap (the book around 3030, the pool at 3000) and a 1 % taker fee at the exchange.
    let env = ArbEnv::start(ArbEnvOptions {
        exchange_mid: dec!(3030),
        exchange_fee: dec!(0.01),
        account_index: 5,
        ..ArbEnvOptions::default()
    })
    .await
    .unwrap();
    let cfg = cfg();
    let (nonce, held) = (env.nonce().await.unwrap(), env.holdings().await.unwrap());
    let mut run = Run::start(&env, &cfg).await;
    let edge = buy_pool_sell_exchange(&run.wait_for("the first evaluation", is_edges).await);
    let summary = run.stop().await;
    // Before the exchange's fee the gap pays more than the threshold; after it, it loses.
    let gross = gross_bid_proceeds(&env, cfg.size);
    assert!(
        pct(gross - edge.pay, edge.pay) >= cfg.min_profit_pct,
        "gross {gross}, {edge:?}"
    );
    assert!(edge.receive < gross);
    assert!(edge.profit < Decimal::ZERO, "{edge:?}");
    assert!(run.skips().is_empty());
    assert_nothing_sent(&env, &run, &summary, nonce, &held).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gas_eats_the_gap_so_nothing_is_sent() {
    let env = arb_env(dec!(3100), 6, false).await;
    // Price the swap's gas so that it costs twice the gap: the quotes the strategy will see are
    // the venues' own, taken here the same way.
    let req = |pair: &str, side| sluice::core::QuoteRequest {
        pair: pair.parse().unwrap(),
        side,
        base_amount: Decimal::ONE,
    };
    let venues = env.venues();
    let pool = venues[1].quote(&req("WETH-USDC", Side::Buy)).await.unwrap();
    let exchange = venues[0].quote(&req("ETH-USDT", Side::Sell)).await.unwrap();
    let gap = exchange.quote_amount - pool.quote_amount;
    let gas_eth = pool.gas.as_ref().expect("a swap costs gas").native_amount;
    assert!(gap > Decimal::ZERO && gas_eth > Decimal::ZERO);
    let cfg = StrategyToml {
        gas_native_price: Some((gap * Decimal::TWO / gas_eth).round_dp(2)),
        ..cfg()
    };
    let (nonce, held) = (env.nonce().await.unwrap(), env.holdings().await.unwrap());
    let mut run = Run::start(&env, &cfg).await;
    let edge = buy_pool_sell_exchange(&run.wait_for("the first evaluation", is_edges).await);
    let summary = run.stop().await;
    // Without the gas the trade beats the threshold; with it, it loses.
    let pay_before_gas = edge.pay - edge.gas;
    assert!(edge.gas > Decimal::ZERO);
    assert!(
        pct(edge.profit + edge.gas, pay_before_gas) >= cfg.min_profit_pct,
        "{edge:?}"
    );
    assert!(edge.profit < Decimal::ZERO, "{edge:?}");
    assert_nothing_sent(&env, &run, &summary, nonce, &held).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_balance_on_either_venue_is_skipped_with_the_reason() {
    let mid = dec!(3100);
    let env = arb_env(mid, 7, false).await;
    env.prepare_mover(8, dec!(1)).await.unwrap();
    // The trade sells 1 ETH at the exchange: hold only half of it there.
    env.set_exchange_balance("ETH", dec!(0.5)).unwrap();
    let nonce = env.nonce().await.unwrap();
    let mut run = Run::start(&env, &cfg()).await;
    let skipped = run
        .wait_for("a skip", |e| matches!(e, ArbEvent::Skipped { .. }))
        .await;
    let ArbEvent::Skipped { reason } = skipped else {
        unreachable!()
    };
    assert_eq!(reason, "insufficient ETH at binance: need 1, have 0.5");

    // Now the exchange holds enough, but the USDC to buy on chain is gone.
    env.drain_token("USDC").await.unwrap();
    env.set_exchange_balance("ETH", dec!(100)).unwrap();
    let (nonce_after_drain, held) = (env.nonce().await.unwrap(), env.holdings().await.unwrap());
    assert_eq!(nonce_after_drain, nonce + 1);
    poke_both_venues(&env, 8, mid).await;
    let skipped = run
        .wait_for(
            "a skip for USDC",
            |e| matches!(e, ArbEvent::Skipped { reason } if reason.contains("USDC")),
        )
        .await;
    let ArbEvent::Skipped { reason } = skipped else {
        unreachable!()
    };
    assert!(
        reason.starts_with("insufficient USDC at uniswap_v3@anvil: need 30"),
        "{reason}"
    );
    assert!(reason.ends_with("have 0"), "{reason}");
    let summary = run.stop().await;
    assert_nothing_sent(&env, &run, &summary, nonce_after_drain, &held).await;
}

/// Starts an environment in which dev account `mover` can front-run the trader, with the trader's
/// router approvals done beforehand (so its swap is its only transaction), and automine off: the
/// trader's swap waits in the pool until the test mines it.
async fn frontrun_env(account: u64, mover: usize, mid: Decimal) -> ArbEnv {
    let env = arb_env(mid, account, true).await;
    env.prepare_mover(mover, dec!(1)).await.unwrap();
    env.set_automine(false).await.unwrap();
    env
}

/// With the trader's swap (buying WETH) in the pool, buys WETH for 60 000 USDC in both WETH/USDC
/// pools ahead of it, then mines the block: the trader's swap then needs far more than its bound
/// and reverts. Automine is back on afterwards.
async fn front_run_and_mine(env: &ArbEnv, mover: usize) {
    for fee in [500, 3000] {
        env.send_pool_swap(mover, fee, Side::Buy, dec!(60000))
            .await
            .unwrap();
    }
    env.set_automine(true).await.unwrap();
    env.mine().await.unwrap();
}

fn leg_failures(run: &Run) -> Vec<String> {
    run.events
        .iter()
        .filter_map(|e| match e {
            ArbEvent::LegFailed { detail, .. } => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

/// Runs `cfg` on a [`frontrun_env`] (trader `account`, front-runner dev account `mover`), lets
/// the mover's swap be mined before the strategy's (which then reverts on its slippage bound), and
/// waits for the run to end: the environment, the holdings before, the run and its summary.
async fn front_run_the_swap(
    account: u64,
    mover: usize,
    cfg: &StrategyToml,
) -> (ArbEnv, Holdings, Run, RunSummary) {
    let env = frontrun_env(account, mover, dec!(3100)).await;
    let held = env.holdings().await.unwrap();
    let mut run = Run::start(&env, cfg).await;
    run.wait_for("the swap in the pool", is_open_at(UNISWAP))
        .await;
    front_run_and_mine(&env, mover).await;
    run.wait_for("the end", is_stopped).await;
    let summary = run.finish().await;
    (env, held, run, summary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amm_first_swap_reverting_on_slippage_sends_no_exchange_order() {
    let cfg = StrategyToml {
        execution: "amm_first",
        amm_slippage_pct: dec!(0.1),
        max_failures: 1,
        ..cfg()
    };
    let (env, held, run, summary) = front_run_the_swap(1, 2, &cfg).await;

    // The swap reverted on chain, and the exchange leg was never sent.
    let swaps = run.orders(&summary, UNISWAP);
    assert_eq!(swaps.len(), 1);
    assert_eq!(swaps[0].state, OrderState::Failed);
    let reason = swaps[0].reason.clone().unwrap_or_default();
    assert!(reason.contains("swap reverted"), "{reason}");
    let txs = run.journal().transactions_of_run(summary.run_id).unwrap();
    assert!(txs.iter().any(|t| t.status == TxState::Reverted), "{txs:?}");
    assert!(run.orders(&summary, BINANCE).is_empty());
    assert!(
        env.exchange_orders().is_empty(),
        "{:?}",
        env.exchange_orders()
    );
    assert_eq!(
        run.sent(),
        vec![(UNISWAP.to_string(), Side::Buy, OrderType::Swap)]
    );
    assert_eq!(
        leg_failures(&run),
        vec!["AMM leg did not fill: the exchange leg was not sent".to_string()]
    );
    // Only the reverted swap's gas was spent; the journal's PnL says so too.
    let change = env.holdings().await.unwrap().minus(&held);
    assert_eq!(change.chain["WETH"], Decimal::ZERO);
    assert_eq!(change.chain["USDC"], Decimal::ZERO);
    assert_eq!(change.exchange["ETH"], Decimal::ZERO);
    assert_eq!(change.exchange["USDT"], Decimal::ZERO);
    assert!(change.chain["ETH"] < Decimal::ZERO);
    assert_pnl_matches(&summary.pnl, &change);
    assert_eq!(summary.failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_swap_reverting_unwinds_the_exchange_leg() {
    let cfg = StrategyToml {
        execution: "concurrent",
        on_leg_failure: "unwind",
        amm_slippage_pct: dec!(0.1),
        max_failures: 1,
        ..cfg()
    };
    let (env, held, run, summary) = front_run_the_swap(3, 4, &cfg).await;

    // The exchange sold 1 ETH at once; the swap reverted; the sale was bought back with an IOC
    // limit bounded by the ask plus the leg's slippage.
    let ex = env.exchange_orders();
    assert_eq!(ex.len(), 2, "{ex:?}");
    assert_eq!(
        (ex[0].side.as_str(), ex[0].order_type.as_str()),
        ("SELL", "LIMIT")
    );
    assert_eq!(
        (ex[1].side.as_str(), ex[1].order_type.as_str()),
        ("BUY", "LIMIT")
    );
    for o in &ex {
        assert_eq!(o.status, "FILLED", "{o:?}");
        assert_eq!(o.executed_qty, cfg.size);
    }
    let journal_orders = run.orders(&summary, BINANCE);
    assert_eq!(journal_orders.len(), 2);
    assert!(journal_orders.iter().all(|o| o.state == OrderState::Filled));
    let swaps = run.orders(&summary, UNISWAP);
    assert_eq!(swaps.len(), 1);
    assert_eq!(swaps[0].state, OrderState::Failed);
    // No position is left: the ETH sold came back, less the taker fee paid in ETH on the buy.
    let change = env.holdings().await.unwrap().minus(&held);
    assert_eq!(
        change.exchange["ETH"],
        -cfg.size * env.options().exchange_fee,
        "{change:?}"
    );
    assert_eq!(change.chain["WETH"], Decimal::ZERO);
    assert_eq!(change.chain["USDC"], Decimal::ZERO);
    assert_pnl_matches(&summary.pnl, &change);
    let failures = leg_failures(&run);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with("legs ended unbalanced"),
        "{failures:?}"
    );
    assert_eq!(summary.failures, 1);
    assert!(
        matches!(&summary.outcome, RunOutcome::TooManyFailures(m) if m.contains("the exposure was closed by policy")),
        "{:?}",
        summary.outcome
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_rejecting_its_leg_unwinds_the_swap_on_chain() {
    let env = arb_env(dec!(3100), 5, true).await;
    env.set_automine(false).await.unwrap();
    let held = env.holdings().await.unwrap();
    let cfg = StrategyToml {
        execution: "amm_first",
        on_leg_failure: "unwind",
        max_failures: 1,
        ..cfg()
    };
    let mut run = Run::start(&env, &cfg).await;
    run.wait_for("the swap in the pool", is_open_at(UNISWAP))
        .await;
    // The ETH to sell at the exchange is gone before the exchange leg leaves.
    env.set_exchange_balance("ETH", Decimal::ZERO).unwrap();
    env.set_automine(true).await.unwrap();
    env.mine().await.unwrap();
    run.wait_for("the end", is_stopped).await;
    let summary = run.finish().await;

    // The exchange refused the sale with Binance's insufficient-balance error (-2010).
    let ex = run.orders(&summary, BINANCE);
    assert_eq!(ex.len(), 1, "{ex:?}");
    assert_eq!(ex[0].state, OrderState::Failed);
    let rejection = run
        .events
        .iter()
        .find_map(|e| match e {
            ArbEvent::OrderUpdate {
                venue,
                state: OrderState::Failed,
                reason: Some(r),
                ..
            } if venue == BINANCE => Some(r.clone()),
            _ => None,
        })
        .expect("the rejection was reported");
    assert!(rejection.contains("-2010"), "{rejection}");
    assert!(rejection.contains("insufficient balance"), "{rejection}");
    assert!(env.exchange_orders().is_empty());
    // The WETH bought on chain was sold back on chain: no WETH left, only the round trip's cost.
    let swaps = run.orders(&summary, UNISWAP);
    assert_eq!(swaps.len(), 2, "{swaps:?}");
    assert_eq!(
        swaps
            .iter()
            .map(|o| (o.request.side, o.state))
            .collect::<Vec<_>>(),
        vec![
            (Side::Buy, OrderState::Filled),
            (Side::Sell, OrderState::Filled)
        ]
    );
    let change = env.holdings().await.unwrap().minus(&held);
    assert_eq!(change.chain["WETH"], Decimal::ZERO, "{change:?}");
    assert!(change.chain["USDC"] < Decimal::ZERO, "{change:?}");
    assert_eq!(change.exchange["USDT"], Decimal::ZERO);
    assert_eq!(
        change.exchange["ETH"], -held.exchange["ETH"],
        "the test's own drain"
    );
    let mut trading = change.clone();
    trading.exchange.insert("ETH".into(), Decimal::ZERO);
    assert_pnl_matches(&summary.pnl, &trading);
    assert_eq!(summary.failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_with_a_clear_message_after_max_failures() {
    let env = arb_env(dec!(3100), 6, false).await;
    // Every swap's deadline (now + 120 s) is already past on chain: each one reverts.
    env.advance_time(3600).await.unwrap();
    let cfg = StrategyToml {
        execution: "amm_first",
        max_failures: 2,
        max_trades: Some(5),
        ..cfg()
    };
    let mut run = Run::start(&env, &cfg).await;
    let stopped = run.wait_for("the end", is_stopped).await;
    let summary = run.finish().await;
    let expected =
        "2 failed trades (limit 2); last: AMM leg did not fill: the exchange leg was not sent";
    assert_eq!(
        stopped_outcome(&stopped),
        RunOutcome::TooManyFailures(expected.into())
    );
    assert_eq!(
        summary.outcome,
        RunOutcome::TooManyFailures(expected.into())
    );
    assert_eq!((summary.trades, summary.failures), (0, 2));
    let swaps = run.orders(&summary, UNISWAP);
    assert_eq!(swaps.len(), 2);
    for s in &swaps {
        assert_eq!(s.state, OrderState::Failed);
        let reason = s.reason.clone().unwrap_or_default();
        assert!(reason.contains("Transaction too old"), "{reason}");
    }
    assert!(env.exchange_orders().is_empty());
    assert_eq!(leg_failures(&run).len(), 2);
}

fn stopped_outcome(e: &ArbEvent) -> RunOutcome {
    match e {
        ArbEvent::Stopped { outcome } => outcome.clone(),
        other => panic!("not Stopped: {other:?}"),
    }
}

/// An environment with automine off and the trader's approvals done, and a run whose AMM leg (a
/// WETH buy, the book being above the pool) waits in the transaction pool.
async fn swap_waiting_in_the_pool(account: u64, cfg: &StrategyToml) -> (ArbEnv, Holdings, Run) {
    let env = arb_env(dec!(3100), account, true).await;
    env.set_automine(false).await.unwrap();
    let held = env.holdings().await.unwrap();
    let mut run = Run::start(&env, cfg).await;
    run.wait_for("the swap in the pool", is_open_at(UNISWAP))
        .await;
    (env, held, run)
}

async fn mine_now(env: &ArbEnv) {
    env.set_automine(true).await.unwrap();
    env.mine().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_leg_expiring_unfilled_is_hedged_with_a_bounded_limit_order() {
    let cfg = StrategyToml {
        execution: "amm_first",
        on_leg_failure: "hedge",
        max_failures: 1,
        ..cfg()
    };
    let (env, held, mut run) = swap_waiting_in_the_pool(7, &cfg).await;
    // A competitor takes the ten best bids: the strategy's IOC limit no longer meets a bid.
    env.exchange_taker_sell(dec!(5)).await.unwrap();
    mine_now(&env).await;
    run.wait_for("the end", is_stopped).await;
    let summary = run.finish().await;

    let ex = env.exchange_orders();
    assert_eq!(ex.len(), 2, "{ex:?}");
    assert_eq!(
        (
            ex[0].side.as_str(),
            ex[0].order_type.as_str(),
            ex[0].status.as_str()
        ),
        ("SELL", "LIMIT", "EXPIRED")
    );
    assert_eq!(ex[0].executed_qty, Decimal::ZERO);
    assert_eq!(
        (
            ex[1].side.as_str(),
            ex[1].order_type.as_str(),
            ex[1].status.as_str()
        ),
        ("SELL", "LIMIT", "FILLED")
    );
    assert_eq!(ex[1].executed_qty, cfg.size);
    // bounded: an IOC limit no lower than the executable quote less the leg's slippage
    let hedge = run
        .orders(&summary, BINANCE)
        .into_iter()
        .nth(1)
        .expect("the hedge");
    assert_eq!(hedge.request.order_type, OrderType::Limit);
    assert_eq!(hedge.request.time_in_force, sluice::core::TimeInForce::Ioc);
    assert!(hedge.request.price.is_some(), "{hedge:?}");
    // The ETH bought on chain is sold at the exchange after all: no net position.
    let change = env.holdings().await.unwrap().minus(&held);
    assert_eq!(change.chain["WETH"], cfg.size);
    assert_eq!(change.exchange["ETH"], -cfg.size);
    assert_pnl_matches(&summary.pnl, &change);
    assert_eq!(summary.failures, 1);
    assert!(
        matches!(&summary.outcome, RunOutcome::TooManyFailures(m) if m.contains("the exposure was closed by policy")),
        "{:?}",
        summary.outcome
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_rejecting_its_leg_under_the_stop_policy_stops_with_the_exposure_recorded() {
    let cfg = StrategyToml {
        execution: "amm_first",
        on_leg_failure: "stop",
        max_failures: 3,
        ..cfg()
    };
    let (env, held, mut run) = swap_waiting_in_the_pool(8, &cfg).await;
    env.set_exchange_balance("ETH", Decimal::ZERO).unwrap();
    mine_now(&env).await;
    run.wait_for("the end", is_stopped).await;
    let summary = run.finish().await;

    assert_eq!(
        summary.outcome,
        RunOutcome::PolicyStop("legs ended unbalanced: net base exposure 1".into())
    );
    assert_eq!((summary.trades, summary.failures), (0, 1));
    // Nothing was corrected: the WETH bought stays on chain, and the journal accounts for it.
    assert!(env.exchange_orders().is_empty());
    assert_eq!(run.orders(&summary, UNISWAP).len(), 1);
    let change = env.holdings().await.unwrap().minus(&held);
    assert_eq!(change.chain["WETH"], cfg.size);
    assert_eq!(flow(&summary.pnl, "WETH"), cfg.size);
    let mut trading = change.clone();
    trading.exchange.insert("ETH".into(), Decimal::ZERO);
    assert_pnl_matches(&summary.pnl, &trading);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hedge_rejected_too_stops_the_run_and_counts_the_failure() {
    let cfg = StrategyToml {
        execution: "amm_first",
        on_leg_failure: "hedge",
        max_failures: 3,
        ..cfg()
    };
    let (env, held, mut run) = swap_waiting_in_the_pool(9, &cfg).await;
    // No ETH at the exchange: the leg and its hedge are both refused (-2010).
    env.set_exchange_balance("ETH", Decimal::ZERO).unwrap();
    mine_now(&env).await;
    run.wait_for("the end", is_stopped).await;
    let summary = run.finish().await;

    assert_eq!(
        summary.outcome,
        RunOutcome::PolicyStop("exposure of 1 remains after the corrective order".into())
    );
    assert_eq!((summary.trades, summary.failures), (0, 1));
    let ex = run.orders(&summary, BINANCE);
    assert_eq!(ex.len(), 2, "the leg and its hedge: {ex:?}");
    assert!(ex.iter().all(|o| o.state == OrderState::Failed));
    assert_eq!(ex[1].request.order_type, OrderType::Limit);
    assert!(ex[1].request.price.is_some(), "bounded: {:?}", ex[1]);
    let change = env.holdings().await.unwrap().minus(&held);
    assert_eq!(change.chain["WETH"], cfg.size);
    let mut trading = change.clone();
    trading.exchange.insert("ETH".into(), Decimal::ZERO);
    assert_pnl_matches(&summary.pnl, &trading);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_balance_query_skips_the_evaluation_and_the_run_goes_on() {
    let mid = dec!(3100);
    let env = ArbEnv::start(ArbEnvOptions {
        exchange_mid: mid,
        account_index: 4,
        // No background polling: the strategy's balance query is the next REST request.
        reconcile_interval: Duration::from_secs(600),
        ..ArbEnvOptions::default()
    })
    .await
    .unwrap();
    let cfg = cfg();
    // The exchange answers the balance query with a gateway's error page.
    let mut run = Run::start_after(&env, &cfg, |env| {
        env.mock
            .inject_http_fault(HttpFault::HtmlPage { status: 503 })
    })
    .await;
    let skipped = run
        .wait_for("a skip", |e| matches!(e, ArbEvent::Skipped { .. }))
        .await;
    let ArbEvent::Skipped { reason } = skipped else {
        unreachable!()
    };
    assert!(
        reason.starts_with("balances of binance unavailable"),
        "{reason}"
    );
    assert!(env.exchange_orders().is_empty());
    // The next book update is evaluated again, and this time the trade goes through.
    env.mock
        .seed_book("ETHUSDT", mid, 2, 100, dec!(0.1))
        .unwrap();
    run.wait_for("a completed trade", |e| {
        matches!(e, ArbEvent::TradeDone { .. })
    })
    .await;
    let summary = run.finish().await;
    assert_eq!(summary.outcome, RunOutcome::MaxTrades);
    assert_eq!((summary.trades, summary.failures), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_leg_partially_filled_unwinds_the_rest_on_chain() {
    let cfg = StrategyToml {
        execution: "amm_first",
        on_leg_failure: "unwind",
        max_failures: 1,
        ..cfg()
    };
    let (env, held, mut run) = swap_waiting_in_the_pool(6, &cfg).await;
    // The strategy will sell 1 ETH with a limit of 3091.80: a competitor leaves only the 0.5 ETH
    // bid at 3092 above it.
    env.exchange_taker_sell(dec!(3.5)).await.unwrap();
    mine_now(&env).await;
    run.wait_for("the end", is_stopped).await;
    let summary = run.finish().await;

    let ex = env.exchange_orders();
    assert_eq!(ex.len(), 1, "{ex:?}");
    assert_eq!(
        (ex[0].status.as_str(), ex[0].executed_qty),
        ("EXPIRED", dec!(0.5))
    );
    // 1 WETH bought, 0.5 ETH sold: the other 0.5 WETH is sold back on chain.
    let swaps = run.orders(&summary, UNISWAP);
    assert_eq!(
        swaps
            .iter()
            .map(|o| (o.request.side, o.request.amount, o.state))
            .collect::<Vec<_>>(),
        vec![
            (Side::Buy, Decimal::ONE, OrderState::Filled),
            (Side::Sell, dec!(0.5), OrderState::Filled)
        ]
    );
    let change = env.holdings().await.unwrap().minus(&held);
    assert_eq!(change.chain["WETH"], dec!(0.5));
    assert_eq!(change.exchange["ETH"], dec!(-0.5));
    assert_pnl_matches(&summary.pnl, &change);
    assert_eq!((summary.trades, summary.failures), (0, 1));
}
