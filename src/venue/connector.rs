//! The connector seam: how a venue constructs itself. A [`Connector`] declares itself (name, module,
//! state) and builds its [`Venue`] from its own `[connect.<venue>]` table, parsed into the
//! connector's typed config ([`parse_config`]: unknown keys rejected naming file, table, key and
//! the accepted keys), and a [`ConnectContext`] (home, chain specs, secrets). Commands and
//! strategies only ever see `Arc<dyn Venue>`.

mod config;
mod keys;
mod secrets;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::{ConnectorDescriptor, Venue, VenueError, VenueId};
use crate::chain::{ChainSpec, ChainSpecs};
use crate::wallet::{UnlockedWallet, WalletStore};

pub use config::{closed_venue_urls, config_keys, off_chain, parse_config, table_name, url_value};
pub use keys::{ApiKey, MemoryKeys};
pub use secrets::{FixedPassword, NoSecrets, PasswordOnce, SecretError, SecretSource};

/// What the caller will do with the venue: a read-only venue (quotes, books, markets) asks for no
/// secret; a trading one loads its keys or wallet, and a missing one is an error at connect time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    Trade,
}

/// Everything construction needs besides the venue's own table.
#[derive(Clone)]
pub struct ConnectContext {
    /// The sluice home: wallets (`wallets/`) and API keys (`keys/`).
    pub home: PathBuf,
    pub chains: ChainSpecs,
    /// The file the `[connect.<venue>]` tables come from, for messages (or a label such as
    /// `command line`).
    pub config_file: PathBuf,
    pub access: Access,
    /// Yields the wallet password (which also seals the API keys) when a connector needs it.
    pub secrets: Arc<dyn SecretSource>,
    /// Keys held in memory ([`ConnectContext::with_keys`]): when set, connectors take API keys
    /// and wallets from here only, and never open the home's sealed stores.
    pub keys: Option<Arc<MemoryKeys>>,
}

impl std::fmt::Debug for ConnectContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectContext")
            .field("home", &self.home)
            .field("chains", &self.chains.names())
            .field("config_file", &self.config_file)
            .field("access", &self.access)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl ConnectContext {
    /// A read-only context with no secrets.
    pub fn new(home: &Path, chains: ChainSpecs, config_file: &Path) -> Self {
        Self {
            home: home.to_path_buf(),
            chains,
            config_file: config_file.to_path_buf(),
            access: Access::ReadOnly,
            secrets: Arc::new(NoSecrets),
            keys: None,
        }
    }

    /// For trading, with the given source of the wallet password.
    pub fn trading(mut self, secrets: Arc<dyn SecretSource>) -> Self {
        self.access = Access::Trade;
        self.secrets = secrets;
        self
    }

    /// For trading with keys held in memory (a test, the demo): API keys and wallets come from
    /// `keys` only; no password is asked and no sealed store is read.
    pub fn with_keys(mut self, keys: MemoryKeys) -> Self {
        self.access = Access::Trade;
        self.keys = Some(Arc::new(keys));
        self
    }

    /// The API key of venue `id` held in memory: `None` when this context holds no keys in memory
    /// (the connector reads the home's key store), an error when it does but not this venue's.
    pub fn memory_api_key(&self, id: &VenueId) -> Option<Result<&ApiKey, ConnectError>> {
        let keys = self.keys.as_deref()?;
        let label = id.to_string();
        Some(keys.api_key(&label).ok_or_else(|| {
            ConnectError::secrets(
                id,
                format!(
                    "no API key in memory for {label}; held for: {}",
                    keys.api_venues().join(", ")
                ),
            )
        }))
    }

    /// The wallet `name` for venue `id`: from the keys in memory when the context holds them,
    /// else unlocked from the home with the wallet password.
    pub fn wallet(&self, id: &VenueId, name: &str) -> Result<Arc<UnlockedWallet>, ConnectError> {
        if let Some(keys) = self.keys.as_deref() {
            return keys.wallet(name).ok_or_else(|| {
                ConnectError::secrets(
                    id,
                    format!(
                        "no wallet {name:?} in memory; held: {}",
                        keys.wallet_names().join(", ")
                    ),
                )
            });
        }
        let password = self
            .secrets
            .wallet_password()
            .map_err(|e| ConnectError::secrets(id, e))?;
        let wallet = WalletStore::new(&self.home)
            .unlock(name, &password)
            .map_err(|e| ConnectError::secrets(id, e))?;
        Ok(Arc::new(wallet))
    }

    /// The chain of a chain venue (`uniswap_v3@anvil` → the `anvil` spec).
    pub fn chain_of(&self, id: &VenueId) -> Result<&ChainSpec, ConnectError> {
        let name = id
            .chain
            .as_deref()
            .ok_or_else(|| ConnectError::BadVenueId {
                venue: id.to_string(),
                reason: format!(
                    "{} runs on a chain: name it, e.g. {}@ethereum",
                    id.connector, id.connector
                ),
            })?;
        self.chains
            .get(name)
            .ok_or_else(|| ConnectError::BadVenueId {
                venue: id.to_string(),
                reason: format!(
                    "unknown chain {name:?}; known chains: {}",
                    self.chains.names().join(", ")
                ),
            })
    }

    /// The config file, for messages.
    pub fn file(&self) -> String {
        self.config_file.display().to_string()
    }
}

