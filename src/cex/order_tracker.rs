//! The order tracker: every order this process sent, moved through the state machine of
//! `core::order` by what the exchange reports (stream or polling), with fills counted once per
//! trade id. Orders the exchange says it does not know are checked again a bounded number of times,
//! then marked lost (`Unknown`) — and still reconciled if they turn up later.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::core::{ClientOrderId, CoreError, Fill, Order, OrderRequest, OrderState, VenueEvent};

/// Longest client order id Binance accepts (`^[.A-Z:/a-z0-9_-]{1,36}$`).
/// A venue's rule for client order ids: the longest id it accepts and the characters allowed.
/// Each exchange declares its own (Binance: `^[.A-Z:/a-z0-9_-]{1,36}$`).
#[derive(Debug, Clone, Copy)]
pub struct ClientIdRule {
    pub max_len: usize,
    /// Whether the exchange accepts this character in an id.
    pub allowed: fn(char) -> bool,
}

impl ClientIdRule {
    /// Refuses an id the exchange would refuse: too long, or with a character it does not accept.
    pub fn check(&self, id: &ClientOrderId) -> Result<(), CoreError> {
        check_client_id(id, self.max_len)?;
        if !id.as_str().chars().all(self.allowed) {
            return Err(CoreError::InvalidClientOrderId(
                id.to_string(),
                "has a character this exchange does not accept",
            ));
        }
        Ok(())
    }

    /// A fresh id under this rule: `prefix` plus random letters and digits.
    pub fn fresh(&self, prefix: &str) -> Result<ClientOrderId, CoreError> {
        new_client_id(prefix, self.max_len)
    }
}

/// A fresh client order id: `prefix` plus random characters, `max_len` characters in total.
pub fn new_client_id(prefix: &str, max_len: usize) -> Result<ClientOrderId, CoreError> {
    use rand::Rng;
    use rand::distributions::Alphanumeric;
    if prefix.len() >= max_len {
        return Err(CoreError::InvalidClientOrderId(
            prefix.to_string(),
            "prefix leaves no room for a unique part",
        ));
    }
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take((max_len - prefix.len()).min(24))
        .map(char::from)
        .collect();
    ClientOrderId::new(&format!("{prefix}{tail}"))
}

/// Checks a client id against an exchange's length limit (the character set is `ClientOrderId`'s).
pub fn check_client_id(id: &ClientOrderId, max_len: usize) -> Result<(), CoreError> {
    if id.as_str().len() > max_len {
        return Err(CoreError::InvalidClientOrderId(
            id.to_string(),
            "longer than this exchange accepts",
        ));
    }
    Ok(())
}

/// What the exchange said about an order (from the user stream or a status poll).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderReport {
    pub client_id: ClientOrderId,
    pub venue_order_id: Option<String>,
    /// The order's status at the exchange. Fill states (partially filled, filled) are taken from
    /// the fills themselves, so a status ahead of the fills we hold does not mark the order filled.
    pub state: OrderState,
    pub reason: Option<String>,
    /// A fill carried by this report (an execution report of a trade).
    pub fill: Option<Fill>,
    /// Base amount the exchange says is filled in total.
    pub cumulative_filled: Option<Decimal>,
}

#[derive(Debug, Clone)]
struct Tracked {
    order: Order,
    /// Consecutive polls where the exchange did not know the order.
    missing_checks: u32,
    /// Marked lost after too many such polls (until the exchange reports it again).
    lost: bool,
}

/// Orders of one venue.
#[derive(Debug)]
pub struct OrderTracker {
    venue: String,
    orders: HashMap<ClientOrderId, Tracked>,
    /// Polls answered "unknown order" before the order is marked lost.
    pub max_missing_checks: u32,
}

impl OrderTracker {
    pub fn new(venue: &str) -> Self {
        Self {
            venue: venue.to_string(),
            orders: HashMap::new(),
            max_missing_checks: 3,
        }
    }

    /// Starts tracking an order about to be sent (state `PendingSubmit`).
    pub fn track(&mut self, request: OrderRequest) -> Result<(), CoreError> {
        if self.orders.contains_key(&request.client_id) {
            return Err(CoreError::InvalidOrder(format!(
                "client order id {} is already in use",
                request.client_id
            )));
        }
        self.orders.insert(
            request.client_id.clone(),
            Tracked {
                order: Order::new(request),
                missing_checks: 0,
                lost: false,
            },
        );
        Ok(())
    }

    pub fn get(&self, id: &ClientOrderId) -> Option<&Order> {
        self.orders.get(id).map(|t| &t.order)
    }

