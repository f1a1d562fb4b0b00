//! Risk limits and liquidation in the simulated Bybit: `GET /v5/market/risk-limit` serves the
//! engine ledger's maintenance tiers (`riskLimitValue`, `maintenanceMargin` rate,
//! `mmDeduction`); when a mark set through the handle crosses a position's liquidation price
//! (Bybit's isolated formula, or the cross one), the ledger closes it at its bankruptcy price and
//! `GET /v5/execution/list` shows it as a `BustTrade` execution of the venue's own order (no
//! `orderLinkId`, `createType` `CreateByLiq`), the position list shows it flat and the wallet
//! less the margin lost.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::server::Shared;
use super::shapes::{BybitError, num};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::perp::Liquidation;

/// Order ids of the venue's liquidation orders start here (the engine's own ids stay far
/// below).
const LIQUIDATION_ORDER_IDS: u64 = 8_000_000_000;

/// The venue's order id of a liquidation.
pub fn liquidation_order_id(liq: &Liquidation) -> u64 {
    LIQUIDATION_ORDER_IDS + liq.seq
}

/// A liquidation as an item of `GET /v5/execution/list`.
pub fn bust_execution(liq: &Liquidation) -> Value {
    let id = liquidation_order_id(liq);
    json!({
        "symbol": liq.symbol, "orderId": id.to_string(), "orderLinkId": "",
        "side": if liq.size > Decimal::ZERO { "Sell" } else { "Buy" },
        "execPrice": num(liq.price), "execQty": num(liq.size.abs()), "execFee": "0",
        "execId": format!("liq-{}", liq.seq), "execTime": liq.time.to_string(),
        "execType": "BustTrade", "createType": "CreateByLiq", "isMaker": false, "feeRate": "0",
        "markPrice": num(liq.mark), "closedSize": num(liq.size.abs()),
    })
}

/// `GET /v5/market/risk-limit?category=linear[&symbol=]`.
pub fn risk_limit(
    shared: &Shared,
    ex: &Exchange,
    symbol: Option<&str>,
) -> Result<Value, BybitError> {
    if let Some(s) = symbol {
        ex.spec(s)?;
    }
    let tiers = shared.ledger(ex).tiers.clone();
    let mut list = Vec::new();
    for s in ex
        .books
        .keys()
        .filter(|s| symbol.is_none_or(|w| w == s.as_str()))
    {
        for (i, t) in tiers.iter().enumerate() {
            let imr = Decimal::ONE / Decimal::from(t.max_leverage.max(1));
            list.push(json!({
                "id": i + 1, "symbol": s, "riskLimitValue": num(t.notional_cap),
                "maintenanceMargin": num(t.mmr), "initialMargin": num(imr),
                "isLowestRisk": u8::from(i == 0), "maxLeverage": num(Decimal::from(t.max_leverage)),
                "mmDeduction": num(t.maint_amount),
            }));
        }
    }
    Ok(json!({"category": "linear", "list": list}))
}

impl Shared {
    /// Liquidates what the marks now call for; the trading account's liquidations.
    pub fn liquidate_due(&self, now: u64) -> Vec<Liquidation> {
        let ex = self.exchange();
        self.ledger(&ex)
            .liquidate(&ex, now)
            .into_iter()
            .filter(|l| l.account == self.account)
            .collect()
    }
}
