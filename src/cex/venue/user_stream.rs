//! The private-stream consumer of an exchange venue: the exchange opens its stream
//! ([`ExchangeApi::open_user_stream`]) and parses each frame; the framework applies what it says
//! to the order tracker (orders this process does not track are ignored; a fill the stream
//! skipped is fetched by reconciling), publishes balances, and after each reconnect reconciles
//! every open order and publishes `Resynced` (after a drop, `ConnectionLost`). The consumer holds
//! the venue weakly: dropping the venue ends it.
//!
//! Perpetuals: an account frame's events are published as they are; funding the stream reports
//! without ids is read back by polling (`ExchangeApi::funding_payments`) and each payment, keyed
//! by the venue's id, is published once, whether the stream or the poll after a reconnect (which
//! covers what an outage missed) found it first.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cex::order_tracker::OrderReport;
use crate::cex::stream::StreamEvent;
use crate::core::VenueEvent;
use crate::venue::VenueError;

use super::exchange::{AccountUpdate, ExchangeApi, UserEvent, UserStream};
use super::{ExchangeVenue, lock};

/// The running private stream.
#[derive(Debug)]
pub(super) struct UserStreamTask<M> {
    /// The consumer task (it owns what keeps the stream running).
    task: JoinHandle<()>,
    mechanism: M,
    /// Stops the stream cleanly (then the consumer ends).
    stop: Option<watch::Sender<bool>>,
}

impl<M> UserStreamTask<M> {
    /// Stops it: a stream with a clean stop is asked to stop (which ends the consumer); any other
    /// is aborted.
    pub(super) fn shut(self) -> JoinHandle<()> {
        match self.stop {
            Some(stop) => {
                stop.send_replace(true);
            }
            None => self.task.abort(),
        }
        self.task
    }
}

