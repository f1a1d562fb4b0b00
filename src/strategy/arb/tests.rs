//! Strategy tests against two simulated venues: an exchange-like book venue and a constant-product AMM
//! venue with gas. They check the decisions (trade, hold, skip), both execution modes, failure
//! policies, the failure limit, restart reconciliation, and that the journal's PnL equals the balance
//! change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::sync::{mpsc, watch};

use super::*;
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, GasCost, MarketRules, Order, OrderRequest, OrderState,
    OrderType, Pair, Quote, QuoteRequest, Side, TimeInForce, VenueEvent,
};
use crate::store::{Journal, RunAlias, RunKind, RunLeg, RunScope};
use crate::venue::{EventHub, EventReceiver, Execution, Venue, VenueError, VenueId, VenueKind};

/// How a simulated venue prices.
#[derive(Clone)]
enum Pricing {
    /// A book with a fixed bid/ask and unlimited depth.
    Book { bid: Decimal, ask: Decimal },
    /// x*y = k with reserves (base, quote).
    Pool { base: Decimal, quote: Decimal },
}

struct SimState {
    pricing: Pricing,
    balances: HashMap<Asset, Decimal>,
    orders: HashMap<ClientOrderId, Order>,
    fills: HashMap<ClientOrderId, Vec<Fill>>,
    /// Reject the next submit with this reason.
    reject_next: Option<String>,
    /// Make the next swap revert (slippage).
    revert_next: bool,
    /// Make every swap revert.
    revert_all: bool,
    /// Let every limit order expire unfilled (the book moved away from its bound).
    expire_limits: bool,
    trade_seq: u64,
    submitted: Vec<OrderRequest>,
}

struct SimVenue {
    id: VenueId,
    kind: VenueKind,
    /// What it declares to the strategy (by default the usual shape of its kind).
    execution: Execution,
    rules: MarketRules,
    fee: Decimal,
    gas_native: Option<Decimal>,
    state: Mutex<SimState>,
    hub: EventHub,
}

impl SimVenue {
    fn new(
        id: &str,
        kind: VenueKind,
        pair: &str,
        pricing: Pricing,
        fee: Decimal,
        balances: &[(&str, Decimal)],
    ) -> Arc<Self> {
        let pair: Pair = pair.parse().unwrap();
        let mut rules = MarketRules::unrestricted(pair, "SIM", fee);
        if kind == VenueKind::Cex {
            rules.tick_size = dec!(0.01);
            rules.step_size = dec!(0.0001);
            rules.min_notional = dec!(5);
        }
        Arc::new(Self {
            id: id.parse().unwrap(),
            kind,
            execution: match kind {
                VenueKind::Amm => Execution::SwapMinOut,
                VenueKind::Perp => Execution::PositionChange,
                VenueKind::Cex | VenueKind::Clob => Execution::IocLimit,
            },
            rules,
            fee,
            gas_native: (kind == VenueKind::Amm).then_some(dec!(0.002)),
            state: Mutex::new(SimState {
                pricing,
                balances: balances
                    .iter()
                    .map(|(a, v)| (Asset::new(a).unwrap(), *v))
                    .collect(),
                orders: HashMap::new(),
                fills: HashMap::new(),
                reject_next: None,
                revert_next: false,
                revert_all: false,
                expire_limits: false,
                trade_seq: 0,
                submitted: Vec::new(),
            }),
            hub: EventHub::new(),
        })
    }

    fn st(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap()
    }

    fn balance(&self, a: &str) -> Decimal {
        self.st()
            .balances
            .get(&Asset::new(a).unwrap())
            .copied()
            .unwrap_or_default()
    }

    /// Quote amount (fees included) and worst price for `size` on `side`.
    fn price(
        pricing: &Pricing,
        side: Side,
        size: Decimal,
        fee: Decimal,
    ) -> Result<(Decimal, Decimal), VenueError> {
        // Quote amounts have 6 decimals, like USDT and USDC; rounded against the trader.
        let r = |(q, w): (Decimal, Decimal), side: Side| {
            let strategy = match side {
                Side::Buy => rust_decimal::RoundingStrategy::AwayFromZero,
                Side::Sell => rust_decimal::RoundingStrategy::ToZero,
            };
            (q.round_dp_with_strategy(6, strategy), w)
        };
        Self::price_exact(pricing, side, size, fee).map(|x| r(x, side))
    }

    fn price_exact(
        pricing: &Pricing,
        side: Side,
        size: Decimal,
        fee: Decimal,
    ) -> Result<(Decimal, Decimal), VenueError> {
        match pricing {
            Pricing::Book { bid, ask } => Ok(match side {
                Side::Buy => (size * ask * (Decimal::ONE + fee), *ask),
                Side::Sell => (size * bid * (Decimal::ONE - fee), *bid),
            }),
            Pricing::Pool { base, quote } => match side {
                Side::Buy => {
                    if size >= *base {
                        return Err(VenueError::InsufficientLiquidity("pool too small".into()));
                    }
                    let q_in = quote * size / (base - size) / (Decimal::ONE - fee);
                    Ok((q_in, (quote + q_in) / (base - size)))
                }
                Side::Sell => {
                    let eff = size * (Decimal::ONE - fee);
                    let q_out = quote * eff / (base + eff);
                    Ok((q_out, (quote - q_out) / (base + size)))
                }
            },
        }
    }

    fn gas(&self) -> Option<GasCost> {
        self.gas_native.map(|g| GasCost {
            gas_units: 150_000,
            native_asset: Asset::new("ETH").unwrap(),
            native_amount: g,
            quote_amount: None,
        })
    }

