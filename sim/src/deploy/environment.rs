//! A ready local environment: an anvil loaded from the cached deployment snapshot, plus its manifest.
//!
//! The snapshot (anvil's JSON state + `manifest.json`) lives in `.sluice-cache/anvil/<key>/`, where the
//! key hashes every input of the deployment: `package-lock.json` (anvil and the light artifact packages),
//! the stamps of the packed heavy packages, our test contracts' builds, and [`DEPLOY_CODE_VERSION`]. It is
//! built once (about ten seconds) by the first caller, or by `scripts/setup.sh`, and rebuilt only when
//! the key changes. Starting from it takes well under a second.

use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::artifacts::{PACKED_DIR, project_root};
use super::deployer::DeployError;
use super::manifest::{MANIFEST_FORMAT, Manifest};
use super::test_contracts::{self, CONTRACTS};
use super::{DEPLOY_CODE_VERSION, deploy_all};
use crate::anvil::{Anvil, AnvilOptions};

/// Runtime code size limit of the node the deployment runs on: Perp v1's ClearingHouse (25 386 B) is
/// above EIP-170's 24 576 B.
pub const DEPLOY_CODE_SIZE_LIMIT: u64 = 32_768;

const STATE_FILE: &str = "state.json";
const MANIFEST_FILE: &str = "manifest.json";

/// A cached deployment: the state file to load and what it contains.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub state: PathBuf,
    pub manifest: Manifest,
}

/// A running anvil with every protocol deployed, and the manifest describing it.
#[derive(Debug)]
pub struct LocalEnv {
    pub anvil: Anvil,
    pub manifest: Manifest,
}

impl LocalEnv {
    /// Starts a node from the cached snapshot (building the snapshot first if its inputs changed).
    pub async fn start() -> Result<Self, DeployError> {
        Self::start_with(AnvilOptions::default()).await
    }

    /// Like [`LocalEnv::start`] with further node options (`load_state` is set to the snapshot).
    pub async fn start_with(mut options: AnvilOptions) -> Result<Self, DeployError> {
        let snapshot = Snapshot::ensure().await?;
        let started = Instant::now();
        options.load_state = Some(snapshot.state.clone());
        let anvil = Anvil::spawn(options).await?;
        anvil.resume_clock().await?;
        tracing::info!(elapsed = ?started.elapsed(), url = %anvil.url(), "local environment ready from snapshot");
        let mut manifest = snapshot.manifest;
        // A node started with another chain id serves the same contracts under that id.
        manifest.chain_id = anvil.chain_id();
        // ... and the snapshot's history: its genesis must be the one the manifest records.
        manifest
            .check_on("the cached snapshot's manifest", &anvil.read_provider())
            .await
            .map_err(|e| file_err(&snapshot.state, e))?;
        Ok(Self { anvil, manifest })
    }

    /// A second node forking this one (`--fork-url`) at its current head, with the same manifest: trades
    /// on the fork leave this node unchanged.
    pub async fn fork(&self, mut options: AnvilOptions) -> Result<Self, DeployError> {
        options.fork_url = Some(self.anvil.url().to_string());
        let anvil = Anvil::spawn(options).await?;
        Ok(Self {
            anvil,
            manifest: self.manifest.clone(),
        })
    }

    /// A node forking the chain at `url` (optionally at `block`), described by `manifest`.
    pub async fn fork_of(
        url: &str,
        block: Option<u64>,
        manifest: Manifest,
        mut options: AnvilOptions,
    ) -> Result<Self, DeployError> {
        options.fork_url = Some(url.to_string());
        options.fork_block = block;
        let anvil = Anvil::spawn(options).await?;
        Ok(Self { anvil, manifest })
    }

    /// Deploys everything on a new node without touching the cache (slow: seconds).
    pub async fn deploy_fresh(mut options: AnvilOptions) -> Result<Self, DeployError> {
        options
            .code_size_limit
            .get_or_insert(DEPLOY_CODE_SIZE_LIMIT);
        let anvil = Anvil::spawn(options).await?;
        let manifest = deploy_all(&anvil).await?;
        Ok(Self { anvil, manifest })
    }
}

