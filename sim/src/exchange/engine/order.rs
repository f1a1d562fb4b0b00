//! Orders and trades inside the engine: sides, types, time in force, statuses, a new-order
//! request, a stored order, a taker's fill, a trade, and what one execution changed. A dialect
//! prints them in its exchange's shapes.

use rust_decimal::Decimal;

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// BUY.
    Buy,
    /// SELL.
    Sell,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
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

impl TimeInForce {}

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
    /// Whether the order can still trade or be cancelled.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
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
    /// Time in force (GTC for maker-only and market orders).
    pub tif: TimeInForce,
    /// Base quantity (MARKET with `quoteOrderQty`: `None`).
    pub quantity: Option<Decimal>,
    /// Quote quantity (MARKET only).
    pub quote_order_qty: Option<Decimal>,
    /// Limit price (LIMIT, LIMIT_MAKER).
    pub price: Option<Decimal>,
    /// Client order id (generated when absent).
    pub client_order_id: Option<String>,
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
}

/// One fill of an order, for FULL responses.
#[derive(Debug, Clone)]
pub struct TakerFill {
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

/// What one execution did to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecType {
    /// Accepted.
    New,
    /// Filled, in part or whole.
    Trade,
    /// Canceled by its owner.
    Canceled,
    /// Expired by its time in force (IOC / FOK remainder).
    Expired,
}

/// What an execution report tells besides the order itself.
#[derive(Debug, Clone)]
pub struct Execution {
    /// What happened to the order.
    pub exec_type: ExecType,
    /// `c` override: for a cancel, the cancel request's client id (the order's id goes in `C`).
    pub cancel_client_id: Option<String>,
    /// Last fill: (qty, price, commission, commission asset, trade id, is maker).
    pub last_fill: Option<(Decimal, Decimal, Decimal, String, u64, bool)>,
    /// Execution id (`I`).
    pub execution_id: u64,
    /// Event / transaction time.
    pub time: u64,
}

/// A placed order: its id and the fills it took at once (taker side).
#[derive(Debug, Clone)]
pub struct Placed {
    pub id: u64,
    pub fills: Vec<TakerFill>,
}

/// A canceled order: its id and the client id of the cancel request.
#[derive(Debug, Clone)]
pub struct Canceled {
    pub id: u64,
    pub cancel_client_id: String,
}
