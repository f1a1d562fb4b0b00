//! Orders at an exchange venue, the same rules for every exchange: an order is tracked before it
//! is sent; a refusal fails it, an answer applies it (and the fills it carries), and no answer
//! marks it `Unknown` to be reconciled — never resent. A failed cancel restores the order's state
//! and asks the exchange where it is. Adoption of orders an earlier process sent, and the
//! reconciler that polls what the private stream may have missed.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::order_tracker::OrderReport;
use crate::core::{
    ClientOrderId, Order, OrderRequest, OrderState, OrderType, Pair, PerpOrder, Side,
};
use crate::venue::VenueError;

use super::exchange::{ExchangeApi, Market, OrderAck};
use super::{ExchangeVenue, LiveBookView, lock, spawn_weak_loop};

/// `UnknownOrder` from the exchange: it has no such order.
fn is_unknown_order(e: &CexError) -> bool {
    matches!(
        e,
        CexError::Api {
            kind: ApiErrorKind::UnknownOrder,
            ..
        }
    )
}

/// Whether a failed request certainly did not place the order: the exchange refused it (an error
/// body below HTTP 500), or a rate limit kept it from being sent or accepted.
fn certainly_not_placed(e: &CexError) -> bool {
    match e {
        CexError::Api { status, .. } => *status < 500,
        CexError::RateLimited { .. } | CexError::Banned { .. } | CexError::Throttled(_) => true,
        _ => false,
    }
}

impl<E: ExchangeApi> ExchangeVenue<E> {
    /// The best price on the side an order of `side` takes, if the live book is synced.
    fn reference_price(&self, pair: &Pair, side: Side) -> Option<rust_decimal::Decimal> {
        let live = lock(&self.inner.books).get(pair).cloned()?;
        live.with_synced(|book, _| {
            let l = match side {
                Side::Buy => book.best_ask()?,
                Side::Sell => book.best_bid()?,
            };
            Some(book.price(l.ticks))
        })
        .flatten()
    }

    pub(super) async fn submit_order(
        &self,
        order: OrderRequest,
    ) -> Result<ClientOrderId, VenueError> {
        self.submit_tracked(order, None).await
    }

    /// A perpetual order: its options checked, then the same path as any order.
    pub(super) async fn submit_perp_order(
        &self,
        order: PerpOrder,
    ) -> Result<ClientOrderId, VenueError> {
        if !self.inner.exchange.perpetuals() {
            return Err(VenueError::NotSupported(format!(
                "{}: perpetual order {}",
                self.inner.id, order.order.client_id
            )));
        }
        order.check_shape()?;
        self.submit_tracked(order.order.clone(), Some(&order)).await
    }

    /// The market of `order`, once the order passed the id rule and the market's rules (what
    /// every order is checked against before it is sent, or dry-run).
    pub(super) async fn checked_market(&self, order: &OrderRequest) -> Result<Market, VenueError> {
        let market = self.market(&order.pair).await?;
        self.inner
            .exchange
            .client_id_rule()
            .check(&order.client_id)?;
        if order.order_type == OrderType::Swap {
            return Err(VenueError::NotSupported("swaps at a CEX".into()));
        }
        let reference = self.reference_price(&order.pair, order.side);
        market.rules.validate(order, reference)?;
        Ok(market)
    }

    /// Tracks `order`, then sends it (with its perpetual options, if any).
    async fn submit_tracked(
        &self,
        order: OrderRequest,
        perp: Option<&PerpOrder>,
    ) -> Result<ClientOrderId, VenueError> {
        let market = self.checked_market(&order).await?;
        let id = order.client_id.clone();
        lock(&self.inner.tracker).track(order.clone())?;
        let sent = match perp {
            None => {
                self.inner
                    .exchange
                    .submit(&self.inner.rest, &order, &market)
                    .await
            }
            Some(p) => {
                self.inner
                    .exchange
                    .submit_perp(&self.inner.rest, p, &market)
                    .await
            }
        };
        match sent {
            Ok(ack) => {
                let state = ack.state.unwrap_or(OrderState::Unknown);
                for fill in &ack.fills {
                    self.apply_report(OrderReport {
                        client_id: id.clone(),
                        venue_order_id: Some(ack.venue_order_id.clone()),
                        state,
                        reason: None,
                        fill: Some(fill.clone()),
                        cumulative_filled: ack.executed,
                    });
                }
                self.apply_report(OrderReport {
                    client_id: id.clone(),
                    venue_order_id: Some(ack.venue_order_id),
                    state,
                    reason: None,
                    fill: None,
                    cumulative_filled: ack.executed,
                });
                Ok(id)
            }
            Err(e) if certainly_not_placed(&e) => {
                let reason = match &e {
                    CexError::Api { msg, .. } => msg.clone(),
                    other => other.to_string(),
                };
                let ev =
                    lock(&self.inner.tracker).set_state(&id, OrderState::Failed, Some(&reason));
                self.publish_all(ev);
                Err(e.into())
            }
            Err(e) => {
                // No answer (or one we cannot read): the order may exist. Polling resolves it.
                let ev = lock(&self.inner.tracker).mark_unknown(&id, &e.to_string());
                self.publish_all(ev);
                Err(e.into())
            }
        }
    }