    fn settle(&self, st: &mut SimState, order: &OrderRequest, quote_amount: Decimal) -> Fill {
        let (base, quote) = (order.pair.base.clone(), order.pair.quote.clone());
        let sign = if order.side == Side::Buy {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        *st.balances.entry(base).or_default() += sign * order.amount;
        *st.balances.entry(quote.clone()).or_default() -= sign * quote_amount;
        if let Some(g) = self.gas_native {
            *st.balances.entry(Asset::new("ETH").unwrap()).or_default() -= g;
        }
        if let Pricing::Pool { base: b, quote: q } = &mut st.pricing {
            // Fees stay in the pool.
            *b -= sign * order.amount;
            *q += sign * quote_amount;
        }
        st.trade_seq += 1;
        // An exchange reports its fee separately and the price net of it; a swap's pool fee is inside
        // its price and its fee is the gas, in the native asset.
        let (price, fee_asset, fee_amount) = match self.gas_native {
            Some(g) => (quote_amount / order.amount, Asset::new("ETH").unwrap(), g),
            None => {
                let gross = quote_amount / (Decimal::ONE + sign * self.fee);
                (
                    gross / order.amount,
                    quote.clone(),
                    sign * (quote_amount - gross),
                )
            }
        };
        Fill {
            venue: self.id.to_string(),
            trade_id: format!("{}-{}", self.id, st.trade_seq),
            client_id: Some(order.client_id.clone()),
            venue_order_id: Some(st.trade_seq.to_string()),
            pair: order.pair.clone(),
            side: order.side,
            price,
            amount: order.amount,
            fee_asset,
            fee_amount,
            is_maker: false,
            timestamp_ms: st.trade_seq,
        }
    }

    fn publish_state(&self, id: &ClientOrderId, state: OrderState, reason: Option<String>) {
        self.hub.publish(VenueEvent::Order {
            client_id: id.clone(),
            venue_order_id: None,
            state,
            reason,
        });
    }
}

/// The same venue declaring another execution than its kind's usual one.
fn executing(v: Arc<SimVenue>, execution: Execution) -> Arc<SimVenue> {
    let mut v = Arc::try_unwrap(v).unwrap_or_else(|_| panic!("a fresh venue"));
    v.execution = execution;
    Arc::new(v)
}

#[async_trait]
impl Venue for SimVenue {
    fn id(&self) -> &VenueId {
        &self.id
    }
    fn kind(&self) -> VenueKind {
        self.kind
    }
    fn execution(&self) -> Execution {
        self.execution
    }
    async fn markets(&self) -> Result<Vec<MarketRules>, VenueError> {
        Ok(vec![self.rules.clone()])
    }
    async fn quote(&self, r: &QuoteRequest) -> Result<Quote, VenueError> {
        let (quote_amount, worst) =
            Self::price(&self.st().pricing, r.side, r.base_amount, self.fee)?;
        Ok(Quote {
            venue: self.id.to_string(),
            pair: r.pair.clone(),
            side: r.side,
            base_amount: r.base_amount,
            quote_amount,
            average_price: quote_amount / r.base_amount,
            worst_price: worst,
            fee_asset: r.pair.quote.clone(),
            fee_amount: Decimal::ZERO,
            gas: self.gas(),
        })
    }
    async fn balances(&self) -> Result<Vec<Balance>, VenueError> {
        Ok(self
            .st()
            .balances
            .iter()
            .map(|(a, v)| Balance::new(a.clone(), *v, *v))
            .collect())
    }
    async fn submit(&self, order: OrderRequest) -> Result<ClientOrderId, VenueError> {
        let id = order.client_id.clone();
        let mut st = self.st();
        st.submitted.push(order.clone());
        if let Some(reason) = st.reject_next.take() {
            return Err(VenueError::Rejected {
                code: Some("-2010".into()),
                reason,
            });
        }
        let mut o = Order::new(order.clone());
        o.transition(OrderState::Open).unwrap();
        let priced = Self::price(&st.pricing, order.side, order.amount, self.fee);
        let acceptable = |qa: Decimal| match (order.order_type, order.price) {
            (OrderType::Market, _) => true,
            (_, None) => true,
            (OrderType::Swap, Some(bound)) => match order.side {
                Side::Buy => qa / order.amount <= bound,
                Side::Sell => qa / order.amount >= bound,
            },
            (_, Some(limit)) => match order.side {
                Side::Buy => qa / order.amount <= limit * (Decimal::ONE + self.fee),
                Side::Sell => qa / order.amount >= limit * (Decimal::ONE - self.fee),
            },
        };
        let revert = std::mem::take(&mut st.revert_next)
            || st.revert_all
            || (st.expire_limits && order.order_type == OrderType::Limit);
        let outcome = match priced {
            Ok((qa, _)) if !revert && acceptable(qa) => {
                let f = self.settle(&mut st, &order, qa);
                o.apply_fill(&f).unwrap();
                st.fills.entry(id.clone()).or_default().push(f.clone());
                Ok(f)
            }
            _ if order.order_type == OrderType::Swap => {
                o.transition(OrderState::Failed).unwrap();
                Err((
                    OrderState::Failed,
                    "execution reverted: Too little received".to_string(),
                ))
            }
            _ => {
                o.transition(OrderState::Cancelled).unwrap();
                Err((OrderState::Cancelled, "IOC expired".to_string()))
            }
        };
        st.orders.insert(id.clone(), o);
        drop(st);
        self.publish_state(&id, OrderState::Open, None);
        match outcome {
            Ok(f) => {
                self.hub.publish(VenueEvent::Fill(f));
                self.publish_state(&id, OrderState::Filled, None);
                if self.kind == VenueKind::Amm {
                    self.hub.publish(VenueEvent::PoolChanged {
                        pair: self.rules.pair.clone(),
                        block: 1,
                    });
                }
            }
            Err((state, reason)) => self.publish_state(&id, state, Some(reason)),
        }
        Ok(id)
    }
    async fn cancel(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        Err(VenueError::UnknownOrder(id.clone()))
    }
    async fn order_status(&self, order: &OrderRequest) -> Result<Order, VenueError> {
        let id = &order.client_id;
        self.st()
            .orders
            .get(id)
            .cloned()
            .ok_or_else(|| VenueError::UnknownOrder(id.clone()))
    }
    async fn order_fills(&self, order: &OrderRequest) -> Result<Vec<Fill>, VenueError> {
        Ok(self
            .st()
            .fills
            .get(&order.client_id)
            .cloned()
            .unwrap_or_default())
    }
    fn events(&self) -> EventReceiver {
        self.hub.subscribe()
    }
}

fn config(extra: &str) -> ArbConfig {
    let text = format!(
        r#"
order_size = "1"
min_profit_pct = "0.5"
execution = "concurrent"
cooldown_ms = 0
max_open_exposure = "2"
on_leg_failure = "unwind"
max_failures = 2
max_trades = 1
{extra}

[venue_a]
venue = "binance"
pair = "ETH-USDT"
slippage_pct = "0.2"

[venue_b]
venue = "uniswap_v3@anvil"
pair = "WETH-USDC"
slippage_pct = "0.5"

[gas]
source = "market"

[[assets]]
asset = "WETH"
same_as = "ETH"

[[assets]]
asset = "USDC"
same_as = "USDT"
"#
    );
    text.parse().unwrap()
}

fn cex(bid: Decimal, ask: Decimal) -> Arc<SimVenue> {
    SimVenue::new(
        "binance",
        VenueKind::Cex,
        "ETH-USDT",
        Pricing::Book { bid, ask },
        dec!(0.001),
        &[("ETH", dec!(10)), ("USDT", dec!(50000))],
    )
}

/// A pool at `price` USDC per WETH with 1000 WETH of depth; the wallet also holds ETH for gas.
fn amm(price: Decimal) -> Arc<SimVenue> {
    SimVenue::new(
        "uniswap_v3@anvil",
        VenueKind::Amm,
        "WETH-USDC",
        Pricing::Pool {
            base: dec!(1000),
            quote: dec!(1000) * price,
        },
        dec!(0.003),
        &[("WETH", dec!(10)), ("USDC", dec!(50000)), ("ETH", dec!(1))],
    )
}

struct Run {
    summary: RunSummary,
    events: Vec<ArbEvent>,
    journal_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn run_arb(
    cfg: ArbConfig,
    a: Arc<SimVenue>,
    b: Arc<SimVenue>,
    dir: Option<tempfile::TempDir>,
) -> Run {
    let t = attempt(cfg, a, b, dir, |_| {}).await;
    Run {
        summary: t.result.unwrap(),
        events: t.events,
        journal_path: t.journal_path,
        _dir: t.dir,
    }
}

/// A run that may refuse to start: its result, its events and its journal.
struct Attempt {
    result: Result<RunSummary, ArbError>,
    events: Vec<ArbEvent>,
    journal_path: std::path::PathBuf,
    dir: tempfile::TempDir,
}

async fn attempt(
    cfg: ArbConfig,
    a: Arc<SimVenue>,
    b: Arc<SimVenue>,
    dir: Option<tempfile::TempDir>,
    setup: impl FnOnce(&mut ArbRunner),
) -> Attempt {
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let journal_path = dir.path().join("journal.sqlite");
    let journal = Journal::open(&journal_path).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let venues: [Arc<dyn Venue>; 2] = [a, b];
    let mut runner = ArbRunner::new(venues, Evaluator::new(cfg), journal, "test", "cfg", tx)
        .await
        .unwrap();
    setup(&mut runner);
    // Stop once the runner has been quiet for a while (it reports every evaluation and order).
    let (stop_tx, stop_rx) = watch::channel(false);
    let handle = tokio::spawn(runner.run(stop_rx));
    let mut events = Vec::new();
    let quiet = std::time::Duration::from_millis(600);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(quiet, rx.recv()).await {
            Ok(Some(e)) => events.push(e),
            Ok(None) | Err(_) => break,
        }
    }
    let _ = stop_tx.send(true);
    let result = tokio::time::timeout(std::time::Duration::from_secs(10), handle)
        .await
        .unwrap()
        .unwrap();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    Attempt {
        result,
        events,
        journal_path,
        dir,
    }
}

fn sent(v: &SimVenue) -> usize {
    v.st().submitted.len()
}

fn pnl(run: &Run, asset: &str) -> Decimal {
    run.summary
        .pnl
        .iter()
        .find(|f| f.asset == asset)
        .map(|f| f.net)
        .unwrap_or_default()
}

/// The order's shape comes from what the venue declares, not from its kind: an AMM-kind venue
/// that executes IOC limit orders gets one (not a swap).
#[tokio::test]
async fn the_order_shape_follows_the_declared_execution_not_the_kind() {
    let a = cex(dec!(1999), dec!(2000));
    let b = executing(amm(dec!(2100)), Execution::IocLimit);
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!((sent(&a), sent(&b)), (1, 1), "{:?}", run.events);
    let order = &b.st().submitted[0];
    assert_eq!(order.side, Side::Sell);
    assert_eq!(order.order_type, OrderType::Limit);
    assert_eq!(order.time_in_force, TimeInForce::Ioc);
    assert_eq!(order.deadline, None);
}

/// A venue that trades by position change (a perpetual, a vAMM) is refused before the run
/// starts: the arbitrage sends it neither swaps nor limit orders.
#[tokio::test]
async fn a_position_change_venue_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let b = executing(amm(dec!(2100)), Execution::PositionChange);
    let venues: [Arc<dyn Venue>; 2] = [cex(dec!(1999), dec!(2000)), b.clone()];
    let refused = ArbRunner::new(venues, Evaluator::new(config("")), journal, "t", "cfg", tx).await;
    match refused {
        Err(ArbError::UnsupportedExecution { venue, execution }) => {
            assert_eq!(venue, "uniswap_v3@anvil");
            assert_eq!(execution, Execution::PositionChange);
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a position-change venue was accepted"),
    }
    assert_eq!(sent(&b), 0);
}

#[tokio::test]
async fn profitable_buy_on_exchange_sell_on_amm() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let before = [
        a.balance("USDT"),
        a.balance("ETH"),
        b.balance("USDC"),
        b.balance("WETH"),
        b.balance("ETH"),
    ];
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!(run.summary.trades, 1, "{:?}", run.events);
    assert_eq!(run.summary.outcome, RunOutcome::MaxTrades);
    assert_eq!((sent(&a), sent(&b)), (1, 1));
    assert_eq!(a.st().submitted[0].side, Side::Buy);
    assert_eq!(b.st().submitted[0].order_type, OrderType::Swap);
    // The journal's PnL equals the balance change, asset by asset (aliases are separate assets here).
    assert_eq!(pnl(&run, "USDT"), a.balance("USDT") - before[0]);
    assert_eq!(
        pnl(&run, "ETH"),
        a.balance("ETH") - before[1] + b.balance("ETH") - before[4]
    );
    assert_eq!(pnl(&run, "USDC"), b.balance("USDC") - before[2]);
    assert_eq!(pnl(&run, "WETH"), b.balance("WETH") - before[3]);
    assert!(
        pnl(&run, "USDC") + pnl(&run, "USDT") > dec!(50),
        "the gap was earned"
    );
}

