//! The spot–perpetual strategy end to end against Binance spot and either perpetual simulator
//! (Binance USDⓈ-M or Bybit v5 linear, every private request's signature verified): it opens the
//! forward carry on a 2 % basis, the perpetual venue settles funding while the carry is held
//! (when the round asks for it), both legs close once the perpetual's book converges onto spot,
//! and the journal's realized PnL per asset equals the balance changes measured on both
//! simulators, fees and funding included; the funding payment is journaled once and
//! `sluice history --json` lists it. With `hedge`, the perpetual account is in hedge mode first:
//! the open and the close both act on the SHORT side.

use std::sync::Arc;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::bybit_perpetual::{BybitPerpConfig, BybitPerpetual};
use sluice::core::{PositionMode, PositionSide};
use sluice::store::Journal;
use sluice::strategy::spot_perp::{Carry, Holding, SpotPerpEvent};
use sluice_sim::exchange::dialects::bybit_perpetual::{MockBybitPerp, PosSide};
use sluice_sim::spot_perp_env::{PerpSim, SYMBOL, SpotPerpEnv};
use tokio::sync::watch;

use crate::cex_support::cli::{CLI, json};
use crate::spot_perp_e2e::{CONFIG, finished, pair, runner_with, spot_venue, venues, wait_event};

/// What one round adds to the plain open-and-close.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Round {
    /// Settle funding at this rate (mark 3060) while the carry is held.
    pub funding_rate: Option<Decimal>,
    /// Put the perpetual account in hedge mode before the run starts.
    pub hedge: bool,
}

/// The Bybit connector on the environment's perpetual simulator (not started).
pub(crate) fn bybit_venue(env: &SpotPerpEnv<MockBybitPerp>) -> BybitPerpetual {
    BybitPerpetual::new(
        BybitPerpConfig {
            rest_url: env.perp.rest_url(),
            ws_url: env.perp.ws_url(),
            ..BybitPerpConfig::default()
        },
        Some(ApiCredentials::new(env.perp.api_key(), env.perp.api_secret()).unwrap()),
    )
    .unwrap()
}

/// Binance spot and Bybit, both started on ETH-USDT.
pub(crate) async fn bybit_venues(env: &SpotPerpEnv<MockBybitPerp>) -> [Arc<dyn Venue>; 2] {
    let venues: [Arc<dyn Venue>; 2] = [Arc::new(spot_venue(env)), Arc::new(bybit_venue(env))];
    for v in &venues {
        v.start(&[pair()]).await.unwrap();
    }
    venues
}

/// The test config with the perpetual leg on `perp_venue`.
pub(crate) fn config_for(perp_venue: &str) -> String {
    CONFIG.replace(
        "venue = \"binance_perpetual\"",
        &format!("venue = \"{perp_venue}\""),
    )
}

