//! Coinbase Exchange's message shapes: the engine's events as the feed's `l2update` (each one
//! followed by the product's `heartbeat`, whose `sequence` counts the product's book updates),
//! the `user` channel's `received` / `open` / `match` / `done` and the `balance` channel's
//! messages, and the REST documents (products, orders, fills). Sides `buy`/`sell`; order and
//! account ids are UUIDs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{
    ExecType, Execution, Order, OrderStatus, OrderType, Side, TimeInForce, Trade,
};
use crate::exchange::engine::server::lock;
use crate::exchange::engine::spec::SymbolSpec;

/// Separates two frames the engine hands over as one event.
pub const FRAME_SEPARATOR: char = '\n';

/// The zero UUID: the counterparty's order in a `match` of the user channel.
pub const NIL_UUID: &str = "00000000-0000-0000-0000-000000000000";

/// Each product's sequence: one step per book update published.
#[derive(Debug, Clone, Default)]
pub struct Sequences(Arc<Mutex<HashMap<String, u64>>>);

impl Sequences {
    pub fn current(&self, product: &str) -> u64 {
        lock(&self.0).get(product).copied().unwrap_or(0)
    }

    fn advance(&self, product: &str) -> u64 {
        let mut m = lock(&self.0);
        let s = m.entry(product.to_string()).or_insert(0);
        *s += 1;
        *s
    }
}

/// The UUID of an engine order id.
pub fn order_uuid(id: u64) -> String {
    format!("00000000-0000-4000-8000-{id:012x}")
}

/// The engine order id of a UUID from [`order_uuid`].
pub fn order_id_of(uuid: &str) -> Option<u64> {
    let tail = uuid.strip_prefix("00000000-0000-4000-8000-")?;
    u64::from_str_radix(tail, 16).ok()
}

/// The UUID of an account's holding of `currency`.
pub fn account_uuid(account: usize, currency: &str) -> String {
    let mut tag = [0u8; 6];
    for (i, b) in currency.bytes().take(6).enumerate() {
        tag[i] = b;
    }
    format!("{account:08x}-0000-4000-9000-{}", hex::encode(tag))
}

pub fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

pub fn d(v: Decimal) -> String {
    v.normalize().to_string()
}

/// An RFC 3339 UTC time of `ms` since the epoch, as Coinbase writes times.
pub use sluice::cex::sign::time::iso8601_millis as iso;

/// The `heartbeat` message of `product` at `sequence`.
pub fn heartbeat(product: &str, sequence: u64, last_trade_id: u64, time: u64) -> String {
    json!({"type": "heartbeat", "sequence": sequence, "last_trade_id": last_trade_id,
           "product_id": product, "time": iso(time)})
    .to_string()
}

/// The (status, done_reason) of an order.
pub fn status(o: &Order) -> (&'static str, Option<&'static str>) {
    match o.status {
        OrderStatus::New | OrderStatus::PartiallyFilled => ("open", None),
        OrderStatus::Filled => ("done", Some("filled")),
        OrderStatus::Canceled | OrderStatus::Expired => ("done", Some("canceled")),
    }
}

fn tif(o: &Order) -> &'static str {
    match (o.order_type, o.tif) {
        (OrderType::LimitMaker, _) | (_, TimeInForce::Gtc) => "GTC",
        (_, TimeInForce::Ioc) => "IOC",
        (_, TimeInForce::Fok) => "FOK",
    }
}

/// The order document of REST answers.
pub fn order_json(o: &Order, fill_fees: Decimal) -> Value {
    let (status, done_reason) = status(o);
    let mut v = json!({
        "id": order_uuid(o.id),
        "client_oid": o.client_order_id,
        "product_id": o.symbol,
        "side": side(o.side),
        "stp": "dc",
        "type": if o.order_type == OrderType::Market { "market" } else { "limit" },
        "size": d(o.orig_qty),
        "post_only": o.order_type == OrderType::LimitMaker,
        "created_at": iso(o.time),
        "fill_fees": d(fill_fees),
        "filled_size": d(o.executed_qty),
        "executed_value": d(o.cum_quote),
        "status": status,
        "settled": status == "done",
    });
    if o.order_type != OrderType::Market {
        v["price"] = json!(d(o.price));
        v["time_in_force"] = json!(tif(o));
    }
    if let Some(r) = done_reason {
        v["done_reason"] = json!(r);
        v["done_at"] = json!(iso(o.update_time));
    }
    v
}

