//! Order requests, and orders moving through the one state machine every venue shares:
//! `PendingSubmit → Open → PartiallyFilled → Filled`, plus `PendingCancel`, `Cancelled`, `Failed` and
//! `Unknown` (sent but unconfirmed, resolved later by polling, never assumed).

use std::collections::BTreeSet;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{CoreError, Fill, Pair, Side};

/// The id sluice gives an order before it is sent; venues echo it back.
/// 1 to 64 characters of `A-Z a-z 0-9 - _ . : /` (each venue may impose a shorter limit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientOrderId(String);

impl ClientOrderId {
    pub fn new(id: &str) -> Result<Self, CoreError> {
        if id.is_empty() || id.len() > 64 {
            return Err(CoreError::InvalidClientOrderId(
                id.to_string(),
                "length must be 1 to 64",
            ));
        }
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'))
        {
            return Err(CoreError::InvalidClientOrderId(
                id.to_string(),
                "only A-Z a-z 0-9 - _ . : / are allowed",
            ));
        }
        Ok(Self(id.to_string()))
    }

    /// A fresh id: `prefix` then 20 random alphanumeric characters.
    pub fn generate(prefix: &str) -> Self {
        use rand::Rng;
        use rand::distributions::Alphanumeric;
        let tail: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(20)
            .map(char::from)
            .collect();
        Self(format!("{prefix}{tail}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClientOrderId {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<ClientOrderId> for String {
    fn from(c: ClientOrderId) -> String {
        c.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How an order executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    /// Rests on the book at its price.
    Limit,
    /// Post-only: rejected instead of taking liquidity.
    LimitMaker,
    /// Takes whatever the book offers.
    Market,
    /// An AMM swap: `price` is the worst acceptable average price (the slippage bound) and
    /// `deadline` the time after which the transaction must revert.
    Swap,
}

/// How long an order stays live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    #[default]
    Gtc,
    Ioc,
    Fok,
}

/// What a strategy or a user asks a venue to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub client_id: ClientOrderId,
    pub pair: Pair,
    pub side: Side,
    pub order_type: OrderType,
    /// Base-asset amount.
    pub amount: Decimal,
    /// Limit price (quote per base); for a swap the worst acceptable average price; none for market.
    pub price: Option<Decimal>,
    pub time_in_force: TimeInForce,
    /// Unix seconds; swaps only.
    pub deadline: Option<u64>,
}

impl OrderRequest {
    /// Checks that the fields fit the order type (independent of any venue's rules).
    pub fn check_shape(&self) -> Result<(), CoreError> {
        let bad = |m: &str| Err(CoreError::InvalidOrder(format!("{}: {m}", self.client_id)));
        if self.amount <= Decimal::ZERO {
            return bad("amount must be positive");
        }
        if let Some(p) = self.price
            && p <= Decimal::ZERO
        {
            return bad("price must be positive");
        }
        match self.order_type {
            OrderType::Limit | OrderType::LimitMaker if self.price.is_none() => {
                bad("a limit order needs a price")
            }
            OrderType::LimitMaker if self.time_in_force != TimeInForce::Gtc => {
                bad("a post-only order cannot be IOC or FOK")
            }
            OrderType::Market if self.price.is_some() => bad("a market order takes no price"),
            OrderType::Swap if self.price.is_none() => bad("a swap needs a worst acceptable price"),
            OrderType::Swap if self.deadline.is_none() => bad("a swap needs a deadline"),
            _ => Ok(()),
        }
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    PendingSubmit,
    Open,
    PartiallyFilled,
    Filled,
    PendingCancel,
    Cancelled,
    Failed,
    /// Sent but not confirmed (timeout, dropped transaction): resolved by polling.
    Unknown,
}

impl OrderState {
    pub const ALL: [OrderState; 8] = [
        OrderState::PendingSubmit,
        OrderState::Open,
        OrderState::PartiallyFilled,
        OrderState::Filled,
        OrderState::PendingCancel,
        OrderState::Cancelled,
        OrderState::Failed,
        OrderState::Unknown,
    ];

    /// No transition leaves a terminal state.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Filled | OrderState::Cancelled | OrderState::Failed
        )
    }

    /// Whether the order may still trade.
    pub fn is_live(self) -> bool {
        !self.is_terminal()
    }

    /// The transition table. A state may "move" to itself only where that carries news
    /// (another partial fill, another unanswered poll).
    pub fn can_transition_to(self, to: OrderState) -> bool {
        use OrderState::*;
        match self {
            PendingSubmit => matches!(
                to,
                Open | PartiallyFilled | Filled | PendingCancel | Cancelled | Failed | Unknown
            ),
            Open => matches!(
                to,
                PartiallyFilled | Filled | PendingCancel | Cancelled | Failed | Unknown
            ),
            PartiallyFilled => matches!(
                to,
                PartiallyFilled | Filled | PendingCancel | Cancelled | Unknown
            ),
            // A fill can race a cancel; a rejected cancel returns the order to the book.
            PendingCancel => matches!(to, Open | PartiallyFilled | Filled | Cancelled | Unknown),
            Unknown => matches!(
                to,
                Open | PartiallyFilled | Filled | PendingCancel | Cancelled | Failed | Unknown
            ),
            Filled | Cancelled | Failed => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::PendingSubmit => "pending_submit",
            OrderState::Open => "open",
            OrderState::PartiallyFilled => "partially_filled",
            OrderState::Filled => "filled",
            OrderState::PendingCancel => "pending_cancel",
            OrderState::Cancelled => "cancelled",
            OrderState::Failed => "failed",
            OrderState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order and everything known about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub request: OrderRequest,
    pub state: OrderState,
    /// The venue's id (exchange order id, or transaction hash for a swap).
    pub venue_order_id: Option<String>,
    /// Base amount filled.
    pub filled: Decimal,
    /// Quote amount exchanged by the fills.
    pub filled_quote: Decimal,
    /// Why it failed or was cancelled, as the venue said.
    pub reason: Option<String>,
    trade_ids: BTreeSet<String>,
}

impl Order {
    pub fn new(request: OrderRequest) -> Self {
        Self {
            request,
            state: OrderState::PendingSubmit,
            venue_order_id: None,
            filled: Decimal::ZERO,
            filled_quote: Decimal::ZERO,
            reason: None,
            trade_ids: BTreeSet::new(),
        }
    }

    pub fn client_id(&self) -> &ClientOrderId {
        &self.request.client_id
    }

    /// The base amount still to fill (zero once filled; saturates instead of overflowing on an
    /// order record read back with absurd values).
    pub fn remaining(&self) -> Decimal {
        self.request.amount.saturating_sub(self.filled)
    }

    /// Average fill price, if anything filled (`None` also when the quotient does not fit a
    /// `Decimal`).
    pub fn average_price(&self) -> Option<Decimal> {
        if self.filled.is_zero() {
            return None;
        }
        self.filled_quote.checked_div(self.filled)
    }

    /// Moves to `to` if the state machine allows it.
    pub fn transition(&mut self, to: OrderState) -> Result<(), CoreError> {
        if !self.state.can_transition_to(to) {
            return Err(CoreError::IllegalTransition {
                id: self.request.client_id.to_string(),
                from: self.state,
                to,
            });
        }
        self.state = to;
        Ok(())
    }

    /// Whether this trade id was already counted.
    pub fn has_fill(&self, trade_id: &str) -> bool {
        self.trade_ids.contains(trade_id)
    }

    /// Records a fill once (deduplicated by trade id) and moves the state to partially filled or
    /// filled. Returns `Ok(false)` for a fill already counted. A fill beyond the order amount, or a
    /// fill reaching a failed order, is an error.
    pub fn apply_fill(&mut self, fill: &Fill) -> Result<bool, CoreError> {
        if fill
            .client_id
            .as_ref()
            .is_some_and(|c| c != &self.request.client_id)
        {
            return Err(CoreError::FillMismatch {
                id: self.request.client_id.to_string(),
                trade_id: fill.trade_id.clone(),
            });
        }
        if self.trade_ids.contains(&fill.trade_id) {
            return Ok(false);
        }
        if fill.amount <= Decimal::ZERO {
            return Err(CoreError::InvalidOrder(format!(
                "{}: fill {} has a non-positive amount {}",
                self.request.client_id, fill.trade_id, fill.amount
            )));
        }
        // Amounts come from the venue: an absurd one is a typed error, never a panic (which would
        // kill the task applying the user stream).
        let overflow = |what: &str| CoreError::Overflow {
            what: format!(
                "order {}: fill {} ({} at {}): {what}",
                self.request.client_id, fill.trade_id, fill.amount, fill.price
            ),
        };
        let new_filled = self
            .filled
            .checked_add(fill.amount)
            .ok_or_else(|| overflow("filled amount"))?;
        let new_filled_quote = fill
            .price
            .checked_mul(fill.amount)
            .and_then(|q| self.filled_quote.checked_add(q))
            .ok_or_else(|| overflow("filled quote amount"))?;
        if new_filled > self.request.amount {
            return Err(CoreError::Overfill {
                id: self.request.client_id.to_string(),
                trade_id: fill.trade_id.clone(),
                amount: fill.amount,
                filled: self.filled,
                order_amount: self.request.amount,
            });
        }
        let next = if new_filled == self.request.amount {
            OrderState::Filled
        } else {
            OrderState::PartiallyFilled
        };
        match self.state {
            // The cancel lost a race with this fill: the fill is real. It completes the order if it
            // fills it; a partial fill leaves the order cancelled.
            OrderState::Cancelled => {
                if next == OrderState::Filled {
                    self.state = OrderState::Filled;
                }
            }
            _ => self.transition(next)?,
        }
        self.trade_ids.insert(fill.trade_id.clone());
        self.filled = new_filled;
        self.filled_quote = new_filled_quote;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Asset;
    use rust_decimal_macros::dec;

    fn request() -> OrderRequest {
        OrderRequest {
            client_id: ClientOrderId::new("abc-1").unwrap(),
            pair: "ETH-USDT".parse().unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: dec!(2),
            price: Some(dec!(100)),
            time_in_force: TimeInForce::Gtc,
            deadline: None,
        }
    }

    fn fill(trade: &str, amount: Decimal) -> Fill {
        Fill {
            venue: "binance".into(),
            trade_id: trade.into(),
            client_id: Some(ClientOrderId::new("abc-1").unwrap()),
            venue_order_id: Some("1".into()),
            pair: "ETH-USDT".parse().unwrap(),
            side: Side::Buy,
            price: dec!(100),
            amount,
            fee_asset: Asset::new("USDT").unwrap(),
            fee_amount: dec!(0.1),
            is_maker: true,
            timestamp_ms: 0,
        }
    }

    /// The full table: every pair of states is either allowed or a typed error.
    #[test]
    fn every_transition() {
        use OrderState::*;
        let allowed: &[(OrderState, &[OrderState])] = &[
            (
                PendingSubmit,
                &[
                    Open,
                    PartiallyFilled,
                    Filled,
                    PendingCancel,
                    Cancelled,
                    Failed,
                    Unknown,
                ],
            ),
            (
                Open,
                &[
                    PartiallyFilled,
                    Filled,
                    PendingCancel,
                    Cancelled,
                    Failed,
                    Unknown,
                ],
            ),
            (
                PartiallyFilled,
                &[PartiallyFilled, Filled, PendingCancel, Cancelled, Unknown],
            ),
            (
                PendingCancel,
                &[Open, PartiallyFilled, Filled, Cancelled, Unknown],
            ),
            (
                Unknown,
                &[
                    Open,
                    PartiallyFilled,
                    Filled,
                    PendingCancel,
                    Cancelled,
                    Failed,
                    Unknown,
                ],
            ),
            (Filled, &[]),
            (Cancelled, &[]),
            (Failed, &[]),
        ];
        let mut checked = 0;
        for (from, tos) in allowed {
            for to in OrderState::ALL {
                let mut o = Order::new(request());
                o.state = *from;
                let r = o.transition(to);
                if tos.contains(&to) {
                    assert!(r.is_ok(), "{from:?} -> {to:?} must be allowed");
                    assert_eq!(o.state, to);
                } else {
                    assert_eq!(
                        r,
                        Err(CoreError::IllegalTransition {
                            id: "abc-1".into(),
                            from: *from,
                            to
                        }),
                        "{from:?} -> {to:?} must be refused"
                    );
                    assert_eq!(o.state, *from, "a refused transition changes nothing");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 64);
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn fills_are_counted_once_and_drive_the_state() {
        let mut o = Order::new(request());
        o.transition(OrderState::Open).unwrap();
        assert_eq!(o.apply_fill(&fill("t1", dec!(0.5))), Ok(true));
        assert_eq!(o.state, OrderState::PartiallyFilled);
        assert_eq!(
            o.apply_fill(&fill("t1", dec!(0.5))),
            Ok(false),
            "duplicate ignored"
        );
        assert_eq!(o.filled, dec!(0.5));
        assert_eq!(o.apply_fill(&fill("t2", dec!(0.5))), Ok(true));
        assert_eq!(o.state, OrderState::PartiallyFilled);
        assert!(matches!(
            o.apply_fill(&fill("t3", dec!(1.5))),
            Err(CoreError::Overfill { .. })
        ));
        assert_eq!(o.filled, dec!(1), "a refused fill changes nothing");
        assert_eq!(o.apply_fill(&fill("t3", dec!(1))), Ok(true));
        assert_eq!(o.state, OrderState::Filled);
        assert_eq!(o.average_price(), Some(dec!(100)));
        assert_eq!(o.remaining(), dec!(0));
    }

    /// Amounts from a venue that overflow a `Decimal` (price × amount, the running sums) are a
    /// typed error that changes nothing, never a panic; so is an average that does not fit.
    #[test]
    fn absurd_fill_amounts_are_typed_errors() {
        let mut req = request();
        req.amount = Decimal::MAX;
        let mut o = Order::new(req);
        o.transition(OrderState::Open).unwrap();
        let mut huge = fill("t1", Decimal::MAX);
        huge.price = Decimal::MAX;
        assert!(matches!(
            o.apply_fill(&huge),
            Err(CoreError::Overflow { .. })
        ));
        assert_eq!((o.filled, o.filled_quote), (dec!(0), dec!(0)));
        let mut big = fill("t2", Decimal::MAX - dec!(1));
        big.price = dec!(1);
        assert_eq!(o.apply_fill(&big), Ok(true));
        let mut more = fill("t3", dec!(2));
        more.price = dec!(1);
        assert!(matches!(
            o.apply_fill(&more),
            Err(CoreError::Overflow { .. })
        ));
        assert_eq!(o.filled, Decimal::MAX - dec!(1));
        // a tiny fill at a huge price: the average does not fit
        let mut o = Order::new(request());
        o.filled = Decimal::new(1, 28);
        o.filled_quote = Decimal::MAX;
        assert_eq!(o.average_price(), None);
        o.filled = Decimal::MAX;
        o.request.amount = Decimal::MIN;
        assert_eq!(o.remaining(), Decimal::MIN);
    }

    #[test]
    fn late_fill_after_cancel_counts() {
        let mut o = Order::new(request());
        o.transition(OrderState::Open).unwrap();
        o.transition(OrderState::Cancelled).unwrap();
        assert_eq!(o.apply_fill(&fill("late", dec!(2))), Ok(true));
        assert_eq!(o.state, OrderState::Filled);
        let mut wrong = fill("x", dec!(1));
        wrong.client_id = Some(ClientOrderId::new("other").unwrap());
        assert!(matches!(
            o.apply_fill(&wrong),
            Err(CoreError::FillMismatch { .. })
        ));
    }

    #[test]
    fn request_shapes() {
        let mut r = request();
        assert!(r.check_shape().is_ok());
        r.price = None;
        assert!(r.check_shape().is_err());
        r.order_type = OrderType::Market;
        assert!(r.check_shape().is_ok());
        r.order_type = OrderType::Swap;
        r.price = Some(dec!(1));
        assert!(r.check_shape().is_err(), "swap without deadline");
        r.deadline = Some(1);
        assert!(r.check_shape().is_ok());
        r.amount = dec!(0);
        assert!(r.check_shape().is_err());
        assert!(ClientOrderId::new("").is_err());
        assert!(ClientOrderId::new("a b").is_err());
        assert!(ClientOrderId::new(&"x".repeat(65)).is_err());
        let g = ClientOrderId::generate("sl-");
        assert_eq!(g.as_str().len(), 23);
    }
}
