//! The private user stream of the Binance connector: started by the WebSocket API subscription or
//! the legacy listenKey stream (whichever the server speaks, or the one configured), and consumed:
//! each order, fill and balance message applied to the order tracker and published as venue events.

use super::*;

impl BinanceSpot {
    /// Starts the private user stream (needs credentials) by the mechanism of
    /// [`BinanceConfig::user_stream`], and returns once it is subscribed (or, for a forced
    /// `ws_api` whose endpoint does not answer yet, retrying in the background). Idempotent.
    pub async fn start_user_stream(&self) -> Result<(), VenueError> {
        let signer = self
            .inner
            .rest
            .signer()
            .cloned()
            .ok_or_else(|| VenueError::Auth("the user stream needs API keys".into()))?;
        let _starting = self.inner.user_stream_start.lock().await;
        if lock(&self.inner.user_stream).is_some() {
            return Ok(());
        }
        let markets = self.load_markets().await?;
        let cfg = &self.inner.cfg;
        let started = match cfg.user_stream {
            UserStreamMode::ListenKey => self.start_listen_key(markets).await?,
            mode => {
                let ws = StreamConfig::new(&format!("{} user stream", cfg.name), &cfg.ws_api_url);
                let (handle, rx, first) =
                    user::start_ws_api(&self.inner.rest, signer, ws, cfg.user_stream_timeout).await;
                let auto = mode == UserStreamMode::Auto;
                match first {
                    WsApiStart::Subscribed => {
                        self.log_mechanism(UserStreamMode::WsApi);
                        self.consume(UserStreamMode::WsApi, handle, None, rx, markets, None)
                    }
                    WsApiStart::Refused { status, code, msg } => {
                        tracing::error!(
                            venue = %self.inner.id, status, code, %msg,
                            "user stream subscription refused"
                        );
                        let kind = errors::classify(status, code, &msg);
                        return Err(CexError::Api {
                            status,
                            code,
                            msg,
                            kind,
                        }
                        .into());
                    }
                    WsApiStart::Unsupported(reason) | WsApiStart::NoAnswer(reason) if auto => {
                        drop(handle);
                        tracing::info!(
                            venue = %self.inner.id,
                            "the WebSocket API user stream is not served ({reason}); \
                             falling back to the listenKey stream"
                        );
                        self.start_listen_key(markets).await.map_err(|e| {
                            let both = format!(
                                "user stream: the WebSocket API subscription is not served \
                                 ({reason}) and the listenKey stream failed too: {e}"
                            );
                            match e {
                                VenueError::Auth(_) => VenueError::Auth(both),
                                _ => VenueError::NotSupported(both),
                            }
                        })?
                    }
                    WsApiStart::Unsupported(reason) => {
                        return Err(VenueError::NotSupported(format!(
                            "user stream: the WebSocket API subscription is not served ({reason})"
                        )));
                    }
                    WsApiStart::NoAnswer(reason) => {
                        tracing::warn!(
                            venue = %self.inner.id,
                            "user stream not answered yet ({reason}); retrying in the background"
                        );
                        self.consume(UserStreamMode::WsApi, handle, None, rx, markets, None)
                    }
                }
            }
        };
        *lock(&self.inner.user_stream) = Some(started);
        Ok(())
    }

    fn log_mechanism(&self, mechanism: UserStreamMode) {
        let how = match mechanism {
            UserStreamMode::ListenKey => "legacy listenKey stream",
            _ => "WebSocket API userDataStream.subscribe.signature",
        };
        tracing::info!(venue = %self.inner.id, %mechanism, "user data stream connected: {how}");
    }

    /// The first listenKey (its error is the caller's), then the driver that keeps it.
    async fn start_listen_key(&self, markets: Arc<Markets>) -> Result<UserStreamTask, VenueError> {
        let cfg = &self.inner.cfg;
        let key = listen_key::create_key(&self.inner.rest).await?;
        let (stop, stop_rx) = watch::channel(false);
        let settings = ListenKeySettings {
            name: format!("{} user stream (listenKey)", cfg.name),
            ws_url: cfg.ws_url.trim_end_matches('/').to_string(),
            keepalive: cfg.listen_key_keepalive,
        };
        let (driver, mut rx) = listen_key::spawn(self.inner.rest.clone(), settings, key, stop_rx);
        // Return once the socket is up (events sent before it would only be found by polling);
        // whatever came first is applied before the rest.
        let first = tokio::time::timeout(cfg.user_stream_timeout, rx.recv())
            .await
            .ok()
            .flatten();
        if first.is_none() {
            tracing::warn!(venue = %self.inner.id, "listenKey stream not connected yet; retrying in the background");
        }
        Ok(self.consume(
            UserStreamMode::ListenKey,
            driver,
            first,
            rx,
            markets,
            Some(stop),
        ))
    }

