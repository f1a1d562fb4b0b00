//! Server plumbing every dialect shares: the two listeners of a simulated exchange with their
//! tasks (start, stop, restart on the same ports), the HTTP accept loop over the dialect's REST
//! handler, the task releasing diffs held by the swap fault, the market-maker and trading accounts
//! a dialect starts with, and the small helpers (lock, clock, random tokens).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rand::Rng;
use rand::distributions::Alphanumeric;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

use super::account::Account;
use super::exchange::Exchange;
use super::spec::SymbolSpec;

/// Balance the market maker holds of every listed asset.
pub const MARKET_MAKER_FUNDS: Decimal = dec!(1000000000000);

/// How long a diff held by the swap fault waits for a second one before it goes out alone.
pub const HELD_DIFF_MAX_AGE: Duration = Duration::from_millis(50);

/// A REST request the connection gives up on without answering (the lost-ack fault).
#[derive(Debug, thiserror::Error)]
#[error("answer dropped by an injected fault")]
pub struct Dropped;

/// Locks a mutex; a panic in another holder does not make a test server unusable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The simulator's clock, ms since the epoch, moved by `offset_ms`.
pub fn clock_ms(offset_ms: &AtomicI64) -> u64 {
    let sys = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    u64::try_from(sys.saturating_add(offset_ms.load(Ordering::Relaxed))).unwrap_or(0)
}

