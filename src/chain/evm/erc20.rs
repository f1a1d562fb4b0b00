//! ERC-20 and WETH: balances, allowances, approvals (exact or unlimited by policy), transfers,
//! wrap/unwrap, and token metadata read from chain once and cached per client.
//!
//! Tokens that break the standard are handled: a token whose `approve`/`transfer` returns nothing
//! (USDT) is accepted when the call succeeds; one that returns `false` is refused before anything is
//! sent (every write is simulated with `eth_call` first, since a receipt does not carry the return
//! value); tokens that refuse to change a non-zero allowance to another non-zero value (USDT again)
//! are approved to zero first by [`Erc20::ensure_allowance`]; a `bytes32` symbol (MKR) is decoded.

use alloy::primitives::{Address, Bytes, U256};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use rust_decimal::Decimal;
use serde::Serialize;

use super::client::EvmClient;
use super::error::EvmError;
use super::tracker::{TrackedTx, TxOutcome, TxTracker};
use crate::core::from_units;

// Generated from the official ABIs in `abis/` (OpenZeppelin ERC20, canonical WETH9).
sol!(IERC20, "abis/ERC20.json");
sol!(IWETH9, "abis/WETH9.json");

/// A token's symbol, name and decimals, as the contract reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenMetadata {
    pub address: Address,
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
}

/// How much to approve when an allowance is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalPolicy {
    /// Exactly the amount needed (safer; one approval per trade).
    Exact,
    /// `type(uint256).max` (one approval for good; the spender can move everything).
    Unlimited,
}

/// An ERC-20 token on one chain.
#[derive(Debug, Clone)]
pub struct Erc20 {
    client: EvmClient,
    address: Address,
}

impl Erc20 {
    pub fn new(client: EvmClient, address: Address) -> Self {
        Self { client, address }
    }

    pub fn address(&self) -> Address {
        self.address
    }

    fn read(&self, data: Vec<u8>) -> TransactionRequest {
        TransactionRequest::default()
            .to(self.address)
            .input(Bytes::from(data).into())
    }

    fn token_err(&self, problem: impl Into<String>) -> EvmError {
        EvmError::Token {
            token: self.address,
            problem: problem.into(),
        }
    }

    /// Symbol, name and decimals: from the client's cache, or read in one JSON-RPC batch.
    pub async fn metadata(&self) -> Result<TokenMetadata, EvmError> {
        if let Some(m) = self.client.cached_token(self.address) {
            return Ok(m);
        }
        let calls = [
            self.read(IERC20::symbolCall {}.abi_encode()),
            self.read(IERC20::nameCall {}.abi_encode()),
            self.read(IERC20::decimalsCall {}.abi_encode()),
        ];
        let mut results = self.client.call_many(&calls).await?.into_iter();
        let mut next = |what: &str| {
            results
                .next()
                .unwrap_or_else(|| Err(self.token_err(format!("no answer for {what}"))))
        };
        let symbol = next("symbol()")?;
        // `name()` is optional in the standard.
        let name = next("name()").ok();
        let decimals = next("decimals()")?;
        let meta = TokenMetadata {
            address: self.address,
            symbol: decode_text(&symbol)
                .ok_or_else(|| self.token_err("symbol() is neither a string nor bytes32"))?,
            name: name
                .as_deref()
                .and_then(|n| decode_text(n))
                .unwrap_or_default(),
            decimals: decode_decimals(&decimals)
                .ok_or_else(|| self.token_err(format!("decimals() answered {decimals}")))?,
        };
        self.client.cache_token(meta.clone());
        Ok(meta)
    }

    async fn read_u256(&self, data: Vec<u8>, what: &str) -> Result<U256, EvmError> {
        let out = self.client.call(self.read(data), what).await?;
        decode_u256(&out).ok_or_else(|| self.token_err(format!("{what} answered {out}")))
    }

    /// The raw balance of `owner`.
    pub async fn balance_of(&self, owner: Address) -> Result<U256, EvmError> {
        self.read_u256(
            IERC20::balanceOfCall { account: owner }.abi_encode(),
            "balanceOf",
        )
        .await
    }

    /// The balance of `owner` in whole tokens (exact, by the token's decimals).
    pub async fn balance_decimal(&self, owner: Address) -> Result<Decimal, EvmError> {
        let (raw, meta) = tokio::try_join!(self.balance_of(owner), self.metadata())?;
        Ok(from_units(raw, meta.decimals)?)
    }

    pub async fn allowance(&self, owner: Address, spender: Address) -> Result<U256, EvmError> {
        self.read_u256(
            IERC20::allowanceCall { owner, spender }.abi_encode(),
            "allowance",
        )
        .await
    }

    /// Simulates a state-changing token call from `from`, refusing a `false` answer, then sends it
    /// through the tracker.
    async fn write(
        &self,
        tracker: &TxTracker,
        data: Vec<u8>,
        what: &str,
    ) -> Result<TrackedTx, EvmError> {
        let tx = self.read(data).from(tracker.account());
        let out = self.client.call(tx.clone(), what).await?;
        check_bool_return(&out).map_err(|p| self.token_err(format!("{what}: {p}")))?;
        tracker.send(tx).await
    }

    /// `transfer(to, amount)`.
    pub async fn transfer(
        &self,
        tracker: &TxTracker,
        to: Address,
        amount: U256,
    ) -> Result<TrackedTx, EvmError> {
        self.write(
            tracker,
            IERC20::transferCall { to, amount }.abi_encode(),
            "transfer",
        )
        .await
    }

