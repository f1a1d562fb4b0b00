//! `sluice cosmos up --chain terra --port 0 --json`: one JSON line naming the LCD, chain id,
//! contracts and funded dev accounts; the node serves the seeded pools (a pool query, and
//! `sluice quote --venue terra_swap@terra_local` through the registry equal to the pair's own
//! `simulation`, and `sluice swap` filled) until Ctrl-C, then the process exits cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::Value;
use sluice::amm::terra_swap::client::PairClient;
use sluice::amm::terra_swap::msg::{Asset, AssetInfo};
use sluice::chain::cosmos::lcd::{LcdClient, LcdConfig};
use sluice::wallet::{Mnemonic, ScryptParams, SecretString, UnlockedWallet, WalletStore};
use sluice_sim::cosmos::terra::DEV_MNEMONIC;

struct StopOnDrop(Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            if let Ok(pid) = i32::try_from(self.0.id()) {
                // SAFETY: signals our own child process.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
            let _ = self.0.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_up_prints_its_line_serves_the_pools_and_stops_on_ctrl_c() {
    let home = tempfile::tempdir().unwrap();
    let mut child = StopOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["cosmos", "up", "--chain", "terra", "--port", "0", "--json"])
            .env("SLUICE_HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let line = lines.next().expect("no JSON line").unwrap();
    let doc: Value = serde_json::from_str(&line).unwrap();
    let lcd_url = doc["lcd_url"].as_str().unwrap().to_string();
    assert!(lcd_url.starts_with("http://127.0.0.1:"), "{lcd_url}");
    assert_eq!(doc["chain_id"], "localterra");
    let pair_addr = doc["contracts"]["pair_LUNA_axlUSDC"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(doc["contracts"]["terraswap_factory"].is_string());
    let accounts = doc["accounts"].as_array().unwrap();
    assert!(accounts.len() >= 2);
    assert!(
        accounts[0]["address"]
            .as_str()
            .unwrap()
            .starts_with("terra1")
    );

    let lcd = LcdClient::connect(&lcd_url, "localterra", LcdConfig::default())
        .await
        .unwrap();
    // the funded account, as the node's bank sees it
    let bank = lcd
        .balances(accounts[0]["address"].as_str().unwrap())
        .await
        .unwrap();
    assert!(bank.iter().any(|c| c.denom == "uluna" && c.amount > 0));
    let client = PairClient::new(lcd);
    let pool = client.pool(&pair_addr).await.unwrap();
    assert!(pool.assets.iter().all(|a| a.amount > 0));
    // the Astroport pairs (the published astroport-pair contract) are seeded and listed too
    let astro = doc["contracts"]["astroport_pair_LUNA_axlUSDC"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(doc["contracts"]["astroport_pair_TST_LUNA"].is_string());
    let listed = client
        .find_pair(
            doc["contracts"]["astroport_factory"].as_str().unwrap(),
            &[AssetInfo::native("uluna"), pool.assets[1].info.clone()],
        )
        .await
        .unwrap();
    assert_eq!(listed.contract_addr, astro);
    assert_eq!(
        listed.pair_type,
        Some(sluice::amm::terra_swap::msg::PairType::Xyk {})
    );
    assert!(
        client
            .pool(&astro)
            .await
            .unwrap()
            .assets
            .iter()
            .all(|a| a.amount > 0)
    );
    let sim = client
        .simulation(
            &pair_addr,
            &Asset {
                info: AssetInfo::native("uluna"),
                amount: 10_000_000,
            },
        )
        .await
        .unwrap();

    // `sluice quote` through the registry, on this node
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "quote",
            "--venue",
            "terra_swap@terra_local",
            "--rpc-url",
            &lcd_url,
        ])
        .args(["LUNA-axlUSDC", "sell", "10", "--json"])
        .env("SLUICE_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let q: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Decimal = q["quote_amount"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        got,
        Decimal::from(sim.return_amount) / Decimal::from(1_000_000)
    );

    // `sluice swap` through the registry, signed by the dev mnemonic's account 1
    WalletStore::with_params(home.path(), ScryptParams::new(10, 8, 1).unwrap())
        .save(
            &UnlockedWallet::Mnemonic {
                name: "dev".into(),
                mnemonic: Mnemonic::parse(DEV_MNEMONIC).unwrap(),
                passphrase: SecretString::from(""),
            },
            &SecretString::from("cosmos up test password"),
        )
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "swap",
            "--venue",
            "terra_swap@terra_local",
            "--rpc-url",
            &lcd_url,
        ])
        .args([
            "--wallet",
            "dev",
            "--account",
            "1",
            "LUNA-axlUSDC",
            "sell",
            "10",
        ])
        .args(["--slippage", "1", "--json"])
        .env("SLUICE_HOME", home.path())
        .env("SLUICE_PASSWORD", "cosmos up test password")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["order"]["state"], "filled", "{r}");
    assert_eq!(
        r["quote"]["quote_amount"], q["quote_amount"],
        "the swap's quote is the quote's"
    );

    let pid = i32::try_from(child.0.id()).unwrap();
    // SAFETY: sends a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
