//! The CosmWasm contracts of the local Terra: CW20 tokens ([`cw20`]), Terraswap pairs ([`pair`])
//! and a factory listing them ([`factory`]), behind the node's [`ContractExecutor`] seam. Native
//! coins live only in the node's bank (a pair's native reserve is its bank balance; funds move
//! before `execute` runs and payouts move them back), CW20 balances only in their token
//! contract, so the node's `/bank/balances` and the contracts' view never disagree. Every
//! transaction runs on a saved copy of the contract state: a failed one, or a simulation, leaves
//! nothing behind.
//!
//! Astroport pairs run Astroport's own published pair contract, `astroport-pair` 1.3.3 (MIT, so
//! it may be linked into the `sluice` binary; its 1.5 and 2.x releases are GPL-3.0), hosted natively
//! ([`astroport`], [`wasm_host`]). No Terraswap pair contract crate is published (the `terraswap`
//! crate has only its message types), so the Terraswap pair is written here from its documented
//! messages and its arithmetic ([`pair`]), as are the CW20 token ([`cw20`]) and the factories
//! ([`factory`]).

pub mod astroport;
pub mod bignum;
pub mod cw20;
pub mod factory;
pub mod pair;
pub mod wasm_host;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use sha2::{Digest, Sha256};
use sluice::amm::terra_swap::msg::{AssetInfo, PairInfo};
use sluice::chain::cosmos::Coin;

use super::chain::{Balances, ContractEvent, ContractExecutor, ExecError, transfer};

pub use cw20::Token;
pub use factory::{AstroportFees, Factory};
pub use pair::Pair;

/// A contract's error (its `ContractError`/`StdError` text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractError(pub String);

impl ContractError {
    fn unknown_variant(v: &str) -> Self {
        ContractError(format!("Error parsing into type: unknown variant `{v}`"))
    }
}

#[derive(Debug, Clone)]
pub enum Contract {
    Token(Token),
    Pair(Pair),
    AstroportPair(astroport::AstroportPair),
    Factory(Factory),
}

/// Every contract's state, by address.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub contracts: BTreeMap<String, Contract>,
}

fn no_contract(addr: &str) -> ContractError {
    ContractError(format!("{addr}: no such contract"))
}

impl State {
    pub fn token(&self, addr: &str) -> Result<&Token, ContractError> {
        match self.contracts.get(addr) {
            Some(Contract::Token(t)) => Ok(t),
            _ => Err(no_contract(addr)),
        }
    }

    pub fn pair(&self, addr: &str) -> Result<&Pair, ContractError> {
        match self.contracts.get(addr) {
            Some(Contract::Pair(p)) => Ok(p),
            _ => Err(no_contract(addr)),
        }
    }
}

/// One execution: the bank and contract state it changes, and the events it emits.
pub struct Env<'a> {
    pub bank: &'a mut Balances,
    pub state: &'a mut State,
    pub hrp: &'a str,
    pub events: Vec<ContractEvent>,
}

