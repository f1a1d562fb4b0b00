//! What the private-stream tests of a perpetuals venue read from its events: each fill once by
//! trade id (settled in USDT), each funding payment once by id, the last position size and USDT
//! wallet, the resyncs; and waiting until they say something.

use std::collections::HashMap;
use std::time::Duration;

use rust_decimal::Decimal;
use sluice::core::{Fill, VenueEvent};
use tokio::sync::mpsc::UnboundedReceiver;

/// The events seen so far; a fill or a payment seen twice fails the test.
#[derive(Default)]
pub struct PerpEvents {
    pub fills: HashMap<String, Fill>,
    pub funding: HashMap<String, Decimal>,
    pub position: Option<Decimal>,
    pub wallet: Option<Decimal>,
    pub resynced: usize,
}

impl PerpEvents {
    /// Reads what `rx` holds now.
    pub fn drain(&mut self, rx: &mut UnboundedReceiver<VenueEvent>) {
        while let Ok(e) = rx.try_recv() {
            match e {
                VenueEvent::Fill(f) => {
                    assert_eq!(f.fee_asset.to_string(), "USDT", "{f:?}");
                    let id = f.trade_id.clone();
                    assert!(self.fills.insert(id, f).is_none(), "a fill counted twice");
                }
                VenueEvent::Funding(p) => {
                    let again = self.funding.insert(p.id.clone(), p.amount);
                    assert!(again.is_none(), "funding {} counted twice", p.id);
                }
                VenueEvent::Position(p) => self.position = Some(p.size),
                VenueEvent::Balance(b) if b.asset.to_string() == "USDT" => {
                    self.wallet = Some(b.total)
                }
                VenueEvent::Resynced { .. } => self.resynced += 1,
                _ => {}
            }
        }
    }

    /// Reads events until `cond` holds; fails the test after 15 s, naming `what`.
    pub async fn until(
        &mut self,
        rx: &mut UnboundedReceiver<VenueEvent>,
        what: &str,
        cond: impl Fn(&PerpEvents) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            self.drain(rx);
            if cond(self) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The base filled over every fill seen.
    pub fn filled(&self) -> Decimal {
        self.fills.values().map(|f| f.amount).sum()
    }

    /// The fees paid over every fill seen.
    pub fn fees(&self) -> Decimal {
        self.fills.values().map(|f| f.fee_amount).sum()
    }
}
