//! Websocket streams that stay up: a task connects, sends the subscription messages (rebuilt on
//! every connect, so signed subscriptions get fresh timestamps), answers pings, pings the server
//! itself and drops a silent connection, and reconnects with jittered exponential backoff. The
//! consumer sees `Connected { reconnect: true }` after a reconnect and resyncs what it derives from
//! the stream (books, orders), then tells its own consumers `Resynced`.
//!
//! Limits: every connection refuses a message over [`MAX_MESSAGE_SIZE`] (1 MiB) or a frame over
//! [`MAX_FRAME_SIZE`]. The events channel to the consumer is bounded ([`StreamConfig::buffer`]).
//! When a slow consumer lets it fill, frames are not queued without limit and none is dropped
//! silently: the connection is closed, the consumer gets `Disconnected` ("fell behind") once it
//! has room, then a reconnect, so a book resyncs from a snapshot and orders are reconciled instead
//! of missing a diff. Connection events themselves wait for room (backpressure). The outgoing
//! channel ([`StreamHandle::send`]) is bounded too: a full one refuses the message.
//!
//! A URL's path or query can be a credential (a listenKey): errors and logs name the stream by
//! scheme and host only (see [`scrub_url`]). A venue whose URL carries a token good for one
//! connection (KuCoin's `bullet`) starts the stream with [`spawn_with_urls`]: every connection,
//! the first and each reconnect, asks a [`UrlSource`] for its URL, so a spent token is never
//! reused; a URL that cannot be had counts as a failed connect (announced, then retried with
//! backoff).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use rand::Rng;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Largest websocket message accepted (the exchanges' largest, a full book snapshot, is far below).
pub const MAX_MESSAGE_SIZE: usize = 1 << 20;

/// Largest single websocket frame accepted.
pub const MAX_FRAME_SIZE: usize = 1 << 20;

/// Default capacity of the events channel to the consumer.
pub const DEFAULT_BUFFER: usize = 4096;

/// Capacity of the outgoing channel ([`StreamHandle::send`]).
const OUTGOING_BUFFER: usize = 64;

pub use crate::redact::scrub_url;

/// Builds the messages sent right after each connect.
pub type Subscriber = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// Gives the URL of the next connection (a fresh ticket), or why there is none; asked before
/// every connect.
pub type UrlSource =
    Arc<dyn Fn() -> futures::future::BoxFuture<'static, Result<String, String>> + Send + Sync>;

/// Connection settings. `Debug` shows the URL's scheme and host only: a path can carry a
/// credential (Binance's legacy user stream is `/ws/<listenKey>`).
#[derive(Clone)]
pub struct StreamConfig {
    /// For logs.
    pub name: String,
    pub url: String,
    pub ping_interval: Duration,
    /// No frame at all for this long: the connection is considered dead.
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Capacity of the events channel; when the consumer lets it fill, the connection is
    /// dropped and resynced (see the module doc).
    pub buffer: usize,
}

impl fmt::Debug for StreamConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = url::Url::parse(&self.url).map_or_else(
            |_| "<unparsable url>".to_string(),
            |u| format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("")),
        );
        f.debug_struct("StreamConfig")
            .field("name", &self.name)
            .field("url", &origin)
            .field("ping_interval", &self.ping_interval)
            .field("idle_timeout", &self.idle_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .field("buffer", &self.buffer)
            .finish()
    }
}

impl StreamConfig {
    pub fn new(name: &str, url: &str) -> Self {
        Self {
            name: name.to_string(),
            url: url.to_string(),
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            buffer: DEFAULT_BUFFER,
        }
    }

    /// The websocket limits every connection uses.
    pub fn websocket_config() -> WebSocketConfig {
        WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_SIZE))
            .max_frame_size(Some(MAX_FRAME_SIZE))
    }
}

/// What the stream task reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// Connected and subscribed; `reconnect` after the first time.
    Connected { reconnect: bool },
    /// A text or binary frame.
    Message(Bytes),
    /// The connection dropped; a reconnect follows.
    Disconnected { reason: String },
}

