//! Wallet files under the sluice home: `<home>/wallets/<name>.json`, one per wallet, holding the
//! secret (a mnemonic with its optional BIP-39 passphrase, or one private key) sealed under the
//! user's password ([`SealedBox`]: scrypt + AES-256-GCM), plus public data (kind, first EVM address)
//! so `list` needs no password. Files are written 0600 in a 0700 folder, atomically, never over an
//! existing wallet.
//!
//! Version 2 files seal the secret bound to the public data (name, kind, address): a file renamed or
//! copied to another wallet's name, or with its address edited, fails to open. Version 1 files
//! (written before) still open; for every version, unlocking also checks that the address field is
//! the address of the sealed secret.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::derivation::{self, DerivationError, DerivationPath};
use super::kdf::ScryptParams;
use super::keys::{KeyError, PrivateKey};
use super::mnemonic::{Mnemonic, MnemonicError};
use super::sealed::{SealError, SealedBox};
use super::secret::SecretString;
use super::secure_file::{self, SecureFileError, WriteMode};

const WALLET_FORMAT: &str = "sluice-wallet";
/// Written: the sealed secret is bound to the name, kind and address.
const WALLET_VERSION: u32 = 2;
/// Still read: no binding (the sealed part is a legacy version 1 box).
const LEGACY_WALLET_VERSION: u32 = 1;
/// Room for the sealed plaintext (a 24-word phrase, a long passphrase and the JSON around them).
const PAYLOAD_CAPACITY: usize = 4096;
/// The path whose address `list` shows for mnemonic wallets.
const FIRST_EVM_PATH: &str = "m/44'/60'/0'/0/0";

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("invalid wallet name {0:?}: use 1 to 64 letters, digits, '-' or '_'")]
    BadName(String),
    #[error("no wallet named {0:?} (see `sluice wallet list`)")]
    NotFound(String),
    #[error("a wallet named {0:?} already exists")]
    Exists(String),
    #[error("wallet {name:?}: {cause}")]
    Sealed { name: String, cause: SealError },
    #[error("wallet file {path}: {problem}")]
    Corrupt { path: PathBuf, problem: String },
    #[error(
        "wallet {name:?}: the file says address {claimed} but its secret is {actual}: the file was \
         edited"
    )]
    AddressMismatch {
        name: String,
        claimed: String,
        actual: String,
    },
    #[error("wallet {0:?} holds a single private key: account indexes and paths do not apply")]
    SingleKey(String),
    #[error(transparent)]
    File(#[from] SecureFileError),
    #[error(transparent)]
    Mnemonic(#[from] MnemonicError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Derivation(#[from] DerivationError),
}

/// What a wallet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WalletKind {
    Mnemonic,
    PrivateKey,
}

impl WalletKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WalletKind::Mnemonic => "mnemonic",
            WalletKind::PrivateKey => "private-key",
        }
    }
}

/// The public part of a wallet file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WalletInfo {
    pub name: String,
    pub kind: WalletKind,
    /// The EVM address at `m/44'/60'/0'/0/0` (mnemonic) or of the key (private key).
    pub evm_address: String,
}

impl WalletInfo {
    /// What a version 2 file's sealed secret is bound to. Names are `[A-Za-z0-9_-]`, kinds and
    /// addresses fixed alphabets: no field can spill into the next.
    fn binding(&self) -> Vec<u8> {
        format!(
            "{WALLET_FORMAT}\nname={}\nkind={}\nevm_address={}",
            self.name,
            self.kind.as_str(),
            self.evm_address
        )
        .into_bytes()
    }
}

#[derive(Serialize, Deserialize)]
struct WalletFile {
    format: String,
    version: u32,
    #[serde(flatten)]
    info: WalletInfo,
    sealed: SealedBox,
}

/// The sealed plaintext.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum SecretPayload {
    Mnemonic {
        phrase: String,
        bip39_passphrase: String,
    },
    PrivateKey {
        key_hex: String,
    },
}

/// An unlocked wallet: the secret, in memory, wiped on drop (every field that holds it is
/// `ZeroizeOnDrop`). `Debug` is redacted.
#[derive(Debug)]
pub enum UnlockedWallet {
    Mnemonic {
        name: String,
        mnemonic: Mnemonic,
        passphrase: SecretString,
    },
    PrivateKey {
        name: String,
        key: PrivateKey,
    },
}

