//! A Terraswap pair contract (`terraswap_pair`'s messages and rules): reserves are the pair's own
//! bank balance (native side) and CW20 balance (token side); `swap` of a native coin sent as
//! funds, or a CW20 `send` whose hook is `{"swap":{…}}`; the 0.3 % commission stays in the
//! pool; `belief_price`/`max_spread` enforced; queries `pair`, `pool`, `simulation`,
//! `reverse_simulation`. The arithmetic is the contract's, in `Uint256`/`Decimal256` steps
//! ([`super::bignum`]); where the contract would abort, the call fails.

use serde_json::{Value, json};
use sluice::amm::terra_swap::msg::{Asset, AssetInfo, PairInfo};

use super::bignum::{Abort, Decimal256, Uint256};
use super::{ContractError, Env, State, field, opt_str};
use crate::cosmos::chain::Balances;

const COMMISSION_RATE: &str = "0.003";

impl From<Abort> for ContractError {
    fn from(a: Abort) -> Self {
        ContractError(format!("panicked: {}", a.0))
    }
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub info: PairInfo,
}

fn commission() -> Decimal256 {
    Decimal256::parse(COMMISSION_RATE).unwrap_or_else(Decimal256::one)
}

/// The pair's two reserves, in `asset_infos` order.
pub fn pools(state: &State, bank: &Balances, pair: &PairInfo) -> Result<[Asset; 2], ContractError> {
    let amount = |info: &AssetInfo| -> Result<u128, ContractError> {
        Ok(match info {
            AssetInfo::NativeToken { denom } => bank
                .get(&pair.contract_addr)
                .and_then(|b| b.get(denom))
                .copied()
                .unwrap_or(0),
            AssetInfo::Token { contract_addr } => {
                state.token(contract_addr)?.balance(&pair.contract_addr)
            }
        })
    };
    Ok([
        Asset {
            info: pair.asset_infos[0].clone(),
            amount: amount(&pair.asset_infos[0])?,
        },
        Asset {
            info: pair.asset_infos[1].clone(),
            amount: amount(&pair.asset_infos[1])?,
        },
    ])
}

/// Which of the pair's two assets (0 or 1) `info` is; another asset is the contract's mismatch.
fn side_of(pools: &[Asset; 2], info: &AssetInfo) -> Result<usize, ContractError> {
    pools.iter().position(|p| p.info == *info).ok_or_else(|| {
        ContractError(
            "Asset mismatch between the requested and the stored asset in contract".into(),
        )
    })
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value, key: &str) -> Result<T, ContractError> {
    serde_json::from_value(field(v, key)?.clone())
        .map_err(|e| ContractError(format!("Error parsing into type: {key}: {e}")))
}

fn opt_decimal(v: &Value, key: &str) -> Result<Option<Decimal256>, ContractError> {
    opt_str(v, key)?
        .map(|s| {
            Decimal256::parse(s).ok_or_else(|| {
                ContractError(format!(
                    "Error parsing into type: {key}: Error parsing decimal '{s}'"
                ))
            })
        })
        .transpose()
}

/// `compute_swap`: (return, spread, commission).
pub fn compute_swap(
    offer_pool: u128,
    ask_pool: u128,
    offer_amount: u128,
) -> Result<(u128, u128, u128), Abort> {
    let offer_pool = Uint256::from_u128(offer_pool);
    let ask_pool = Uint256::from_u128(ask_pool);
    let offer_amount = Uint256::from_u128(offer_amount);
    let commission_rate = commission();
    let cp = offer_pool.times(ask_pool)?;
    let return_amount = Uint256::one().mul_dec(
        Decimal256::from_uint256(ask_pool)?
            .minus(Decimal256::from_ratio(cp, offer_pool.plus(offer_amount)?)?)?,
    )?;
    let spread_amount = offer_amount
        .mul_dec(Decimal256::from_ratio(ask_pool, offer_pool)?)?
        .minus(return_amount)?;
    let commission_amount = return_amount.mul_dec(commission_rate)?;
    let return_amount = return_amount.minus(commission_amount)?;
    Ok((
        return_amount.to_u128()?,
        spread_amount.to_u128()?,
        commission_amount.to_u128()?,
    ))
}

