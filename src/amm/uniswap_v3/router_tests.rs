//! The router choice and both routers' calldata, decoded back with the official ABIs' types: the
//! deadline, the bounds and the follow-ups land where each router reads them.

use alloy::primitives::{Address, keccak256};

use super::*;
use crate::amm::uniswap_v3::math::Q96;
use crate::amm::uniswap_v3::pool::SwapOutcome;
use crate::amm::uniswap_v3::route::BestSwap;
use crate::chain::ChainSpecs;

fn a(byte: u8) -> Address {
    Address::repeat_byte(byte)
}

fn hop(fee: u32, amount_in: u64, amount_out: u64) -> BestSwap {
    BestSwap {
        pool: a(0x70),
        fee,
        zero_for_one: true,
        outcome: SwapOutcome {
            amount_in: U256::from(amount_in),
            amount_out: U256::from(amount_out),
            fee_amount: U256::ZERO,
            sqrt_price_after: Q96,
            tick: Some(0),
            liquidity_after: 0,
            ticks_crossed: 0,
            complete: true,
        },
    }
}

fn one_hop() -> Route {
    Route {
        tokens: vec![a(1), a(2)],
        hops: vec![hop(500, 1_000, 990)],
    }
}

fn two_hops() -> Route {
    Route {
        tokens: vec![a(1), a(2), a(3)],
        hops: vec![hop(500, 1_000, 990), hop(3000, 990, 980)],
    }
}

const DEADLINE: u64 = 1_900_000_000;

fn selector(sig: &str) -> [u8; 4] {
    let h = keccak256(sig);
    [h[0], h[1], h[2], h[3]]
}

#[test]
fn the_chain_specs_pick_their_router() {
    let specs = ChainSpecs::builtin().unwrap();
    let pick = |chain: &str| {
        let s = specs.get(chain).unwrap();
        V3Router::choose(
            s.protocol_address("uniswap_v3", "swap_router"),
            s.protocol_address("uniswap_v3", "swap_router02"),
        )
    };
    // Celo lists SwapRouter02 only (docs.uniswap.org, CELO deployments).
    assert_eq!(
        pick("celo"),
        Some(V3Router::SwapRouter02(
            "0x5615CDAb10dc425a742d643d949a7F474C01abc4"
                .parse()
                .unwrap()
        ))
    );
    // Ethereum lists both: SwapRouter, as before.
    assert_eq!(
        pick("ethereum"),
        Some(V3Router::SwapRouter(
            "0xE592427A0AEce92De3Edee1F18E0157C05861564"
                .parse()
                .unwrap()
        ))
    );
    // xDai lists no router: quotes only.
    assert_eq!(pick("xdai"), None);
    // The connector's contracts read both roles from the spec: `uniswap_v3@celo` constructs.
    let celo =
        crate::amm::uniswap_v3::connector::V3Contracts::from_chain_spec(specs.get("celo").unwrap())
            .unwrap();
    assert_eq!(celo.swap_router, None);
    assert_eq!(
        V3Router::choose(celo.swap_router, celo.swap_router02).map(|r| r.address()),
        pick("celo").map(|r| r.address())
    );
    assert!(celo.tick_lens.is_some() && celo.quoter_v2.is_some());
}

