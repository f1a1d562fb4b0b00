//! Coinbase Advanced Trade's message shapes: the engine's events as `l2_data` events and `user`
//! order updates (the websocket session wraps them with `channel`, `timestamp` and its own
//! `sequence_num`), and the REST documents (products, orders, fills). Names: sides `BUY`/`SELL`
//! (`bid`/`offer` in the book), statuses `OPEN`/`FILLED`/`CANCELLED`/`EXPIRED`, configurations
//! `limit_limit_gtc`, `sor_limit_ioc`, `limit_limit_fok`, `market_market_ioc`.

use std::collections::HashMap;
use std::sync::Mutex;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use sluice::cex::sign::time::iso8601_millis;

use crate::exchange::dialects::coinbase_pro::shapes::{quote_commission, trades_of};
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{
    Execution, Order, OrderStatus, OrderType, Side, TimeInForce, Trade,
};
use crate::exchange::engine::server::lock;
use crate::exchange::engine::spec::SymbolSpec;

/// Separates the engine ids (`first last`) from the events of a depth change.
pub const IDS_SEPARATOR: char = '\t';

fn d(v: Decimal) -> String {
    v.normalize().to_string()
}

/// Coinbase's order id for the engine's (UUID-shaped).
pub fn order_id(id: u64) -> String {
    format!("00000000-0000-4000-8000-{id:012}")
}

/// The engine's id of a Coinbase order id.
pub fn engine_id(order_id: &str) -> Option<u64> {
    order_id
        .strip_prefix("00000000-0000-4000-8000-")?
        .parse()
        .ok()
}

pub fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

/// The order's status word.
pub fn status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New | OrderStatus::PartiallyFilled => "OPEN",
        OrderStatus::Filled => "FILLED",
        OrderStatus::Canceled => "CANCELLED",
        OrderStatus::Expired if o.executed_qty.is_zero() => "EXPIRED",
        OrderStatus::Expired => "CANCELLED",
    }
}

fn tif(o: &Order) -> &'static str {
    match (o.order_type, o.tif) {
        (OrderType::Market, _) | (_, TimeInForce::Ioc) => "IMMEDIATE_OR_CANCEL",
        (_, TimeInForce::Fok) => "FILL_OR_KILL",
        _ => "GOOD_UNTIL_CANCELLED",
    }
}

/// The `order_configuration` the order was placed with.
pub fn configuration(o: &Order) -> Value {
    let size = d(o.orig_qty);
    let price = d(o.price);
    match (o.order_type, o.tif) {
        (OrderType::Market, _) => json!({"market_market_ioc": {"base_size": size}}),
        (OrderType::LimitMaker, _) => {
            json!({"limit_limit_gtc": {"base_size": size, "limit_price": price, "post_only": true}})
        }
        (_, TimeInForce::Ioc) => {
            json!({"sor_limit_ioc": {"base_size": size, "limit_price": price}})
        }
        (_, TimeInForce::Fok) => {
            json!({"limit_limit_fok": {"base_size": size, "limit_price": price}})
        }
        _ => {
            json!({"limit_limit_gtc": {"base_size": size, "limit_price": price, "post_only": false}})
        }
    }
}

fn average(o: &Order) -> Decimal {
    if o.executed_qty.is_zero() {
        Decimal::ZERO
    } else {
        o.cum_quote.checked_div(o.executed_qty).unwrap_or_default()
    }
}

/// The fees an order paid so far, in the quote asset (the engine's commissions of its trades,
/// valued as [`quote_commission`] does), and how many fills it had.
pub fn order_fees(ex: &Exchange, o: &Order) -> (Decimal, usize) {
    trades_of(ex, o).fold((Decimal::ZERO, 0), |(fee, n), t| {
        (fee + quote_commission(t, o.side), n + 1)
    })
}

/// The order document of `/orders/historical/…`.
pub fn order_json(o: &Order, fees: Decimal, fills: usize) -> Value {
    let pct = if o.orig_qty.is_zero() {
        Decimal::ZERO
    } else {
        (o.executed_qty * Decimal::ONE_HUNDRED / o.orig_qty).round_dp(2)
    };
    json!({
        "order_id": order_id(o.id),
        "product_id": o.symbol,
        "user_id": o.account.to_string(),
        "order_configuration": configuration(o),
        "side": side(o.side),
        "client_order_id": o.client_order_id,
        "status": status(o),
        "time_in_force": tif(o),
        "created_time": iso8601_millis(o.time),
        "completion_percentage": d(pct),
        "filled_size": d(o.executed_qty),
        "average_filled_price": d(average(o)),
        "fee": "",
        "number_of_fills": fills.to_string(),
        "filled_value": d(o.cum_quote),
        "pending_cancel": false,
        "size_in_quote": false,
        "total_fees": d(fees),
        "size_inclusive_of_fees": false,
        "total_value_after_fees": d(o.cum_quote + fees),
        "trigger_status": "INVALID_ORDER_TYPE",
        "order_type": if o.order_type == OrderType::Market { "MARKET" } else { "LIMIT" },
        "reject_reason": "REJECT_REASON_UNSPECIFIED",
        "settled": !o.status.is_open(),
        "product_type": "SPOT",
        "reject_message": "",
        "cancel_message": "",
        "order_placement_source": "RETAIL_ADVANCED",
        "outstanding_hold_amount": d(o.locked),
        "is_liquidation": false,
        "last_fill_time": iso8601_millis(o.update_time),
        "edit_history": [],
        "leverage": "",
        "margin_type": "UNKNOWN_MARGIN_TYPE",
        "retail_portfolio_id": "sim-portfolio",
    })
}

