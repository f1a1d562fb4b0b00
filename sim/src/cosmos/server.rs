//! The local node's LCD: the gRPC-gateway paths sluice uses, on 127.0.0.1 (a random port unless
//! given), answers and errors in the gateway's JSON form (`{"code","message","details"}`), and a
//! block timer (none when the block time is zero: blocks are then made by hand). Faults (see [`Faults`](super::Faults)) are applied here and in the chain.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::chain::{ChainConfig, ContractExecutor, LocalChain};
use super::modules::{ModuleExecutor, NoModules};

type Shared = Arc<Mutex<LocalChain>>;

/// A running local node; stopped when dropped.
pub struct LocalNode {
    pub lcd_url: String,
    chain: Shared,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for LocalNode {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl LocalNode {
    /// Starts a node on 127.0.0.1:`port` (0: any free port).
    pub async fn start(
        cfg: ChainConfig,
        contracts: Arc<dyn ContractExecutor>,
        port: u16,
    ) -> std::io::Result<Self> {
        Self::start_with_modules(cfg, contracts, Arc::new(NoModules), port).await
    }

    /// Starts a node whose other messages go to `modules`.
    pub async fn start_with_modules(
        cfg: ChainConfig,
        contracts: Arc<dyn ContractExecutor>,
        modules: Arc<dyn ModuleExecutor>,
        port: u16,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let addr = listener.local_addr()?;
        let block_time = cfg.block_time;
        let chain: Shared = Arc::new(Mutex::new(LocalChain::with_modules(
            cfg, contracts, modules,
        )));
        let mut tasks = vec![];
        if !block_time.is_zero() {
            let c = chain.clone();
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(block_time);
                loop {
                    tick.tick().await;
                    lock(&c).produce_block();
                }
            }));
        }
        let c = chain.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let c = c.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(c.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        tasks.push(server);
        Ok(Self {
            lcd_url: format!("http://{addr}"),
            chain,
            tasks,
        })
    }

    /// The chain state (accounts, balances, faults, the broadcast log).
    pub fn chain(&self) -> MutexGuard<'_, LocalChain> {
        lock(&self.chain)
    }
}

fn lock(c: &Shared) -> MutexGuard<'_, LocalChain> {
    c.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn reply(status: u16, body: &Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn grpc_error(status: u16, code: u32, message: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        &json!({"code": code, "message": message, "details": []}),
    )
}

