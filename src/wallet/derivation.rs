//! BIP-32 / BIP-44 derivation: paths (parsed and checked here, so an index ≥ 2^31 is an error rather
//! than silently hardened), the standard path of each chain (`key_path` of its spec + `/index`), and
//! child private keys from a seed (with the `coins-bip32` crate).

use std::fmt;
use std::str::FromStr;

use coins_bip32::primitives::Hint;
use coins_bip32::xkeys::XPriv;
use thiserror::Error;

use super::keys::PrivateKey;
use super::mnemonic::Seed;

/// First hardened index; also the bound (exclusive) of a plain index.
pub const HARDENED: u32 = 0x8000_0000;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DerivationError {
    #[error("invalid derivation path {path:?}: {reason}")]
    BadPath { path: String, reason: String },
    #[error("index {0} out of range: an account index must be below 2^31 (2147483648)")]
    IndexOutOfRange(u64),
    #[error("key derivation failed: {0}")]
    Derive(String),
}

/// A BIP-32 path such as `m/44'/60'/0'/0/0`. Components are stored with the hardened bit set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DerivationPath(Vec<u32>);

impl DerivationPath {
    pub fn components(&self) -> &[u32] {
        &self.0
    }

    /// This path with one more plain (non-hardened) component `index`.
    pub fn child(&self, index: u64) -> Result<Self, DerivationError> {
        let index = check_index(index)?;
        let mut parts = self.0.clone();
        parts.push(index);
        Ok(Self(parts))
    }
}

/// Checks a plain account index (< 2^31).
pub fn check_index(index: u64) -> Result<u32, DerivationError> {
    u32::try_from(index)
        .ok()
        .filter(|i| *i < HARDENED)
        .ok_or(DerivationError::IndexOutOfRange(index))
}

impl FromStr for DerivationPath {
    type Err = DerivationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| DerivationError::BadPath {
            path: s.to_string(),
            reason,
        };
        let mut parts = s.trim().split('/');
        if parts.next() != Some("m") {
            return Err(bad("must start with \"m\"".into()));
        }
        let mut out = Vec::new();
        for part in parts {
            let (digits, hardened) = match part.strip_suffix(['\'', 'h', 'H']) {
                Some(d) => (d, true),
                None => (part, false),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("component {part:?} is not a number")));
            }
            let value: u64 = digits
                .parse()
                .map_err(|_| bad(format!("component {part:?} is too large")))?;
            let index = check_index(value).map_err(|e| bad(e.to_string()))?;
            out.push(if hardened { index | HARDENED } else { index });
        }
        if out.len() > 255 {
            return Err(bad("more than 255 levels".into()));
        }
        Ok(Self(out))
    }
}

impl fmt::Display for DerivationPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("m")?;
        for c in &self.0 {
            if c & HARDENED != 0 {
                write!(f, "/{}'", c & !HARDENED)?;
            } else {
                write!(f, "/{c}")?;
            }
        }
        Ok(())
    }
}

/// The path of account `index` under a chain's `key_path` (e.g. `m/44'/60'/0'/0` + `/index`).
pub fn account_path(key_path: &str, index: u64) -> Result<DerivationPath, DerivationError> {
    key_path.parse::<DerivationPath>()?.child(index)
}

/// The BIP-32 master key of a seed.
pub fn master_key(seed: &Seed) -> Result<XPriv, DerivationError> {
    XPriv::root_from_seed(seed.as_bytes(), Some(Hint::Legacy))
        .map_err(|e| DerivationError::Derive(e.to_string()))
}

/// Derives the private key at `path` from a BIP-39 seed.
pub fn derive_key(seed: &Seed, path: &DerivationPath) -> Result<PrivateKey, DerivationError> {
    let xpriv = derive_xpriv(&master_key(seed)?, path)?;
    let signing: &k256::ecdsa::SigningKey = xpriv.as_ref();
    Ok(PrivateKey::from_signing_key(signing.clone()))
}

/// Derives the extended key at `path` below `root`.
pub fn derive_xpriv(root: &XPriv, path: &DerivationPath) -> Result<XPriv, DerivationError> {
    root.derive_path(coins_bip32::path::DerivationPath::from(path.0.clone()))
        .map_err(|e| DerivationError::Derive(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_paths() {
        let p: DerivationPath = "m/44'/60'/0'/0/7".parse().unwrap();
        assert_eq!(
            p.components(),
            &[44 | HARDENED, 60 | HARDENED, HARDENED, 0, 7]
        );
        assert_eq!(p.to_string(), "m/44'/60'/0'/0/7");
        assert_eq!(
            "m/1h/2".parse::<DerivationPath>().unwrap().to_string(),
            "m/1'/2"
        );
        assert_eq!(
            "m".parse::<DerivationPath>().unwrap().components(),
            &[] as &[u32]
        );
        assert_eq!(
            account_path("m/44'/330'/0'/0", 3).unwrap().to_string(),
            "m/44'/330'/0'/0/3"
        );
    }

    #[test]
    fn rejects_bad_paths_and_indexes() {
        for bad in [
            "",
            "44'/60'",
            "m/",
            "m/x",
            "m/-1",
            "m/2147483648",
            "m/2147483648'",
            "m/1''",
        ] {
            assert!(bad.parse::<DerivationPath>().is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            account_path("m/44'/60'/0'/0", 1 << 31).unwrap_err(),
            DerivationError::IndexOutOfRange(1 << 31)
        );
        assert!(check_index((1 << 31) - 1).is_ok());
        assert!(check_index(u64::MAX).is_err());
    }
}
