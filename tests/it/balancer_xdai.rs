//! `balancer@xdai` end to end on anvil under xDai's chain id (100): the venue builds itself
//! through the registry from the `xdai` chain spec (its id checked against the node's) and the
//! deployment manifest, quotes with the gas in xDAI, and a swap through the Vault fills exactly
//! its quote with the gas paid, and reported, in xDAI.

use std::sync::Arc;

use alloy::primitives::U256;
use alloy::providers::Provider;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::chain::ChainSpecs;
use sluice::core::{
    Asset, ClientOrderId, OrderRequest, OrderState, OrderType, Pair, QuoteRequest, Side,
    TimeInForce,
};
use sluice::venue::connector::FixedPassword;
use sluice::venue::{ConnectContext, VenueId};
use sluice::wallet::SecretString;
use sluice_sim::anvil::AnvilOptions;
use sluice_sim::deploy::LocalEnv;

use crate::balancer_connect::funded_trader;

const PASSWORD: &str = "balancer on xdai test password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_on_xdai_quotes_and_swaps_with_gas_in_xdai() {
    let env = LocalEnv::start_with(AnvilOptions {
        chain_id: Some(100),
        ..Default::default()
    })
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let manifest = home.path().join("manifest.json");
    std::fs::write(&manifest, env.manifest.to_json_pretty()).unwrap();

    // A trader from a wallet of the home, with xDAI for gas and USDC from the deployer.
    let address = funded_trader(&env, home.path(), 0x5c, PASSWORD).await;
    let p = env.anvil.provider();

    let table = format!(
        "rpc_url = \"{}\"\nmanifest = \"{}\"\nsync_interval_ms = 50\nwallet = \"trader\"\n",
        env.anvil.url(),
        manifest.display()
    );
    let ctx = ConnectContext::new(
        home.path(),
        ChainSpecs::builtin().unwrap(),
        &home.path().join("arb.toml"),
    )
    .trading(Arc::new(FixedPassword(SecretString::from(PASSWORD))));
    let id: VenueId = "balancer@xdai".parse().unwrap();
    let v = sluice::connectors::connect(&id, &table.parse().unwrap(), &ctx)
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(v.id().to_string(), "balancer@xdai");
    let pair: Pair = "WETH-USDC".parse().unwrap();
    v.start(std::slice::from_ref(&pair)).await.unwrap();
    let xdai = Asset::new("XDAI").unwrap();

    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: dec!(0.05),
        })
        .await
        .unwrap();
    let gas = q.gas.clone().expect("a chain quote has its gas");
    assert_eq!(gas.native_asset, xdai, "{q:?}");
    assert!(gas.native_amount > Decimal::ZERO, "{q:?}");

    let order = OrderRequest {
        client_id: ClientOrderId::generate("bal-xdai-"),
        pair: pair.clone(),
        side: Side::Buy,
        order_type: OrderType::Swap,
        amount: dec!(0.05),
        price: Some(q.average_price * dec!(1.01)),
        time_in_force: TimeInForce::Fok,
        deadline: Some(u64::MAX / 4),
    };
    let xdai_before = p.get_balance(address).await.unwrap();
    v.submit(order.clone()).await.unwrap();
    let filled = crate::uniswap_support::final_order(v.as_ref(), &order).await;
    assert_eq!(filled.state, OrderState::Filled, "{filled:?}");
    assert_eq!(filled.filled, dec!(0.05));
    assert_eq!(
        filled.filled_quote, q.quote_amount,
        "the fill equals the quote"
    );
    let fills = v.order_fills(&order).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].fee_asset, xdai);
    // The gas reported is the xDAI the account paid (approval and swap: the swap's here).
    let paid = xdai_before - p.get_balance(address).await.unwrap();
    let reported =
        sluice::core::to_units(fills[0].fee_amount, 18, sluice::core::Rounding::Down).unwrap();
    assert!(
        reported > U256::ZERO && reported <= paid,
        "{reported} of {paid}"
    );
    v.close().await;
}