/// A listed product as `/products` writes it.
pub fn product_json(s: &SymbolSpec) -> Value {
    json!({
        "id": s.symbol,
        "base_currency": s.base,
        "quote_currency": s.quote,
        "quote_increment": d(s.tick_size),
        "base_increment": d(s.step_size),
        "base_min_size": d(s.min_qty),
        "base_max_size": d(s.max_qty),
        "display_name": format!("{}/{}", s.base, s.quote),
        "min_market_funds": d(s.min_notional),
        "margin_enabled": false,
        "post_only": false,
        "limit_only": false,
        "cancel_only": false,
        "status": "online",
        "status_message": "",
        "trading_disabled": false,
        "fx_stablecoin": false,
        "max_slippage_percentage": "0.02",
        "auction_mode": false,
    })
}

/// Coinbase's rendering of the engine's events: fee rates per product (the `match` message's
/// `maker_fee_rate` / `taker_fee_rate`) and the products' sequences.
#[derive(Debug)]
pub struct CoinbaseEvents {
    pub sequences: Sequences,
    /// (maker, taker) rates by product.
    pub fees: BTreeMap<String, (Decimal, Decimal)>,
}

impl CoinbaseEvents {
    /// The fee rate of `product` for a maker or a taker.
    pub fn rate(&self, product: &str, maker: bool) -> Decimal {
        self.fees
            .get(product)
            .map_or(Decimal::ZERO, |(m, t)| if maker { *m } else { *t })
    }
}

/// The commission the engine charged the `side` of trade `t`, valued in the quote asset as
/// Coinbase reports every fee: a seller's is in the quote asset already, a buyer's (in the base
/// asset) is valued at the trade's price, to 8 decimals. Both Coinbase dialects report this, so
/// that a fee in a document is what the account's balances were charged.
pub fn quote_commission(t: &Trade, side: Side) -> Decimal {
    match side {
        Side::Buy => t
            .commissions
            .0
            .checked_mul(t.price)
            .map(|v| v.round_dp(8))
            .unwrap_or_default(),
        Side::Sell => t.commissions.1,
    }
}

/// The trades of order `o` so far.
pub fn trades_of<'a>(ex: &'a Exchange, o: &'a Order) -> impl Iterator<Item = &'a Trade> + 'a {
    ex.trades
        .get(&o.symbol)
        .into_iter()
        .flatten()
        .filter(move |t| match o.side {
            Side::Buy => t.buyer.0 == o.id,
            Side::Sell => t.seller.0 == o.id,
        })
}

/// The fees order `o` paid so far, in the quote asset ([`quote_commission`] of its trades).
pub fn order_fee(ex: &Exchange, o: &Order) -> Decimal {
    trades_of(ex, o).map(|t| quote_commission(t, o.side)).sum()
}

/// One trade of `account` as `/fills` writes it, the fee in the quote asset.
pub fn fill_json(t: &Trade, account: usize) -> Option<Value> {
    let (order, which, maker) = if t.buyer.1 == account {
        (t.buyer.0, Side::Buy, t.buyer_is_maker)
    } else if t.seller.1 == account {
        (t.seller.0, Side::Sell, !t.buyer_is_maker)
    } else {
        return None;
    };
    Some(json!({
        "trade_id": t.id,
        "product_id": t.symbol,
        "order_id": order_uuid(order),
        "user_id": format!("{account}"),
        "profile_id": format!("{account}"),
        "liquidity": if maker { "M" } else { "T" },
        "price": d(t.price),
        "size": d(t.qty),
        "fee": d(quote_commission(t, which)),
        "created_at": iso(t.time),
        "side": side(which),
        "settled": true,
        "usd_volume": d(t.price * t.qty),
    }))
}

