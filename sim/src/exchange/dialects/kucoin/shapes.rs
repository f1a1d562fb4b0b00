//! KuCoin's message shapes: the engine's events as `trade.l2update` pushes (each change
//! `[price, size, sequence]`), `/spotMarket/tradeOrdersV2` `orderChange` pushes and
//! `/account/balance` pushes, and the REST documents (symbols, orders, fills, accounts), every
//! answer inside the `{"code":"200000","data":…}` envelope. Names: sides `buy`/`sell`, types
//! `limit`/`market`, time in force `GTC`/`IOC`/`FOK`, post-only a flag; decimals as strings.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{
    ExecType, Execution, Order, OrderStatus, OrderType, Side, TimeInForce, Trade,
};
use crate::exchange::engine::spec::SymbolSpec;

/// Separates two frames the engine hands over as one event (a match and the order's fill).
pub const FRAME_SEPARATOR: char = '\n';

/// The private orders topic.
pub const ORDERS_TOPIC: &str = "/spotMarket/tradeOrdersV2";
/// The private balances topic.
pub const BALANCE_TOPIC: &str = "/account/balance";

fn d(v: Decimal) -> String {
    v.normalize().to_string()
}

pub fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn kind(o: &Order) -> &'static str {
    if o.order_type == OrderType::Market {
        "market"
    } else {
        "limit"
    }
}

fn tif(o: &Order) -> &'static str {
    match o.tif {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
    }
}

/// The success envelope around `data`.
pub fn ok(data: Value) -> Value {
    json!({"code": "200000", "data": data})
}

/// A listed symbol as `/api/v2/symbols` writes it.
pub fn symbol_json(s: &SymbolSpec) -> Value {
    json!({
        "symbol": s.symbol,
        "name": s.symbol,
        "baseCurrency": s.base,
        "quoteCurrency": s.quote,
        "feeCurrency": s.quote,
        "market": s.quote,
        "baseMinSize": d(s.min_qty),
        "quoteMinSize": d(s.min_notional),
        "baseMaxSize": d(s.max_qty),
        "quoteMaxSize": "99999999",
        "baseIncrement": d(s.step_size),
        "quoteIncrement": d(s.tick_size),
        "priceIncrement": d(s.tick_size),
        "priceLimitRate": "0.1",
        "minFunds": d(s.min_notional),
        "isMarginEnabled": false,
        "enableTrading": true,
        "feeCategory": 1,
        "makerFeeCoefficient": "1.00",
        "takerFeeCoefficient": "1.00",
        "st": false
    })
}

/// An order as `GET /api/v1/order/client-order/{clientOid}` and `GET /api/v1/orders` write it.
pub fn order_json(o: &Order, fee: Decimal, fee_currency: &str) -> Value {
    let open = o.status.is_open();
    json!({
        "id": o.id.to_string(),
        "symbol": o.symbol,
        "opType": "DEAL",
        "type": kind(o),
        "side": side(o.side),
        "price": d(o.price),
        "size": d(o.orig_qty),
        "funds": d(o.orig_quote_qty),
        "dealFunds": d(o.cum_quote),
        "dealSize": d(o.executed_qty),
        "fee": d(fee),
        "feeCurrency": fee_currency,
        "stp": "",
        "stop": "",
        "stopTriggered": false,
        "stopPrice": "0",
        "timeInForce": tif(o),
        "postOnly": o.order_type == OrderType::LimitMaker,
        "hidden": false,
        "iceberg": false,
        "visibleSize": "0",
        "cancelAfter": 0,
        "channel": "API",
        "clientOid": o.client_order_id,
        "remark": null,
        "tags": null,
        "isActive": open,
        "cancelExist": matches!(o.status, OrderStatus::Canceled | OrderStatus::Expired),
        "createdAt": o.time,
        "tradeType": "TRADE"
    })
}

