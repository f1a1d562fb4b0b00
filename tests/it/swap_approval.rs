//! `sluice swap` on a local anvil: the router is approved for exactly what the swap needs unless
//! `--approve unlimited` is given, and the output says which was done. The old `--exact-approval`
//! flag still works (it names the default).

use std::process::Output;
use std::time::Duration;

use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::providers::Provider;
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{Erc20, EvmClient};
use sluice_sim::anvil::{DEV_MNEMONIC, dev_addresses};
use sluice_sim::deploy::{Deployer, LocalEnv, tokens};

use crate::cli_support::Cli;

const CLI: Cli = Cli {
    password: "swap approval test password",
    wait: Duration::from_secs(300),
};
const ACCOUNT: usize = 5;

fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The `value` of the ERC-20 `Approval` log in the receipt of `tx`.
async fn approved_value(env: &LocalEnv, tx: B256) -> U256 {
    let topic = keccak256("Approval(address,address,uint256)");
    let receipt = env
        .anvil
        .read_provider()
        .get_transaction_receipt(tx)
        .await
        .unwrap()
        .expect("the approval was mined");
    let log = receipt
        .inner
        .logs()
        .iter()
        .find(|l| l.topics().first() == Some(&topic))
        .expect("an Approval log");
    U256::from_be_slice(&log.data().data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_approves_exactly_the_amount_by_default() {
    let env = LocalEnv::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let imported = CLI
        .output(
            home.path(),
            ["wallet", "import", "--name", "dev", "--mnemonic-stdin"]
                .map(String::from)
                .to_vec(),
            Some(DEV_MNEMONIC),
        )
        .await;
    assert!(imported.status.success(), "{}", text(&imported));

    // Account 5 holds 2 WETH and has never approved the router.
    let me: Address = dev_addresses()[ACCOUNT];
    let weth = env.manifest.token_address("WETH").unwrap();
    let router = env.manifest.uniswap_v3.swap_router;
    let d = Deployer::new(env.anvil.provider(), me);
    tokens::wrap(&d, weth, tokens::units(2, 18)).await.unwrap();
    let specs = ChainSpecs::builtin().unwrap();
    let client = EvmClient::connect(specs.get("anvil").unwrap(), env.anvil.url().as_str())
        .await
        .unwrap();
    let token = Erc20::new(client, weth);
    assert_eq!(token.allowance(me, router).await.unwrap(), U256::ZERO);

    let url = env.anvil.url().to_string();
    let swap = |amount: &str, extra: &[&str]| {
        let mut a: Vec<String> = [
            "swap",
            "--venue",
            "uniswap_v3",
            "--chain",
            "anvil",
            "--rpc-url",
            &url,
            "--wallet",
            "dev",
            "--account",
            "5",
            "WETH-USDC",
            "sell",
            amount,
            "--slippage",
            "1",
        ]
        .map(String::from)
        .to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };

    // By default: exactly the amount sold, said so, and nothing left approved once it is spent.
    let out = CLI
        .output(home.path(), swap("0.5", &["--json"]), None)
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["approval_policy"], "exact", "{r}");
    let approvals = r["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1, "{r}");
    let tx: B256 = approvals[0]["tx_hashes"][0]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(approved_value(&env, tx).await, tokens::units(5, 17));
    assert_eq!(token.allowance(me, router).await.unwrap(), U256::ZERO);

    // The table says which approval was done.
    let out = CLI.output(home.path(), swap("0.25", &[]), None).await;
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("exact: the amount this swap needs"),
        "{table}"
    );
    assert_eq!(token.allowance(me, router).await.unwrap(), U256::ZERO);

    // The old flag still works, and names the default.
    let out = CLI
        .output(
            home.path(),
            swap("0.25", &["--exact-approval", "--json"]),
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["approval_policy"], "exact", "{r}");
    // ... but not together with an unlimited approval.
    let out = CLI
        .output(
            home.path(),
            swap("0.25", &["--exact-approval", "--approve", "unlimited"]),
            None,
        )
        .await;
    assert!(!out.status.success(), "{}", text(&out));

    // Opted in: unlimited, said so.
    let out = CLI
        .output(
            home.path(),
            swap("0.25", &["--approve", "unlimited", "--json"]),
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["approval_policy"], "unlimited", "{r}");
    assert_eq!(token.allowance(me, router).await.unwrap(), U256::MAX);
}