/// `compute_offer_amount`: (offer, spread, commission).
pub fn compute_offer_amount(
    offer_pool: u128,
    ask_pool: u128,
    ask_amount: u128,
) -> Result<(u128, u128, u128), Abort> {
    let offer_pool = Uint256::from_u128(offer_pool);
    let ask_pool = Uint256::from_u128(ask_pool);
    let ask_amount = Uint256::from_u128(ask_amount);
    let commission_rate = commission();
    let cp = offer_pool.times(ask_pool)?;
    let one_minus_commission = Decimal256::one().minus(commission_rate)?;
    let inv_one_minus_commission = Decimal256::one().over(one_minus_commission)?;
    let offer_amount = Uint256::one()
        .multiply_ratio(
            cp.0,
            ask_pool
                .minus(ask_amount.mul_dec(inv_one_minus_commission)?)?
                .0,
        )?
        .minus(offer_pool)?;
    let before_commission_deduction = ask_amount.mul_dec(inv_one_minus_commission)?;
    let before_spread_deduction =
        offer_amount.mul_dec(Decimal256::from_ratio(ask_pool, offer_pool)?)?;
    let spread_amount = if before_spread_deduction > before_commission_deduction {
        before_spread_deduction.minus(before_commission_deduction)?
    } else {
        Uint256::zero()
    };
    let commission_amount = before_commission_deduction.mul_dec(commission_rate)?;
    Ok((
        offer_amount.to_u128()?,
        spread_amount.to_u128()?,
        commission_amount.to_u128()?,
    ))
}

/// `assert_max_spread`.
fn assert_max_spread(
    belief_price: Option<Decimal256>,
    max_spread: Option<Decimal256>,
    offer_amount: u128,
    return_amount: u128,
    spread_amount: u128,
    offer_decimal: u8,
    return_decimal: u8,
) -> Result<(), ContractError> {
    let overflow = || ContractError("Overflow: Cannot Mul".into());
    let scale = |v: u128, by: u8| -> Result<u128, ContractError> {
        let f = 10u64.checked_pow(by.into()).ok_or_else(overflow)?;
        v.checked_mul(f.into()).ok_or_else(overflow)
    };
    let (offer, ret, spread) = match offer_decimal.cmp(&return_decimal) {
        std::cmp::Ordering::Greater => {
            let diff = offer_decimal - return_decimal;
            (
                offer_amount,
                scale(return_amount, diff)?,
                scale(spread_amount, diff)?,
            )
        }
        std::cmp::Ordering::Less => (
            scale(offer_amount, return_decimal - offer_decimal)?,
            return_amount,
            spread_amount,
        ),
        std::cmp::Ordering::Equal => (offer_amount, return_amount, spread_amount),
    };
    let (offer, ret, spread) = (
        Uint256::from_u128(offer),
        Uint256::from_u128(ret),
        Uint256::from_u128(spread),
    );
    if let (Some(max_spread), Some(belief_price)) = (max_spread, belief_price) {
        let expected_return = offer.div_dec(belief_price)?;
        let spread_amount = if expected_return > ret {
            expected_return.minus(ret)?
        } else {
            Uint256::zero()
        };
        if ret < expected_return
            && Decimal256::from_ratio(spread_amount, expected_return)? > max_spread
        {
            return Err(ContractError("Operation exceeds max spread limit".into()));
        }
    } else if let Some(max_spread) = max_spread
        && Decimal256::from_ratio(spread, ret.plus(spread)?)? > max_spread
    {
        return Err(ContractError("Operation exceeds max spread limit".into()));
    }
    Ok(())
}

pub fn query(
    state: &State,
    bank: &Balances,
    pair: &PairInfo,
    kind: &str,
    body: &Value,
) -> Result<Value, ContractError> {
    match kind {
        "pair" => serde_json::to_value(pair).map_err(|e| ContractError(e.to_string())),
        "pool" => {
            let assets = pools(state, bank, pair)?;
            let total_share = state.token(&pair.liquidity_token)?.total_supply;
            Ok(json!({"assets": assets, "total_share": total_share.to_string()}))
        }
        "simulation" => {
            let offer: Asset = parse(body, "offer_asset")?;
            let p = pools(state, bank, pair)?;
            let i = side_of(&p, &offer.info)?;
            let (offer_pool, ask_pool) = (&p[i], &p[1 - i]);
            let (r, s, c) = compute_swap(offer_pool.amount, ask_pool.amount, offer.amount)?;
            Ok(
                json!({"return_amount": r.to_string(), "spread_amount": s.to_string(), "commission_amount": c.to_string()}),
            )
        }
        "reverse_simulation" => {
            let ask: Asset = parse(body, "ask_asset")?;
            let p = pools(state, bank, pair)?;
            let i = side_of(&p, &ask.info)?;
            let (ask_pool, offer_pool) = (&p[i], &p[1 - i]);
            let (o, s, c) = compute_offer_amount(offer_pool.amount, ask_pool.amount, ask.amount)?;
            Ok(
                json!({"offer_amount": o.to_string(), "spread_amount": s.to_string(), "commission_amount": c.to_string()}),
            )
        }
        other => Err(ContractError::unknown_variant(other)),
    }
}

