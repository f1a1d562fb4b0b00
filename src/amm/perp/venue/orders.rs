//! The orders of the Perp venue: the trade an order would make on the synced state, its venue
//! quote, and the ClearingHouse transaction (`openPosition` / `closePosition`) the kit's executor
//! sends, with the margin token's approval bound.

use alloy::primitives::{Address, I256, U256};
use alloy::sol_types::SolCall;
use rust_decimal::Decimal;

use super::{GAS_LIMIT, GAS_TRADE, PerpVenue, now_secs, perp_math};
use crate::amm::AmmError;
use crate::amm::evm::swap::SwapPlan;
use crate::amm::perp::abi::IPerpClearingHouse;
use crate::amm::perp::math::{self, UNIT};
use crate::amm::perp::order::{self, Action, PerpTrade};
use crate::amm::perp::state::AmmState;
use crate::amm::quoting::{amount_units, price_from_raw_ratio};
use crate::core::{
    GasCost, OrderRequest, Pair, Quote, QuoteRequest, Rounding, Side, from_units, to_units,
};

impl PerpVenue {
    /// The trade an order of `base` would make now, for a position of `size`.
    pub(super) fn trade(
        &self,
        pair: &Pair,
        side: Side,
        amount: Decimal,
        size: I256,
    ) -> Result<(PerpTrade, AmmState), AmmError> {
        let (state, _) = self.amm_state(pair)?;
        let base = amount_units(amount, &self.base_token(pair, state.address))?;
        let trade = order::plan_trade(
            side,
            base,
            size,
            self.leverage,
            state.reserves,
            &state.params,
        )?;
        Ok((trade, state))
    }

    /// The venue quote of a trade: quote with fees, the fee in the margin asset, the price after.
    pub(super) fn quote_of(
        &self,
        request: &QuoteRequest,
        trade: &PerpTrade,
        state: &AmmState,
    ) -> Result<Quote, AmmError> {
        let conv = |x: U256| from_units(x, 18).map_err(|e| AmmError::Math(format!("perp: {e}")));
        let total = trade.quote_with_fees(request.side).map_err(perp_math)?;
        let quote_amount = conv(total)?;
        let after = math::apply(
            order::dir_of_quote(request.side),
            trade.notional,
            trade.base,
            state.reserves,
        )
        .map_err(perp_math)?;
        let fee_ratio = state.params.toll_ratio + state.params.spread_ratio;
        let (num, den) = match request.side {
            Side::Buy => (after.quote * (UNIT + fee_ratio), after.base * UNIT),
            Side::Sell => (
                after.quote * UNIT.saturating_sub(fee_ratio),
                after.base * UNIT,
            ),
        };
        let gas_wei = U256::from(GAS_TRADE) * U256::from(self.gas_price());
        Ok(Quote {
            venue: self.id.to_string(),
            pair: request.pair.clone(),
            side: request.side,
            base_amount: request.base_amount,
            quote_amount,
            average_price: quote_amount
                .checked_div(request.base_amount)
                .ok_or_else(|| AmmError::InvalidAmount("zero base amount".into()))?,
            worst_price: price_from_raw_ratio(num, den, 18, 18)?,
            fee_asset: request.pair.quote.clone(),
            fee_amount: conv(trade.fee().map_err(perp_math)?)?,
            gas: Some(GasCost {
                gas_units: GAS_TRADE,
                native_asset: self.native.clone(),
                native_amount: from_units(gas_wei, 18)
                    .map_err(|e| AmmError::Math(format!("gas cost: {e}")))?,
                quote_amount: None,
            }),
        })
    }

    fn gas_price(&self) -> u128 {
        self.follower.gas_price_wei()
    }

    /// An 18-decimal Perp amount in the margin token's units, rounded up (what to approve).
    fn margin_units_up(&self, x: U256) -> Result<U256, AmmError> {
        let d = from_units(x, 18).map_err(|e| AmmError::Math(format!("perp: {e}")))?;
        to_units(d, self.margin.decimals, Rounding::Up)
            .map_err(|e| AmmError::Math(format!("perp: {e}")))
    }

