//! The perpetual ledger every perpetual dialect keeps over the engine's matching: per (account,
//! symbol, position side) positions in one-way or hedge mode (`position`), replayed incrementally
//! from the engine's trades so maker and taker fills count alike, with fees at the symbol's maker
//! or taker rate; each account's deposit, leverage and margin mode per symbol, position mode and
//! the position side of its orders; marks (set by the test, else the book's mid); funding
//! settlements; maintenance margin, liquidation and bankruptcy prices (`margin`), margin checks
//! on orders and liquidation when the mark crosses a liquidation price (`risk`). A dialect keeps
//! only its wire shapes; its handle gets the tests' view through [`PerpHandle`]. Money is `rust_decimal` in the quote asset; fees and funding are rounded
//! to 8 places (half to even), derived prices to 8 places (half away from zero).

pub mod handle;
pub mod margin;
pub mod position;
mod risk;

use std::collections::{BTreeMap, HashMap};

use rust_decimal::{Decimal, RoundingStrategy};

pub use self::handle::PerpHandle;
pub use self::margin::RiskTier;
pub use self::position::{PosSide, Position};
pub use self::risk::{MarginShortfall, OrderAsk, PositionRisk};
use super::exchange::Exchange;

/// The places fees and funding are rounded to.
pub const MONEY_DP: u32 = 8;

/// A symbol's mark and index prices and funding rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkState {
    pub mark: Decimal,
    pub index: Decimal,
    pub funding_rate: Decimal,
}

/// Cross or isolated margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarginMode {
    #[default]
    Cross,
    Isolated,
}

/// Whose documented isolated-margin formula the ledger applies (cross is shared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Venue {
    /// Binance USDⓈ-M: the cross formula with the isolated wallet.
    Binance,
    /// Bybit v5: `entry ∓ (IM − MM) / size`, closing at `entry × (1 ∓ 1/leverage)`.
    Bybit,
}

/// One funding settlement booked on a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingRecord {
    /// 1, 2, … in the order booked.
    pub seq: u64,
    pub account: usize,
    pub symbol: String,
    pub side: PosSide,
    /// Positive when the account received funding.
    pub amount: Decimal,
    pub time: u64,
    pub rate: Decimal,
    pub mark: Decimal,
}

/// A position the venue closed because the mark crossed its liquidation price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liquidation {
    /// 1, 2, … in the order booked.
    pub seq: u64,
    pub account: usize,
    pub symbol: String,
    pub side: PosSide,
    /// The signed size closed (the position's size before).
    pub size: Decimal,
    pub entry: Decimal,
    /// The price it was closed at (the bankruptcy price).
    pub price: Decimal,
    /// The mark that triggered it and the liquidation price it crossed.
    pub mark: Decimal,
    pub liquidation_price: Decimal,
    /// The PnL realized (the margin lost).
    pub pnl: Decimal,
    pub time: u64,
}

/// One account's futures side.
#[derive(Debug, Clone, Default)]
pub struct PerpAccount {
    pub deposit: Decimal,
    pub hedge: bool,
    /// The margin mode of symbols not set one by one.
    pub default_margin: MarginMode,
    pub margin: HashMap<String, MarginMode>,
    pub leverage: HashMap<String, u32>,
    pub positions: BTreeMap<(String, PosSide), Position>,
    pub order_sides: HashMap<u64, PosSide>,
}

/// The ledger of every registered account.
#[derive(Debug, Clone)]
pub struct PerpLedger {
    pub venue: Venue,
    pub tiers: Vec<RiskTier>,
    pub default_leverage: u32,
    pub accounts: BTreeMap<usize, PerpAccount>,
    pub marks: HashMap<String, MarkState>,
    pub funding: Vec<FundingRecord>,
    pub liquidations: Vec<Liquidation>,
    /// Symbol → how many of the engine's trades were applied.
    cursor: HashMap<String, usize>,
}

impl PerpLedger {
    pub fn new(venue: Venue, tiers: Vec<RiskTier>, default_leverage: u32) -> Self {
        Self {
            venue,
            tiers,
            default_leverage,
            accounts: BTreeMap::new(),
            marks: HashMap::new(),
            funding: Vec::new(),
            liquidations: Vec::new(),
            cursor: HashMap::new(),
        }
    }

    /// Keeps the futures side of `account`, starting from `deposit`.
    pub fn add_account(&mut self, account: usize, deposit: Decimal) {
        self.accounts.insert(
            account,
            PerpAccount {
                deposit,
                ..PerpAccount::default()
            },
        );
    }

    pub fn account(&self, account: usize) -> Option<&PerpAccount> {
        self.accounts.get(&account)
    }

    pub fn account_mut(&mut self, account: usize) -> Option<&mut PerpAccount> {
        self.accounts.get_mut(&account)
    }

