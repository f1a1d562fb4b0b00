//! Reading a chain spec's TOML: typed keys that name the key in their errors, and the checks of
//! key paths, EVM addresses and bech32 addresses.

use alloy::primitives::Address;
use toml::{Table, Value};

use super::ChainSpecError;

/// Reads typed keys from a TOML table, naming the key in errors.
pub(super) struct Reader<'a, F: Fn(Option<&str>, String) -> ChainSpecError> {
    pub(super) table: &'a Table,
    pub(super) prefix: String,
    pub(super) err: &'a F,
}

impl<'a, F: Fn(Option<&str>, String) -> ChainSpecError> Reader<'a, F> {
    pub(super) fn fail(&self, key: &str, problem: String) -> ChainSpecError {
        (self.err)(Some(&format!("{}{key}", self.prefix)), problem)
    }

    pub(super) fn opt_string(&mut self, key: &str) -> Result<Option<String>, ChainSpecError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(Value::String(_)) => Err(self.fail(key, "must not be empty".into())),
            Some(v) => Err(self.fail(key, format!("must be a string, got {}", v.type_str()))),
        }
    }

    pub(super) fn string(&mut self, key: &str) -> Result<String, ChainSpecError> {
        self.opt_string(key)?
            .ok_or_else(|| self.fail(key, "missing".into()))
    }

    pub(super) fn integer(&mut self, key: &str) -> Result<u64, ChainSpecError> {
        match self.table.get(key) {
            Some(Value::Integer(i)) if *i >= 0 => Ok(*i as u64),
            Some(v) => Err(self.fail(key, format!("must be a non-negative integer, got {v}"))),
            None => Err(self.fail(key, "missing".into())),
        }
    }

    pub(super) fn decimals(&mut self, key: &str) -> Result<u8, ChainSpecError> {
        let d = self.integer(key)?;
        u8::try_from(d)
            .ok()
            .filter(|d| *d <= 36)
            .ok_or_else(|| self.fail(key, format!("{d} is out of range (0 to 36)")))
    }

    pub(super) fn table(&mut self, key: &str) -> Result<&'a Table, ChainSpecError> {
        match self.table.get(key) {
            Some(Value::Table(t)) => Ok(t),
            Some(v) => Err(self.fail(key, format!("must be a table, got {}", v.type_str()))),
            None => Err(self.fail(key, "missing".into())),
        }
    }

    pub(super) fn urls(
        &mut self,
        key: &str,
        required: bool,
    ) -> Result<Vec<String>, ChainSpecError> {
        let items = match self.table.get(key) {
            None if required => {
                return Err(self.fail(key, "missing (at least one endpoint)".into()));
            }
            None => return Ok(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(v) => {
                return Err(self.fail(
                    key,
                    format!("must be an array of URLs, got {}", v.type_str()),
                ));
            }
        };
        if required && items.is_empty() {
            return Err(self.fail(key, "must list at least one endpoint".into()));
        }
        let mut out = Vec::new();
        for (i, v) in items.iter().enumerate() {
            let s = v.as_str().ok_or_else(|| {
                self.fail(
                    &format!("{key}[{i}]"),
                    format!("must be a URL string, got {v}"),
                )
            })?;
            let url = url::Url::parse(s).map_err(|e| {
                self.fail(&format!("{key}[{i}]"), format!("{s:?} is not a URL: {e}"))
            })?;
            if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
                return Err(self.fail(
                    &format!("{key}[{i}]"),
                    format!("{s:?}: scheme must be http(s) or ws(s)"),
                ));
            }
            out.push(s.to_string());
        }
        Ok(out)
    }
}

pub(super) fn check_key_path(path: &str) -> Result<(), String> {
    let mut parts = path.split('/');
    if parts.next() != Some("m") {
        return Err(format!("{path:?} must start with m/"));
    }
    let mut n = 0;
    for p in parts {
        let digits = p.strip_suffix('\'').unwrap_or(p);
        if digits.is_empty()
            || !digits.chars().all(|c| c.is_ascii_digit())
            || digits.parse::<u32>().is_err()
        {
            return Err(format!("{path:?}: {p:?} is not a path component"));
        }
        n += 1;
    }
    if n != 4 {
        return Err(format!(
            "{path:?} must have 4 components (purpose/coin/account/change); the index is appended"
        ));
    }
    Ok(())
}

pub(super) fn check_evm_address(s: &str) -> Result<(), String> {
    let hex = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("{s:?} is not an EVM address (no 0x)"))?;
    if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{s:?} is not an EVM address (40 hex digits expected)"
        ));
    }
    let mixed =
        hex.chars().any(|c| c.is_ascii_lowercase()) && hex.chars().any(|c| c.is_ascii_uppercase());
    if mixed {
        Address::parse_checksummed(s, None)
            .map_err(|_| format!("{s:?} fails its EIP-55 checksum"))?;
    }
    Ok(())
}

pub(super) fn check_bech32(s: &str, prefix: &str) -> Result<(), String> {
    let (hrp, _data) =
        bech32::decode(s).map_err(|e| format!("{s:?} is not a bech32 address: {e}"))?;
    if hrp.as_str() != prefix {
        return Err(format!(
            "{s:?} has prefix {:?}, expected {prefix:?}",
            hrp.as_str()
        ));
    }
    Ok(())
}