impl UnlockedWallet {
    pub fn name(&self) -> &str {
        match self {
            UnlockedWallet::Mnemonic { name, .. } | UnlockedWallet::PrivateKey { name, .. } => name,
        }
    }

    pub fn kind(&self) -> WalletKind {
        match self {
            UnlockedWallet::Mnemonic { .. } => WalletKind::Mnemonic,
            UnlockedWallet::PrivateKey { .. } => WalletKind::PrivateKey,
        }
    }

    /// The key at `path`. A private-key wallet has no tree: only `None` is accepted for it.
    pub fn key_at(&self, path: Option<&DerivationPath>) -> Result<PrivateKey, StoreError> {
        match (self, path) {
            (
                UnlockedWallet::Mnemonic {
                    mnemonic,
                    passphrase,
                    ..
                },
                Some(path),
            ) => {
                let seed = mnemonic.to_seed(passphrase);
                Ok(derivation::derive_key(&seed, path)?)
            }
            (UnlockedWallet::Mnemonic { .. }, None) => {
                let path: DerivationPath = FIRST_EVM_PATH.parse()?;
                self.key_at(Some(&path))
            }
            (UnlockedWallet::PrivateKey { key, .. }, None) => Ok(key.clone()),
            (UnlockedWallet::PrivateKey { name, .. }, Some(_)) => {
                Err(StoreError::SingleKey(name.clone()))
            }
        }
    }

    fn payload(&self) -> SecretPayload {
        match self {
            UnlockedWallet::Mnemonic {
                mnemonic,
                passphrase,
                ..
            } => SecretPayload::Mnemonic {
                phrase: mnemonic.phrase().to_string(),
                bip39_passphrase: passphrase.expose().to_string(),
            },
            UnlockedWallet::PrivateKey { key, .. } => SecretPayload::PrivateKey {
                key_hex: hex::encode(&key.to_bytes()[..]),
            },
        }
    }
}

// Every field holding the secret wipes itself on drop (`Mnemonic`, `SecretString`, `PrivateKey`).
impl ZeroizeOnDrop for UnlockedWallet {}

/// The wallets folder of one sluice home.
#[derive(Debug, Clone)]
pub struct WalletStore {
    dir: PathBuf,
    params: ScryptParams,
}

impl WalletStore {
    /// Wallets under `<home>/wallets`, sealed with [`ScryptParams::DEFAULT`].
    pub fn new(home: &Path) -> Self {
        Self {
            dir: home.join("wallets"),
            params: ScryptParams::DEFAULT,
        }
    }