impl Env<'_> {
    fn token_mut(&mut self, addr: &str) -> Result<&mut Token, ContractError> {
        match self.state.contracts.get_mut(addr) {
            Some(Contract::Token(t)) => Ok(t),
            _ => Err(no_contract(addr)),
        }
    }

    /// `addr_validate`: a bech32 address of this chain.
    pub(crate) fn check_address(&self, addr: &str) -> Result<(), ContractError> {
        match bech32::decode(addr) {
            Ok((hrp, data))
                if hrp.as_str() == self.hrp && (data.len() == 20 || data.len() == 32) =>
            {
                Ok(())
            }
            _ => Err(ContractError(format!(
                "Generic error: addr_validate errored: invalid address {addr}"
            ))),
        }
    }

    pub(crate) fn wasm_event(&mut self, contract: &str, attrs: &[(&str, &str)]) {
        let mut all = vec![("_contract_address".to_string(), contract.to_string())];
        all.extend(attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.events.push(("wasm".into(), all));
    }

    /// Pays `amount` of `info` from contract `from` to `to`: a bank send or a CW20 transfer.
    pub(crate) fn pay(
        &mut self,
        from: &str,
        to: &str,
        info: &AssetInfo,
        amount: u128,
    ) -> Result<(), ContractError> {
        match info {
            AssetInfo::NativeToken { denom } => {
                let coins = [Coin::new(amount, denom.clone())];
                transfer(self.bank, from, to, &coins).map_err(|e| ContractError(e.log))?;
                let amt = coins[0].to_string();
                for (kind, attrs) in [
                    (
                        "coin_spent",
                        vec![("spender", from), ("amount", amt.as_str())],
                    ),
                    (
                        "coin_received",
                        vec![("receiver", to), ("amount", amt.as_str())],
                    ),
                    (
                        "transfer",
                        vec![
                            ("recipient", to),
                            ("sender", from),
                            ("amount", amt.as_str()),
                        ],
                    ),
                ] {
                    self.events.push((
                        kind.into(),
                        attrs
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                    ));
                }
                Ok(())
            }
            AssetInfo::Token { contract_addr } => {
                let msg = serde_json::json!({"transfer": {"recipient": to, "amount": amount.to_string()}});
                self.execute(from, contract_addr, &msg, &[])
            }
        }
    }

    /// Runs `msg` on `contract` for `sender` (funds already moved).
    pub fn execute(
        &mut self,
        sender: &str,
        contract: &str,
        msg: &Value,
        funds: &[Coin],
    ) -> Result<(), ContractError> {
        let (kind, body) = one_key(msg)?;
        self.events.push((
            "execute".into(),
            vec![("_contract_address".into(), contract.into())],
        ));
        match self.state.contracts.get(contract) {
            Some(Contract::Token(_)) => cw20::execute(self, contract, sender, kind, body),
            Some(Contract::Pair(p)) => {
                let info = p.info.clone();
                pair::execute(self, &info, sender, kind, body, funds)
            }
            Some(Contract::AstroportPair(_)) => {
                astroport::execute(self, contract, sender, msg, funds)
            }
            Some(Contract::Factory(_)) => Err(ContractError(format!(
                "{kind}: not supported by the local factory (pairs are created at genesis)"
            ))),
            None => Err(no_contract(contract)),
        }
    }
}

/// A smart query on `contract`.
pub fn query(
    state: &State,
    bank: &Balances,
    contract: &str,
    msg: &Value,
) -> Result<Value, ContractError> {
    let (kind, body) = one_key(msg)?;
    match state.contracts.get(contract) {
        Some(Contract::Token(t)) => t.query(kind, body),
        Some(Contract::Pair(p)) => pair::query(state, bank, &p.info, kind, body),
        Some(Contract::AstroportPair(p)) => astroport::query(state, bank, p, msg),
        Some(Contract::Factory(f)) => f.query(state, bank, kind, body),
        None => Err(no_contract(contract)),
    }
}

/// The one `{"variant": {…}}` of a message.
fn one_key(msg: &Value) -> Result<(&str, &Value), ContractError> {
    match msg.as_object() {
        Some(o) if o.len() == 1 => o
            .iter()
            .next()
            .map(|(k, v)| (k.as_str(), v))
            .ok_or_else(|| ContractError("Error parsing into type: empty message".into())),
        _ => Err(ContractError(
            "Error parsing into type: expected one variant".into(),
        )),
    }
}

fn field<'v>(v: &'v Value, key: &str) -> Result<&'v Value, ContractError> {
    v.get(key)
        .ok_or_else(|| ContractError(format!("Error parsing into type: missing field `{key}`")))
}

fn str_of<'v>(v: &'v Value, key: &str) -> Result<&'v str, ContractError> {
    field(v, key)?.as_str().ok_or_else(|| {
        ContractError(format!(
            "Error parsing into type: `{key}`: expected a string"
        ))
    })
}

fn opt_str<'v>(v: &'v Value, key: &str) -> Result<Option<&'v str>, ContractError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ContractError(format!(
            "Error parsing into type: `{key}`: expected a string"
        ))),
    }
}