/// One trade of `account` as `GET /api/v1/fills` writes it (`fee_rate` the rate it paid).
pub fn fill_json(t: &Trade, account: usize, fee_rate: Decimal) -> Option<Value> {
    let (order, counter, which, fee, fee_currency, maker) = if t.buyer.1 == account {
        let m = t.buyer_is_maker;
        (
            t.buyer.0,
            t.seller.0,
            Side::Buy,
            t.commissions.0,
            &t.assets.0,
            m,
        )
    } else if t.seller.1 == account {
        let m = !t.buyer_is_maker;
        (
            t.seller.0,
            t.buyer.0,
            Side::Sell,
            t.commissions.1,
            &t.assets.1,
            m,
        )
    } else {
        return None;
    };
    Some(json!({
        "symbol": t.symbol,
        "tradeId": t.id.to_string(),
        "orderId": order.to_string(),
        "counterOrderId": counter.to_string(),
        "side": side(which),
        "liquidity": if maker { "maker" } else { "taker" },
        "forceTaker": false,
        "price": d(t.price),
        "size": d(t.qty),
        "funds": d(t.price * t.qty),
        "fee": d(fee),
        "feeRate": d(fee_rate),
        "feeCurrency": fee_currency,
        "stop": "",
        "tradeType": "TRADE",
        "type": "limit",
        "createdAt": t.time
    }))
}

/// A trade account's balance as `GET /api/v1/accounts` writes it.
pub fn account_json(currency: &str, b: &Balance) -> Value {
    json!({
        "id": format!("trade-{currency}"),
        "currency": currency,
        "type": "trade",
        "balance": d(b.free + b.locked),
        "available": d(b.free),
        "holds": d(b.locked)
    })
}

fn levels(l: &[PriceLevel], next_seq: &mut u64, last: u64) -> Value {
    Value::Array(
        l.iter()
            .map(|(p, q)| {
                let seq = (*next_seq).min(last);
                *next_seq += 1;
                json!([d(*p), d(*q), seq.to_string()])
            })
            .collect(),
    )
}

/// A push of a topic.
pub fn message(topic: &str, subject: &str, private: bool, data: Value) -> String {
    let mut v = json!({"type": "message", "topic": topic, "subject": subject, "data": data});
    if private {
        v["channelType"] = json!("private");
    }
    v.to_string()
}

fn order_change(o: &Order, change: &str, status: &str, time: u64) -> Value {
    json!({
        "symbol": o.symbol,
        "orderType": kind(o),
        "side": side(o.side),
        "orderId": o.id.to_string(),
        "type": change,
        "orderTime": o.time,
        "size": d(o.orig_qty),
        "originSize": d(o.orig_qty),
        "filledSize": d(o.executed_qty),
        "remainSize": d(o.remaining()),
        "price": d(o.price),
        "clientOid": o.client_order_id,
        "status": status,
        "ts": time * 1_000_000
    })
}

/// KuCoin's rendering of the engine's events.
#[derive(Debug, Default)]
pub struct KuCoinEvents;

