//! Native-coin legs of a swap: a pair such as `ETH-USDC` trades through the wrapped token's pools,
//! but the trader pays or receives native coin. The router wraps an input sent as the
//! transaction's value and unwraps an output before paying it out; the fill of a native output is
//! the WETH the router withdrew (what the trader's native balance received).

use alloy::primitives::{Address, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;

use super::swap::{FillAmounts, SwapPlan};
use super::tokens::TokenBook;
use crate::amm::AmmError;
use crate::core::{Pair, Side};

use super::abi::IWETH9 as IWrappedNative;

/// Which side of a swap, if any, is the native coin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeLeg {
    /// Both legs are ERC-20 tokens.
    None,
    /// The trader pays native coin (sent as the transaction's value, wrapped by the router).
    In,
    /// The trader receives native coin (unwrapped by the router).
    Out,
}

impl NativeLeg {
    /// The native leg of an order on `pair`: selling the base spends it, buying it receives it.
    pub fn of(book: &TokenBook, pair: &Pair, side: Side) -> Result<Self, AmmError> {
        let base = book.is_native(pair.base.as_str());
        let quote = book.is_native(pair.quote.as_str());
        Ok(match (base, quote, side) {
            (true, true, _) => {
                return Err(AmmError::InvalidAmount(format!(
                    "{pair}: both legs are the native asset"
                )));
            }
            (false, false, _) => NativeLeg::None,
            (true, false, Side::Sell) | (false, true, Side::Buy) => NativeLeg::In,
            (true, false, Side::Buy) | (false, true, Side::Sell) => NativeLeg::Out,
        })
    }
}

/// A mined swap's (amount in, amount out, LP fee) with the amount out replaced by what the router
/// unwrapped and paid as native coin: what the trader's native balance received.
pub fn with_native_output(
    (amount_in, _, fee): FillAmounts,
    logs: &[Log],
    plan: &SwapPlan,
) -> Result<FillAmounts, AmmError> {
    let amount_out = unwrapped_by(logs, output_token(plan)?, plan.router)?;
    Ok((amount_in, amount_out, fee))
}

/// The token a swap plan pays out: the quote token of a sell, the base token of a buy.
pub fn output_token(plan: &SwapPlan) -> Result<Address, AmmError> {
    let t = match plan.side {
        Side::Sell => &plan.quote,
        Side::Buy => &plan.base,
    };
    t.erc20().ok_or_else(|| AmmError::Decode {
        what: "swap plan",
        reason: format!("output token {} has no address", t.symbol),
    })
}

/// The wrapped native coin `router` withdrew in a transaction (the `Withdrawal` logs of `wrapped`
/// with the router as source), summed: what it unwrapped and paid out as native coin.
pub fn unwrapped_by(logs: &[Log], wrapped: Address, router: Address) -> Result<U256, AmmError> {
    summed_by::<IWrappedNative::Withdrawal>(logs, wrapped, router, |w| (w.src, w.wad))
}

/// The native coin `router` wrapped in a transaction (the `Deposit` logs of `wrapped` with the
/// router as depositor), summed: what a native input actually paid into the swap. A refund of
/// the excess sent as value (a buy with a native input) is not in it.
pub fn wrapped_by(logs: &[Log], wrapped: Address, router: Address) -> Result<U256, AmmError> {
    summed_by::<IWrappedNative::Deposit>(logs, wrapped, router, |d| (d.dst, d.wad))
}

