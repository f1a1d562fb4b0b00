//! The environment's tokens: WETH9 (the real source, npm `canonical-weth`) and mintable test tokens
//! (`contracts-test/src/TestToken.sol`: any decimals, `mint` open to anyone), funded for every dev account.

use alloy::primitives::{Address, U256};
use alloy::sol;
use alloy::sol_types::SolValue;

use super::artifacts::Artifact;
use super::deployer::{DeployError, Deployer};
use super::manifest::TokenInfo;
use super::test_contracts;

pub const WETH9_ARTIFACT: &str = "node_modules/canonical-weth/build/contracts/WETH9.json";

sol! {
    interface IWETH9 {
        function deposit() external payable;
        function withdraw(uint256 wad) external;
    }
    interface ITestToken {
        function mint(address to, uint256 value) external returns (bool);
    }
    interface IERC20 {
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
        function balanceOf(address owner) external view returns (uint256);
    }
}

/// `whole` tokens in raw units of a token with `decimals`.
pub fn units(whole: u64, decimals: u8) -> U256 {
    U256::from(whole) * U256::from(10u64).pow(U256::from(decimals))
}

/// Deploys WETH9.
pub async fn deploy_weth(d: &Deployer) -> Result<TokenInfo, DeployError> {
    let address = d
        .deploy("WETH9", &Artifact::load(WETH9_ARTIFACT)?, &[])
        .await?;
    Ok(TokenInfo {
        address,
        symbol: "WETH".into(),
        name: "Wrapped Ether".into(),
        decimals: 18,
    })
}

/// Deploys a mintable test token.
pub async fn deploy_test_token(
    d: &Deployer,
    name: &str,
    symbol: &str,
    decimals: u8,
) -> Result<TokenInfo, DeployError> {
    let args = (name.to_string(), symbol.to_string(), U256::from(decimals)).abi_encode_params();
    let address = d
        .deploy(
            &format!("TestToken {symbol}"),
            &test_contracts::load("TestToken")?,
            &args,
        )
        .await?;
    Ok(TokenInfo {
        address,
        symbol: symbol.into(),
        name: name.into(),
        decimals,
    })
}

/// Mints `amount` of a test token to `to`.
pub async fn mint(
    d: &Deployer,
    token: &TokenInfo,
    to: Address,
    amount: U256,
) -> Result<(), DeployError> {
    d.call(
        &format!("mint {}", token.symbol),
        token.address,
        &ITestToken::mintCall { to, value: amount },
    )
    .await?;
    Ok(())
}

/// Wraps `amount` wei of the deployer's ETH into WETH.
pub async fn wrap(d: &Deployer, weth: Address, amount: U256) -> Result<(), DeployError> {
    d.call_with_value("WETH deposit", weth, &IWETH9::depositCall {}, amount)
        .await?;
    Ok(())
}

/// Approves `spender` for an unlimited amount of `token` from the deployer.
pub async fn approve_max(
    d: &Deployer,
    token: Address,
    spender: Address,
) -> Result<(), DeployError> {
    d.call(
        "approve",
        token,
        &IERC20::approveCall {
            spender,
            value: U256::MAX,
        },
    )
    .await?;
    Ok(())
}
