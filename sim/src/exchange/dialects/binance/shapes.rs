//! Binance's JSON shapes of the engine's objects and events: order responses (ACK / RESULT /
//! FULL), order queries, cancels, trades, the account document, `exchangeInfo`, and the stream
//! events (`depthUpdate`, `trade`, `executionReport`, `outboundAccountPosition`, `balanceUpdate`).
//! The engine knows none of them: it hands its objects here ([`BinanceEvents`] renders what it
//! publishes).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::names::{BinanceName, RespType};
use crate::exchange::engine::account::{Account, Balance};
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{
    ExecType, Execution, Order, OrderStatus, OrderType, TakerFill, TimeInForce, Trade,
};
use crate::exchange::engine::spec::{NotionalFilter, RateLimits, SymbolSpec};

/// Binance's JSON of an order.
pub trait OrderJson {
    /// The fields every order document shares.
    fn common(&self) -> serde_json::Map<String, Value>;
    /// `POST /api/v3/order` response for the requested detail; `fills` are this order's fills.
    fn new_order_response(&self, resp: RespType, transact_time: u64, fills: &[TakerFill]) -> Value;
    /// `GET /api/v3/order` document.
    fn query_json(&self) -> Value;
    /// `DELETE /api/v3/order` response.
    fn cancel_json(&self, cancel_client_id: &str, transact_time: u64) -> Value;
}

impl OrderJson for Order {
    fn common(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("symbol".into(), json!(self.symbol));
        m.insert("orderId".into(), json!(self.id));
        m.insert("orderListId".into(), json!(-1));
        m.insert("clientOrderId".into(), json!(self.client_order_id));
        m.insert("price".into(), json!(fmt8(self.price)));
        m.insert("origQty".into(), json!(fmt8(self.orig_qty)));
        m.insert("executedQty".into(), json!(fmt8(self.executed_qty)));
        m.insert("origQuoteOrderQty".into(), json!(fmt8(self.orig_quote_qty)));
        m.insert("cummulativeQuoteQty".into(), json!(fmt8(self.cum_quote)));
        m.insert("status".into(), json!(self.status.binance_name()));
        m.insert("timeInForce".into(), json!(self.tif.binance_name()));
        m.insert("type".into(), json!(self.order_type.binance_name()));
        m.insert("side".into(), json!(self.side.binance_name()));
        m
    }

    /// `POST /api/v3/order` response for the requested detail; `fills` are this order's fills as
    /// (price, qty, commission, commission asset, trade id).
    fn new_order_response(&self, resp: RespType, transact_time: u64, fills: &[TakerFill]) -> Value {
        if resp == RespType::Ack {
            return json!({
                "symbol": self.symbol,
                "orderId": self.id,
                "orderListId": -1,
                "clientOrderId": self.client_order_id,
                "transactTime": transact_time
            });
        }
        let mut m = serde_json::Map::new();
        m.insert("symbol".into(), json!(self.symbol));
        m.insert("orderId".into(), json!(self.id));
        m.insert("orderListId".into(), json!(-1));
        m.insert("clientOrderId".into(), json!(self.client_order_id));
        m.insert("transactTime".into(), json!(transact_time));
        for (k, v) in self.common() {
            m.entry(k).or_insert(v);
        }
        if let Some(w) = self.working_time {
            m.insert("workingTime".into(), json!(w));
        }
        m.insert("selfTradePreventionMode".into(), json!("NONE"));
        if self.status == OrderStatus::Expired {
            m.insert("expiryReason".into(), json!(expiry_reason(self)));
        }
        if resp == RespType::Full {
            let fills: Vec<Value> = fills
                .iter()
                .map(|f| {
                    json!({
                        "price": fmt8(f.price),
                        "qty": fmt8(f.qty),
                        "commission": fmt8(f.commission),
                        "commissionAsset": f.commission_asset,
                        "tradeId": f.trade_id
                    })
                })
                .collect();
            m.insert("fills".into(), Value::Array(fills));
        }
        Value::Object(m)
    }

