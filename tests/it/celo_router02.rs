//! Swaps through SwapRouter02, the only v3 router on Celo, on a local anvil: the official
//! `@uniswap/swap-router-contracts@1.3.1` bytecode (packed by `scripts/setup.sh` into
//! `.sluice-cache/artifacts/`, or the file named by `SLUICE_ROUTER02_ARTIFACT`) deployed beside the
//! test deployment's v2/v3 contracts, and a v3 venue that lists only it. A buy (exact output) and
//! a sell (exact input) fill at exactly the local quote, and an order whose deadline has passed
//! fails: the deadline travels in `multicall(uint256 deadline, bytes[])`.

use crate::uniswap_support;

use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::sol_types::SolValue;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::uniswap_v3::connector::{UniswapV3Venue, V3Contracts};
use sluice::amm::uniswap_v3::router::V3Router;
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{ApprovalPolicy, EvmClient, TrackerConfig, TxTracker};
use sluice::core::{
    Asset, ClientOrderId, Order, OrderRequest, OrderState, OrderType, QuoteRequest, Side,
    TimeInForce,
};
use sluice::venue::Venue;
use sluice_sim::anvil::dev_signer;
use sluice_sim::deploy::{Artifact, Deployer};
use uniswap_support::*;

const ARTIFACT: &str = ".sluice-cache/artifacts/uniswap-swap-router-contracts-1.3.1/artifacts/contracts/SwapRouter02.sol/SwapRouter02.json";

async fn router02_venue(e: &Env) -> UniswapV3Venue {
    let m = e.manifest();
    let path = std::env::var("SLUICE_ROUTER02_ARTIFACT").unwrap_or_else(|_| ARTIFACT.into());
    let artifact = Artifact::load(&path)
        .unwrap_or_else(|err| panic!("{err}: run scripts/setup.sh (it packs SwapRouter02)"));
    let args = (
        m.uniswap_v2.factory,
        m.uniswap_v3.factory,
        m.uniswap_v3.position_manager,
        e.weth,
    )
        .abi_encode_params();
    let router02 = Deployer::new(e.provider.clone(), m.deployer)
        .deploy("SwapRouter02", &artifact, &args)
        .await
        .unwrap();
    let contracts = V3Contracts {
        swap_router: None,
        swap_router02: Some(router02),
        ..V3Contracts::from(m)
    };
    assert_eq!(
        V3Router::choose(contracts.swap_router, contracts.swap_router02),
        Some(V3Router::SwapRouter02(router02))
    );
    let mut book = sluice::amm::tokens::TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(m);
    let specs = ChainSpecs::builtin().unwrap();
    let client = EvmClient::connect(specs.get("anvil").unwrap(), e.env.anvil.url().as_str())
        .await
        .unwrap();
    let wallet = EthereumWallet::from(dev_signer(5).unwrap().clone());
    let tracker = TxTracker::new(client.clone(), wallet, TrackerConfig::for_client(&client));
    UniswapV3Venue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        e.env.anvil.read_provider(),
        contracts,
        book,
    )
    .await
    .unwrap()
    .with_executor(tracker, ApprovalPolicy::Unlimited)
}

fn order(id: &str, side: Side, amount: Decimal, price: Decimal, deadline: u64) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        pair: "WETH-USDC".parse().unwrap(),
        side,
        order_type: OrderType::Swap,
        amount,
        price: Some(price),
        time_in_force: TimeInForce::Fok,
        deadline: Some(deadline),
    }
}

async fn wait_final(v: &dyn Venue, req: &OrderRequest) -> Order {
    for _ in 0..200 {
        let o = v.order_status(req).await.unwrap();
        if o.state.is_terminal() {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {} not final", req.client_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn celo_router02_swaps_fill_at_the_quote_and_honour_the_deadline() {
    let e = start(6, 33).await.unwrap();
    let v = router02_venue(&e).await;
    let later = u64::MAX / 4;
    for (id, side, size, slack) in [
        ("buy-r02", Side::Buy, dec!(2), dec!(1.01)),
        ("sell-r02", Side::Sell, dec!(1), dec!(0.99)),
    ] {
        v.refresh().await.unwrap();
        let q = v
            .quote(&QuoteRequest {
                pair: "WETH-USDC".parse().unwrap(),
                side,
                base_amount: size,
            })
            .await
            .unwrap();
        let ord = order(id, side, size, q.average_price * slack, later);
        v.submit(ord.clone()).await.unwrap();
        let o = wait_final(&v, &ord).await;
        assert_eq!(o.state, OrderState::Filled, "{o:?}");
        assert_eq!(o.filled, size);
        assert_eq!(
            o.filled_quote, q.quote_amount,
            "{id}: exactly the local quote"
        );
    }
    // A deadline in the past: SwapRouter02's multicall refuses it ("Transaction too old").
    v.refresh().await.unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: "WETH-USDC".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(1),
        })
        .await
        .unwrap();
    let late = order(
        "late-r02",
        Side::Sell,
        dec!(1),
        q.average_price * dec!(0.99),
        1,
    );
    let reason = match v.submit(late.clone()).await {
        Err(e) => e.to_string(),
        Ok(_) => {
            let o = wait_final(&v, &late).await;
            assert_eq!(o.state, OrderState::Failed, "{o:?}");
            o.reason.unwrap_or_default()
        }
    };
    assert!(reason.contains("Transaction too old"), "{reason}");
}
