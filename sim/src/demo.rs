//! `sluice demo`: the arbitrage strategy end to end on a local machine, with nothing but the setup
//! script run. It starts an anvil from the deployment snapshot (real Uniswap v2/v3, Balancer and
//! Mento bytecode), a mock Binance whose book of the AMM's mirror pair is priced above the pool, a
//! wallet from the anvil dev mnemonic and the mock's own API keys; then it runs the arbitrage
//! between `sim-binance` and `<amm>@sim-anvil` until the gap is closed or a bound is hit. By
//! default the AMM is Uniswap v3 (ETH-USDT against WETH-USDC at 3000); [`DemoOptions::amm`] picks
//! Uniswap v2, Balancer (the WETH/USDC weighted pool) or Mento (CELO-USDT against CELO/cUSD at
//! 0.50). The environment is built by [`ArbEnv`], as in the end-to-end tests.
//!
//! The demo never touches a user's journal, wallets or keys: it journals into the home it is given
//! (a fresh temporary one from [`fresh_home`] unless the user named one), holding that home's lock;
//! it reads no wallet and no API key from any home (its keys are the mock's, its wallet the public
//! dev mnemonic); its venues are named as simulated ones, and its run is journaled as
//! [`RunKind::Demo`], which no later start ever acts on.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::watch;

use crate::arb_env::{ArbAmm, ArbEnv, ArbEnvError, ArbEnvOptions, SimExchange};
use crate::arb_toml::StrategyToml;
use crate::exchange::dialects::binance::MockBinance;
use crate::exchange::dialects::coinbase_advanced::MockCoinbaseAdvanced;
use crate::exchange::dialects::coinbase_pro::MockCoinbasePro;
use crate::exchange::dialects::gate_io::MockGateIo;
use crate::exchange::dialects::htx::MockHtx;
use crate::exchange::dialects::kraken::MockKraken;
use crate::exchange::dialects::kucoin::MockKuCoin;
use crate::exchange::dialects::okx::MockOkx;
use sluice::core::Balance;
use sluice::store::{HomeLock, Journal, LockError, RunKind, StoreError, TradeRow};
use sluice::strategy::arb::{ArbConfig, ArbEvent, RunSummary};
use sluice::venue::Venue;

/// The mnemonic of anvil's dev accounts (public; never for real funds).
pub use crate::anvil::DEV_MNEMONIC;

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The home the demo journals into and locks: a throwaway one ([`fresh_home`]) unless the
    /// user named one. Nothing else in it is read.
    pub home: PathBuf,
    /// The simulated exchange, by its connector's name (default `binance`; see
    /// [`exchange_names`]).
    pub exchange: String,
    /// The AMM leg (default Uniswap v3).
    pub amm: ArbAmm,
    /// Base asset per trade (`None`: the AMM's default, 1 ETH or 1000 CELO).
    pub order_size: Option<Decimal>,
    /// Where the mock exchange's book is centred (`None`: the AMM's default, above its pool).
    pub exchange_mid: Option<Decimal>,
    pub max_trades: u32,
    /// The run stops after this long whatever happens.
    pub timeout: Duration,
    /// Dev account that trades on chain.
    pub account_index: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            home: PathBuf::from("sluice-demo"),
            exchange: MockBinance::CONNECTOR.to_string(),
            amm: ArbAmm::default(),
            order_size: None,
            exchange_mid: None,
            max_trades: 12,
            timeout: Duration::from_secs(60),
            account_index: 1,
        }
    }
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create the demo's home {path}: {reason}")]
    Home { path: String, reason: String },
    /// Another sluice process trades on the home (its pid named).
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The environment (chain, exchange, wallet, venues) could not be built.
    #[error(transparent)]
    Env(#[from] ArbEnvError),
    #[error("journal: {0}")]
    Journal(#[from] StoreError),
    #[error("strategy: {0}")]
    Strategy(String),
    #[error("no simulated exchange {name:?}; the demo has: {known}")]
    UnknownExchange { name: String, known: String },
}

/// What the demo did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The home the run is journaled in (`sluice history --home <home>` shows it).
    pub home: PathBuf,
    pub journal: PathBuf,
    pub summary: RunSummary,
    pub trades: Vec<TradeRow>,
    /// Why it stopped, in words.
    pub stopped_because: String,
    pub balances_before: Vec<(String, Balance)>,
    pub balances_after: Vec<(String, Balance)>,
    pub elapsed_ms: u128,
}