/// A `Uint128` field.
fn amount_of(v: &Value, key: &str) -> Result<u128, ContractError> {
    let s = str_of(v, key)?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ContractError(format!(
            "Error parsing into type: invalid Uint128 '{s}'"
        )));
    }
    s.parse()
        .map_err(|_| ContractError(format!("Error parsing into type: invalid Uint128 '{s}'")))
}

/// A contract address as wasmd makes them: 32 bytes, here a hash of the instance's label.
pub fn contract_address(hrp: &str, label: &str) -> String {
    let hash = Sha256::digest(format!("sluice-local-contract/{label}").as_bytes());
    bech32::Hrp::parse(hrp)
        .ok()
        .and_then(|h| bech32::encode::<bech32::Bech32>(h, &hash).ok())
        .unwrap_or_default()
}

/// The Terraswap contracts of the local node.
pub struct TerraContracts {
    hrp: String,
    state: Mutex<State>,
    saved: Mutex<Option<State>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn exec_error(e: ContractError) -> ExecError {
    ExecError {
        code: 5,
        codespace: "wasm".into(),
        log: format!(
            "failed to execute message; message index: 0: {}: execute wasm contract failed",
            e.0
        ),
    }
}

impl TerraContracts {
    pub fn new(hrp: &str) -> Self {
        Self {
            hrp: hrp.into(),
            state: Mutex::new(State::default()),
            saved: Mutex::new(None),
        }
    }

    /// A copy of every contract's state.
    pub fn state(&self) -> State {
        lock(&self.state).clone()
    }

    /// Instantiates a CW20 token at the address of `label`, with `initial` balances.
    pub fn add_token(
        &self,
        label: &str,
        name: &str,
        symbol: &str,
        decimals: u8,
        initial: &[(String, u128)],
        minter: Option<&str>,
    ) -> String {
        let addr = contract_address(&self.hrp, label);
        let balances: BTreeMap<String, u128> = initial.iter().cloned().collect();
        let total_supply = initial.iter().map(|(_, a)| *a).sum();
        lock(&self.state).contracts.insert(
            addr.clone(),
            Contract::Token(Token {
                name: name.into(),
                symbol: symbol.into(),
                decimals,
                total_supply,
                minter: minter.map(str::to_string),
                balances,
            }),
        );
        addr
    }

    /// Instantiates a pair of `assets` (with their decimals) and its LP token (minted by the pair).
    pub fn add_pair(&self, label: &str, assets: [AssetInfo; 2], decimals: [u8; 2]) -> PairInfo {
        let addr = contract_address(&self.hrp, label);
        let lp = self.add_token(
            &format!("{label}/lp"),
            "terraswap liquidity token",
            "uLP",
            6,
            &[],
            Some(&addr),
        );
        let info = PairInfo {
            asset_infos: assets,
            contract_addr: addr.clone(),
            liquidity_token: lp,
            asset_decimals: decimals,
            pair_type: None,
        };
        lock(&self.state)
            .contracts
            .insert(addr, Contract::Pair(Pair { info: info.clone() }));
        info
    }

    /// Instantiates a (Terraswap) factory listing `pairs`.
    pub fn add_factory(&self, label: &str, owner: &str, pairs: &[String]) -> String {
        self.insert_factory(label, owner, pairs, None)
    }

    /// Instantiates an Astroport factory charging `fees`, with no pairs yet.
    pub fn add_astroport_factory(&self, label: &str, owner: &str, fees: AstroportFees) -> String {
        self.insert_factory(label, owner, &[], Some(fees))
    }

    fn insert_factory(
        &self,
        label: &str,
        owner: &str,
        pairs: &[String],
        astroport: Option<AstroportFees>,
    ) -> String {
        let addr = contract_address(&self.hrp, label);
        lock(&self.state).contracts.insert(
            addr.clone(),
            Contract::Factory(Factory {
                owner: owner.into(),
                pair_code_id: 2,
                token_code_id: 1,
                pairs: pairs.to_vec(),
                astroport,
            }),
        );
        addr
    }