#[tokio::test]
async fn profitable_buy_on_amm_sell_on_exchange() {
    let (a, b) = (cex(dec!(2100), dec!(2101)), amm(dec!(2000)));
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!(run.summary.trades, 1);
    assert_eq!(a.st().submitted[0].side, Side::Sell);
    assert_eq!(b.st().submitted[0].side, Side::Buy);
    assert!(pnl(&run, "USDT") > Decimal::ZERO);
}

#[tokio::test]
async fn unprofitable_sends_nothing() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2000)));
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!((sent(&a), sent(&b)), (0, 0));
    assert_eq!(run.summary.trades, 0);
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, ArbEvent::Edges { edges } if edges.len() == 2))
    );
    let j = Journal::open(&run.journal_path).unwrap();
    assert!(j.orders_of_run(run.summary.run_id).unwrap().is_empty());
}

#[tokio::test]
async fn fees_and_gas_turn_a_marginal_gap_unprofitable() {
    // 0.6 % gross gap: above the 0.5 % threshold before costs, below it after 0.1 % + 0.3 % fees and gas.
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2014)));
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!((sent(&a), sent(&b)), (0, 0));
    let edge = run
        .events
        .iter()
        .find_map(|e| match e {
            ArbEvent::Edges { edges } => edges
                .iter()
                .find(|x| x.direction == Direction::BuyASellB)
                .cloned(),
            _ => None,
        })
        .unwrap();
    assert!(
        edge.profit_pct < dec!(0.5) && edge.gas > Decimal::ZERO,
        "{edge:?}"
    );
}

