//! What a published CosmWasm contract crate needs to run natively inside the local node, as
//! wasmd would host it: its own key-value [`KvStore`], an [`Api`] validating this chain's bech32
//! addresses, a [`Querier`] answering bank balances from the node's bank and smart/raw queries
//! from the other contracts' state, and [`apply_response`], which performs the `BankMsg::Send`
//! and `WasmMsg::Execute` messages a contract returns and turns its attributes and events into
//! the transaction's events. A panic in contract code is an abort, as in the wasm VM: it
//! becomes an error ([`guard`]), never a crash of the node.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use cosmwasm_std::{
    Addr, Api, BankMsg, Binary, BlockInfo, CanonicalAddr, ContractInfo, ContractResult, CosmosMsg,
    Empty, Env as WasmEnv, Order, QuerierResult, QueryRequest, Record, RecoverPubkeyError,
    Response, StdError, StdResult, Storage, SystemError, SystemResult, Timestamp,
    VerificationError, WasmMsg, WasmQuery,
};
use serde_json::Value;
use sluice::amm::terra_swap::msg::AssetInfo;
use sluice::chain::cosmos::Coin;

use super::{Contract, ContractError, Env, State};
use crate::cosmos::chain::Balances;

/// A contract's storage (wasmd's prefixed store of one contract).
#[derive(Debug, Clone, Default)]
pub struct KvStore(BTreeMap<Vec<u8>, Vec<u8>>);

impl Storage for KvStore {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.get(key).cloned()
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        use std::ops::Bound;
        let lo = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let hi = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        // an empty or inverted range is empty (BTreeMap::range would panic on it)
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            return Box::new(std::iter::empty());
        }
        let iter = self.0.range((lo, hi)).map(|(k, v)| (k.clone(), v.clone()));
        match order {
            Order::Ascending => Box::new(iter),
            Order::Descending => Box::new(iter.rev()),
        }
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.0.insert(key.to_vec(), value.to_vec());
    }

    fn remove(&mut self, key: &[u8]) {
        self.0.remove(key);
    }
}

/// `deps.api` of this chain: bech32 addresses of its prefix (20-byte accounts, 32-byte contracts).
pub struct Bech32Api {
    pub hrp: String,
}

impl Api for Bech32Api {
    fn addr_validate(&self, human: &str) -> StdResult<Addr> {
        let canonical = self.addr_canonicalize(human)?;
        let normalized = self.addr_humanize(&canonical)?;
        if normalized.as_str() != human {
            return Err(StdError::generic_err(format!(
                "Invalid address {human}: not normalized"
            )));
        }
        Ok(normalized)
    }

    fn addr_canonicalize(&self, human: &str) -> StdResult<CanonicalAddr> {
        match bech32::decode(human) {
            Ok((hrp, data))
                if hrp.as_str() == self.hrp && (data.len() == 20 || data.len() == 32) =>
            {
                Ok(CanonicalAddr::from(data))
            }
            _ => Err(StdError::generic_err(format!(
                "addr_validate errored: invalid address {human}"
            ))),
        }
    }

    fn addr_humanize(&self, canonical: &CanonicalAddr) -> StdResult<Addr> {
        let hrp =
            bech32::Hrp::parse(&self.hrp).map_err(|e| StdError::generic_err(e.to_string()))?;
        bech32::encode::<bech32::Bech32>(hrp, canonical.as_slice())
            .map(Addr::unchecked)
            .map_err(|e| StdError::generic_err(e.to_string()))
    }

    fn secp256k1_verify(&self, _: &[u8], _: &[u8], _: &[u8]) -> Result<bool, VerificationError> {
        Err(VerificationError::unknown_err(0))
    }

    fn secp256k1_recover_pubkey(
        &self,
        _: &[u8],
        _: &[u8],
        _: u8,
    ) -> Result<Vec<u8>, RecoverPubkeyError> {
        Err(RecoverPubkeyError::unknown_err(0))
    }

    fn ed25519_verify(&self, _: &[u8], _: &[u8], _: &[u8]) -> Result<bool, VerificationError> {
        Err(VerificationError::unknown_err(0))
    }

    fn ed25519_batch_verify(
        &self,
        _: &[&[u8]],
        _: &[&[u8]],
        _: &[&[u8]],
    ) -> Result<bool, VerificationError> {
        Err(VerificationError::unknown_err(0))
    }

    fn debug(&self, message: &str) {
        tracing::debug!(target: "sluice_sim::wasm", "{message}");
    }
}

/// `deps.querier`: the node's bank and the other contracts, as they are when the call starts.
pub struct NodeQuerier<'a> {
    pub state: &'a State,
    pub bank: &'a Balances,
}

fn contract_err(e: impl std::fmt::Display) -> QuerierResult {
    SystemResult::Ok(ContractResult::Err(e.to_string()))
}

fn ok_json(v: &Value) -> QuerierResult {
    match serde_json::to_vec(v) {
        Ok(b) => SystemResult::Ok(ContractResult::Ok(Binary::from(b))),
        Err(e) => contract_err(e),
    }
}

