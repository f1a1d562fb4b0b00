//! A deployment manifest is only true of the chain it was deployed on: it records that node's chain
//! id and genesis block hash, and every place that loads one (`--manifest`, `SLUICE_MANIFEST`, an
//! `arb` config's `manifest`, a saved `anvil up --state`, the cached snapshot) checks both against
//! the node it is about to be used with. A manifest for another chain, or one written before the
//! manifest recorded its chain (no genesis hash), is refused: its addresses would point at whatever
//! happens to live there on this chain.

use std::path::Path;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::B256;
use alloy::providers::Provider;

use super::manifest::Manifest;

/// What identifies a chain (and, for local nodes, one deployment's history of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeIdentity {
    pub chain_id: u64,
    /// The hash of block 0.
    pub genesis_hash: B256,
}

/// Why a manifest was not used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read the deployment manifest {source_name}: {reason}")]
    Read { source_name: String, reason: String },
    #[error("{source_name} is not a deployment manifest: {reason}")]
    Parse { source_name: String, reason: String },
    #[error(
        "the deployment manifest {source_name} does not record the genesis block hash of the chain it \
         was deployed on (an older sluice wrote it), so it cannot be checked against this node \
         (chain id {node_chain_id}, genesis {node_genesis}): redeploy (`sluice anvil up --deploy`; \
         for the cached test snapshot, `bash scripts/setup.sh`) to get a manifest that records it"
    )]
    Unchecked {
        source_name: String,
        node_chain_id: u64,
        node_genesis: B256,
    },
    #[error(
        "the deployment manifest {source_name} was deployed on chain id {manifest} but the node is \
         chain id {node}: refusing to use its addresses on another chain"
    )]
    ChainIdMismatch {
        source_name: String,
        manifest: u64,
        node: u64,
    },
    #[error(
        "the deployment manifest {source_name} was deployed on a chain whose genesis block is \
         {manifest}, but the node's genesis block is {node} (same chain id {chain_id}): it describes \
         another chain, refusing to use its addresses here"
    )]
    GenesisMismatch {
        source_name: String,
        chain_id: u64,
        manifest: B256,
        node: B256,
    },
    #[error("cannot read the node's chain id and genesis block to check {source_name}: {reason}")]
    Node { source_name: String, reason: String },
}

/// The chain id and genesis hash of the node behind `provider`. Errors carry the RPC error only
/// (never the node's URL, which may hold an API key).
pub async fn node_identity<P: Provider>(provider: &P) -> Result<NodeIdentity, String> {
    let chain_id = provider.get_chain_id().await.map_err(|e| {
        format!(
            "eth_chainId: {}",
            crate::redact::redact_urls(&e.to_string())
        )
    })?;
    let genesis = provider
        .get_block_by_number(BlockNumberOrTag::Number(0))
        .await
        .map_err(|e| {
            format!(
                "eth_getBlockByNumber(0): {}",
                crate::redact::redact_urls(&e.to_string())
            )
        })?
        .ok_or("the node has no block 0")?;
    Ok(NodeIdentity {
        chain_id,
        genesis_hash: genesis.header.hash,
    })
}

impl Manifest {
    /// Refuses the manifest unless it records `node`'s chain id and genesis hash; `source_name`
    /// names the manifest in the error (its path, or what it is).
    pub fn check_node(&self, source_name: &str, node: NodeIdentity) -> Result<(), ManifestError> {
        let source_name = source_name.to_string();
        if self.chain_id != node.chain_id {
            return Err(ManifestError::ChainIdMismatch {
                source_name,
                manifest: self.chain_id,
                node: node.chain_id,
            });
        }
        match self.genesis_hash {
            None => Err(ManifestError::Unchecked {
                source_name,
                node_chain_id: node.chain_id,
                node_genesis: node.genesis_hash,
            }),
            Some(g) if g != node.genesis_hash => Err(ManifestError::GenesisMismatch {
                source_name,
                chain_id: node.chain_id,
                manifest: g,
                node: node.genesis_hash,
            }),
            Some(_) => Ok(()),
        }
    }

    /// Reads a manifest file without checking it (see [`Manifest::load_checked`]).
    pub fn read_file(path: &Path) -> Result<Self, ManifestError> {
        let source_name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError::Read {
            source_name: source_name.clone(),
            reason: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| ManifestError::Parse {
            source_name,
            reason: e.to_string(),
        })
    }

    /// Reads a manifest file and checks it against the node behind `provider`.
    pub async fn load_checked<P: Provider>(
        path: &Path,
        provider: &P,
    ) -> Result<Self, ManifestError> {
        let manifest = Self::read_file(path)?;
        manifest
            .check_on(&path.display().to_string(), provider)
            .await?;
        Ok(manifest)
    }

    /// [`Manifest::check_node`] against the node behind `provider`.
    pub async fn check_on<P: Provider>(
        &self,
        source_name: &str,
        provider: &P,
    ) -> Result<(), ManifestError> {
        let node = node_identity(provider)
            .await
            .map_err(|reason| ManifestError::Node {
                source_name: source_name.to_string(),
                reason,
            })?;
        self.check_node(source_name, node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(chain_id: u64, genesis: Option<B256>) -> Manifest {
        let mut m = Manifest::empty_for_tests(super::super::manifest::MANIFEST_FORMAT);
        m.chain_id = chain_id;
        m.genesis_hash = genesis;
        m
    }

    const NODE: NodeIdentity = NodeIdentity {
        chain_id: 31337,
        genesis_hash: B256::repeat_byte(0x11),
    };

    #[test]
    fn the_manifest_of_this_node_is_accepted() {
        manifest(31337, Some(NODE.genesis_hash))
            .check_node("m.json", NODE)
            .unwrap();
    }

    #[test]
    fn another_chain_id_is_refused_naming_both() {
        let err = manifest(1, Some(NODE.genesis_hash))
            .check_node("m.json", NODE)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ManifestError::ChainIdMismatch { .. }),
            "{msg}"
        );
        assert!(
            msg.contains("chain id 1 ") && msg.contains("chain id 31337"),
            "{msg}"
        );
        assert!(msg.contains("m.json"), "{msg}");
    }

    #[test]
    fn another_genesis_is_refused_naming_both() {
        let other = B256::repeat_byte(0x22);
        let err = manifest(31337, Some(other))
            .check_node("m.json", NODE)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ManifestError::GenesisMismatch { .. }),
            "{msg}"
        );
        assert!(
            msg.contains(&other.to_string()) && msg.contains(&NODE.genesis_hash.to_string()),
            "{msg}"
        );
    }

    #[test]
    fn node_errors_lose_the_urls_secrets() {
        let text = "error sending request for url (https://node.example/v3/SECRETKEY?x=1): refused";
        let clean = crate::redact::redact_urls(text);
        assert!(!clean.contains("SECRETKEY"), "{clean}");
        assert_eq!(
            clean,
            "error sending request for url (https://node.example/…): refused"
        );
        assert_eq!(crate::redact::redact_urls("no url here"), "no url here");
    }

    #[test]
    fn a_manifest_without_a_genesis_hash_is_refused_with_redeploy() {
        let current = manifest(31337, Some(NODE.genesis_hash));
        let mut value = serde_json::to_value(&current).unwrap();
        value.as_object_mut().unwrap().remove("genesis_hash");
        let old: Manifest = serde_json::from_value(value).expect("an old manifest still parses");
        assert_eq!(old.genesis_hash, None);
        let err = old.check_node("old.json", NODE).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ManifestError::Unchecked { .. }), "{msg}");
        assert!(msg.contains("redeploy"), "{msg}");
    }
}