#[tokio::test]
async fn insufficient_balance_is_skipped_with_the_reason() {
    let a = SimVenue::new(
        "binance",
        VenueKind::Cex,
        "ETH-USDT",
        Pricing::Book {
            bid: dec!(1999),
            ask: dec!(2000),
        },
        dec!(0.001),
        &[("USDT", dec!(100))],
    );
    let b = amm(dec!(2100));
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!((sent(&a), sent(&b)), (0, 0));
    let reason = run
        .events
        .iter()
        .find_map(|e| match e {
            ArbEvent::Skipped { reason } => Some(reason.clone()),
            _ => None,
        })
        .unwrap();
    assert!(reason.contains("insufficient USDT at binance"), "{reason}");
}

#[tokio::test]
async fn amm_first_revert_sends_no_exchange_order() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    b.st().revert_next = true;
    let cfg = config("").clone_with(|c| {
        c.execution = ExecutionMode::AmmFirst;
        c.max_failures = 1;
    });
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert_eq!(sent(&b), 1, "the AMM leg went first");
    assert_eq!(sent(&a), 0, "no exchange order after the revert");
    assert_eq!(run.summary.failures, 1);
    let j = Journal::open(&run.journal_path).unwrap();
    let orders = j.orders_of_run(run.summary.run_id).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].state, OrderState::Failed);
    assert!(
        orders[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("Too little received")
    );
}

#[tokio::test]
async fn amm_first_success_sends_the_exchange_leg_after() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let cfg = config("").clone_with(|c| c.execution = ExecutionMode::AmmFirst);
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert_eq!(run.summary.trades, 1);
    let sent_events: Vec<String> = run
        .events
        .iter()
        .filter_map(|e| match e {
            ArbEvent::OrderSent { venue, .. } => Some(venue.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(sent_events, ["uniswap_v3@anvil", "binance"]);
}

#[tokio::test]
async fn concurrent_amm_revert_unwinds_the_exchange_leg() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    b.st().revert_next = true;
    let eth_before = a.balance("ETH");
    let run = run_arb(
        config("").clone_with(|c| c.max_failures = 1),
        a.clone(),
        b.clone(),
        None,
    )
    .await;
    assert_eq!(sent(&a), 2, "the buy, then the unwinding sell");
    let unwind = a.st().submitted[1].clone();
    // bounded: an IOC limit at the bid (1999) less the leg's 0.2 % slippage, on the tick grid
    assert_eq!(
        (unwind.side, unwind.order_type, unwind.time_in_force),
        (Side::Sell, OrderType::Limit, crate::core::TimeInForce::Ioc)
    );
    assert_eq!(unwind.price, Some(dec!(1995.01)));
    assert_eq!(a.balance("ETH"), eth_before, "no exposure left");
    assert_eq!(run.summary.failures, 1);
}

#[tokio::test]
async fn concurrent_legs_both_failing_is_a_failure_not_a_trade() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    a.st().reject_next = Some("Account has insufficient balance for requested action.".into());
    b.st().revert_next = true;
    let run = run_arb(
        config("").clone_with(|c| c.max_failures = 1),
        a.clone(),
        b.clone(),
        None,
    )
    .await;
    // Nothing executed: no exposure to correct, and no trade either.
    assert_eq!((sent(&a), sent(&b)), (1, 1));
    assert_eq!((run.summary.trades, run.summary.failures), (0, 1));
    assert!(
        !run.events
            .iter()
            .any(|e| matches!(e, ArbEvent::TradeDone { .. }))
    );
    assert!(
        matches!(run.summary.outcome, RunOutcome::TooManyFailures(ref d) if d.contains("no leg executed")),
        "{:?}",
        run.summary.outcome
    );
}

#[tokio::test]
async fn exchange_rejection_is_hedged_on_the_exchange_by_policy() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    a.st().reject_next = Some("Account has insufficient balance for requested action.".into());
    let cfg = config("").clone_with(|c| {
        c.on_leg_failure = FailurePolicy::Hedge;
        c.max_failures = 1;
    });
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    // The AMM sold 1 WETH; the hedge buys 1 ETH on the exchange, bounded: the ask (2000) plus
    // the leg's 0.2 % slippage.
    assert_eq!(sent(&a), 2);
    assert_eq!(a.st().submitted[1].order_type, OrderType::Limit);
    assert_eq!(a.st().submitted[1].price, Some(dec!(2004)));
    assert_eq!(a.st().submitted[1].side, Side::Buy);
    assert_eq!(run.summary.failures, 1);
    let j = Journal::open(&run.journal_path).unwrap();
    let rejected = j
        .orders_of_run(run.summary.run_id)
        .unwrap()
        .into_iter()
        .find(|o| o.venue == "binance")
        .unwrap();
    assert_eq!(rejected.state, OrderState::Failed);
    assert!(rejected.reason.unwrap().contains("-2010"));
}

#[tokio::test]
async fn stop_policy_stops_with_the_exposure_recorded() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    b.st().revert_next = true;
    let cfg = config("").clone_with(|c| c.on_leg_failure = FailurePolicy::Stop);
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert!(
        matches!(run.summary.outcome, RunOutcome::PolicyStop(ref d) if d.contains("exposure 1")),
        "{:?}",
        run.summary.outcome
    );
    assert_eq!(sent(&a), 1);
}

