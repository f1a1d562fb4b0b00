//! Which v3 router a chain's swaps go through, and their calldata.
//!
//! - **SwapRouter** (v3-periphery; chain spec role `swap_router`): the deadline is a field of the
//!   exact-input/output parameters; follow-up calls (refund, unwrap) share a `multicall(bytes[])`.
//! - **SwapRouter02** (swap-router-contracts; role `swap_router02`), the only one on Celo: its
//!   parameters have no deadline, so every swap goes through `multicall(uint256 deadline,
//!   bytes[] data)`, which reverts after the deadline, with its follow-ups in the same call.
//!
//! Where both are listed (Ethereum), SwapRouter is used, as before. Both bound the swap the same
//! way: a minimum out for an exact input, a maximum in for an exact output.

use alloy::primitives::aliases::U24;
use alloy::primitives::{Address, Bytes, U160, U256};
use alloy::sol_types::SolCall;

use super::abi::{ISwapRouter, ISwapRouter02, IV3SwapRouter};
use super::route::Route;
use crate::amm::AmmError;

/// The router a venue sends its swaps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V3Router {
    SwapRouter(Address),
    SwapRouter02(Address),
}

/// The bound of a swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exact {
    /// Spend the route's input exactly; receive at least `min_out`.
    In { min_out: U256 },
    /// Receive the route's output exactly; spend at most `max_in`.
    Out { max_in: U256 },
}

/// A router call after the swap, in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Return the native coin not spent (an exact output paid with native coin).
    RefundEth,
    /// Unwrap the router's wrapped native coin to `recipient` (a native output).
    UnwrapWeth { min: U256, recipient: Address },
}

impl V3Router {
    /// The router of a chain's contracts: SwapRouter where deployed, else SwapRouter02.
    pub fn choose(swap_router: Option<Address>, swap_router02: Option<Address>) -> Option<Self> {
        swap_router
            .map(V3Router::SwapRouter)
            .or(swap_router02.map(V3Router::SwapRouter02))
    }

    pub fn address(&self) -> Address {
        match *self {
            V3Router::SwapRouter(a) | V3Router::SwapRouter02(a) => a,
        }
    }

    /// The transaction's calldata: the swap along `route` paying `recipient`, bounded by `exact`
    /// and `deadline`, then `follow_up` if any.
    pub fn calldata(
        &self,
        route: &Route,
        recipient: Address,
        deadline: U256,
        exact: Exact,
        follow_up: Option<FollowUp>,
    ) -> Result<Vec<u8>, AmmError> {
        let follow = follow_up.map(|f| match f {
            // Same selectors on both routers (PeripheryPayments).
            FollowUp::RefundEth => ISwapRouter::refundETHCall {}.abi_encode(),
            FollowUp::UnwrapWeth { min, recipient } => ISwapRouter::unwrapWETH9Call {
                amountMinimum: min,
                recipient,
            }
            .abi_encode(),
        });
        match self {
            V3Router::SwapRouter(_) => {
                let swap = v1_swap(route, recipient, deadline, exact)?;
                Ok(match follow {
                    None => swap,
                    Some(f) => ISwapRouter::multicallCall {
                        data: vec![swap.into(), f.into()],
                    }
                    .abi_encode(),
                })
            }
            V3Router::SwapRouter02(_) => {
                let mut data: Vec<Bytes> = vec![v2_swap(route, recipient, exact)?.into()];
                data.extend(follow.map(Bytes::from));
                Ok(ISwapRouter02::multicall_1Call { deadline, data }.abi_encode())
            }
        }
    }
}

/// SwapRouter: `exactInputSingle`/`exactInput` or `exactOutputSingle`/`exactOutput` (path
/// reversed), the deadline in the parameters.
fn v1_swap(
    route: &Route,
    recipient: Address,
    deadline: U256,
    exact: Exact,
) -> Result<Vec<u8>, AmmError> {
    Ok(
        match (exact, route.hops.as_slice(), route.tokens.as_slice()) {
            (Exact::In { min_out }, [only], [token_in, token_out]) => {
                ISwapRouter::exactInputSingleCall {
                    params: ISwapRouter::ExactInputSingleParams {
                        tokenIn: *token_in,
                        tokenOut: *token_out,
                        fee: U24::from(only.fee),
                        recipient,
                        deadline,
                        amountIn: route.amount_in(),
                        amountOutMinimum: min_out,
                        sqrtPriceLimitX96: U160::ZERO,
                    },
                }
                .abi_encode()
            }
            (Exact::In { min_out }, ..) => ISwapRouter::exactInputCall {
                params: ISwapRouter::ExactInputParams {
                    path: route.path_forward()?,
                    recipient,
                    deadline,
                    amountIn: route.amount_in(),
                    amountOutMinimum: min_out,
                },
            }
            .abi_encode(),
            (Exact::Out { max_in }, [only], [token_in, token_out]) => {
                ISwapRouter::exactOutputSingleCall {
                    params: ISwapRouter::ExactOutputSingleParams {
                        tokenIn: *token_in,
                        tokenOut: *token_out,
                        fee: U24::from(only.fee),
                        recipient,
                        deadline,
                        amountOut: route.amount_out(),
                        amountInMaximum: max_in,
                        sqrtPriceLimitX96: U160::ZERO,
                    },
                }
                .abi_encode()
            }
            (Exact::Out { max_in }, ..) => ISwapRouter::exactOutputCall {
                params: ISwapRouter::ExactOutputParams {
                    path: route.path_reversed()?,
                    recipient,
                    deadline,
                    amountOut: route.amount_out(),
                    amountInMaximum: max_in,
                },
            }
            .abi_encode(),
        },
    )
}

/// SwapRouter02 (IV3SwapRouter): the same four calls without a deadline field.
fn v2_swap(route: &Route, recipient: Address, exact: Exact) -> Result<Vec<u8>, AmmError> {
    Ok(
        match (exact, route.hops.as_slice(), route.tokens.as_slice()) {
            (Exact::In { min_out }, [only], [token_in, token_out]) => {
                ISwapRouter02::exactInputSingleCall {
                    params: IV3SwapRouter::ExactInputSingleParams {
                        tokenIn: *token_in,
                        tokenOut: *token_out,
                        fee: U24::from(only.fee),
                        recipient,
                        amountIn: route.amount_in(),
                        amountOutMinimum: min_out,
                        sqrtPriceLimitX96: U160::ZERO,
                    },
                }
                .abi_encode()
            }
            (Exact::In { min_out }, ..) => ISwapRouter02::exactInputCall {
                params: IV3SwapRouter::ExactInputParams {
                    path: route.path_forward()?,
                    recipient,
                    amountIn: route.amount_in(),
                    amountOutMinimum: min_out,
                },
            }
            .abi_encode(),
            (Exact::Out { max_in }, [only], [token_in, token_out]) => {
                ISwapRouter02::exactOutputSingleCall {
                    params: IV3SwapRouter::ExactOutputSingleParams {
                        tokenIn: *token_in,
                        tokenOut: *token_out,
                        fee: U24::from(only.fee),
                        recipient,
                        amountOut: route.amount_out(),
                        amountInMaximum: max_in,
                        sqrtPriceLimitX96: U160::ZERO,
                    },
                }
                .abi_encode()
            }
            (Exact::Out { max_in }, ..) => ISwapRouter02::exactOutputCall {
                params: IV3SwapRouter::ExactOutputParams {
                    path: route.path_reversed()?,
                    recipient,
                    amountOut: route.amount_out(),
                    amountInMaximum: max_in,
                },
            }
            .abi_encode(),
        },
    )
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
