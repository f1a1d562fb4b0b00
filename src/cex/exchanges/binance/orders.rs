//! Orders at Binance: sending (`POST /api/v3/order`, the response's fills applied at once),
//! cancelling, querying one by client id, adopting an order placed elsewhere, and the reconciler
//! that polls what the user stream may have missed. The `Venue` impl in `mod.rs` delegates here.

use super::*;

/// The unsigned `POST /api/v3/order` request for `order` on the exchange's `symbol`: the parameters
/// in the order `submit` sends them (signing adds `recvWindow`, `timestamp` and `signature`).
pub fn order_request(order: &OrderRequest, symbol: &str) -> ApiRequest {
    let side = match order.side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    };
    let mut req = ApiRequest::new(Method::POST, "/api/v3/order")
        .param("symbol", symbol)
        .param("side", side);
    req = match order.order_type {
        OrderType::Limit => req.param("type", "LIMIT").param(
            "timeInForce",
            match order.time_in_force {
                TimeInForce::Gtc => "GTC",
                TimeInForce::Ioc => "IOC",
                TimeInForce::Fok => "FOK",
            },
        ),
        OrderType::LimitMaker => req.param("type", "LIMIT_MAKER"),
        _ => req.param("type", "MARKET"),
    };
    req = req.param("quantity", order.amount.normalize());
    if let Some(p) = order.price
        && order.order_type != OrderType::Market
    {
        req = req.param("price", p.normalize());
    }
    req.param("newClientOrderId", &order.client_id)
        .param("newOrderRespType", "FULL")
        .signed()
        .cost(REQUEST_WEIGHT, 1)
        .cost(ORDERS, 1)
        .cost(RAW_REQUESTS, 1)
}

