//! Gate.io's message shapes: the engine's events as `spot.order_book_update`, `spot.orders`,
//! `spot.usertrades` and `spot.balances` frames, and the REST documents (currency pairs, orders,
//! trades). Names: sides `buy`/`sell`, types `limit`/`market`, time in force `gtc`/`ioc`/`fok`/
//! `poc`, statuses `open`/`closed`/`cancelled` with `finish_as`.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{
    ExecType, Execution, Order, OrderStatus, OrderType, Side, TimeInForce, Trade,
};
use crate::exchange::engine::spec::SymbolSpec;

/// Separates two frames the engine hands over as one event (an order update and its trade).
pub const FRAME_SEPARATOR: char = '\n';

pub fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn tif(o: &Order) -> &'static str {
    match (o.order_type, o.tif) {
        (OrderType::LimitMaker, _) => "poc",
        (_, TimeInForce::Gtc) => "gtc",
        (_, TimeInForce::Ioc) => "ioc",
        (_, TimeInForce::Fok) => "fok",
    }
}

/// (status, finish_as) of an order.
pub fn status(o: &Order) -> (&'static str, &'static str) {
    match o.status {
        OrderStatus::New | OrderStatus::PartiallyFilled => ("open", "open"),
        OrderStatus::Filled => ("closed", "filled"),
        OrderStatus::Canceled => ("cancelled", "cancelled"),
        OrderStatus::Expired => ("cancelled", tif(o)),
    }
}

fn is_market_buy(o: &Order) -> bool {
    o.order_type == OrderType::Market && o.side == Side::Buy
}

/// `amount` and `left` as Gate.io writes them (a market buy in the quote asset).
fn amount_left(o: &Order) -> (Decimal, Decimal) {
    if is_market_buy(o) {
        let amount = o.orig_quote_qty;
        (amount, (amount - o.cum_quote).max(Decimal::ZERO))
    } else {
        (o.orig_qty, o.remaining())
    }
}

fn d(v: Decimal) -> String {
    v.normalize().to_string()
}

/// The order document of REST answers and `spot.orders` (with `event` there).
pub fn order_json(o: &Order, fee: Decimal, fee_currency: &str, event: Option<&str>) -> Value {
    let (status, finish_as) = status(o);
    let (amount, left) = amount_left(o);
    let avg = if o.executed_qty.is_zero() {
        Decimal::ZERO
    } else {
        o.cum_quote.checked_div(o.executed_qty).unwrap_or_default()
    };
    let mut v = json!({
        "id": o.id.to_string(),
        "text": o.client_order_id,
        "amend_text": "-",
        "create_time": (o.time / 1000).to_string(),
        "update_time": (o.update_time / 1000).to_string(),
        "create_time_ms": o.time,
        "update_time_ms": o.update_time,
        "status": status,
        "currency_pair": o.symbol,
        "type": if o.order_type == OrderType::Market { "market" } else { "limit" },
        "account": "spot",
        "side": side(o.side),
        "amount": d(amount),
        "price": d(o.price),
        "time_in_force": tif(o),
        "iceberg": "0",
        "left": d(left),
        "filled_amount": d(o.executed_qty),
        "fill_price": d(o.cum_quote),
        "filled_total": d(o.cum_quote),
        "avg_deal_price": d(avg),
        "fee": d(fee),
        "fee_currency": fee_currency,
        "point_fee": "0",
        "gt_fee": "0",
        "gt_discount": false,
        "rebated_fee": "0",
        "rebated_fee_currency": "",
        "finish_as": finish_as,
    });
    if let Some(e) = event {
        v["event"] = json!(e);
        v["user"] = json!(o.account);
        if let Some(m) = v.as_object_mut() {
            m.remove("status");
        }
    }
    v
}

/// One trade of `account` as `/spot/my_trades` and `spot.usertrades` write it.
pub fn my_trade_json(t: &Trade, account: usize, text: &str) -> Option<Value> {
    let (order, which, fee, fee_currency, maker) = if t.buyer.1 == account {
        (
            t.buyer.0,
            Side::Buy,
            t.commissions.0,
            &t.assets.0,
            t.buyer_is_maker,
        )
    } else if t.seller.1 == account {
        (
            t.seller.0,
            Side::Sell,
            t.commissions.1,
            &t.assets.1,
            !t.buyer_is_maker,
        )
    } else {
        return None;
    };
    Some(json!({
        "id": t.id.to_string(),
        "create_time": (t.time / 1000).to_string(),
        "create_time_ms": format!("{}.000", t.time),
        "currency_pair": t.symbol,
        "side": side(which),
        "role": if maker { "maker" } else { "taker" },
        "amount": d(t.qty),
        "price": d(t.price),
        "order_id": order.to_string(),
        "fee": d(fee),
        "fee_currency": fee_currency,
        "point_fee": "0",
        "gt_fee": "0",
        "text": text,
    }))
}

/// A listed pair as `/spot/currency_pairs` writes it.
pub fn pair_json(s: &SymbolSpec) -> Value {
    let decimals = |v: Decimal| v.normalize().scale();
    json!({
        "id": s.symbol,
        "base": s.base,
        "base_name": s.base,
        "quote": s.quote,
        "quote_name": s.quote,
        "fee": d(s.taker_fee * Decimal::ONE_HUNDRED),
        "min_base_amount": d(s.min_qty),
        "min_quote_amount": d(s.min_notional),
        "max_base_amount": d(s.max_qty),
        "amount_precision": decimals(s.step_size),
        "precision": decimals(s.tick_size),
        "trade_status": "tradable",
        "sell_start": 0,
        "buy_start": 0,
        "type": "normal",
    })
}

