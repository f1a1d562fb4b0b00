//! The matching behind the local dYdX: one instance of the exchange simulator's engine (books,
//! price-time matching, trades) with its perpetual ledger (positions, fees, collateral), shared as
//! an `Arc<DydxEngine>` between the node (which places and cancels the chain's orders) and the
//! indexer simulator (which serves the same books, fills and positions). A subaccount
//! `{owner, number}` is one engine account; a market is one engine symbol named by its ticker
//! (`BTC-USD`), prices and sizes converted from subticks and quantums with the market's params.
//! Collateral is the ledger's deposit in USDC; the spot balances underneath are kept large enough
//! that the engine's own accounting never refuses an order (margin is the chain's concern).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rust_decimal::Decimal;
use zeroize::Zeroizing;

use super::markets::{ConversionError, MarketParams, Markets};
use super::proto::{self, OrderId, SubaccountId};
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{
    Execution, NewOrder, Order, OrderStatus, OrderType, Placed, Side, TimeInForce, Trade,
};
use crate::exchange::engine::perp::margin::binance_brackets;
use crate::exchange::engine::perp::{PerpLedger, PosSide, Position, Venue};
use crate::exchange::engine::server::{
    MARKET_MAKER_FUNDS, lock, market_maker_account, random_token, trading_account,
};

/// A dYdX order resting in (or once placed into) the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    pub id: OrderId,
    pub order: proto::Order,
    /// The block height it was placed at.
    pub height: u64,
}

/// Subaccounts ↔ engine accounts and dYdX orders ↔ engine orders.
#[derive(Debug, Default)]
pub struct Registry {
    pub accounts: BTreeMap<SubaccountId, usize>,
    pub subaccounts: BTreeMap<usize, SubaccountId>,
    /// Engine order id → the dYdX order.
    pub orders: BTreeMap<u64, PlacedOrder>,
    /// dYdX order id → its latest engine order id.
    pub by_id: BTreeMap<OrderId, u64>,
}

/// The engine, its perpetual ledger and the maps between the chain's ids and the engine's.
/// Lock order: `exchange`, then `ledger`, then `registry`.
#[derive(Debug)]
pub struct DydxEngine {
    pub markets: Markets,
    pub exchange: Mutex<Exchange>,
    pub ledger: Mutex<PerpLedger>,
    pub registry: Mutex<Registry>,
}

#[derive(Debug, thiserror::Error)]
pub enum DydxEngineError {
    #[error("market params: {0}")]
    Conversion(#[from] ConversionError),
    #[error("no market with CLOB pair id {0}")]
    UnknownMarket(u32),
    #[error("engine: {0:?}")]
    Engine(EngineError),
}

impl From<EngineError> for DydxEngineError {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl DydxEngine {
    /// An engine listing `markets` whose events `shapes` renders (the indexer's shapes, or
    /// [`QuietShapes`] when nobody streams them).
    pub fn new(markets: Markets, shapes: Arc<dyn EventShapes>) -> Result<Self, DydxEngineError> {
        let specs = markets
            .all()
            .iter()
            .map(MarketParams::symbol_spec)
            .collect::<Result<Vec<_>, _>>()?;
        let mm = market_maker_account(&specs, random_token(32), Zeroizing::new(random_token(64)));
        Ok(Self {
            markets,
            exchange: Mutex::new(Exchange::new(specs, mm, shapes)),
            ledger: Mutex::new(PerpLedger::new(Venue::Binance, binance_brackets(), 20)),
            registry: Mutex::new(Registry::default()),
        })
    }

    pub fn exchange(&self) -> MutexGuard<'_, Exchange> {
        lock(&self.exchange)
    }

    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        lock(&self.registry)
    }