#[test]
fn swap_router02_wraps_the_swap_in_a_deadline_multicall() {
    let r = V3Router::SwapRouter02(a(0x99));
    assert_eq!(r.address(), a(0x99));
    let data = r
        .calldata(
            &one_hop(),
            a(0x11),
            U256::from(DEADLINE),
            Exact::In {
                min_out: U256::from(985),
            },
            None,
        )
        .unwrap();
    assert_eq!(data[..4], selector("multicall(uint256,bytes[])"));
    assert_eq!(data[..4], [0x5a, 0xe4, 0x01, 0xdc]);
    let m = ISwapRouter02::multicall_1Call::abi_decode(&data).unwrap();
    assert_eq!(m.deadline, U256::from(DEADLINE));
    assert_eq!(m.data.len(), 1);
    // exactInputSingle((address,address,uint24,address,uint256,uint256,uint160)): no deadline.
    assert_eq!(
        m.data[0][..4],
        selector("exactInputSingle((address,address,uint24,address,uint256,uint256,uint160))")
    );
    let p = ISwapRouter02::exactInputSingleCall::abi_decode(&m.data[0])
        .unwrap()
        .params;
    assert_eq!((p.tokenIn, p.tokenOut, p.recipient), (a(1), a(2), a(0x11)));
    assert_eq!(p.fee, U24::from(500));
    assert_eq!(p.amountIn, U256::from(1_000));
    assert_eq!(p.amountOutMinimum, U256::from(985));

    // Exact output over two pools, paid with native coin: the refund follows in the same call.
    let data = r
        .calldata(
            &two_hops(),
            a(0x11),
            U256::from(DEADLINE),
            Exact::Out {
                max_in: U256::from(1_010),
            },
            Some(FollowUp::RefundEth),
        )
        .unwrap();
    let m = ISwapRouter02::multicall_1Call::abi_decode(&data).unwrap();
    assert_eq!(m.deadline, U256::from(DEADLINE));
    assert_eq!(m.data.len(), 2);
    let p = ISwapRouter02::exactOutputCall::abi_decode(&m.data[0])
        .unwrap()
        .params;
    assert_eq!(p.path, two_hops().path_reversed().unwrap());
    assert_eq!(p.amountOut, U256::from(980));
    assert_eq!(p.amountInMaximum, U256::from(1_010));
    assert_eq!(m.data[1][..], selector("refundETH()"));

    // A native output: swap to the router, then unwrap to the recipient, at least min out.
    let data = r
        .calldata(
            &two_hops(),
            a(0x99),
            U256::from(DEADLINE),
            Exact::In {
                min_out: U256::from(970),
            },
            Some(FollowUp::UnwrapWeth {
                min: U256::from(970),
                recipient: a(0x11),
            }),
        )
        .unwrap();
    let m = ISwapRouter02::multicall_1Call::abi_decode(&data).unwrap();
    let p = ISwapRouter02::exactInputCall::abi_decode(&m.data[0])
        .unwrap()
        .params;
    assert_eq!(p.path, two_hops().path_forward().unwrap());
    assert_eq!(p.recipient, a(0x99));
    let u = ISwapRouter02::unwrapWETH9_0Call::abi_decode(&m.data[1]).unwrap();
    assert_eq!(m.data[1][..4], selector("unwrapWETH9(uint256,address)"));
    assert_eq!((u.amountMinimum, u.recipient), (U256::from(970), a(0x11)));
}

#[test]
fn swap_router_keeps_the_deadline_in_the_params() {
    let r = V3Router::SwapRouter(a(0x98));
    let data = r
        .calldata(
            &one_hop(),
            a(0x11),
            U256::from(DEADLINE),
            Exact::Out {
                max_in: U256::from(1_010),
            },
            None,
        )
        .unwrap();
    let p = ISwapRouter::exactOutputSingleCall::abi_decode(&data)
        .unwrap()
        .params;
    assert_eq!(p.deadline, U256::from(DEADLINE));
    assert_eq!(p.amountOut, U256::from(990));
    assert_eq!(p.amountInMaximum, U256::from(1_010));
    let data = r
        .calldata(
            &two_hops(),
            a(0x11),
            U256::from(DEADLINE),
            Exact::In {
                min_out: U256::from(975),
            },
            Some(FollowUp::RefundEth),
        )
        .unwrap();
    assert_eq!(data[..4], selector("multicall(bytes[])"));
    let m = ISwapRouter::multicallCall::abi_decode(&data).unwrap();
    let p = ISwapRouter::exactInputCall::abi_decode(&m.data[0])
        .unwrap()
        .params;
    assert_eq!(p.deadline, U256::from(DEADLINE));
    assert_eq!(p.amountOutMinimum, U256::from(975));
}
