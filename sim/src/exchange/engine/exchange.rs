//! The mock's matching engine: per-symbol books with price-time priority, LIMIT (GTC/IOC/FOK),
//! LIMIT_MAKER and MARKET (by quantity or `quoteOrderQty`) orders, partial fills, cancels,
//! balances locked and released per order, trades with ids and fees, and the events every change
//! produces (depth diffs, trades, `executionReport`, `outboundAccountPosition`). The execution
//! of a single fill lives in `matching.rs`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rust_decimal::Decimal;

use super::account::Account;
use super::book::Book;
use super::error::{EngineError, Filter, Operation};
use super::events::EventShapes;
use super::order::{
    Canceled, ExecType, Execution, NewOrder, Order, OrderStatus, OrderType, Placed, Side,
    TimeInForce, Trade,
};
use super::publish::Publisher;
use super::spec::SymbolSpec;

/// Index of the market-maker account that seeds and moves the books.
pub const MARKET_MAKER: usize = 0;

/// First update id of every book.
const FIRST_UPDATE_ID: u64 = 1_000;

/// The whole exchange state.
#[derive(Debug)]
pub struct Exchange {
    /// Symbol specifications by symbol.
    pub specs: BTreeMap<String, SymbolSpec>,
    /// Books by symbol.
    pub books: BTreeMap<String, Book>,
    /// Every order ever placed, by id.
    pub orders: BTreeMap<u64, Order>,
    /// Trades by symbol, oldest first.
    pub trades: BTreeMap<String, Vec<Trade>>,
    /// Accounts; index 0 is the market maker.
    pub accounts: Vec<Account>,
    /// Account index by API key.
    pub keys: HashMap<String, usize>,
    /// Market-data publisher.
    pub publisher: Publisher,
    /// Accounts whose counted orders got their first fill (drained by the rate limiter).
    pub first_fills: Vec<usize>,
    /// Latest order id per (account, client order id), to reject duplicates among open orders.
    client_ids: HashMap<(usize, String), u64>,
    /// Tick sizes `exchangeInfo` lists instead of the enforced ones (a stale or lying listing).
    pub listed_tick_sizes: BTreeMap<String, Decimal>,
    pub(super) next_order_id: u64,
    pub(super) next_trade_id: u64,
    next_execution_id: u64,
    next_client_id: u64,
}