/// One order as the `user` channel writes it.
pub fn user_order_json(o: &Order, fees: Decimal, fills: usize) -> Value {
    let status = status(o);
    json!({
        "avg_price": d(average(o)),
        "cancel_reason": if status == "CANCELLED" { "User requested cancel" } else { "" },
        "client_order_id": o.client_order_id,
        "completion_percentage": "",
        "contract_expiry_type": "UNKNOWN_CONTRACT_EXPIRY_TYPE",
        "cumulative_quantity": d(o.executed_qty),
        "filled_value": d(o.cum_quote),
        "leaves_quantity": d(o.remaining()),
        "limit_price": d(o.price),
        "number_of_fills": fills.to_string(),
        "order_id": order_id(o.id),
        "order_side": side(o.side),
        "order_type": if o.order_type == OrderType::Market { "Market" } else { "Limit" },
        "outstanding_hold_amount": d(o.locked),
        "post_only": if o.order_type == OrderType::LimitMaker { "true" } else { "false" },
        "product_id": o.symbol,
        "product_type": "SPOT",
        "reject_reason": "",
        "retail_portfolio_id": "sim-portfolio",
        "risk_managed_by": "UNKNOWN_RISK_MANAGEMENT_TYPE",
        "status": status,
        "stop_price": "",
        "time_in_force": tif(o),
        "total_fees": d(fees),
        "total_value_after_fees": d(o.cum_quote + fees),
        "trigger_status": "INVALID_ORDER_TYPE",
        "creation_time": iso8601_millis(o.time),
        "end_time": "0001-01-01T00:00:00Z",
        "start_time": "0001-01-01T00:00:00Z",
    })
}

/// One trade of `account` as `/orders/historical/fills` writes it, the commission in the quote
/// asset.
pub fn fill_json(t: &Trade, account: usize) -> Option<Value> {
    let (order, which, maker) = if t.buyer.1 == account {
        (t.buyer.0, Side::Buy, t.buyer_is_maker)
    } else if t.seller.1 == account {
        (t.seller.0, Side::Sell, !t.buyer_is_maker)
    } else {
        return None;
    };
    Some(json!({
        "entry_id": format!("{}-{}", t.id, side(which)),
        "trade_id": t.id.to_string(),
        "order_id": order_id(order),
        "trade_time": iso8601_millis(t.time),
        "trade_type": "FILL",
        "price": d(t.price),
        "size": d(t.qty),
        "commission": d(quote_commission(t, which)),
        "product_id": t.symbol,
        "sequence_timestamp": iso8601_millis(t.time),
        "liquidity_indicator": if maker { "MAKER" } else { "TAKER" },
        "size_in_quote": false,
        "user_id": account.to_string(),
        "side": side(which),
        "retail_portfolio_id": "sim-portfolio",
    }))
}

/// A listed product as `/market/products` writes it.
pub fn product_json(s: &SymbolSpec) -> Value {
    json!({
        "product_id": s.symbol,
        "price": "0",
        "price_percentage_change_24h": "0",
        "volume_24h": "0",
        "base_increment": d(s.step_size),
        "quote_increment": d(s.tick_size),
        "price_increment": d(s.tick_size),
        "base_min_size": d(s.min_qty),
        "base_max_size": d(s.max_qty),
        "quote_min_size": d(s.min_notional),
        "quote_max_size": "100000000",
        "base_name": s.base,
        "quote_name": s.quote,
        "watched": false,
        "is_disabled": false,
        "new": false,
        "status": "online",
        "cancel_only": false,
        "limit_only": false,
        "post_only": false,
        "trading_disabled": false,
        "auction_mode": false,
        "product_type": "SPOT",
        "quote_currency_id": s.quote,
        "base_currency_id": s.base,
        "base_display_symbol": s.base,
        "quote_display_symbol": s.quote,
    })
}

/// Levels as `updates` (`side`, `event_time`, `price_level`, `new_quantity`).
pub fn updates(bids: &[PriceLevel], asks: &[PriceLevel], time_ms: u64) -> String {
    let t = iso8601_millis(time_ms);
    let mut out = String::with_capacity(96 * (bids.len() + asks.len()) + 2);
    out.push('[');
    for (i, (s, (p, q))) in bids
        .iter()
        .map(|l| ("bid", l))
        .chain(asks.iter().map(|l| ("offer", l)))
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"side":"{s}","event_time":"{t}","price_level":"{}","new_quantity":"{}"}}"#,
            d(*p),
            d(*q)
        ));
    }
    out.push(']');
    out
}

