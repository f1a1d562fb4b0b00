//! Native ETH legs on the local anvil, through both connectors: `ETH-USDC` and `USDC-ETH` bought
//! and sold (exact input and exact output, ETH in and ETH out). Each swap fills with the amounts of
//! its receipt (equal to the local quote), the account's native balance moves by exactly the ETH
//! paid or received plus the gas of every transaction the order sent, its WETH balance does not
//! move, no approval is made for an ETH input, and the router keeps no ETH or WETH. The CLI quotes
//! and swaps `ETH-USDC` the same way.

use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::swap::SwapExecutor;
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v2::connector::{UniswapV2Venue, V2Contracts};
use sluice::amm::uniswap_v3::connector::{UniswapV3Venue, V3Contracts};
use sluice::chain::evm::ApprovalPolicy;
use sluice::core::{
    Asset, ClientOrderId, Order, OrderRequest, OrderState, OrderType, Quote, QuoteRequest, Side,
    TimeInForce, to_units_exact,
};
use sluice::venue::Venue;
use sluice_sim::anvil::{DEV_MNEMONIC, dev_addresses};
use sluice_sim::deploy::LocalEnv;

use crate::cli_support::{Cli, strings};
use crate::uniswap_support::{IErc20, dev_tracker, final_order, read};

fn book(env: &LocalEnv) -> TokenBook {
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(&env.manifest);
    book
}

async fn v2_venue(env: &LocalEnv, account: usize) -> UniswapV2Venue {
    UniswapV2Venue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        V2Contracts::from(&env.manifest),
        book(env),
    )
    .await
    .unwrap()
    .with_executor(dev_tracker(env, account).await, ApprovalPolicy::Exact)
}

async fn v3_venue(env: &LocalEnv, account: usize) -> UniswapV3Venue {
    UniswapV3Venue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        V3Contracts::from(&env.manifest),
        book(env),
    )
    .await
    .unwrap()
    .with_executor(dev_tracker(env, account).await, ApprovalPolicy::Exact)
}

/// The gas paid for transactions, in wei, from their receipts.
async fn gas_paid(p: &DynProvider, hashes: &[B256]) -> U256 {
    let mut total = U256::ZERO;
    for h in hashes {
        let r = p.get_transaction_receipt(*h).await.unwrap().unwrap();
        total += U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    }
    total
}

async fn erc20_balance(p: &DynProvider, token: Address, owner: Address) -> U256 {
    read(p, token, &IErc20::balanceOfCall { owner })
        .await
        .unwrap()
}

struct Case {
    pair: &'static str,
    side: Side,
    amount: Decimal,
    /// ETH flows into the account (else out of it).
    eth_out: bool,
}

const CASES: [Case; 4] = [
    // Sell ETH: ETH in, exact input (value = amount).
    Case {
        pair: "ETH-USDC",
        side: Side::Sell,
        amount: dec!(1),
        eth_out: false,
    },
    // Buy ETH: ETH out, exact output (unwrapped by the router).
    Case {
        pair: "ETH-USDC",
        side: Side::Buy,
        amount: dec!(0.5),
        eth_out: true,
    },
    // Sell USDC for ETH: ETH out, exact input.
    Case {
        pair: "USDC-ETH",
        side: Side::Sell,
        amount: dec!(1000),
        eth_out: true,
    },
    // Buy USDC with ETH: ETH in, exact output (the excess of the value refunded).
    Case {
        pair: "USDC-ETH",
        side: Side::Buy,
        amount: dec!(1500),
        eth_out: false,
    },
];

