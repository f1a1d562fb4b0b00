//! Mento exchanges of the hostile tokens of `contracts-test/`, created here through the real
//! contracts by their owner (an oracle feed at 1 cUSD per token, the token made a Reserve
//! collateral, a constant-sum exchange cUSD/token on the BiPoolManager, the Reserve funded), then
//! traded through the venue:
//! - no return value (USDT-like, 6 decimals): selling and buying it fill exactly as quoted (the
//!   Broker and the Reserve move it without expecting a `bool`);
//! - fee on transfer: selling fills as quoted (the Broker mints for what it asked, the Reserve
//!   gets 1 % less); buying fills with what arrived, 1 % short of the Broker's `Swap` log;
//! - reverting: it quotes (nothing moves in a quote); a sale fails on the approval with the
//!   token's own reason, a purchase fails on chain with the reason the Reserve's `SafeERC20`
//!   gives (it replaces the token's).

use std::time::Duration;

use crate::anvil_support::trades;
use crate::mento_support::{TestResult, mento, venue};

use alloy::primitives::{Address, B256, U256};
use alloy::sol;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::core::{
    ClientOrderId, Order, OrderRequest, OrderState, OrderType, QuoteRequest, Side, TimeInForce,
    to_units_exact,
};
use sluice::venue::Venue;
use sluice_sim::deploy::LocalEnv;

sol! {
    interface IOracleAdmin {
        function addOracle(address token, address oracleAddress) external;
        function report(address token, uint256 value, address lesserKey, address greaterKey) external;
    }
    interface IBreakerBoxAdmin {
        function addRateFeed(address rateFeedID) external;
    }
    interface IReserveAdmin {
        function addCollateralAsset(address collateralAsset) external returns (bool);
        function setDailySpendingRatioForCollateralAssets(address[] _collateralAssets,
            uint256[] collateralAssetDailySpendingRatios) external;
    }
    interface IBpmAdmin {
        struct FixidityValue { uint256 value; }
        struct PoolConfig { FixidityValue spread; address referenceRateFeedID; uint256 referenceRateResetFrequency;
            uint256 minimumReports; uint256 stablePoolResetSize; }
        struct PoolExchange { address asset0; address asset1; address pricingModule; uint256 bucket0;
            uint256 bucket1; uint256 lastBucketUpdate; PoolConfig config; }
        function createExchange(PoolExchange _exchange) external returns (bytes32);
    }
    interface IMintable {
        function mint(address to, uint256 value) external;
    }
}

fn e(n: u64, decimals: u8) -> U256 {
    U256::from(n) * U256::from(10u8).pow(U256::from(decimals))
}