#[tokio::test]
async fn too_many_failures_stop_with_a_clear_message() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let cfg = config("").clone_with(|c| {
        c.execution = ExecutionMode::AmmFirst;
        c.max_trades = None;
        c.max_failures = 2;
    });
    // Every swap reverts; the runner retries after each failure until the limit.
    b.st().revert_all = true;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let venues: [Arc<dyn Venue>; 2] = [a.clone(), b.clone()];
    let runner = ArbRunner::new(venues, Evaluator::new(cfg), journal, "t", "", tx)
        .await
        .unwrap();
    let (_stop_tx, stop_rx) = watch::channel(false);
    let summary = tokio::time::timeout(std::time::Duration::from_secs(20), runner.run(stop_rx))
        .await
        .unwrap()
        .unwrap();
    match summary.outcome {
        RunOutcome::TooManyFailures(msg) => {
            assert!(msg.contains("2 failed trades (limit 2)"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sent(&a), 0);
}

#[tokio::test]
async fn trades_until_the_gap_is_closed() {
    let a = cex(dec!(1999), dec!(2000));
    let b = SimVenue::new(
        "uniswap_v3@anvil",
        VenueKind::Amm,
        "WETH-USDC",
        Pricing::Pool {
            base: dec!(1000),
            quote: dec!(2100000),
        },
        dec!(0.003),
        &[("WETH", dec!(100)), ("USDC", dec!(50000)), ("ETH", dec!(1))],
    );
    let cfg = config("").clone_with(|c| c.max_trades = Some(100));
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert!(run.summary.trades >= 2, "{}", run.summary.trades);
    assert!(run.summary.trades < 100, "stopped when the edge was gone");
    // The pool price moved toward the exchange's.
    let q = b
        .quote(&QuoteRequest {
            pair: "WETH-USDC".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(1),
        })
        .await
        .unwrap();
    assert!(q.average_price < dec!(2030), "{}", q.average_price);
}

#[tokio::test]
async fn trades_until_a_balance_runs_out() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let cfg = config("").clone_with(|c| c.max_trades = Some(100));
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert_eq!(run.summary.trades, 10, "the AMM wallet holds 10 WETH");
    let last_skip = run.events.iter().rev().find_map(|e| match e {
        ArbEvent::Skipped { reason } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        last_skip
            .unwrap_or_default()
            .contains("insufficient WETH at uniswap_v3@anvil")
    );
}

#[tokio::test]
async fn restart_reconciles_what_was_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2000)));
    // A previous run journaled two intents and died: one reached the venue and filled, one never left.
    let filled_id = ClientOrderId::new("prev-filled").unwrap();
    let lost_id = ClientOrderId::new("prev-lost").unwrap();
    {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let run = j
            .start_scoped_run("crashed", "", &our_scope(RunKind::Arb))
            .unwrap();
        let mk = |id: &ClientOrderId| OrderRequest {
            client_id: id.clone(),
            pair: "ETH-USDT".parse().unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: dec!(1),
            price: Some(dec!(2010)),
            time_in_force: crate::core::TimeInForce::Ioc,
            deadline: None,
        };
        j.record_intent(run, "binance", &mk(&filled_id)).unwrap();
        j.record_intent(run, "binance", &mk(&lost_id)).unwrap();
        a.submit(mk(&filled_id)).await.unwrap();
    }
    let run = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, ArbEvent::Reconciled { orders: 2 }))
    );
    let j = Journal::open(&run.journal_path).unwrap();
    assert_eq!(
        j.order(&filled_id).unwrap().unwrap().state,
        OrderState::Filled
    );
    assert_eq!(j.order(&filled_id).unwrap().unwrap().filled, dec!(1));
    assert_eq!(
        j.order(&lost_id).unwrap().unwrap().state,
        OrderState::Failed
    );
    assert!(j.in_flight_orders().unwrap().is_empty());
    let report = j.history(Some(1)).unwrap();
    let trades = &report.runs[0].trades;
    assert_eq!(
        trades.iter().filter(|t| t.side == "buy").count(),
        1,
        "the fill made while down is journaled once"
    );
    // it left the killed run long 1 ETH: unwound (under the `unwind` policy) in that run
    assert_eq!(trades.len(), 2, "{trades:?}");
    assert!(
        report.runs[0]
            .outcome
            .as_deref()
            .is_some_and(|o| o.starts_with("interrupted: net base exposure 1 closed by unwind")),
        "{:?}",
        report.runs[0].outcome
    );
}

/// A killed run's one-legged trade at the exchange: a buy of 1 ETH that filled, the AMM leg never
/// sent. Returns the journal's directory and the run's id.
async fn killed_after_the_first_leg(a: &SimVenue) -> (tempfile::TempDir, crate::store::RunId) {
    killed_after_the_first_leg_in(a, Some(our_scope(RunKind::Arb))).await
}

/// The scope `config("")` journals: binance ETH-USDT and uniswap_v3@anvil WETH-USDC, WETH = ETH
/// and USDC = USDT.
fn our_scope(kind: RunKind) -> RunScope {
    let alias = |a: &str, c: &str| RunAlias {
        asset: Asset::new(a).unwrap(),
        canonical: Asset::new(c).unwrap(),
        rate: Decimal::ONE,
    };
    RunScope::new(
        kind,
        vec![
            RunLeg {
                venue: "binance".into(),
                pair: "ETH-USDT".parse().unwrap(),
            },
            RunLeg {
                venue: "uniswap_v3@anvil".into(),
                pair: "WETH-USDC".parse().unwrap(),
            },
        ],
        vec![alias("WETH", "ETH"), alias("USDC", "USDT")],
    )
}

/// As [`killed_after_the_first_leg`], for a run journaled with `scope` (`None`: none, as an
/// older sluice did).
async fn killed_after_the_first_leg_in(
    a: &SimVenue,
    scope: Option<RunScope>,
) -> (tempfile::TempDir, crate::store::RunId) {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let run = match scope {
        Some(s) => j.start_scoped_run("killed", "", &s).unwrap(),
        None => j.start_run("killed", "").unwrap(),
    };
    let order = OrderRequest {
        client_id: ClientOrderId::new("killed-leg").unwrap(),
        pair: "ETH-USDT".parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Market,
        amount: dec!(1),
        price: None,
        time_in_force: crate::core::TimeInForce::Ioc,
        deadline: None,
    };
    j.record_intent(run, "binance", &order).unwrap();
    a.submit(order.clone()).await.unwrap();
    for f in a.order_fills(&order).await.unwrap() {
        j.record_fill(run, &f).unwrap();
    }
    j.record_state(&order.client_id, OrderState::Filled, None, None)
        .unwrap();
    (dir, run)
}

fn outcome_of(journal: &std::path::Path, run: crate::store::RunId) -> String {
    Journal::open(journal)
        .unwrap()
        .history(None)
        .unwrap()
        .runs
        .into_iter()
        .find(|r| r.run_id == run)
        .and_then(|r| r.outcome)
        .unwrap_or_default()
}

fn net_base(journal: &std::path::Path, run: crate::store::RunId) -> Decimal {
    Journal::open(journal)
        .unwrap()
        .fills_of_run(run)
        .unwrap()
        .iter()
        .map(|f| {
            if f.side == Side::Buy {
                f.amount
            } else {
                -f.amount
            }
        })
        .sum()
}

#[tokio::test]
async fn a_killed_runs_one_legged_trade_is_unwound_once() {
    // no gap: the restarts trade nothing of their own
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    let first = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    // unwound where it came from: a market sell of 1 ETH on the exchange, nothing on the AMM
    let submitted = a.st().submitted.clone();
    assert_eq!(submitted.len(), 2);
    let fix = &submitted[1];
    // bounded: an IOC limit at the executable bid (1999) less the leg's 0.2 % slippage
    assert_eq!(
        (fix.side, fix.order_type, fix.amount, fix.time_in_force),
        (
            Side::Sell,
            OrderType::Limit,
            dec!(1),
            crate::core::TimeInForce::Ioc
        )
    );
    assert_eq!(fix.price, Some(dec!(1995.01)));
    assert_eq!(sent(&b), 0);
    assert_eq!(net_base(&first.journal_path, killed), dec!(0));
    assert_eq!(
        outcome_of(&first.journal_path, killed),
        format!(
            "interrupted: net base exposure 1 closed by unwind ({})",
            fix.client_id
        )
    );
    assert!(first.events.iter().any(
        |e| matches!(e, ArbEvent::LegFailed { detail, .. } if detail.contains("unwind with sell 1 on binance"))
    ));
    assert_eq!(first.summary.trades + first.summary.failures, 0);
    // the correction is the killed run's, not the restart's
    assert!(pnl(&first, "ETH").is_zero() && pnl(&first, "USDT").is_zero());
    // another restart has nothing left to correct
    let path = first.journal_path.clone();
    let again = run_arb(config(""), a.clone(), b.clone(), Some(first._dir)).await;
    assert_eq!(sent(&a), 2);
    assert_eq!(again.journal_path, path);
}

