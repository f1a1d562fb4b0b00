//! Perp v1 on anvil under xDai's chain id: the local vAMM math against the Amm's own
//! `getInputPrice` / `getOutputPrice` (`eth_call`), to the wei or both reverting, on 240 random cases
//! (both directions, quote-in and base-in forms, amounts over 12 orders of magnitude up to beyond
//! the reserves) at three different reserve states; and the Amm state followed from its logs equal
//! to the state read again.

use crate::perp_support::{IPerpErc20, TestResult, e18, send, start_xdai};
use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sluice::amm::evm::rpc::{ReadCall, batch_call, decode};
use sluice::amm::perp::abi::{IPerpAmm, IPerpClearingHouse};
use sluice::amm::perp::math::{Dir, get_input_price, get_output_price};
use sluice::amm::perp::state::AmmState;
use sluice_sim::anvil::dev_addresses;

/// A random amount: a mantissa of 1..=9999 times 10^e, e in `lo..=hi`.
fn amount(rng: &mut StdRng, lo: u32, hi: u32) -> U256 {
    let e = rng.gen_range(lo..=hi);
    U256::from(rng.gen_range(1u64..=9_999)) * U256::from(10u64).pow(U256::from(e))
}

/// 80 random cases against the chain at the current head; returns (agreeing quotes, both rejecting).
async fn compare_at_head(
    e: &crate::perp_support::PerpEnv,
    rng: &mut StdRng,
) -> TestResult<(usize, usize)> {
    let p = e.env.anvil.read_provider();
    let block = p.get_block_number().await?;
    let state = AmmState::load(&p, e.amm, block).await?;
    let mut cases = Vec::new();
    for i in 0..80 {
        let dir = if rng.gen_bool(0.5) {
            Dir::AddToAmm
        } else {
            Dir::RemoveFromAmm
        };
        // quote reserves ~3e24 wei, base ~1e21: from dust to several times the reserve.
        let input_form = i % 2 == 0;
        let amt = if input_form {
            amount(rng, 12, 22)
        } else {
            amount(rng, 9, 19)
        };
        cases.push((input_form, dir, amt));
    }
    let calls: Vec<ReadCall> = cases
        .iter()
        .map(|&(input_form, dir, amt)| {
            let d = IPerpAmm::Dec { d: amt };
            if input_form {
                ReadCall::new(
                    e.amm,
                    &IPerpAmm::getInputPriceCall {
                        _dirOfQuote: dir.as_u8(),
                        _quoteAssetAmount: d,
                    },
                )
            } else {
                ReadCall::new(
                    e.amm,
                    &IPerpAmm::getOutputPriceCall {
                        _dirOfBase: dir.as_u8(),
                        _baseAssetAmount: d,
                    },
                )
            }
        })
        .collect();
    let results = batch_call(&p, &calls, block).await?;
    let (mut agree, mut reject) = (0, 0);
    for ((input_form, dir, amt), res) in cases.into_iter().zip(results) {
        let (chain, local) = if input_form {
            (
                decode::<IPerpAmm::getInputPriceCall>(res, e.amm, "getInputPrice").map(|r| r.d),
                get_input_price(dir, amt, state.reserves),
            )
        } else {
            (
                decode::<IPerpAmm::getOutputPriceCall>(res, e.amm, "getOutputPrice").map(|r| r.d),
                get_output_price(dir, amt, state.reserves),
            )
        };
        match (chain, local) {
            (Ok(c), Ok(l)) => {
                assert_eq!(c, l, "input form {input_form}, {dir:?}, amount {amt}");
                agree += 1;
            }
            (Err(_), Err(_)) => reject += 1,
            (c, l) => {
                panic!("input form {input_form}, {dir:?}, amount {amt}: chain {c:?}, local {l:?}")
            }
        }
    }
    Ok((agree, reject))
}

#[tokio::test]
async fn perp_local_quotes_equal_the_amm_to_the_wei() -> TestResult<()> {
    let e = start_xdai().await?;
    assert_eq!(e.env.anvil.chain_id(), 100);
    let p = e.env.anvil.provider();
    let mut rng = StdRng::seed_from_u64(0x9e39);
    let traders = dev_addresses();
    let (mut agree, mut reject) = compare_at_head(&e, &mut rng).await?;
    let from = p.get_block_number().await?;
    // Move the reserves: a long and a short by two other accounts, then compare again.
    for (i, side) in [(2usize, 0u8), (3, 1)] {
        let t = traders[i];
        send(
            &p,
            t,
            e.usdc,
            &IPerpErc20::approveCall {
                spender: e.clearing_house,
                value: U256::MAX,
            },
        )
        .await?;
        send(
            &p,
            t,
            e.clearing_house,
            &IPerpClearingHouse::openPositionCall {
                _amm: e.amm,
                _side: side,
                _quoteAssetAmount: IPerpClearingHouse::Dec {
                    d: e18(1_000 + 777 * i as u64),
                },
                _leverage: IPerpClearingHouse::Dec { d: e18(3) },
                _baseAssetAmountLimit: IPerpClearingHouse::Dec { d: U256::ZERO },
            },
        )
        .await?;
        let (a, r) = compare_at_head(&e, &mut rng).await?;
        agree += a;
        reject += r;
    }
    println!("perp quotes: {agree} equal to the wei, {reject} rejected by both");
    assert!(agree + reject >= 240);
    assert!(agree >= 200, "too few comparable cases: {agree}");
    assert!(reject >= 1, "no case reached beyond the reserves");

    // The state followed from the Amm's logs equals the state read again at the head.
    let rp = e.env.anvil.read_provider();
    let mut followed = AmmState::load(&rp, e.amm, from).await?;
    let head = rp.get_block_number().await?;
    let logs = rp
        .get_logs(
            &Filter::new()
                .address(e.amm)
                .from_block(from + 1)
                .to_block(head),
        )
        .await?;
    let mut changed = 0;
    for log in &logs {
        let block = log.block_number.ok_or("log without a block")?;
        if followed.apply_log(&log.inner, block)? {
            changed += 1;
        }
    }
    assert_eq!(changed, 2, "one ReserveSnapshotted per trade");
    let fresh = AmmState::load(&rp, e.amm, head).await?;
    assert_eq!(followed.reserves, fresh.reserves);
    assert_ne!(
        fresh.reserves,
        AmmState::load(&rp, e.amm, from).await?.reserves
    );
    Ok(())
}
