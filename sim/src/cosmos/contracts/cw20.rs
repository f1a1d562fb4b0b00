//! A CW20 token contract as `cw20-base` behaves: balances, total supply, an optional minter;
//! `transfer`, `send` (the tokens move, then the receiving contract's `receive` hook runs with
//! `{sender, amount, msg}`), `mint` (minter only), `burn`; queries `balance`, `token_info`,
//! `minter`. Its events are `cw20-base`'s `wasm` attributes.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::{ContractError, Env, amount_of, field, str_of};

#[derive(Debug, Clone)]
pub struct Token {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub total_supply: u128,
    pub minter: Option<String>,
    pub balances: BTreeMap<String, u128>,
}

impl Token {
    pub fn balance(&self, address: &str) -> u128 {
        self.balances.get(address).copied().unwrap_or(0)
    }

    fn debit(&mut self, who: &str, amount: u128) -> Result<(), ContractError> {
        let have = self.balance(who);
        let left = have.checked_sub(amount).ok_or_else(|| {
            ContractError(format!("Overflow: Cannot Sub with {have} and {amount}"))
        })?;
        self.balances.insert(who.to_string(), left);
        Ok(())
    }

    pub(super) fn credit(&mut self, who: &str, amount: u128) -> Result<(), ContractError> {
        let have = self.balance(who);
        let sum = have.checked_add(amount).ok_or_else(|| {
            ContractError(format!("Overflow: Cannot Add with {have} and {amount}"))
        })?;
        self.balances.insert(who.to_string(), sum);
        Ok(())
    }

    pub fn query(&self, kind: &str, body: &Value) -> Result<Value, ContractError> {
        match kind {
            "balance" => {
                let address = str_of(body, "address")?;
                Ok(json!({"balance": self.balance(address).to_string()}))
            }
            "token_info" => Ok(json!({
                "name": self.name, "symbol": self.symbol, "decimals": self.decimals,
                "total_supply": self.total_supply.to_string(),
            })),
            "minter" => Ok(match &self.minter {
                Some(m) => json!({"minter": m, "cap": null}),
                None => Value::Null,
            }),
            other => Err(ContractError::unknown_variant(other)),
        }
    }
}

/// Runs `kind` on token `addr` for `sender`.
pub fn execute(
    env: &mut Env<'_>,
    addr: &str,
    sender: &str,
    kind: &str,
    body: &Value,
) -> Result<(), ContractError> {
    let amount = amount_of(body, "amount")?;
    if amount == 0 {
        return Err(ContractError("Invalid zero amount".into()));
    }
    match kind {
        "transfer" | "send" => {
            let to = str_of(
                body,
                if kind == "send" {
                    "contract"
                } else {
                    "recipient"
                },
            )?;
            env.check_address(to)?;
            {
                let t = env.token_mut(addr)?;
                t.debit(sender, amount)?;
                t.credit(to, amount)?;
            }
            env.wasm_event(
                addr,
                &[
                    ("action", kind),
                    ("from", sender),
                    ("to", to),
                    ("amount", &amount.to_string()),
                ],
            );
            if kind == "send" {
                let msg = str_of(body, "msg")?;
                let hook = json!({"receive": {"sender": sender, "amount": amount.to_string(), "msg": msg}});
                env.execute(addr, to, &hook, &[])?;
            }
            Ok(())
        }
        "mint" => {
            let to = str_of(body, "recipient")?;
            env.check_address(to)?;
            let t = env.token_mut(addr)?;
            if t.minter.as_deref() != Some(sender) {
                return Err(ContractError("Unauthorized".into()));
            }
            t.total_supply = t
                .total_supply
                .checked_add(amount)
                .ok_or_else(|| ContractError("Minting cannot exceed the cap".into()))?;
            t.credit(to, amount)?;
            env.wasm_event(
                addr,
                &[
                    ("action", "mint"),
                    ("to", to),
                    ("amount", &amount.to_string()),
                ],
            );
            Ok(())
        }
        "burn" => {
            let t = env.token_mut(addr)?;
            t.debit(sender, amount)?;
            t.total_supply -= amount;
            env.wasm_event(
                addr,
                &[
                    ("action", "burn"),
                    ("from", sender),
                    ("amount", &amount.to_string()),
                ],
            );
            Ok(())
        }
        other => Err(ContractError::unknown_variant(other)),
    }
}

/// The `msg` of a `send`, decoded from base64 JSON.
pub fn hook_msg(body: &Value) -> Result<Value, ContractError> {
    let raw = field(body, "msg")?
        .as_str()
        .ok_or_else(|| ContractError("msg: expected a base64 string".into()))?;
    let bytes = B64
        .decode(raw)
        .map_err(|e| ContractError(format!("Error parsing into type: invalid base64: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ContractError(format!("Error parsing into type: {e}")))
}