#[tokio::test]
async fn a_killed_runs_one_legged_trade_is_hedged_on_the_other_venue() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    let cfg = config("")
        .clone_with(|c| c.on_leg_failure = crate::strategy::arb::config::FailurePolicy::Hedge);
    let run = run_arb(cfg, a.clone(), b.clone(), Some(dir)).await;
    assert_eq!(sent(&a), 1, "nothing more on the exchange");
    let submitted = b.st().submitted.clone();
    assert_eq!(submitted.len(), 1);
    assert_eq!(
        (
            submitted[0].side,
            submitted[0].order_type,
            submitted[0].amount
        ),
        (Side::Sell, OrderType::Swap, dec!(1))
    );
    assert!(outcome_of(&run.journal_path, killed).contains("closed by hedge"));
    assert_eq!(net_base(&run.journal_path, killed), dec!(0));
}

#[tokio::test]
async fn under_the_stop_policy_a_killed_runs_exposure_is_reported_and_nothing_trades() {
    // a gap that would trade: the refusal, not the market, keeps it from trading
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    let cfg = config("")
        .clone_with(|c| c.on_leg_failure = crate::strategy::arb::config::FailurePolicy::Stop);
    let t = attempt(cfg, a.clone(), b.clone(), Some(dir), |_| {}).await;
    let Err(ArbError::Unresolved { runs, detail }) = &t.result else {
        panic!("{:?}", t.result);
    };
    assert_eq!(runs, &vec![killed]);
    assert!(detail.contains("exposure of 1"), "{detail}");
    assert!(
        detail.contains(&format!("sluice recover --run {killed}")),
        "{detail}"
    );
    assert_eq!((sent(&a), sent(&b)), (1, 0), "nothing traded or corrected");
    let j = Journal::open(&t.journal_path).unwrap();
    // the killed run stays open for `sluice recover`; the refused start ended its own run
    assert_eq!(j.unfinished_runs().unwrap(), vec![killed]);
}

#[tokio::test]
async fn a_restart_killed_during_the_correction_does_not_correct_twice() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    // the first restart journaled and sent the corrective sell, then was killed before it saw
    // the fill: the order is in the journal under the killed run, still pending
    let fix = OrderRequest {
        client_id: ClientOrderId::new("slx-fix").unwrap(),
        pair: "ETH-USDT".parse().unwrap(),
        side: Side::Sell,
        order_type: OrderType::Limit,
        amount: dec!(1),
        price: Some(dec!(1995.01)),
        time_in_force: crate::core::TimeInForce::Ioc,
        deadline: None,
    };
    {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let restart = j.start_run("killed restart", "").unwrap();
        assert_ne!(restart, killed);
        j.record_intent(killed, "binance", &fix).unwrap();
        a.submit(fix.clone()).await.unwrap();
    }
    let run = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    assert_eq!((sent(&a), sent(&b)), (2, 0), "no second correction");
    assert_eq!(net_base(&run.journal_path, killed), dec!(0));
    assert_eq!(outcome_of(&run.journal_path, killed), "interrupted");
    let j = Journal::open(&run.journal_path).unwrap();
    assert_eq!(
        j.order(&fix.client_id).unwrap().unwrap().state,
        OrderState::Filled
    );
}

#[test]
fn config_errors_name_the_key() {
    let base = "order_size = \"1\"\nmin_profit_pct = \"0.5\"\nexecution = \"concurrent\"\nmax_open_exposure = \"2\"\non_leg_failure = \"unwind\"\nmax_failures = 2\n[gas]\nsource = \"market\"\n[venue_a]\nvenue = \"binance\"\npair = \"ETH-USDT\"\n[venue_b]\nvenue = \"uniswap_v3@anvil\"\npair = \"WETH-USDC\"\n";
    let e = base.parse::<ArbConfig>().unwrap_err();
    assert_eq!(e.key, "venue_b.pair", "{e}");
    let ok = format!(
        "{base}[[assets]]\nasset = \"WETH\"\nsame_as = \"ETH\"\n[[assets]]\nasset = \"USDC\"\nsame_as = \"USDT\"\n"
    );
    assert!(ok.parse::<ArbConfig>().is_ok());
    let e = ok
        .replace("order_size = \"1\"", "order_size = \"0\"")
        .parse::<ArbConfig>()
        .unwrap_err();
    assert_eq!(e.key, "order_size");
    let e = ok
        .replace("execution = \"concurrent\"", "execution = \"yolo\"")
        .parse::<ArbConfig>()
        .unwrap_err();
    assert!(e.key.starts_with("line"), "{e}");
    let e = ok
        .replace("max_failures = 2", "max_failures = 0")
        .parse::<ArbConfig>()
        .unwrap_err();
    assert_eq!(e.key, "max_failures");
}

