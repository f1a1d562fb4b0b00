//! ERC-20 balances of one account, read in one batched round trip.

use alloy::primitives::Address;
use alloy::providers::DynProvider;
use alloy::sol;

use super::AmmError;
use super::rpc::{ReadCall, batch_call, decode};
use crate::core::{Balance, Token, from_units};

sol! {
    interface IErc20Balance {
        function balanceOf(address owner) external view returns (uint256);
    }
}

/// The balance of each token (tokens without an address are skipped).
pub async fn erc20_balances(
    provider: &DynProvider,
    account: Address,
    tokens: &[Token],
) -> Result<Vec<Balance>, AmmError> {
    let block = super::head(provider).await?.number;
    let with_addr: Vec<(&Token, Address)> = tokens
        .iter()
        .filter_map(|t| t.address.map(|a| (t, a)))
        .collect();
    let calls: Vec<ReadCall> = with_addr
        .iter()
        .map(|(_, a)| ReadCall::new(*a, &IErc20Balance::balanceOfCall { owner: account }))
        .collect();
    let results = batch_call(provider, &calls, block).await?;
    with_addr
        .into_iter()
        .zip(results)
        .map(|((t, a), r)| {
            let raw = decode::<IErc20Balance::balanceOfCall>(r, a, "balanceOf")?;
            let amount = from_units(raw, t.decimals)
                .map_err(|e| AmmError::Math(format!("{} balance: {e}", t.symbol)))?;
            Ok(Balance::new(t.symbol.clone(), amount, amount))
        })
        .collect()
}
