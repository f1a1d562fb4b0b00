//! The perpetual side of an exchange venue, the same for every perpetuals exchange: positions,
//! funding, leverage, margin and position modes, each resolved from the venue's pairs to the
//! exchange's markets and handed to its [`ExchangeApi`] (whose defaults say "not supported").

use crate::core::{
    FundingInfo, FundingPayment, LeverageSetting, MarginMode, Pair, Position, PositionMode,
};
use crate::venue::VenueError;

use super::ExchangeVenue;
use super::exchange::ExchangeApi;

impl<E: ExchangeApi> ExchangeVenue<E> {
    /// The venue symbol of `pair` (none: every market) and the markets the answer is read with.
    async fn symbol_and_markets(
        &self,
        pair: Option<&Pair>,
    ) -> Result<(Option<String>, std::sync::Arc<super::Markets>), VenueError> {
        let symbol = match pair {
            Some(p) => Some(self.market(p).await?.rules.venue_symbol),
            None => None,
        };
        Ok((symbol, self.load_markets().await?))
    }

    /// Positions of `pair` (or all), with the venue's label; empty positions left out.
    pub(super) async fn exchange_positions(
        &self,
        pair: Option<&Pair>,
    ) -> Result<Vec<Position>, VenueError> {
        let (symbol, markets) = self.symbol_and_markets(pair).await?;
        let all = self
            .inner
            .exchange
            .positions(&self.inner.rest, &markets, symbol.as_deref())
            .await
            .map_err(|e| self.named(e))?;
        Ok(all
            .into_iter()
            .filter(|p| !p.size.is_zero() && pair.is_none_or(|want| &p.pair == want))
            .collect())
    }

    pub(super) async fn exchange_funding(&self, pair: &Pair) -> Result<FundingInfo, VenueError> {
        let market = self.market(pair).await?;
        self.inner
            .exchange
            .funding(&self.inner.rest, &market)
            .await
            .map_err(|e| self.named(e))
    }

    pub(super) async fn exchange_funding_payments(
        &self,
        pair: Option<&Pair>,
        since_ms: u64,
    ) -> Result<Vec<FundingPayment>, VenueError> {
        let (symbol, markets) = self.symbol_and_markets(pair).await?;
        let all = self
            .inner
            .exchange
            .funding_payments(&self.inner.rest, &markets, symbol.as_deref(), since_ms)
            .await
            .map_err(|e| self.named(e))?;
        Ok(all
            .into_iter()
            .filter(|f| pair.is_none_or(|want| &f.pair == want))
            .collect())
    }

    pub(super) async fn exchange_set_leverage(
        &self,
        pair: &Pair,
        leverage: u32,
    ) -> Result<LeverageSetting, VenueError> {
        if leverage == 0 {
            return Err(VenueError::InvalidRequest(format!(
                "leverage of {pair}: 0 is not a leverage"
            )));
        }
        let market = self.market(pair).await?;
        self.inner
            .exchange
            .set_leverage(&self.inner.rest, &market, leverage)
            .await
            .map_err(|e| self.named(e))
    }

    pub(super) async fn exchange_set_margin_mode(
        &self,
        pair: &Pair,
        mode: MarginMode,
    ) -> Result<(), VenueError> {
        let market = self.market(pair).await?;
        self.inner
            .exchange
            .set_margin_mode(&self.inner.rest, &market, mode)
            .await
            .map_err(|e| self.named(e))
    }

    pub(super) async fn exchange_position_mode(&self) -> Result<PositionMode, VenueError> {
        self.inner
            .exchange
            .position_mode(&self.inner.rest)
            .await
            .map_err(|e| self.named(e))
    }

    pub(super) async fn exchange_set_position_mode(
        &self,
        mode: PositionMode,
    ) -> Result<(), VenueError> {
        self.inner
            .exchange
            .set_position_mode(&self.inner.rest, mode)
            .await
            .map_err(|e| self.named(e))
    }

    /// A "not supported" from the exchange names this venue.
    fn named(&self, e: VenueError) -> VenueError {
        match e {
            VenueError::NotSupported(what) => {
                VenueError::NotSupported(format!("{}: {what}", self.inner.id))
            }
            other => other,
        }
    }
}