async fn handle(
    chain: Shared,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    {
        let mut c = lock(&chain);
        if c.faults.error_pages > 0 {
            c.faults.error_pages -= 1;
            let mut r = Response::new(Full::new(Bytes::from_static(
                b"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>",
            )));
            *r.status_mut() = hyper::StatusCode::BAD_GATEWAY;
            return Ok(r);
        }
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(grpc_error(400, 3, "unreadable body")),
    };
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    let resp = match (method, seg.as_slice()) {
        (Method::GET, ["cosmos", "base", "tendermint", "v1beta1", "node_info"]) => {
            let c = lock(&chain);
            reply(
                200,
                &json!({
                    "default_node_info": {"network": c.cfg.chain_id, "moniker": "sluice-local", "version": "0.38.0"},
                    "application_version": {"name": "terra", "app_name": "terrad", "version": "local"},
                }),
            )
        }
        (
            Method::GET,
            [
                "cosmos",
                "base",
                "tendermint",
                "v1beta1",
                "blocks",
                "latest",
            ],
        ) => {
            let c = lock(&chain);
            let time = rfc3339_utc(c.block_time);
            let header =
                json!({"chain_id": c.cfg.chain_id, "height": c.height.to_string(), "time": time});
            reply(
                200,
                &json!({"block": {"header": header}, "sdk_block": {"header": header}}),
            )
        }
        (Method::GET, ["cosmos", "auth", "v1beta1", "accounts", addr]) => {
            let c = lock(&chain);
            match c.account(addr) {
                Some((n, s)) => reply(
                    200,
                    &json!({"account": {
                    "@type": "/cosmos.auth.v1beta1.BaseAccount", "address": addr, "pub_key": null,
                    "account_number": n.to_string(), "sequence": s.to_string()}}),
                ),
                None => grpc_error(404, 5, &format!("account {addr} not found")),
            }
        }
        (Method::GET, ["cosmos", "bank", "v1beta1", "balances", addr]) => {
            let c = lock(&chain);
            let balances: Vec<Value> = c
                .bank
                .get(*addr)
                .into_iter()
                .flatten()
                .filter(|(_, a)| **a > 0)
                .map(|(d, a)| json!({"denom": d, "amount": a.to_string()}))
                .collect();
            reply(
                200,
                &json!({"balances": balances, "pagination": {"next_key": null, "total": balances.len().to_string()}}),
            )
        }
        (Method::GET, ["terra", "treasury", "v1beta1", "tax_rate"]) => {
            let c = lock(&chain);
            match c.cfg.tax_rate {
                Some(r) => reply(200, &json!({"tax_rate": r.to_string()})),
                None => grpc_error(501, 12, "Not Implemented"),
            }
        }
        (Method::GET, ["cosmwasm", "wasm", "v1", "contract", addr, "smart", q]) => {
            let msg = URL_SAFE.decode(q).or_else(|_| B64.decode(q));
            let c = lock(&chain);
            match msg.map(|m| c.query(addr, &m)) {
                Err(_) => grpc_error(400, 3, "query data is not base64"),
                Ok(Err(e)) => grpc_error(500, 2, &e.log),
                Ok(Ok(data)) => match serde_json::from_slice::<Value>(&data) {
                    Ok(v) => reply(200, &json!({"data": v})),
                    Err(_) => grpc_error(500, 2, "contract answered non-JSON"),
                },
            }
        }
        (Method::POST, ["cosmos", "tx", "v1beta1", "simulate"]) => match tx_bytes_of(&body) {
            None => grpc_error(400, 3, "invalid tx_bytes"),
            Some(tx) => match lock(&chain).simulate(&tx) {
                Ok(gas) => reply(
                    200,
                    &json!({"gas_info": {"gas_wanted": "0", "gas_used": gas.to_string()}, "result": {"events": []}}),
                ),
                Err(e) => grpc_error(500, 2, &e.log),
            },
        },
        (Method::POST, ["cosmos", "tx", "v1beta1", "txs"]) => match tx_bytes_of(&body) {
            None => grpc_error(400, 3, "invalid tx_bytes"),
            Some(tx) => {
                let (answer, delay) = {
                    let mut c = lock(&chain);
                    let (hash, res) = c.broadcast(&tx);
                    let (code, codespace, log) = match res {
                        Ok(()) => (0, String::new(), String::new()),
                        Err(e) => (e.code, e.codespace, e.log),
                    };
                    let delay = (c.faults.slow_broadcasts > 0).then(|| {
                        c.faults.slow_broadcasts -= 1;
                        c.faults.slow_delay
                    });
                    (
                        json!({"tx_response": {"txhash": hash, "height": "0", "code": code, "codespace": codespace, "raw_log": log}}),
                        delay,
                    )
                };
                if let Some(d) = delay {
                    tokio::time::sleep(d).await;
                }
                reply(200, &answer)
            }
        },
        (Method::GET, ["cosmos", "tx", "v1beta1", "txs", hash]) => {
            let c = lock(&chain);
            match c.tx_result(hash) {
                Some(r) => reply(200, &json!({"tx": null, "tx_response": r})),
                None => grpc_error(404, 5, &format!("tx not found: {hash}")),
            }
        }
        _ => grpc_error(501, 12, "Not Implemented"),
    };
    Ok(resp)
}

fn tx_bytes_of(body: &[u8]) -> Option<Vec<u8>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    B64.decode(v.get("tx_bytes")?.as_str()?).ok()
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds (UTC), as block headers show their time.
fn rfc3339_utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // civil-from-days (Howard Hinnant's algorithm), for days since 1970-01-01
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        (rem % 3_600) / 60,
        rem % 60
    )
}