/// Why a venue could not be built. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no connector for venue {venue}; connectors in this build: {known}")]
    NoConnector { venue: String, known: String },
    #[error("venue {venue}: {reason}")]
    BadVenueId { venue: String, reason: String },
    #[error("{file}: [{table}]: unknown key `{key}`; accepted keys: {accepted}")]
    UnknownKey {
        file: String,
        table: String,
        key: String,
        accepted: String,
    },
    #[error("{file}: [{table}]: bad value for `{key}`: {reason}")]
    BadValue {
        file: String,
        table: String,
        key: String,
        reason: String,
    },
    #[error("{file}: [{table}]: missing `{field}`: {reason}")]
    MissingField {
        file: String,
        table: String,
        field: String,
        reason: String,
    },
    #[error("{venue}: secrets: {reason}")]
    Secrets { venue: String, reason: String },
    #[error("{venue}: {error}")]
    Venue {
        venue: String,
        error: Box<VenueError>,
    },
}

impl ConnectError {
    /// A venue error while connecting to `id`.
    pub fn venue(id: &VenueId, error: impl Into<VenueError>) -> Self {
        ConnectError::Venue {
            venue: id.to_string(),
            error: Box::new(error.into()),
        }
    }

    /// A value the connector refuses after parsing (a URL, a file).
    pub fn bad_value(
        id: &VenueId,
        ctx: &ConnectContext,
        key: &str,
        reason: impl std::fmt::Display,
    ) -> Self {
        ConnectError::BadValue {
            file: ctx.file(),
            table: table_name(id),
            key: key.to_string(),
            reason: reason.to_string(),
        }
    }

    /// A field the connector needs for what is asked (a wallet to sign swaps).
    pub fn missing(id: &VenueId, ctx: &ConnectContext, field: &str, reason: &str) -> Self {
        ConnectError::MissingField {
            file: ctx.file(),
            table: table_name(id),
            field: field.to_string(),
            reason: reason.to_string(),
        }
    }

    /// Keys or a wallet could not be opened.
    pub fn secrets(id: &VenueId, reason: impl std::fmt::Display) -> Self {
        ConnectError::Secrets {
            venue: id.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// A connector: declares itself and builds its venue.
#[async_trait]
pub trait Connector: Send + Sync {
    /// Name (a catalog name: the first part of the venue ids it serves), module and state.
    fn descriptor(&self) -> ConnectorDescriptor;

    /// Builds the venue `id` from its own `[connect.<id>]` table (possibly empty: defaults).
    /// The venue is connected but not started: [`Venue::start`] begins watching pairs.
    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError>;
}