/// `swap` (native funds) and `receive` (a CW20 `send` with a swap hook).
pub fn execute(
    env: &mut Env<'_>,
    pair: &PairInfo,
    sender: &str,
    kind: &str,
    body: &Value,
    funds: &[sluice::chain::cosmos::Coin],
) -> Result<(), ContractError> {
    match kind {
        "swap" => {
            let offer: Asset = parse(body, "offer_asset")?;
            let AssetInfo::NativeToken { denom } = &offer.info else {
                return Err(ContractError("Unauthorized".into()));
            };
            let sent = funds
                .iter()
                .find(|c| &c.denom == denom)
                .map_or(0, |c| c.amount);
            if sent != offer.amount {
                return Err(ContractError(
                    "Generic error: Native token balance mismatch between the argument and the transferred".into(),
                ));
            }
            let to = opt_str(body, "to")?.map(str::to_string);
            swap(
                env,
                pair,
                sender,
                offer,
                opt_decimal(body, "belief_price")?,
                opt_decimal(body, "max_spread")?,
                to,
            )
        }
        "receive" => {
            let hook = super::cw20::hook_msg(body)?;
            let Some(inner) = hook.get("swap") else {
                return Err(ContractError(
                    "Error parsing into type terraswap::pair::Cw20HookMsg: unknown variant".into(),
                ));
            };
            let token = AssetInfo::token(sender);
            if !pair.asset_infos.contains(&token) {
                return Err(ContractError("Unauthorized".into()));
            }
            let from = super::str_of(body, "sender")?.to_string();
            let amount = super::amount_of(body, "amount")?;
            let to = opt_str(inner, "to")?.map(str::to_string);
            swap(
                env,
                pair,
                &from,
                Asset {
                    info: token,
                    amount,
                },
                opt_decimal(inner, "belief_price")?,
                opt_decimal(inner, "max_spread")?,
                to,
            )
        }
        other => Err(ContractError::unknown_variant(other)),
    }
}

fn swap(
    env: &mut Env<'_>,
    pair: &PairInfo,
    sender: &str,
    offer: Asset,
    belief_price: Option<Decimal256>,
    max_spread: Option<Decimal256>,
    to: Option<String>,
) -> Result<(), ContractError> {
    if let Some(t) = &to {
        env.check_address(t)?;
    }
    let p = pools(env.state, env.bank, pair)?;
    let sub = |pool: u128| {
        pool.checked_sub(offer.amount).ok_or_else(|| {
            ContractError(format!(
                "Overflow: Cannot Sub with {pool} and {}",
                offer.amount
            ))
        })
    };
    let i = side_of(&p, &offer.info)?;
    let (offer_pool, ask_pool) = (sub(p[i].amount)?, &p[1 - i]);
    let (offer_dec, ask_dec) = (pair.asset_decimals[i], pair.asset_decimals[1 - i]);
    let (return_amount, spread_amount, commission_amount) =
        compute_swap(offer_pool, ask_pool.amount, offer.amount)?;
    assert_max_spread(
        belief_price,
        max_spread,
        offer.amount,
        return_amount,
        spread_amount,
        offer_dec,
        ask_dec,
    )?;
    let receiver = to.unwrap_or_else(|| sender.to_string());
    env.wasm_event(
        &pair.contract_addr,
        &[
            ("action", "swap"),
            ("sender", sender),
            ("receiver", &receiver),
            ("offer_asset", offer.info.key()),
            ("ask_asset", ask_pool.info.key()),
            ("offer_amount", &offer.amount.to_string()),
            ("return_amount", &return_amount.to_string()),
            ("spread_amount", &spread_amount.to_string()),
            ("commission_amount", &commission_amount.to_string()),
        ],
    );
    if return_amount > 0 {
        env.pay(
            &pair.contract_addr,
            &receiver,
            &ask_pool.info,
            return_amount,
        )?;
    }
    Ok(())
}