impl EventShapes for KuCoinEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        first: u64,
        last: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        time: u64,
    ) -> String {
        // one sequence per change, in order, as the engine numbered them
        let mut next = first;
        let bids = levels(bids, &mut next, last);
        let asks = levels(asks, &mut next, last);
        message(
            &format!("/market/level2:{symbol}"),
            "trade.l2update",
            false,
            json!({"changes": {"asks": asks, "bids": bids}, "sequenceEnd": last,
                   "sequenceStart": first, "symbol": symbol, "time": time}),
        )
    }

    fn trade(&self, t: &Trade, time: u64) -> String {
        message(
            &format!("/market/match:{}", t.symbol),
            "trade.l3match",
            false,
            json!({"sequence": t.id.to_string(), "symbol": t.symbol,
                   "side": if t.buyer_is_maker { "sell" } else { "buy" },
                   "size": d(t.qty), "price": d(t.price), "tradeId": t.id.to_string(),
                   "makerOrderId": "", "takerOrderId": "", "time": (time * 1_000_000).to_string(),
                   "type": "match"}),
        )
    }

    fn execution(&self, o: &Order, e: &Execution) -> String {
        let push = |change: &str, status: &str, extra: Option<Value>| {
            let mut data = order_change(o, change, status, e.time);
            if let (Some(obj), Some(Value::Object(x))) = (data.as_object_mut(), extra) {
                obj.extend(x);
            }
            message(ORDERS_TOPIC, "orderChange", true, data)
        };
        match e.exec_type {
            ExecType::New => push("open", "open", None),
            ExecType::Canceled | ExecType::Expired => push("canceled", "done", None),
            ExecType::Trade => {
                let done = !o.status.is_open();
                let extra = e.last_fill.as_ref().map(|(qty, price, _, _, id, maker)| {
                    json!({"matchSize": d(*qty), "matchPrice": d(*price), "tradeId": id.to_string(),
                           "liquidity": if *maker { "maker" } else { "taker" }})
                });
                let mut out = push("match", if done { "done" } else { "match" }, extra);
                if o.status == OrderStatus::Filled {
                    out.push(FRAME_SEPARATOR);
                    out.push_str(&push("filled", "done", None));
                }
                out
            }
        }
    }

    fn account_position(&self, changed: &[(String, Balance)], time: u64) -> String {
        changed
            .iter()
            .map(|(asset, b)| {
                message(
                    BALANCE_TOPIC,
                    "account.balance",
                    true,
                    json!({"total": d(b.free + b.locked), "available": d(b.free),
                           "availableChange": "0", "currency": asset, "hold": d(b.locked),
                           "holdChange": "0", "relationEvent": "trade.setted",
                           "relationEventId": "", "relationContext": {},
                           "time": time.to_string()}),
                )
            })
            .collect::<Vec<_>>()
            .join(&FRAME_SEPARATOR.to_string())
    }

    fn balance_delta(&self, _asset: &str, _delta: Decimal, _time: u64) -> String {
        // KuCoin reports the new balance (`/account/balance`), sent by `account_position`.
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use sluice::cex::Grid;
    use sluice::cex::exchanges::kucoin::depth::{DepthParser, Frame, UpdateIds};

    /// The simulator's push is what the connector's parser reads, one sequence per change.
    #[test]
    fn depth_pushes_read_by_the_connector() {
        let text = KuCoinEvents.depth_diff(
            "BTC-USDT",
            41,
            43,
            &[(dec!(100.01), dec!(0.5)), (dec!(100), dec!(1))],
            &[(dec!(100.02), dec!(0))],
            1_700_000_000_123,
        );
        let mut p = DepthParser::new(
            "BTC-USDT",
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.0001)).unwrap(),
        );
        assert_eq!(
            p.parse_frame(text.as_bytes()).unwrap(),
            Frame::Update(UpdateIds {
                first: 41,
                last: 43
            })
        );
        assert_eq!(
            (p.bids.levels[0].ticks, p.bids.levels[0].lots),
            (10001, 5000)
        );
        assert_eq!(p.bids.seqs, vec![41, 42]);
        assert_eq!((p.asks.levels[0].ticks, p.asks.seqs[0]), (10002, 43));
    }

    #[test]
    fn balances_one_push_per_asset() {
        let b = Balance {
            free: dec!(10),
            locked: dec!(2.5),
        };
        let text = KuCoinEvents.account_position(&[("USDT".into(), b), ("BTC".into(), b)], 5);
        let frames: Vec<Value> = text
            .split(FRAME_SEPARATOR)
            .map(|f| serde_json::from_str(f).unwrap())
            .collect();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0]["topic"], BALANCE_TOPIC);
        assert_eq!(frames[0]["data"]["total"], "12.5");
        assert_eq!(frames[1]["data"]["currency"], "BTC");
        assert!(KuCoinEvents.balance_delta("USDT", dec!(1), 1).is_empty());
    }
}