trait CloneWith {
    fn clone_with(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl CloneWith for ArbConfig {
    fn clone_with(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

#[test]
fn aliased_flows_merge_into_the_runs_result() {
    use crate::store::AssetFlow;
    let mut cfg = config("");
    cfg.assets[1].rate = dec!(0.999); // 1 USDC = 0.999 USDT
    let flow = |asset: &str, net: Decimal| AssetFlow {
        asset: asset.into(),
        net,
    };
    let merged = cfg.merge_aliases(&[
        flow("ETH", dec!(-10.0011)),
        flow("USDC", dec!(-30000)),
        flow("USDT", dec!(30900)),
        flow("WETH", dec!(10)),
        flow("DAI", dec!(1)),
    ]);
    assert_eq!(
        merged,
        vec![
            flow("DAI", dec!(1)),
            flow("ETH", dec!(-0.0011)),
            flow("USDT", dec!(930)),
        ]
    );
}

/// A killed run's one-legged buy of 1 `pair`'s base at `venue` (filled), journaled with a scope
/// on that venue and pair and an AMM leg of `amm_venue`.
async fn killed_elsewhere(
    v: &SimVenue,
    venue: &str,
    pair: &str,
    amm_venue: &str,
) -> (tempfile::TempDir, crate::store::RunId) {
    let scope = RunScope::new(
        RunKind::Arb,
        vec![
            RunLeg {
                venue: venue.into(),
                pair: pair.parse().unwrap(),
            },
            RunLeg {
                venue: amm_venue.into(),
                pair: "WETH-USDC".parse().unwrap(),
            },
        ],
        vec![],
    );
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let run = j.start_scoped_run("killed", "", &scope).unwrap();
    let order = OrderRequest {
        client_id: ClientOrderId::new("foreign-leg").unwrap(),
        pair: pair.parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(1),
        price: Some(dec!(2001)),
        time_in_force: crate::core::TimeInForce::Ioc,
        deadline: None,
    };
    j.record_intent(run, venue, &order).unwrap();
    // its fill, as the dead process journaled it (the pair is not the sim's own)
    let mut f = {
        let probe = OrderRequest {
            client_id: ClientOrderId::new("probe").unwrap(),
            pair: "ETH-USDT".parse().unwrap(),
            ..order.clone()
        };
        v.submit(probe.clone()).await.unwrap();
        v.order_fills(&probe).await.unwrap().remove(0)
    };
    v.st().submitted.clear();
    f.pair = order.pair.clone();
    f.venue = venue.into();
    f.client_id = Some(order.client_id.clone());
    f.trade_id = "foreign-1".into();
    j.record_fill(run, &f).unwrap();
    (dir, run)
}

fn unresolved(t: &Attempt) -> (Vec<crate::store::RunId>, String) {
    match &t.result {
        Err(ArbError::Unresolved { runs, detail }) => (runs.clone(), detail.clone()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_interrupted_run_on_another_pair_is_not_corrected_and_blocks_trading_until_settled() {
    // a gap that trades at once: only the refusal keeps the start from trading
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, killed) = killed_elsewhere(&a, "binance", "BTC-USDT", "uniswap_v3@anvil").await;
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |_| {}).await;
    let (runs, detail) = unresolved(&t);
    assert_eq!(runs, vec![killed]);
    for needle in [
        format!("run {killed}"),
        "arb on binance BTC-USDT".to_string(),
        "binance BTC-USDT +1".to_string(),
        format!("sluice history --run {killed}"),
        format!("sluice recover --run {killed} --close|--abandon"),
    ] {
        assert!(detail.contains(&needle), "{needle:?} not in {detail}");
    }
    assert_eq!(
        (sent(&a), sent(&b)),
        (0, 0),
        "nothing corrected, nothing traded"
    );
    let j = Journal::open(&t.journal_path).unwrap();
    assert_eq!(j.unfinished_runs().unwrap(), vec![killed]);
    // the user settles it: abandoned, its exposure recorded as theirs; then the start trades
    let outcome = abandon_run(&j, killed).unwrap();
    assert!(outcome.contains("binance BTC-USDT +1"), "{outcome}");
    assert!(matches!(
        abandon_run(&j, killed),
        Err(crate::store::StoreError::RunEnded { .. })
    ));
    let again = run_arb(config(""), a.clone(), b.clone(), Some(t.dir)).await;
    assert_eq!(again.summary.trades, 1);
}

#[tokio::test]
async fn a_killed_run_is_not_corrected_by_a_restart_with_a_different_config() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    // killed between the legs while trading binance ETH-USDT against another AMM deployment
    let (dir, killed) = killed_elsewhere(&a, "binance", "ETH-USDT", "uniswap_v3@ethereum").await;
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |_| {}).await;
    let (runs, detail) = unresolved(&t);
    assert_eq!(runs, vec![killed]);
    assert!(detail.contains("uniswap_v3@ethereum"), "{detail}");
    assert_eq!((sent(&a), sent(&b)), (0, 0));
}

#[tokio::test]
async fn a_run_without_a_scope_blocks_unless_it_is_provably_flat() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, killed) = killed_after_the_first_leg_in(&a, None).await;
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |_| {}).await;
    let (runs, detail) = unresolved(&t);
    assert_eq!(runs, vec![killed]);
    assert!(detail.contains("no recorded scope"), "{detail}");
    assert_eq!(
        (sent(&a), sent(&b)),
        (1, 0),
        "only the killed run's own leg"
    );
}

#[tokio::test]
async fn a_demo_run_is_neither_corrected_nor_blocking() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, demo) = killed_after_the_first_leg_in(&a, Some(our_scope(RunKind::Demo))).await;
    let run = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    // its own trade only: no corrective order for the simulated run
    assert_eq!(run.summary.trades, 1);
    assert!(
        a.st()
            .submitted
            .iter()
            .all(|o| !o.client_id.as_str().starts_with("slx"))
    );
    let j = Journal::open(&run.journal_path).unwrap();
    assert!(j.unfinished_runs().unwrap().contains(&demo), "left alone");
}

#[tokio::test]
async fn a_manual_order_killed_before_its_answer_is_adopted_and_never_corrected() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let dir = tempfile::tempdir().unwrap();
    let order = OrderRequest {
        client_id: ClientOrderId::new("manual-1").unwrap(),
        pair: "ETH-USDT".parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(1),
        price: Some(dec!(2005)),
        time_in_force: crate::core::TimeInForce::Gtc,
        deadline: None,
    };
    let manual = {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let scope = RunScope::new(
            RunKind::Manual,
            vec![RunLeg {
                venue: "binance".into(),
                pair: "ETH-USDT".parse().unwrap(),
            }],
            vec![],
        );
        let run = j.start_scoped_run("order place", "", &scope).unwrap();
        // the intent was journaled, the order reached the venue and filled, the process died
        j.record_intent(run, "binance", &order).unwrap();
        a.submit(order.clone()).await.unwrap();
        run
    };
    let run = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    let j = Journal::open(&run.journal_path).unwrap();
    let adopted = j.order(&order.client_id).unwrap().unwrap();
    assert_eq!(
        (adopted.state, adopted.filled),
        (OrderState::Filled, dec!(1))
    );
    assert_eq!(net_base(&run.journal_path, manual), dec!(1));
    assert_eq!(sent(&a), 1, "the user's position is never corrected");
    assert!(outcome_of(&run.journal_path, manual).contains("manual"));
}

#[tokio::test]
async fn a_corrective_order_whose_bound_cannot_fill_leaves_the_run_open_and_stops() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    a.st().expire_limits = true;
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |_| {}).await;
    let (runs, detail) = unresolved(&t);
    assert_eq!(runs, vec![killed]);
    assert!(detail.contains("exposure of 1 is left"), "{detail}");
    let fix = a.st().submitted[1].clone();
    assert_eq!(
        (fix.order_type, fix.time_in_force, fix.price),
        (
            OrderType::Limit,
            crate::core::TimeInForce::Ioc,
            Some(dec!(1995.01))
        )
    );
    assert_eq!((sent(&a), sent(&b)), (2, 0), "nothing else sent");
    assert_eq!(net_base(&t.journal_path, killed), dec!(1));
    let j = Journal::open(&t.journal_path).unwrap();
    assert_eq!(j.unfinished_runs().unwrap(), vec![killed]);
}