/// `n` random alphanumeric characters (API keys and secrets).
pub fn random_token(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// The market maker: [`MARKET_MAKER_FUNDS`] of every base and quote asset of `symbols`.
pub fn market_maker_account(
    symbols: &[SymbolSpec],
    api_key: String,
    secret: Zeroizing<String>,
) -> Account {
    let mut mm = Account::new(api_key, secret);
    for s in symbols {
        mm.balance_mut(&s.base).free = MARKET_MAKER_FUNDS;
        mm.balance_mut(&s.quote).free = MARKET_MAKER_FUNDS;
    }
    mm.touched.clear();
    mm
}

/// A trading account with these free balances (no balance event pending).
pub fn trading_account(
    api_key: String,
    secret: Zeroizing<String>,
    balances: &[(String, Decimal)],
) -> Account {
    let mut trader = Account::new(api_key, secret);
    for (asset, amount) in balances {
        trader.balance_mut(asset).free = *amount;
    }
    trader.touched.clear();
    trader
}

/// 100 of every base asset and 10,000 of every quote asset of `symbols`, each asset once.
pub fn default_balances(symbols: &[SymbolSpec]) -> Vec<(String, Decimal)> {
    let mut balances: Vec<(String, Decimal)> = Vec::new();
    for s in symbols {
        for (asset, amount) in [(&s.base, dec!(100)), (&s.quote, dec!(10000))] {
            if !balances.iter().any(|(a, _)| a == asset) {
                balances.push((asset.clone(), amount));
            }
        }
    }
    balances
}

/// The HTTP and WebSocket listeners' addresses of a simulated exchange and the tasks serving
/// them; `stop` and `rebind` keep the ports.
#[derive(Debug)]
pub struct Servers {
    http_addr: SocketAddr,
    ws_addr: SocketAddr,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Servers {
    /// Binds both listeners on 127.0.0.1 (free ports).
    pub async fn bind() -> std::io::Result<(Self, TcpListener, TcpListener)> {
        let http = TcpListener::bind("127.0.0.1:0").await?;
        let ws = TcpListener::bind("127.0.0.1:0").await?;
        let servers = Self {
            http_addr: http.local_addr()?,
            ws_addr: ws.local_addr()?,
            tasks: Mutex::new(Vec::new()),
        };
        Ok((servers, http, ws))
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    pub fn ws_addr(&self) -> SocketAddr {
        self.ws_addr
    }

    /// Keeps `tasks` to abort on `stop`.
    pub fn track(&self, tasks: impl IntoIterator<Item = JoinHandle<()>>) {
        lock(&self.tasks).extend(tasks);
    }

    /// Signals `shutdown` (every connection closes) and aborts the tasks.
    pub fn stop(&self, shutdown: &watch::Sender<bool>) {
        shutdown.send_replace(true);
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }

    /// Stops, clears `shutdown`, and binds the same two ports again (to spawn the servers on).
    pub async fn rebind(
        &self,
        shutdown: &watch::Sender<bool>,
    ) -> std::io::Result<(TcpListener, TcpListener)> {
        self.stop(shutdown);
        shutdown.send_replace(false);
        Ok((
            bind_again(self.http_addr).await?,
            bind_again(self.ws_addr).await?,
        ))
    }
}

/// Binds `addr` again; the aborted listener may take a moment to be dropped, so a busy address
/// is retried for up to half a second.
async fn bind_again(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let mut attempts = 0;
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempts < 50 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Serves HTTP/1 on `listener` with `handle` until `shutdown` changes; every connection is
/// closed then too.
pub async fn serve_http<H, Fut, E>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    handle: H,
) where
    H: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Response<Full<Bytes>>, E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let handle = handle.clone();
                let mut conn_shutdown = shutdown.clone();
                tokio::spawn(async move {
                    let service = service_fn(handle);
                    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = conn_shutdown.changed() => {}
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// Sends every diff the swap fault held longer than [`HELD_DIFF_MAX_AGE`] alone, forever.
pub async fn release_held_diffs<S: Send + Sync + 'static>(
    shared: Arc<S>,
    exchange: fn(&S) -> MutexGuard<'_, Exchange>,
) {
    let mut tick = tokio::time::interval(HELD_DIFF_MAX_AGE / 2);
    loop {
        tick.tick().await;
        exchange(&shared)
            .publisher
            .release_stale_held(HELD_DIFF_MAX_AGE);
    }
}

/// Serves one market-data websocket connection of a dialect until the client leaves, the market
/// streams are dropped (`market_kill`) or the servers stop: `greeting` first if any; each text the
/// client sends is answered with what `on_text` returns (it keeps the connection's subscribed
/// symbols, upper case); the engine's depth events of a subscribed symbol and every raw market
/// frame (while something is subscribed) go out as published; pings are answered. The market
/// stream is subscribed before any client message is read, so an update published while a
/// subscription is answered is queued, never lost.
pub async fn serve_market_socket<F>(
    stream: tokio::net::TcpStream,
    controls: &super::controls::Controls<F>,
    greeting: Option<String>,
    mut on_text: impl FnMut(&str, &mut std::collections::HashSet<String>) -> Vec<String>,
) {
    use futures::{SinkExt, StreamExt};
    use tokio::sync::broadcast::error::RecvError;
    use tokio_tungstenite::tungstenite::Message;

    use super::publish::{MarketMsg, StreamKind};

    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let mut market = lock(&controls.exchange).publisher.subscribe_market();
    let mut kill = controls.market_kill.subscribe();
    let mut shutdown = controls.shutdown.subscribe();
    let mut symbols = std::collections::HashSet::new();
    controls.market_connections.fetch_add(1, Ordering::SeqCst);
    if let Some(g) = greeting
        && ws.send(Message::text(g)).await.is_err()
    {
        controls.market_connections.fetch_sub(1, Ordering::SeqCst);
        return;
    }
    loop {
        tokio::select! {
            biased;
            _ = kill.changed() => break,
            _ = shutdown.changed() => break,
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    let mut failed = false;
                    for m in on_text(t.as_str(), &mut symbols) {
                        failed |= ws.send(Message::text(m)).await.is_err();
                    }
                    if failed {
                        break;
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            msg = market.recv() => {
                let text = match msg {
                    Ok(MarketMsg::Event { symbol, kind: StreamKind::Depth, data }) => {
                        symbols.contains(&symbol.to_ascii_uppercase()).then(|| data.to_string())
                    }
                    Ok(MarketMsg::Event { .. }) => None,
                    Ok(MarketMsg::Raw(t)) => (!symbols.is_empty()).then(|| t.to_string()),
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
                };
                if let Some(t) = text
                    && ws.send(Message::text(t)).await.is_err()
                {
                    break;
                }
            }
        }
    }
    controls.market_connections.fetch_sub(1, Ordering::SeqCst);
}
