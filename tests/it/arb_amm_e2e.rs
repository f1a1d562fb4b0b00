//! The arbitrage end to end with each AMM as its second leg: Uniswap v2, Uniswap v3, Balancer (the
//! WETH/USDC weighted pool) and Mento (CELO/cUSD), each against the mock Binance listing the
//! mirror pair with its book above the pool's price. Both venues are built through the registry
//! (`ArbEnv`). The mispricing is traded until no direction beats the threshold; the journal holds
//! both legs of every trade; the run's PnL is positive in the exchange's quote asset and equals
//! the balance change measured on the mock and on chain, asset by asset.

use std::time::Duration;

use rust_decimal::Decimal;
use sluice::store::{AssetFlow, Journal};
use sluice::strategy::arb::ArbEvent;
use sluice_sim::arb_env::{ArbAmm, ArbEnv, ArbEnvOptions};
use sluice_sim::arb_toml::StrategyToml;
use tokio::sync::watch;

/// Every wait is bounded by this.
const WAIT: Duration = Duration::from_secs(90);
/// Fill prices are `quote / base` in 28 digits: their products agree with the balances far below this.
const TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 9);

fn flow(pnl: &[AssetFlow], asset: &str) -> Decimal {
    pnl.iter()
        .find(|f| f.asset.eq_ignore_ascii_case(asset))
        .map_or(Decimal::ZERO, |f| f.net)
}

async fn the_mispricing_is_traded_and_closed(amm: ArbAmm) {
    let env = ArbEnv::start(ArbEnvOptions::for_amm(amm)).await.unwrap();
    assert_eq!(
        env.amm.id().to_string(),
        format!("{amm}@{}", amm.local_chain().spec_name())
    );
    let before = env.holdings().await.unwrap();
    let cfg = StrategyToml {
        max_trades: Some(20),
        ..StrategyToml::for_amm(amm)
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let (runner, mut rx) = env
        .runner(&cfg.text(), Journal::open(&path).unwrap(), "amm-e2e")
        .await
        .unwrap();
    let (stop, stop_rx) = watch::channel(false);
    let handle = tokio::spawn(async move { runner.run(stop_rx).await.map_err(|e| e.to_string()) });

    let deadline = tokio::time::Instant::now() + WAIT;
    let (mut trades, mut closed, mut opening_edge) = (0u32, false, None);
    let mut events = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        events.push(ev.clone());
        match ev {
            ArbEvent::Edges { edges } => {
                let best = edges.iter().map(|e| e.profit_pct).max().unwrap_or_default();
                opening_edge.get_or_insert(best);
                if trades > 0 && best < cfg.min_profit_pct {
                    closed = true;
                    break;
                }
            }
            ArbEvent::TradeDone { .. } => trades += 1,
            ArbEvent::LegFailed { trade, detail } => {
                panic!("{amm}: trade {trade} failed: {detail}; events: {events:#?}")
            }
            ArbEvent::Stopped { .. } => break,
            _ => {}
        }
    }
    let _ = stop.send(true);
    let summary = tokio::time::timeout(WAIT, handle)
        .await
        .expect("the runner stops")
        .unwrap()
        .unwrap();
    assert!(
        opening_edge.is_some_and(|e| e > cfg.min_profit_pct),
        "{amm}: the opening gap beats the threshold: {opening_edge:?}"
    );
    assert!(
        closed,
        "{amm}: the gap is closed after {trades} trades; events: {events:#?}"
    );
    assert!(trades >= 1, "{amm}");
    assert_eq!((summary.trades, summary.failures), (trades, 0), "{amm}");

    // The journal holds both legs of every trade, each of the order size.
    let run = Journal::open(&path)
        .unwrap()
        .history(Some(summary.run_id))
        .unwrap()
        .runs
        .pop()
        .expect("the run is journaled");
    let (exchange_id, amm_id) = env.options().venue_ids();
    for (venue, pair) in [
        (&exchange_id, amm.exchange_pair()),
        (&amm_id, amm.amm_pair()),
    ] {
        let filled: Decimal = run
            .trades
            .iter()
            .filter(|t| &t.venue == venue)
            .inspect(|t| assert!(t.pair.eq_ignore_ascii_case(&pair), "{t:?}"))
            .map(|t| t.amount)
            .sum();
        assert_eq!(
            filled,
            cfg.size * Decimal::from(trades),
            "{amm}: {venue} traded the order size per trade"
        );
    }

    // PnL: positive in the exchange's quote asset, and what the balances say, asset by asset.
    let (_, quote) = amm.exchange_assets();
    assert!(
        flow(&summary.pnl_net, quote) > Decimal::ZERO,
        "{amm}: {:?}",
        summary.pnl_net
    );
    let change = env.holdings().await.unwrap().minus(&before);
    let (eb, eq) = amm.exchange_assets();
    let (ab, aq) = amm.tokens();
    let mut assets = vec!["ETH", eb, eq, ab, aq];
    assets.sort_unstable();
    assets.dedup();
    for asset in assets {
        let (journaled, measured) = (flow(&summary.pnl, asset), change.total(asset));
        assert!(
            (journaled - measured).abs() <= TOLERANCE,
            "{amm} {asset}: journal {journaled} vs balances {measured}; pnl {:?}, change {change:?}",
            summary.pnl
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arb_amm_uniswap_v2_trades_the_gap_closed() {
    the_mispricing_is_traded_and_closed(ArbAmm::UniswapV2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arb_amm_uniswap_v3_trades_the_gap_closed() {
    the_mispricing_is_traded_and_closed(ArbAmm::UniswapV3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arb_amm_balancer_trades_the_gap_closed() {
    the_mispricing_is_traded_and_closed(ArbAmm::Balancer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arb_amm_mento_trades_the_gap_closed() {
    the_mispricing_is_traded_and_closed(ArbAmm::Mento).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arb_amm_terra_swap_trades_the_gap_closed() {
    the_mispricing_is_traded_and_closed(ArbAmm::TerraSwap).await;
}
