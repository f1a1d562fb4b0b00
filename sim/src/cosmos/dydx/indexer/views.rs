//! A subaccount as the indexer sees it, read from the [`DydxEngine`] under its locks (exchange,
//! ledger, registry, in that order): its orders (the latest placement of each dYdX order id),
//! fills (one per engine trade leg, fees at the market's maker/taker rate as the perpetual ledger
//! charges them), perpetual positions (the ledger's, with opened/closed sums replayed from the
//! fills), equity, free collateral and the USDC asset position; rendered in the indexer's shapes.
//!
//! Simplifications, all documented: every order is a `LIMIT` order; a removed order (cancel,
//! expiry, IOC remainder) is `CANCELED`; free collateral keeps a 5 % initial margin fraction (BTC
//! and ETH's on mainnet); a fill's event id is (taker's placement height, CLOB pair id, trade
//! id); a position's id is the UUIDv5 of `"{subaccount uuid}-{ticker}"`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use sluice::cex::sign::time::iso8601_millis;
use sluice::clob::dydx::account::{fill_uuid, indexer_uuid, order_uuid, subaccount_uuid};

use super::super::engine::{DydxEngine, PlacedOrder};
use super::super::proto::{self, GoodTilOneof, SubaccountId};
use crate::exchange::engine::order::{Order, OrderStatus, Side};
use crate::exchange::engine::perp::{PosSide, fee_of};
use crate::exchange::engine::server::lock;

/// Initial margin fraction used for free collateral.
pub const INITIAL_MARGIN_FRACTION: Decimal = dec!(0.05);

/// One order and its engine state.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub uuid: String,
    pub placed: PlacedOrder,
    pub engine: Order,
    pub ticker: String,
}

/// One fill leg of the subaccount.
#[derive(Debug, Clone)]
pub struct FillRow {
    pub id: String,
    pub event_id: String,
    pub ticker: String,
    pub clob_pair_id: u32,
    pub buy: bool,
    pub maker: bool,
    pub price: Decimal,
    pub size: Decimal,
    pub fee: Decimal,
    pub time: u64,
    pub height: u64,
    pub order_uuid: Option<String>,
    pub client_metadata: u32,
}

/// One perpetual position (open or closed).
#[derive(Debug, Clone)]
pub struct PositionRow {
    pub ticker: String,
    pub size: Decimal,
    pub max_size: Decimal,
    pub entry: Decimal,
    pub exit: Option<Decimal>,
    pub realized: Decimal,
    pub unrealized: Decimal,
    pub funding: Decimal,
    pub sum_open: Decimal,
    pub sum_close: Decimal,
    pub created_at: u64,
    pub created_height: u64,
    pub closed_at: Option<u64>,
}

/// Everything the indexer serves about one subaccount.
#[derive(Debug, Clone)]
pub struct SubaccountView {
    pub sub: SubaccountId,
    pub orders: Vec<OrderRow>,
    /// Oldest first.
    pub fills: Vec<FillRow>,
    pub positions: Vec<PositionRow>,
    pub equity: Decimal,
    pub free_collateral: Decimal,
    pub usdc: Decimal,
    /// Funding booked on the subaccount: (ticker, time, amount, rate, mark, position size).
    pub funding: Vec<(String, u64, Decimal, Decimal, Decimal, Decimal)>,
}

