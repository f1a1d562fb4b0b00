//! The token contracts every EVM AMM reads, generated from the official ABIs in `abis/` (see
//! `abis/README.md`): ERC-20 (balances, metadata, `Transfer` logs) and WETH9 (the wrapped native
//! token's `Deposit` and `Withdrawal` logs, which tell a native leg's amounts).

use alloy::sol;

sol!(IERC20, "abis/ERC20.json");
sol!(IWETH9, "abis/WETH9.json");

#[cfg(test)]
mod tests {
    use std::path::Path;

    use alloy::sol_types::{SolCall, SolEvent};

    use super::{IERC20, IWETH9};

    /// Every file of `abis/` is a bare ABI array (no bytecode, no artifact wrapper) that parses,
    /// and `abis/README.md` says where it comes from.
    #[test]
    fn every_abi_file_is_a_bare_abi_listed_in_the_readme() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("abis");
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(value.is_array(), "{name} is not a bare ABI array");
            assert!(!text.contains("bytecode"), "{name} carries bytecode");
            let abi: alloy::json_abi::JsonAbi = serde_json::from_str(&text).unwrap();
            assert!(!abi.is_empty(), "{name} is empty");
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} missing from the README"
            );
            seen += 1;
        }
        assert!(seen >= 11, "only {seen} ABI files");
    }

    /// The generated bindings have the official signatures the chain's logs and calls use.
    #[test]
    fn token_bindings_have_the_standard_signatures() {
        assert_eq!(
            IERC20::Transfer::SIGNATURE,
            "Transfer(address,address,uint256)"
        );
        assert_eq!(IERC20::balanceOfCall::SIGNATURE, "balanceOf(address)");
        assert_eq!(IWETH9::Deposit::SIGNATURE, "Deposit(address,uint256)");
        assert_eq!(IWETH9::Withdrawal::SIGNATURE, "Withdrawal(address,uint256)");
    }
}
