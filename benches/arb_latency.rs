//! Arbitrage decision latency: from a Binance depth diff arriving as raw websocket bytes to the
//! Binance order request ready to be written to the socket (signed, serialized), per event, through
//! the real code at every stage:
//!
//! 1. raw bytes → `SyncedBook::on_frame` (the connector's depth parser and book);
//! 2. the exchange quotes for the trade size (`OrderBook::quote`, what `BinanceSpot::quote` walks)
//!    and the AMM quotes from an in-memory Uniswap v3 pool (`PoolState::simulate_swap` →
//!    `build_quote`, the connector's local exact math, no RPC);
//! 3. `Evaluator::decide`, then on a trade `check_balances` and `orders`;
//! 4. the exchange leg as `binance::order_request` (what `submit` sends), signed by
//!    `prepare_request` with the connector's signer (timestamp, recvWindow, HMAC-SHA256, API-key header) and
//!    serialized into the HTTP/1.1 request bytes. Nothing is sent.
//!
//! The data is synthetic and deterministic: an ETHUSDT book (tick 0.01, step 0.0001) whose mid walks
//! back and forth between 2975 and 3025 USDT while the pool sits at 3000 USDC/WETH, so a good share
//! of events trade (the book is priced away from the pool) and the rest hold.
//!
//! Run pinned: `taskset -c 1 cargo bench --bench arb_latency`. It prints a percentile pass (one
//! `Instant` pair around each of `ARB_EVENTS` events, default 100,000; trade and hold paths apart),
//! a per-stage breakdown, and then criterion's mean over the same events.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use criterion::Criterion;
use rust_decimal::Decimal;
use sluice::amm::quoting::{SwapQuote, build_quote, marginal_with_fee};
use sluice::amm::uniswap_v3::math::{Q96, get_sqrt_ratio_at_tick, mul_div};
use sluice::amm::uniswap_v3::{PoolState, SwapAmount, TickSet};
use sluice::cex::Grid;
use sluice::cex::auth::ApiCredentials;
use sluice::cex::clock::ServerClock;
use sluice::cex::exchanges::binance::api::BinanceProtocol;
use sluice::cex::exchanges::binance::binance_signer;
use sluice::cex::exchanges::binance::depth::{DiffOutcome, SnapshotOutcome, SyncedBook};
use sluice::cex::exchanges::binance::order_request;
use sluice::cex::http::{Endpoint, prepare_request};
use sluice::cex::sign::{NonceSource, Signer};
use sluice::core::{
    Asset, Balance, ClientOrderId, MarketRules, OrderRequest, Pair, Quote, QuoteRequest, Side,
    Token, TokenId,
};
use sluice::strategy::arb::{ArbConfig, Decision, Evaluator};
use sluice::venue::Execution;
use sluice_sim::arb_toml::StrategyToml;
use sluice_sim::exchange::dialects::binance::hmac_sha256_hex;

const SYMBOL: &str = "ETHUSDT";
const TICK: i64 = 1; // 0.01 in hundredths
/// Snapshot: 200 levels at every tick, then 800 every 10 ticks, per side.
const DENSE_LEVELS: u64 = 200;
const SPARSE_LEVELS: u64 = 800;
/// Mid range in ticks of 0.01: 2975.00 .. 3025.00.
const MID_LOW: u64 = 297_500;
const MID_HIGH: u64 = 302_500;
/// The pool's current tick: 1.0001^tick raw WETH per raw USDC ≈ 1/3000 WETH per USDC.
const POOL_TICK: i32 = 196_254;
/// Gas units of a v3 swap as the connector estimates them (its `GAS_BASE` and `GAS_PER_TICK`).
const GAS_BASE: u64 = 110_000;
const GAS_PER_TICK: u64 = 25_000;
const GAS_PRICE_WEI: u128 = 2_000_000_000;
const WARMUP_EVENTS: usize = 10_000;

/// A deterministic xorshift generator (no dependency, same data on every machine).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn price_text(ticks: u64) -> String {
    format!("{}.{:02}", ticks / 100, ticks % 100)
}

/// Lots of 0.0001 ETH as text.
fn qty_text(lots: u64) -> String {
    format!("{}.{:04}", lots / 10_000, lots % 10_000)
}

fn levels_json(levels: &[(u64, u64)]) -> String {
    let items: Vec<String> = levels
        .iter()
        .map(|(p, q)| format!("[\"{}\",\"{}\"]", price_text(*p), qty_text(*q)))
        .collect();
    format!("[{}]", items.join(","))
}

