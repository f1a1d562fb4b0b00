//! Fan-out of venue events to any number of subscribers, losing nothing: each subscriber has its own
//! unbounded queue, so a slow consumer delays only itself.

use std::sync::Mutex;

use tokio::sync::mpsc;

use crate::core::VenueEvent;

/// The receiving end of a subscription.
pub type EventReceiver = mpsc::UnboundedReceiver<VenueEvent>;

/// Publishes events to every live subscriber in order.
#[derive(Debug, Default)]
pub struct EventHub {
    subscribers: Mutex<Vec<mpsc::UnboundedSender<VenueEvent>>>,
}

impl EventHub {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn subscribe(&self) -> EventReceiver {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().push(tx);
        rx
    }

    /// Sends to every subscriber; subscribers that went away are dropped.
    pub fn publish(&self, event: VenueEvent) {
        let mut subs = self.lock();
        subs.retain(|tx| tx.send(event.clone()).is_ok());
    }

    pub fn subscriber_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<mpsc::UnboundedSender<VenueEvent>>> {
        // A panic while holding this lock cannot leave the Vec inconsistent: recover it.
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_subscriber_gets_every_event_in_order() {
        let hub = EventHub::new();
        let mut a = hub.subscribe();
        let mut b = hub.subscribe();
        for i in 0..3 {
            hub.publish(VenueEvent::Resynced {
                what: i.to_string(),
            });
        }
        for rx in [&mut a, &mut b] {
            for i in 0..3 {
                assert_eq!(
                    rx.recv().await,
                    Some(VenueEvent::Resynced {
                        what: i.to_string()
                    })
                );
            }
        }
        drop(a);
        hub.publish(VenueEvent::Resynced { what: "x".into() });
        assert_eq!(hub.subscriber_count(), 1);
    }
}