    pub fn orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.values().map(|t| &t.order)
    }

    /// Orders whose outcome is not final: the ones to poll.
    pub fn to_reconcile(&self) -> Vec<ClientOrderId> {
        let mut v: Vec<_> = self
            .orders
            .values()
            .filter(|t| t.order.state.is_live())
            .map(|t| t.order.client_id().clone())
            .collect();
        v.sort();
        v
    }

    /// Applies a report; returns the events to publish (nothing if it carried no news).
    pub fn apply(&mut self, report: OrderReport) -> Result<Vec<VenueEvent>, CoreError> {
        let venue = self.venue.clone();
        let t = self.orders.get_mut(&report.client_id).ok_or_else(|| {
            CoreError::InvalidOrder(format!("untracked order {}", report.client_id))
        })?;
        t.missing_checks = 0;
        t.lost = false;
        let o = &mut t.order;
        let before = (o.state, o.filled);
        if o.venue_order_id.is_none() {
            o.venue_order_id = report.venue_order_id.clone();
        }
        let mut events = Vec::new();
        if let Some(mut fill) = report.fill {
            fill.venue = venue;
            if o.apply_fill(&fill)? {
                events.push(VenueEvent::Fill(fill));
            }
        }
        let target = match report.state {
            // Fill states follow the fills we hold.
            OrderState::PartiallyFilled | OrderState::Filled => {
                if o.filled.is_zero() && o.state != OrderState::Open {
                    Some(OrderState::Open)
                } else {
                    None
                }
            }
            s => Some(s),
        };
        if let Some(s) = target
            && s != o.state
        {
            if o.state.can_transition_to(s) {
                o.state = s;
                if report.reason.is_some() {
                    o.reason = report.reason.clone();
                }
            } else if !o.state.is_terminal() {
                tracing::debug!(
                    order = %o.client_id(),
                    "ignoring report {s} in state {}",
                    o.state
                );
            }
        }
        if (o.state, o.filled) != before {
            events.push(VenueEvent::Order {
                client_id: o.client_id().clone(),
                venue_order_id: o.venue_order_id.clone(),
                state: o.state,
                reason: o.reason.clone(),
            });
        }
        if let Some(c) = report.cumulative_filled
            && c > o.filled
        {
            tracing::debug!(
                order = %o.client_id(),
                "exchange reports {c} filled, {} counted so far; trades will be polled",
                o.filled
            );
        }
        Ok(events)
    }

    /// Whether the exchange reports more filled than the fills we hold (trades must be fetched).
    pub fn missing_fills(&self, id: &ClientOrderId, exchange_filled: Decimal) -> bool {
        self.get(id).is_some_and(|o| exchange_filled > o.filled)
    }

    /// A send failed without an answer (timeout, connection lost): the order may or may not exist.
    pub fn mark_unknown(&mut self, id: &ClientOrderId, reason: &str) -> Vec<VenueEvent> {
        self.set_state(id, OrderState::Unknown, Some(reason))
    }

    /// The exchange refused the order or a cancel succeeded synchronously, etc.
    pub fn set_state(
        &mut self,
        id: &ClientOrderId,
        state: OrderState,
        reason: Option<&str>,
    ) -> Vec<VenueEvent> {
        let Some(t) = self.orders.get_mut(id) else {
            return Vec::new();
        };
        let o = &mut t.order;
        if o.state == state || !o.state.can_transition_to(state) {
            return Vec::new();
        }
        o.state = state;
        if let Some(r) = reason {
            o.reason = Some(r.to_string());
        }
        vec![VenueEvent::Order {
            client_id: o.client_id().clone(),
            venue_order_id: o.venue_order_id.clone(),
            state,
            reason: o.reason.clone(),
        }]
    }

    /// A poll found that the exchange does not know the order. After `max_missing_checks` such polls
    /// in a row the order is marked lost (`Unknown`); it stays in [`Self::to_reconcile`].
    pub fn not_found(&mut self, id: &ClientOrderId) -> Vec<VenueEvent> {
        let max = self.max_missing_checks;
        let Some(t) = self.orders.get_mut(id) else {
            return Vec::new();
        };
        t.missing_checks += 1;
        if t.missing_checks < max || t.lost || !t.order.state.can_transition_to(OrderState::Unknown)
        {
            return Vec::new();
        }
        t.lost = true;
        let o = &mut t.order;
        o.state = OrderState::Unknown;
        o.reason = Some(format!(
            "lost: the exchange did not know the order in {} checks",
            t.missing_checks
        ));
        vec![VenueEvent::Order {
            client_id: o.client_id().clone(),
            venue_order_id: o.venue_order_id.clone(),
            state: o.state,
            reason: o.reason.clone(),
        }]
    }

    /// Whether the order was marked lost (and not heard of since).
    pub fn is_lost(&self, id: &ClientOrderId) -> bool {
        self.orders.get(id).is_some_and(|t| t.lost)
    }

    pub fn missing_checks(&self, id: &ClientOrderId) -> u32 {
        self.orders.get(id).map_or(0, |t| t.missing_checks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Asset, OrderType, Side, TimeInForce};
    use rust_decimal_macros::dec;

    fn req(id: &str) -> OrderRequest {
        OrderRequest {
            client_id: ClientOrderId::new(id).unwrap(),
            pair: "BTC-USDT".parse().unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: dec!(2),
            price: Some(dec!(100)),
            time_in_force: TimeInForce::Gtc,
            deadline: None,
        }
    }

    fn fill(id: &str, trade: &str, amount: Decimal) -> Fill {
        Fill {
            venue: String::new(),
            trade_id: trade.into(),
            client_id: Some(ClientOrderId::new(id).unwrap()),
            venue_order_id: Some("7".into()),
            pair: "BTC-USDT".parse().unwrap(),
            side: Side::Buy,
            price: dec!(100),
            amount,
            fee_asset: Asset::new("USDT").unwrap(),
            fee_amount: dec!(0.01),
            is_maker: false,
            timestamp_ms: 1,
        }
    }

    fn report(id: &str, state: OrderState, f: Option<Fill>) -> OrderReport {
        OrderReport {
            client_id: ClientOrderId::new(id).unwrap(),
            venue_order_id: Some("7".into()),
            state,
            reason: None,
            fill: f,
            cumulative_filled: None,
        }
    }

    #[test]
    fn client_ids_fit_binance() {
        let rule = ClientIdRule {
            max_len: 36,
            allowed: |c| c.is_ascii_alphanumeric() || c == '-',
        };
        let id = rule.fresh("sl-").unwrap();
        assert!(rule.check(&id).is_ok());
        assert!(rule.check(&ClientOrderId::new("a.b").unwrap()).is_err());
        assert!(id.as_str().len() <= 36 && id.as_str().starts_with("sl-"));
        assert!(check_client_id(&id, 36).is_ok());
        let long = ClientOrderId::new(&"a".repeat(37)).unwrap();
        assert!(check_client_id(&long, 36).is_err());
        assert!(new_client_id(&"p".repeat(36), 36).is_err());
    }

    #[test]
    fn lifecycle_with_duplicate_fills() {
        let mut t = OrderTracker::new("binance");
        t.track(req("a")).unwrap();
        assert!(t.track(req("a")).is_err());
        let ev = t.apply(report("a", OrderState::Open, None)).unwrap();
        assert_eq!(ev.len(), 1);
        let ev = t
            .apply(report(
                "a",
                OrderState::PartiallyFilled,
                Some(fill("a", "t1", dec!(0.5))),
            ))
            .unwrap();
        assert!(matches!(ev[0], VenueEvent::Fill(ref f) if f.venue == "binance"));
        // the same trade again (stream + poll): nothing new
        let ev = t
            .apply(report(
                "a",
                OrderState::PartiallyFilled,
                Some(fill("a", "t1", dec!(0.5))),
            ))
            .unwrap();
        assert!(ev.is_empty());
        // a poll says FILLED before we hold the trade: state stays partially filled
        t.apply(report("a", OrderState::Filled, None)).unwrap();
        let o = t.get(&ClientOrderId::new("a").unwrap()).unwrap();
        assert_eq!(
            (o.state, o.filled),
            (OrderState::PartiallyFilled, dec!(0.5))
        );
        assert!(t.missing_fills(o.client_id(), dec!(2)));
        t.apply(report(
            "a",
            OrderState::Filled,
            Some(fill("a", "t2", dec!(1.5))),
        ))
        .unwrap();
        let o = t.get(&ClientOrderId::new("a").unwrap()).unwrap();
        assert_eq!((o.state, o.filled), (OrderState::Filled, dec!(2)));
        assert!(t.to_reconcile().is_empty());
    }

    #[test]
    fn rejects_and_cancels() {
        let mut t = OrderTracker::new("binance");
        t.track(req("r")).unwrap();
        let mut r = report("r", OrderState::Failed, None);
        r.reason = Some("Order would immediately match and take.".into());
        t.apply(r).unwrap();
        let o = t.get(&ClientOrderId::new("r").unwrap()).unwrap();
        assert_eq!(o.state, OrderState::Failed);
        assert!(o.reason.as_deref().unwrap().contains("immediately match"));
        t.track(req("c")).unwrap();
        t.apply(report("c", OrderState::Open, None)).unwrap();
        let id = ClientOrderId::new("c").unwrap();
        assert_eq!(t.set_state(&id, OrderState::PendingCancel, None).len(), 1);
        t.apply(report("c", OrderState::Cancelled, None)).unwrap();
        assert_eq!(t.get(&id).unwrap().state, OrderState::Cancelled);
    }

    #[test]
    fn unknown_orders_become_lost_and_can_come_back() {
        let mut t = OrderTracker::new("binance");
        t.max_missing_checks = 2;
        t.track(req("x")).unwrap();
        let id = ClientOrderId::new("x").unwrap();
        t.mark_unknown(&id, "timeout");
        assert!(t.not_found(&id).is_empty());
        let ev = t.not_found(&id);
        assert!(
            matches!(&ev[0], VenueEvent::Order { state: OrderState::Unknown, reason: Some(r), .. } if r.contains("lost"))
        );
        assert!(t.is_lost(&id));
        assert!(t.not_found(&id).is_empty(), "marked lost once");
        assert_eq!(
            t.to_reconcile(),
            vec![id.clone()],
            "lost orders are still polled"
        );
        // it turns up filled after all
        t.apply(report(
            "x",
            OrderState::Filled,
            Some(fill("x", "t9", dec!(2))),
        ))
        .unwrap();
        assert_eq!(t.get(&id).unwrap().state, OrderState::Filled);
        assert_eq!(t.missing_checks(&id), 0);
        assert!(!t.is_lost(&id));
    }
}