    /// `GET /api/v3/order` / `openOrders` shape.
    fn query_json(&self) -> Value {
        let mut m = self.common();
        m.insert("stopPrice".into(), json!(fmt8(Decimal::ZERO)));
        m.insert("icebergQty".into(), json!(fmt8(Decimal::ZERO)));
        m.insert("time".into(), json!(self.time));
        m.insert("updateTime".into(), json!(self.update_time));
        m.insert("isWorking".into(), json!(self.working_time.is_some()));
        m.insert(
            "workingTime".into(),
            json!(self.working_time.map(|w| w as i64).unwrap_or(-1)),
        );
        m.insert("selfTradePreventionMode".into(), json!("NONE"));
        Value::Object(m)
    }

    /// `DELETE /api/v3/order` response.
    fn cancel_json(&self, cancel_client_id: &str, transact_time: u64) -> Value {
        let mut m = self.common();
        m.insert("origClientOrderId".into(), json!(self.client_order_id));
        m.insert("clientOrderId".into(), json!(cancel_client_id));
        m.insert("transactTime".into(), json!(transact_time));
        m.insert("selfTradePreventionMode".into(), json!("NONE"));
        Value::Object(m)
    }
}

fn expiry_reason(o: &Order) -> &'static str {
    match o.order_type {
        OrderType::Market => "INSUFFICIENT_LIQUIDITY",
        _ => match o.tif {
            TimeInForce::Fok => "FOK_NOT_FILLED",
            _ => "IOC_NOT_FILLED",
        },
    }
}

/// Binance's JSON of a trade.
pub trait TradeJson {
    /// `GET /api/v3/trades` entry.
    fn public_json(&self) -> Value;
    /// `GET /api/v3/myTrades` entry for one side.
    fn account_json(&self, as_buyer: bool) -> Value;
    /// `<symbol>@trade` stream payload.
    fn stream_json(&self, event_time: u64) -> Value;
}

impl TradeJson for Trade {
    /// `GET /api/v3/trades` entry.
    fn public_json(&self) -> Value {
        json!({
            "id": self.id,
            "price": fmt8(self.price),
            "qty": fmt8(self.qty),
            "quoteQty": fmt8(self.price * self.qty),
            "time": self.time,
            "isBuyerMaker": self.buyer_is_maker,
            "isBestMatch": true
        })
    }

    /// `GET /api/v3/myTrades` entry for one side.
    fn account_json(&self, as_buyer: bool) -> Value {
        let (order_id, commission, asset, is_maker) = if as_buyer {
            (
                self.buyer.0,
                self.commissions.0,
                &self.assets.0,
                self.buyer_is_maker,
            )
        } else {
            (
                self.seller.0,
                self.commissions.1,
                &self.assets.1,
                !self.buyer_is_maker,
            )
        };
        json!({
            "symbol": self.symbol,
            "id": self.id,
            "orderId": order_id,
            "orderListId": -1,
            "price": fmt8(self.price),
            "qty": fmt8(self.qty),
            "quoteQty": fmt8(self.price * self.qty),
            "commission": fmt8(commission),
            "commissionAsset": asset,
            "time": self.time,
            "isBuyer": as_buyer,
            "isMaker": is_maker,
            "isBestMatch": true
        })
    }

    /// `<symbol>@trade` stream payload.
    fn stream_json(&self, event_time: u64) -> Value {
        json!({
            "e": "trade",
            "E": event_time,
            "s": self.symbol,
            "t": self.id,
            "p": fmt8(self.price),
            "q": fmt8(self.qty),
            "T": self.time,
            "m": self.buyer_is_maker,
            "M": true
        })
    }
}

