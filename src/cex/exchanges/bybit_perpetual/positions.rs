//! Positions from `GET /v5/position/list?category=linear`: Bybit's items (size unsigned with a
//! `side`, `positionIdx` 0 / 1 / 2, `tradeMode` 0 cross / 1 isolated, the initial margin
//! `positionIM`) to sluice's signed [`Position`]s; and the position mode the account holds,
//! read from the same list (a hedge-mode account lists its positions under `positionIdx` 1
//! and 2).

use reqwest::Method;
use rust_decimal::Decimal;

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::venue::Markets;
use crate::core::{MarginMode, Pair, Position, PositionMode};

use super::api::{Page, PositionItem, decode_result, limit};
use super::rest::position_side_of;

impl PositionItem {
    /// The shared form: size signed (a `Sell` position is short), margin the position's initial
    /// margin (else its value over the leverage).
    pub fn to_position(&self, pair: &Pair) -> Result<Position, CexError> {
        let bad = |why: String| CexError::decode("position/list", why);
        if self.size < Decimal::ZERO {
            return Err(bad(format!("negative size {}", self.size)));
        }
        let size = match self.side.as_str() {
            "Sell" => -self.size,
            "Buy" | "" | "None" => self.size,
            other => return Err(bad(format!("unknown side {other:?}"))),
        };
        let leverage = self.leverage.filter(|l| *l > Decimal::ZERO);
        let margin_mode = match self.trade_mode {
            0 => MarginMode::Cross,
            1 => MarginMode::Isolated,
            other => return Err(bad(format!("unknown tradeMode {other}"))),
        };
        let entry = self
            .avg_price
            .or(self.entry_price)
            .filter(|p| !p.is_zero() && !size.is_zero());
        let entry_notional = entry.map_or(Decimal::ZERO, |p| p * self.size);
        let mark_notional = self
            .position_value
            .filter(|v| !v.is_zero())
            .or_else(|| self.mark_price.map(|m| m * self.size));
        let margin = match (self.position_im, leverage, mark_notional) {
            (Some(im), _, _) => im,
            (None, Some(l), Some(n)) => (n / l).round_dp(8),
            _ => Decimal::ZERO,
        };
        Ok(Position {
            pair: pair.clone(),
            size,
            entry_notional,
            entry_price: entry,
            mark_notional,
            margin,
            margin_asset: pair.quote.clone(),
            unrealized_pnl: self.unrealised_pnl.unwrap_or_default(),
            margin_ratio: None,
            liquidation_price: self.liq_price.filter(|p| !p.is_zero()),
            funding_paid: None,
            position_side: position_side_of(self.position_idx)?,
            mark_price: self.mark_price,
            leverage,
            margin_mode: Some(margin_mode),
        })
    }
}

async fn list(rest: &RestClient, symbol: Option<&str>) -> Result<Vec<PositionItem>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/v5/position/list")
        .param("category", "linear")
        .signed()
        .cost(limit::IP, 1)
        .cost(limit::POSITIONS, 1);
    req = match symbol {
        Some(s) => req.param("symbol", s),
        None => req.param("settleCoin", "USDT"),
    };
    let page: Page<PositionItem> = decode_result("position/list", &rest.request(&req).await?)?;
    Ok(page.list)
}

/// The positions (of one symbol, or every USDT contract) in markets sluice knows.
pub async fn positions(
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Position>, CexError> {
    let mut out = Vec::new();
    for p in list(rest, symbol).await? {
        if let Some(pair) = markets.pair_of(&p.symbol) {
            out.push(p.to_position(pair)?);
        }
    }
    Ok(out)
}

/// Hedge when the account lists any position under `positionIdx` 1 or 2, else one-way.
pub async fn position_mode(rest: &RestClient) -> Result<PositionMode, CexError> {
    let items = list(rest, None).await?;
    Ok(if items.iter().any(|p| p.position_idx != 0) {
        PositionMode::Hedge
    } else {
        PositionMode::OneWay
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::PositionSide;
    use rust_decimal_macros::dec;

    #[test]
    fn a_short_hedge_position_in_the_shared_form() {
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"list":[{"positionIdx":2,"symbol":"BTCUSDT","side":"Sell","size":"0.5","avgPrice":"30000","positionValue":"15100","tradeMode":0,"leverage":"10","markPrice":"30200","liqPrice":"32900.5","positionIM":"1510","unrealisedPnl":"-100"}],"nextPageCursor":""},"time":1}"#;
        let page: Page<PositionItem> = decode_result("position/list", body).unwrap();
        let p = page.list[0]
            .to_position(&"BTC-USDT".parse().unwrap())
            .unwrap();
        assert_eq!(p.size, dec!(-0.5));
        assert_eq!(p.position_side, PositionSide::Short);
        assert_eq!(p.entry_price, Some(dec!(30000)));
        assert_eq!(p.entry_notional, dec!(15000));
        assert_eq!(p.margin, dec!(1510));
        assert_eq!(p.unrealized_pnl, dec!(-100));
        assert_eq!(p.liquidation_price, Some(dec!(32900.5)));
        assert_eq!(p.margin_mode, Some(MarginMode::Cross));
        let bad = br#"{"retCode":0,"retMsg":"OK","result":{"list":[{"positionIdx":7,"symbol":"BTCUSDT","side":"Buy","size":"1"}]}}"#;
        let page: Page<PositionItem> = decode_result("position/list", bad).unwrap();
        assert!(
            page.list[0]
                .to_position(&"BTC-USDT".parse().unwrap())
                .is_err()
        );
    }
}