/// The REST snapshot and the websocket diffs of a book whose mid walks between `MID_LOW` and
/// `MID_HIGH`; the generator keeps its own copy of the book so every diff is consistent.
struct Data {
    snapshot: Vec<u8>,
    events: Vec<Vec<u8>>,
}

/// Levels per side the generated book keeps at most.
const TRIM_LEVELS: usize = 4_000;

fn generate(n: usize) -> Data {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut bids: BTreeMap<u64, u64> = BTreeMap::new();
    let mut asks: BTreeMap<u64, u64> = BTreeMap::new();
    let mut best_bid: u64 = 300_000 - 1;
    let qty = |rng: &mut Rng| 100 + rng.below(40_000); // 0.01 .. 4.01 ETH
    for i in 0..DENSE_LEVELS + SPARSE_LEVELS {
        let off = if i < DENSE_LEVELS {
            i
        } else {
            DENSE_LEVELS + (i - DENSE_LEVELS) * 10
        };
        bids.insert(best_bid - off, qty(&mut rng));
        asks.insert(best_bid + 1 + off, qty(&mut rng));
    }
    let first_id: u64 = 1_000_000;
    let snap_bids: Vec<(u64, u64)> = bids.iter().rev().map(|(p, q)| (*p, *q)).collect();
    let snap_asks: Vec<(u64, u64)> = asks.iter().map(|(p, q)| (*p, *q)).collect();
    let snapshot = format!(
        "{{\"lastUpdateId\":{first_id},\"bids\":{},\"asks\":{}}}",
        levels_json(&snap_bids),
        levels_json(&snap_asks)
    )
    .into_bytes();

    let mut up = true;
    let mut id = first_id;
    let mut time: u64 = 1_764_000_000_000;
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        let step = 1 + rng.below(9); // 1..9 ticks, 5 on average
        if up && best_bid + step >= MID_HIGH {
            up = false;
        } else if !up && best_bid <= MID_LOW + step {
            up = true;
        }
        let new_bid = if up { best_bid + step } else { best_bid - step };
        let mut db: Vec<(u64, u64)> = Vec::new();
        let mut da: Vec<(u64, u64)> = Vec::new();
        if new_bid > best_bid {
            // Asks at or below the new best bid are taken; new bids fill the gap.
            let gone: Vec<u64> = asks.range(..=new_bid).map(|(p, _)| *p).collect();
            for p in gone {
                asks.remove(&p);
                da.push((p, 0));
            }
            for p in best_bid + 1..=new_bid {
                let q = qty(&mut rng);
                bids.insert(p, q);
                db.push((p, q));
            }
            if let std::collections::btree_map::Entry::Vacant(v) = asks.entry(new_bid + 1) {
                let q = qty(&mut rng);
                v.insert(q);
                da.push((new_bid + 1, q));
            }
        } else {
            let gone: Vec<u64> = bids.range(new_bid + 1..).map(|(p, _)| *p).collect();
            for p in gone {
                bids.remove(&p);
                db.push((p, 0));
            }
            for p in new_bid + 1..=best_bid + 1 {
                let q = qty(&mut rng);
                asks.insert(p, q);
                da.push((p, q));
            }
            if let std::collections::btree_map::Entry::Vacant(v) = bids.entry(new_bid) {
                let q = qty(&mut rng);
                v.insert(q);
                db.push((new_bid, q));
            }
        }
        best_bid = new_bid;
        // The far ends are trimmed, as an exchange's depth feed drops levels far from the top: the
        // book stays under the connector's cap on levels per side (a book over it is refused and
        // resynced, which a latency bench must not measure).
        while bids.len() > TRIM_LEVELS {
            if let Some((p, _)) = bids.pop_first() {
                db.push((p, 0));
            }
        }
        while asks.len() > TRIM_LEVELS {
            if let Some((p, _)) = asks.pop_last() {
                da.push((p, 0));
            }
        }
        // Size changes on ten levels of each side near the top.
        for _ in 0..10 {
            let p = best_bid - rng.below(20) * TICK as u64;
            let q = qty(&mut rng);
            bids.insert(p, q);
            db.push((p, q));
            let p = best_bid + 1 + rng.below(20) * TICK as u64;
            let q = qty(&mut rng);
            asks.insert(p, q);
            da.push((p, q));
        }
        let first = id + 1;
        id += 1 + rng.below(3);
        time += 100;
        events.push(
            format!(
                "{{\"e\":\"depthUpdate\",\"E\":{time},\"s\":\"{SYMBOL}\",\"U\":{first},\"u\":{id},\"b\":{},\"a\":{}}}",
                levels_json(&db),
                levels_json(&da)
            )
            .into_bytes(),
        );
    }
    Data { snapshot, events }
}