/// A demo run on one simulated exchange.
type RunOn = for<'a> fn(
    DemoOptions,
    &'a mut dyn FnMut(&ArbEvent),
) -> Pin<Box<dyn Future<Output = Result<DemoReport, DemoError>> + 'a>>;

/// The simulated exchanges `sluice demo --exchange` can start: their connector's name, their
/// name for people, the run on their dialect. One line per dialect (its handle implements
/// [`SimExchange`]).
const EXCHANGES: &[(&str, &str, RunOn)] = &[
    (MockBinance::CONNECTOR, "Binance", run_on::<MockBinance>),
    (
        MockCoinbaseAdvanced::CONNECTOR,
        "Coinbase Advanced Trade",
        run_on::<MockCoinbaseAdvanced>,
    ),
    (
        MockCoinbasePro::CONNECTOR,
        "Coinbase Exchange",
        run_on::<MockCoinbasePro>,
    ),
    (MockGateIo::CONNECTOR, "Gate.io", run_on::<MockGateIo>),
    (MockHtx::CONNECTOR, "HTX", run_on::<MockHtx>),
    (MockKraken::CONNECTOR, "Kraken", run_on::<MockKraken>),
    (MockKuCoin::CONNECTOR, "KuCoin", run_on::<MockKuCoin>),
    (MockOkx::CONNECTOR, "OKX", run_on::<MockOkx>),
];

/// The exchanges the demo can simulate.
pub fn exchange_names() -> Vec<&'static str> {
    EXCHANGES.iter().map(|(name, _, _)| *name).collect()
}

/// The name for people of the simulated exchange `name` (`Binance`).
pub fn exchange_title(name: &str) -> Option<&'static str> {
    EXCHANGES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, title, _)| *title)
}

/// The venue ids the demo trades on with `exchange` and `amm`: the simulated exchange and the AMM
/// on a throwaway anvil (`sim-binance`, `uniswap_v3@sim-anvil`).
pub fn demo_venues(exchange: &str, amm: ArbAmm) -> [String; 2] {
    let (exchange, amm) = env_options(&DemoOptions {
        amm,
        ..DemoOptions::default()
    })
    .venue_ids_on(exchange);
    [exchange, amm]
}

fn env_options(o: &DemoOptions) -> ArbEnvOptions {
    let mut env = ArbEnvOptions::for_amm(o.amm);
    if let Some(mid) = o.exchange_mid {
        env.exchange_mid = mid;
    }
    env.account_index = o.account_index;
    env.simulated_names = true;
    env
}

/// The journal of a home.
pub fn journal_path(home: &Path) -> PathBuf {
    home.join("journal.sqlite")
}