    /// Same, with other scrypt parameters for new files (tests use cheap ones).
    pub fn with_params(home: &Path, params: ScryptParams) -> Self {
        Self {
            dir: home.join("wallets"),
            params,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, name: &str) -> Result<PathBuf, StoreError> {
        check_name(name)?;
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Seals and writes a new wallet; fails if the name is taken (nothing is written then).
    pub fn save(
        &self,
        wallet: &UnlockedWallet,
        password: &SecretString,
    ) -> Result<WalletInfo, StoreError> {
        let name = wallet.name().to_string();
        let path = self.path_of(&name)?;
        if path.exists() {
            return Err(StoreError::Exists(name));
        }
        let info = WalletInfo {
            name: name.clone(),
            kind: wallet.kind(),
            evm_address: wallet.key_at(None)?.evm_address().to_checksum(None),
        };
        // Sized up front so the serializer never reallocates (leaving unwiped copies behind).
        let mut plain = Zeroizing::new(Vec::with_capacity(PAYLOAD_CAPACITY));
        serde_json::to_writer(&mut *plain, &wallet.payload()).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            problem: e.to_string(),
        })?;
        let sealed =
            SealedBox::seal_bound(password.as_bytes(), &plain, self.params, &info.binding())
                .map_err(|cause| StoreError::Sealed {
                    name: name.clone(),
                    cause,
                })?;
        let file = WalletFile {
            format: WALLET_FORMAT.into(),
            version: WALLET_VERSION,
            info: info.clone(),
            sealed,
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            problem: e.to_string(),
        })?;
        secure_file::ensure_private_dir(&self.dir)?;
        match secure_file::write_private_file(&path, text.as_bytes(), WriteMode::CreateNew) {
            Err(SecureFileError::AlreadyExists(_)) => Err(StoreError::Exists(name)),
            other => other.map_err(StoreError::from),
        }?;
        tracing::debug!(wallet = %info.name, kind = info.kind.as_str(), path = %path.display(), "wallet saved");
        Ok(info)
    }

    /// Reads and decrypts a wallet.
    pub fn unlock(
        &self,
        name: &str,
        password: &SecretString,
    ) -> Result<UnlockedWallet, StoreError> {
        let (path, file) = self.read(name)?;
        let plain = file
            .sealed
            .open_bound(password.as_bytes(), &file.info.binding())
            .map_err(|cause| StoreError::Sealed {
                name: name.to_string(),
                cause,
            })?;
        tracing::debug!(
            wallet = name,
            path = %path.display(),
            legacy = file.sealed.is_legacy(),
            "wallet unlocked"
        );
        let payload: SecretPayload =
            serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt {
                path: path.clone(),
                problem: "the decrypted content is not a wallet".into(),
            })?;
        let name = name.to_string();
        let wallet = match &payload {
            SecretPayload::Mnemonic {
                phrase,
                bip39_passphrase,
            } => UnlockedWallet::Mnemonic {
                name,
                mnemonic: Mnemonic::parse(phrase)?,
                passphrase: SecretString::new(bip39_passphrase.clone()),
            },
            SecretPayload::PrivateKey { key_hex } => UnlockedWallet::PrivateKey {
                name,
                key: PrivateKey::from_hex(key_hex)?,
            },
        };
        // A version 1 file's address is not authenticated: check it against the secret.
        let actual = wallet.key_at(None)?.evm_address().to_checksum(None);
        if wallet.kind() != file.info.kind || actual != file.info.evm_address {
            return Err(StoreError::AddressMismatch {
                name: wallet.name().to_string(),
                claimed: format!("{} ({})", file.info.evm_address, file.info.kind.as_str()),
                actual: format!("{actual} ({})", wallet.kind().as_str()),
            });
        }
        Ok(wallet)
    }

    /// Public data of one wallet (no password needed).
    pub fn info(&self, name: &str) -> Result<WalletInfo, StoreError> {
        Ok(self.read(name)?.1.info)
    }

    /// Every wallet, sorted by name. A missing folder means no wallets.
    pub fn list(&self) -> Result<Vec<WalletInfo>, StoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(SecureFileError::Io {
                    op: "list",
                    path: self.dir.clone(),
                    source,
                }
                .into());
            }
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if check_name(name).is_ok() {
                out.push(self.info(name)?);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read(&self, name: &str) -> Result<(PathBuf, WalletFile), StoreError> {
        let path = self.path_of(name)?;
        if !path.exists() {
            return Err(StoreError::NotFound(name.to_string()));
        }
        let bytes = secure_file::read_private_file(&path)?;
        let corrupt = |problem: String| StoreError::Corrupt {
            path: path.clone(),
            problem,
        };
        let file: WalletFile =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("invalid JSON: {e}")))?;
        let known = match file.version {
            WALLET_VERSION => !file.sealed.is_legacy(),
            LEGACY_WALLET_VERSION => file.sealed.is_legacy(),
            _ => false,
        };
        if file.format != WALLET_FORMAT || !known {
            return Err(corrupt(format!(
                "format {:?} version {} with a {} sealed secret (expected {WALLET_FORMAT:?} \
                 version {WALLET_VERSION}, or {LEGACY_WALLET_VERSION} from older sluice)",
                file.format,
                file.version,
                if file.sealed.is_legacy() {
                    "legacy"
                } else {
                    "bound"
                }
            )));
        }
        if file.info.name != name {
            return Err(corrupt(format!("holds wallet {:?}", file.info.name)));
        }
        Ok((path, file))
    }
}

/// Wallet names: 1 to 64 of `[A-Za-z0-9_-]` (they become file names).
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadName(name.to_string()))
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