/// The running stream; dropping it stops the task.
#[derive(Debug)]
pub struct StreamHandle {
    task: JoinHandle<()>,
    outgoing: mpsc::Sender<String>,
}

impl StreamHandle {
    /// Sends a text frame on the current connection (lost if the connection is down); false when
    /// the stream ended or its outgoing queue is full.
    pub fn send(&self, text: String) -> bool {
        self.outgoing.try_send(text).is_ok()
    }
}

impl Drop for StreamHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter
/// between half and all of it so that many clients do not reconnect in step.
pub fn backoff_delay(cfg: &StreamConfig, attempt: u32) -> Duration {
    let base = cfg
        .backoff_initial
        .saturating_mul(2u32.saturating_pow(attempt.min(20)))
        .min(cfg.backoff_max);
    let jitter: f64 = rand::thread_rng().gen_range(0.5..=1.0);
    base.mul_f64(jitter)
}

/// Starts the stream task.
pub fn spawn(
    cfg: StreamConfig,
    subscribe: Subscriber,
) -> (StreamHandle, mpsc::Receiver<StreamEvent>) {
    start(cfg, subscribe, None)
}

/// Starts the stream task with each connection's URL from `urls` (`cfg.url` is not used to
/// connect; it names the stream's origin in logs).
pub fn spawn_with_urls(
    cfg: StreamConfig,
    subscribe: Subscriber,
    urls: UrlSource,
) -> (StreamHandle, mpsc::Receiver<StreamEvent>) {
    start(cfg, subscribe, Some(urls))
}

fn start(
    cfg: StreamConfig,
    subscribe: Subscriber,
    urls: Option<UrlSource>,
) -> (StreamHandle, mpsc::Receiver<StreamEvent>) {
    let (tx, rx) = mpsc::channel(cfg.buffer.max(1));
    let (out_tx, out_rx) = mpsc::channel(OUTGOING_BUFFER);
    let task = tokio::spawn(run(cfg, subscribe, urls, tx, out_rx));
    (
        StreamHandle {
            task,
            outgoing: out_tx,
        },
        rx,
    )
}

/// The URL of the next connection: `cfg.url`, or a fresh one from `urls`.
async fn next_url(cfg: &StreamConfig, urls: Option<&UrlSource>) -> Result<String, String> {
    let Some(source) = urls else {
        return Ok(cfg.url.clone());
    };
    match tokio::time::timeout(cfg.connect_timeout, source()).await {
        Ok(Ok(url)) => Ok(url),
        Ok(Err(e)) => Err(format!("no connection ticket: {e}")),
        Err(_) => Err("no connection ticket: timed out".to_string()),
    }
}

async fn run(
    cfg: StreamConfig,
    subscribe: Subscriber,
    urls: Option<UrlSource>,
    tx: mpsc::Sender<StreamEvent>,
    mut outgoing: mpsc::Receiver<String>,
) {
    let mut connected_before = false;
    let mut attempt = 0u32;
    loop {
        let url = next_url(&cfg, urls.as_ref()).await;
        let connect = async {
            match &url {
                Ok(u) => Ok(tokio::time::timeout(
                    cfg.connect_timeout,
                    tokio_tungstenite::connect_async_with_config(
                        u.as_str(),
                        Some(StreamConfig::websocket_config()),
                        false,
                    ),
                )
                .await),
                Err(e) => Err(e.clone()),
            }
        };
        let reason = match connect.await {
            Err(no_url) => no_url,
            Ok(Err(_)) => "connect timed out".to_string(),
            Ok(Ok(Err(e))) => format!("connect failed: {e}"),
            Ok(Ok(Ok((ws, _)))) => {
                attempt = 0;
                let reason =
                    session(&cfg, ws, &subscribe, &tx, &mut outgoing, connected_before).await;
                connected_before = true;
                match reason {
                    Some(r) => r,
                    None => return, // consumer gone
                }
            }
        };
        if tx.is_closed() {
            return;
        }
        let reason = match &url {
            Ok(u) => scrub_url(&scrub_url(&reason, u), &cfg.url),
            Err(_) => scrub_url(&reason, &cfg.url),
        };
        tracing::warn!(stream = %cfg.name, "websocket down: {reason}");
        if tx.send(StreamEvent::Disconnected { reason }).await.is_err() {
            return;
        }
        let delay = backoff_delay(&cfg, attempt);
        attempt = attempt.saturating_add(1);
        tokio::time::sleep(delay).await;
    }
}

