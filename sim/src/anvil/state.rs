//! anvil state snapshots: dump a running node's state to a JSON file that `anvil --load-state` (or
//! `anvil_loadState`) reads back, and repair the clock after a load.
//!
//! `anvil_dumpState` answers with gzipped JSON; the file holds the plain JSON because `--load-state`
//! rejects gzip. Time offsets (`evm_increaseTime`) are not part of a dump: if the dumped head is not in the
//! past, the next block would get an earlier timestamp than its parent, which breaks TWAP-style contracts,
//! so [`resume_clock`] moves the next block's timestamp past the head.

use std::io::Read;
use std::path::Path;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::Bytes;
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;

use super::{Anvil, AnvilError};

impl Anvil {
    /// The node's full state (accounts, blocks, transactions) as anvil's JSON dump.
    pub async fn dump_state_json(&self) -> Result<Vec<u8>, AnvilError> {
        let gz = self
            .read_provider()
            .anvil_dump_state()
            .await
            .map_err(AnvilError::rpc("anvil_dumpState"))?;
        gunzip(&gz)
    }

    /// Writes the node's state to `path` (plain JSON, loadable with [`super::AnvilOptions::load_state`]).
    pub async fn dump_state_to(&self, path: &Path) -> Result<(), AnvilError> {
        let json = self.dump_state_json().await?;
        write_atomically(path, &json)
    }

    /// Loads a state file into the running node (`anvil_loadState`), then repairs the clock.
    pub async fn load_state_from(&self, path: &Path) -> Result<(), AnvilError> {
        let json = std::fs::read(path).map_err(|source| AnvilError::StateFile {
            path: path.to_path_buf(),
            source,
        })?;
        self.read_provider()
            .anvil_load_state(Bytes::from(json))
            .await
            .map_err(AnvilError::rpc("anvil_loadState"))?;
        self.resume_clock().await
    }

    /// Makes the next block's timestamp later than the head's when the head is not in the past (a
    /// dumped chain that was time-warped). Does nothing otherwise.
    pub async fn resume_clock(&self) -> Result<(), AnvilError> {
        let p = self.read_provider();
        let head = p
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(AnvilError::rpc("eth_getBlockByNumber"))?;
        let Some(head) = head else { return Ok(()) };
        let head_ts = head.header.timestamp;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if head_ts >= now {
            p.anvil_set_next_block_timestamp(head_ts + 1)
                .await
                .map_err(AnvilError::rpc("anvil_setNextBlockTimestamp"))?;
        }
        Ok(())
    }
}

/// Decompresses anvil's gzipped dump; passes plain JSON through unchanged.
pub fn gunzip(data: &[u8]) -> Result<Vec<u8>, AnvilError> {
    if !data.starts_with(&[0x1f, 0x8b]) {
        return Ok(data.to_vec());
    }
    let mut out = Vec::with_capacity(data.len() * 4);
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| AnvilError::StateDecode(e.to_string()))?;
    Ok(out)
}

/// Writes `data` to a sibling temporary file and renames it over `path`, so readers never see half a file.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<(), AnvilError> {
    let err = |source| AnvilError::StateFile {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anvil::{AnvilOptions, dev_addresses};
    use alloy::primitives::U256;

    #[tokio::test]
    async fn dump_then_load_keeps_balances() {
        let a = Anvil::spawn(AnvilOptions::default()).await.unwrap();
        let who = dev_addresses()[5];
        a.read_provider()
            .anvil_set_balance(who, U256::from(1234u64))
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!("sluice-state-test-{}", std::process::id()));
        let file = dir.join("s.json");
        a.dump_state_to(&file).await.unwrap();
        let b = Anvil::spawn(AnvilOptions {
            load_state: Some(file.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(
            b.read_provider().get_balance(who).await.unwrap(),
            U256::from(1234u64)
        );
        let c = Anvil::spawn(AnvilOptions::default()).await.unwrap();
        c.load_state_from(&file).await.unwrap();
        assert_eq!(
            c.read_provider().get_balance(who).await.unwrap(),
            U256::from(1234u64)
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn plain_json_passes_through_gunzip() {
        assert_eq!(gunzip(b"{}").unwrap(), b"{}".to_vec());
        assert!(gunzip(&[0x1f, 0x8b, 0, 1]).is_err());
    }
}
