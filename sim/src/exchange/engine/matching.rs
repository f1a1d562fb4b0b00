//! Trade execution inside the mock's engine: one fill between a taker and a resting maker
//! (prices, fees, balances moved out of locks, trade record, events), settling a taker's
//! remainder (rest or expire), releasing locks, and filling a resting order on demand.

use rust_decimal::{Decimal, RoundingStrategy};

use super::exchange::{Exchange, MARKET_MAKER};
use super::order::{ExecType, Order, OrderStatus, OrderType, Side, TakerFill, TimeInForce, Trade};
use super::spec::SymbolSpec;

/// What one execution did, for the order's FULL response.
pub(super) struct FillOutcome {
    pub(super) taker_fill: TakerFill,
}

impl Exchange {
    /// After matching: rest the remainder (LIMIT GTC, LIMIT_MAKER) or expire it, and release
    /// what is no longer locked.
    pub(super) fn settle_taker(&mut self, id: u64, limit_ticks: Option<u64>, now: u64) {
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
            self.report(id, ExecType::Expired, None, None, now);
        }
    }

    /// Returns an order's remaining lock to free balance.
    pub(super) fn release_lock(&mut self, id: u64) {
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
    pub(super) fn execute(
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
        self.publisher.trade(&trade, now);
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
            ExecType::Trade,
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
            ExecType::Trade,
            None,
            Some((qty, price, maker_fee_paid, maker_asset, trade_id, true)),
            now,
        );
        FillOutcome {
            taker_fill: TakerFill {
                price,
                qty,
                commission: taker_fee_paid,
                commission_asset: taker_asset,
                trade_id,
            },
        }
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
}
