//! Creation bytecode read from the protocols' published build artifacts (npm packages installed or
//! extracted by `scripts/setup.sh`) and from our own `contracts-test/` build. Never hand-written bytecode.
//!
//! Formats understood: Hardhat/Truffle/forge (`bytecode` as a string or `{object}`), Waffle
//! (`bytecode` without `0x`, or `evm.bytecode.object`), Balancer deployments (`creationCode`), and
//! TypeChain ethers factories (`var _bytecode = "0x…"` in a `.js` file). Library placeholders
//! (`__$<34 hex>$__`) are replaced by [`Artifact::link`].

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, Bytes};
use serde_json::Value;

/// Environment variable that overrides the project root the artifact paths are relative to.
pub const ROOT_ENV: &str = "SLUICE_ROOT";

/// Where `scripts/setup.sh` extracts the files of the heavy packages fetched with `npm pack`.
pub const PACKED_DIR: &str = ".sluice-cache/artifacts";

/// Errors reading an artifact.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("artifact {} is missing (run scripts/setup.sh): {source}", path.display())]
    Missing {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("artifact {} has no creation bytecode ({reason})", path.display())]
    NoBytecode { path: PathBuf, reason: String },
    #[error("artifact {} still has unlinked libraries after linking: {placeholder}", path.display())]
    Unlinked { path: PathBuf, placeholder: String },
}

/// The project root: `$SLUICE_ROOT`, else the workspace root (the parent of this crate's folder).
pub fn project_root() -> PathBuf {
    match std::env::var_os(ROOT_ENV) {
        Some(p) => PathBuf::from(p),
        None => workspace_root(),
    }
}

/// The workspace root: `sim/` is one of its members.
pub fn workspace_root() -> PathBuf {
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_root
        .parent()
        .map_or_else(|| crate_root.to_path_buf(), Path::to_path_buf)
}

/// One contract's creation code, as hex without `0x` (so placeholders can still be replaced).
#[derive(Debug, Clone)]
pub struct Artifact {
    path: PathBuf,
    hex: String,
}

impl Artifact {
    /// Reads the artifact at `relative` (to the project root).
    pub fn load(relative: &str) -> Result<Self, ArtifactError> {
        let path = project_root().join(relative);
        let text = std::fs::read_to_string(&path).map_err(|source| ArtifactError::Missing {
            path: path.clone(),
            source,
        })?;
        let hex = if path.extension().is_some_and(|e| e == "js") {
            typechain_bytecode(&text)
        } else {
            json_bytecode(&text)
        }
        .map_err(|reason| ArtifactError::NoBytecode {
            path: path.clone(),
            reason,
        })?;
        Ok(Self { path, hex })
    }

    /// Replaces the library placeholder `__$<hash>$__` with `library`.
    pub fn link(mut self, placeholder_hash: &str, library: Address) -> Self {
        let placeholder = format!("__${placeholder_hash}$__");
        let addr = hex::encode(library.as_slice());
        self.hex = self.hex.replace(&placeholder, &addr);
        self
    }

    /// The creation code; fails if a library placeholder is left.
    pub fn bytecode(&self) -> Result<Bytes, ArtifactError> {
        if let Some(at) = self.hex.find("__$") {
            let end = (at + 40).min(self.hex.len());
            return Err(ArtifactError::Unlinked {
                path: self.path.clone(),
                placeholder: self.hex.get(at..end).unwrap_or_default().to_string(),
            });
        }
        let raw = hex::decode(&self.hex).map_err(|e| ArtifactError::NoBytecode {
            path: self.path.clone(),
            reason: format!("not hex: {e}"),
        })?;
        Ok(Bytes::from(raw))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn strip(hex: &str) -> String {
    hex.trim().trim_start_matches("0x").to_string()
}

fn json_bytecode(text: &str) -> Result<String, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let candidates = [
        v.get("bytecode"),
        v.get("bytecode").and_then(|b| b.get("object")),
        v.get("creationCode"),
        v.get("evm")
            .and_then(|e| e.get("bytecode"))
            .and_then(|b| b.get("object")),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(strip)
        .find(|s| !s.is_empty())
        .ok_or_else(|| "no bytecode, bytecode.object, creationCode or evm.bytecode.object".into())
}

fn typechain_bytecode(text: &str) -> Result<String, String> {
    const MARK: &str = "_bytecode = \"";
    let start = text
        .find(MARK)
        .ok_or("no `_bytecode = \"…\"` in the factory")?
        + MARK.len();
    let len = text[start..]
        .find('"')
        .ok_or("unterminated _bytecode string")?;
    Ok(strip(&text[start..start + len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_format() {
        assert_eq!(json_bytecode(r#"{"bytecode":"0x6001"}"#).unwrap(), "6001");
        assert_eq!(
            json_bytecode(r#"{"bytecode":{"object":"0x6002"}}"#).unwrap(),
            "6002"
        );
        assert_eq!(
            json_bytecode(r#"{"creationCode":"0x6003"}"#).unwrap(),
            "6003"
        );
        assert_eq!(
            json_bytecode(r#"{"evm":{"bytecode":{"object":"6004"}}}"#).unwrap(),
            "6004"
        );
        assert!(json_bytecode(r#"{"bytecode":"0x"}"#).is_err());
        let js = "var _abi = [];\nvar _bytecode = \"0x6005\";\n";
        assert_eq!(typechain_bytecode(js).unwrap(), "6005");
    }

    #[test]
    fn links_placeholders_and_refuses_unlinked_code() {
        let hash = "c2b33605895395979c86248f2394db090c";
        let a = Artifact {
            path: "x".into(),
            hex: format!("60__${hash}$__00"),
        };
        assert!(matches!(a.bytecode(), Err(ArtifactError::Unlinked { .. })));
        let lib = Address::repeat_byte(0xab);
        let code = a.link(hash, lib).bytecode().unwrap();
        assert_eq!(code.len(), 22);
        assert_eq!(&code[1..21], lib.as_slice());
    }
}