impl Exchange {
    /// An exchange listing `specs`, with the market-maker account, publishing events as `shapes`
    /// renders them.
    pub fn new(
        specs: Vec<SymbolSpec>,
        market_maker: Account,
        shapes: Arc<dyn EventShapes>,
    ) -> Self {
        let mut books = BTreeMap::new();
        let mut trades = BTreeMap::new();
        let mut spec_map = BTreeMap::new();
        for s in specs {
            books.insert(s.symbol.clone(), Book::new(s.tick_size, FIRST_UPDATE_ID));
            trades.insert(s.symbol.clone(), Vec::new());
            spec_map.insert(s.symbol.clone(), s);
        }
        let mut keys = HashMap::new();
        keys.insert(market_maker.api_key.clone(), MARKET_MAKER);
        // Ids start at the start time in milliseconds, not at 1: a journal that outlives one mock
        // (every `sluice demo` starts a new one over the same journal) must never see a second
        // mock's order or trade reuse an earlier one's id, as Binance's own ids never repeat.
        let id_base = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(1));
        Self {
            specs: spec_map,
            books,
            orders: BTreeMap::new(),
            trades,
            accounts: vec![market_maker],
            keys,
            publisher: Publisher::new(shapes),
            first_fills: Vec::new(),
            client_ids: HashMap::new(),
            listed_tick_sizes: BTreeMap::new(),
            next_order_id: id_base,
            next_trade_id: id_base,
            next_execution_id: 1,
            next_client_id: 1,
        }
    }

    /// Adds an account; returns its index.
    pub fn add_account(&mut self, account: Account) -> usize {
        let idx = self.accounts.len();
        self.keys.insert(account.api_key.clone(), idx);
        self.accounts.push(account);
        idx
    }

    /// The spec of a symbol, or -1121.
    pub fn spec(&self, symbol: &str) -> Result<&SymbolSpec, EngineError> {
        self.specs.get(symbol).ok_or(EngineError::UnknownSymbol)
    }

    /// A symbol's spec as the exchange lists it: with its listed tick size if one was set.
    pub fn listed_spec(&self, symbol: &str) -> Result<SymbolSpec, EngineError> {
        let spec = self.spec(symbol)?;
        Ok(match self.listed_tick_sizes.get(symbol) {
            Some(tick) => SymbolSpec {
                tick_size: *tick,
                ..spec.clone()
            },
            None => spec.clone(),
        })
    }

    /// Changes a symbol's tick size to `tick`, which must divide the current one (a finer grid,
    /// as when Binance lowers tick sizes): resting orders keep their prices, re-keyed on the new
    /// ticks. PRICE_FILTER enforces the new size from now on.
    pub fn set_tick_size(&mut self, symbol: &str, tick: Decimal) -> Result<(), EngineError> {
        let old = self.spec(symbol)?.tick_size;
        let factor = if tick > Decimal::ZERO {
            old.checked_div(tick)
        } else {
            None
        };
        let Some(factor) = factor
            .filter(|f| f.fract().is_zero())
            .and_then(|f| u64::try_from(f).ok())
        else {
            return Err(EngineError::BadTickSize);
        };
        if let Some(book) = self.books.get_mut(symbol) {
            book.retick(tick, factor);
        }
        for o in self.orders.values_mut().filter(|o| o.symbol == symbol) {
            o.ticks = o.ticks.map(|t| t * factor);
        }
        if let Some(spec) = self.specs.get_mut(symbol) {
            spec.tick_size = tick;
        }
        Ok(())
    }

    pub(super) fn generated_client_id(&mut self) -> String {
        let n = self.next_client_id;
        self.next_client_id += 1;
        format!("mock{n:018}")
    }

    pub(super) fn next_execution(&mut self) -> u64 {
        let id = self.next_execution_id;
        self.next_execution_id += 1;
        id
    }

    pub(super) fn report(
        &mut self,
        order_id: u64,
        exec_type: ExecType,
        cancel_client_id: Option<String>,
        last_fill: Option<(Decimal, Decimal, Decimal, String, u64, bool)>,
        now: u64,
    ) {
        let execution_id = self.next_execution();
        let Some(order) = self.orders.get(&order_id) else {
            return;
        };
        let Some(acct) = self
            .accounts
            .get(order.account)
            .filter(|a| a.has_listeners())
        else {
            return;
        };
        let ex = Execution {
            exec_type,
            cancel_client_id,
            last_fill,
            execution_id,
            time: now,
        };
        acct.emit(self.publisher.shapes().execution(order, &ex));
    }

    /// Emits the changed balances of every account and the symbol's depth diff.
    pub(super) fn finish(&mut self, symbol: &str, now: u64) {
        for acct in &mut self.accounts {
            let changed = acct.take_touched(now);
            if !changed.is_empty() && acct.has_listeners() {
                acct.emit(self.publisher.shapes().account_position(&changed, now));
            }
        }
        if let Some(book) = self.books.get_mut(symbol)
            && let Some(diff) = book.take_diff()
        {
            self.publisher.depth(symbol, &diff, now);
        }
    }

    /// Reference price for a MARKET order's notional check: last trade, else the best opposite level.
    fn reference_price(&self, symbol: &str, side: Side) -> Option<Decimal> {
        if let Some(t) = self.trades.get(symbol).and_then(|t| t.last()) {
            return Some(t.price);
        }
        let book = self.books.get(symbol)?;
        let ticks = match side {
            Side::Buy => book.best_ask()?,
            Side::Sell => book.best_bid()?,
        };
        Some(book.price(ticks))
    }

    /// Places an order for `account`. Returns its id and the fills it took at once.
    pub fn place(
        &mut self,
        account: usize,
        req: NewOrder,
        now: u64,
        count_unfilled: bool,
    ) -> Result<Placed, EngineError> {
        let spec = self.spec(&req.symbol)?.clone();
        if let Some(p) = req.price {
            spec.check_price(p)?;
        }
        if let Some(q) = req.quantity {
            spec.check_quantity(q)?;
        }
        match (req.order_type, req.price, req.quantity, req.quote_order_qty) {
            (OrderType::Limit | OrderType::LimitMaker, Some(p), Some(q), _) => {
                spec.check_notional(notional(p, q, &spec)?)?
            }
            (OrderType::Market, _, Some(q), _) => {
                if let Some(p) = self.reference_price(&req.symbol, req.side) {
                    spec.check_notional(notional(p, q, &spec)?)?;
                }
            }
            (OrderType::Market, _, None, Some(quote)) if quote < spec.min_notional => {
                return Err(notional_failure(&spec));
            }
            _ => {}
        }
        let client_order_id = match req.client_order_id.clone() {
            Some(c) => c,
            None => self.generated_client_id(),
        };
        let duplicate = self
            .client_ids
            .get(&(account, client_order_id.clone()))
            .and_then(|id| self.orders.get(id))
            .is_some_and(|o| o.status.is_open());
        if duplicate {
            return Err(EngineError::DuplicateClientId);
        }
        let book = self
            .books
            .get(&req.symbol)
            .ok_or(EngineError::UnknownSymbol)?;
        let limit_ticks = match req.price {
            Some(p) => Some(book.ticks(p).ok_or(EngineError::Filter(Filter::Price))?),
            None => None,
        };
        if req.order_type == OrderType::LimitMaker
            && book.best_maker(req.side, limit_ticks).is_some()
        {
            return Err(EngineError::WouldTake);
        }
        let levels = book.crossing_levels(req.side, limit_ticks);
        let prices: Vec<(Decimal, Decimal)> =
            levels.iter().map(|(t, q)| (book.price(*t), *q)).collect();
        let qty = match (req.quantity, req.quote_order_qty) {
            (Some(q), _) => q,
            (None, Some(quote)) => quote_qty_to_base(&spec, &prices, quote)?,
            (None, None) => return Err(EngineError::NoQuantity),
        };
        let (fillable, fill_cost) = simulate(&prices, qty);
        let (lock_asset, need) = match (req.side, req.order_type) {
            (Side::Buy, OrderType::Market) => (spec.quote.clone(), fill_cost),
            (Side::Buy, _) => (
                spec.quote.clone(),
                notional(req.price.unwrap_or_default(), qty, &spec)?,
            ),
            (Side::Sell, _) => (spec.base.clone(), qty),
        };
        let acct = self
            .accounts
            .get_mut(account)
            .ok_or(EngineError::UnknownAccount)?;
        if acct.free(&lock_asset) < need {
            return Err(EngineError::InsufficientBalance);
        }
        let bal = acct.balance_mut(&lock_asset);
        bal.free -= need;
        bal.locked += need;

        let id = self.next_order_id;
        self.next_order_id += 1;
        let order = Order {
            id,
            client_order_id,
            account,
            symbol: req.symbol.clone(),
            side: req.side,
            order_type: req.order_type,
            tif: req.tif,
            price: req.price.unwrap_or_default(),
            orig_qty: qty,
            orig_quote_qty: req.quote_order_qty.unwrap_or_default(),
            executed_qty: Decimal::ZERO,
            cum_quote: Decimal::ZERO,
            status: OrderStatus::New,
            time: now,
            update_time: now,
            working_time: None,
            ticks: None,
            locked: need,
            counted_unfilled: count_unfilled,
        };
        self.client_ids
            .insert((account, order.client_order_id.clone()), id);
        self.orders.insert(id, order);
        self.report(id, ExecType::New, None, None, now);

        let fok_short = req.tif == TimeInForce::Fok && fillable < qty;
        let mut fills = Vec::new();
        if !fok_short {
            while let Some(o) = self.orders.get(&id) {
                let remaining = o.remaining();
                if remaining <= Decimal::ZERO {
                    break;
                }
                let Some(book) = self.books.get(&req.symbol) else {
                    break;
                };
                let Some((ticks, maker_id)) = book.best_maker(req.side, limit_ticks) else {
                    break;
                };
                let maker_remaining = self
                    .orders
                    .get(&maker_id)
                    .map(|m| m.remaining())
                    .unwrap_or_default();
                let q = remaining.min(maker_remaining);
                if q <= Decimal::ZERO {
                    break;
                }
                let outcome = self.execute(id, maker_id, ticks, q, now);
                fills.push(outcome.taker_fill);
            }
        }
        self.settle_taker(id, limit_ticks, now);
        self.finish(&req.symbol, now);
        if !self.orders.contains_key(&id) {
            return Err(EngineError::UnknownOrder(Operation::Place));
        }
        Ok(Placed { id, fills })
    }

    fn find_order(
        &self,
        account: usize,
        symbol: &str,
        order_id: Option<u64>,
        client_id: Option<&str>,
    ) -> Option<u64> {
        match (order_id, client_id) {
            (Some(id), client) => {
                let o = self.orders.get(&id)?;
                let ok = o.account == account
                    && o.symbol == symbol
                    && client.is_none_or(|c| c == o.client_order_id);
                ok.then_some(id)
            }
            (None, Some(c)) => self
                .client_ids
                .get(&(account, c.to_string()))
                .copied()
                .filter(|id| self.orders.get(id).is_some_and(|o| o.symbol == symbol)),
            (None, None) => None,
        }
    }

    /// Cancels an open order. Returns it with the cancel request's client id.
    pub fn cancel(
        &mut self,
        account: usize,
        symbol: &str,
        order_id: Option<u64>,
        client_id: Option<&str>,
        new_client_id: Option<String>,
        now: u64,
    ) -> Result<Canceled, EngineError> {
        self.spec(symbol)?;
        let id = self
            .find_order(account, symbol, order_id, client_id)
            .filter(|id| self.orders.get(id).is_some_and(|o| o.status.is_open()))
            .ok_or(EngineError::UnknownOrder(Operation::Cancel))?;
        let cancel_id = match new_client_id {
            Some(c) => c,
            None => self.generated_client_id(),
        };
        self.cancel_by_id(id, Some(cancel_id.clone()), now);
        Ok(Canceled {
            id,
            cancel_client_id: cancel_id,
        })
    }

    /// Cancels every open order of `account` on `symbol`.
    pub fn cancel_all(
        &mut self,
        account: usize,
        symbol: &str,
        now: u64,
    ) -> Result<Vec<Canceled>, EngineError> {
        self.spec(symbol)?;
        let ids: Vec<u64> = self
            .open_orders(account, Some(symbol))
            .iter()
            .map(|o| o.id)
            .collect();
        if ids.is_empty() {
            return Err(EngineError::UnknownOrder(Operation::Cancel));
        }
        let mut out = Vec::new();
        for id in ids {
            let cancel_id = self.generated_client_id();
            self.cancel_by_id(id, Some(cancel_id.clone()), now);
            out.push(Canceled {
                id,
                cancel_client_id: cancel_id,
            });
        }
        Ok(out)
    }

    /// Cancels an open order by id (no ownership check); emits its events.
    pub fn cancel_by_id(&mut self, id: u64, cancel_client_id: Option<String>, now: u64) {
        let Some(o) = self.orders.get_mut(&id) else {
            return;
        };
        if !o.status.is_open() {
            return;
        }
        o.status = OrderStatus::Canceled;
        o.update_time = now;
        let (symbol, side, ticks, remaining) =
            (o.symbol.clone(), o.side, o.ticks.take(), o.remaining());
        if let (Some(t), Some(book)) = (ticks, self.books.get_mut(&symbol)) {
            book.reduce(side, t, id, remaining, true);
        }
        self.release_lock(id);
        self.report(id, ExecType::Canceled, cancel_client_id, None, now);
        self.finish(&symbol, now);
    }

    /// The order for `GET /api/v3/order`, or -2013.
    pub fn query(
        &self,
        account: usize,
        symbol: &str,
        order_id: Option<u64>,
        client_id: Option<&str>,
    ) -> Result<&Order, EngineError> {
        self.spec(symbol)?;
        self.find_order(account, symbol, order_id, client_id)
            .and_then(|id| self.orders.get(&id))
            .ok_or(EngineError::UnknownOrder(Operation::Query))
    }

    /// The commission an order paid so far, summed over its trades, and its asset (a buy pays in
    /// the base asset, a sell in the quote asset, as the matching charges them); empty when the
    /// symbol is not listed.
    pub fn fee_paid(&self, order: &Order) -> (Decimal, String) {
        let fee = self
            .trades
            .get(&order.symbol)
            .into_iter()
            .flatten()
            .filter_map(|t| match order.side {
                Side::Buy if t.buyer.0 == order.id => Some(t.commissions.0),
                Side::Sell if t.seller.0 == order.id => Some(t.commissions.1),
                _ => None,
            })
            .sum();
        let asset = self
            .specs
            .get(&order.symbol)
            .map_or_else(String::new, |s| match order.side {
                Side::Buy => s.base.clone(),
                Side::Sell => s.quote.clone(),
            });
        (fee, asset)
    }

    /// Open orders of an account (all symbols when `symbol` is `None`).
    pub fn open_orders(&self, account: usize, symbol: Option<&str>) -> Vec<&Order> {
        self.orders
            .values()
            .filter(|o| {
                o.account == account && o.status.is_open() && symbol.is_none_or(|s| s == o.symbol)
            })
            .collect()
    }

    /// Sets an account's free balance of an asset (locked untouched) and emits the balance change
    /// and the changed balances.
    pub fn set_balance(&mut self, account: usize, asset: &str, free: Decimal, now: u64) {
        let Some(acct) = self.accounts.get_mut(account) else {
            return;
        };
        let b = acct.balance_mut(asset);
        let delta = free - b.free;
        b.free = free;
        let shapes = self.publisher.shapes();
        acct.emit(shapes.balance_delta(asset, delta, now));
        let changed = acct.take_touched(now);
        if !changed.is_empty() && acct.has_listeners() {
            acct.emit(shapes.account_position(&changed, now));
        }
    }
}

