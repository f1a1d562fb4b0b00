//! The dYdX v4 indexer's account side for tests, over a [`DydxEngine`] shared with the local
//! node ([`super::LocalDydx`]): REST (`comlink`) `GET /v4/addresses/{address}/subaccountNumber/{n}`,
//! `/v4/orders`, `/v4/orders/{id}`, `/v4/fills`, `/v4/perpetualPositions`, `/v4/fundingPayments`,
//! `/v4/height`, `/v4/time` (`rest.rs`), and the websocket (`socks`) channel `v4_subaccounts`
//! (`ws.rs`), in the indexer's shapes (`views.rs`), with the indexer's UUIDv5 ids.
//!
//! Served on its own loopback ports ([`IndexerAccountSim::start`]) or mounted by another server
//! ([`IndexerAccountSim::answer`], a function of path and query). Faults: HTTP faults served
//! instead of the next answer ([`IndexerAccountSim::inject_fault`]: HTML pages, truncated JSON,
//! any body, 429, a dropped connection) and every websocket dropped abruptly
//! ([`IndexerAccountSim::drop_sockets`]).
//!
//! ```no_run
//! # async fn demo(node: sluice_sim::cosmos::dydx::LocalDydx) -> std::io::Result<()> {
//! use sluice_sim::cosmos::dydx::indexer::IndexerAccountSim;
//! let indexer = IndexerAccountSim::start(node.engine.clone()).await?;
//! // indexer.url() = http://127.0.0.1:<port>/v4, indexer.ws_url() = ws://127.0.0.1:<port>/v4/ws
//! # Ok(()) }
//! ```

pub mod rest;
pub mod views;
pub mod ws;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::sync::watch;

use super::engine::DydxEngine;
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::server::{Servers, clock_ms, lock, serve_http};

/// Where the indexer's height comes from (the node's latest block).
pub type HeightSource = Arc<dyn Fn() -> u64 + Send + Sync>;

/// What the servers share.
pub struct Shared {
    pub engine: Arc<DydxEngine>,
    faults: Mutex<VecDeque<HttpFault>>,
    kill: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
    height: Mutex<Option<HeightSource>>,
}

impl Shared {
    /// The height: the source's, else the highest height an order was placed at.
    pub fn height(&self) -> u64 {
        let source = lock(&self.height).clone();
        match source {
            Some(f) => f(),
            None => self
                .engine
                .registry()
                .orders
                .values()
                .map(|p| p.height)
                .max()
                .unwrap_or(0),
        }
    }

    /// The answer to an account endpoint (see [`rest::route`]).
    pub fn answer(&self, path: &str, query: &str) -> Option<(u16, String)> {
        let cx = rest::Context {
            engine: &self.engine,
            height: self.height(),
            now_ms: clock_ms(&std::sync::atomic::AtomicI64::new(0)),
        };
        rest::route(&cx, path, query)
    }
}

type Resp = Response<Full<Bytes>>;

fn respond(status: u16, body: String, content_type: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, std::io::Error> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let (status, body) = if req.method() == hyper::Method::GET {
        shared.answer(&path, &query).unwrap_or_else(|| {
            (
                404,
                serde_json::json!({"errors": [{"msg": format!("Not found: {path}")}]}).to_string(),
            )
        })
    } else {
        (
            405,
            r#"{"errors":[{"msg":"Method not allowed"}]}"#.to_string(),
        )
    };
    let fault = lock(&shared.faults).pop_front();
    Ok(match fault {
        None => respond(status, body, "application/json"),
        Some(HttpFault::TooManyRequests) => respond(
            429,
            r#"{"errors":[{"msg":"Too many requests"}]}"#.into(),
            "application/json",
        ),
        Some(HttpFault::HtmlPage { status }) => respond(
            status,
            "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
            "text/html",
        ),
        Some(HttpFault::TruncatedJson) => {
            let cut = body.len() / 2;
            respond(
                200,
                body.get(..cut).unwrap_or("").to_string(),
                "application/json",
            )
        }
        Some(HttpFault::Body { status, body }) => respond(status, body, "application/json"),
        Some(HttpFault::DropConnection) => {
            return Err(std::io::Error::other("answer dropped by an injected fault"));
        }
    })
}

/// A running indexer (account side); stopped when dropped.
pub struct IndexerAccountSim {
    shared: Arc<Shared>,
    servers: Servers,
}

impl std::fmt::Debug for IndexerAccountSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexerAccountSim")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl IndexerAccountSim {
    /// Serves `engine`'s accounts on two loopback ports (REST and websocket).
    pub async fn start(engine: Arc<DydxEngine>) -> std::io::Result<Self> {
        let shared = Arc::new(Self::handler(engine));
        let (servers, http, wsl) = Servers::bind().await?;
        let rest_shared = shared.clone();
        servers.track([
            tokio::spawn(serve_http(http, shared.shutdown.subscribe(), move |req| {
                handle(rest_shared.clone(), req)
            })),
            tokio::spawn(ws::serve_ws(wsl, shared.clone())),
        ]);
        Ok(Self { shared, servers })
    }

    /// The request handler alone, for a server that mounts it ([`Shared::answer`]).
    pub fn handler(engine: Arc<DydxEngine>) -> Shared {
        Shared {
            engine,
            faults: Mutex::new(VecDeque::new()),
            kill: watch::channel(0).0,
            shutdown: watch::channel(false).0,
            height: Mutex::new(None),
        }
    }

    /// `http://127.0.0.1:<port>/v4`.
    pub fn url(&self) -> String {
        format!("http://{}/v4", self.servers.http_addr())
    }

    /// `ws://127.0.0.1:<port>/v4/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/v4/ws", self.servers.ws_addr())
    }

    /// Reads the height from `source` (e.g. the node's latest block).
    pub fn set_height_source(&self, source: HeightSource) {
        *lock(&self.shared.height) = Some(source);
    }

    /// The answer to an account endpoint, without the server.
    pub fn answer(&self, path: &str, query: &str) -> Option<(u16, String)> {
        self.shared.answer(path, query)
    }

    /// Serves `fault` instead of the next REST answer.
    pub fn inject_fault(&self, fault: HttpFault) {
        lock(&self.shared.faults).push_back(fault);
    }

    /// Drops every open websocket abruptly (no close frame).
    pub fn drop_sockets(&self) {
        self.shared.kill.send_modify(|n| *n += 1);
    }
}

impl Drop for IndexerAccountSim {
    fn drop(&mut self) {
        self.servers.stop(&self.shared.shutdown);
    }
}