impl Snapshot {
    /// The cached snapshot for the current inputs, built if missing.
    pub async fn ensure() -> Result<Self, DeployError> {
        let dir = cache_dir()?;
        if let Some(s) = Self::read(&dir)? {
            return Ok(s);
        }
        Self::build(&dir).await
    }

    /// Reads a complete snapshot from `dir`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<Self>, DeployError> {
        let (state, manifest_path) = (dir.join(STATE_FILE), dir.join(MANIFEST_FILE));
        if !state.is_file() || !manifest_path.is_file() {
            return Ok(None);
        }
        let text =
            std::fs::read_to_string(&manifest_path).map_err(|e| file_err(&manifest_path, e))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| file_err(&manifest_path, e))?;
        if manifest.format != MANIFEST_FORMAT {
            return Ok(None);
        }
        Ok(Some(Self { state, manifest }))
    }

    /// Deploys on a fresh node, dumps its state and writes both files into `dir`. Concurrent builders
    /// each work in their own folder and the first to finish publishes it with one rename.
    pub async fn build(dir: &Path) -> Result<Self, DeployError> {
        let started = Instant::now();
        let env = LocalEnv::deploy_fresh(AnvilOptions::default()).await?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = dir.with_extension(format!("building-{}-{nonce}", std::process::id()));
        std::fs::create_dir_all(&tmp).map_err(|e| file_err(&tmp, e))?;
        env.anvil.dump_state_to(&tmp.join(STATE_FILE)).await?;
        let manifest_path = tmp.join(MANIFEST_FILE);
        std::fs::write(&manifest_path, env.manifest.to_json_pretty())
            .map_err(|e| file_err(&manifest_path, e))?;
        drop(env);
        if std::fs::rename(&tmp, dir).is_err() {
            // Another builder published first; its snapshot is equivalent.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        remove_outdated_snapshots(dir);
        tracing::info!(elapsed = ?started.elapsed(), dir = %dir.display(), "deployment snapshot built");
        Self::read(dir)?.ok_or_else(|| DeployError::File {
            path: dir.display().to_string(),
            reason: "snapshot missing right after it was built".into(),
        })
    }
}

/// `.sluice-cache/anvil/<key>` for the current inputs.
pub fn cache_dir() -> Result<PathBuf, DeployError> {
    Ok(project_root()
        .join(".sluice-cache")
        .join("anvil")
        .join(snapshot_key()?))
}

/// A hash of everything the deployment's result depends on.
pub fn snapshot_key() -> Result<String, DeployError> {
    let root = project_root();
    let mut h = Sha256::new();
    h.update(format!(
        "deploy-code-v{DEPLOY_CODE_VERSION};manifest-v{MANIFEST_FORMAT}\n"
    ));
    test_contracts::ensure_built()?;
    let ours = CONTRACTS
        .iter()
        .map(|(src, name)| test_contracts::artifact_path(src, name));
    for rel in std::iter::once("package-lock.json".to_string()).chain(ours) {
        let p = root.join(&rel);
        let bytes = std::fs::read(&p).map_err(|e| file_err(&p, e))?;
        h.update(rel.as_bytes());
        h.update(Sha256::digest(&bytes));
    }
    // The heavy packages: each extraction's stamp holds its pinned sha512 and file list.
    let packed = root.join(PACKED_DIR);
    let mut stamps: Vec<PathBuf> = std::fs::read_dir(&packed)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join(".stamp"))
                .collect()
        })
        .unwrap_or_default();
    stamps.sort();
    for s in stamps {
        if let Ok(bytes) = std::fs::read(&s) {
            h.update(
                s.parent()
                    .and_then(Path::file_name)
                    .map(|n| n.as_encoded_bytes())
                    .unwrap_or_default(),
            );
            h.update(bytes);
        }
    }
    Ok(hex::encode(&h.finalize()[..8]))
}

