//! HTX's message shapes: the engine's events as MBP pushes (`market.$s.mbp.150`, `seqNum` the
//! engine's update id, `prevSeqNum` the one before the change), `orders#$s` and
//! `trade.clearing#$s#0` pushes (the clearing push first, so that a fill arrives with its fee
//! before the order's executed total), `accounts.update#1` pushes, and the REST documents
//! (symbols, orders, match results). Symbols and currencies are lower-case; order states
//! `submitted`, `partial-filled`, `filled`, `canceled`, `partial-canceled`.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{
    ExecType, Execution, Order, OrderStatus, OrderType, Side, TimeInForce, Trade,
};
use crate::exchange::engine::spec::SymbolSpec;

/// Separates the frames of one engine event.
pub const FRAME_SEPARATOR: char = '\n';

/// Levels of the MBP topic the simulator serves.
pub const MBP_LEVELS: usize = 150;

fn d(v: Decimal) -> String {
    v.normalize().to_string()
}

pub fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// `buy-limit`, `sell-limit-maker`, `buy-ioc`, `buy-limit-fok`, `sell-market`.
pub fn order_type(o: &Order) -> String {
    let kind = match (o.order_type, o.tif) {
        (OrderType::Market, _) => "market",
        (OrderType::LimitMaker, _) => "limit-maker",
        (_, TimeInForce::Ioc) => "ioc",
        (_, TimeInForce::Fok) => "limit-fok",
        (_, TimeInForce::Gtc) => "limit",
    };
    format!("{}-{kind}", side(o.side))
}

/// The order's HTX state.
pub fn state(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New => "submitted",
        OrderStatus::PartiallyFilled => "partial-filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Canceled | OrderStatus::Expired if o.executed_qty.is_zero() => "canceled",
        OrderStatus::Canceled | OrderStatus::Expired => "partial-canceled",
    }
}

/// A market buy's `amount` is its quote amount.
fn amount(o: &Order) -> Decimal {
    if o.order_type == OrderType::Market && o.side == Side::Buy {
        o.orig_quote_qty
    } else {
        o.orig_qty
    }
}

/// An order as `getClientOrder`, `/v1/order/orders/{id}` and `openOrders` write it.
pub fn order_json(o: &Order, fees: Decimal) -> Value {
    json!({
        "id": o.id,
        "symbol": o.symbol,
        "account-id": o.account,
        "client-order-id": o.client_order_id,
        "amount": d(amount(o)),
        "price": d(o.price),
        "created-at": o.time,
        "type": order_type(o),
        "field-amount": d(o.executed_qty),
        "field-cash-amount": d(o.cum_quote),
        "field-fees": d(fees),
        "finished-at": if o.status.is_open() { 0 } else { o.update_time },
        "source": "spot-api",
        "state": state(o),
        "canceled-at": 0,
    })
}

/// One trade of `account` as `matchresults` writes it; `None` if the account is not in it.
pub fn match_json(t: &Trade, account: usize, kind: &str) -> Option<Value> {
    let (order, fee, fee_ccy, maker) = if t.buyer.1 == account {
        (t.buyer.0, t.commissions.0, &t.assets.0, t.buyer_is_maker)
    } else if t.seller.1 == account {
        (t.seller.0, t.commissions.1, &t.assets.1, !t.buyer_is_maker)
    } else {
        return None;
    };
    Some(json!({
        "id": t.id,
        "trade-id": t.id,
        "order-id": order,
        "match-id": t.id,
        "symbol": t.symbol,
        "type": kind,
        "source": "spot-api",
        "price": d(t.price),
        "filled-amount": d(t.qty),
        "filled-fees": d(fee),
        "fee-currency": fee_ccy.to_ascii_lowercase(),
        "fee-deduct-currency": "",
        "role": if maker { "maker" } else { "taker" },
        "created-at": t.time,
    }))
}

/// A listed symbol as `/v1/common/symbols` writes it.
pub fn symbol_json(s: &SymbolSpec) -> Value {
    let places = |v: Decimal| v.normalize().scale();
    json!({
        "base-currency": s.base.to_ascii_lowercase(),
        "quote-currency": s.quote.to_ascii_lowercase(),
        "price-precision": places(s.tick_size),
        "amount-precision": places(s.step_size),
        "symbol-partition": "main",
        "symbol": s.symbol,
        "state": "online",
        "value-precision": 8,
        "min-order-amt": d(s.min_qty),
        "max-order-amt": d(s.max_qty),
        "limit-order-min-order-amt": d(s.min_qty),
        "limit-order-max-order-amt": d(s.max_qty),
        "min-order-value": d(s.min_notional),
        "api-trading": "enabled",
        "tags": "",
    })
}

