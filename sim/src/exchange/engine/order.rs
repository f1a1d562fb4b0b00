//! Orders and trades inside the mock, and their JSON shapes as Binance prints them: order
//! responses (ACK / RESULT / FULL), order queries, account trades, `executionReport` events.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::spec::fmt8;

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// BUY.
    Buy,
    /// SELL.
    Sell,
}

impl Side {
    /// Binance's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// Parses Binance's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "BUY" => Some(Side::Buy),
            "SELL" => Some(Side::Sell),
            _ => None,
        }
    }
}

/// Supported order types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    /// LIMIT.
    Limit,
    /// LIMIT_MAKER (post-only).
    LimitMaker,
    /// MARKET.
    Market,
}

impl OrderType {
    /// Binance's name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "LIMIT",
            OrderType::LimitMaker => "LIMIT_MAKER",
            OrderType::Market => "MARKET",
        }
    }
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

impl TimeInForce {
    /// Binance's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
        }
    }

    /// Parses Binance's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GTC" => Some(TimeInForce::Gtc),
            "IOC" => Some(TimeInForce::Ioc),
            "FOK" => Some(TimeInForce::Fok),
            _ => None,
        }
    }
}

/// Order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// NEW.
    New,
    /// PARTIALLY_FILLED.
    PartiallyFilled,
    /// FILLED.
    Filled,
    /// CANCELED.
    Canceled,
    /// EXPIRED (IOC/FOK/MARKET remainder).
    Expired,
}

impl OrderStatus {
    /// Binance's name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Expired => "EXPIRED",
        }
    }

    /// Whether the order can still trade or be cancelled.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

/// Response detail requested by `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespType {
    /// ACK.
    Ack,
    /// RESULT.
    Result,
    /// FULL.
    Full,
}

/// A validated new-order request.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (GTC for LIMIT_MAKER and MARKET, as Binance prints them).
    pub tif: TimeInForce,
    /// Base quantity (MARKET with `quoteOrderQty`: `None`).
    pub quantity: Option<Decimal>,
    /// Quote quantity (MARKET only).
    pub quote_order_qty: Option<Decimal>,
    /// Limit price (LIMIT, LIMIT_MAKER).
    pub price: Option<Decimal>,
    /// Client order id (generated when absent).
    pub client_order_id: Option<String>,
    /// Response detail.
    pub resp_type: RespType,
}

/// An order as the mock stores it.
#[derive(Debug, Clone)]
pub struct Order {
    /// Exchange order id.
    pub id: u64,
    /// Client order id.
    pub client_order_id: String,
    /// Owning account index.
    pub account: usize,
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Limit price (zero for MARKET).
    pub price: Decimal,
    /// Original quantity.
    pub orig_qty: Decimal,
    /// Original quote quantity (MARKET with `quoteOrderQty`), else zero.
    pub orig_quote_qty: Decimal,
    /// Executed quantity.
    pub executed_qty: Decimal,
    /// Cumulative quote quantity.
    pub cum_quote: Decimal,
    /// Status.
    pub status: OrderStatus,
    /// Creation time (ms).
    pub time: u64,
    /// Last update time (ms).
    pub update_time: u64,
    /// Time it started resting on the book (ms), if it did.
    pub working_time: Option<u64>,
    /// Tick of its book level while it rests.
    pub ticks: Option<u64>,
    /// Amount still locked for it (quote for BUY, base for SELL).
    pub locked: Decimal,
    /// Whether it counted against the ORDERS limit and has not been decremented by a fill yet.
    pub counted_unfilled: bool,
}

impl Order {
    /// Quantity still open.
    pub fn remaining(&self) -> Decimal {
        self.orig_qty - self.executed_qty
    }

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
        m.insert("status".into(), json!(self.status.as_str()));
        m.insert("timeInForce".into(), json!(self.tif.as_str()));
        m.insert("type".into(), json!(self.order_type.as_str()));
        m.insert("side".into(), json!(self.side.as_str()));
        m
    }

    /// `POST /api/v3/order` response for the requested detail; `fills` are this order's fills as
    /// (price, qty, commission, commission asset, trade id).
    pub fn new_order_response(
        &self,
        resp: RespType,
        transact_time: u64,
        fills: &[FillJson],
    ) -> Value {
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
    pub fn query_json(&self) -> Value {
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
    pub fn cancel_json(&self, cancel_client_id: &str, transact_time: u64) -> Value {
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

/// One fill of an order, for FULL responses.
#[derive(Debug, Clone)]
pub struct FillJson {
    /// Trade price.
    pub price: Decimal,
    /// Trade quantity.
    pub qty: Decimal,
    /// Commission charged to this order's owner.
    pub commission: Decimal,
    /// Commission asset.
    pub commission_asset: String,
    /// Trade id.
    pub trade_id: u64,
}

/// A trade between two orders.
#[derive(Debug, Clone)]
pub struct Trade {
    /// Trade id (per symbol, increasing).
    pub id: u64,
    /// Symbol.
    pub symbol: String,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// Time (ms).
    pub time: u64,
    /// Buyer's order id and account.
    pub buyer: (u64, usize),
    /// Seller's order id and account.
    pub seller: (u64, usize),
    /// Whether the buyer was the maker.
    pub buyer_is_maker: bool,
    /// Buyer's commission (base asset) and seller's commission (quote asset).
    pub commissions: (Decimal, Decimal),
    /// Base and quote asset names.
    pub assets: (String, String),
}

impl Trade {
    /// `GET /api/v3/trades` entry.
    pub fn public_json(&self) -> Value {
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
    pub fn account_json(&self, as_buyer: bool) -> Value {
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
    pub fn stream_json(&self, event_time: u64) -> Value {
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

/// What an `executionReport` reports besides the order itself.
#[derive(Debug, Clone)]
pub struct Execution {
    /// `x`: NEW, TRADE, CANCELED, EXPIRED.
    pub exec_type: &'static str,
    /// `c` override: for a cancel, the cancel request's client id (the order's id goes in `C`).
    pub cancel_client_id: Option<String>,
    /// Last fill: (qty, price, commission, commission asset, trade id, is maker).
    pub last_fill: Option<(Decimal, Decimal, Decimal, String, u64, bool)>,
    /// Execution id (`I`).
    pub execution_id: u64,
    /// Event / transaction time.
    pub time: u64,
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
        "S": o.side.as_str(),
        "o": o.order_type.as_str(),
        "f": o.tif.as_str(),
        "q": fmt8(o.orig_qty),
        "p": fmt8(o.price),
        "P": fmt8(Decimal::ZERO),
        "F": fmt8(Decimal::ZERO),
        "g": -1,
        "C": orig_c,
        "x": ex.exec_type,
        "X": o.status.as_str(),
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