/// How long a snapshot of other inputs is kept: the cache may be shared by work trees on different
/// branches (different keys), which must not delete each other's snapshot while it is in use.
const OTHER_SNAPSHOTS_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Deletes the snapshots of other inputs next to `current` (a few MB each) that were not built
/// within [`OTHER_SNAPSHOTS_KEPT_FOR`], leaving builds in progress.
fn remove_outdated_snapshots(current: &Path) {
    let (Some(parent), Some(name)) = (current.parent(), current.file_name()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        let stale = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > OTHER_SNAPSHOTS_KEPT_FOR);
        if n != name && stale && !n.to_string_lossy().contains(".building-") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> DeployError {
    DeployError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_stable_for_unchanged_inputs() {
        if test_contracts::ensure_built().is_err() {
            return; // not set up (no forge): nothing to hash
        }
        let a = snapshot_key().unwrap();
        assert_eq!(a, snapshot_key().unwrap());
        assert_eq!(a.len(), 16);
    }

    /// A manifest with no contracts (zero addresses).
    fn empty_manifest(format: u32) -> Manifest {
        use alloy::primitives::{Address, B256};
        use sluice::chain::deployment::{UniswapV2, UniswapV3};
        Manifest {
            format,
            chain_id: 31337,
            genesis_hash: Some(B256::ZERO),
            deployer: Address::ZERO,
            block: 0,
            tokens: Default::default(),
            uniswap_v2: UniswapV2 {
                factory: Address::ZERO,
                router02: Address::ZERO,
                pair_init_code_hash: B256::ZERO,
                pairs: vec![],
            },
            uniswap_v3: UniswapV3 {
                factory: Address::ZERO,
                position_manager: Address::ZERO,
                swap_router: Address::ZERO,
                quoter_v2: Address::ZERO,
                tick_lens: Address::ZERO,
                pool_init_code_hash: B256::ZERO,
                pools: vec![],
            },
            balancer: None,
            perp: None,
            mento: None,
            hostile_tokens: None,
        }
    }

    #[test]
    fn a_recent_snapshot_of_other_inputs_is_kept_an_old_one_removed() {
        let root = tempfile::tempdir().unwrap();
        let current = root.path().join("current");
        let (recent, old) = (root.path().join("recent"), root.path().join("old"));
        for d in [&current, &recent, &old] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join(STATE_FILE), "{}").unwrap();
        }
        let two_days = std::time::Duration::from_secs(2 * 24 * 3600);
        let then = std::time::SystemTime::now() - two_days;
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(then)
            .unwrap();
        remove_outdated_snapshots(&current);
        // Another work tree's snapshot, in use today, stays; a forgotten one goes.
        assert!(recent.join(STATE_FILE).is_file());
        assert!(current.join(STATE_FILE).is_file());
        assert!(!old.exists());
    }

    #[test]
    fn only_a_complete_snapshot_of_the_current_format_is_used() {
        let dir = std::env::temp_dir().join(format!("sluice-snapshot-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(Snapshot::read(&dir).unwrap().is_none(), "empty folder");
        std::fs::write(
            dir.join(MANIFEST_FILE),
            empty_manifest(MANIFEST_FORMAT).to_json_pretty(),
        )
        .unwrap();
        assert!(Snapshot::read(&dir).unwrap().is_none(), "no state file");
        std::fs::write(dir.join(STATE_FILE), "{}").unwrap();
        assert!(Snapshot::read(&dir).unwrap().is_some());
        std::fs::write(
            dir.join(MANIFEST_FILE),
            empty_manifest(MANIFEST_FORMAT - 1).to_json_pretty(),
        )
        .unwrap();
        assert!(
            Snapshot::read(&dir).unwrap().is_none(),
            "older manifest format"
        );
        std::fs::write(dir.join(MANIFEST_FILE), "not json").unwrap();
        assert!(Snapshot::read(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