/// Reads `sub` from the engine.
pub fn view(engine: &DydxEngine, sub: &SubaccountId) -> SubaccountView {
    let ex = engine.exchange();
    let mut ledger = lock(&engine.ledger);
    ledger.sync(&ex);
    let reg = engine.registry();
    let mut v = SubaccountView {
        sub: sub.clone(),
        orders: vec![],
        fills: vec![],
        positions: vec![],
        equity: Decimal::ZERO,
        free_collateral: Decimal::ZERO,
        usdc: Decimal::ZERO,
        funding: vec![],
    };
    let Some(&account) = reg.accounts.get(sub) else {
        return v;
    };
    for (dydx_id, engine_id) in &reg.by_id {
        if dydx_id.subaccount_id.as_ref() != Some(sub) {
            continue;
        }
        let (Some(placed), Some(order)) = (reg.orders.get(engine_id), ex.orders.get(engine_id))
        else {
            continue;
        };
        let Some(market) = engine.markets.get(dydx_id.clob_pair_id) else {
            continue;
        };
        v.orders.push(OrderRow {
            uuid: uuid_of(&placed.id),
            placed: placed.clone(),
            engine: order.clone(),
            ticker: market.ticker.clone(),
        });
    }
    v.orders.sort_by_key(|o| std::cmp::Reverse(o.engine.id));
    for market in engine.markets.all() {
        let Some(trades) = ex.trades.get(&market.ticker) else {
            continue;
        };
        for t in trades {
            for (order_id, owner, buy, maker) in [
                (t.buyer.0, t.buyer.1, true, t.buyer_is_maker),
                (t.seller.0, t.seller.1, false, !t.buyer_is_maker),
            ] {
                if owner != account {
                    continue;
                }
                let taker_id = if t.buyer_is_maker {
                    t.seller.0
                } else {
                    t.buyer.0
                };
                let height = reg.orders.get(&taker_id).map_or(0, |p| p.height);
                let own = reg.orders.get(&order_id);
                let rate = if maker {
                    market.maker_fee
                } else {
                    market.taker_fee
                };
                let h32 = u32::try_from(height).unwrap_or(u32::MAX);
                let ev = u32::try_from(t.id).unwrap_or(u32::MAX);
                let mut event = Vec::with_capacity(12);
                for part in [h32, market.clob_pair_id, ev] {
                    event.extend_from_slice(&part.to_be_bytes());
                }
                v.fills.push(FillRow {
                    id: fill_uuid(h32, market.clob_pair_id, ev, maker),
                    event_id: hex::encode(event),
                    ticker: market.ticker.clone(),
                    clob_pair_id: market.clob_pair_id,
                    buy,
                    maker,
                    price: t.price,
                    size: t.qty,
                    fee: fee_of(t.price * t.qty, rate),
                    time: t.time,
                    height,
                    order_uuid: own.map(|p| uuid_of(&p.id)),
                    client_metadata: own.map_or(0, |p| p.order.client_metadata),
                });
            }
        }
        let pos = ledger.position(account, &market.ticker, PosSide::Both);
        let mine: Vec<&FillRow> = v
            .fills
            .iter()
            .filter(|f| f.ticker == market.ticker)
            .collect();
        let Some(first) = mine.first() else { continue };
        let (mut size, mut max, mut open, mut close) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut last_close = None;
        for f in &mine {
            let signed = if f.buy { f.size } else { -f.size };
            let closing = if size.is_sign_negative() == signed.is_sign_negative() || size.is_zero()
            {
                Decimal::ZERO
            } else {
                signed.abs().min(size.abs())
            };
            close += closing;
            open += signed.abs() - closing;
            if closing > Decimal::ZERO {
                last_close = Some((f.price, f.time));
            }
            size += signed;
            if size.abs() > max.abs() {
                max = size;
            }
        }
        let mark = {
            let m = ledger.mark(&ex, &market.ticker);
            if m.is_zero() { pos.entry() } else { m }
        };
        let signed_cost = if pos.size.is_sign_negative() {
            -pos.cost
        } else {
            pos.cost
        };
        let unrealized = pos.size * mark - signed_cost;
        v.positions.push(PositionRow {
            ticker: market.ticker.clone(),
            size: pos.size,
            max_size: max,
            entry: pos.entry(),
            exit: if pos.size.is_zero() {
                last_close.map(|(p, _)| p)
            } else {
                None
            },
            realized: pos.realized,
            unrealized,
            funding: pos.funding,
            sum_open: open,
            sum_close: close,
            created_at: first.time,
            created_height: first.height,
            closed_at: if pos.size.is_zero() {
                last_close.map(|(_, t)| t)
            } else {
                None
            },
        });
        v.equity += unrealized;
        v.usdc -= signed_cost;
        v.free_collateral -= (pos.size * mark).abs() * INITIAL_MARGIN_FRACTION;
    }
    v.fills.sort_by_key(|f| f.time);
    let wallet = ledger.wallet(account);
    v.equity += wallet;
    v.usdc += wallet;
    v.free_collateral += v.equity;
    for r in &ledger.funding {
        if r.account == account {
            let size = ledger.position(account, &r.symbol, r.side).size;
            v.funding
                .push((r.symbol.clone(), r.time, r.amount, r.rate, r.mark, size));
        }
    }
    v
}