    /// The ClearingHouse transaction of an order, from the synced state and the account's
    /// position; refused when the deadline has passed or the local quote breaks the order's
    /// worst price.
    pub async fn plan_order(
        &self,
        order: &OrderRequest,
        account: Address,
    ) -> Result<SwapPlan, AmmError> {
        let market = self.market(&order.pair)?.clone();
        let now = now_secs();
        if let Some(deadline) = order.deadline
            && now >= deadline
        {
            return Err(AmmError::InvalidAmount(format!(
                "the order's deadline {deadline} has passed (now {now}): not sent"
            )));
        }
        // Planned on the newest state: an exact order sent on a stale one would revert.
        self.refresh().await?;
        let size = self.position_size(market.amm, account).await?;
        let (trade, state) = self.trade(&order.pair, order.side, order.amount, size)?;
        let request = QuoteRequest {
            pair: order.pair.clone(),
            side: order.side,
            base_amount: order.amount,
        };
        let quote = self.quote_of(&request, &trade, &state)?;
        if let Some(worst) = order.price {
            let beyond = match order.side {
                Side::Buy => quote.average_price > worst,
                Side::Sell => quote.average_price < worst,
            };
            if beyond {
                return Err(AmmError::InvalidAmount(format!(
                    "perp: the local quote's average price {} is beyond the order's bound {worst}",
                    quote.average_price
                )));
            }
        }
        let dec = |d| IPerpClearingHouse::Dec { d };
        let fee = trade.fee().map_err(perp_math)?;
        let (calldata, approve) = match trade.action {
            Action::Increase | Action::Reduce => {
                let side = match order.side {
                    Side::Buy => 0u8,
                    Side::Sell => 1u8,
                };
                let call = IPerpClearingHouse::openPositionCall {
                    _amm: market.amm,
                    _side: side,
                    _quoteAssetAmount: dec(trade.margin),
                    _leverage: dec(trade.leverage),
                    _baseAssetAmountLimit: dec(trade.base),
                };
                // A reduce moves no margin: only the fee is taken.
                let pays = if trade.action == Action::Increase {
                    trade.margin.checked_add(fee).ok_or_else(|| {
                        AmmError::InvalidAmount("perp: margin + fee overflows".into())
                    })?
                } else {
                    fee
                };
                (call.abi_encode(), pays)
            }
            Action::Close => {
                let worst_total = match order.price {
                    Some(p) => {
                        let total = p.checked_mul(order.amount).ok_or_else(|| {
                            AmmError::InvalidAmount(format!("{p} x {} overflows", order.amount))
                        })?;
                        let rounding = match order.side {
                            Side::Sell => Rounding::Up,
                            Side::Buy => Rounding::Down,
                        };
                        to_units(total, 18, rounding)
                            .map_err(|e| AmmError::InvalidAmount(format!("perp bound: {e}")))?
                    }
                    None => U256::ZERO,
                };
                let limit = if worst_total.is_zero() {
                    U256::ZERO
                } else {
                    order::close_quote_limit(order.side, worst_total, &state.params)
                        .map_err(perp_math)?
                };
                let call = IPerpClearingHouse::closePositionCall {
                    _amm: market.amm,
                    _quoteAssetAmountLimit: dec(limit),
                };
                // The fee is on the notional the close exchanges: bounded by the limit for a
                // short's close; a long's may receive more than quoted, so twice the quote's fee.
                let fee_bound = match order.side {
                    Side::Buy if !limit.is_zero() => {
                        let (t, s) = math::calc_fee(limit, &state.params).map_err(perp_math)?;
                        t + s
                    }
                    _ => fee * U256::from(2u8),
                };
                (call.abi_encode(), fee_bound)
            }
        };
        let fee_ppm = (state.params.toll_ratio + state.params.spread_ratio)
            / U256::from(1_000_000_000_000u64);
        Ok(SwapPlan {
            pair: order.pair.clone(),
            side: order.side,
            base: self.base_token(&order.pair, market.amm),
            quote: self.quote_token_18(&order.pair),
            token_in: self.margin.erc20().ok_or_else(|| {
                AmmError::UnknownToken(format!("{} (no contract)", self.margin.symbol))
            })?,
            max_in: self.margin_units_up(approve)?,
            router: self.contracts.clearing_house,
            calldata: calldata.into(),
            gas_limit: GAS_LIMIT,
            decode_fill: order::decode_fill,
            pools: vec![market.amm],
            fees_ppm: vec![u32::try_from(fee_ppm).unwrap_or(1_000_000)],
            value: U256::ZERO,
        })
    }
}