#[tokio::test]
async fn a_live_correction_that_cannot_fill_within_its_bound_stops_the_run() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    a.st().reject_next = Some("Account has insufficient balance for requested action.".into());
    a.st().expire_limits = true;
    let cfg = config("").clone_with(|c| {
        c.on_leg_failure = FailurePolicy::Hedge;
        c.max_failures = 5;
    });
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert_eq!(a.st().submitted[1].order_type, OrderType::Limit);
    assert!(
        matches!(run.summary.outcome, RunOutcome::PolicyStop(ref d) if d.contains("remains after the corrective order")),
        "{:?}",
        run.summary.outcome
    );
}

#[tokio::test]
async fn a_reconcile_that_times_out_refuses_to_trade() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let dir = tempfile::tempdir().unwrap();
    let resting = OrderRequest {
        client_id: ClientOrderId::new("resting").unwrap(),
        pair: "ETH-USDT".parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(1),
        price: Some(dec!(1000)),
        time_in_force: crate::core::TimeInForce::Gtc,
        deadline: None,
    };
    let run = {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let run = j
            .start_scoped_run("killed", "", &our_scope(RunKind::Arb))
            .unwrap();
        j.record_intent(run, "binance", &resting).unwrap();
        run
    };
    // the venue holds it open, and keeps it so
    let mut o = crate::core::Order::new(resting.clone());
    o.transition(OrderState::Open).unwrap();
    a.st().orders.insert(resting.client_id.clone(), o);
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |r| {
        r.set_reconcile_timeout(std::time::Duration::from_millis(300));
        r.set_poll_interval(std::time::Duration::from_millis(50));
    })
    .await;
    match &t.result {
        Err(e @ ArbError::InFlight { orders: 1, .. }) => {
            assert!(e.to_string().contains(&format!("run {run}")), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((sent(&a), sent(&b)), (0, 0));
}

#[tokio::test]
async fn every_run_journals_its_legs_and_aliases() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let run = run_arb(config(""), a, b, None).await;
    let j = Journal::open(&run.journal_path).unwrap();
    assert_eq!(
        j.run_scope(run.summary.run_id).unwrap(),
        Some(our_scope(RunKind::Arb))
    );
}

#[tokio::test]
async fn a_killed_runs_exposure_counts_through_its_own_aliases_not_the_new_configs() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    // a complete trade (bought 1 ETH, sold 1 WETH) journaled with WETH = 1 ETH, then killed
    // before the run ended
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let sell = OrderRequest {
            client_id: ClientOrderId::new("killed-amm-leg").unwrap(),
            pair: "WETH-USDC".parse().unwrap(),
            side: Side::Sell,
            order_type: OrderType::Swap,
            amount: dec!(1),
            price: Some(dec!(1900)),
            time_in_force: crate::core::TimeInForce::Gtc,
            deadline: None,
        };
        j.record_intent(killed, "uniswap_v3@anvil", &sell).unwrap();
        b.submit(sell.clone()).await.unwrap();
        for f in b.order_fills(&sell).await.unwrap() {
            j.record_fill(killed, &f).unwrap();
        }
    }
    // the new config says a WETH is worth 2 ETH: by it, the trade would look 1 ETH short
    let cfg = config("").clone_with(|c| c.assets[0].rate = Decimal::TWO);
    let t = attempt(cfg, a.clone(), b.clone(), Some(dir), |_| {}).await;
    assert_eq!(outcome_of(&t.journal_path, killed), "interrupted");
    let all: Vec<OrderRequest> = a
        .st()
        .submitted
        .iter()
        .chain(b.st().submitted.iter())
        .cloned()
        .collect();
    assert!(
        all.iter().all(|o| !o.client_id.as_str().starts_with("slx")),
        "no correction: {all:?}"
    );
}

#[tokio::test]
async fn a_demo_runner_closes_its_own_interrupted_demo_runs_and_ignores_real_ones() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, demo) = killed_after_the_first_leg_in(&a, Some(our_scope(RunKind::Demo))).await;
    let real = {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        j.start_scoped_run("arb", "", &our_scope(RunKind::Arb))
            .unwrap()
    };
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let venues: [Arc<dyn Venue>; 2] = [a.clone(), b.clone()];
    let runner = ArbRunner::new_of_kind(
        venues,
        Evaluator::new(config("")),
        journal.clone(),
        "demo",
        "cfg",
        RunKind::Demo,
        tx,
    )
    .await
    .unwrap();
    let own = runner.run_id();
    assert_eq!(journal.run_scope(own).unwrap().unwrap().kind, RunKind::Demo);
    let (_stop_tx, stop_rx) = watch::channel(true);
    runner.run(stop_rx).await.unwrap();
    assert!(outcome_of(&dir.path().join("journal.sqlite"), demo).contains("closed by unwind"));
    assert_eq!(
        journal.unfinished_runs().unwrap(),
        vec![real],
        "the real run is not its business"
    );
}

#[tokio::test]
async fn recover_close_flattens_a_run_with_a_bounded_order_and_refuses_a_run_it_cannot_reach() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    let path = dir.path().join("journal.sqlite");
    let runner = |journal: Journal| {
        let (tx, _rx) = mpsc::unbounded_channel();
        let venues: [Arc<dyn Venue>; 2] = [a.clone(), b.clone()];
        ArbRunner::new(
            venues,
            Evaluator::new(config("")),
            journal,
            "recover",
            "",
            tx,
        )
    };
    let outcome = runner(Journal::open(&path).unwrap())
        .await
        .unwrap()
        .close_run(killed)
        .await
        .unwrap();
    assert!(outcome.starts_with("closed by the user: net base exposure 1 closed by unwind"));
    let fix = a.st().submitted[1].clone();
    assert_eq!(
        (fix.side, fix.order_type, fix.price),
        (Side::Sell, OrderType::Limit, Some(dec!(1995.01)))
    );
    assert_eq!(net_base(&path, killed), dec!(0));
    let j = Journal::open(&path).unwrap();
    assert!(j.unfinished_runs().unwrap().is_empty(), "both runs ended");
    // a run on BTC-USDT cannot be closed through an ETH-USDT configuration
    let (dir2, foreign) = killed_elsewhere(&a, "binance", "BTC-USDT", "uniswap_v3@anvil").await;
    let r = runner(Journal::open(&dir2.path().join("journal.sqlite")).unwrap())
        .await
        .unwrap()
        .close_run(foreign)
        .await;
    assert!(
        matches!(&r, Err(ArbError::CannotRecover { run, problem }) if *run == foreign && problem.contains("BTC-USDT")),
        "{r:?}"
    );
    // (`killed_elsewhere` clears the record of what was sent before)
    assert_eq!(sent(&a), 0, "nothing sent for it");
}