/// The `executionReport` event object for an order after an execution.
pub fn execution_report(o: &Order, ex: &Execution) -> Value {
    let (l, lp, n, na, t, m) = match &ex.last_fill {
        Some((q, p, c, a, id, maker)) => (*q, *p, *c, Value::from(a.clone()), *id as i64, *maker),
        None => (
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
            Value::Null,
            -1,
            false,
        ),
    };
    let (c, orig_c) = match &ex.cancel_client_id {
        Some(cancel) => (cancel.clone(), o.client_order_id.clone()),
        None => (o.client_order_id.clone(), String::new()),
    };
    let mut m_json = json!({
        "e": "executionReport",
        "E": ex.time,
        "s": o.symbol,
        "c": c,
        "S": o.side.binance_name(),
        "o": o.order_type.binance_name(),
        "f": o.tif.binance_name(),
        "q": fmt8(o.orig_qty),
        "p": fmt8(o.price),
        "P": fmt8(Decimal::ZERO),
        "F": fmt8(Decimal::ZERO),
        "g": -1,
        "C": orig_c,
        "x": exec_type_name(ex.exec_type),
        "X": o.status.binance_name(),
        "r": "NONE",
        "i": o.id,
        "l": fmt8(l),
        "z": fmt8(o.executed_qty),
        "L": fmt8(lp),
        "n": fmt8(n),
        "N": na,
        "T": ex.time,
        "t": t,
        "I": ex.execution_id,
        "w": o.status.is_open() && o.ticks.is_some(),
        "m": m,
        "M": false,
        "O": o.time,
        "Z": fmt8(o.cum_quote),
        "Y": fmt8(l * lp),
        "Q": fmt8(o.orig_quote_qty),
        "V": "NONE"
    });
    if let (Some(w), Some(obj)) = (o.working_time, m_json.as_object_mut()) {
        obj.insert("W".into(), json!(w));
    }
    if o.status == OrderStatus::Expired
        && let Some(obj) = m_json.as_object_mut()
    {
        obj.insert("eR".into(), json!(expiry_reason(o)));
    }
    m_json
}

/// Binance's `x` of an execution report.
pub fn exec_type_name(x: ExecType) -> &'static str {
    match x {
        ExecType::New => "NEW",
        ExecType::Trade => "TRADE",
        ExecType::Canceled => "CANCELED",
        ExecType::Expired => "EXPIRED",
    }
}

/// Binance's account document.
pub trait AccountJson {
    /// `GET /api/v3/account` document.
    fn account_json(
        &self,
        now: u64,
        omit_zero: bool,
        maker_fee: Decimal,
        taker_fee: Decimal,
    ) -> Value;
}

impl AccountJson for Account {
    /// `GET /api/v3/account` document.
    fn account_json(
        &self,
        now: u64,
        omit_zero: bool,
        maker_fee: Decimal,
        taker_fee: Decimal,
    ) -> Value {
        let balances: Vec<Value> = self
            .balances
            .iter()
            .filter(|(_, b)| !(omit_zero && b.free.is_zero() && b.locked.is_zero()))
            .map(|(a, b)| json!({ "asset": a, "free": fmt8(b.free), "locked": fmt8(b.locked) }))
            .collect();
        let bps = |r: Decimal| (r * Decimal::from(10_000)).trunc().to_string();
        json!({
            "makerCommission": bps(maker_fee).parse::<i64>().unwrap_or(0),
            "takerCommission": bps(taker_fee).parse::<i64>().unwrap_or(0),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": fmt8(maker_fee),
                "taker": fmt8(taker_fee),
                "buyer": fmt8(Decimal::ZERO),
                "seller": fmt8(Decimal::ZERO)
            },
            "canTrade": true,
            "canWithdraw": true,
            "canDeposit": true,
            "brokered": false,
            "requireSelfTradePrevention": false,
            "preventSor": false,
            "updateTime": if self.update_time == 0 { now } else { self.update_time },
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": 0
        })
    }
}

/// Binance's listing of a symbol.
pub trait SymbolJson {
    /// The symbol's `filters`.
    fn filters_json(&self) -> Vec<Value>;
    /// This symbol's entry in `exchangeInfo.symbols`.
    fn exchange_info_json(&self) -> Value;
}