/// One forward carry opened on a 2 % basis and closed on convergence, checked against both
/// simulators' accounts (see the module's doc).
pub(crate) async fn carry_round_trip<P: PerpSim>(
    env: &SpotPerpEnv<P>,
    venues: [Arc<dyn Venue>; 2],
    round: Round,
) {
    let perp_name = venues[1].id().to_string();
    if round.hedge {
        venues[1]
            .set_position_mode(PositionMode::Hedge)
            .await
            .unwrap();
        assert_eq!(
            venues[1].position_mode().await.unwrap(),
            PositionMode::Hedge
        );
    }
    let (eth0, usdt0) = (
        env.spot_holding("ETH").unwrap(),
        env.spot_holding("USDT").unwrap(),
    );
    let home = tempfile::tempdir().unwrap();
    let journal = Journal::open(&home.path().join("journal.sqlite")).unwrap();
    let config = config_for(&perp_name);
    let (runner, mut rx) = runner_with(&venues, &journal, &config).await;
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
    let side_size = |side| {
        env.perp
            .ledger()
            .position(env.perp.account(), SYMBOL, side)
            .size
    };
    if round.hedge {
        assert_eq!(side_size(PosSide::Short), dec!(-0.5));
    }

    if let Some(rate) = round.funding_rate {
        // a funding time passes while the carry is held: the short receives a positive rate
        env.set_funding(dec!(3060), rate);
        assert_eq!(env.settle_funding(), 1);
        let ev = wait_event(&mut rx, "a funding payment", |e| {
            matches!(e, SpotPerpEvent::Funding { .. })
        })
        .await;
        let SpotPerpEvent::Funding { payment } = ev else {
            unreachable!()
        };
        assert_eq!(payment.amount, env.perp_funding());
        if round.hedge {
            // Bybit's settlement names the side (positionIdx 2); Binance's income record does
            // not, so its connector reports the payment as `Net`
            assert!(
                matches!(
                    payment.position_side,
                    PositionSide::Short | PositionSide::Net
                ),
                "{payment:?}"
            );
        }
    }

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
    if round.hedge {
        // the close reduced the SHORT side; no LONG side was ever opened
        assert_eq!(side_size(PosSide::Short), Decimal::ZERO);
        assert_eq!(
            env.perp
                .ledger()
                .position(env.perp.account(), SYMBOL, PosSide::Long),
            Default::default()
        );
    }

    // realized PnL per asset = what both simulators' accounts measured, funding included
    let funding = env.perp_funding();
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
    assert!(usdt > dec!(20), "{usdt}");
    assert_eq!(report.trades.len(), 4, "{:?}", report.trades);
    assert_eq!(report.orders_in_flight, 0);
    assert!(
        report.outcome.as_deref() == Some("max_trades"),
        "{:?}",
        report.outcome
    );
    // the perpetual's position changes are journaled, the last of each side flat: in one-way
    // mode the net position; in hedge mode only the SHORT side ever held anything
    assert!(!report.positions.is_empty());
    for p in &report.positions {
        assert!(p.size.is_zero(), "{:?}", report.positions);
        let side = if round.hedge { "short" } else { "net" };
        assert!(
            p.position_side == side || (round.hedge && p.position_side == "long"),
            "{:?}",
            report.positions
        );
    }
    if !round.hedge {
        assert_eq!(report.positions.len(), 1, "{:?}", report.positions);
    }
    match round.funding_rate {
        Some(_) => {
            assert!(!funding.is_zero());
            assert_eq!(report.funding.len(), 1, "{:?}", report.funding);
            assert_eq!(report.funding[0].amount, funding);
            assert_eq!(report.funding[0].venue, perp_name);
        }
        None => assert!(report.funding.is_empty(), "{:?}", report.funding),
    }

    // `sluice history` shows the run's funding
    let run = run_id.to_string();
    let out = CLI
        .output(home.path(), ["history", "--run", &run, "--json"], None)
        .await;
    let h = json(&out);
    let listed = h["runs"][0]["funding"].as_array().unwrap();
    assert_eq!(listed.len(), report.funding.len(), "{h}");
    if let Some(f) = listed.first() {
        let amount: Decimal = f["amount"]
            .as_str()
            .map_or_else(|| f["amount"].to_string(), str::to_string)
            .parse()
            .unwrap();
        assert_eq!(amount, funding, "{h}");
    }
}

/// A round on Binance spot and Binance USDⓈ-M futures.
pub(crate) async fn binance_round(round: Round) {
    let env = SpotPerpEnv::start(dec!(3000), dec!(3060)).await.unwrap();
    carry_round_trip(&env, venues(&env).await, round).await;
}

/// A round on Binance spot and Bybit linear perpetuals.
pub(crate) async fn bybit_round(round: Round) {
    let env = SpotPerpEnv::start_bybit(dec!(3000), dec!(3060))
        .await
        .unwrap();
    carry_round_trip(&env, bybit_venues(&env).await, round).await;
}

/// Funding at 0.0001 per settlement (mark 3060) while the carry is held, one-way mode.
pub(crate) const FUNDED: Round = Round {
    funding_rate: Some(dec!(0.0001)),
    hedge: false,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_opens_on_a_wide_basis_closes_on_convergence_and_pnl_matches_balances() {
    bybit_round(Round::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_funding_while_held_is_journaled_once_and_counts_in_pnl() {
    bybit_round(FUNDED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_funding_while_held_is_journaled_once_and_counts_in_pnl() {
    binance_round(FUNDED).await;
}
