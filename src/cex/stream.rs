//! Websocket streams that stay up: a task connects, sends the subscription messages (rebuilt on
//! every connect, so signed subscriptions get fresh timestamps), answers pings, pings the server
//! itself and drops a silent connection, and reconnects with jittered exponential backoff. The
//! consumer sees `Connected { reconnect: true }` after a reconnect and resyncs what it derives from
//! the stream (books, orders), then tells its own consumers `Resynced`.

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

/// Builds the messages sent right after each connect.
pub type Subscriber = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

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
        }
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
    outgoing: mpsc::UnboundedSender<String>,
}

impl StreamHandle {
    /// Sends a text frame on the current connection (lost if the connection is down).
    pub fn send(&self, text: String) -> bool {
        self.outgoing.send(text).is_ok()
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
) -> (StreamHandle, mpsc::UnboundedReceiver<StreamEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(cfg, subscribe, tx, out_rx));
    (
        StreamHandle {
            task,
            outgoing: out_tx,
        },
        rx,
    )
}

async fn run(
    cfg: StreamConfig,
    subscribe: Subscriber,
    tx: mpsc::UnboundedSender<StreamEvent>,
    mut outgoing: mpsc::UnboundedReceiver<String>,
) {
    let mut connected_before = false;
    let mut attempt = 0u32;
    loop {
        let reason = match tokio::time::timeout(
            cfg.connect_timeout,
            tokio_tungstenite::connect_async(cfg.url.as_str()),
        )
        .await
        {
            Err(_) => "connect timed out".to_string(),
            Ok(Err(e)) => format!("connect failed: {e}"),
            Ok(Ok((ws, _))) => {
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
        tracing::warn!(stream = %cfg.name, "websocket down: {reason}");
        if tx.send(StreamEvent::Disconnected { reason }).is_err() {
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
    tx: &mpsc::UnboundedSender<StreamEvent>,
    outgoing: &mut mpsc::UnboundedReceiver<String>,
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
    tx.send(StreamEvent::Connected { reconnect }).ok()?;
    let mut last_seen = Instant::now();
    let mut ping = tokio::time::interval(cfg.ping_interval);
    ping.tick().await;
    loop {
        tokio::select! {
            frame = stream.next() => {
                last_seen = Instant::now();
                match frame {
                    Some(Ok(Message::Text(t))) => {
                        tx.send(StreamEvent::Message(Bytes::from(t))).ok()?;
                    }
                    Some(Ok(Message::Binary(b))) => tx.send(StreamEvent::Message(b)).ok()?,
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
}
