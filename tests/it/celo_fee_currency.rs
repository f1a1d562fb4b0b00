//! Celo fee-currency transactions through the tracker, against an anvil with Celo's chain id
//! behind a loopback JSON-RPC proxy. Anvil cannot decode type 0x7b nor answer Celo's RPC
//! extensions, so the proxy plays the node's Celo part (documented in Celo's fee-abstraction
//! specification) and forwards everything else to anvil:
//!
//! - `eth_gasPrice` / `eth_maxPriorityFeePerGas` with a `feeCurrency` parameter: fixed prices;
//! - `eth_estimateGas` with a `feeCurrency` field: anvil's estimate plus the intrinsic gas;
//! - `eth_call` to the FeeCurrencyDirectory: the currency's config and exchange rate;
//! - `eth_sendRawTransaction` of a 0x7b transaction: recorded, answered with its hash.
//!
//! What is checked: the tracker's CIP-64 transaction (type, fee currency, gas covering the
//! intrinsic gas, fees in the currency at the policy's headroom, nonce, chain id, signer), and that
//! a tracker refuses a fee currency on a chain whose fee model is not Celo's.

use std::sync::{Arc, Mutex};

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256, address, keccak256};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sluice::chain::ChainSpecs;
use sluice::chain::evm::fee_currency::IFeeCurrencyDirectory;
use sluice::chain::evm::{EvmClient, SignedCip64, TxTracker};
use sluice_sim::anvil::{Anvil, AnvilOptions, dev_signer};

use crate::evm_support::{fast_config, node, within};

const CUSD: Address = address!("765DE816845861e75A25fCA122bb6898B8B1282a");
const DIRECTORY: Address = address!("15F344b9E6c3Cb6F0376A36A64928b13F62C6276");
const GWEI: u128 = 1_000_000_000;
const PRICE: u128 = 30 * GWEI;
const TIP: u128 = 2 * GWEI;
const INTRINSIC: u64 = 50_000;

/// What the proxy saw.
#[derive(Default)]
struct Seen {
    raw: Vec<String>,
    estimates_with_currency: usize,
}

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    seen: Mutex<Seen>,
}

impl Proxy {
    /// The Celo answer to one request, or `None` to forward it.
    fn celo(&self, req: &Value) -> Option<Value> {
        let method = req["method"].as_str()?;
        let params = &req["params"];
        let result = match method {
            "eth_gasPrice" if params.get(0).is_some() => json!(format!("0x{PRICE:x}")),
            "eth_maxPriorityFeePerGas" if params.get(0).is_some() => json!(format!("0x{TIP:x}")),
            "eth_call" if params[0]["to"].as_str()?.parse::<Address>().ok()? == DIRECTORY => {
                let input = params[0]["input"].as_str().or(params[0]["data"].as_str())?;
                let data = alloy::hex::decode(input).ok()?;
                let out = if data[..4] == IFeeCurrencyDirectory::getCurrencyConfigCall::SELECTOR {
                    IFeeCurrencyDirectory::getCurrencyConfigCall::abi_encode_returns(
                        &IFeeCurrencyDirectory::CurrencyConfig {
                            oracle: Address::repeat_byte(0x0e),
                            intrinsicGas: U256::from(INTRINSIC),
                        },
                    )
                } else {
                    IFeeCurrencyDirectory::getExchangeRateCall::abi_encode_returns(
                        &IFeeCurrencyDirectory::getExchangeRateReturn {
                            numerator: U256::from(2),
                            denominator: U256::from(1),
                        },
                    )
                };
                json!(format!("0x{}", alloy::hex::encode(out)))
            }
            "eth_sendRawTransaction" if params[0].as_str()?.starts_with("0x7b") => {
                let raw = params[0].as_str()?.to_string();
                let hash = keccak256(alloy::hex::decode(&raw).ok()?);
                self.seen.lock().ok()?.raw.push(raw);
                json!(hash.to_string())
            }
            _ => return None,
        };
        Some(json!({"jsonrpc": "2.0", "id": req["id"], "result": result}))
    }

    /// One request: answered here, or forwarded (an estimate with `feeCurrency` without it, and
    /// the intrinsic gas added to anvil's answer).
    async fn one(&self, mut req: Value) -> Value {
        if let Some(answer) = self.celo(&req) {
            return answer;
        }
        let with_currency = req["method"] == "eth_estimateGas"
            && req["params"][0]
                .as_object_mut()
                .and_then(|o| o.remove("feeCurrency"))
                .is_some();
        let mut answer: Value = self
            .http
            .post(&self.upstream)
            .json(&req)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if with_currency {
            self.seen.lock().unwrap().estimates_with_currency += 1;
            let gas = u64::from_str_radix(
                answer["result"].as_str().unwrap().trim_start_matches("0x"),
                16,
            )
            .unwrap();
            answer["result"] = json!(format!("0x{:x}", gas + INTRINSIC));
        }
        answer
    }

