//! Exchange API keys at rest: one file per venue under `<sluice home>/keys/<venue>.json` (0600, in a
//! 0700 folder), the key and secret sealed with the wallet password (scrypt + AES-256-GCM,
//! `wallet::sealed`), bound to the venue and key hint so a file copied to another venue's name, or
//! with its hint edited, fails to open (files written before bindings still open). Listing shows
//! only the venue, a short key hint and when it was added.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::auth::{ApiCredentials, AuthError};
use crate::wallet::kdf::ScryptParams;
use crate::wallet::sealed::{SealError, SealedBox};
use crate::wallet::secure_file::{
    SecureFileError, WriteMode, ensure_private_dir, read_private_file, write_private_file,
};

/// Room for the sealed plaintext (an Ed25519 PEM secret and the JSON around it).
const PAYLOAD_CAPACITY: usize = 4096;

/// Why keys could not be stored or loaded. Never contains a key, secret or password.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("no API keys stored for {0}; add them with `sluice keys add --venue {0}`")]
    NotFound(String),
    #[error("API keys for {0} are already stored (pass --replace to overwrite)")]
    Exists(String),
    #[error("invalid venue name {0:?}")]
    BadVenue(String),
    #[error("API keys for {venue}: {cause}")]
    Seal { venue: String, cause: SealError },
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