fn levels(l: &[PriceLevel]) -> Value {
    Value::Array(l.iter().map(|(p, q)| json!([d(*p), d(*q)])).collect())
}

/// A frame of a channel at `time_ms`.
pub fn frame(channel: &str, event: &str, result: Value, time_ms: u64) -> String {
    json!({"time": time_ms / 1000, "time_ms": time_ms, "channel": channel, "event": event, "result": result})
        .to_string()
}

/// Gate.io's rendering of the engine's events.
#[derive(Debug, Default)]
pub struct GateEvents;

impl EventShapes for GateEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        first: u64,
        last: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        time: u64,
    ) -> String {
        // field order as Gate.io sends it; levels without blanks
        format!(
            r#"{{"time":{},"time_ms":{time},"channel":"spot.order_book_update","event":"update","result":{{"t":{time},"e":"depthUpdate","E":{},"s":"{symbol}","U":{first},"u":{last},"b":{},"a":{}}}}}"#,
            time / 1000,
            time / 1000,
            levels(bids),
            levels(asks)
        )
    }

    fn trade(&self, t: &Trade, time: u64) -> String {
        frame(
            "spot.trades",
            "update",
            json!({"id": t.id, "create_time": t.time / 1000, "create_time_ms": t.time.to_string(),
                   "side": if t.buyer_is_maker { "sell" } else { "buy" }, "currency_pair": t.symbol,
                   "amount": d(t.qty), "price": d(t.price)}),
            time,
        )
    }

    fn execution(&self, o: &Order, e: &Execution) -> String {
        let event = match (e.exec_type, o.status.is_open()) {
            (ExecType::New, _) => "put",
            (_, true) => "update",
            (_, false) => "finish",
        };
        let fee_currency = e.last_fill.as_ref().map_or("", |f| f.3.as_str());
        let mut out = frame(
            "spot.orders",
            "update",
            json!([order_json(o, Decimal::ZERO, fee_currency, Some(event))]),
            e.time,
        );
        if let Some((qty, price, fee, fee_asset, trade_id, maker)) = &e.last_fill {
            let trade = json!([{
                "id": trade_id,
                "user_id": o.account,
                "order_id": o.id.to_string(),
                "currency_pair": o.symbol,
                "create_time": e.time / 1000,
                "create_time_ms": format!("{}.000", e.time),
                "side": side(o.side),
                "amount": d(*qty),
                "role": if *maker { "maker" } else { "taker" },
                "price": d(*price),
                "fee": d(*fee),
                "fee_currency": fee_asset,
                "point_fee": "0",
                "gt_fee": "0",
                "text": o.client_order_id,
            }]);
            out.push(FRAME_SEPARATOR);
            out.push_str(&frame("spot.usertrades", "update", trade, e.time));
        }
        out
    }

    fn account_position(&self, changed: &[(String, Balance)], time: u64) -> String {
        let items: Vec<Value> = changed
            .iter()
            .map(|(asset, b)| {
                json!({"timestamp": (time / 1000).to_string(), "timestamp_ms": time.to_string(),
                       "user": "0", "currency": asset, "change": "0",
                       "total": d(b.free + b.locked), "available": d(b.free), "freeze": d(b.locked),
                       "freeze_change": "0", "change_type": "order"})
            })
            .collect();
        frame("spot.balances", "update", Value::Array(items), time)
    }

    fn balance_delta(&self, _asset: &str, _delta: Decimal, _time: u64) -> String {
        // Gate.io reports the new balance (`spot.balances`), sent by `account_position`.
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use sluice::cex::Grid;
    use sluice::cex::exchanges::gate_io::depth::{DepthParser, Frame, UpdateIds};

    /// The simulator's depth frame is what the connector's parser reads.
    #[test]
    fn depth_frames_read_by_the_connector() {
        let text = GateEvents.depth_diff(
            "BTC_USDT",
            41,
            43,
            &[(dec!(100.01), dec!(0.5))],
            &[(dec!(100.02), dec!(0))],
            1_700_000_000_123,
        );
        let mut p = DepthParser::new(
            "BTC_USDT",
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
        assert_eq!((p.bids[0].ticks, p.bids[0].lots), (10001, 5000));
        assert_eq!((p.asks[0].ticks, p.asks[0].lots), (10002, 0));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["time"], 1_700_000_000);
        assert_eq!(v["result"]["s"], "BTC_USDT");
    }

    #[test]
    fn balances_frames_in_gate_shape() {
        let b = Balance {
            free: dec!(10),
            locked: dec!(2.5),
        };
        let v: Value =
            serde_json::from_str(&GateEvents.account_position(&[("USDT".into(), b)], 5_000))
                .unwrap();
        assert_eq!(v["channel"], "spot.balances");
        assert_eq!(v["result"][0]["total"], "12.5");
        assert_eq!(v["result"][0]["available"], "10");
        assert!(GateEvents.balance_delta("USDT", dec!(1), 1).is_empty());
    }
}