    pub(super) async fn cancel_order(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        let order = self
            .tracked(id)
            .ok_or_else(|| VenueError::UnknownOrder(id.clone()))?;
        let market = self.market(&order.request.pair).await?;
        let prior = order.state;
        let ev = lock(&self.inner.tracker).set_state(id, OrderState::PendingCancel, None);
        self.publish_all(ev);
        match self
            .inner
            .exchange
            .cancel(&self.inner.rest, id, &market)
            .await
        {
            Ok(ack) => {
                self.apply_report(OrderReport {
                    client_id: id.clone(),
                    venue_order_id: Some(ack.venue_order_id),
                    state: ack.state.unwrap_or(OrderState::Cancelled),
                    reason: None,
                    fill: None,
                    cumulative_filled: ack.executed,
                });
                Ok(())
            }
            Err(e) => {
                // The cancel was refused or got no answer: ask the exchange where the order is.
                if prior.is_live() {
                    let ev = lock(&self.inner.tracker).set_state(id, prior, None);
                    self.publish_all(ev);
                }
                if let Err(re) = self.reconcile_order(id).await {
                    tracing::warn!(order = %id, error = %re, "reconcile after a failed cancel failed");
                }
                Err(e.into())
            }
        }
    }

    /// The exchange's record of an order by client id; `None` if it has none.
    pub async fn query_order(&self, order: &OrderRequest) -> Result<Option<OrderAck>, VenueError> {
        let market = self.market(&order.pair).await?;
        match self
            .inner
            .exchange
            .query(&self.inner.rest, &order.client_id, &market)
            .await
        {
            Ok(ack) => Ok(Some(ack)),
            Err(e) if is_unknown_order(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Asks the exchange about one tracked order and applies what it says, fetching its trades if
    /// the exchange reports more filled than we counted. An order the exchange does not know is
    /// counted towards "lost" by the tracker.
    pub async fn reconcile_order(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        let order = match self.tracked(id) {
            Some(o) => o,
            None => self.adopt_open_order(id).await?,
        };
        let pair = order.request.pair.clone();
        let market = self.market(&pair).await?;
        let ack = match self
            .inner
            .exchange
            .query(&self.inner.rest, id, &market)
            .await
        {
            Ok(ack) => ack,
            Err(e) if is_unknown_order(&e) => {
                let ev = lock(&self.inner.tracker).not_found(id);
                self.publish_all(ev);
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let state = ack
            .state
            .ok_or_else(|| VenueError::Protocol(format!("unknown order status {}", ack.status)))?;
        let executed = ack.executed.unwrap_or_default();
        if lock(&self.inner.tracker).missing_fills(id, executed) {
            let trades = self
                .inner
                .exchange
                .order_trades(&self.inner.rest, id, &ack.venue_order_id, &market)
                .await?;
            for fill in trades {
                self.apply_report(OrderReport {
                    client_id: id.clone(),
                    venue_order_id: Some(ack.venue_order_id.clone()),
                    state,
                    reason: None,
                    fill: Some(fill),
                    cumulative_filled: Some(executed),
                });
            }
        }
        self.apply_report(OrderReport {
            client_id: id.clone(),
            venue_order_id: Some(ack.venue_order_id),
            state,
            reason: (state == OrderState::Failed).then_some(ack.status),
            fill: None,
            cumulative_filled: Some(executed),
        });
        Ok(())
    }

    /// Starts tracking an order sent earlier (by a previous run): its outcome is then reconciled
    /// like any other. The pair tells which symbol to ask about.
    pub fn adopt(&self, request: OrderRequest) -> Result<(), VenueError> {
        let mut t = lock(&self.inner.tracker);
        if t.get(&request.client_id).is_none() {
            t.track(request)?;
        }
        Ok(())
    }

    /// Orders open at the exchange (all symbols, or one pair), as shared orders.
    pub async fn open_orders(&self, pair: Option<&Pair>) -> Result<Vec<Order>, VenueError> {
        let symbol = match pair {
            Some(p) => Some(self.market(p).await?.rules.venue_symbol),
            None => None,
        };
        let markets = self.load_markets().await?;
        Ok(self
            .inner
            .exchange
            .open_orders(&self.inner.rest, &markets, symbol.as_deref())
            .await?)
    }

    /// An order this process does not track: looked up among the account's open orders (every
    /// symbol) and adopted. A closed order cannot be found without its pair: `UnknownOrder`.
    pub async fn adopt_open_order(&self, id: &ClientOrderId) -> Result<Order, VenueError> {
        for o in self.open_orders(None).await? {
            if &o.request.client_id != id {
                continue;
            }
            self.adopt(o.request)?;
            if let Some(order) = self.tracked(id) {
                return Ok(order);
            }
        }
        Err(VenueError::UnknownOrder(id.clone()))
    }

    /// Polls every order whose outcome is not final.
    pub async fn reconcile(&self) -> Result<(), VenueError> {
        let ids = lock(&self.inner.tracker).to_reconcile();
        for id in ids {
            if let Err(e) = self.reconcile_order(&id).await {
                tracing::warn!(order = %id, error = %e, "reconcile failed");
            }
        }
        Ok(())
    }

    /// Polls open orders every `every` in the background (until the task is aborted or the venue
    /// dropped).
    pub fn spawn_reconciler(&self, every: Duration) -> JoinHandle<()> {
        spawn_weak_loop(self, every)
    }
}