impl EventShapes for CoinbaseEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        _first: u64,
        _last: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        time: u64,
    ) -> String {
        let changes: Vec<Value> = bids
            .iter()
            .map(|(p, q)| json!(["buy", d(*p), d(*q)]))
            .chain(asks.iter().map(|(p, q)| json!(["sell", d(*p), d(*q)])))
            .collect();
        let seq = self.sequences.advance(symbol);
        let mut out = json!({"type": "l2update", "product_id": symbol, "changes": changes,
                             "time": iso(time)})
        .to_string();
        out.push(FRAME_SEPARATOR);
        out.push_str(&heartbeat(symbol, seq, 0, time));
        out
    }

    fn trade(&self, t: &Trade, time: u64) -> String {
        json!({"type": "match", "trade_id": t.id, "product_id": t.symbol, "size": d(t.qty),
               "price": d(t.price), "side": if t.buyer_is_maker { "buy" } else { "sell" },
               "time": iso(time)})
        .to_string()
    }

    fn execution(&self, o: &Order, e: &Execution) -> String {
        let base = |kind: &str| {
            json!({"type": kind, "time": iso(e.time), "product_id": o.symbol, "sequence": e.execution_id,
                   "order_id": order_uuid(o.id), "side": side(o.side), "user_id": format!("{}", o.account),
                   "profile_id": format!("{}", o.account)})
        };
        let mut frames = Vec::new();
        match e.exec_type {
            ExecType::New => {
                let mut r = base("received");
                r["client_oid"] = json!(o.client_order_id);
                r["size"] = json!(d(o.orig_qty));
                r["order_type"] = json!(if o.order_type == OrderType::Market {
                    "market"
                } else {
                    "limit"
                });
                if o.order_type != OrderType::Market {
                    r["price"] = json!(d(o.price));
                }
                frames.push(r);
                if o.status.is_open() {
                    let mut op = base("open");
                    op["price"] = json!(d(o.price));
                    op["remaining_size"] = json!(d(o.remaining()));
                    frames.push(op);
                }
            }
            _ => {
                if let Some((qty, price, _fee, _asset, trade_id, maker)) = &e.last_fill {
                    let mut m = base("match");
                    let (mine, theirs) = (order_uuid(o.id), NIL_UUID.to_string());
                    let (maker_id, taker_id) = if *maker {
                        (mine, theirs)
                    } else {
                        (theirs, mine)
                    };
                    // `side` is the maker's side
                    let maker_side = match (maker, o.side) {
                        (true, s) => s,
                        (false, Side::Buy) => Side::Sell,
                        (false, Side::Sell) => Side::Buy,
                    };
                    m["trade_id"] = json!(trade_id);
                    m["maker_order_id"] = json!(maker_id);
                    m["taker_order_id"] = json!(taker_id);
                    m["side"] = json!(side(maker_side));
                    m["size"] = json!(d(*qty));
                    m["price"] = json!(d(*price));
                    let rate_key = if *maker {
                        "maker_fee_rate"
                    } else {
                        "taker_fee_rate"
                    };
                    m[rate_key] = json!(d(self.rate(&o.symbol, *maker)));
                    frames.push(m);
                }
                if !o.status.is_open() {
                    let mut dn = base("done");
                    dn["price"] = json!(d(o.price));
                    dn["remaining_size"] = json!(d(o.remaining()));
                    dn["reason"] = json!(status(o).1.unwrap_or("canceled"));
                    frames.push(dn);
                }
            }
        }
        frames
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(&FRAME_SEPARATOR.to_string())
    }

    fn account_position(&self, changed: &[(String, Balance)], time: u64) -> String {
        changed
            .iter()
            .map(|(asset, b)| {
                json!({"type": "balance", "account_id": account_uuid(0, asset), "currency": asset,
                       "holds": d(b.locked), "available": d(b.free), "updated": iso(time),
                       "timestamp": iso(time)})
                .to_string()
            })
            .collect::<Vec<_>>()
            .join(&FRAME_SEPARATOR.to_string())
    }

    fn balance_delta(&self, _asset: &str, _delta: Decimal, _time: u64) -> String {
        // Coinbase reports the new balance (`balance` channel), sent by `account_position`.
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use sluice::cex::Grid;
    use sluice::cex::exchanges::coinbase_pro::depth::{DepthParser, Frame};

    /// The simulator's l2update and its heartbeat are what the connector's parser reads.
    #[test]
    fn depth_frames_read_by_the_connector() {
        let ev = CoinbaseEvents {
            sequences: Sequences::default(),
            fees: BTreeMap::new(),
        };
        let text = ev.depth_diff(
            "BTC-USD",
            41,
            43,
            &[(dec!(100.01), dec!(0.5))],
            &[(dec!(100.02), dec!(0))],
            1_700_000_000_123,
        );
        let (update, hb) = text.split_once(FRAME_SEPARATOR).unwrap();
        let mut p = DepthParser::new(
            "BTC-USD",
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.0001)).unwrap(),
        );
        assert_eq!(p.parse_frame(update.as_bytes()).unwrap(), Frame::Update);
        assert_eq!((p.bids[0].ticks, p.bids[0].lots), (10001, 5000));
        assert_eq!((p.asks[0].ticks, p.asks[0].lots), (10002, 0));
        assert_eq!(p.parse_frame(hb.as_bytes()).unwrap(), Frame::Heartbeat(1));
        assert_eq!(iso(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(
            sluice::cex::exchanges::coinbase_pro::api::rfc3339_ms(&iso(1_700_000_000_123)),
            Some(1_700_000_000_123)
        );
        assert_eq!(order_id_of(&order_uuid(77)), Some(77));
    }
}