/// The indexer's UUID of a dYdX order id.
pub fn uuid_of(id: &proto::OrderId) -> String {
    let sub = id.subaccount_id.clone().unwrap_or_default();
    order_uuid(
        &sub.owner,
        sub.number,
        id.client_id,
        id.clob_pair_id,
        id.order_flags,
    )
}

fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

fn side(size: Decimal) -> &'static str {
    if size.is_sign_negative() && !size.is_zero() {
        "SHORT"
    } else {
        "LONG"
    }
}

/// The indexer's status of an order row.
pub fn status_of(o: &OrderRow) -> &'static str {
    match o.engine.status {
        OrderStatus::New | OrderStatus::PartiallyFilled => "OPEN",
        OrderStatus::Filled => "FILLED",
        OrderStatus::Canceled | OrderStatus::Expired => "CANCELED",
    }
}

/// `OrderResponseObject` (also the shape of the channel's order updates).
pub fn order_json(o: &OrderRow) -> Value {
    let id = &o.placed.id;
    let sub = id.subaccount_id.clone().unwrap_or_default();
    let tif = match o.placed.order.time_in_force {
        proto::TIF_IOC => "IOC",
        proto::TIF_FILL_OR_KILL => "FOK",
        _ => "GTT",
    };
    let mut doc = json!({
        "id": o.uuid,
        "subaccountId": subaccount_uuid(&sub.owner, sub.number),
        "clientId": id.client_id.to_string(),
        "clobPairId": id.clob_pair_id.to_string(),
        "side": if o.engine.side == Side::Buy { "BUY" } else { "SELL" },
        "size": num(o.engine.orig_qty),
        "totalFilled": num(o.engine.executed_qty),
        "price": num(o.engine.price),
        "type": "LIMIT",
        "status": status_of(o),
        "timeInForce": tif,
        "postOnly": o.placed.order.time_in_force == proto::TIF_POST_ONLY,
        "reduceOnly": o.placed.order.reduce_only,
        "orderFlags": id.order_flags.to_string(),
        "clientMetadata": o.placed.order.client_metadata.to_string(),
        "ticker": o.ticker,
        "subaccountNumber": sub.number,
        "updatedAt": iso8601_millis(o.engine.update_time),
        "updatedAtHeight": o.placed.height.to_string(),
    });
    match o.placed.order.good_til_oneof {
        Some(GoodTilOneof::GoodTilBlock(b)) => doc["goodTilBlock"] = json!(b.to_string()),
        Some(GoodTilOneof::GoodTilBlockTime(t)) => {
            doc["goodTilBlockTime"] = json!(iso8601_millis(u64::from(t) * 1000));
        }
        None => {}
    }
    if id.order_flags != proto::FLAG_SHORT_TERM {
        doc["createdAtHeight"] = json!(o.placed.height.to_string());
        doc["createdAt"] = json!(iso8601_millis(o.engine.time));
    }
    doc
}

