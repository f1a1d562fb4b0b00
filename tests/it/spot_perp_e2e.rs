//! The spot–perpetual strategy end to end against the simulators (Binance spot and Binance
//! USDⓈ-M futures in one process, every private request's signature verified): it opens the
//! forward carry on a wide basis (spot bought, perpetual sold), closes both legs once the
//! perpetual's book converges onto spot, and the journal's realized PnL equals the balance
//! changes measured on both simulators, fees included. The futures simulator does not settle
//! funding yet, so no funding payment is part of this run.

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot};
use sluice::cex::exchanges::binance_perpetual::{BinancePerpConfig, BinancePerpetual};
use sluice::core::Pair;
use sluice::store::Journal;
use sluice::strategy::spot_perp::{
    Carry, Holding, SpotPerpConfig, SpotPerpError, SpotPerpEvent, SpotPerpRunner, SpotPerpSummary,
};
use sluice_sim::spot_perp_env::SpotPerpEnv;
use tokio::sync::{mpsc, watch};

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

pub(crate) async fn venues(env: &SpotPerpEnv) -> [Arc<dyn Venue>; 2] {
    let spot = BinanceSpot::new(
        BinanceConfig {
            rest_url: env.spot.rest_url(),
            ws_url: env.spot.ws_url(),
            ws_api_url: env.spot.ws_api_url(),
            ..BinanceConfig::binance()
        },
        Some(ApiCredentials::new(env.spot.api_key(), env.spot.api_secret()).unwrap()),
    )
    .unwrap();
    let perp = BinancePerpetual::new(
        BinancePerpConfig {
            rest_url: env.perp.rest_url(),
            ws_url: env.perp.ws_url(),
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
    let cfg: SpotPerpConfig = CONFIG.parse().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let mut runner = SpotPerpRunner::new(venues.clone(), cfg, journal.clone(), "sp", CONFIG, tx)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opens_on_a_wide_basis_closes_on_convergence_and_pnl_matches_balances() {
    // the perpetual 2 % above spot
    let env = SpotPerpEnv::start(dec!(3000), dec!(3060)).await.unwrap();
    let venues = venues(&env).await;
    let (eth0, usdt0) = (
        env.spot_holding("ETH").unwrap(),
        env.spot_holding("USDT").unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let (runner, mut rx) = runner(&venues, &journal).await;
    let run_id = runner.run_id();
    let (_stop_tx, stop_rx) = watch::channel(false);
    let handle = tokio::spawn(runner.run(stop_rx));

    let opened = wait_event(&mut rx, "an open", |e| {
        matches!(e, SpotPerpEvent::Opened { .. })
    })
    .await;
    let SpotPerpEvent::Opened { carry, size, .. } = opened else {
        unreachable!()
    };
    assert_eq!((carry, size), (Carry::Forward, dec!(0.5)));
    assert_eq!(env.perp_position(), dec!(-0.5));

    // the perpetual's book comes down onto spot: the basis converges
    env.move_perp(dec!(3000)).unwrap();
    wait_event(&mut rx, "a close", |e| {
        matches!(e, SpotPerpEvent::Closed { .. })
    })
    .await;
    let summary = finished(handle).await;
    assert_eq!((summary.opens, summary.closes, summary.failures), (1, 1, 0));
    assert_eq!(summary.holding, Holding::Flat);
    assert_eq!(env.perp_position(), Decimal::ZERO);

    // realized PnL per asset = what both simulators' accounts measured
    let eth = env.spot_holding("ETH").unwrap() - eth0;
    let usdt = env.spot_holding("USDT").unwrap() - usdt0 + env.perp_wallet_change();
    let report = journal.history(Some(run_id)).unwrap().runs.pop().unwrap();
    let flow = |asset: &str| {
        report
            .pnl
            .iter()
            .find(|f| f.asset == asset)
            .map_or(Decimal::ZERO, |f| f.net)
    };
    assert_eq!(flow("ETH"), eth, "{:?}", report.pnl);
    assert_eq!(flow("USDT"), usdt, "{:?}", report.pnl);
    // a 2 % basis on 0.5 ETH at 3000, less four taker fees: clearly a profit
    assert!(usdt > dec!(20), "{usdt}");
    assert_eq!(report.trades.len(), 4, "{:?}", report.trades);
    assert_eq!(report.orders_in_flight, 0);
    assert!(
        report.outcome.as_deref() == Some("max_trades"),
        "{:?}",
        report.outcome
    );
    // the perpetual's position changes are journaled: opened short, then flat
    assert_eq!(report.positions.len(), 1, "{:?}", report.positions);
    assert_eq!(report.positions[0].size, Decimal::ZERO);
}