    /// The task that applies a user stream's events (`first`, then `rx`'s); `keep` is what runs
    /// the stream.
    fn consume<K: Send + 'static>(
        &self,
        mechanism: UserStreamMode,
        keep: K,
        first: Option<StreamEvent>,
        mut rx: mpsc::Receiver<StreamEvent>,
        markets: Arc<Markets>,
        stop: Option<watch::Sender<bool>>,
    ) -> UserStreamTask {
        let me = self.clone();
        let task = tokio::spawn(async move {
            let _keep = keep;
            let mut next = first;
            loop {
                let ev = match next.take() {
                    Some(ev) => ev,
                    None => match rx.recv().await {
                        Some(ev) => ev,
                        None => break,
                    },
                };
                match ev {
                    StreamEvent::Connected { reconnect } => {
                        me.log_mechanism(mechanism);
                        if reconnect {
                            let _ = me.reconcile().await;
                            me.inner.hub.publish(VenueEvent::Resynced {
                                what: "orders".into(),
                            });
                        }
                    }
                    StreamEvent::Disconnected { reason } => {
                        me.inner.hub.publish(VenueEvent::ConnectionLost {
                            reason: format!("user stream: {reason}"),
                        });
                    }
                    StreamEvent::Message(m) => me.on_user_message(&markets, &m).await,
                }
            }
        });
        UserStreamTask {
            task,
            mechanism,
            stop,
        }
    }

    async fn on_user_message(&self, markets: &Markets, m: &[u8]) {
        let msg = match user::parse(m) {
            Ok(msg) => msg,
            Err(e) => {
                tracing::error!(error = %e, "unreadable user stream frame; ignored");
                return;
            }
        };
        match msg {
            UserMessage::Execution(e) => {
                let Some(pair) = markets.by_symbol.get(&e.symbol) else {
                    tracing::warn!(symbol = %e.symbol, "execution report for an unknown symbol");
                    return;
                };
                let Ok(id) = ClientOrderId::new(e.order_client_id()) else {
                    tracing::warn!("execution report with an invalid client order id");
                    return;
                };
                if self.tracked(&id).is_none() {
                    tracing::debug!(order = %id, "execution report for an order not sent by this process");
                    return;
                }
                let Some(state) = order_state(&e.status) else {
                    tracing::warn!(status = %e.status, "unknown order status in an execution report");
                    return;
                };
                let fill = match e.fill(&id, pair) {
                    Ok(f) => f,
                    Err(err) => {
                        tracing::error!(error = %err, "bad fill in an execution report");
                        None
                    }
                };
                self.apply_report(OrderReport {
                    client_id: id.clone(),
                    venue_order_id: Some(e.order_id.to_string()),
                    state,
                    reason: e.reject_reason.clone().filter(|r| r != "NONE"),
                    fill,
                    cumulative_filled: Some(e.cumulative_qty),
                });
                if lock(&self.inner.tracker).missing_fills(&id, e.cumulative_qty)
                    && let Err(err) = self.reconcile_order(&id).await
                {
                    tracing::warn!(order = %id, error = %err, "reconcile after a missed fill failed");
                }
            }
            UserMessage::Account(a) => {
                for b in a.balances {
                    let total = match api::balance_total(&b.asset, b.free, b.locked) {
                        Ok(t) => t,
                        Err(e) => {
                            tracing::warn!(error = %e, "unusable balance in the user stream");
                            continue;
                        }
                    };
                    match crate::core::Asset::new(&b.asset) {
                        Ok(asset) => self
                            .inner
                            .hub
                            .publish(VenueEvent::Balance(Balance::new(asset, total, b.free))),
                        Err(e) => tracing::warn!(error = %e, "balance of an unreadable asset"),
                    }
                }
            }
            UserMessage::Subscribed => tracing::debug!("user stream subscribed"),
            UserMessage::Refused { status, code, msg } => {
                tracing::error!(status, code, %msg, "user stream subscription refused");
            }
            UserMessage::ListenKeyExpired => {
                tracing::info!(venue = %self.inner.id, "listenKey expired; a new one is asked for");
            }
            UserMessage::Other(kind) => tracing::debug!(%kind, "user stream message ignored"),
        }
    }
}