    async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, hyper::Error> {
        let body: Value =
            serde_json::from_slice(&req.into_body().collect().await?.to_bytes()).unwrap();
        let answer = match body {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.push(self.one(item).await);
                }
                Value::Array(out)
            }
            single => self.one(single).await,
        };
        Ok(Response::builder()
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(answer.to_string())))
            .unwrap())
    }
}

async fn proxy(anvil: &Anvil) -> (Arc<Proxy>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let p = Arc::new(Proxy {
        upstream: anvil.url().to_string(),
        http: reqwest::Client::new(),
        seen: Mutex::new(Seen::default()),
    });
    let served = Arc::clone(&p);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let p = Arc::clone(&served);
            tokio::spawn(async move {
                let service = service_fn(move |req| Arc::clone(&p).handle(req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (p, url)
}

#[tokio::test]
async fn celo_tracker_sends_cip64_priced_in_the_fee_currency() {
    let anvil = Anvil::spawn(AnvilOptions {
        chain_id: Some(42220),
        timestamp: Some(1_650_000_000),
        ..AnvilOptions::default()
    })
    .await
    .unwrap();
    let (proxy, url) = proxy(&anvil).await;
    let celo = ChainSpecs::builtin().unwrap().get("celo").unwrap().clone();
    let client = within("connect", EvmClient::connect(&celo, &url))
        .await
        .unwrap();
    let info = within("directory", client.fee_currency_info(CUSD))
        .await
        .unwrap();
    assert_eq!(info.intrinsic_gas, INTRINSIC);
    assert_eq!(info.rate, (U256::from(2), U256::from(1)));

    let signer = dev_signer(3).unwrap().clone();
    let from = signer.address();
    let tracker = TxTracker::new(client.clone(), EthereumWallet::from(signer), fast_config())
        .with_fee_currency(info)
        .unwrap();
    let to = Address::repeat_byte(0x42);
    let tracked = within(
        "send",
        tracker.send(TransactionRequest::default().to(to).value(U256::from(7))),
    )
    .await
    .unwrap();

    let raw = proxy
        .seen
        .lock()
        .unwrap()
        .raw
        .first()
        .cloned()
        .expect("no 0x7b broadcast");
    assert_eq!(proxy.seen.lock().unwrap().estimates_with_currency, 1);
    let signed = SignedCip64::decode(&alloy::hex::decode(&raw).unwrap()).unwrap();
    assert_eq!(signed.hash, tracked.hash());
    assert_eq!(signed.recover_signer().unwrap(), from);
    let tx = &signed.tx;
    assert_eq!(tx.chain_id, 42220);
    assert_eq!(tx.fee_currency, CUSD);
    assert_eq!(tx.nonce, tracked.nonce());
    assert_eq!(tx.to.to(), Some(&to));
    assert_eq!(tx.value, U256::from(7));
    // 21,000 + 50,000 intrinsic, plus the default 20 % margin.
    assert_eq!(tx.gas_limit, 85_200);
    // Price 30 = base 28 + tip 2 (in cUSD units); max fee = 2 x base + tip (default headroom).
    assert_eq!(tx.max_priority_fee_per_gas, TIP);
    assert_eq!(tx.max_fee_per_gas, 58 * GWEI);
    drop(tracker);
}

#[tokio::test]
async fn fee_currency_refused_off_celo() {
    let anvil = node().await;
    let spec = ChainSpecs::builtin().unwrap().get("anvil").unwrap().clone();
    let client = EvmClient::connect(&spec, anvil.url().as_str())
        .await
        .unwrap();
    let info = sluice::chain::evm::FeeCurrencyInfo {
        token: CUSD,
        intrinsic_gas: INTRINSIC,
        rate: (U256::from(1), U256::from(1)),
    };
    let tracker = TxTracker::new(
        client.clone(),
        EthereumWallet::from(dev_signer(1).unwrap().clone()),
        fast_config(),
    );
    let e = tracker.with_fee_currency(info).unwrap_err();
    assert!(e.to_string().contains("Celo"), "{e}");
    let e = client.fee_currency_info(CUSD).await.unwrap_err();
    assert!(e.to_string().contains("fee model"), "{e}");
}