impl cosmwasm_std::Querier for NodeQuerier<'_> {
    fn raw_query(&self, bin_request: &[u8]) -> QuerierResult {
        let request: QueryRequest<Empty> = match cosmwasm_std::from_json(bin_request) {
            Ok(r) => r,
            Err(e) => {
                return SystemResult::Err(SystemError::InvalidRequest {
                    error: e.to_string(),
                    request: Binary::from(bin_request),
                });
            }
        };
        let balance = |address: &str, denom: &str| -> u128 {
            self.bank
                .get(address)
                .and_then(|b| b.get(denom))
                .copied()
                .unwrap_or(0)
        };
        match request {
            QueryRequest::Bank(cosmwasm_std::BankQuery::Balance { address, denom }) => {
                let amount = balance(&address, &denom).to_string();
                ok_json(&serde_json::json!({"amount": {"denom": denom, "amount": amount}}))
            }
            QueryRequest::Bank(cosmwasm_std::BankQuery::AllBalances { address }) => {
                let coins: Vec<Value> = self
                    .bank
                    .get(&address)
                    .into_iter()
                    .flatten()
                    .filter(|(_, a)| **a > 0)
                    .map(|(d, a)| serde_json::json!({"denom": d, "amount": a.to_string()}))
                    .collect();
                ok_json(&serde_json::json!({"amount": coins}))
            }
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                if !self.state.contracts.contains_key(&contract_addr) {
                    return SystemResult::Err(SystemError::NoSuchContract {
                        addr: contract_addr,
                    });
                }
                let msg: Value = match serde_json::from_slice(msg.as_slice()) {
                    Ok(m) => m,
                    Err(e) => return contract_err(format!("Error parsing into type: {e}")),
                };
                match super::query(self.state, self.bank, &contract_addr, &msg) {
                    Ok(v) => ok_json(&v),
                    Err(e) => contract_err(e.0),
                }
            }
            QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => {
                match self.state.contracts.get(&contract_addr) {
                    None => SystemResult::Err(SystemError::NoSuchContract {
                        addr: contract_addr,
                    }),
                    Some(c) => {
                        let value = c.raw(key.as_slice()).unwrap_or_default();
                        SystemResult::Ok(ContractResult::Ok(Binary::from(value)))
                    }
                }
            }
            _ => SystemResult::Err(SystemError::UnsupportedRequest {
                kind: "only bank balances and wasm smart/raw queries".into(),
            }),
        }
    }
}

/// The `env` a contract at `address` sees: the block (now) and its address.
pub fn wasm_env(address: &str, chain_id: &str) -> WasmEnv {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    WasmEnv {
        block: BlockInfo {
            height: now / 200_000_000,
            time: Timestamp::from_nanos(now),
            chain_id: chain_id.to_string(),
        },
        transaction: None,
        contract: ContractInfo {
            address: Addr::unchecked(address),
        },
    }
}

/// Runs contract code; a panic (the wasm VM's abort) is an error.
pub fn guard<T, E: std::fmt::Display>(
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, ContractError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ContractError(e.to_string())),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "contract aborted".into());
            Err(ContractError(format!("panicked: {what}")))
        }
    }
}

/// Coins as the node's.
pub fn node_coins(coins: &[cosmwasm_std::Coin]) -> Result<Vec<Coin>, ContractError> {
    Ok(coins
        .iter()
        .map(|c| Coin::new(c.amount.u128(), c.denom.clone()))
        .collect())
}

/// Coins as a contract's `MessageInfo::funds`.
pub fn wasm_coins(coins: &[Coin]) -> Vec<cosmwasm_std::Coin> {
    coins
        .iter()
        .map(|c| cosmwasm_std::Coin::new(c.amount, c.denom.clone()))
        .collect()
}

/// Emits the response's attributes (a `wasm` event) and events (`wasm-<type>`), then performs
/// its messages in order, as wasmd does. Only plain messages are accepted here (the pair's swap
/// returns payouts, nothing that asks for a reply); a reply-bearing message is refused.
pub fn apply_response(
    env: &mut Env<'_>,
    contract: &str,
    res: Response<Empty>,
) -> Result<(), ContractError> {
    if !res.attributes.is_empty() {
        let attrs: Vec<(&str, &str)> = res
            .attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect();
        env.wasm_event(contract, &attrs);
    }
    for e in &res.events {
        let mut attrs = vec![("_contract_address".to_string(), contract.to_string())];
        attrs.extend(
            e.attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone())),
        );
        env.events.push((format!("wasm-{}", e.ty), attrs));
    }
    for sub in res.messages {
        if sub.reply_on != cosmwasm_std::ReplyOn::Never {
            return Err(ContractError(format!(
                "submessage {} asks for a reply: not supported by the local node here",
                sub.id
            )));
        }
        perform(env, contract, sub.msg)?;
    }
    Ok(())
}

/// One `CosmosMsg` sent by `contract`.
fn perform(env: &mut Env<'_>, contract: &str, msg: CosmosMsg<Empty>) -> Result<(), ContractError> {
    match msg {
        CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
            env.check_address(&to_address)?;
            for c in amount {
                env.pay(
                    contract,
                    &to_address,
                    &AssetInfo::native(&c.denom),
                    c.amount.u128(),
                )?;
            }
            Ok(())
        }
        CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr,
            msg,
            funds,
        }) => {
            let funds = node_coins(&funds)?;
            crate::cosmos::chain::transfer(env.bank, contract, &contract_addr, &funds)
                .map_err(|e| ContractError(e.log))?;
            let msg: Value = serde_json::from_slice(msg.as_slice())
                .map_err(|e| ContractError(format!("Error parsing into type: {e}")))?;
            env.execute(contract, &contract_addr, &msg, &funds)
        }
        other => Err(ContractError(format!(
            "message not supported by the local node: {other:?}"
        ))),
    }
}

impl Contract {
    /// A raw query of this contract's storage (`WasmQuery::Raw`).
    fn raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self {
            Contract::AstroportPair(p) => p.storage.get(key),
            Contract::Factory(f) => f.raw(key),
            Contract::Token(_) | Contract::Pair(_) => None,
        }
    }
}