fn notional_failure(spec: &SymbolSpec) -> EngineError {
    EngineError::Filter(Filter::Notional(spec.notional_filter))
}

/// `price * qty`, or the notional filter's failure when it overflows.
fn notional(price: Decimal, qty: Decimal, spec: &SymbolSpec) -> Result<Decimal, EngineError> {
    price.checked_mul(qty).ok_or_else(|| notional_failure(spec))
}

/// Quantity (`<= qty`) the crossing levels can fill and its quote cost.
fn simulate(levels: &[(Decimal, Decimal)], qty: Decimal) -> (Decimal, Decimal) {
    let mut left = qty;
    let mut cost = Decimal::ZERO;
    for (price, level_qty) in levels {
        if left <= Decimal::ZERO {
            break;
        }
        let q = left.min(*level_qty);
        cost += price * q;
        left -= q;
    }
    (qty - left, cost)
}

/// Base quantity of a `quoteOrderQty` MARKET order: the most whose notional stays within `quote`,
/// rounded down to the step size.
fn quote_qty_to_base(
    spec: &SymbolSpec,
    levels: &[(Decimal, Decimal)],
    quote: Decimal,
) -> Result<Decimal, EngineError> {
    if levels.is_empty() {
        return Err(EngineError::NoLiquidity);
    }
    let mut left = quote;
    let mut qty = Decimal::ZERO;
    for (price, level_qty) in levels {
        if left <= Decimal::ZERO || price.is_zero() {
            break;
        }
        let take = (*level_qty).min(left / price);
        qty += take;
        left -= take * price;
    }
    let qty = spec.floor_to_step(qty);
    if qty < spec.min_qty {
        return Err(EngineError::LiquidityBelowMinQuantity);
    }
    Ok(qty)
}
