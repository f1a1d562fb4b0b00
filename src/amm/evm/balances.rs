//! Balances of one account: every ERC-20 token in one batched round trip, plus the chain's native
//! asset (a token without an address), which pays the gas.

use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider};

use super::rpc::{ReadCall, batch_call, decode};
use crate::amm::AmmError;
use crate::core::{Balance, Token, TokenId, from_units};

use super::abi::IERC20 as IErc20Balance;

/// The balance of each token; a token without an address is the native asset (`eth_getBalance`).
pub async fn erc20_balances(
    provider: &DynProvider,
    account: Address,
    tokens: &[Token],
) -> Result<Vec<Balance>, AmmError> {
    let block = super::head(provider).await?.number;
    let with_addr: Vec<(&Token, Address)> = tokens
        .iter()
        .filter_map(|t| t.erc20().map(|a| (t, a)))
        .collect();
    let calls: Vec<ReadCall> = with_addr
        .iter()
        .map(|(_, a)| ReadCall::new(*a, &IErc20Balance::balanceOfCall { account }))
        .collect();
    let results = batch_call(provider, &calls, block).await?;
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens.iter().filter(|t| t.id == TokenId::EvmNative) {
        let raw = provider
            .get_balance(account)
            .block_id(block.into())
            .await
            .map_err(AmmError::rpc)?;
        let amount = from_units(raw, t.decimals)
            .map_err(|e| AmmError::Math(format!("{} balance: {e}", t.symbol)))?;
        out.push(Balance::new(t.symbol.clone(), amount, amount));
    }
    let erc20: Vec<Balance> = with_addr
        .into_iter()
        .zip(results)
        .map(|((t, a), r)| {
            let raw = decode::<IErc20Balance::balanceOfCall>(r, a, "balanceOf")?;
            let amount = from_units(raw, t.decimals)
                .map_err(|e| AmmError::Math(format!("{} balance: {e}", t.symbol)))?;
            Ok(Balance::new(t.symbol.clone(), amount, amount))
        })
        .collect::<Result<_, AmmError>>()?;
    out.extend(erc20);
    Ok(out)
}
