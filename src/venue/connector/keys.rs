//! Keys held in memory instead of a sealed home: API keys by venue label and unlocked wallets by
//! name, handed to connectors through [`ConnectContext::with_keys`](super::ConnectContext::with_keys)
//! by a caller that already has them (a test, `sluice demo` with a simulated exchange's keys and
//! the public dev mnemonic). Nothing is written to disk and no password is asked. Secrets are
//! zeroized on drop and never shown by `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::wallet::UnlockedWallet;

/// One venue's API key, secret and optional passphrase, as text (the connector parses them the
/// way its signing recipe needs). `Debug` shows only the first characters of the key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ApiKey {
    key: String,
    secret: String,
    passphrase: Option<String>,
}

impl ApiKey {
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
            passphrase: None,
        }
    }

    /// The same key with a passphrase (venues that issue one).
    pub fn with_passphrase(mut self, passphrase: impl Into<String>) -> Self {
        self.passphrase = Some(passphrase.into());
        self
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The secret; keep the borrow short and never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    pub fn passphrase(&self) -> Option<&str> {
        self.passphrase.as_deref()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.key.chars().take(4).collect();
        write!(
            f,
            "ApiKey {{ key: {shown}…, secret: <redacted>, passphrase: {} }}",
            if self.passphrase.is_some() {
                "<redacted>"
            } else {
                "none"
            }
        )
    }
}

/// API keys by venue label (`sim-binance`) and unlocked wallets by name.
#[derive(Clone, Default)]
pub struct MemoryKeys {
    api: BTreeMap<String, ApiKey>,
    wallets: BTreeMap<String, Arc<UnlockedWallet>>,
}

impl fmt::Debug for MemoryKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryKeys")
            .field("api_keys_for", &self.api.keys().collect::<Vec<_>>())
            .field("wallets", &self.wallets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl MemoryKeys {
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key of the venue labelled `venue` (its full venue id, e.g. `sim-binance`).
    pub fn with_api_key(mut self, venue: &str, key: ApiKey) -> Self {
        self.api.insert(venue.to_string(), key);
        self
    }

    /// A wallet, found by its name (the `wallet` key of an AMM venue's table).
    pub fn with_wallet(mut self, wallet: UnlockedWallet) -> Self {
        self.wallets
            .insert(wallet.name().to_string(), Arc::new(wallet));
        self
    }

    pub fn api_key(&self, venue: &str) -> Option<&ApiKey> {
        self.api.get(venue)
    }

    pub fn wallet(&self, name: &str) -> Option<Arc<UnlockedWallet>> {
        self.wallets.get(name).cloned()
    }

    /// The venue labels that have an API key here, for messages.
    pub fn api_venues(&self) -> Vec<&str> {
        self.api.keys().map(String::as_str).collect()
    }

    /// The wallet names held here, for messages.
    pub fn wallet_names(&self) -> Vec<&str> {
        self.wallets.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wallet::{Mnemonic, SecretString};

    const PHRASE: &str = "test test test test test test test test test test test junk";

    #[test]
    fn keys_are_found_by_label_and_name_and_never_shown() {
        let wallet = UnlockedWallet::Mnemonic {
            name: "dev".into(),
            mnemonic: Mnemonic::parse(PHRASE).unwrap(),
            passphrase: SecretString::new("bip39-pass".into()),
        };
        let keys = MemoryKeys::new()
            .with_api_key(
                "sim-binance",
                ApiKey::new("abcdefghij", "s3cr3t-value").with_passphrase("pp-value"),
            )
            .with_wallet(wallet);
        let k = keys.api_key("sim-binance").unwrap();
        assert_eq!(
            (k.key(), k.secret(), k.passphrase()),
            ("abcdefghij", "s3cr3t-value", Some("pp-value"))
        );
        assert!(keys.api_key("binance").is_none());
        assert_eq!(keys.wallet("dev").unwrap().name(), "dev");
        assert!(keys.wallet("other").is_none());
        assert_eq!(keys.api_venues(), ["sim-binance"]);
        assert_eq!(keys.wallet_names(), ["dev"]);
        let shown = format!("{keys:?} {k:?}");
        for secret in [
            "abcdefghij",
            "s3cr3t-value",
            "pp-value",
            "test test",
            "bip39",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("sim-binance") && shown.contains("dev"),
            "{shown}"
        );
    }
}
