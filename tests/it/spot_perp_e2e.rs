//! The spot–perpetual strategy end to end against the simulators (Binance spot and Binance
//! USDⓈ-M futures in one process, every private request's signature verified): it opens the
//! forward carry on a wide basis (spot bought, perpetual sold), closes both legs once the
//! perpetual's book converges onto spot, and the journal's realized PnL equals the balance
//! changes measured on both simulators, fees included (no funding settles in this round; see
//! `spot_perp_carry` for the rounds with funding, on Bybit, and `spot_perp_hedge`).

use std::sync::Arc;
use std::time::Duration;

use sluice::Venue;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot};
use sluice::cex::exchanges::binance_perpetual::{BinancePerpConfig, BinancePerpetual};
use sluice::core::Pair;
use sluice::store::Journal;
use sluice::strategy::spot_perp::{
    SpotPerpConfig, SpotPerpError, SpotPerpEvent, SpotPerpRunner, SpotPerpSummary,
};
use sluice_sim::spot_perp_env::SpotPerpEnv;
use tokio::sync::mpsc;

use crate::spot_perp_carry::{Round, binance_round};

pub(crate) const CONFIG: &str = r#"
order_size = "0.5"
open_threshold_pct = "0.5"
close_threshold_pct = "0.3"
max_position = "0.5"
on_leg_failure = "unwind"
max_failures = 2
max_trades = 1

[spot]
venue = "binance"
pair = "ETH-USDT"
slippage_pct = "0.5"

[perp]
venue = "binance_perpetual"
pair = "ETH-USDT"
slippage_pct = "0.5"
"#;

pub(crate) fn pair() -> Pair {
    "ETH-USDT".parse().unwrap()
}

/// The Binance spot connector on the environment's spot simulator (not started).
pub(crate) fn spot_venue<P>(env: &SpotPerpEnv<P>) -> BinanceSpot {
    BinanceSpot::new(
        BinanceConfig {
            rest_url: env.spot.rest_url(),
            ws_url: env.spot.ws_url(),
            ws_api_url: env.spot.ws_api_url(),
            ..BinanceConfig::binance()
        },
        Some(ApiCredentials::new(env.spot.api_key(), env.spot.api_secret()).unwrap()),
    )
    .unwrap()
}

pub(crate) async fn venues(env: &SpotPerpEnv) -> [Arc<dyn Venue>; 2] {
    let spot = spot_venue(env);
    let perp = BinancePerpetual::new(
        BinancePerpConfig {
            rest_url: env.perp.rest_url(),
            ws_url: env.perp.ws_url(),
            // the listenKey stream on the simulator too (the default is Binance's host)
            user_ws_url: env.perp.ws_url(),
            ..BinancePerpConfig::default()
        },
        Some(ApiCredentials::new(env.perp.api_key(), env.perp.api_secret()).unwrap()),
    )
    .unwrap();
    let venues: [Arc<dyn Venue>; 2] = [Arc::new(spot), Arc::new(perp)];
    for v in &venues {
        v.start(&[pair()]).await.unwrap();
    }
    venues
}

/// A runner on `venues` journaling to `journal` (the test config, polling every 200 ms), and
/// its events.
pub(crate) async fn runner(
    venues: &[Arc<dyn Venue>; 2],
    journal: &Journal,
) -> (SpotPerpRunner, mpsc::UnboundedReceiver<SpotPerpEvent>) {
    runner_with(venues, journal, CONFIG).await
}

/// A runner as [`runner`] on the config `text`.
pub(crate) async fn runner_with(
    venues: &[Arc<dyn Venue>; 2],
    journal: &Journal,
    text: &str,
) -> (SpotPerpRunner, mpsc::UnboundedReceiver<SpotPerpEvent>) {
    let cfg: SpotPerpConfig = text.parse().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let mut runner = SpotPerpRunner::new(venues.clone(), cfg, journal.clone(), "sp", text, tx)
        .await
        .unwrap();
    runner.set_poll_interval(Duration::from_millis(200));
    (runner, rx)
}

/// The summary of a spawned run, which must end within 60 s.
pub(crate) async fn finished(
    handle: tokio::task::JoinHandle<Result<SpotPerpSummary, SpotPerpError>>,
) -> SpotPerpSummary {
    tokio::time::timeout(Duration::from_secs(60), handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

/// Waits for the first event `pick` accepts, failing after 60 s with what was seen.
pub(crate) async fn wait_event(
    rx: &mut mpsc::UnboundedReceiver<SpotPerpEvent>,
    what: &str,
    pick: impl Fn(&SpotPerpEvent) -> bool,
) -> SpotPerpEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) if pick(&ev) => return ev,
            Ok(Some(ev)) => seen.push(format!("{ev:?}")),
            Ok(None) => panic!("the runner ended before {what}: {seen:#?}"),
            Err(_) => panic!(
                "no {what} within 60 s; seen: {:#?}",
                &seen[seen.len().saturating_sub(8)..]
            ),
        }
    }
}

/// The round itself is `spot_perp_carry::carry_round_trip`, shared with the Bybit, funding and
/// hedge-mode rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opens_on_a_wide_basis_closes_on_convergence_and_pnl_matches_balances() {
    binance_round(Round::default()).await;
}
