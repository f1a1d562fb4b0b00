//! Our own Solidity test contracts (`contracts-test/`): the mintable `TestToken` and the hostile tokens
//! the EVM layer must cope with. `scripts/setup.sh` compiles them; [`ensure_built`] compiles them again
//! with the pinned forge (and npm solc through `contracts-test/solc`) when a source is newer than its
//! build, so a test never runs against stale bytecode.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::SystemTime;

use alloy::primitives::{Address, U256};
use alloy::sol;
use alloy::sol_types::SolValue;

pub use sluice::chain::deployment::HostileTokens;

use super::artifacts::{Artifact, project_root};
use super::deployer::{DeployError, Deployer};

/// Where the setup script installs forge, relative to the project root.
pub const PINNED_FORGE: &str = "node_modules/@foundry-rs/forge-linux-amd64/bin/forge";
/// Environment variable that overrides forge's path.
pub const FORGE_ENV: &str = "SLUICE_FORGE";

/// `(source file, contract)` of every contract the deployment uses, relative to `contracts-test/src`.
pub const CONTRACTS: [(&str, &str); 5] = [
    ("TestToken.sol", "TestToken"),
    ("hostile/FeeOnTransferToken.sol", "FeeOnTransferToken"),
    ("hostile/NoBoolToken.sol", "NoBoolToken"),
    ("hostile/RevertingToken.sol", "RevertingToken"),
    ("hostile/TwoDecimalsToken.sol", "TwoDecimalsToken"),
];

/// The fee the deployed fee-on-transfer token burns, in basis points (1 %).
pub const FEE_ON_TRANSFER_BPS: u64 = 100;

sol! {
    interface INoBoolToken {
        function mint(address to, uint256 value) external;
    }
    interface IMintable {
        function mint(address to, uint256 value) external returns (bool);
    }
}

/// The build output of `contract` in `source`, relative to the project root.
pub fn artifact_path(source: &str, contract: &str) -> String {
    let file = Path::new(source)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or(source);
    format!("contracts-test/out/{file}/{contract}.json")
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Compiles `contracts-test/` when a build output is missing or older than its source.
pub fn ensure_built() -> Result<(), DeployError> {
    static BUILD: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILD.lock();
    let root = project_root();
    let stale = CONTRACTS.iter().any(|(src, name)| {
        let out = modified(&root.join(artifact_path(src, name)));
        let inp = modified(&root.join("contracts-test/src").join(src));
        match (out, inp) {
            (Some(o), Some(i)) => o < i,
            _ => true,
        }
    });
    if !stale {
        return Ok(());
    }
    let forge = match std::env::var_os(FORGE_ENV) {
        Some(p) => PathBuf::from(p),
        None => root.join(PINNED_FORGE),
    };
    let fail = |reason: String| DeployError::File {
        path: "contracts-test".into(),
        reason,
    };
    let out = Command::new(&forge)
        .args(["build", "--offline", "--quiet"])
        .current_dir(root.join("contracts-test"))
        .output()
        .map_err(|e| {
            fail(format!(
                "cannot run {} (run scripts/setup.sh): {e}",
                forge.display()
            ))
        })?;
    if !out.status.success() {
        return Err(fail(format!(
            "forge build failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// Loads one of our contracts' creation code, compiling first if needed.
pub fn load(contract: &str) -> Result<Artifact, DeployError> {
    ensure_built()?;
    let (src, name) = CONTRACTS
        .iter()
        .find(|(_, n)| *n == contract)
        .ok_or_else(|| DeployError::unexpected(contract, "not a contracts-test contract"))?;
    Ok(Artifact::load(&artifact_path(src, name))?)
}

/// Deploys the four hostile tokens and mints `amount_each` whole tokens of each to every holder.
pub async fn deploy_hostile_tokens(
    d: &Deployer,
    holders: &[Address],
    amount_each: u64,
) -> Result<HostileTokens, DeployError> {
    let fee_on_transfer = d
        .deploy(
            "FeeOnTransferToken",
            &load("FeeOnTransferToken")?,
            &U256::from(FEE_ON_TRANSFER_BPS).abi_encode(),
        )
        .await?;
    let no_bool = d.deploy("NoBoolToken", &load("NoBoolToken")?, &[]).await?;
    let reverting = d
        .deploy("RevertingToken", &load("RevertingToken")?, &[])
        .await?;
    let two_decimals = d
        .deploy("TwoDecimalsToken", &load("TwoDecimalsToken")?, &[])
        .await?;
    let whole =
        |decimals: u8| U256::from(amount_each) * U256::from(10u64).pow(U256::from(decimals));
    for &to in holders {
        for (token, decimals) in [(fee_on_transfer, 18), (reverting, 18), (two_decimals, 2)] {
            d.call(
                "mint",
                token,
                &IMintable::mintCall {
                    to,
                    value: whole(decimals),
                },
            )
            .await?;
        }
        d.call(
            "mint NoBoolToken",
            no_bool,
            &INoBoolToken::mintCall {
                to,
                value: whole(6),
            },
        )
        .await?;
    }
    Ok(HostileTokens {
        fee_on_transfer,
        no_bool,
        reverting,
        two_decimals,
    })
}