/// The funding payments published from the private stream, and the newest one's time.
#[derive(Debug, Default)]
pub(super) struct FundingSeen {
    ids: HashSet<String>,
    /// Payments at or after this time are looked for after a reconnect (the stream's start, then
    /// the newest payment published).
    since_ms: u64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl<E: ExchangeApi> ExchangeVenue<E> {
    /// Publishes the funding payments since `since_ms` not published before (perpetuals only).
    async fn publish_new_funding(&self, since_ms: u64) {
        let paid = match self.exchange_funding_payments(None, since_ms).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "funding payments not read; the next settlement or reconnect reads them");
                return;
            }
        };
        let fresh: Vec<_> = {
            let mut seen = lock(&self.inner.funding_seen);
            paid.into_iter()
                .filter(|p| {
                    seen.since_ms = seen.since_ms.max(p.time_ms);
                    seen.ids.insert(p.id.clone())
                })
                .collect()
        };
        for p in fresh {
            self.inner.hub.publish(VenueEvent::Funding(p));
        }
    }

    /// An account frame: its events, then the funding it reports.
    async fn on_account(&self, update: AccountUpdate) {
        for ev in update.events {
            self.inner.hub.publish(ev);
        }
        if let Some(at) = update.funding_at_ms {
            self.publish_new_funding(at).await;
        }
    }

    /// Starts the private stream (needs credentials) and returns once it is subscribed (or
    /// retrying in the background, as the exchange decides). Idempotent.
    pub async fn start_user_stream(&self) -> Result<(), VenueError> {
        if self.inner.rest.signer().is_none() {
            return Err(VenueError::Auth("the user stream needs API keys".into()));
        }
        let _starting = self.inner.user_stream_start.lock().await;
        if lock(&self.inner.user_stream).is_some() {
            return Ok(());
        }
        self.load_markets().await?;
        let stream = self
            .inner
            .exchange
            .open_user_stream(&self.inner.id, &self.inner.rest)
            .await?;
        {
            let mut seen = lock(&self.inner.funding_seen);
            if seen.since_ms == 0 {
                seen.since_ms = now_ms();
            }
        }
        let task = self.consume(stream);
        *lock(&self.inner.user_stream) = Some(task);
        Ok(())
    }

    /// Stops the private stream and waits until it ended (a clean stop included).
    pub async fn stop_user_stream(&self) {
        let task = lock(&self.inner.user_stream).take();
        if let Some(task) = task {
            let _ = task.shut().await;
        }
    }

    /// The private-stream mechanism in use, once started.
    pub fn user_stream_mechanism(&self) -> Option<E::Mechanism> {
        lock(&self.inner.user_stream).as_ref().map(|t| t.mechanism)
    }

    /// The task that applies a stream's events (`first`, then the rest).
    fn consume(&self, stream: UserStream<E::Mechanism>) -> UserStreamTask<E::Mechanism> {
        let UserStream {
            mechanism,
            keep,
            first,
            mut events,
            stop,
        } = stream;
        let weak = Arc::downgrade(&self.inner);
        let task = tokio::spawn(async move {
            let _keep = keep;
            let mut next = first;
            loop {
                let ev = match next.take() {
                    Some(ev) => ev,
                    None => match events.recv().await {
                        Some(ev) => ev,
                        None => break,
                    },
                };
                let Some(inner) = weak.upgrade() else {
                    break;
                };
                let me = ExchangeVenue { inner };
                match ev {
                    StreamEvent::Connected { reconnect } => {
                        me.inner
                            .exchange
                            .user_stream_connected(&me.inner.id, mechanism);
                        if reconnect {
                            let _ = me.reconcile().await;
                            if me.inner.exchange.perpetuals() {
                                let since = lock(&me.inner.funding_seen).since_ms;
                                me.publish_new_funding(since).await;
                            }
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
                    StreamEvent::Message(m) => me.on_user_frame(&m).await,
                }
            }
        });
        UserStreamTask {
            task,
            mechanism,
            stop,
        }
    }

    /// Parses one frame (after reloading the markets once if it names a symbol they lack) and
    /// applies it.
    pub(super) async fn on_user_frame(&self, frame: &[u8]) {
        let mut reloaded = false;
        let event = loop {
            let markets = match self.load_markets().await {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!(error = %e, "markets unavailable; user stream frame ignored");
                    return;
                }
            };
            match self.inner.exchange.parse_user_frame(frame, &markets) {
                Ok(UserEvent::UnknownSymbol(symbol)) if !reloaded => {
                    reloaded = true;
                    match self.reload_markets().await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "markets reload failed"),
                    }
                    tracing::warn!(%symbol, "order update for an unknown symbol");
                    return;
                }
                Ok(UserEvent::UnknownSymbol(symbol)) => {
                    tracing::warn!(%symbol, "order update for an unknown symbol");
                    return;
                }
                Ok(ev) => break ev,
                Err(e) => {
                    tracing::error!(error = %e, "unreadable user stream frame; ignored");
                    return;
                }
            }
        };
        match event {
            UserEvent::Order(u) => {
                let id = u.client_id.clone();
                if self.tracked(&id).is_none() {
                    tracing::debug!(order = %id, "order update for an order not sent by this process");
                    return;
                }
                self.apply_report(OrderReport {
                    client_id: id.clone(),
                    venue_order_id: Some(u.venue_order_id),
                    state: u.state,
                    reason: u.reason,
                    fill: u.fill,
                    cumulative_filled: Some(u.cumulative_filled),
                });
                if lock(&self.inner.tracker).missing_fills(&id, u.cumulative_filled)
                    && let Err(err) = self.reconcile_order(&id).await
                {
                    tracing::warn!(order = %id, error = %err, "reconcile after a missed fill failed");
                }
            }
            UserEvent::Balances(balances) => {
                for b in balances {
                    self.inner.hub.publish(VenueEvent::Balance(b));
                }
            }
            UserEvent::Account(update) => self.on_account(*update).await,
            UserEvent::UnknownSymbol(_) | UserEvent::Ignored => {}
        }
    }
}
