//! The spot–perpetual environment: a simulated Binance spot exchange and a simulated Binance
//! USDⓈ-M futures exchange in one process, both listing ETH-USDT, with books seeded around a
//! spot mid and a perpetual mid (the basis), a way to move the perpetual's book (convergence),
//! and the trader's balances on both, measured from the simulators' own accounts.

use rust_decimal::Decimal;

use crate::exchange::dialects::binance::{MockBinance, MockConfig};
use crate::exchange::dialects::binance_perpetual::MockBinancePerp;
use crate::exchange::engine::error::EngineError;

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

/// Both simulated exchanges.
#[derive(Debug)]
pub struct SpotPerpEnv {
    pub spot: MockBinance,
    pub perp: MockBinancePerp,
}

impl SpotPerpEnv {
    /// Starts both and seeds their books around `spot_mid` and `perp_mid`, one tick apart per
    /// level.
    pub async fn start(spot_mid: Decimal, perp_mid: Decimal) -> Result<Self, SpotPerpEnvError> {
        let spot = MockBinance::start_with(MockConfig::default())
            .await
            .map_err(|e| SpotPerpEnvError::Spot(e.to_string()))?;
        let perp = MockBinancePerp::start().await?;
        spot.seed_book(SYMBOL, spot_mid, LEVELS, 1, LEVEL_QTY)
            .map_err(|e| SpotPerpEnvError::Spot(e.to_string()))?;
        perp.seed_book(SYMBOL, perp_mid, LEVELS, 1, LEVEL_QTY)?;
        Ok(Self { spot, perp })
    }

    /// Replaces the perpetual's book by one around `mid` (the market maker's orders are
    /// cancelled first, so the new levels never cross the old ones).
    pub fn move_perp(&self, mid: Decimal) -> Result<(), SpotPerpEnvError> {
        let mm = self.perp.market_maker();
        let now = self.perp.now_ms();
        self.perp.exchange().cancel_all(mm, SYMBOL, now)?;
        self.perp.seed_book(SYMBOL, mid, LEVELS, 1, LEVEL_QTY)?;
        Ok(())
    }

    /// The trader's spot `asset`, free plus locked.
    pub fn spot_holding(&self, asset: &str) -> Result<Decimal, SpotPerpEnvError> {
        let b = self
            .spot
            .balance(self.spot.account(), asset)
            .map_err(|e| SpotPerpEnvError::Spot(e.to_string()))?;
        Ok(b.free + b.locked)
    }

    /// What the trader's futures wallet gained on `SYMBOL`: realized PnL less fees, summed over
    /// its positions' sides, as the simulator books them.
    pub fn perp_wallet_change(&self) -> Decimal {
        self.perp
            .positions()
            .into_iter()
            .filter(|p| p.0 == SYMBOL)
            .map(|p| p.4 - p.5)
            .sum()
    }

    /// The trader's perpetual position on `SYMBOL` (net of sides).
    pub fn perp_position(&self) -> Decimal {
        self.perp
            .positions()
            .into_iter()
            .filter(|p| p.0 == SYMBOL)
            .map(|p| if p.1 == "SHORT" { -p.2.abs() } else { p.2 })
            .sum()
    }
}