    /// The ledger with the engine's trades so far applied.
    pub fn ledger(&self) -> MutexGuard<'_, PerpLedger> {
        let ex = self.exchange();
        let mut l = lock(&self.ledger);
        l.sync(&ex);
        l
    }

    fn account_in(
        ex: &mut Exchange,
        ledger: &mut PerpLedger,
        reg: &mut Registry,
        sub: &SubaccountId,
    ) -> usize {
        if let Some(a) = reg.accounts.get(sub) {
            return *a;
        }
        let funds: Vec<(String, Decimal)> = ex
            .specs
            .values()
            .flat_map(|s| [s.base.clone(), s.quote.clone()])
            .map(|a| (a, MARKET_MAKER_FUNDS))
            .collect();
        let name = format!("{}/{}", sub.owner, sub.number);
        let idx = ex.add_account(trading_account(
            name,
            Zeroizing::new(random_token(16)),
            &funds,
        ));
        ledger.add_account(idx, Decimal::ZERO);
        reg.accounts.insert(sub.clone(), idx);
        reg.subaccounts.insert(idx, sub.clone());
        idx
    }

    /// The engine account of a subaccount (created, with no collateral, on first use).
    pub fn account_of(&self, sub: &SubaccountId) -> usize {
        let mut ex = self.exchange();
        let mut l = lock(&self.ledger);
        let mut reg = self.registry();
        Self::account_in(&mut ex, &mut l, &mut reg, sub)
    }

    /// The subaccount behind an engine account.
    pub fn subaccount_of(&self, account: usize) -> Option<SubaccountId> {
        self.registry().subaccounts.get(&account).cloned()
    }

    /// A subaccount's collateral plus realized PnL, fees and funding (USDC).
    pub fn collateral(&self, sub: &SubaccountId) -> Decimal {
        let account = self.registry().accounts.get(sub).copied();
        account.map_or(Decimal::ZERO, |a| self.ledger().wallet(a))
    }

    /// Adds (or, negative, removes) collateral.
    pub fn add_collateral(&self, sub: &SubaccountId, amount: Decimal) {
        let mut ex = self.exchange();
        let mut l = lock(&self.ledger);
        let mut reg = self.registry();
        let a = Self::account_in(&mut ex, &mut l, &mut reg, sub);
        if let Some(acct) = l.account_mut(a) {
            acct.deposit += amount;
        }
    }

    /// A subaccount's position in a market (flat when none).
    pub fn position(&self, sub: &SubaccountId, ticker: &str) -> Position {
        let account = self.registry().accounts.get(sub).copied();
        account.map_or_else(Position::default, |a| {
            self.ledger().position(a, ticker, PosSide::Both)
        })
    }

    /// Places a dYdX order: a limit order at its subticks for its quantums (post-only as a
    /// maker-only order, IOC as immediate-or-cancel), matched at once against the book.
    pub fn place(
        &self,
        id: &OrderId,
        order: &proto::Order,
        height: u64,
    ) -> Result<Placed, DydxEngineError> {
        let market = self
            .markets
            .get(id.clob_pair_id)
            .ok_or(DydxEngineError::UnknownMarket(id.clob_pair_id))?;
        let price = market.price(order.subticks)?;
        let qty = market.size(order.quantums)?;
        let sub = id.subaccount_id.clone().unwrap_or_default();
        let (order_type, tif) = match order.time_in_force {
            proto::TIF_POST_ONLY => (OrderType::LimitMaker, TimeInForce::Gtc),
            proto::TIF_IOC => (OrderType::Limit, TimeInForce::Ioc),
            _ => (OrderType::Limit, TimeInForce::Gtc),
        };
        let req = NewOrder {
            symbol: market.ticker.clone(),
            side: if order.side == proto::SIDE_SELL {
                Side::Sell
            } else {
                Side::Buy
            },
            order_type,
            tif,
            quantity: Some(qty),
            quote_order_qty: None,
            price: Some(price),
            client_order_id: Some(format!(
                "{}:{}:{}:{}",
                id.clob_pair_id, id.order_flags, id.client_id, height
            )),
        };
        let mut ex = self.exchange();
        let account = {
            let mut l = lock(&self.ledger);
            let mut reg = self.registry();
            Self::account_in(&mut ex, &mut l, &mut reg, &sub)
        };
        let placed = ex.place(account, req, now_ms(), false)?;
        let mut reg = self.registry();
        reg.orders.insert(
            placed.id,
            PlacedOrder {
                id: id.clone(),
                order: order.clone(),
                height,
            },
        );
        reg.by_id.insert(id.clone(), placed.id);
        Ok(placed)
    }

    /// The engine's order for a dYdX order id (its latest placement).
    pub fn engine_order(&self, id: &OrderId) -> Option<Order> {
        let engine_id = self.registry().by_id.get(id).copied()?;
        self.exchange().orders.get(&engine_id).cloned()
    }

    /// Removes an order from the book if it is open (cancel or expiry); whether it was.
    pub fn remove(&self, id: &OrderId) -> bool {
        let Some(engine_id) = self.registry().by_id.get(id).copied() else {
            return false;
        };
        let mut ex = self.exchange();
        let open = ex
            .orders
            .get(&engine_id)
            .is_some_and(|o| o.status.is_open());
        if open {
            ex.cancel_by_id(engine_id, None, now_ms());
        }
        open
    }

    /// Every level of a market's book: bids and asks, best first.
    pub fn book(&self, ticker: &str) -> Option<(Vec<PriceLevel>, Vec<PriceLevel>)> {
        self.exchange()
            .books
            .get(ticker)
            .map(|b| b.levels(usize::MAX))
    }

    /// A market's trades, oldest first.
    pub fn trades(&self, ticker: &str) -> Vec<Trade> {
        self.exchange()
            .trades
            .get(ticker)
            .cloned()
            .unwrap_or_default()
    }

    /// A subaccount's open orders (engine views).
    pub fn open_orders(&self, sub: &SubaccountId) -> Vec<Order> {
        let Some(account) = self.registry().accounts.get(sub).copied() else {
            return vec![];
        };
        self.exchange()
            .open_orders(account, None)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Whether the engine still holds this order open.
    pub fn is_open(&self, id: &OrderId) -> bool {
        self.engine_order(id).is_some_and(|o| o.status.is_open())
    }

    /// The filled size of a dYdX order (its latest placement).
    pub fn filled(&self, id: &OrderId) -> Decimal {
        self.engine_order(id)
            .map_or(Decimal::ZERO, |o| o.executed_qty)
    }

    /// Whether the order's latest placement was completely filled.
    pub fn fully_filled(&self, id: &OrderId) -> bool {
        self.engine_order(id)
            .is_some_and(|o| o.status == OrderStatus::Filled)
    }
}