/// Runs every case on one venue and checks the balances to the wei.
async fn run_cases(
    env: &LocalEnv,
    v: &dyn Venue,
    ex: &Arc<SwapExecutor>,
    router: Address,
    refresh: impl AsyncFn(),
) {
    let p = env.anvil.read_provider();
    let me = ex.account();
    let weth = env.manifest.tokens["WETH"].address;
    let usdc = env.manifest.tokens["USDC"].address;
    for (i, c) in CASES.iter().enumerate() {
        refresh().await;
        let q = v
            .quote(&QuoteRequest {
                pair: c.pair.parse().unwrap(),
                side: c.side,
                base_amount: c.amount,
            })
            .await
            .unwrap();
        let bound = match c.side {
            Side::Sell => q.average_price * dec!(0.99),
            Side::Buy => q.average_price * dec!(1.01),
        };
        let req = OrderRequest {
            client_id: ClientOrderId::new(&format!("native-{i}")).unwrap(),
            pair: c.pair.parse().unwrap(),
            side: c.side,
            order_type: OrderType::Swap,
            amount: c.amount,
            price: Some(bound),
            time_in_force: TimeInForce::Fok,
            deadline: Some(u64::MAX / 4),
        };
        let approvals_before = ex.approvals().len();
        let eth_before = p.get_balance(me).await.unwrap();
        let weth_before = erc20_balance(&p, weth, me).await;
        let usdc_before = erc20_balance(&p, usdc, me).await;
        v.submit(req.clone()).await.unwrap();
        let o = final_order(v, &req).await;
        assert_eq!(
            o.state,
            OrderState::Filled,
            "{} {:?}: {o:?}",
            c.pair,
            c.side
        );
        assert_eq!(o.filled, c.amount);
        let r = ex
            .receipts()
            .into_iter()
            .find(|r| r.client_id == req.client_id)
            .unwrap();
        let new_approvals = &ex.approvals()[approvals_before..];
        let mut hashes = vec![r.tx_hash];
        hashes.extend(new_approvals.iter().flat_map(|a| a.tx_hashes.clone()));
        let gas = gas_paid(&p, &hashes).await;
        let eth_after = p.get_balance(me).await.unwrap();
        let usdc_after = erc20_balance(&p, usdc, me).await;
        // The receipt's amounts are the local quote's, in raw units.

        let (eth_moved, usdc_moved) = match (c.pair, c.side) {
            ("ETH-USDC", Side::Sell) => (r.amount_in, r.amount_out),
            ("ETH-USDC", Side::Buy) => (r.amount_out, r.amount_in),
            ("USDC-ETH", Side::Sell) => (r.amount_out, r.amount_in),
            _ => (r.amount_in, r.amount_out),
        };
        if c.pair == "ETH-USDC" {
            assert_eq!(eth_moved, to_units_exact(c.amount, 18).unwrap());
            assert_eq!(
                usdc_moved,
                to_units_exact(q.quote_amount, 6).unwrap(),
                "{} {:?}",
                c.pair,
                c.side
            );
        } else {
            assert_eq!(usdc_moved, to_units_exact(c.amount, 6).unwrap());
            assert_eq!(
                eth_moved,
                to_units_exact(q.quote_amount, 18).unwrap(),
                "{} {:?}",
                c.pair,
                c.side
            );
        }
        if c.eth_out {
            assert_eq!(
                eth_after,
                eth_before + eth_moved - gas,
                "{} {:?}: ETH received minus gas",
                c.pair,
                c.side
            );
            assert_eq!(usdc_after, usdc_before - usdc_moved);
        } else {
            assert!(new_approvals.is_empty(), "no approval for an ETH input");
            assert_eq!(
                eth_after,
                eth_before - eth_moved - gas,
                "{} {:?}: ETH paid plus gas",
                c.pair,
                c.side
            );
            assert_eq!(usdc_after, usdc_before + usdc_moved);
        }
        assert_eq!(
            erc20_balance(&p, weth, me).await,
            weth_before,
            "WETH untouched"
        );
        assert_eq!(p.get_balance(router).await.unwrap(), U256::ZERO);
        assert_eq!(erc20_balance(&p, weth, router).await, U256::ZERO);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_eth_in_and_out_move_the_native_balance_exactly() {
    let env = LocalEnv::start().await.unwrap();
    let v = v2_venue(&env, 8).await;
    assert_eq!(v.executor().unwrap().account(), dev_addresses()[8]);
    let ex = Arc::clone(v.executor().unwrap());
    run_cases(
        &env,
        &v,
        &ex,
        env.manifest.uniswap_v2.router02,
        async || {
            v.refresh().await.unwrap();
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_eth_in_and_out_move_the_native_balance_exactly() {
    let env = LocalEnv::start().await.unwrap();
    let v = v3_venue(&env, 9).await;
    let ex = Arc::clone(v.executor().unwrap());
    run_cases(
        &env,
        &v,
        &ex,
        env.manifest.uniswap_v3.swap_router,
        async || {
            v.refresh().await.unwrap();
        },
    )
    .await;
}

const CLI: Cli = Cli {
    password: "native eth test password",
    wait: Duration::from_secs(300),
};

fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_quotes_and_swaps_native_eth() {
    let env = LocalEnv::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let url = env.anvil.url().to_string();
    let imported = CLI
        .output(
            home.path(),
            strings(&["wallet", "import", "--name", "dev", "--mnemonic-stdin"]),
            Some(DEV_MNEMONIC),
        )
        .await;
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let venue_args =
        |venue: &str| strings(&["--venue", venue, "--chain", "anvil", "--rpc-url", &url]);
    // The quote of ETH-USDC is the one of its wrapped token, under the native symbol.
    let lib = v3_venue(&env, 3)
        .await
        .quote(&QuoteRequest {
            pair: "WETH-USDC".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(1),
        })
        .await
        .unwrap();
    let mut quote_args = strings(&["quote"]);
    quote_args.extend(venue_args("uniswap_v3"));
    quote_args.extend(strings(&["ETH-USDC", "sell", "1", "--json"]));
    let q: Quote =
        serde_json::from_value(json_of(&CLI.output(home.path(), quote_args, None).await)).unwrap();
    assert_eq!(q.pair.to_string(), "ETH-USDC");
    assert_eq!(q.quote_amount, lib.quote_amount);
    assert_eq!(q.average_price, lib.average_price);

    // Swaps by account 3 of the dev mnemonic: sell 1 ETH on v3, buy 0.25 ETH on v2.
    let p = env.anvil.read_provider();
    let me = dev_addresses()[3];
    for (venue, side, amount, eth_out) in [
        ("uniswap_v3", "sell", "1", false),
        ("uniswap_v2", "buy", "0.25", true),
    ] {
        let before = p.get_balance(me).await.unwrap();
        let weth_before = erc20_balance(&p, env.manifest.tokens["WETH"].address, me).await;
        let mut swap_args = strings(&["swap"]);
        swap_args.extend(venue_args(venue));
        swap_args.extend(strings(&[
            "--wallet",
            "dev",
            "--account",
            "3",
            "ETH-USDC",
            side,
            amount,
            "--slippage",
            "1",
            "--json",
        ]));
        let report = json_of(&CLI.output(home.path(), swap_args, None).await);
        let order: Order = serde_json::from_value(report["order"].clone()).unwrap();
        assert_eq!(order.state, OrderState::Filled, "{report}");
        assert_eq!(order.request.pair.to_string(), "ETH-USDC");
        let receipt = &report["receipt"];
        let hash: B256 = receipt["tx_hash"].as_str().unwrap().parse().unwrap();
        let mut hashes = vec![hash];
        for a in report["approvals"].as_array().unwrap() {
            for h in a["tx_hashes"].as_array().unwrap() {
                hashes.push(h.as_str().unwrap().parse().unwrap());
            }
        }
        let gas = gas_paid(&p, &hashes).await;
        let eth: U256 = to_units_exact(amount.parse().unwrap(), 18).unwrap();
        let after = p.get_balance(me).await.unwrap();
        if eth_out {
            assert_eq!(after, before + eth - gas, "{venue} {side}");
            let received: U256 = receipt["amount_out"].as_str().unwrap().parse().unwrap();
            assert_eq!(received, eth);
        } else {
            assert!(report["approvals"].as_array().unwrap().is_empty());
            assert_eq!(after, before - eth - gas, "{venue} {side}");
            let paid: U256 = receipt["amount_in"].as_str().unwrap().parse().unwrap();
            assert_eq!(paid, eth);
        }
        assert_eq!(
            erc20_balance(&p, env.manifest.tokens["WETH"].address, me).await,
            weth_before
        );
    }
}