fn token(symbol: &str, decimals: u8, address: Address) -> Token {
    Token {
        symbol: Asset::new(symbol).expect("asset"),
        decimals,
        chain: "anvil".into(),
        id: TokenId::Erc20(address),
    }
}

/// A WETH/USDC 0.3 % pool at ≈ 3000 USDC per WETH with a few positions around the price (USDC is
/// token0, as on mainnet: its address sorts first).
fn pool(usdc: Address, weth: Address) -> PoolState {
    let positions: [(i32, i32, i128); 4] = [
        (190_260, 202_260, 300_000_000_000_000_000),   // ±45 %
        (195_600, 196_920, 800_000_000_000_000_000),   // ±6.6 %
        (196_020, 196_500, 1_500_000_000_000_000_000), // ±2.4 %
        (196_200, 196_320, 1_000_000_000_000_000_000), // ±0.6 %
    ];
    let mut ticks = TickSet::default();
    let mut liquidity: u128 = 0;
    for (lo, hi, l) in positions {
        ticks.update_position(lo, hi, l).expect("position");
        if lo <= POOL_TICK && POOL_TICK < hi {
            liquidity += l as u128;
        }
    }
    PoolState {
        address: Address::repeat_byte(0x88),
        token0: usdc,
        token1: weth,
        fee: 3000,
        tick_spacing: 60,
        sqrt_price_x96: get_sqrt_ratio_at_tick(POOL_TICK).expect("sqrt price"),
        tick: POOL_TICK,
        liquidity,
        ticks,
    }
}

/// Per-stage time of one event (for the breakdown pass).
#[derive(Default, Clone, Copy)]
struct Stages {
    book: Duration,
    cex_quote: Duration,
    amm_quote: Duration,
    decide: Duration,
    orders: Duration,
    request: Duration,
}

/// The whole per-event path and the state it keeps.
struct Pipeline {
    book: SyncedBook,
    pool: PoolState,
    weth: Token,
    usdc: Token,
    eth: Asset,
    eval: Evaluator,
    rules: [MarketRules; 2],
    balances: [Vec<Balance>; 2],
    requests: [QuoteRequest; 4],
    protocol: BinanceProtocol,
    signer: Signer,
    endpoint: Endpoint,
    clock: ServerClock,
    /// The request as it would be written to the socket.
    wire: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Trade,
    Hold,
}

impl Pipeline {
    fn new(snapshot: &[u8]) -> Self {
        let mut book = SyncedBook::new(
            SYMBOL,
            Grid::new(Decimal::new(1, 2)).expect("tick"),
            Grid::new(Decimal::new(1, 4)).expect("step"),
        );
        match book.on_snapshot(snapshot).expect("snapshot parses") {
            SnapshotOutcome::Synced { .. } => {}
            other => panic!("snapshot not applied: {other:?}"),
        }
        let usdc_addr = Address::repeat_byte(0x11);
        let weth_addr = Address::repeat_byte(0x22);
        let cfg: ArbConfig = StrategyToml {
            min_profit_pct: Decimal::new(5, 2),
            execution: "concurrent",
            max_failures: 2,
            ..StrategyToml::default()
        }
        .text()
        .parse()
        .expect("config");
        let eval = Evaluator::new(cfg);
        let a_pair: Pair = "ETH-USDT".parse().expect("pair");
        let b_pair: Pair = "WETH-USDC".parse().expect("pair");
        let mut cex_rules = MarketRules::unrestricted(a_pair.clone(), SYMBOL, Decimal::new(1, 3));
        cex_rules.tick_size = Decimal::new(1, 2);
        cex_rules.step_size = Decimal::new(1, 4);
        cex_rules.min_size = Decimal::new(1, 4);
        cex_rules.min_notional = Decimal::new(5, 0);
        let amm_rules = MarketRules::unrestricted(b_pair.clone(), "pool", Decimal::new(3, 3));
        let bal = |a: &str, v: i64| {
            let v = Decimal::new(v, 0);
            Balance::new(Asset::new(a).expect("asset"), v, v)
        };
        let [sa, sb] = eval.base_amounts();
        let req = |pair: &Pair, side, base_amount| QuoteRequest {
            pair: pair.clone(),
            side,
            base_amount,
        };
        Self {
            book,
            pool: pool(usdc_addr, weth_addr),
            weth: token("WETH", 18, weth_addr),
            usdc: token("USDC", 6, usdc_addr),
            eth: Asset::new("ETH").expect("asset"),
            rules: [cex_rules, amm_rules],
            balances: [
                vec![bal("ETH", 10), bal("USDT", 50_000)],
                vec![bal("WETH", 10), bal("USDC", 50_000), bal("ETH", 1)],
            ],
            requests: [
                req(&a_pair, Side::Buy, sa),
                req(&a_pair, Side::Sell, sa),
                req(&b_pair, Side::Buy, sb),
                req(&b_pair, Side::Sell, sb),
            ],
            eval,
            protocol: BinanceProtocol {
                recv_window_ms: 5000,
            },
            // A made-up key pair: the bench signs for real but never sends.
            signer: binance_signer(
                &ApiCredentials::new(
                    "benchKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS",
                    "benchSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP",
                )
                .expect("credentials"),
                5000,
            )
            .expect("signer"),
            endpoint: Endpoint::new("https://api.binance.com"),
            clock: ServerClock::new(),
            wire: Vec::with_capacity(1024),
        }
    }