impl BinanceSpot {
    pub(super) async fn submit_order(
        &self,
        order: OrderRequest,
    ) -> Result<ClientOrderId, VenueError> {
        let market = self.market(&order.pair).await?;
        api::CLIENT_ID_RULE.check(&order.client_id)?;
        if order.order_type == OrderType::Swap {
            return Err(VenueError::NotSupported("swaps at a CEX".into()));
        }
        let reference = self.reference_price(&order.pair, order.side);
        market.rules.validate(&order, reference)?;
        let id = order.client_id.clone();
        let req = order_request(&order, &market.rules.venue_symbol);
        lock(&self.inner.tracker).track(order.clone())?;
        match self.inner.rest.request(&req).await {
            Ok(body) => {
                let resp: OrderResponse = match decode("new order", &body) {
                    Ok(r) => r,
                    Err(e) => {
                        let ev = lock(&self.inner.tracker).mark_unknown(&id, &e.to_string());
                        self.publish_all(ev);
                        return Err(e.into());
                    }
                };
                let state = order_state(&resp.status).unwrap_or(OrderState::Unknown);
                let pair = order.pair.clone();
                for f in &resp.fills {
                    let fill = crate::core::Fill {
                        venue: String::new(),
                        trade_id: self::api::fill_trade_id(&pair, f.trade_id),
                        client_id: Some(id.clone()),
                        venue_order_id: Some(resp.order_id.to_string()),
                        pair: pair.clone(),
                        side: order.side,
                        price: f.price,
                        amount: f.qty,
                        fee_asset: crate::core::Asset::new(&f.commission_asset)?,
                        fee_amount: f.commission,
                        is_maker: false,
                        timestamp_ms: 0,
                    };
                    self.apply_report(OrderReport {
                        client_id: id.clone(),
                        venue_order_id: Some(resp.order_id.to_string()),
                        state,
                        reason: None,
                        fill: Some(fill),
                        cumulative_filled: resp.executed_qty,
                    });
                }
                self.apply_report(OrderReport {
                    client_id: id.clone(),
                    venue_order_id: Some(resp.order_id.to_string()),
                    state,
                    reason: None,
                    fill: None,
                    cumulative_filled: resp.executed_qty,
                });
                Ok(id)
            }
            Err(CexError::Api {
                status,
                code,
                msg,
                kind,
            }) if status < 500 => {
                let ev = lock(&self.inner.tracker).set_state(&id, OrderState::Failed, Some(&msg));
                self.publish_all(ev);
                Err(CexError::Api {
                    status,
                    code,
                    msg,
                    kind,
                }
                .into())
            }
            Err(
                e @ (CexError::RateLimited { .. }
                | CexError::Banned { .. }
                | CexError::Throttled(_)),
            ) => {
                let ev = lock(&self.inner.tracker).set_state(
                    &id,
                    OrderState::Failed,
                    Some(&e.to_string()),
                );
                self.publish_all(ev);
                Err(e.into())
            }
            Err(e) => {
                // No answer: the order may exist. Polling resolves it.
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
        let req = ApiRequest::new(Method::DELETE, "/api/v3/order")
            .param("symbol", &market.rules.venue_symbol)
            .param("origClientOrderId", id)
            .signed()
            .cost(REQUEST_WEIGHT, 1)
            .cost(RAW_REQUESTS, 1);
        match self.inner.rest.request(&req).await {
            Ok(body) => {
                let resp: OrderResponse = decode("cancel", &body)?;
                let state = order_state(&resp.status).unwrap_or(OrderState::Cancelled);
                self.apply_report(OrderReport {
                    client_id: id.clone(),
                    venue_order_id: Some(resp.order_id.to_string()),
                    state,
                    reason: None,
                    fill: None,
                    cumulative_filled: resp.executed_qty,
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

    /// The exchange's record of an order by client id (`GET /api/v3/order`); `None` if it has none.
    pub(super) async fn query_order(
        &self,
        order: &OrderRequest,
    ) -> Result<Option<OrderResponse>, VenueError> {
        let market = self.market(&order.pair).await?;
        let req = ApiRequest::new(Method::GET, "/api/v3/order")
            .param("symbol", &market.rules.venue_symbol)
            .param("origClientOrderId", &order.client_id)
            .signed()
            .cost(REQUEST_WEIGHT, 4)
            .cost(RAW_REQUESTS, 1);
        match self.inner.rest.request(&req).await {
            Ok(body) => Ok(Some(decode("order", &body)?)),
            Err(CexError::Api {
                code: code::NO_SUCH_ORDER,
                ..
            }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Asks the exchange about one tracked order and applies what it says, fetching its trades if
    /// the exchange reports more filled than we counted.
    pub async fn reconcile_order(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        let order = match self.tracked(id) {
            Some(o) => o,
            None => self.adopt_open_order(id).await?,
        };
        let pair = order.request.pair.clone();
        let market = self.market(&pair).await?;
        let req = ApiRequest::new(Method::GET, "/api/v3/order")
            .param("symbol", &market.rules.venue_symbol)
            .param("origClientOrderId", id)
            .signed()
            .cost(REQUEST_WEIGHT, 4)
            .cost(RAW_REQUESTS, 1);
        let body = match self.inner.rest.request(&req).await {
            Ok(b) => b,
            Err(CexError::Api {
                code: code::NO_SUCH_ORDER,
                ..
            }) => {
                let ev = lock(&self.inner.tracker).not_found(id);
                self.publish_all(ev);
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let resp: OrderResponse = decode("order", &body)?;
        let state = order_state(&resp.status)
            .ok_or_else(|| VenueError::Protocol(format!("unknown order status {}", resp.status)))?;
        let executed = resp.executed_qty.unwrap_or_default();
        if lock(&self.inner.tracker).missing_fills(id, executed) {
            for t in self.account_trades(&pair, Some(resp.order_id)).await? {
                let fill = t.to_fill(id, &pair)?;
                self.apply_report(OrderReport {
                    client_id: id.clone(),
                    venue_order_id: Some(resp.order_id.to_string()),
                    state,
                    reason: None,
                    fill: Some(fill),
                    cumulative_filled: Some(executed),
                });
            }
        }
        self.apply_report(OrderReport {
            client_id: id.clone(),
            venue_order_id: Some(resp.order_id.to_string()),
            state,
            reason: (state == OrderState::Failed).then(|| resp.status.clone()),
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

    /// An order this process does not track: looked up among the account's open orders (every
    /// symbol) and adopted. A closed order cannot be found without its pair: `UnknownOrder`.
    pub async fn adopt_open_order(&self, id: &ClientOrderId) -> Result<Order, VenueError> {
        let markets = self.load_markets().await?;
        for o in self.open_orders(None).await? {
            if o.client_order_id != id.as_str() {
                continue;
            }
            let Some(pair) = markets.by_symbol.get(&o.symbol) else {
                break;
            };
            self.adopt(o.to_request(pair)?)?;
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

    /// Polls open orders every `every` in the background.
    pub fn spawn_reconciler(&self, every: Duration) -> JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut t = tokio::time::interval(every);
            loop {
                t.tick().await;
                let _ = me.reconcile().await;
            }
        })
    }
}
