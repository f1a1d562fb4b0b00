//! The mock's matching engine: per-symbol books with price-time priority, LIMIT (GTC/IOC/FOK),
//! LIMIT_MAKER and MARKET (by quantity or `quoteOrderQty`) orders, partial fills, cancels,
//! balances locked and released per order, trades with ids and fees, and the events every change
//! produces (depth diffs, trades, `executionReport`, `outboundAccountPosition`).

use std::collections::{BTreeMap, HashMap};

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

use super::account::Account;
use super::book::Book;
use super::error::ApiError;
use super::order::{
    Execution, FillJson, NewOrder, Order, OrderStatus, OrderType, Side, TimeInForce, Trade,
    execution_report,
};
use super::publish::Publisher;
use super::spec::SymbolSpec;

/// Index of the market-maker account that seeds and moves the books.
pub const MARKET_MAKER: usize = 0;

/// First update id of every book.
const FIRST_UPDATE_ID: u64 = 1_000;

const MSG_INSUFFICIENT: &str = "Account has insufficient balance for requested action.";
const MSG_UNKNOWN_ORDER: &str = "Unknown order sent.";

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
    next_order_id: u64,
    next_trade_id: u64,
    next_execution_id: u64,
    next_client_id: u64,
}

/// What one execution did, for the order's FULL response.
struct FillOutcome {
    taker_fill: FillJson,
}