/// One connection; returns why it ended, or `None` when the consumer went away.
async fn session<S>(
    cfg: &StreamConfig,
    ws: tokio_tungstenite::WebSocketStream<S>,
    subscribe: &Subscriber,
    tx: &mpsc::Sender<StreamEvent>,
    outgoing: &mut mpsc::Receiver<String>,
    reconnect: bool,
) -> Option<String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    for m in subscribe() {
        if let Err(e) = sink.send(Message::text(m)).await {
            return Some(format!("subscribe failed: {e}"));
        }
    }
    tx.send(StreamEvent::Connected { reconnect }).await.ok()?;
    let mut last_seen = Instant::now();
    let mut ping = tokio::time::interval(cfg.ping_interval);
    ping.tick().await;
    loop {
        tokio::select! {
            frame = stream.next() => {
                last_seen = Instant::now();
                match frame {
                    Some(Ok(Message::Text(t))) => {
                        if let Err(end) = deliver(tx, Bytes::from(t), cfg.buffer) {
                            return end;
                        }
                    }
                    Some(Ok(Message::Binary(b))) => {
                        if let Err(end) = deliver(tx, b, cfg.buffer) {
                            return end;
                        }
                    }
                    Some(Ok(Message::Ping(p))) => {
                        if let Err(e) = sink.send(Message::Pong(p)).await {
                            return Some(format!("pong failed: {e}"));
                        }
                    }
                    Some(Ok(Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(c))) => {
                        return Some(format!("closed by the server: {c:?}"));
                    }
                    Some(Err(e)) => return Some(format!("read failed: {e}")),
                    None => return Some("connection ended".into()),
                }
            }
            _ = ping.tick() => {
                if last_seen.elapsed() > cfg.idle_timeout {
                    return Some(format!("no frame for {:?}", cfg.idle_timeout));
                }
                if let Err(e) = sink.send(Message::Ping(Bytes::new())).await {
                    return Some(format!("ping failed: {e}"));
                }
            }
            out = outgoing.recv() => {
                let text = out?;
                if let Err(e) = sink.send(Message::text(text)).await {
                    return Some(format!("send failed: {e}"));
                }
            }
        }
    }
}

