//! The spot–perpetual strategy with the perpetual account in hedge mode (set through
//! `Venue::set_position_mode` before the run; the runner reads `Venue::position_mode` when it
//! starts): the forward carry opens on the SHORT side and closes that same side (Binance
//! `positionSide=SHORT` without `reduceOnly`, which Binance refuses in hedge mode; Bybit
//! `positionIdx=2`), funding settled while held, PnL equal to both simulators' balance changes.

use rust_decimal_macros::dec;

use crate::spot_perp_carry::{Round, binance_round, bybit_round};

const HEDGED: Round = Round {
    funding_rate: Some(dec!(0.0001)),
    hedge: true,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_in_hedge_mode_opens_and_closes_the_short_side() {
    binance_round(HEDGED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_in_hedge_mode_opens_and_closes_the_short_side() {
    bybit_round(HEDGED).await;
}