/// `FillResponseObject` (REST).
pub fn fill_json(f: &FillRow, subaccount_number: u32) -> Value {
    json!({
        "id": f.id, "side": if f.buy { "BUY" } else { "SELL" },
        "liquidity": if f.maker { "MAKER" } else { "TAKER" }, "type": "LIMIT",
        "market": f.ticker, "marketType": "PERPETUAL", "price": num(f.price), "size": num(f.size),
        "fee": num(f.fee), "affiliateRevShare": "0", "createdAt": iso8601_millis(f.time),
        "createdAtHeight": f.height.to_string(), "orderId": f.order_uuid,
        "clientMetadata": f.client_metadata.to_string(), "subaccountNumber": subaccount_number,
    })
}

/// A fill of the channel: the indexer's fill row with its ticker.
pub fn fill_update_json(f: &FillRow, sub: &SubaccountId) -> Value {
    json!({
        "id": f.id, "subaccountId": subaccount_uuid(&sub.owner, sub.number),
        "side": if f.buy { "BUY" } else { "SELL" },
        "liquidity": if f.maker { "MAKER" } else { "TAKER" }, "type": "LIMIT",
        "clobPairId": f.clob_pair_id.to_string(), "orderId": f.order_uuid,
        "size": num(f.size), "price": num(f.price), "quoteAmount": num(f.size * f.price),
        "eventId": f.event_id, "transactionHash": "", "createdAt": iso8601_millis(f.time),
        "createdAtHeight": f.height.to_string(), "clientMetadata": f.client_metadata.to_string(),
        "fee": num(f.fee), "affiliateRevShare": "0", "ticker": f.ticker,
    })
}

/// `PerpetualPositionResponseObject` (signed size).
pub fn position_json(p: &PositionRow, sub: &SubaccountId) -> Value {
    let status = if p.size.is_zero() { "CLOSED" } else { "OPEN" };
    json!({
        "market": p.ticker, "status": status, "side": side(if p.size.is_zero() { p.max_size } else { p.size }),
        "size": num(p.size), "maxSize": num(p.max_size), "entryPrice": num(p.entry),
        "realizedPnl": num(p.realized), "unrealizedPnl": num(p.unrealized),
        "createdAt": iso8601_millis(p.created_at), "createdAtHeight": p.created_height.to_string(),
        "sumOpen": num(p.sum_open), "sumClose": num(p.sum_close), "netFunding": num(p.funding),
        "closedAt": p.closed_at.map(iso8601_millis), "exitPrice": p.exit.map(num),
        "subaccountNumber": sub.number,
    })
}

/// A position of the channel.
pub fn position_update_json(p: &PositionRow, sub: &SubaccountId) -> Value {
    let mut doc = position_json(p, sub);
    doc["address"] = json!(sub.owner);
    doc["positionId"] = json!(indexer_uuid(
        format!("{}-{}", subaccount_uuid(&sub.owner, sub.number), p.ticker).as_bytes()
    ));
    doc
}

/// The USDC asset position: unsigned size, the sign in `side` (unlike perpetual positions,
/// whose size is signed).
pub fn usdc_json(v: &SubaccountView) -> Value {
    json!({"symbol": "USDC", "side": side(v.usdc), "size": num(v.usdc.abs()), "assetId": "0",
        "subaccountNumber": v.sub.number})
}

/// `SubaccountResponseObject`.
pub fn subaccount_json(v: &SubaccountView, height: u64) -> Value {
    let open: BTreeMap<&str, Value> = v
        .positions
        .iter()
        .filter(|p| !p.size.is_zero())
        .map(|p| (p.ticker.as_str(), position_json(p, &v.sub)))
        .collect();
    let assets = if v.usdc.is_zero() {
        json!({})
    } else {
        json!({"USDC": usdc_json(v)})
    };
    json!({
        "address": v.sub.owner, "subaccountNumber": v.sub.number, "equity": num(v.equity),
        "freeCollateral": num(v.free_collateral), "openPerpetualPositions": open,
        "assetPositions": assets, "marginEnabled": true,
        "updatedAtHeight": height.to_string(), "latestProcessedBlockHeight": height.to_string(),
    })
}
