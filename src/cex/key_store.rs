//! Exchange API keys at rest: one file per venue under `<sluice home>/keys/<venue>.json` (0600),
//! the key and secret sealed with the wallet password (scrypt + AES-256-GCM, `wallet::sealed`).
//! Listing shows only the venue, a short key hint and when it was added.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::auth::{ApiCredentials, AuthError};
use crate::wallet::kdf::ScryptParams;
use crate::wallet::sealed::{SealError, SealedBox};
use crate::wallet::secure_file::{
    SecureFileError, WriteMode, read_private_file, write_private_file,
};

/// Why keys could not be stored or loaded. Never contains a key, secret or password.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("no API keys stored for {0}; add them with `sluice keys add --venue {0}`")]
    NotFound(String),
    #[error("API keys for {0} are already stored (pass --replace to overwrite)")]
    Exists(String),
    #[error("invalid venue name {0:?}")]
    BadVenue(String),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    File(#[from] SecureFileError),
    #[error("key file {path}: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// What `keys list` shows of a stored key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub venue: String,
    /// The first four characters of the API key.
    pub key_hint: String,
    /// Unix seconds.
    pub added_at: u64,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    #[serde(flatten)]
    info: KeyInfo,
    sealed: SealedBox,
}

#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct SealedPayload {
    api_key: String,
    secret: String,
}

/// The key files of one sluice home.
#[derive(Debug, Clone)]
pub struct ApiKeyStore {
    dir: PathBuf,
    params: ScryptParams,
}

impl ApiKeyStore {
    /// The store under `home` (`home/keys`).
    pub fn new(home: &Path) -> Self {
        Self {
            dir: home.join("keys"),
            params: ScryptParams::DEFAULT,
        }
    }

    /// With other scrypt parameters (tests use cheap ones).
    pub fn with_params(home: &Path, params: ScryptParams) -> Self {
        Self {
            dir: home.join("keys"),
            params,
        }
    }

    fn path(&self, venue: &str) -> Result<PathBuf, KeyStoreError> {
        let ok = !venue.is_empty()
            && venue
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !ok {
            return Err(KeyStoreError::BadVenue(venue.to_string()));
        }
        Ok(self.dir.join(format!("{venue}.json")))
    }

    /// Seals and writes the keys of `venue`.
    pub fn add(
        &self,
        venue: &str,
        creds: &ApiCredentials,
        password: &[u8],
        replace: bool,
    ) -> Result<KeyInfo, KeyStoreError> {
        let path = self.path(venue)?;
        let payload = Zeroizing::new(
            serde_json::to_vec(&SealedPayload {
                api_key: creds.api_key().to_string(),
                secret: creds.secret().to_string(),
            })
            .map_err(|e| KeyStoreError::Corrupt {
                path: path.clone(),
                detail: e.to_string(),
            })?,
        );
        let sealed = SealedBox::seal_with(password, &payload, self.params)?;
        let info = KeyInfo {
            venue: venue.to_string(),
            key_hint: creds.api_key().chars().take(4).collect(),
            added_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        };
        let file = KeyFile {
            info: info.clone(),
            sealed,
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| KeyStoreError::Corrupt {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let mode = if replace {
            WriteMode::Replace
        } else {
            WriteMode::CreateNew
        };
        match write_private_file(&path, text.as_bytes(), mode) {
            Err(SecureFileError::AlreadyExists(_)) => Err(KeyStoreError::Exists(venue.to_string())),
            r => r.map(|_| info).map_err(Into::into),
        }
    }

    fn read(&self, venue: &str) -> Result<KeyFile, KeyStoreError> {
        let path = self.path(venue)?;
        if !path.exists() {
            return Err(KeyStoreError::NotFound(venue.to_string()));
        }
        let bytes = read_private_file(&path)?;
        serde_json::from_slice(&bytes).map_err(|e| KeyStoreError::Corrupt {
            path,
            detail: e.to_string(),
        })
    }

    /// Opens the keys of `venue` with the password.
    pub fn load(&self, venue: &str, password: &[u8]) -> Result<ApiCredentials, KeyStoreError> {
        let file = self.read(venue)?;
        let plain = file.sealed.open(password)?;
        let p: SealedPayload =
            serde_json::from_slice(&plain).map_err(|_| KeyStoreError::Corrupt {
                path: self.path(venue).unwrap_or_default(),
                detail: "sealed content is not a key pair".into(),
            })?;
        Ok(ApiCredentials::new(p.api_key.as_str(), p.secret.as_str())?)
    }

    /// Every stored key (no password needed).
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyStoreError> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => {
                return Err(KeyStoreError::Corrupt {
                    path: self.dir.clone(),
                    detail: e.to_string(),
                });
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(venue) = name.strip_suffix(".json") {
                out.push(self.read(venue)?.info);
            }
        }
        out.sort_by(|a, b| a.venue.cmp(&b.venue));
        Ok(out)
    }
}