/// Makes `token` tradeable against cUSD at 1:1 on a constant-sum exchange (0.05 % spread) and
/// puts 1 M of it in the Reserve.
async fn exchange_for(env: &LocalEnv, token: Address, decimals: u8) -> TestResult<B256> {
    let m = &env.manifest;
    let x = m.mento.as_ref().ok_or("no mento")?;
    let p = env.anvil.provider();
    let owner = m.deployer;
    let one = e(1, 24);
    trades::send(
        &p,
        owner,
        x.sorted_oracles,
        &IOracleAdmin::addOracleCall {
            token,
            oracleAddress: owner,
        },
        U256::ZERO,
    )
    .await?;
    trades::send(
        &p,
        owner,
        x.breaker_box,
        &IBreakerBoxAdmin::addRateFeedCall { rateFeedID: token },
        U256::ZERO,
    )
    .await?;
    trades::send(
        &p,
        owner,
        x.sorted_oracles,
        &IOracleAdmin::reportCall {
            token,
            value: one,
            lesserKey: Address::ZERO,
            greaterKey: Address::ZERO,
        },
        U256::ZERO,
    )
    .await?;
    trades::send(
        &p,
        owner,
        x.reserve,
        &IReserveAdmin::addCollateralAssetCall {
            collateralAsset: token,
        },
        U256::ZERO,
    )
    .await?;
    trades::send(
        &p,
        owner,
        x.reserve,
        &IReserveAdmin::setDailySpendingRatioForCollateralAssetsCall {
            _collateralAssets: vec![token],
            collateralAssetDailySpendingRatios: vec![one],
        },
        U256::ZERO,
    )
    .await?;
    let cusd = m.token_address("cUSD").ok_or("no cUSD")?;
    let create = IBpmAdmin::createExchangeCall {
        _exchange: IBpmAdmin::PoolExchange {
            asset0: cusd,
            asset1: token,
            pricingModule: x.constant_sum_module,
            bucket0: U256::ZERO,
            bucket1: U256::ZERO,
            lastBucketUpdate: U256::ZERO,
            config: IBpmAdmin::PoolConfig {
                spread: IBpmAdmin::FixidityValue { value: e(5, 20) },
                referenceRateFeedID: token,
                referenceRateResetFrequency: U256::from(315_360_000u64),
                minimumReports: U256::from(1u8),
                stablePoolResetSize: e(10_000_000, 18),
            },
        },
    };
    let id = trades::read(&p, owner, x.bi_pool_manager, &create).await?;
    trades::send(&p, owner, x.bi_pool_manager, &create, U256::ZERO).await?;
    trades::send(
        &p,
        owner,
        token,
        &IMintable::mintCall {
            to: x.reserve,
            value: e(1_000_000, decimals),
        },
        U256::ZERO,
    )
    .await?;
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

/// The order once it is final, or once something of it has filled.
async fn settled(v: &dyn Venue, req: &OrderRequest) -> Order {
    for _ in 0..600 {
        let o = v.order_status(req).await.unwrap();
        if o.state.is_terminal() || o.filled > Decimal::ZERO {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {} not settled", req.client_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tokens_through_mento_trade_or_fail_clearly() -> TestResult<()> {
    let env = LocalEnv::start().await?;
    let h = env
        .manifest
        .hostile_tokens
        .clone()
        .ok_or("hostile tokens")?;
    mento(&env)?;
    exchange_for(&env, h.no_bool, 6).await?;
    exchange_for(&env, h.fee_on_transfer, 18).await?;
    exchange_for(&env, h.reverting, 18).await?;
    let v = venue(&env, Some(7)).await?;
    for t in [h.no_bool, h.fee_on_transfer, h.reverting] {
        v.resolve_token(&t.to_string()).await?;
    }
    let quote = |pair: &'static str, side: Side, amount: Decimal| {
        let v = &v;
        async move {
            v.quote(&QuoteRequest {
                pair: pair.parse()?,
                side,
                base_amount: amount,
            })
            .await
        }
    };

    // No return value: selling pulls it with SafeERC20 and fills the quote exactly.
    let q = quote("NBT-cUSD", Side::Sell, dec!(1500)).await?;
    let sell = order(
        "mento-nbt-sell",
        "NBT-cUSD",
        Side::Sell,
        dec!(1500),
        q.average_price * dec!(0.995),
    );
    v.submit(sell.clone()).await?;
    let o = settled(&v, &sell).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled_quote, q.quote_amount);
    // Buying it: the Reserve pays it out (its transfer copes with no return value), and what
    // was paid is the quote to the wei.
    v.refresh().await?;
    let q = quote("NBT-cUSD", Side::Buy, dec!(100)).await?;
    let buy = order(
        "mento-nbt-buy",
        "NBT-cUSD",
        Side::Buy,
        dec!(100),
        q.average_price * dec!(1.005),
    );
    v.submit(buy.clone()).await?;
    let o = settled(&v, &buy).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled, dec!(100));
    let paid = v
        .executor()
        .ok_or("executor")?
        .receipts()
        .last()
        .ok_or("no receipt")?
        .amount_in;
    assert_eq!(paid, to_units_exact(q.quote_amount, 18)?);

    // Fee on transfer, sold: the trader's 100 FOT leave in full, the quote is paid.
    v.refresh().await?;
    let q = quote("FOT-cUSD", Side::Sell, dec!(100)).await?;
    let sell = order(
        "mento-fot-sell",
        "FOT-cUSD",
        Side::Sell,
        dec!(100),
        q.average_price * dec!(0.995),
    );
    v.submit(sell.clone()).await?;
    let o = settled(&v, &sell).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled_quote, q.quote_amount);
    // Bought: the Reserve sends 10, 9.9 arrive; the fill says what arrived.
    v.refresh().await?;
    let q = quote("FOT-cUSD", Side::Buy, dec!(10)).await?;
    let buy = order(
        "mento-fot-buy",
        "FOT-cUSD",
        Side::Buy,
        dec!(10),
        q.average_price * dec!(1.005),
    );
    v.submit(buy.clone()).await?;
    let o = settled(&v, &buy).await;
    assert_eq!(o.filled, dec!(9.9), "{o:?}");
    assert_eq!(o.state, OrderState::PartiallyFilled, "{o:?}");
    assert!(
        v.executor()
            .ok_or("executor")?
            .receipts()
            .iter()
            .all(|r| r.success)
    );

    // Reverting: a quote needs no transfer; a sale stops at the approval (the token's reason),
    // a purchase at the Reserve's transfer.
    v.refresh().await?;
    let q = quote("REV-cUSD", Side::Sell, dec!(5)).await?;
    assert!(q.quote_amount > Decimal::ZERO);
    let sell = order(
        "mento-rev-sell",
        "REV-cUSD",
        Side::Sell,
        dec!(5),
        q.average_price * dec!(0.99),
    );
    let failed = match v.submit(sell.clone()).await {
        Err(e) => e.to_string(),
        Ok(_) => format!("{:?}", settled(&v, &sell).await),
    };
    assert!(
        failed.contains("RevertingToken: approvals are disabled"),
        "{failed}"
    );
    let q = quote("REV-cUSD", Side::Buy, dec!(5)).await?;
    let buy = order(
        "mento-rev-buy",
        "REV-cUSD",
        Side::Buy,
        dec!(5),
        q.average_price * dec!(1.01),
    );
    let failed = match v.submit(buy.clone()).await {
        Err(e) => e.to_string(),
        Ok(_) => {
            let o = settled(&v, &buy).await;
            assert_eq!(o.state, OrderState::Failed, "{o:?}");
            format!("{o:?}")
        }
    };
    // The Reserve pays out through OpenZeppelin 2.x `SafeERC20`, which replaces the token's
    // reason with its own: the order fails with that, the chain's exact words.
    assert!(
        failed.contains("swap reverted") && failed.contains("SafeERC20: low-level call failed"),
        "{failed}"
    );
    Ok(())
}