impl Exchange {
    /// An exchange listing `specs`, with the market-maker account.
    pub fn new(specs: Vec<SymbolSpec>, market_maker: Account) -> Self {
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
        Self {
            specs: spec_map,
            books,
            orders: BTreeMap::new(),
            trades,
            accounts: vec![market_maker],
            keys,
            publisher: Publisher::new(),
            first_fills: Vec::new(),
            next_order_id: 1,
            next_trade_id: 1,
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
    pub fn spec(&self, symbol: &str) -> Result<&SymbolSpec, ApiError> {
        self.specs.get(symbol).ok_or_else(ApiError::invalid_symbol)
    }

    fn generated_client_id(&mut self) -> String {
        let n = self.next_client_id;
        self.next_client_id += 1;
        format!("mock{n:018}")
    }

    fn next_execution(&mut self) -> u64 {
        let id = self.next_execution_id;
        self.next_execution_id += 1;
        id
    }

    fn report(
        &mut self,
        order_id: u64,
        exec_type: &'static str,
        cancel_client_id: Option<String>,
        last_fill: Option<(Decimal, Decimal, Decimal, String, u64, bool)>,
        now: u64,
    ) {
        let execution_id = self.next_execution();
        let Some(order) = self.orders.get(&order_id) else {
            return;
        };
        let ex = Execution {
            exec_type,
            cancel_client_id,
            last_fill,
            execution_id,
            time: now,
        };
        let event = execution_report(order, &ex);
        if let Some(acct) = self.accounts.get(order.account) {
            acct.emit(&event);
        }
    }

    /// Emits the pending `outboundAccountPosition` events and the symbol's depth diff.
    fn finish(&mut self, symbol: &str, now: u64) {
        for acct in &mut self.accounts {
            acct.flush_position(now);
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

    /// Places an order for `account`. Returns the response JSON and the order id.
    pub fn place(
        &mut self,
        account: usize,
        req: NewOrder,
        now: u64,
        count_unfilled: bool,
    ) -> Result<(Value, u64), ApiError> {
        let spec = self.spec(&req.symbol)?.clone();
        if let Some(p) = req.price {
            spec.check_price(p)?;
        }
        if let Some(q) = req.quantity {
            spec.check_quantity(q)?;
        }
        match (req.order_type, req.price, req.quantity, req.quote_order_qty) {
            (OrderType::Limit | OrderType::LimitMaker, Some(p), Some(q), _) => {
                spec.check_notional(p * q)?
            }
            (OrderType::Market, _, Some(q), _) => {
                if let Some(p) = self.reference_price(&req.symbol, req.side) {
                    spec.check_notional(p * q)?;
                }
            }
            (OrderType::Market, _, None, Some(quote)) if quote < spec.min_notional => {
                return Err(ApiError::filter_failure(notional_name(&spec)));
            }
            _ => {}
        }
        let client_order_id = match req.client_order_id.clone() {
            Some(c) => c,
            None => self.generated_client_id(),
        };
        let duplicate = self.orders.values().any(|o| {
            o.account == account && o.status.is_open() && o.client_order_id == client_order_id
        });
        if duplicate {
            return Err(ApiError::new_order_rejected("Duplicate order sent."));
        }
        let book = self
            .books
            .get(&req.symbol)
            .ok_or_else(ApiError::invalid_symbol)?;
        let limit_ticks = match req.price {
            Some(p) => Some(
                book.ticks(p)
                    .ok_or_else(|| ApiError::filter_failure("PRICE_FILTER"))?,
            ),
            None => None,
        };
        if req.order_type == OrderType::LimitMaker
            && book.best_maker(req.side, limit_ticks).is_some()
        {
            return Err(ApiError::new_order_rejected(
                "Order would immediately match and take.",
            ));
        }
        let levels = book.crossing_levels(req.side, limit_ticks);
        let prices: Vec<(Decimal, Decimal)> =
            levels.iter().map(|(t, q)| (book.price(*t), *q)).collect();
        let qty = match (req.quantity, req.quote_order_qty) {
            (Some(q), _) => q,
            (None, Some(quote)) => quote_qty_to_base(&spec, &prices, quote)?,
            (None, None) => return Err(ApiError::one_of("quantity", "quoteOrderQty")),
        };
        let (fillable, fill_cost) = simulate(&prices, qty);
        let (lock_asset, need) = match (req.side, req.order_type) {
            (Side::Buy, OrderType::Market) => (spec.quote.clone(), fill_cost),
            (Side::Buy, _) => (spec.quote.clone(), req.price.unwrap_or_default() * qty),
            (Side::Sell, _) => (spec.base.clone(), qty),
        };
        let acct = self
            .accounts
            .get_mut(account)
            .ok_or_else(ApiError::rejected_api_key)?;
        if acct.free(&lock_asset) < need {
            return Err(ApiError::new_order_rejected(MSG_INSUFFICIENT));
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
        self.orders.insert(id, order);
        self.report(id, "NEW", None, None, now);

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
        let order = self
            .orders
            .get(&id)
            .ok_or_else(|| ApiError::new_order_rejected(MSG_UNKNOWN_ORDER))?;
        Ok((order.new_order_response(req.resp_type, now, &fills), id))
    }

    /// After matching: rest the remainder (LIMIT GTC, LIMIT_MAKER) or expire it, and release
    /// what is no longer locked.
    fn settle_taker(&mut self, id: u64, limit_ticks: Option<u64>, now: u64) {
        let Some(o) = self.orders.get(&id) else {
            return;
        };
        let remaining = o.remaining();
        let rests = matches!(o.order_type, OrderType::Limit | OrderType::LimitMaker)
            && o.tif == TimeInForce::Gtc;
        if remaining > Decimal::ZERO && rests {
            if let (Some(ticks), Some(book)) = (limit_ticks, self.books.get_mut(&o.symbol)) {
                book.add(o.side, ticks, id, remaining);
            }
            if let Some(o) = self.orders.get_mut(&id) {
                o.ticks = limit_ticks;
                o.working_time = Some(now);
            }
            return;
        }
        let expired = remaining > Decimal::ZERO;
        if let Some(o) = self.orders.get_mut(&id)
            && expired
        {
            o.status = OrderStatus::Expired;
            o.update_time = now;
        }
        self.release_lock(id);
        if expired {
            self.report(id, "EXPIRED", None, None, now);
        }
    }

    /// Returns an order's remaining lock to free balance.
    fn release_lock(&mut self, id: u64) {
        let Some(o) = self.orders.get_mut(&id) else {
            return;
        };
        let amount = o.locked;
        o.locked = Decimal::ZERO;
        if amount.is_zero() {
            return;
        }
        let (account, asset) = (o.account, self.lock_asset(id));
        if let (Some(asset), Some(acct)) = (asset, self.accounts.get_mut(account)) {
            let b = acct.balance_mut(&asset);
            b.locked -= amount;
            b.free += amount;
        }
    }

    fn lock_asset(&self, id: u64) -> Option<String> {
        let o = self.orders.get(&id)?;
        let spec = self.specs.get(&o.symbol)?;
        Some(match o.side {
            Side::Buy => spec.quote.clone(),
            Side::Sell => spec.base.clone(),
        })
    }

    /// One trade of `qty` between taker `taker_id` and resting maker `maker_id` at the maker's price.
    fn execute(
        &mut self,
        taker_id: u64,
        maker_id: u64,
        ticks: u64,
        qty: Decimal,
        now: u64,
    ) -> FillOutcome {
        let (symbol, taker_side) = match self.orders.get(&taker_id) {
            Some(t) => (t.symbol.clone(), t.side),
            None => (String::new(), Side::Buy),
        };
        let spec = self
            .specs
            .get(&symbol)
            .cloned()
            .unwrap_or_else(|| SymbolSpec::new("?", "?"));
        let price = self
            .books
            .get(&symbol)
            .map(|b| b.price(ticks))
            .unwrap_or_default();
        let quote = price * qty;
        let (buyer_id, seller_id) = match taker_side {
            Side::Buy => (taker_id, maker_id),
            Side::Sell => (maker_id, taker_id),
        };
        let buyer_is_maker = taker_side == Side::Sell;
        let fee = |maker: bool| {
            if maker {
                spec.maker_fee
            } else {
                spec.taker_fee
            }
        };
        let round_fee = |v: Decimal| v.round_dp_with_strategy(8, RoundingStrategy::AwayFromZero);
        let buyer_fee = round_fee(qty * fee(buyer_is_maker));
        let seller_fee = round_fee(quote * fee(!buyer_is_maker));

        // Buyer: pays quote out of its lock (a limit buy locked at its own price: the improvement
        // goes back to free), receives base minus fee.
        let (buyer_acct, buyer_release) = match self.orders.get_mut(&buyer_id) {
            Some(b) => {
                let release = if b.order_type == OrderType::Market {
                    quote
                } else {
                    b.price * qty
                };
                let release = release.min(b.locked);
                b.locked -= release;
                (b.account, release)
            }
            None => (MARKET_MAKER, Decimal::ZERO),
        };
        if let Some(acct) = self.accounts.get_mut(buyer_acct) {
            let q = acct.balance_mut(&spec.quote);
            q.locked -= buyer_release;
            q.free += buyer_release - quote;
            acct.balance_mut(&spec.base).free += qty - buyer_fee;
        }
        let seller_acct = match self.orders.get_mut(&seller_id) {
            Some(s) => {
                let release = qty.min(s.locked);
                s.locked -= release;
                s.account
            }
            None => MARKET_MAKER,
        };
        if let Some(acct) = self.accounts.get_mut(seller_acct) {
            acct.balance_mut(&spec.base).locked -= qty;
            acct.balance_mut(&spec.quote).free += quote - seller_fee;
        }

        let trade_id = self.next_trade_id;
        self.next_trade_id += 1;
        let mut maker_done = false;
        for (oid, is_maker) in [(taker_id, false), (maker_id, true)] {
            if let Some(o) = self.orders.get_mut(&oid) {
                if o.executed_qty.is_zero() && o.counted_unfilled {
                    o.counted_unfilled = false;
                    self.first_fills.push(o.account);
                }
                o.executed_qty += qty;
                o.cum_quote += quote;
                o.update_time = now;
                o.status = if o.remaining() <= Decimal::ZERO {
                    OrderStatus::Filled
                } else {
                    OrderStatus::PartiallyFilled
                };
                if is_maker && o.status == OrderStatus::Filled {
                    o.ticks = None;
                    maker_done = true;
                }
            }
        }
        if let Some(book) = self.books.get_mut(&symbol) {
            book.reduce(taker_side.opposite(), ticks, maker_id, qty, maker_done);
        }
        if maker_done {
            // A filled limit buy may still hold price-improvement change; give it back.
            self.release_lock(maker_id);
        }
        let trade = Trade {
            id: trade_id,
            symbol: symbol.clone(),
            price,
            qty,
            time: now,
            buyer: (buyer_id, buyer_acct),
            seller: (seller_id, seller_acct),
            buyer_is_maker,
            commissions: (buyer_fee, seller_fee),
            assets: (spec.base.clone(), spec.quote.clone()),
        };
        self.publisher.trade(&symbol, &trade.stream_json(now));
        if let Some(list) = self.trades.get_mut(&symbol) {
            list.push(trade);
        }
        let taker_fee_paid = if taker_side == Side::Buy {
            buyer_fee
        } else {
            seller_fee
        };
        let maker_fee_paid = if taker_side == Side::Buy {
            seller_fee
        } else {
            buyer_fee
        };
        let fee_asset = |side: Side| {
            if side == Side::Buy {
                spec.base.clone()
            } else {
                spec.quote.clone()
            }
        };
        let taker_asset = fee_asset(taker_side);
        let maker_asset = fee_asset(taker_side.opposite());
        self.report(
            taker_id,
            "TRADE",
            None,
            Some((
                qty,
                price,
                taker_fee_paid,
                taker_asset.clone(),
                trade_id,
                false,
            )),
            now,
        );
        self.report(
            maker_id,
            "TRADE",
            None,
            Some((qty, price, maker_fee_paid, maker_asset, trade_id, true)),
            now,
        );
        FillOutcome {
            taker_fill: FillJson {
                price,
                qty,
                commission: taker_fee_paid,
                commission_asset: taker_asset,
                trade_id,
            },
        }
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
                .orders
                .values()
                .rev()
                .find(|o| o.account == account && o.symbol == symbol && o.client_order_id == c)
                .map(|o| o.id),
            (None, None) => None,
        }
    }

    /// Cancels an open order. Returns the DELETE response.
    pub fn cancel(
        &mut self,
        account: usize,
        symbol: &str,
        order_id: Option<u64>,
        client_id: Option<&str>,
        new_client_id: Option<String>,
        now: u64,
    ) -> Result<Value, ApiError> {
        self.spec(symbol)?;
        let id = self
            .find_order(account, symbol, order_id, client_id)
            .filter(|id| self.orders.get(id).is_some_and(|o| o.status.is_open()))
            .ok_or_else(|| ApiError::cancel_rejected(MSG_UNKNOWN_ORDER))?;
        let cancel_id = match new_client_id {
            Some(c) => c,
            None => self.generated_client_id(),
        };
        self.cancel_by_id(id, Some(cancel_id.clone()), now);
        let o = self
            .orders
            .get(&id)
            .ok_or_else(|| ApiError::cancel_rejected(MSG_UNKNOWN_ORDER))?;
        Ok(o.cancel_json(&cancel_id, now))
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
        self.report(id, "CANCELED", cancel_client_id, None, now);
        self.finish(&symbol, now);
    }

    /// The order for `GET /api/v3/order`, or -2013.
    pub fn query(
        &self,
        account: usize,
        symbol: &str,
        order_id: Option<u64>,
        client_id: Option<&str>,
    ) -> Result<&Order, ApiError> {
        self.spec(symbol)?;
        self.find_order(account, symbol, order_id, client_id)
            .and_then(|id| self.orders.get(&id))
            .ok_or_else(ApiError::no_such_order)
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

    /// Fills a resting order by `qty` (all of its remainder when `None`) against the market maker,
    /// whatever else is in the book: the "order filled while you were away" fault. Returns the
    /// quantity filled.
    pub fn fill_resting(&mut self, order_id: u64, qty: Option<Decimal>, now: u64) -> Decimal {
        let Some(o) = self.orders.get(&order_id) else {
            return Decimal::ZERO;
        };
        let Some(ticks) = o.ticks else {
            return Decimal::ZERO;
        };
        if !o.status.is_open() {
            return Decimal::ZERO;
        }
        let q = qty.unwrap_or(o.remaining()).min(o.remaining());
        if q <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        let (symbol, side, price) = (o.symbol.clone(), o.side.opposite(), o.price);
        let Some(spec) = self.specs.get(&symbol).cloned() else {
            return Decimal::ZERO;
        };
        let (asset, need) = match side {
            Side::Buy => (spec.quote.clone(), price * q),
            Side::Sell => (spec.base.clone(), q),
        };
        if let Some(mm) = self.accounts.get_mut(MARKET_MAKER) {
            // The market maker's funds are unlimited here: the lock is created, not moved from free.
            mm.balance_mut(&asset).locked += need;
        }
        let taker_id = self.next_order_id;
        self.next_order_id += 1;
        let client_order_id = self.generated_client_id();
        self.orders.insert(
            taker_id,
            Order {
                id: taker_id,
                client_order_id,
                account: MARKET_MAKER,
                symbol: symbol.clone(),
                side,
                order_type: OrderType::Limit,
                tif: TimeInForce::Ioc,
                price,
                orig_qty: q,
                orig_quote_qty: Decimal::ZERO,
                executed_qty: Decimal::ZERO,
                cum_quote: Decimal::ZERO,
                status: OrderStatus::New,
                time: now,
                update_time: now,
                working_time: None,
                ticks: None,
                locked: need,
                counted_unfilled: false,
            },
        );
        self.execute(taker_id, order_id, ticks, q, now);
        self.settle_taker(taker_id, None, now);
        self.finish(&symbol, now);
        q
    }

    /// Sets an account's free balance of an asset (locked untouched) and emits `balanceUpdate` and
    /// `outboundAccountPosition`.
    pub fn set_balance(&mut self, account: usize, asset: &str, free: Decimal, now: u64) {
        let Some(acct) = self.accounts.get_mut(account) else {
            return;
        };
        let b = acct.balance_mut(asset);
        let delta = free - b.free;
        b.free = free;
        acct.emit(&serde_json::json!({
            "e": "balanceUpdate", "E": now, "a": asset,
            "d": super::spec::fmt8(delta), "T": now
        }));
        acct.flush_position(now);
    }
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

fn notional_name(spec: &SymbolSpec) -> &'static str {
    match spec.notional_filter {
        super::spec::NotionalFilter::Notional => "NOTIONAL",
        super::spec::NotionalFilter::MinNotional => "MIN_NOTIONAL",
    }
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
) -> Result<Decimal, ApiError> {
    if levels.is_empty() {
        return Err(ApiError::new_order_rejected(
            "Order book liquidity is less than symbol minimum quantity.",
        ));
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
        return Err(ApiError::new_order_rejected(
            "Order book liquidity is less than `LOT_SIZE` filter minimum quantity.",
        ));
    }
    Ok(qty)
}