/// A new, empty, private (0700) home under the system's temporary folder (`$TMPDIR`), kept after
/// the demo so that its journal can be looked at.
pub fn fresh_home() -> Result<PathBuf, DemoError> {
    let path = std::env::temp_dir().join(format!("sluice-demo-{}", uuid::Uuid::new_v4().simple()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    // Not recursive: a folder that is already there is never taken over.
    builder.create(&path).map_err(|e| DemoError::Home {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(path)
}

fn config_text(o: &DemoOptions) -> String {
    let [venue_a, venue_b] = demo_venues(&o.exchange, o.amm);
    let defaults = StrategyToml::for_amm(o.amm);
    let strategy = StrategyToml {
        venue_a,
        venue_b,
        size: o.order_size.unwrap_or(defaults.size),
        max_failures: 3,
        max_trades: Some(o.max_trades),
        ..defaults
    };
    format!(
        "# sluice demo (simulated venues): a mock Binance against {} on a throwaway anvil.\n{}",
        o.amm.title(),
        strategy.text()
    )
}

async fn snapshot(venues: &[(String, Arc<dyn Venue>)], assets: &[&str]) -> Vec<(String, Balance)> {
    let upper: Vec<String> = assets.iter().map(|a| a.to_ascii_uppercase()).collect();
    let mut out = Vec::new();
    for (name, v) in venues {
        if let Ok(bals) = v.balances().await {
            for b in bals
                .into_iter()
                .filter(|b| upper.iter().any(|a| a == b.asset.as_str()))
            {
                out.push((name.clone(), b));
            }
        }
    }
    out
}

/// Runs the demo; `on_event` sees every strategy event as it happens (for printing).
pub async fn run(
    options: DemoOptions,
    mut on_event: impl FnMut(&ArbEvent),
) -> Result<DemoReport, DemoError> {
    let run = EXCHANGES
        .iter()
        .find(|(name, _, _)| *name == options.exchange)
        .map(|(_, _, run)| *run)
        .ok_or_else(|| DemoError::UnknownExchange {
            name: options.exchange.clone(),
            known: exchange_names().join(", "),
        })?;
    run(options, &mut on_event).await
}

fn run_on<X: SimExchange>(
    options: DemoOptions,
    on_event: &mut dyn FnMut(&ArbEvent),
) -> Pin<Box<dyn Future<Output = Result<DemoReport, DemoError>> + '_>> {
    Box::pin(run_env::<X>(options, on_event))
}

async fn run_env<X: SimExchange>(
    options: DemoOptions,
    on_event: &mut dyn FnMut(&ArbEvent),
) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    // One trading process per home: a demo never journals beside a run in flight.
    let _lock = HomeLock::acquire(&options.home)?;
    let journal_file = journal_path(&options.home);
    // The chain (anvil from the snapshot, with the real Uniswap v3 deployed), the exchange (a mock
    // Binance with an ETH/USDT book above the pool's price), the wallet (anvil's dev mnemonic,
    // account `account_index`) and both venues.
    let mut env = ArbEnv::<X>::start_on(env_options(&options)).await?;

    let venues = env.venues();
    let named: Vec<(String, Arc<dyn Venue>)> = venues
        .iter()
        .map(|v| (v.id().to_string(), v.clone()))
        .collect();
    let (eb, eq) = options.amm.exchange_assets();
    let (ab, aq) = options.amm.tokens();
    let mut assets = vec!["ETH", eb, eq, ab, aq];
    assets.dedup();
    let balances_before = snapshot(&named, &assets).await;

    // The strategy.
    let text = config_text(&options);
    let arb: ArbConfig = text
        .parse()
        .map_err(|e: sluice::strategy::arb::ConfigError| DemoError::Strategy(e.to_string()))?;
    let min_profit = arb.min_profit_pct;
    let journal = Journal::open(&journal_file)?;
    let (runner, mut rx) = env
        .runner_of_kind(&text, journal, "demo", RunKind::Demo)
        .await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let handle = tokio::spawn(runner.run(stop_rx));

    // Stop when the gap is closed (an evaluation after a trade shows no edge above the
    // threshold), or at the time bound; the runner stops itself at max_trades.
    let deadline = tokio::time::Instant::now() + options.timeout;
    let mut trades = 0u32;
    let mut stopped_because = String::from("the strategy ended");
    loop {
        let ev = tokio::select! {
            ev = rx.recv() => ev,
            _ = tokio::time::sleep_until(deadline) => {
                stopped_because = format!("time bound of {:?} reached", options.timeout);
                break;
            }
        };
        let Some(ev) = ev else { break };
        on_event(&ev);
        match &ev {
            ArbEvent::TradeDone { .. } => trades += 1,
            ArbEvent::Edges { edges }
                if trades > 0 && edges.iter().all(|e| e.profit_pct < min_profit) =>
            {
                stopped_because = "the gap is closed: no direction beats the threshold".into();
                break;
            }
            ArbEvent::Stopped { outcome } => {
                stopped_because = format!("{outcome:?}");
            }
            _ => {}
        }
    }
    let _ = stop_tx.send(true);
    let summary = tokio::time::timeout(Duration::from_secs(30), handle)
        .await
        .map_err(|_| DemoError::Strategy("in-flight orders did not finish within 30 s".into()))?
        .map_err(|e| DemoError::Strategy(e.to_string()))?
        .map_err(|e| DemoError::Strategy(e.to_string()))?;
    while let Ok(ev) = rx.try_recv() {
        on_event(&ev);
    }
    let balances_after = snapshot(&named, &assets).await;
    let journal = Journal::open(&journal_file)?;
    let trades = journal
        .history(Some(summary.run_id))?
        .runs
        .pop()
        .map(|r| r.trades)
        .unwrap_or_default();
    env.close().await;
    Ok(DemoReport {
        home: options.home,
        journal: journal_file,
        summary,
        trades,
        stopped_because,
        balances_before,
        balances_after,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arb_env::SIMULATED_CHAIN;
    use sluice::venue::VenueId;

    #[test]
    fn the_demo_trades_and_journals_only_simulated_venues() {
        for amm in ArbAmm::ALL {
            let venues = demo_venues("binance", amm);
            assert_eq!(venues[0], "sim-binance");
            assert_eq!(venues[1], format!("{amm}@{SIMULATED_CHAIN}"));
            let text = config_text(&DemoOptions {
                amm,
                ..DemoOptions::default()
            });
            let cfg: ArbConfig = text.parse().unwrap();
            for (leg, id) in [(&cfg.venue_a, &venues[0]), (&cfg.venue_b, &venues[1])] {
                assert_eq!(leg.venue, id.parse::<VenueId>().unwrap());
                assert!(id.contains("sim-"), "{id}");
            }
            // No real venue's name anywhere in the journaled config.
            for line in text.lines().filter(|l| l.starts_with("venue")) {
                assert!(line.contains("sim-"), "{line}");
            }
            assert_eq!(cfg.order_size, amm.default_order_size());
        }
    }

    #[tokio::test]
    async fn an_exchange_without_a_dialect_is_refused_by_name() {
        let names = exchange_names();
        // One entry per dialect, in name order; the default among them.
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        for n in ["binance", "gate_io", "okx"] {
            assert!(names.contains(&n), "{names:?}");
        }
        assert_eq!(exchange_title("binance"), Some("Binance"));
        assert_eq!(exchange_title("okx"), Some("OKX"));
        assert_eq!(exchange_title("kraken"), Some("Kraken"));
        assert_eq!(exchange_title("no_such_exchange"), None);
        let e = run(
            DemoOptions {
                exchange: "no_such_exchange".into(),
                home: std::env::temp_dir().join("sluice-demo-never-created"),
                ..DemoOptions::default()
            },
            |_| {},
        )
        .await
        .unwrap_err();
        let listed = names.join(", ");
        assert!(
            matches!(&e, DemoError::UnknownExchange { name, known } if name == "no_such_exchange" && *known == listed),
            "{e:?}"
        );
    }

    #[test]
    fn a_fresh_home_is_new_private_and_never_reused() {
        let a = fresh_home().unwrap();
        let b = fresh_home().unwrap();
        assert_ne!(a, b);
        assert_eq!(std::fs::read_dir(&a).unwrap().count(), 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&a).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        std::fs::remove_dir(a).unwrap();
        std::fs::remove_dir(b).unwrap();
    }
}
