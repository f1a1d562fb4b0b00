//! A limit order as Loopring takes it (`POST /api/v3/order`): the side, price and base amount
//! turned into a sell and a buy volume in token units, the storage id, the validity and the fee
//! cap, signed with the L2 key ([`super::sign::OrderFields`]) and written as the JSON body the
//! exchange receives.
//!
//! Rounding, explicit and always in the trader's favour at the limit price: a buy fills by its
//! buy amount (`fillAmountBOrS: true`) and sells at most `amount × price` of the quote token,
//! rounded down; a sell fills by its sell amount (`false`) and asks at least `amount × price`,
//! rounded up. The base amount must be a whole number of base token units.

use alloy::primitives::{Address, U256};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::api::Token;
use super::eddsa::{EddsaError, EddsaKey};
use super::sign::OrderFields;
use crate::core::Side;

/// Why an order could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderBuildError {
    #[error("Loopring order: {what} {value} must be positive")]
    NotPositive { what: &'static str, value: Decimal },
    #[error(
        "Loopring order: {amount} {symbol} is not a whole number of its {decimals}-decimal units"
    )]
    Fractional {
        amount: Decimal,
        symbol: String,
        decimals: u8,
    },
    #[error("Loopring order: {what} overflows in {symbol} units")]
    Overflow { what: &'static str, symbol: String },
    #[error("Loopring order: {what} is below one unit of {symbol}")]
    Zero { what: &'static str, symbol: String },
    #[error(transparent)]
    Signature(#[from] EddsaError),
}

/// What the trader asks for.
#[derive(Debug, Clone)]
pub struct LimitOrder<'a> {
    pub side: Side,
    pub base: &'a Token,
    pub quote: &'a Token,
    /// Quote per base.
    pub price: Decimal,
    /// Base amount.
    pub amount: Decimal,
    pub client_order_id: String,
    /// Post-only (`MAKER_ONLY`) instead of `LIMIT_ORDER`.
    pub post_only: bool,
}

/// The account and exchange parameters an order is signed under.
#[derive(Debug, Clone, Copy)]
pub struct OrderContext {
    pub exchange: Address,
    pub account_id: u32,
    /// From `/api/v3/storageId` for the sell token.
    pub storage_id: u32,
    pub valid_until: u64,
    pub max_fee_bips: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenVolume {
    token_id: u32,
    volume: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    exchange: String,
    account_id: u32,
    storage_id: u32,
    sell_token: TokenVolume,
    buy_token: TokenVolume,
    all_or_none: bool,
    fill_amount_b_or_s: bool,
    valid_until: u64,
    max_fee_bips: u32,
    eddsa_signature: String,
    client_order_id: &'a str,
    order_type: &'static str,
}

/// A signed order: its signed fields and the JSON body to send.
#[derive(Debug, Clone)]
pub struct SignedOrder {
    pub fields: OrderFields,
    pub body: String,
}

/// `amount` in units of a token with `decimals`, rounded by `strategy` (None: must be exact).
fn to_units(
    what: &'static str,
    amount: Decimal,
    token: &Token,
    strategy: Option<RoundingStrategy>,
) -> Result<U256, OrderBuildError> {
    let overflow = || OrderBuildError::Overflow {
        what,
        symbol: token.symbol.clone(),
    };
    let mut scaled = amount;
    for _ in 0..token.decimals {
        scaled = scaled.checked_mul(Decimal::TEN).ok_or_else(overflow)?;
    }
    let whole = match strategy {
        Some(s) => scaled.round_dp_with_strategy(0, s),
        None if scaled.fract().is_zero() => scaled,
        None => {
            return Err(OrderBuildError::Fractional {
                amount,
                symbol: token.symbol.clone(),
                decimals: token.decimals,
            });
        }
    };
    let mantissa = whole.trunc().mantissa();
    let scale = whole.trunc().scale();
    let mut v = u128::try_from(mantissa).map_err(|_| overflow())?;
    for _ in 0..scale {
        v /= 10;
    }
    if v == 0 {
        return Err(OrderBuildError::Zero {
            what,
            symbol: token.symbol.clone(),
        });
    }
    Ok(U256::from(v))
}

impl LimitOrder<'_> {
    /// The order's fields and body, signed with `key`.
    pub fn sign(&self, ctx: &OrderContext, key: &EddsaKey) -> Result<SignedOrder, OrderBuildError> {
        for (what, value) in [("price", self.price), ("amount", self.amount)] {
            if value <= Decimal::ZERO {
                return Err(OrderBuildError::NotPositive { what, value });
            }
        }
        let base_units = to_units("amount", self.amount, self.base, None)?;
        let total =
            self.amount
                .checked_mul(self.price)
                .ok_or_else(|| OrderBuildError::Overflow {
                    what: "amount × price",
                    symbol: self.quote.symbol.clone(),
                })?;
        let (sell, buy, sell_volume, buy_volume, fill_b) = match self.side {
            Side::Buy => {
                let q = to_units(
                    "amount × price",
                    total,
                    self.quote,
                    Some(RoundingStrategy::ToZero),
                )?;
                (self.quote, self.base, q, base_units, true)
            }
            Side::Sell => {
                let q = to_units(
                    "amount × price",
                    total,
                    self.quote,
                    Some(RoundingStrategy::AwayFromZero),
                )?;
                (self.base, self.quote, base_units, q, false)
            }
        };
        let fields = OrderFields {
            exchange: ctx.exchange,
            storage_id: ctx.storage_id,
            account_id: ctx.account_id,
            sell_token_id: sell.id,
            buy_token_id: buy.id,
            sell_volume,
            buy_volume,
            valid_until: ctx.valid_until,
            max_fee_bips: ctx.max_fee_bips,
            fill_amount_b_or_s: fill_b,
            taker: Address::ZERO,
        };
        let sig = fields.sign(key)?;
        let body = Body {
            exchange: ctx.exchange.to_checksum(None),
            account_id: ctx.account_id,
            storage_id: ctx.storage_id,
            sell_token: TokenVolume {
                token_id: sell.id,
                volume: sell_volume.to_string(),
            },
            buy_token: TokenVolume {
                token_id: buy.id,
                volume: buy_volume.to_string(),
            },
            all_or_none: false,
            fill_amount_b_or_s: fill_b,
            valid_until: ctx.valid_until,
            max_fee_bips: ctx.max_fee_bips,
            eddsa_signature: sig.to_hex(),
            client_order_id: &self.client_order_id,
            order_type: if self.post_only {
                "MAKER_ONLY"
            } else {
                "LIMIT_ORDER"
            },
        };
        // A struct of strings and integers always serializes.
        let body = serde_json::to_string(&body).unwrap_or_default();
        Ok(SignedOrder { fields, body })
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::clob::loopring::eddsa::Signature;

    fn token(id: u32, symbol: &str, decimals: u8) -> Token {
        Token {
            id,
            symbol: symbol.into(),
            address: String::new(),
            decimals,
            order_minimum: U256::ZERO,
            order_maximum: U256::MAX,
            dust: U256::ZERO,
            order_precision: u32::from(decimals).min(8),
            enabled: true,
        }
    }

    fn ctx() -> OrderContext {
        OrderContext {
            exchange: address!("0BABA1Ad5bE3a5C0a66E7ac838a129Bf948f1eA4"),
            account_id: 10004,
            storage_id: 6,
            valid_until: 1_700_000_000,
            max_fee_bips: 50,
        }
    }

    #[test]
    fn buy_and_sell_volumes_round_at_the_limit_in_the_traders_favour() {
        let (lrc, usdc) = (token(1, "LRC", 18), token(6, "USDC", 6));
        let key = EddsaKey::from_scalar(U256::from(56869496543825u64)).unwrap();
        let mut o = LimitOrder {
            side: Side::Buy,
            base: &lrc,
            quote: &usdc,
            price: dec!(0.3333333),
            amount: dec!(10),
            client_order_id: "sl-1".into(),
            post_only: false,
        };
        let buy = o.sign(&ctx(), &key).unwrap();
        // 10 × 0.3333333 = 3.333333 USDC = 3333333 units exactly; buy LRC 10e18.
        assert_eq!(buy.fields.sell_token_id, 6);
        assert_eq!(buy.fields.sell_volume, U256::from(3_333_333u64));
        assert_eq!(
            buy.fields.buy_volume,
            U256::from(10u64) * U256::from(10u64).pow(U256::from(18))
        );
        assert!(buy.fields.fill_amount_b_or_s);
        o.price = dec!(0.33333335);
        let buy = o.sign(&ctx(), &key).unwrap();
        assert_eq!(
            buy.fields.sell_volume,
            U256::from(3_333_333u64),
            "rounded down"
        );
        o.side = Side::Sell;
        let sell = o.sign(&ctx(), &key).unwrap();
        assert_eq!(
            sell.fields.buy_volume,
            U256::from(3_333_334u64),
            "rounded up"
        );
        assert_eq!(sell.fields.sell_token_id, 1);
        assert!(!sell.fields.fill_amount_b_or_s);
        // The body carries the fields and a signature that verifies against them.
        let v: serde_json::Value = serde_json::from_str(&sell.body).unwrap();
        assert_eq!(v["sellToken"]["volume"], "10000000000000000000");
        assert_eq!(v["buyToken"]["volume"], "3333334");
        assert_eq!(v["exchange"], "0x0BABA1Ad5bE3a5C0a66E7ac838a129Bf948f1eA4");
        assert_eq!(v["orderType"], "LIMIT_ORDER");
        assert_eq!(v["storageId"], 6);
        let sig = Signature::from_hex(v["eddsaSignature"].as_str().unwrap()).unwrap();
        assert!(sell.fields.verify(&key.public_key(), &sig).unwrap());
    }

    #[test]
    fn impossible_orders_are_errors() {
        let (lrc, usdc) = (token(1, "LRC", 18), token(6, "USDC", 6));
        let key = EddsaKey::from_scalar(U256::from(5u8)).unwrap();
        let o = |price: Decimal, amount: Decimal| LimitOrder {
            side: Side::Buy,
            base: &usdc,
            quote: &lrc,
            price,
            amount,
            client_order_id: "x".into(),
            post_only: true,
        };
        assert!(matches!(
            o(dec!(1), dec!(0.0000001)).sign(&ctx(), &key),
            Err(OrderBuildError::Fractional { .. })
        ));
        assert!(matches!(
            o(dec!(0), dec!(1)).sign(&ctx(), &key),
            Err(OrderBuildError::NotPositive { .. })
        ));
        assert!(matches!(
            o(dec!(1), Decimal::MAX).sign(&ctx(), &key),
            Err(OrderBuildError::Overflow { .. })
        ));
        let sell_lrc = LimitOrder {
            side: Side::Buy,
            base: &lrc,
            quote: &usdc,
            price: dec!(0.0000000001),
            amount: dec!(1),
            client_order_id: "x".into(),
            post_only: true,
        };
        assert!(matches!(
            sell_lrc.sign(&ctx(), &key),
            Err(OrderBuildError::Zero { .. })
        ));
    }
}