/// The `events` of an `l2_data` message.
pub fn l2_events(kind: &str, product: &str, updates: &str) -> String {
    format!(r#"[{{"type":"{kind}","product_id":"{product}","updates":{updates}}}]"#)
}

/// A whole message of a channel with its sequence number.
pub fn message(channel: &str, sequence: u64, time_ms: u64, events: &str) -> String {
    format!(
        r#"{{"channel":"{channel}","client_id":"","timestamp":"{}","sequence_num":{sequence},"events":{events}}}"#,
        iso8601_millis(time_ms)
    )
}

/// Coinbase's rendering of the engine's events. Depth changes are `first last\t<events>` (the
/// session reads the engine's ids to number its messages); an execution is the order as the
/// `user` channel writes it. Fees are summed per order as its fills come.
#[derive(Debug, Default)]
pub struct CoinbaseEvents {
    fees: Mutex<HashMap<u64, (Decimal, usize)>>,
}

impl EventShapes for CoinbaseEvents {
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
            "{first} {last}{IDS_SEPARATOR}{}",
            l2_events("update", symbol, &updates(bids, asks, time))
        )
    }

    fn trade(&self, _t: &Trade, _time: u64) -> String {
        // the market_trades channel is not served
        String::new()
    }

    fn execution(&self, o: &Order, e: &Execution) -> String {
        let mut fees = lock(&self.fees);
        let entry = fees.entry(o.id).or_default();
        if let Some((_, _, fee, _, _, _)) = &e.last_fill {
            entry.0 += *fee;
            entry.1 += 1;
        }
        let (fee, n) = *entry;
        if !o.status.is_open() {
            fees.remove(&o.id);
        }
        user_order_json(o, fee, n).to_string()
    }

    fn account_position(&self, _changed: &[(String, Balance)], _time: u64) -> String {
        // Advanced Trade streams no spot balances: `/accounts` tells them.
        String::new()
    }

    fn balance_delta(&self, _asset: &str, _delta: Decimal, _time: u64) -> String {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use sluice::cex::Grid;
    use sluice::cex::exchanges::coinbase_advanced::depth::{Outcome, SyncedBook};

    /// A fill's commission is in the quote asset, whichever side the account took: the buyer's
    /// commission, charged by the engine in the base asset, is valued at the trade's price (it
    /// was reported as a quote amount without it, 100 times too small here).
    #[test]
    fn fills_report_the_engines_commission_in_the_quote_asset() {
        let t = Trade {
            id: 9,
            symbol: "BTC-USD".into(),
            price: dec!(100),
            qty: dec!(0.5),
            time: 1_700_000_000_000,
            buyer: (1, 3),
            seller: (2, 4),
            buyer_is_maker: true,
            commissions: (dec!(0.002), dec!(0.3)),
            assets: ("BTC".into(), "USD".into()),
        };
        let buyer = fill_json(&t, 3).unwrap();
        assert_eq!(buyer["commission"], "0.2");
        assert_eq!(buyer["liquidity_indicator"], "MAKER");
        let seller = fill_json(&t, 4).unwrap();
        assert_eq!(seller["commission"], "0.3");
        assert!(fill_json(&t, 5).is_none());
    }

    /// The simulator's messages are what the connector's parser reads.
    #[test]
    fn l2_messages_read_by_the_connector() {
        let mut b = SyncedBook::new(
            "BTC-USD",
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.0001)).unwrap(),
        );
        let snap = message(
            "l2_data",
            0,
            1_700_000_000_123,
            &l2_events(
                "snapshot",
                "BTC-USD",
                &updates(&[(dec!(100.01), dec!(0.5))], &[(dec!(100.02), dec!(1))], 1),
            ),
        );
        assert_eq!(b.on_message(snap.as_bytes()).unwrap(), Outcome::Synced);
        let text = CoinbaseEvents::default().depth_diff(
            "BTC-USD",
            41,
            43,
            &[(dec!(100.01), dec!(0))],
            &[],
            1_700_000_000_123,
        );
        let (ids, events) = text.split_once(IDS_SEPARATOR).unwrap();
        assert_eq!(ids, "41 43");
        let up = message("l2_data", 1, 1_700_000_000_123, events);
        assert_eq!(b.on_message(up.as_bytes()).unwrap(), Outcome::Applied);
        assert!(b.book.bids.is_empty());
        let v: Value = serde_json::from_str(&up).unwrap();
        assert_eq!(v["timestamp"], "2023-11-14T22:13:20.123Z");
        assert_eq!(engine_id(&order_id(42)), Some(42));
    }
}
