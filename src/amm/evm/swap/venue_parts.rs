//! The `Venue` methods every AMM connector answers the same way, from its executor and token book:
//! balances (the native asset included), submit through a plan, no cancel, order state and fills.

use std::sync::{Arc, RwLock};

use alloy::primitives::Address;
use alloy::providers::DynProvider;

use super::{AdoptedAmounts, SwapExecutor, SwapPlan};
use crate::amm::AmmError;
use crate::amm::native::NativeLeg;
use crate::amm::tokens::TokenBook;
use crate::chain::evm::erc20::Erc20;
use crate::chain::evm::fees::Fees;
use crate::chain::evm::tracker::SignedOnly;
use crate::core::{Asset, Balance, ClientOrderId, Fill, Order, OrderRequest, Token, TokenId};
use crate::venue::{DryRun, EvmTxForm, TxJournal, VenueError, VenueId, WireForm};

/// Every token of the book plus the native asset (which pays the gas; read with eth_getBalance).
pub async fn balances(
    id: &VenueId,
    provider: &DynProvider,
    account: Option<Address>,
    tokens: &RwLock<TokenBook>,
    native: &Asset,
) -> Result<Vec<Balance>, VenueError> {
    let account = account.ok_or_else(|| {
        VenueError::InvalidRequest("no account set for this venue (with_account)".into())
    })?;
    let mut list: Vec<Token> = tokens
        .read()
        .map_err(|_| AmmError::Rpc("token book lock poisoned".into()))?
        .iter()
        .cloned()
        .collect();
    list.push(Token {
        symbol: native.clone(),
        decimals: 18,
        chain: id.chain.clone().unwrap_or_default(),
        id: TokenId::EvmNative,
    });
    Ok(crate::amm::balances::erc20_balances(provider, account, &list).await?)
}

/// The executor, or why swaps cannot be sent.
pub fn executor<'a>(
    id: &VenueId,
    executor: Option<&'a Arc<SwapExecutor>>,
) -> Result<&'a Arc<SwapExecutor>, VenueError> {
    executor.ok_or_else(|| {
        VenueError::NotSupported(format!("{id}: no signer configured (with_executor)"))
    })
}

/// Sends a planned swap.
pub fn submit(
    executor: &Arc<SwapExecutor>,
    order: OrderRequest,
    plan: SwapPlan,
) -> Result<ClientOrderId, VenueError> {
    Ok(executor.submit(order, plan)?)
}

/// A dry run of a planned swap: the swap transaction signed with the account's next nonce, not
/// sent (the nonce stays free, nothing is recorded). A swap whose router still needs an approval
/// is refused: the live swap would send the approval first and the swap with a later nonce.
pub async fn dry_run(
    id: &VenueId,
    executor: &SwapExecutor,
    plan: &SwapPlan,
) -> Result<DryRun, VenueError> {
    let tracker = &executor.tracker;
    if !plan.max_in.is_zero() {
        let token = Erc20::new(tracker.client().clone(), plan.token_in);
        let allowed = token
            .allowance(tracker.account(), plan.router)
            .await
            .map_err(|e| VenueError::Chain(e.to_string()))?;
        if allowed < plan.max_in {
            return Err(VenueError::InvalidRequest(format!(
                "{id}: a dry run cannot show this swap yet: the router {} needs an approval of \
                 token {} first (allowance {allowed}, swap needs up to {}); a live swap sends \
                 the approval, then the swap with the next nonce",
                plan.router, plan.token_in, plan.max_in
            )));
        }
    }
    let signed = tracker
        .sign_only(plan.transaction())
        .await
        .map_err(|e| VenueError::Chain(e.to_string()))?;
    Ok(DryRun {
        venue: id.to_string(),
        wire: WireForm::EvmTx(evm_tx_form(&signed)),
    })
}

/// The printed fields of a signed EVM transaction (amounts in wei, decimal).
pub fn evm_tx_form(s: &SignedOnly) -> EvmTxForm {
    let (max_fee, tip, price) = match s.fees {
        Fees::Eip1559 {
            max_fee_per_gas,
            max_priority_fee_per_gas,
        } => (
            Some(max_fee_per_gas.to_string()),
            Some(max_priority_fee_per_gas.to_string()),
            None,
        ),
        Fees::Legacy { gas_price } => (None, None, Some(gas_price.to_string())),
    };
    EvmTxForm {
        raw_tx: s.raw.to_string(),
        hash: s.hash.to_string(),
        chain_id: s.chain_id,
        from: s.from.to_string(),
        to: s.to.map(|a| a.to_string()),
        nonce: s.nonce,
        gas: s.gas,
        value: s.value.to_string(),
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        gas_price: price,
        input: s.input.to_string(),
    }
}

pub fn cannot_cancel(id: &ClientOrderId) -> VenueError {
    VenueError::NotSupported(format!(
        "{id}: a swap is one transaction; it cannot be cancelled once sent"
    ))
}

/// The order's base and quote tokens in the venue's token book (the native asset as its
/// wrapped token), and which of them is paid or received as native coin.
fn pair_tokens(
    tokens: &RwLock<TokenBook>,
    order: &OrderRequest,
) -> Result<(Token, Token, NativeLeg), VenueError> {
    let book = tokens
        .read()
        .map_err(|_| AmmError::Rpc("token book lock poisoned".into()))?;
    let find = |a: &Asset| {
        book.by_symbol(a.as_str())
            .cloned()
            .ok_or_else(|| AmmError::UnknownToken(a.to_string()))
    };
    let leg = NativeLeg::of(&book, &order.pair, order.side)?;
    Ok((find(&order.pair.base)?, find(&order.pair.quote)?, leg))
}

/// An order of this process as the executor has it; one sent before a restart adopted from the
/// journal's records of its transactions and the chain. An order whose transaction was never
/// recorded (so never broadcast) is `UnknownOrder`.
pub async fn order_status(
    executor: Option<&Arc<SwapExecutor>>,
    tokens: &RwLock<TokenBook>,
    order: &OrderRequest,
) -> Result<Order, VenueError> {
    let executor = executor.ok_or_else(|| VenueError::UnknownOrder(order.client_id.clone()))?;
    let (base, quote, leg) = pair_tokens(tokens, order)?;
    executor
        .adopt(order, (&base, &quote), AdoptedAmounts::Transfers(leg))
        .await?
        .ok_or_else(|| VenueError::UnknownOrder(order.client_id.clone()))
}

/// The fills of an order (adopting it first if it was sent before a restart).
pub async fn order_fills(
    executor: Option<&Arc<SwapExecutor>>,
    tokens: &RwLock<TokenBook>,
    order: &OrderRequest,
) -> Result<Vec<Fill>, VenueError> {
    order_status(executor, tokens, order).await?;
    let executor = executor.ok_or_else(|| VenueError::UnknownOrder(order.client_id.clone()))?;
    Ok(executor.fills(&order.client_id))
}

/// Attaches the transaction journal to the executor; false when swaps are not enabled.
pub fn attach_tx_journal(
    executor: Option<&Arc<SwapExecutor>>,
    journal: Arc<dyn TxJournal>,
) -> bool {
    match executor {
        Some(e) => {
            e.attach_journal(journal);
            true
        }
        None => false,
    }
}

/// Resolves the journal's pending transactions of the executor's account.
pub async fn reconcile_transactions(
    executor: Option<&Arc<SwapExecutor>>,
) -> Result<usize, VenueError> {
    match executor {
        Some(e) => Ok(e.reconcile_pending().await?),
        None => Ok(0),
    }
}
