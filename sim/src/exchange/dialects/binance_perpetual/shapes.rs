//! USDⓈ-M futures' JSON of what the engine publishes and of the public documents: the
//! `depthUpdate` event with `T` and `pu` (the previous event's `u`: the engine numbers its diffs
//! without holes, so `pu = U - 1`), the `exchangeInfo` listing of perpetual contracts, the depth
//! snapshot and `premiumIndex`; an order's execution as `ORDER_TRADE_UPDATE` (spot's
//! `executionReport` letters under `o`, the commission in the quote asset at the symbol's maker or
//! taker rate, as `userTrades` and the positions count it). Trades and the engine's spot balance
//! events are Binance spot's shapes (the user socket does not send the latter: `user.rs`).

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::dialects::binance::shapes::{
    BinanceEvents, execution_report, fmt8, levels_json,
};
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{Execution, Order, Trade};
use crate::exchange::engine::spec::SymbolSpec;

/// The futures rendering of the engine's events, with each symbol's fee rates (maker, taker) and
/// quote asset for the commission of fills.
#[derive(Debug, Clone, Default)]
pub struct PerpEvents {
    fees: HashMap<String, (Decimal, Decimal, String)>,
}

impl PerpEvents {
    pub fn new(symbols: &[SymbolSpec]) -> Self {
        let fees = symbols
            .iter()
            .map(|s| {
                (
                    s.symbol.clone(),
                    (s.maker_fee, s.taker_fee, s.quote.clone()),
                )
            })
            .collect();
        Self { fees }
    }
}

impl EventShapes for PerpEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        first_update_id: u64,
        final_update_id: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        event_time: u64,
    ) -> String {
        json!({
            "e": "depthUpdate",
            "E": event_time,
            "T": event_time,
            "s": symbol,
            "U": first_update_id,
            "u": final_update_id,
            "pu": first_update_id.saturating_sub(1),
            "b": levels_json(bids),
            "a": levels_json(asks),
        })
        .to_string()
    }

    fn trade(&self, trade: &Trade, event_time: u64) -> String {
        BinanceEvents.trade(trade, event_time)
    }

    fn execution(&self, order: &Order, execution: &Execution) -> String {
        let mut o = execution_report(order, execution);
        if let Some(m) = o.as_object_mut() {
            m.remove("e");
            m.remove("E");
            let (qty, price, maker) = execution
                .last_fill
                .as_ref()
                .map_or((Decimal::ZERO, Decimal::ZERO, false), |f| (f.0, f.1, f.5));
            if let Some((maker_fee, taker_fee, quote)) = self.fees.get(&order.symbol) {
                let rate = if maker { *maker_fee } else { *taker_fee };
                m.insert("n".into(), json!(fmt8((price * qty * rate).round_dp(8))));
                m.insert("N".into(), json!(quote));
            }
            m.insert("ap".into(), json!(fmt8(avg_price(order))));
        }
        json!({ "e": "ORDER_TRADE_UPDATE", "E": execution.time, "T": execution.time, "o": o })
            .to_string()
    }

    fn account_position(&self, changed: &[(String, Balance)], event_time: u64) -> String {
        BinanceEvents.account_position(changed, event_time)
    }

    fn balance_delta(&self, asset: &str, delta: Decimal, event_time: u64) -> String {
        BinanceEvents.balance_delta(asset, delta, event_time)
    }
}

/// The average fill price of an order so far (zero before any fill).
fn avg_price(o: &Order) -> Decimal {
    if o.executed_qty.is_zero() {
        Decimal::ZERO
    } else {
        (o.cum_quote / o.executed_qty).round_dp(8)
    }
}

/// One perpetual contract in `GET /fapi/v1/exchangeInfo`.
pub fn contract_json(s: &SymbolSpec) -> Value {
    json!({
        "symbol": s.symbol,
        "pair": s.symbol,
        "contractType": "PERPETUAL",
        "status": "TRADING",
        "baseAsset": s.base,
        "quoteAsset": s.quote,
        "marginAsset": s.quote,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": fmt8(s.min_price),
             "maxPrice": fmt8(s.max_price), "tickSize": fmt8(s.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": fmt8(s.min_qty), "maxQty": fmt8(s.max_qty),
             "stepSize": fmt8(s.step_size)},
            {"filterType": "MIN_NOTIONAL", "notional": fmt8(s.min_notional)}
        ]
    })
}

/// `GET /fapi/v1/exchangeInfo` with the documented limits.
pub fn exchange_info(symbols: &[SymbolSpec], now: u64) -> Value {
    let contracts: Vec<Value> = symbols.iter().map(contract_json).collect();
    json!({
        "timezone": "UTC",
        "serverTime": now,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300}
        ],
        "symbols": contracts
    })
}

/// `GET /fapi/v1/depth`.
pub fn depth(update_id: u64, bids: &[PriceLevel], asks: &[PriceLevel], now: u64) -> Value {
    json!({
        "lastUpdateId": update_id,
        "E": now,
        "T": now,
        "bids": levels_json(bids),
        "asks": levels_json(asks),
    })
}

/// `GET /fapi/v1/premiumIndex?symbol=`.
pub fn premium_index(
    symbol: &str,
    mark: Decimal,
    index: Decimal,
    rate: Decimal,
    next: u64,
    now: u64,
) -> Value {
    json!({
        "symbol": symbol,
        "markPrice": fmt8(mark),
        "indexPrice": fmt8(index),
        "estimatedSettlePrice": fmt8(mark),
        "lastFundingRate": fmt8(rate),
        "interestRate": "0.00010000",
        "nextFundingTime": next,
        "time": now
    })
}
