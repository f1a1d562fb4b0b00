//! State shared by the simulated OKX's servers and its handle: the engine, the per-endpoint rate
//! limits, the clock, passphrases, injected HTTP faults, the books feed's sequence resets and
//! checksum settings, and the signals that drop websocket connections or stop everything.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize};

use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;

/// An HTTP fault served on the next REST request. Every fault but `TooManyRequests` is applied
/// after the request was carried out (an order is placed, then its answer is lost or garbled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFault {
    /// 429 with OKX's 50011 body, the request not carried out.
    TooManyRequests,
    /// An HTML error page (a gateway's) with this status.
    HtmlPage { status: u16 },
    /// The real answer cut in half.
    TruncatedJson,
    /// This body with this status instead of the answer.
    Body { status: u16, body: String },
    /// No answer at all: the connection is closed (a lost acknowledgement).
    DropConnection,
}

/// OKX's documented REST limits: requests per 2 s per endpoint.
pub fn endpoint_limit(path: &str, method: &str) -> u64 {
    match (method, path) {
        (_, "/api/v5/public/time") => 10,
        (_, "/api/v5/public/instruments") => 20,
        (_, "/api/v5/market/books") => 40,
        ("POST", "/api/v5/trade/order") => 60,
        (_, "/api/v5/trade/cancel-order") => 60,
        (_, "/api/v5/trade/order") => 60,
        (_, "/api/v5/trade/orders-pending") => 60,
        (_, "/api/v5/trade/fills") => 60,
        (_, "/api/v5/account/balance") => 10,
        _ => 20,
    }
}

/// Fixed 2-second windows per endpoint.
#[derive(Debug, Default)]
pub struct EndpointLimits {
    windows: HashMap<String, (u64, u64)>,
    /// Requests refused with 429 so far.
    pub rejected: u64,
}

impl EndpointLimits {
    /// Counts a request; `false` when the endpoint's window is full.
    pub fn admit(&mut self, method: &str, path: &str, now_ms: u64) -> bool {
        let limit = endpoint_limit(path, method);
        let start = now_ms - now_ms % 2000;
        let w = self
            .windows
            .entry(format!("{method} {path}"))
            .or_insert((start, 0));
        if w.0 != start {
            *w = (start, 0);
        }
        if w.1 >= limit {
            self.rejected += 1;
            return false;
        }
        w.1 += 1;
        true
    }
}

/// Everything the servers share: the engine, faults, connections and clock every dialect has
/// ([`Controls`], reached through `Deref`), and the dialect's own state.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub limits: Mutex<EndpointLimits>,
    /// Passphrase of each API key.
    pub passphrases: Mutex<HashMap<String, Zeroizing<String>>>,
    /// Sequence resets per instrument: (engine update id R, new seqId B) — ids after R are
    /// numbered from B on.
    pub seq_resets: Mutex<HashMap<String, Vec<(u64, i64)>>>,
    /// Whether pushes carry the real CRC32 (`false`: 0, as OKX since June 2026).
    pub checksums: AtomicBool,
    /// Pushes still to send with a wrong non-zero checksum.
    pub corrupt_checksums: AtomicU32,
    /// Bumped to send an idle push (same seqId) on every books subscription.
    pub idle_push: watch::Sender<u64>,
    pub market_streams_down: AtomicBool,
    /// Successful logins on the private WebSocket.
    pub logins: AtomicUsize,
}

impl Shared {
    pub fn new(exchange: Exchange, checksums: bool) -> Self {
        Self {
            controls: Controls::new(exchange),
            limits: Mutex::new(EndpointLimits::default()),
            passphrases: Mutex::new(HashMap::new()),
            seq_resets: Mutex::new(HashMap::new()),
            checksums: AtomicBool::new(checksums),
            corrupt_checksums: AtomicU32::new(0),
            idle_push: watch::channel(0).0,
            market_streams_down: AtomicBool::new(false),
            logins: AtomicUsize::new(0),
        }
    }

    /// (secret, passphrase) of an API key.
    pub fn credentials(&self, key: &str) -> Option<(String, String)> {
        let pass = lock(&self.passphrases).get(key)?.to_string();
        let ex = self.exchange();
        let idx = *ex.keys.get(key)?;
        match ex.accounts.get(idx)?.key() {
            crate::exchange::engine::account::AccountKey::Hmac(s) => Some((s.to_string(), pass)),
            _ => None,
        }
    }

    /// The account of an API key.
    pub fn account_of(&self, key: &str) -> Option<usize> {
        self.exchange().keys.get(key).copied()
    }

    /// The `seqId` OKX shows for engine update id `v` of `symbol` (after any resets).
    pub fn seq_of(&self, symbol: &str, v: u64) -> i64 {
        let resets = lock(&self.seq_resets);
        let r = resets
            .get(symbol)
            .and_then(|rs| rs.iter().rev().find(|(r, _)| *r < v).copied());
        let v = i64::try_from(v).unwrap_or(i64::MAX);
        match r {
            Some((r, b)) => v - i64::try_from(r).unwrap_or(0) + b,
            None => v,
        }
    }
}

impl Deref for Shared {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.controls
    }
}

pub use crate::exchange::engine::server::lock;