    /// Applies the engine's trades not applied yet to the registered accounts' positions, at the
    /// position side each order was placed for (`BOTH` when none was noted).
    pub fn sync(&mut self, ex: &Exchange) {
        for (symbol, trades) in &ex.trades {
            let done = self.cursor.entry(symbol.clone()).or_insert(0);
            if *done >= trades.len() {
                continue;
            }
            let Ok(spec) = ex.spec(symbol) else { continue };
            for t in &trades[*done..] {
                let legs = [
                    (t.buyer, Decimal::ONE, t.buyer_is_maker),
                    (t.seller, Decimal::NEGATIVE_ONE, !t.buyer_is_maker),
                ];
                for ((order, owner), sign, maker) in legs {
                    let Some(acct) = self.accounts.get_mut(&owner) else {
                        continue;
                    };
                    let side = acct
                        .order_sides
                        .get(&order)
                        .copied()
                        .unwrap_or(PosSide::Both);
                    let rate = if maker {
                        spec.maker_fee
                    } else {
                        spec.taker_fee
                    };
                    let fee = fee_of(t.price * t.qty, rate);
                    acct.positions
                        .entry((symbol.clone(), side))
                        .or_default()
                        .fill(t.qty * sign, t.price, fee);
                }
            }
            *done = trades.len();
        }
    }

    /// Sets a symbol's mark, index and funding rate.
    pub fn set_mark(&mut self, symbol: &str, state: MarkState) {
        self.marks.insert(symbol.to_string(), state);
    }

    /// The mark state of `symbol`: the one set, else the book's mid at a zero rate.
    pub fn mark_state(&self, ex: &Exchange, symbol: &str) -> Option<MarkState> {
        if let Some(m) = self.marks.get(symbol) {
            return Some(*m);
        }
        let book = ex.books.get(symbol)?;
        let (bid, ask) = (book.best_bid()?, book.best_ask()?);
        let mid = (book.price(bid) + book.price(ask)) / Decimal::TWO;
        Some(MarkState {
            mark: mid,
            index: mid,
            funding_rate: Decimal::ZERO,
        })
    }

    /// The mark of `symbol`, zero when there is none.
    pub fn mark(&self, ex: &Exchange, symbol: &str) -> Decimal {
        self.mark_state(ex, symbol)
            .map_or(Decimal::ZERO, |m| m.mark)
    }

    pub fn leverage(&self, account: usize, symbol: &str) -> u32 {
        self.account(account)
            .and_then(|a| a.leverage.get(symbol).copied())
            .unwrap_or(self.default_leverage)
    }

    pub fn margin_mode(&self, account: usize, symbol: &str) -> MarginMode {
        self.account(account).map_or(MarginMode::Cross, |a| {
            a.margin.get(symbol).copied().unwrap_or(a.default_margin)
        })
    }

    /// The position (flat when never opened).
    pub fn position(&self, account: usize, symbol: &str, side: PosSide) -> Position {
        self.account(account)
            .and_then(|a| a.positions.get(&(symbol.to_string(), side)).copied())
            .unwrap_or_default()
    }

    /// The position sides the account's mode shows: `BOTH`, or `LONG` and `SHORT`.
    pub fn sides(&self, account: usize) -> &'static [PosSide] {
        if self.account(account).is_some_and(|a| a.hedge) {
            &[PosSide::Long, PosSide::Short]
        } else {
            &[PosSide::Both]
        }
    }

    /// The wallet: deposit + realized PnL − fees + funding over every position.
    pub fn wallet(&self, account: usize) -> Decimal {
        self.account(account).map_or(Decimal::ZERO, |a| {
            a.deposit
                + a.positions
                    .values()
                    .map(Position::wallet_change)
                    .sum::<Decimal>()
        })
    }

    /// Books funding on every open position of `symbol` (every account) at its mark and rate:
    /// `−size × mark × rate` (a long pays a positive rate). Zero amounts are booked only when
    /// `keep_zero`.
    pub fn settle_funding(
        &mut self,
        ex: &Exchange,
        symbol: &str,
        now: u64,
        keep_zero: bool,
    ) -> Vec<FundingRecord> {
        self.sync(ex);
        let Some(m) = self.mark_state(ex, symbol) else {
            return Vec::new();
        };
        let mut booked = Vec::new();
        for (&account, acct) in &mut self.accounts {
            for ((s, side), pos) in &mut acct.positions {
                if s != symbol || pos.size.is_zero() {
                    continue;
                }
                let amount = (-(pos.size * m.mark * m.funding_rate))
                    .round_dp_with_strategy(MONEY_DP, RoundingStrategy::MidpointNearestEven);
                if amount.is_zero() && !keep_zero {
                    continue;
                }
                pos.funding += amount;
                booked.push(FundingRecord {
                    seq: 0,
                    account,
                    symbol: s.clone(),
                    side: *side,
                    amount,
                    time: now,
                    rate: m.funding_rate,
                    mark: m.mark,
                });
            }
        }
        for r in &mut booked {
            r.seq = self.funding.len() as u64 + 1;
            self.funding.push(r.clone());
        }
        booked
    }
}

/// A fee on `notional` at `rate`, rounded to 8 places (half to even).
pub fn fee_of(notional: Decimal, rate: Decimal) -> Decimal {
    (notional * rate).round_dp_with_strategy(MONEY_DP, RoundingStrategy::MidpointNearestEven)
}

#[cfg(test)]
mod tests;
