//! The spot–perpetual environment: a simulated Binance spot exchange and a simulated perpetual
//! exchange in one process — Binance USDⓈ-M futures ([`SpotPerpEnv::start`]) or Bybit v5 linear
//! ([`SpotPerpEnv::start_bybit`]) — both listing ETH-USDT, with books seeded around a spot mid and
//! a perpetual mid (the basis), a way to move the perpetual's book (convergence), the perpetual's
//! mark, funding rate and funding settlement, and the trader's balances on both, measured from the
//! simulators' own accounts (the perpetual's from the shared ledger, `engine::perp`).

use std::future::Future;

use rust_decimal::Decimal;

use crate::exchange::dialects::binance::{MockBinance, MockConfig};
use crate::exchange::dialects::binance_perpetual::{self, MockBinancePerp};
use crate::exchange::dialects::bybit_perpetual::{self, MockBybitPerp};
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::perp::{MarkState, PerpHandle};

/// What went wrong setting the environment up or driving it.
#[derive(Debug, thiserror::Error)]
pub enum SpotPerpEnvError {
    #[error("simulated exchange: {0}")]
    Io(#[from] std::io::Error),
    #[error("simulated exchange engine: {0}")]
    Engine(#[from] EngineError),
    #[error("simulated Binance: {0}")]
    Spot(String),
}

/// The symbol both simulators list.
pub const SYMBOL: &str = "ETHUSDT";
/// Levels on each side of a seeded book, and their size.
const LEVELS: usize = 10;
const LEVEL_QTY: Decimal = Decimal::from_parts(5, 0, 0, false, 0);

/// A simulated perpetual exchange the environment can run: what differs between the dialects'
/// handles (starting, settling funding, the deposit); the book and the market maker are the
/// engine's [`Controls`], positions and the wallet the shared ledger's through [`PerpHandle`].
pub trait PerpSim: PerpHandle + Send + Sync + Sized {
    /// The dialect's HTTP faults (the controls' type parameter).
    type Fault;
    /// Starts the simulator with its default symbols.
    fn launch() -> impl Future<Output = std::io::Result<Self>> + Send;
    /// The controls every simulated exchange shares.
    fn controls(&self) -> &Controls<Self::Fault>;
    /// Sets the mark, index and funding rate of `symbol`.
    fn mark_at(&self, symbol: &str, state: MarkState);
    /// Settles funding on the trading account's open positions of `symbol` now, as the venue does
    /// at a funding time; how many payments were booked.
    fn settle_funding_of(&self, symbol: &str) -> usize;
    /// The trading account's futures deposit.
    fn deposit(&self) -> Decimal;

    /// Seeds `LEVELS` bids and asks around `mid`, one tick apart.
    fn seed(&self, symbol: &str, mid: Decimal) -> Result<(), EngineError> {
        self.controls().seed_book(symbol, mid, LEVELS, 1, LEVEL_QTY)
    }

    /// Cancels the market maker's orders on `symbol`.
    fn clear_market_maker(&self, symbol: &str) -> Result<(), EngineError> {
        let c = self.controls();
        let (mm, now) = (c.market_maker(), c.now_ms());
        c.exchange().cancel_all(mm, symbol, now)?;
        Ok(())
    }
}

impl PerpSim for MockBinancePerp {
    type Fault = std::convert::Infallible;
    fn launch() -> impl Future<Output = std::io::Result<Self>> + Send {
        MockBinancePerp::start()
    }
    fn controls(&self) -> &Controls<Self::Fault> {
        self
    }
    fn mark_at(&self, symbol: &str, state: MarkState) {
        self.set_mark(symbol, state);
    }
    fn settle_funding_of(&self, symbol: &str) -> usize {
        let booked = self.settle_funding();
        booked.iter().filter(|r| r.0 == symbol).count()
    }
    fn deposit(&self) -> Decimal {
        binance_perpetual::DEPOSIT
    }
}

impl PerpSim for MockBybitPerp {
    type Fault = HttpFault;
    fn launch() -> impl Future<Output = std::io::Result<Self>> + Send {
        MockBybitPerp::start()
    }
    fn controls(&self) -> &Controls<Self::Fault> {
        self
    }
    fn mark_at(&self, symbol: &str, state: MarkState) {
        self.set_mark(symbol, state);
    }
    fn settle_funding_of(&self, symbol: &str) -> usize {
        self.settle_funding(symbol)
    }
    fn deposit(&self) -> Decimal {
        bybit_perpetual::DEPOSIT
    }
}

/// Both simulated exchanges: Binance spot and the perpetual `P` (Binance USDⓈ-M by default).
#[derive(Debug)]
pub struct SpotPerpEnv<P = MockBinancePerp> {
    pub spot: MockBinance,
    pub perp: P,
}

impl SpotPerpEnv<MockBinancePerp> {
    /// Binance spot and Binance USDⓈ-M futures, books seeded around `spot_mid` and `perp_mid`.
    pub async fn start(spot_mid: Decimal, perp_mid: Decimal) -> Result<Self, SpotPerpEnvError> {
        Self::start_with(spot_mid, perp_mid).await
    }
}

impl SpotPerpEnv<MockBybitPerp> {
    /// Binance spot and Bybit v5 linear perpetuals, books seeded around `spot_mid` and `perp_mid`.
    pub async fn start_bybit(
        spot_mid: Decimal,
        perp_mid: Decimal,
    ) -> Result<Self, SpotPerpEnvError> {
        Self::start_with(spot_mid, perp_mid).await
    }
}

impl<P: PerpSim> SpotPerpEnv<P> {
    /// Starts both and seeds their books around `spot_mid` and `perp_mid`, one tick apart per
    /// level.
    pub async fn start_with(
        spot_mid: Decimal,
        perp_mid: Decimal,
    ) -> Result<Self, SpotPerpEnvError> {
        let spot = MockBinance::start_with(MockConfig::default())
            .await
            .map_err(|e| SpotPerpEnvError::Spot(e.to_string()))?;
        let perp = P::launch().await?;
        spot.seed_book(SYMBOL, spot_mid, LEVELS, 1, LEVEL_QTY)
            .map_err(|e| SpotPerpEnvError::Spot(e.to_string()))?;
        perp.seed(SYMBOL, perp_mid)?;
        Ok(Self { spot, perp })
    }

    /// Replaces the perpetual's book by one around `mid` (the market maker's orders are
    /// cancelled first, so the new levels never cross the old ones).
    pub fn move_perp(&self, mid: Decimal) -> Result<(), SpotPerpEnvError> {
        self.perp.clear_market_maker(SYMBOL)?;
        self.perp.seed(SYMBOL, mid)?;
        Ok(())
    }

    /// Sets the perpetual's mark (and index) at `mark` with funding `rate` per settlement.
    pub fn set_funding(&self, mark: Decimal, rate: Decimal) {
        self.perp.mark_at(
            SYMBOL,
            MarkState {
                mark,
                index: mark,
                funding_rate: rate,
            },
        );
    }

    /// Settles the perpetual's funding now, as at a funding time; how many payments were booked.
    pub fn settle_funding(&self) -> usize {
        self.perp.settle_funding_of(SYMBOL)
    }

    /// The trader's spot `asset`, free plus locked.
    pub fn spot_holding(&self, asset: &str) -> Result<Decimal, SpotPerpEnvError> {
        let b = self
            .spot
            .balance(self.spot.account(), asset)
            .map_err(|e| SpotPerpEnvError::Spot(e.to_string()))?;
        Ok(b.free + b.locked)
    }

    /// What the trader's futures wallet gained: realized PnL less fees plus funding, over every
    /// position, as the simulator's ledger books them.
    pub fn perp_wallet_change(&self) -> Decimal {
        self.perp.ledger().wallet(self.perp.account()) - self.perp.deposit()
    }

    /// The funding the simulator booked on the trader's positions so far (positive: received).
    pub fn perp_funding(&self) -> Decimal {
        let account = self.perp.account();
        self.perp
            .ledger()
            .funding
            .iter()
            .filter(|r| r.account == account && r.symbol == SYMBOL)
            .map(|r| r.amount)
            .sum()
    }

    /// The trader's perpetual position on `SYMBOL` (net of sides; a hedge-mode short is signed
    /// negative in the ledger).
    pub fn perp_position(&self) -> Decimal {
        let account = self.perp.account();
        self.perp
            .ledger()
            .account(account)
            .map(|a| {
                a.positions
                    .iter()
                    .filter(|((s, _), _)| s == SYMBOL)
                    .map(|(_, p)| p.size)
                    .sum()
            })
            .unwrap_or_default()
    }
}
