//! An EVM AMM venue sees its own swap at once: with the pool sync timer set to an hour (so only the
//! venue's reaction to its own receipt can move its state), two consecutive swaps through the venue,
//! each bounded by its quote with no slippage allowed, both fill at exactly the quoted amount (the
//! chain's own execution equals the quote to the unit), and the pools' state reached the swap's
//! block before its fill was reported. Every AMM of the kit (Uniswap v2 and v3, Balancer, Mento), built
//! through the registry by `ArbEnv`. With the timer racing the catch-ups (every few milliseconds),
//! Balancer's state (whose Swap events are deltas, so a log applied twice would show) still quotes
//! every swap exactly.

use std::time::Duration;

use rust_decimal::Decimal;
use sluice::core::{
    ClientOrderId, Order, OrderRequest, OrderState, OrderType, QuoteRequest, Side, TimeInForce,
    VenueEvent,
};
use sluice::venue::{EventReceiver, Venue};
use sluice_sim::arb_env::{ArbAmm, ArbEnv, ArbEnvOptions};

const WAIT: Duration = Duration::from_secs(60);

async fn env_with_sync(amm: ArbAmm, every: Duration) -> ArbEnv {
    ArbEnv::start(ArbEnvOptions {
        pool_sync_interval: every,
        preapprove_router: true,
        ..ArbEnvOptions::for_amm(amm)
    })
    .await
    .unwrap()
}

async fn wait_final(v: &dyn Venue, req: &OrderRequest) -> Order {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        let o = v.order_status(req).await.unwrap();
        if o.state.is_terminal() {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("order {} not final", req.client_id);
}

/// Buys `size` of the pool's base at exactly the venue's quote (no slippage allowed); returns the
/// quoted amount and the final order.
async fn buy_at_the_quote(v: &dyn Venue, amm: ArbAmm, id: &str) -> (Decimal, Order) {
    let size = amm.default_order_size();
    let pair: sluice::core::Pair = amm.amm_pair().parse().unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: size,
        })
        .await
        .unwrap();
    let price = q.quote_amount / size;
    assert_eq!(
        price * size,
        q.quote_amount,
        "{amm}: the bound is the quote"
    );
    let req = OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        pair,
        side: Side::Buy,
        order_type: OrderType::Swap,
        amount: size,
        price: Some(price),
        time_in_force: TimeInForce::Fok,
        deadline: Some(u64::MAX / 4),
    };
    v.submit(req.clone()).await.unwrap();
    (q.quote_amount, wait_final(v, &req).await)
}

/// The block of `id`'s mined transaction, and whether a `PoolChanged` at that block or later came
/// before its fill, from the events received so far.
fn pool_moved_before_fill(events: &mut EventReceiver, id: &str) -> (Option<u64>, bool) {
    let (mut mined, mut moved, mut before_fill) = (None, None::<u64>, false);
    while let Ok(ev) = events.try_recv() {
        match ev {
            VenueEvent::Transaction(tx)
                if tx.client_id.as_ref().is_some_and(|c| c.as_str() == id)
                    && tx.block.is_some() =>
            {
                mined = tx.block;
            }
            VenueEvent::PoolChanged { block, .. } => moved = moved.max(Some(block)),
            VenueEvent::Fill(f) if f.client_id.as_ref().is_some_and(|c| c.as_str() == id) => {
                before_fill = matches!((mined, moved), (Some(m), Some(p)) if p >= m);
            }
            _ => {}
        }
    }
    (mined, before_fill)
}

async fn own_swaps_are_quoted_at_once(amm: ArbAmm) {
    let env = env_with_sync(amm, Duration::from_secs(3600)).await;
    let v = env.amm.as_ref();
    let mut events = v.events();
    let (q1, o1) = buy_at_the_quote(v, amm, "own-1").await;
    assert_eq!(o1.state, OrderState::Filled, "{amm}: first swap {o1:?}");
    assert_eq!(o1.filled_quote, q1, "{amm}: first swap paid its quote");
    let (block, in_time) = pool_moved_before_fill(&mut events, "own-1");
    assert!(
        block.is_some(),
        "{amm}: the swap's transaction was reported"
    );
    assert!(
        in_time,
        "{amm}: the pools reached block {block:?} before the fill was reported"
    );
    // No sleep, no refresh: the next quote already has the first swap in it.
    let (q2, o2) = buy_at_the_quote(v, amm, "own-2").await;
    assert!(
        q2 > q1,
        "{amm}: the pool moved against a second buy: {q1} then {q2}"
    );
    assert_eq!(
        o2.state,
        OrderState::Filled,
        "{amm}: the second swap, bounded by a quote on the swapped pool, fills: {o2:?}"
    );
    assert_eq!(
        o2.filled_quote, q2,
        "{amm}: the chain charged the quote to the unit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uniswap_v2_quotes_its_own_swap_at_once() {
    own_swaps_are_quoted_at_once(ArbAmm::UniswapV2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uniswap_v3_quotes_its_own_swap_at_once() {
    own_swaps_are_quoted_at_once(ArbAmm::UniswapV3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_quotes_its_own_swap_at_once() {
    own_swaps_are_quoted_at_once(ArbAmm::Balancer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mento_quotes_its_own_swap_at_once() {
    own_swaps_are_quoted_at_once(ArbAmm::Mento).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_racing_sync_timer_applies_no_log_twice() {
    let amm = ArbAmm::Balancer;
    let env = env_with_sync(amm, Duration::from_millis(3)).await;
    let v = env.amm.as_ref();
    let mut last = Decimal::ZERO;
    for i in 0..4 {
        let (q, o) = buy_at_the_quote(v, amm, &format!("race-{i}")).await;
        assert_eq!(o.state, OrderState::Filled, "swap {i}: {o:?}");
        assert_eq!(o.filled_quote, q, "swap {i}: the chain charged the quote");
        assert!(q > last, "swap {i}: each buy costs more than the last");
        last = q;
    }
}