impl KeyInfo {
    /// What the sealed keys are bound to (venue names are `[a-z0-9_-]`; the hint is printable
    /// ASCII without spaces, so no field can spill into the next).
    fn binding(&self) -> Vec<u8> {
        format!(
            "sluice-api-key\nvenue={}\nkey_hint={}",
            self.venue, self.key_hint
        )
        .into_bytes()
    }
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
    /// Absent in files written before passphrases were stored, and for venues without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    passphrase: Option<String>,
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
        // Sized up front so the serializer never reallocates (leaving unwiped copies behind).
        let mut payload = Zeroizing::new(Vec::with_capacity(PAYLOAD_CAPACITY));
        serde_json::to_writer(
            &mut *payload,
            &SealedPayload {
                api_key: creds.api_key().to_string(),
                secret: creds.secret().to_string(),
                passphrase: creds.passphrase().map(str::to_string),
            },
        )
        .map_err(|e| KeyStoreError::Corrupt {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let info = KeyInfo {
            venue: venue.to_string(),
            key_hint: creds.api_key().chars().take(4).collect(),
            added_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        };
        let sealed = SealedBox::seal_bound(password, &payload, self.params, &info.binding())
            .map_err(|cause| KeyStoreError::Seal {
                venue: venue.to_string(),
                cause,
            })?;
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
        ensure_private_dir(&self.dir)?;
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
        if file.info.venue != venue {
            return Err(KeyStoreError::Corrupt {
                path: self.path(venue)?,
                detail: format!("holds the keys of {:?}", file.info.venue),
            });
        }
        let plain = file
            .sealed
            .open_bound(password, &file.info.binding())
            .map_err(|cause| KeyStoreError::Seal {
                venue: venue.to_string(),
                cause,
            })?;
        let p: SealedPayload =
            serde_json::from_slice(&plain).map_err(|_| KeyStoreError::Corrupt {
                path: self.path(venue).unwrap_or_default(),
                detail: "sealed content is not a key pair".into(),
            })?;
        let creds = ApiCredentials::new(p.api_key.as_str(), p.secret.as_str())?;
        Ok(match &p.passphrase {
            Some(pp) => creds.with_passphrase(pp.as_str())?,
            None => creds,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn store(home: &Path) -> ApiKeyStore {
        ApiKeyStore::with_params(home, ScryptParams::new(10, 8, 1).unwrap())
    }

    fn creds() -> ApiCredentials {
        ApiCredentials::new("AbCdKey123", "the-secret").unwrap()
    }

    fn json(path: &Path) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn keys_copied_to_another_venue_or_edited_fail_to_open() {
        let home = tempfile::tempdir().unwrap();
        let s = store(home.path());
        s.add("binance", &creds(), b"pw", false).unwrap();
        let original = json(&s.path("binance").unwrap());
        assert_eq!(original["sealed"]["version"], 2);
        assert_eq!(s.load("binance", b"pw").unwrap().secret(), "the-secret");

        let other = s.path("binance_us").unwrap();
        let mut copied = original.clone();
        copied["venue"] = "binance_us".into();
        std::fs::write(&other, copied.to_string()).unwrap();
        let err = s.load("binance_us", b"pw").unwrap_err();
        assert!(
            matches!(
                &err,
                KeyStoreError::Seal {
                    cause: SealError::Mismatch,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("binance_us"), "{err}");

        std::fs::write(&other, original.to_string()).unwrap();
        let err = s.load("binance_us", b"pw").unwrap_err();
        assert!(
            err.to_string().contains("holds the keys of \"binance\""),
            "{err}"
        );

        let mut hint = original.clone();
        hint["key_hint"] = "ZZZZ".into();
        std::fs::write(s.path("binance").unwrap(), hint.to_string()).unwrap();
        assert!(matches!(
            s.load("binance", b"pw"),
            Err(KeyStoreError::Seal {
                cause: SealError::Mismatch,
                ..
            })
        ));
        assert!(matches!(
            s.load("binance", b"wrong"),
            Err(KeyStoreError::Seal {
                cause: SealError::WrongPassword,
                ..
            })
        ));
    }

    /// A key file written before bindings existed (password `legacy-pw`) still opens.
    #[test]
    fn a_passphrase_is_sealed_and_loaded_with_the_keys() {
        let home = tempfile::tempdir().unwrap();
        let s = store(home.path());
        let c = creds().with_passphrase("my pass phrase").unwrap();
        s.add("okx", &c, b"pw", false).unwrap();
        let text = std::fs::read_to_string(home.path().join("keys/okx.json")).unwrap();
        assert!(!text.contains("my pass phrase"), "{text}");
        let back = s.load("okx", b"pw").unwrap();
        assert_eq!(back.passphrase(), Some("my pass phrase"));
        s.add("binance", &creds(), b"pw", false).unwrap();
        assert_eq!(s.load("binance", b"pw").unwrap().passphrase(), None);
    }

    #[test]
    fn legacy_key_files_still_open() {
        let home = tempfile::tempdir().unwrap();
        let s = ApiKeyStore::new(home.path());
        let legacy = concat!(
            r#"{"venue": "binance", "key_hint": "k3yL", "added_at": 1796608904, "sealed": "#,
            r#"{"format": "sluice-sealed", "version": 1, "kdf": {"name": "scrypt", "log_n": 17, "#,
            r#""r": 8, "p": 1, "salt": "17e31f3cd91fffc592342356d575c407e853d255e7997ebfa44d874a"#,
            r#"cdcd5731"}, "cipher": {"name": "aes-256-gcm", "nonce": "e9ef0057fdd1b7ab7468e98f"}, "#,
            r#""ciphertext": "dafaa2b21ae3170fa6b0ee99394652933964c19cd19530c0b644556650e1fbc6d3e"#,
            r#"fb0ca538447d28804e0d649472cae15b3cf0a4c4e2857958d1ef1772972c2ca1aacd60a39c3308002"}}"#
        );
        std::fs::create_dir_all(&s.dir).unwrap();
        std::fs::write(s.path("binance").unwrap(), legacy).unwrap();
        let creds = s.load("binance", b"legacy-pw").unwrap();
        assert_eq!(creds.api_key(), "k3yLegacyApiKey");
        assert_eq!(creds.secret(), "legacy-api-secret");
        assert_eq!(s.list().unwrap()[0].key_hint, "k3yL");
    }

    #[cfg(unix)]
    #[test]
    fn keys_folder_is_narrowed_to_0700() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let s = store(home.path());
        std::fs::create_dir_all(&s.dir).unwrap();
        std::fs::set_permissions(&s.dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        s.add("binance", &creds(), b"pw", false).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&s.dir), 0o700);
        assert_eq!(mode(&s.path("binance").unwrap()), 0o600);
    }
}
