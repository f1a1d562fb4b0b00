//! The pieces of a swap that need no node: whole-token amounts to and from smallest units
//! (rounded down), the swap message (`swap` with funds for a native offer, a CW20 `send` with the
//! swap hook for a token), and the swap read back from a transaction's events.

use base64::Engine as _;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::json;

use super::math::Dec18;
use super::msg::{Asset, AssetInfo};
use crate::chain::cosmos::lcd::Event;
use crate::chain::cosmos::{Coin, Msg};
use crate::venue::VenueError;

/// `amount` whole tokens in smallest units, rounded down.
pub fn to_units(amount: Decimal, decimals: u8) -> Result<u128, VenueError> {
    let scaled = amount
        .checked_mul(Decimal::from(10u128.pow(decimals.into())))
        .ok_or_else(|| VenueError::InvalidRequest(format!("amount {amount} is too large")))?;
    u128::try_from(scaled.round_dp_with_strategy(0, RoundingStrategy::ToZero))
        .map_err(|_| VenueError::InvalidRequest(format!("amount {amount} does not fit")))
}

/// Smallest units as whole tokens.
pub fn from_units(units: u128, decimals: u8) -> Result<Decimal, VenueError> {
    let d = Decimal::try_from_i128_with_scale(
        i128::try_from(units).map_err(|_| VenueError::Protocol("amount out of range".into()))?,
        decimals.into(),
    )
    .map_err(|e| VenueError::Protocol(format!("amount {units}: {e}")))?;
    Ok(d.normalize())
}

/// The swap message for an offer: `swap` with funds, or a CW20 `send` with the swap hook.
pub fn swap_msg(
    sender: &str,
    pair: &str,
    offer: &Asset,
    belief_price: Option<Dec18>,
    max_spread: Option<Dec18>,
) -> Result<Msg, VenueError> {
    let bp = belief_price.map(|d| d.to_string());
    let ms = max_spread.map(|d| d.to_string());
    let ser = |v: &serde_json::Value| {
        serde_json::to_vec(v).map_err(|e| VenueError::Protocol(e.to_string()))
    };
    Ok(match &offer.info {
        AssetInfo::NativeToken { denom } => Msg::Execute {
            sender: sender.into(),
            contract: pair.into(),
            msg: ser(
                &json!({"swap": {"offer_asset": offer, "belief_price": bp, "max_spread": ms}}),
            )?,
            funds: vec![Coin::new(offer.amount, denom.clone())],
        },
        AssetInfo::Token { contract_addr } => {
            let hook = ser(&json!({"swap": {"belief_price": bp, "max_spread": ms}}))?;
            Msg::Execute {
                sender: sender.into(),
                contract: contract_addr.clone(),
                msg: ser(&json!({"send": {
                    "contract": pair,
                    "amount": offer.amount.to_string(),
                    "msg": base64::engine::general_purpose::STANDARD.encode(hook),
                }}))?,
                funds: vec![],
            }
        }
    })
}

/// The pair's swap in a transaction's events: (offer_amount, return_amount).
pub fn swap_of(events: &[Event], pair: &str) -> Option<(u128, u128)> {
    events.iter().find_map(|e| {
        (e.kind == "wasm"
            && e.attr("_contract_address") == Some(pair)
            && e.attr("action") == Some("swap"))
        .then(|| {
            Some((
                e.attr("offer_amount")?.parse().ok()?,
                e.attr("return_amount")?.parse().ok()?,
            ))
        })
        .flatten()
    })
}