/// Hands a frame to the consumer without waiting: `Err(Some(reason))` when its queue is full
/// (the session ends and the consumer resyncs after the reconnect), `Err(None)` when it is gone.
fn deliver(
    tx: &mpsc::Sender<StreamEvent>,
    frame: Bytes,
    buffer: usize,
) -> Result<(), Option<String>> {
    match tx.try_send(StreamEvent::Message(frame)) {
        Ok(()) => Ok(()),
        Err(mpsc::error::TrySendError::Full(_)) => Err(Some(format!(
            "the consumer fell {buffer} messages behind; reconnecting to resync"
        ))),
        Err(mpsc::error::TrySendError::Closed(_)) => Err(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn debug_hides_the_path_of_the_url() {
        let c = StreamConfig::new(
            "user",
            "wss://stream.example.com:9443/ws/secretListenKey123",
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("secretListenKey123"), "{shown}");
        assert!(shown.contains("stream.example.com"), "{shown}");
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let cfg = StreamConfig::new("t", "ws://127.0.0.1:1");
        for attempt in 0..30 {
            let d = backoff_delay(&cfg, attempt);
            let base = (cfg.backoff_initial * 2u32.pow(attempt.min(20))).min(cfg.backoff_max);
            assert!(d >= base / 2 && d <= base, "{attempt}: {d:?}");
        }
    }

    /// A server that accepts, reads the subscription, sends one message and drops the connection;
    /// the client reconnects, resubscribes and reports `reconnect: true`.
    #[tokio::test]
    async fn reconnects_and_resubscribes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut subs = Vec::new();
            for i in 0..2 {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                if let Some(Ok(Message::Text(t))) = ws.next().await {
                    subs.push(t.to_string());
                }
                ws.send(Message::Ping(Bytes::from_static(b"hi")))
                    .await
                    .unwrap();
                ws.send(Message::text(format!("msg{i}"))).await.unwrap();
                // wait for the pong, then drop the connection without a close frame
                while let Some(Ok(m)) = ws.next().await {
                    if matches!(m, Message::Pong(ref p) if p.as_ref() == b"hi") {
                        break;
                    }
                }
            }
            subs
        });
        let mut cfg = StreamConfig::new("t", &format!("ws://{addr}"));
        cfg.backoff_initial = Duration::from_millis(10);
        let (_h, mut rx) = spawn(cfg, Arc::new(|| vec!["SUB".to_string()]));
        let mut seen = Vec::new();
        while seen.len() < 5 {
            seen.push(rx.recv().await.unwrap());
        }
        assert_eq!(seen[0], StreamEvent::Connected { reconnect: false });
        assert_eq!(seen[1], StreamEvent::Message(Bytes::from_static(b"msg0")));
        assert!(matches!(seen[2], StreamEvent::Disconnected { .. }));
        assert_eq!(seen[3], StreamEvent::Connected { reconnect: true });
        assert_eq!(seen[4], StreamEvent::Message(Bytes::from_static(b"msg1")));
        assert_eq!(server.await.unwrap(), vec!["SUB", "SUB"]);
    }

    /// With a URL source, each connection (the first and each reconnect) connects to a fresh
    /// URL, and a URL that cannot be had is a failed connect, announced and retried; the token is
    /// not in the reason.
    #[tokio::test]
    // the handshake callback's error type is tungstenite's, not ours
    #[allow(clippy::result_large_err)]
    async fn every_connection_asks_the_url_source() {
        use std::sync::Mutex;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let seen_paths = Arc::clone(&paths);
        tokio::spawn(async move {
            for _ in 0..2 {
                let (tcp, _) = listener.accept().await.unwrap();
                let p = Arc::clone(&seen_paths);
                let cb = move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                               resp| {
                    p.lock().unwrap().push(req.uri().to_string());
                    Ok(resp)
                };
                let mut ws = tokio_tungstenite::accept_hdr_async(tcp, cb).await.unwrap();
                let _ = ws.next().await; // the subscription
                ws.send(Message::text("hello")).await.unwrap();
                // dropped: the client reconnects
            }
        });
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let urls: UrlSource = Arc::new(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if n == 0 {
                    Err("ticket refused (secret-ish detail)".to_string())
                } else {
                    Ok(format!("ws://{addr}/ws?token=TOKEN{n}"))
                }
            })
        });
        let mut cfg = StreamConfig::new("ticketed", &format!("ws://{addr}/ws"));
        cfg.backoff_initial = Duration::from_millis(10);
        let (_h, mut rx) = spawn_with_urls(cfg, Arc::new(|| vec!["SUB".to_string()]), urls);
        match next(&mut rx).await {
            StreamEvent::Disconnected { reason } => {
                assert!(reason.contains("no connection ticket"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            next(&mut rx).await,
            StreamEvent::Connected { reconnect: false }
        );
        assert_eq!(
            next(&mut rx).await,
            StreamEvent::Message(Bytes::from_static(b"hello"))
        );
        match next(&mut rx).await {
            StreamEvent::Disconnected { reason } => {
                assert!(!reason.contains("TOKEN"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            next(&mut rx).await,
            StreamEvent::Connected { reconnect: true }
        );
        assert_eq!(
            next(&mut rx).await,
            StreamEvent::Message(Bytes::from_static(b"hello"))
        );
        assert_eq!(
            *paths.lock().unwrap(),
            vec![
                "/ws?token=TOKEN1".to_string(),
                "/ws?token=TOKEN2".to_string()
            ]
        );
        assert!(calls.load(Ordering::SeqCst) >= 3);
    }

    #[test]
    fn urls_are_scrubbed_from_reasons() {
        let url = "wss://stream.example.com:9443/ws/SECRETLISTENKEY0123456789";
        for text in [
            format!("connect failed: Unable to connect to {url}"),
            "GET /ws/SECRETLISTENKEY0123456789 HTTP/1.1".to_string(),
            "bad key SECRETLISTENKEY0123456789".to_string(),
        ] {
            let clean = scrub_url(&text, url);
            assert!(!clean.contains("SECRETLISTENKEY"), "{clean}");
        }
        assert_eq!(
            scrub_url(&format!("x {url} y"), url),
            "x wss://stream.example.com:9443/… y"
        );
        // a URL without a path keeps everything readable
        assert_eq!(
            scrub_url("ws://127.0.0.1:1 down", "ws://127.0.0.1:1"),
            "ws://127.0.0.1:1 down"
        );
    }

    /// A server that sends `frames` on each connection, then keeps it open until the client goes.
    async fn serve(frames: Vec<Message>) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let frames = frames.clone();
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                        return;
                    };
                    for f in frames {
                        if ws.send(f).await.is_err() {
                            return;
                        }
                    }
                    while let Some(Ok(_)) = ws.next().await {}
                });
            }
        });
        addr
    }

    async fn next(rx: &mut mpsc::Receiver<StreamEvent>) -> StreamEvent {
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn a_message_over_the_limit_ends_the_connection() {
        let big = "x".repeat(MAX_MESSAGE_SIZE + 1);
        let addr = serve(vec![Message::text("small"), Message::text(big)]).await;
        let mut cfg = StreamConfig::new("t", &format!("ws://{addr}"));
        cfg.backoff_initial = Duration::from_secs(5);
        let (_h, mut rx) = spawn(cfg, Arc::new(Vec::new));
        assert_eq!(
            next(&mut rx).await,
            StreamEvent::Connected { reconnect: false }
        );
        assert_eq!(
            next(&mut rx).await,
            StreamEvent::Message(Bytes::from_static(b"small"))
        );
        match next(&mut rx).await {
            StreamEvent::Disconnected { reason } => {
                assert!(reason.contains("read failed"), "{reason}")
            }
            other => panic!("a message over 1 MiB was accepted: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_slow_consumer_gets_a_disconnect_and_a_resync_not_a_silent_gap() {
        let frames = (0..50).map(|i| Message::text(format!("m{i}"))).collect();
        let addr = serve(frames).await;
        let mut cfg = StreamConfig::new("t", &format!("ws://{addr}"));
        cfg.buffer = 4;
        cfg.backoff_initial = Duration::from_millis(10);
        let (_h, mut rx) = spawn(cfg, Arc::new(Vec::new));
        // the consumer reads nothing while the server sends its 50 messages
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut seen = Vec::new();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .unwrap()
                .unwrap();
            let done = matches!(ev, StreamEvent::Connected { reconnect: true });
            seen.push(ev);
            if done {
                break;
            }
        }
        assert_eq!(seen[0], StreamEvent::Connected { reconnect: false });
        let messages = seen
            .iter()
            .filter(|e| matches!(e, StreamEvent::Message(_)))
            .count();
        assert!(messages < 50, "{messages} messages queued past the buffer");
        // every message before the gap arrived in order, then the disconnect that says why
        for (i, ev) in seen[1..=messages].iter().enumerate() {
            assert_eq!(*ev, StreamEvent::Message(Bytes::from(format!("m{i}"))));
        }
        match &seen[messages + 1] {
            StreamEvent::Disconnected { reason } => assert!(reason.contains("behind"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