/// The sum of the amounts of the events `E` of `wrapped` whose account (as read by `parts`) is
/// `router`; an error when there is none.
fn summed_by<E: SolEvent>(
    logs: &[Log],
    wrapped: Address,
    router: Address,
    parts: fn(&E) -> (Address, U256),
) -> Result<U256, AmmError> {
    let mut total = U256::ZERO;
    let mut found = false;
    for l in logs.iter().filter(|l| l.address() == wrapped) {
        let Ok(e) = E::decode_log(&l.inner) else {
            continue;
        };
        let (account, amount) = parts(&e.data);
        if account == router {
            total = total.checked_add(amount).ok_or_else(|| AmmError::Decode {
                what: "wrapped native log",
                reason: format!("{} amounts overflow", E::SIGNATURE),
            })?;
            found = true;
        }
    }
    if !found {
        return Err(AmmError::Decode {
            what: "wrapped native log",
            reason: format!(
                "no {} of {wrapped} by the router {router} in the receipt",
                E::SIGNATURE
            ),
        });
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Asset, Token, TokenId};
    use alloy::primitives::{Bytes, LogData};

    fn book() -> TokenBook {
        let mut b = TokenBook::new("anvil");
        b.set_native("ETH");
        for (s, byte) in [("WETH", 1u8), ("USDC", 2)] {
            b.insert(Token {
                symbol: Asset::new(s).unwrap(),
                decimals: 18,
                chain: "anvil".into(),
                id: TokenId::Erc20(Address::repeat_byte(byte)),
            });
        }
        b
    }

    #[test]
    fn the_native_leg_follows_side_and_position() {
        let b = book();
        let eth_usdc: Pair = "ETH-USDC".parse().unwrap();
        let usdc_eth: Pair = "USDC-ETH".parse().unwrap();
        let weth_usdc: Pair = "WETH-USDC".parse().unwrap();
        assert_eq!(NativeLeg::of(&b, &eth_usdc, Side::Sell), Ok(NativeLeg::In));
        assert_eq!(NativeLeg::of(&b, &eth_usdc, Side::Buy), Ok(NativeLeg::Out));
        assert_eq!(NativeLeg::of(&b, &usdc_eth, Side::Sell), Ok(NativeLeg::Out));
        assert_eq!(NativeLeg::of(&b, &usdc_eth, Side::Buy), Ok(NativeLeg::In));
        assert_eq!(
            NativeLeg::of(&b, &weth_usdc, Side::Sell),
            Ok(NativeLeg::None)
        );
        let eth = Asset::new("ETH").unwrap();
        assert!(NativeLeg::of(&b, &Pair::new(eth.clone(), eth), Side::Sell).is_err());
    }

    fn withdrawal(token: Address, src: Address, wad: u64) -> Log {
        let e = IWrappedNative::Withdrawal {
            src,
            wad: U256::from(wad),
        };
        let data: LogData = e.encode_log_data();
        Log {
            inner: alloy::primitives::Log {
                address: token,
                data,
            },
            ..Log::default()
        }
    }

    #[test]
    fn withdrawals_by_the_router_are_summed_and_others_ignored() {
        let (weth, router, other) = (
            Address::repeat_byte(1),
            Address::repeat_byte(9),
            Address::repeat_byte(8),
        );
        let logs = vec![
            withdrawal(weth, router, 70),
            withdrawal(weth, other, 1_000),
            withdrawal(Address::repeat_byte(3), router, 5_000),
            Log {
                inner: alloy::primitives::Log {
                    address: weth,
                    data: LogData::new_unchecked(vec![], Bytes::new()),
                },
                ..Log::default()
            },
        ];
        assert_eq!(unwrapped_by(&logs, weth, router), Ok(U256::from(70u8)));
        assert!(unwrapped_by(&logs[1..], weth, router).is_err());
        // A deposit is not a withdrawal.
        assert!(wrapped_by(&logs, weth, router).is_err());
    }

    #[test]
    fn deposits_by_the_router_are_summed_and_others_ignored() {
        let (weth, router, other) = (
            Address::repeat_byte(1),
            Address::repeat_byte(9),
            Address::repeat_byte(8),
        );
        let deposit = |token: Address, dst: Address, wad: u64| Log {
            inner: alloy::primitives::Log {
                address: token,
                data: IWrappedNative::Deposit {
                    dst,
                    wad: U256::from(wad),
                }
                .encode_log_data(),
            },
            ..Log::default()
        };
        let logs = vec![
            deposit(weth, router, 40),
            deposit(weth, other, 1_000),
            withdrawal(weth, router, 7),
            deposit(Address::repeat_byte(3), router, 5_000),
            deposit(weth, router, 2),
        ];
        assert_eq!(wrapped_by(&logs, weth, router), Ok(U256::from(42u8)));
        assert!(wrapped_by(&logs[1..2], weth, router).is_err());
    }
}