/// Levels as JSON numbers, written from their decimal text.
fn levels(l: &[PriceLevel]) -> String {
    let mut out = String::from("[");
    for (i, (p, q)) in l.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("[{},{}]", d(*p), d(*q)));
    }
    out.push(']');
    out
}

/// The MBP topic of `symbol`.
pub fn topic(symbol: &str) -> String {
    format!("market.{symbol}.mbp.{MBP_LEVELS}")
}

/// The answer to `{"req": topic}`: the book's top levels and its `seqNum`.
pub fn snapshot(
    id: &Value,
    topic: &str,
    seq: u64,
    bids: &[PriceLevel],
    asks: &[PriceLevel],
    ts: u64,
) -> String {
    format!(
        r#"{{"id":{id},"rep":"{topic}","status":"ok","ts":{ts},"data":{{"seqNum":{seq},"bids":{},"asks":{}}}}}"#,
        levels(bids),
        levels(asks)
    )
}

fn push(ch: &str, data: Value) -> String {
    json!({"action": "push", "ch": ch, "data": data}).to_string()
}

/// HTX's rendering of the engine's events.
#[derive(Debug, Default)]
pub struct HtxEvents;

impl EventShapes for HtxEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        first: u64,
        last: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        time: u64,
    ) -> String {
        format!(
            r#"{{"ch":"{}","ts":{time},"tick":{{"seqNum":{last},"prevSeqNum":{},"bids":{},"asks":{}}}}}"#,
            topic(symbol),
            first.saturating_sub(1),
            levels(bids),
            levels(asks)
        )
    }

    fn trade(&self, t: &Trade, time: u64) -> String {
        json!({"ch": format!("market.{}.trade.detail", t.symbol), "ts": time,
               "tick": {"id": t.id, "ts": t.time, "data": [{"id": t.id, "ts": t.time, "tradeId": t.id,
               "amount": d(t.qty), "price": d(t.price), "direction": if t.buyer_is_maker { "sell" } else { "buy" }}]}})
        .to_string()
    }

    fn execution(&self, o: &Order, e: &Execution) -> String {
        let mut frames = Vec::new();
        if let Some((qty, price, fee, fee_asset, trade_id, maker)) = &e.last_fill {
            frames.push(push(
                &format!("trade.clearing#{}#0", o.symbol),
                json!({"eventType": "trade", "symbol": o.symbol, "orderId": o.id,
                       "tradePrice": d(*price), "tradeVolume": d(*qty), "orderSide": side(o.side),
                       "orderType": order_type(o), "aggressor": !maker, "tradeId": trade_id,
                       "tradeTime": e.time, "transactFee": d(*fee),
                       "feeCurrency": fee_asset.to_ascii_lowercase(), "feeDeduct": "0",
                       "feeDeductType": "", "accountId": o.account, "source": "spot-api",
                       "orderPrice": d(o.price), "orderSize": d(amount(o)),
                       "clientOrderId": o.client_order_id, "orderCreateTime": o.time,
                       "orderStatus": state(o)}),
            ));
        }
        let event_type = match e.exec_type {
            ExecType::New => "creation",
            ExecType::Trade => "trade",
            ExecType::Canceled | ExecType::Expired => "cancellation",
        };
        let mut data = json!({"eventType": event_type, "symbol": o.symbol, "orderId": o.id,
            "clientOrderId": o.client_order_id, "orderSource": "spot-api", "type": order_type(o),
            "orderPrice": d(o.price), "orderSize": d(amount(o)), "orderStatus": state(o),
            "execAmt": d(o.executed_qty), "remainAmt": d(o.remaining()), "lastActTime": e.time});
        if let Some((qty, price, _, _, trade_id, maker)) = &e.last_fill {
            data["tradePrice"] = json!(d(*price));
            data["tradeVolume"] = json!(d(*qty));
            data["tradeId"] = json!(trade_id);
            data["tradeTime"] = json!(e.time);
            data["aggressor"] = json!(!maker);
        }
        frames.push(push(&format!("orders#{}", o.symbol), data));
        frames.join(&FRAME_SEPARATOR.to_string())
    }

    fn account_position(&self, changed: &[(String, Balance)], time: u64) -> String {
        changed
            .iter()
            .map(|(asset, b)| {
                push(
                    "accounts.update#1",
                    json!({"currency": asset.to_ascii_lowercase(), "accountId": 1,
                           "balance": d(b.free + b.locked), "available": d(b.free),
                           "changeType": "order.match", "accountType": "trade",
                           "changeTime": time, "seqNum": time}),
                )
            })
            .collect::<Vec<_>>()
            .join(&FRAME_SEPARATOR.to_string())
    }

    fn balance_delta(&self, _asset: &str, _delta: Decimal, _time: u64) -> String {
        String::new()
    }
}
