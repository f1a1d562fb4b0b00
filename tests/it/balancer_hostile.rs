//! Balancer pools of the hostile tokens of `contracts-test/`, created and joined here through the
//! real factory and Vault: a no-return-value (USDT-like, 6 decimals) token trades and fills its
//! quote exactly; buying a fee-on-transfer token fills with what actually arrived (1 % less than
//! the Vault's `Swap` log says, so the order stays partially filled), not the quote; a token whose transfers revert cannot be joined
//! (the Vault's revert carries the token's reason) and quoting it is a clear "no pool" error.

use crate::anvil_support::trades;
use crate::uniswap_support::{dev_tracker, final_order};

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::sol;
use alloy::sol_types::SolValue;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::balancer::abi::vault::IVault as V;
use sluice::amm::balancer::abi::{
    IBalancerVault, IBalancerWeightedPool, IBalancerWeightedPoolFactory,
};
use sluice::amm::balancer::connector::{BalancerContracts, BalancerVenue};
use sluice::amm::tokens::TokenBook;
use sluice::chain::evm::ApprovalPolicy;
use sluice::core::{
    Asset, ClientOrderId, OrderRequest, OrderState, OrderType, QuoteRequest, Side, TimeInForce,
};
use sluice::venue::Venue;
use sluice_sim::deploy::LocalEnv;

sol! {
    interface IHostile {
        function approve(address spender, uint256 value) external;
        function deposit() external payable;
    }
}

fn e(n: u64, decimals: u8) -> U256 {
    U256::from(n) * U256::from(10u8).pow(U256::from(decimals))
}

/// Creates a 50/50 weighted pool of `token` and WETH (0.3 %) and INIT-joins it from the
/// deployer; returns its id, or the join's error.
async fn pool_with_weth(env: &LocalEnv, token: Address, amount: U256) -> Result<B256, String> {
    let m = &env.manifest;
    let bal = m.balancer.as_ref().unwrap();
    let weth = m.token_address("WETH").unwrap();
    let p = env.anvil.provider();
    let me = m.deployer;
    let mut legs = [(token, amount), (weth, e(100, 18))];
    legs.sort_by_key(|l| l.0);
    let create = IBalancerWeightedPoolFactory::createCall {
        name: "hostile".into(),
        symbol: "H".into(),
        tokens: legs.iter().map(|l| l.0).collect(),
        weights: vec![e(5, 17), e(5, 17)],
        swapFeePercentage: e(3, 15),
        owner: me,
    };
    let pool = trades::read(&p, me, bal.weighted_pool_factory, &create)
        .await
        .map_err(|e| e.to_string())?;
    trades::send(&p, me, bal.weighted_pool_factory, &create, U256::ZERO)
        .await
        .map_err(|e| e.to_string())?;
    let id = trades::read(&p, me, pool, &IBalancerWeightedPool::getPoolIdCall {})
        .await
        .map_err(|e| e.to_string())?;
    for (t, a) in legs {
        // An approval that reverts is the reverting token's first refusal; the join shows the next.
        let _ = trades::send(
            &p,
            me,
            t,
            &IHostile::approveCall {
                spender: bal.vault,
                value: a,
            },
            U256::ZERO,
        )
        .await;
    }
    let amounts: Vec<U256> = legs.iter().map(|l| l.1).collect();
    trades::send(
        &p,
        me,
        bal.vault,
        &IBalancerVault::joinPoolCall {
            poolId: id,
            sender: me,
            recipient: me,
            request: V::JoinPoolRequest {
                assets: legs.iter().map(|l| l.0).collect(),
                maxAmountsIn: amounts.clone(),
                userData: Bytes::from((U256::ZERO, amounts).abi_encode_params()),
                fromInternalBalance: false,
            },
        },
        U256::ZERO,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(id)
}

fn order(id: &str, pair: &str, side: Side, amount: Decimal, price: Decimal) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        pair: pair.parse().unwrap(),
        side,
        order_type: OrderType::Swap,
        amount,
        price: Some(price),
        time_in_force: TimeInForce::Fok,
        deadline: Some(u64::MAX / 4),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tokens_trade_or_fail_clearly() {
    let env = LocalEnv::start().await.unwrap();
    let h = env.manifest.hostile_tokens.clone().expect("hostile tokens");
    pool_with_weth(&env, h.no_bool, e(300_000, 6))
        .await
        .unwrap();
    pool_with_weth(&env, h.fee_on_transfer, e(300_000, 18))
        .await
        .unwrap();
    let rev = pool_with_weth(&env, h.reverting, e(300_000, 18))
        .await
        .unwrap_err();
    assert!(
        rev.contains("RevertingToken: transfers are disabled"),
        "{rev}"
    );

    let account = 9;
    let me = sluice_sim::anvil::dev_addresses()[account];
    let weth = env.manifest.token_address("WETH").unwrap();
    trades::send(
        &env.anvil.provider(),
        me,
        weth,
        &IHostile::depositCall {},
        e(10, 18),
    )
    .await
    .unwrap();
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(&env.manifest);
    let v = BalancerVenue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        BalancerContracts::from_manifest(&env.manifest).unwrap(),
        book,
    )
    .await
    .unwrap()
    .with_executor(dev_tracker(&env, account).await, ApprovalPolicy::Exact);
    for t in [h.no_bool, h.fee_on_transfer, h.reverting] {
        v.resolve_token(&t.to_string()).await.unwrap();
    }

    // No return value, 6 decimals: the approval and the Vault cope; the fill is the quote.
    let q = v
        .quote(&QuoteRequest {
            pair: "NBT-WETH".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(1500),
        })
        .await
        .unwrap();
    let ord = order(
        "bal-nbt",
        "NBT-WETH",
        Side::Sell,
        dec!(1500),
        q.average_price * dec!(0.995),
    );
    v.submit(ord.clone()).await.unwrap();
    let o = final_order(&v, &ord).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled_quote, q.quote_amount);

    // Fee on transfer: the Vault pays 10 FOT, 9.9 arrive; the fill says what arrived.
    v.refresh().await.unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: "FOT-WETH".parse().unwrap(),
            side: Side::Buy,
            base_amount: dec!(10),
        })
        .await
        .unwrap();
    let ord = order(
        "bal-fot",
        "FOT-WETH",
        Side::Buy,
        dec!(10),
        q.average_price * dec!(1.005),
    );
    v.submit(ord.clone()).await.unwrap();
    let mut o = v.order_status(&ord).await.unwrap();
    for _ in 0..600 {
        if o.filled > Decimal::ZERO || o.state.is_terminal() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        o = v.order_status(&ord).await.unwrap();
    }
    // The swap is mined; 1 % of the base never arrived, so the order shows 9.9 of 10 filled
    // (partially: the executor's order model has no "filled short" state) at the quote's cost.
    assert_eq!(o.filled, dec!(9.9), "{o:?}");
    assert_eq!(o.state, OrderState::PartiallyFilled, "{o:?}");
    // (the executor derives the filled quote from the fill's price: equal to 18 decimals)
    assert_eq!(o.filled_quote.round_dp(18), q.quote_amount, "{o:?}");
    assert!(v.executor().unwrap().receipts().iter().all(|r| r.success));

    // A token no pool can hold: quoting it names the missing pool.
    let err = v
        .quote(&QuoteRequest {
            pair: "REV-WETH".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(1),
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no balancer pool"), "{err}");
}