    /// The exchange quote: the book walked for the size with the taker fee, as `BinanceSpot::quote`.
    fn cex_quote(&self, request: &QuoteRequest) -> Option<Quote> {
        let q = self
            .book
            .book
            .quote(request.side, request.base_amount, self.rules[0].taker_fee)
            .ok()?;
        if q.filled < request.base_amount {
            return None;
        }
        Some(Quote {
            venue: "binance".into(),
            pair: request.pair.clone(),
            side: request.side,
            base_amount: request.base_amount,
            quote_amount: q.net,
            average_price: q.average_price,
            worst_price: q.worst_price,
            fee_asset: request.pair.quote.clone(),
            fee_amount: q.fee,
            gas: None,
        })
    }

    /// The AMM quote: the exact v3 swap on the in-memory pool, converted as the connector's
    /// `quote_tokens` converts it (price after the swap with the fee, gas by ticks crossed).
    fn amm_quote(&self, request: &QuoteRequest) -> Option<Quote> {
        let units = sluice::amm::quoting::amount_units(request.base_amount, &self.weth).ok()?;
        // USDC is token0: buying WETH swaps token0 for token1 (exact output), selling the reverse.
        let (zero_for_one, amount) = match request.side {
            Side::Buy => (true, SwapAmount::ExactOut(units)),
            Side::Sell => (false, SwapAmount::ExactIn(units)),
        };
        let o = self.pool.simulate_swap(zero_for_one, amount, None).ok()?;
        if !o.complete {
            return None;
        }
        let p = o.sqrt_price_after;
        let price1_per0_x96 = mul_div(p, p, Q96).ok()?;
        let base_is_token0 = match request.side {
            Side::Sell => zero_for_one,
            Side::Buy => !zero_for_one,
        };
        let (num, den) = if base_is_token0 {
            (price1_per0_x96, Q96)
        } else {
            (Q96, price1_per0_x96)
        };
        let swap = SwapQuote {
            amount_in: o.amount_in,
            amount_out: o.amount_out,
            fee_in: o.fee_amount,
            gas_units: GAS_BASE + GAS_PER_TICK * u64::from(o.ticks_crossed),
            price_after: marginal_with_fee(num, den, self.pool.fee, request.side),
            route: String::new(),
        };
        build_quote(
            "uniswap_v3@anvil",
            request,
            &self.weth,
            &self.usdc,
            &swap,
            &self.eth,
            GAS_PRICE_WEI,
        )
        .ok()
    }

