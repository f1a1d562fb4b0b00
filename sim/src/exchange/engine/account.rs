//! Accounts of the mock exchange: API key and its verification key (HMAC secret or Ed25519
//! public key), balances (free / locked), and the channel their user-data events go out on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;
use tokio::sync::broadcast;
use zeroize::Zeroizing;

/// Capacity of one account's user-event channel.
const USER_CHANNEL_CAPACITY: usize = 4_096;

/// The key that verifies an account's requests (the dialect checks signatures with it by its
/// exchange's recipe).
#[derive(Clone)]
pub enum AccountKey {
    /// HMAC-SHA256 with this secret; hex signatures.
    Hmac(Zeroizing<String>),
    /// Ed25519 with this public key; base64 signatures.
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A balance of one asset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    /// Available.
    pub free: Decimal,
    /// Locked in open orders.
    pub locked: Decimal,
}

/// One account.
pub struct Account {
    /// API key (public identifier).
    pub api_key: String,
    key: AccountKey,
    /// Balances by asset.
    pub balances: BTreeMap<String, Balance>,
    /// Time of the last balance change (ms).
    pub update_time: u64,
    /// User-data events (executions, balance changes) as the dialect rendered them.
    pub user_tx: broadcast::Sender<Arc<str>>,
    /// Assets changed by the operation in progress.
    pub touched: BTreeSet<String>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("api_key", &self.api_key)
            .field("key", &"<redacted>")
            .field("balances", &self.balances)
            .finish()
    }
}

impl Account {
    /// A new HMAC account without balances.
    pub fn new(api_key: String, secret: Zeroizing<String>) -> Self {
        Self::with_key(api_key, AccountKey::Hmac(secret))
    }

    /// A new account with this key, without balances.
    pub fn with_key(api_key: String, key: AccountKey) -> Self {
        let (user_tx, _) = broadcast::channel(USER_CHANNEL_CAPACITY);
        Self {
            api_key,
            key,
            balances: BTreeMap::new(),
            update_time: 0,
            user_tx,
            touched: BTreeSet::new(),
        }
    }

    /// The key that verifies this account's signatures.
    pub fn key(&self) -> &AccountKey {
        &self.key
    }

    /// Mutable balance of an asset (created at zero), marked as changed.
    pub fn balance_mut(&mut self, asset: &str) -> &mut Balance {
        self.touched.insert(asset.to_string());
        self.balances.entry(asset.to_string()).or_default()
    }

    /// Free balance of an asset.
    pub fn free(&self, asset: &str) -> Decimal {
        self.balances
            .get(asset)
            .map(|b| b.free)
            .unwrap_or(Decimal::ZERO)
    }

    /// Whether a user-data subscription listens to this account.
    pub fn has_listeners(&self) -> bool {
        self.user_tx.receiver_count() > 0
    }

    /// Sends a user-data event, rendered by the dialect (dropped when nobody listens).
    pub fn emit(&self, event: String) {
        if !self.has_listeners() {
            return;
        }
        let _ = self.user_tx.send(Arc::from(event));
    }

    /// The assets changed since the last call with their balances (empty when none changed);
    /// records the time of the change.
    pub fn take_touched(&mut self, now: u64) -> Vec<(String, Balance)> {
        if self.touched.is_empty() {
            return Vec::new();
        }
        self.update_time = now;
        std::mem::take(&mut self.touched)
            .into_iter()
            .map(|a| {
                let b = self.balances.get(&a).copied().unwrap_or_default();
                (a, b)
            })
            .collect()
    }
}
