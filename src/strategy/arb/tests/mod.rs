//! Strategy tests against two simulated venues: an exchange-like book venue and a constant-product AMM
//! venue with gas. They check the decisions (trade, hold, skip), both execution modes, failure
//! policies, the failure limit, restart reconciliation, and that the journal's PnL equals the balance
//! change.

mod config;
mod decisions;
mod restart;
mod scope;

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

trait CloneWith {
    fn clone_with(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl CloneWith for ArbConfig {
    fn clone_with(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
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