impl SymbolJson for SymbolSpec {
    fn filters_json(&self) -> Vec<Value> {
        let notional = match self.notional_filter {
            NotionalFilter::Notional => json!({
                "filterType": "NOTIONAL",
                "minNotional": fmt8(self.min_notional),
                "applyMinToMarket": true,
                "maxNotional": fmt8(self.max_notional),
                "applyMaxToMarket": false,
                "avgPriceMins": 5
            }),
            NotionalFilter::MinNotional => json!({
                "filterType": "MIN_NOTIONAL",
                "minNotional": fmt8(self.min_notional),
                "applyToMarket": true,
                "avgPriceMins": 5
            }),
        };
        vec![
            json!({
                "filterType": "PRICE_FILTER",
                "minPrice": fmt8(self.min_price),
                "maxPrice": fmt8(self.max_price),
                "tickSize": fmt8(self.tick_size)
            }),
            json!({
                "filterType": "LOT_SIZE",
                "minQty": fmt8(self.min_qty),
                "maxQty": fmt8(self.max_qty),
                "stepSize": fmt8(self.step_size)
            }),
            notional,
            json!({ "filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200 }),
        ]
    }

    /// This symbol's entry in `exchangeInfo.symbols`.
    fn exchange_info_json(&self) -> Value {
        json!({
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
            "icebergAllowed": false,
            "ocoAllowed": false,
            "otoAllowed": false,
            "opoAllowed": false,
            "quoteOrderQtyMarketAllowed": true,
            "allowTrailingStop": false,
            "cancelReplaceAllowed": false,
            "amendAllowed": false,
            "pegInstructionsAllowed": false,
            "isSpotTradingAllowed": true,
            "isMarginTradingAllowed": false,
            "filters": self.filters_json(),
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "NONE",
            "allowedSelfTradePreventionModes": ["NONE"]
        })
    }
}

/// Binance's listing of the rate limits.
pub trait LimitsJson {
    /// `exchangeInfo.rateLimits`.
    fn exchange_info_json(&self) -> Value;
}

impl LimitsJson for RateLimits {
    /// `exchangeInfo.rateLimits`.
    fn exchange_info_json(&self) -> Value {
        json!([
            { "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
              "limit": self.request_weight_per_minute },
            { "rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
              "limit": self.orders_per_10s },
            { "rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1,
              "limit": self.orders_per_day },
            { "rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
              "limit": self.raw_requests_per_5m }
        ])
    }
}

/// Formats a decimal with 8 decimals, as Binance prints prices and quantities.
pub fn fmt8(d: Decimal) -> String {
    // Padding by hand: rust_decimal's `{:.8}` overflows its buffer on values near Decimal::MAX.
    let text = d
        .round_dp_with_strategy(8, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_string();
    let decimals = text.split_once('.').map(|(_, f)| f.len()).unwrap_or(0);
    let mut out = text;
    if decimals == 0 {
        out.push('.');
    }
    out.extend(std::iter::repeat_n('0', 8 - decimals.min(8)));
    out
}

/// `[["price","qty"],...]`, as depth snapshots and diffs list levels.
pub fn levels_json(levels: &[PriceLevel]) -> Value {
    Value::Array(
        levels
            .iter()
            .map(|(p, q)| json!([fmt8(*p), fmt8(*q)]))
            .collect(),
    )
}

/// Binance's stream events of what the engine publishes.
#[derive(Debug, Clone, Copy, Default)]
pub struct BinanceEvents;

impl EventShapes for BinanceEvents {
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
            "s": symbol,
            "U": first_update_id,
            "u": final_update_id,
            "b": levels_json(bids),
            "a": levels_json(asks),
        })
        .to_string()
    }

    fn trade(&self, trade: &Trade, event_time: u64) -> String {
        trade.stream_json(event_time).to_string()
    }

    fn execution(&self, order: &Order, execution: &Execution) -> String {
        execution_report(order, execution).to_string()
    }

    fn account_position(&self, changed: &[(String, Balance)], event_time: u64) -> String {
        let balances: Vec<Value> = changed
            .iter()
            .map(|(a, b)| json!({ "a": a, "f": fmt8(b.free), "l": fmt8(b.locked) }))
            .collect();
        json!({
            "e": "outboundAccountPosition",
            "E": event_time,
            "u": event_time,
            "B": balances
        })
        .to_string()
    }

    fn balance_delta(&self, asset: &str, delta: Decimal, event_time: u64) -> String {
        json!({
            "e": "balanceUpdate", "E": event_time, "a": asset,
            "d": fmt8(delta), "T": event_time
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn decimals_print_with_eight_places() {
        assert_eq!(fmt8(dec!(0.1)), "0.10000000");
        assert_eq!(fmt8(dec!(12)), "12.00000000");
        assert_eq!(fmt8(dec!(-1.123456789)), "-1.12345679");
        assert_eq!(fmt8(Decimal::MAX), "79228162514264337593543950335.00000000");
    }
}