    /// `approve(spender, amount)`, as is (see [`Self::ensure_allowance`] for the safe sequence).
    pub async fn approve(
        &self,
        tracker: &TxTracker,
        spender: Address,
        amount: U256,
    ) -> Result<TrackedTx, EvmError> {
        self.write(
            tracker,
            IERC20::approveCall { spender, amount }.abi_encode(),
            "approve",
        )
        .await
    }

    /// Makes sure `spender` may move at least `needed` of the tracker's account. Does nothing when
    /// the allowance suffices; otherwise resets a non-zero allowance to zero first (required by
    /// USDT-like tokens, harmless for others), then approves `needed` or the maximum by `policy`.
    /// Waits until each approval is mined; returns their outcomes (empty if nothing was needed).
    pub async fn ensure_allowance(
        &self,
        tracker: &TxTracker,
        spender: Address,
        needed: U256,
        policy: ApprovalPolicy,
    ) -> Result<Vec<TxOutcome>, EvmError> {
        let current = self.allowance(tracker.account(), spender).await?;
        if current >= needed {
            return Ok(Vec::new());
        }
        let mut outcomes = Vec::new();
        if !current.is_zero() {
            outcomes.push(
                self.mined_ok(
                    self.approve(tracker, spender, U256::ZERO).await?,
                    "approve(0)",
                )
                .await?,
            );
        }
        let amount = match policy {
            ApprovalPolicy::Exact => needed,
            ApprovalPolicy::Unlimited => U256::MAX,
        };
        outcomes.push(
            self.mined_ok(self.approve(tracker, spender, amount).await?, "approve")
                .await?,
        );
        Ok(outcomes)
    }

    async fn mined_ok(&self, tx: TrackedTx, what: &str) -> Result<TxOutcome, EvmError> {
        let outcome = tx.mined().await?;
        if let Some(reason) = outcome.revert.clone() {
            return Err(EvmError::Reverted {
                context: format!("{what} on token {}", self.address),
                reason,
            });
        }
        Ok(outcome)
    }
}

/// Wrapped ether (WETH9): an ERC-20 plus `deposit` (wrap) and `withdraw` (unwrap).
#[derive(Debug, Clone)]
pub struct Weth {
    token: Erc20,
}

impl Weth {
    pub fn new(client: EvmClient, address: Address) -> Self {
        Self {
            token: Erc20::new(client, address),
        }
    }

    /// The ERC-20 side (balances, approvals).
    pub fn token(&self) -> &Erc20 {
        &self.token
    }

    /// Wraps `amount` wei of the native asset.
    pub async fn wrap(&self, tracker: &TxTracker, amount: U256) -> Result<TrackedTx, EvmError> {
        let tx = self
            .token
            .read(IWETH9::depositCall {}.abi_encode())
            .value(amount);
        tracker.send(tx).await
    }

    /// Unwraps `amount` wei back to the native asset.
    pub async fn unwrap(&self, tracker: &TxTracker, amount: U256) -> Result<TrackedTx, EvmError> {
        let tx = self
            .token
            .read(IWETH9::withdrawCall { wad: amount }.abi_encode());
        tracker.send(tx).await
    }
}

/// A `bool` return: absent (USDT-like tokens) is success, `true` is success, `false` is refused.
fn check_bool_return(out: &[u8]) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    match decode_u256(out) {
        Some(v) if v == U256::from(1) => Ok(()),
        Some(v) if v.is_zero() => Err("the token returned false".into()),
        _ => Err(format!(
            "the token returned {} bytes that are not a bool",
            out.len()
        )),
    }
}

fn decode_u256(out: &[u8]) -> Option<U256> {
    let word: [u8; 32] = out.get(..32)?.try_into().ok()?;
    Some(U256::from_be_bytes(word))
}

fn decode_decimals(out: &[u8]) -> Option<u8> {
    u8::try_from(decode_u256(out)?).ok().filter(|d| *d <= 77)
}

/// An ABI `string`, or a `bytes32` padded with zeros (old tokens such as MKR).
fn decode_text(out: &[u8]) -> Option<String> {
    if let Ok(s) = IERC20::symbolCall::abi_decode_returns(out) {
        return Some(s);
    }
    if out.len() == 32 {
        let end = out.iter().position(|b| *b == 0).unwrap_or(32);
        return String::from_utf8(out[..end].to_vec()).ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::sol_types::SolValue;

    #[test]
    fn bool_returns() {
        assert!(check_bool_return(&[]).is_ok());
        assert!(check_bool_return(&true.abi_encode()).is_ok());
        assert_eq!(
            check_bool_return(&false.abi_encode()).unwrap_err(),
            "the token returned false"
        );
        assert!(check_bool_return(&U256::from(2).abi_encode()).is_err());
        assert!(check_bool_return(&[1, 2, 3]).is_err());
    }

    #[test]
    fn metadata_decoding() {
        assert_eq!(
            decode_text(&"USDC".to_string().abi_encode()).unwrap(),
            "USDC"
        );
        let mut mkr = [0u8; 32];
        mkr[..3].copy_from_slice(b"MKR");
        assert_eq!(decode_text(&mkr).unwrap(), "MKR");
        assert_eq!(decode_text(&[1, 2]), None);
        assert_eq!(decode_decimals(&U256::from(6).abi_encode()), Some(6));
        assert_eq!(decode_decimals(&U256::from(300).abi_encode()), None);
        assert_eq!(decode_decimals(&[]), None);
    }
}