    /// Signs the exchange order and writes the HTTP request into `self.wire`.
    fn serialize(&mut self, order: &OrderRequest) {
        let req = order_request(order, &self.rules[0].venue_symbol);
        let prepared = prepare_request(
            &self.endpoint,
            Some(&self.protocol),
            Some(&self.signer),
            &req,
            self.clock.now_ms(),
            NonceSource::Derived,
        )
        .expect("signed");
        let (query, headers) = (prepared.query, prepared.headers);
        let w = &mut self.wire;
        w.clear();
        w.extend_from_slice(req.method.as_str().as_bytes());
        w.push(b' ');
        w.extend_from_slice(req.path.as_bytes());
        w.push(b'?');
        w.extend_from_slice(query.as_bytes());
        w.extend_from_slice(b" HTTP/1.1\r\nhost: api.binance.com\r\n");
        for (k, v) in &headers {
            w.extend_from_slice(k.as_bytes());
            w.extend_from_slice(b": ");
            w.extend_from_slice(v.as_bytes());
            w.extend_from_slice(b"\r\n");
        }
        w.extend_from_slice(b"content-length: 0\r\n\r\n");
    }

    /// One event, end to end; `stages` gets the time of each stage when given.
    fn on_event(&mut self, frame: &[u8], mut stages: Option<&mut Stages>) -> Path {
        // The clock is read between stages only in the breakdown pass.
        let mut mark = stages.is_some().then(Instant::now);
        let mut lap = |field: fn(&mut Stages) -> &mut Duration,
                       stages: &mut Option<&mut Stages>| {
            if let (Some(s), Some(m)) = (stages.as_deref_mut(), mark.as_mut()) {
                let now = Instant::now();
                *field(s) += now - *m;
                *m = now;
            }
        };
        match self.book.on_frame(frame) {
            Ok(DiffOutcome::Applied) => {}
            other => panic!("diff not applied: {other:?}"),
        }
        lap(|s| &mut s.book, &mut stages);
        let [ra, rb_, rc, rd] = &self.requests;
        let (ba, sa) = (self.cex_quote(ra), self.cex_quote(rb_));
        lap(|s| &mut s.cex_quote, &mut stages);
        let (bb, sb) = (self.amm_quote(rc), self.amm_quote(rd));
        lap(|s| &mut s.amm_quote, &mut stages);
        let decision = self
            .eval
            .decide([ba.as_ref(), bb.as_ref()], [sa.as_ref(), sb.as_ref()]);
        lap(|s| &mut s.decide, &mut stages);
        let Decision::Trade { proposal, .. } = decision else {
            black_box(&decision);
            return Path::Hold;
        };
        let [bal_a, bal_b] = &self.balances;
        self.eval
            .check_balances(&proposal, [bal_a, bal_b])
            .expect("balances cover the trade");
        let orders = self
            .eval
            .orders(
                &proposal,
                [Execution::IocLimit, Execution::SwapMinOut],
                [&self.rules[0], &self.rules[1]],
                [
                    ClientOrderId::generate("sla"),
                    ClientOrderId::generate("slb"),
                ],
                1_764_000_000,
            )
            .expect("orders follow the rules");
        lap(|s| &mut s.orders, &mut stages);
        let [cex_order, amm_order] = orders;
        self.serialize(&cex_order);
        black_box(&amm_order);
        black_box(&self.wire);
        lap(|s| &mut s.request, &mut stages);
        Path::Trade
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn report(name: &str, v: &mut [u64]) {
    v.sort_unstable();
    let mean = v.iter().sum::<u64>() as f64 / v.len().max(1) as f64 / 1000.0;
    println!(
        "{name:<8} n={:>7}  mean {mean:>7.2}  p50 {:>7.2}  p90 {:>7.2}  p99 {:>7.2}  p99.9 {:>7.2}  max {:>8.2}  (µs)",
        v.len(),
        percentile(v, 0.50),
        percentile(v, 0.90),
        percentile(v, 0.99),
        percentile(v, 0.999),
        percentile(v, 1.0),
    );
}

/// A fresh pipeline that has run `warmup` events untimed, and the index of the next event.
fn warmed(data: &Data, warmup: usize) -> Pipeline {
    let mut p = Pipeline::new(&data.snapshot);
    for e in &data.events[..warmup] {
        p.on_event(e, None);
    }
    p
}

fn percentile_pass(data: &Data) {
    let n = data.events.len() - WARMUP_EVENTS;
    // The cost of the clock pair itself, for reference.
    let mut clock = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let t = Instant::now();
        clock.push(black_box(t.elapsed()).as_nanos() as u64);
    }
    clock.sort_unstable();
    println!(
        "Instant pair overhead: p50 {} ns, p99 {} ns",
        clock[clock.len() / 2],
        clock[clock.len() * 99 / 100]
    );

    let mut p = warmed(data, WARMUP_EVENTS);
    let (mut all, mut trade, mut hold) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for e in &data.events[WARMUP_EVENTS..] {
        let t = Instant::now();
        let path = p.on_event(black_box(e), None);
        let ns = t.elapsed().as_nanos() as u64;
        all.push(ns);
        match path {
            Path::Trade => trade.push(ns),
            Path::Hold => hold.push(ns),
        }
    }
    println!(
        "percentile pass: {n} events after {WARMUP_EVENTS} warm-up, {} trade ({:.1} %), {} hold",
        trade.len(),
        100.0 * trade.len() as f64 / n as f64,
        hold.len()
    );
    report("all", &mut all);
    report("trade", &mut trade);
    report("hold", &mut hold);
    assert!(
        !trade.is_empty() && !hold.is_empty(),
        "the data must exercise both paths"
    );
    check_wire(&p);

    // Per-stage breakdown (the clock reads add a little to each stage).
    let mut p = warmed(data, WARMUP_EVENTS);
    let (mut st_trade, mut st_hold) = (Stages::default(), Stages::default());
    let (mut nt, mut nh) = (0u32, 0u32);
    for e in &data.events[WARMUP_EVENTS..] {
        let mut s = Stages::default();
        match p.on_event(e, Some(&mut s)) {
            Path::Trade => {
                nt += 1;
                add(&mut st_trade, &s);
            }
            Path::Hold => {
                nh += 1;
                add(&mut st_hold, &s);
            }
        }
    }
    for (name, s, k) in [("trade", st_trade, nt), ("hold", st_hold, nh)] {
        let us = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(k.max(1));
        println!(
            "stages {name:<5} mean µs: book {:.2} | cex quotes {:.2} | amm quotes {:.2} | decide {:.2} | balances+orders {:.2} | sign+serialize {:.2}",
            us(s.book),
            us(s.cex_quote),
            us(s.amm_quote),
            us(s.decide),
            us(s.orders),
            us(s.request)
        );
    }
}

/// The last request written is a signed Binance order whose signature verifies.
fn check_wire(p: &Pipeline) {
    let wire = std::str::from_utf8(&p.wire).expect("ASCII request");
    let line = wire.lines().next().expect("request line");
    let query = line
        .strip_prefix("POST /api/v3/order?")
        .and_then(|r| r.strip_suffix(" HTTP/1.1"))
        .expect("POST /api/v3/order");
    let (signed, sig) = query.split_once("&signature=").expect("signature last");
    assert!(signed.starts_with("symbol=ETHUSDT&side="), "{signed}");
    assert!(signed.contains("&type=LIMIT&timeInForce=IOC&quantity=1&price="));
    assert!(signed.contains("&recvWindow=5000&timestamp="));
    let want = hmac_sha256_hex(
        b"benchSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP",
        signed.as_bytes(),
    );
    assert_eq!(sig, want, "signature verifies");
    assert!(wire.contains("\r\nX-MBX-APIKEY: benchKey"));
    assert!(wire.ends_with("\r\n\r\n"));
    let shown: String = line.chars().take(170).collect();
    println!("last request ({} bytes): {shown}…", p.wire.len());
}

fn add(total: &mut Stages, s: &Stages) {
    total.book += s.book;
    total.cex_quote += s.cex_quote;
    total.amm_quote += s.amm_quote;
    total.decide += s.decide;
    total.orders += s.orders;
    total.request += s.request;
}

fn criterion_pass(c: &mut Criterion, data: &Data) {
    c.bench_function(
        "arb_latency/event (diff bytes → signed order bytes)",
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    // A new book from the snapshot (untimed) whenever the events run out.
                    let mut p = Pipeline::new(&data.snapshot);
                    let take = left.min(data.events.len() as u64) as usize;
                    let t = Instant::now();
                    for e in &data.events[..take] {
                        black_box(p.on_event(black_box(e), None));
                    }
                    total += t.elapsed();
                    left -= take as u64;
                }
                total
            })
        },
    );
}

fn main() {
    let n: usize = std::env::var("ARB_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let t = Instant::now();
    let data = generate(n + WARMUP_EVENTS);
    let bytes: usize = data.events.iter().map(Vec::len).sum();
    println!(
        "data: {} diff events ({:.0} bytes each on average), snapshot {} bytes, generated in {:.1} s",
        data.events.len(),
        bytes as f64 / data.events.len() as f64,
        data.snapshot.len(),
        t.elapsed().as_secs_f64()
    );
    percentile_pass(&data);
    let mut c = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    criterion_pass(&mut c, &data);
    c.final_summary();
}