/// Event shapes for an engine nobody streams: compact JSON lines, enough to read in a log.
#[derive(Debug, Default)]
pub struct QuietShapes;

impl EventShapes for QuietShapes {
    fn depth_diff(
        &self,
        symbol: &str,
        first_update_id: u64,
        final_update_id: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        _event_time: u64,
    ) -> String {
        serde_json::json!({"market": symbol, "first": first_update_id, "last": final_update_id,
            "bids": bids.len(), "asks": asks.len()})
        .to_string()
    }

    fn trade(&self, trade: &Trade, _event_time: u64) -> String {
        serde_json::json!({"market": trade.symbol, "id": trade.id, "price": trade.price.to_string(),
            "size": trade.qty.to_string()})
        .to_string()
    }

    fn execution(&self, order: &Order, execution: &Execution) -> String {
        serde_json::json!({"order": order.id, "kind": format!("{:?}", execution.exec_type)})
            .to_string()
    }

    fn account_position(&self, changed: &[(String, Balance)], _event_time: u64) -> String {
        serde_json::json!({"changed": changed.len()}).to_string()
    }

    fn balance_delta(&self, asset: &str, delta: Decimal, _event_time: u64) -> String {
        serde_json::json!({"asset": asset, "delta": delta.to_string()}).to_string()
    }
}