    /// Instantiates `astroport-pair` for `assets` at the address of `label` and lists it in
    /// `factory`; its LP token is created by the pair's instantiation. Returns the pair's own
    /// `pair` answer.
    pub fn add_astroport_pair(
        &self,
        label: &str,
        assets: [AssetInfo; 2],
        factory: &str,
    ) -> Result<PairInfo, ContractError> {
        let addr = contract_address(&self.hrp, label);
        let mut state = lock(&self.state);
        let mut work = state.clone();
        let mut bank = Balances::new();
        let mut env = Env {
            bank: &mut bank,
            state: &mut work,
            hrp: &self.hrp,
            events: vec![],
        };
        astroport::instantiate(&mut env, &addr, &format!("{label}/lp"), &assets, factory)?;
        match work.contracts.get_mut(factory) {
            Some(Contract::Factory(f)) if f.astroport.is_some() => f.pairs.push(addr.clone()),
            _ => {
                return Err(ContractError(format!(
                    "{factory}: not an Astroport factory"
                )));
            }
        }
        let info = query(&work, &bank, &addr, &serde_json::json!({"pair": {}}))?;
        let info: PairInfo = serde_json::from_value(info)
            .map_err(|e| ContractError(format!("the pair's own pair answer: {e}")))?;
        *state = work;
        Ok(info)
    }

    /// Credits CW20 `amount` to `to` (genesis balances; the supply grows).
    pub fn mint(&self, token: &str, to: &str, amount: u128) -> Result<(), ContractError> {
        let mut st = lock(&self.state);
        match st.contracts.get_mut(token) {
            Some(Contract::Token(t)) => {
                t.total_supply = t
                    .total_supply
                    .checked_add(amount)
                    .ok_or_else(|| ContractError("supply overflow".into()))?;
                t.credit(to, amount)
            }
            _ => Err(no_contract(token)),
        }
    }

    /// A CW20 balance.
    pub fn token_balance(&self, token: &str, address: &str) -> u128 {
        lock(&self.state)
            .token(token)
            .map_or(0, |t| t.balance(address))
    }
}

impl ContractExecutor for TerraContracts {
    fn query(&self, bank: &Balances, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ExecError> {
        let err = |log: String| ExecError {
            code: 2,
            codespace: "wasm".into(),
            log: format!("{log}: query wasm contract failed"),
        };
        let msg: Value = serde_json::from_slice(msg)
            .map_err(|e| err(format!("Error parsing into type: {e}")))?;
        let state = lock(&self.state);
        let answer = query(&state, bank, contract, &msg).map_err(|e| err(e.0))?;
        serde_json::to_vec(&answer).map_err(|e| err(e.to_string()))
    }

    fn execute(
        &self,
        bank: &mut Balances,
        sender: &str,
        contract: &str,
        msg: &[u8],
        funds: &[Coin],
        _simulate: bool,
    ) -> Result<Vec<ContractEvent>, ExecError> {
        let msg: Value = serde_json::from_slice(msg)
            .map_err(|e| exec_error(ContractError(format!("Error parsing into type: {e}"))))?;
        let mut state = lock(&self.state);
        // A message's changes land only if it succeeds (the chain also drops the whole
        // transaction's changes on a later failure: see `end`).
        let mut work = state.clone();
        let mut work_bank = bank.clone();
        let mut env = Env {
            bank: &mut work_bank,
            state: &mut work,
            hrp: &self.hrp,
            events: vec![],
        };
        env.execute(sender, contract, &msg, funds)
            .map_err(exec_error)?;
        let events = std::mem::take(&mut env.events);
        *state = work;
        *bank = work_bank;
        Ok(events)
    }

    fn begin(&self) {
        let snapshot = lock(&self.state).clone();
        *lock(&self.saved) = Some(snapshot);
    }

    fn end(&self, commit: bool) {
        if let Some(saved) = lock(&self.saved).take()
            && !commit
        {
            *lock(&self.state) = saved;
        }
    }
}

#[cfg(test)]
mod tests;
