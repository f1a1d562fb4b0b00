//! A local `anvil` node for tests, the demo and `sluice anvil`: starts the pinned binary from the setup
//! script (never one found on `PATH`) on a free loopback port, waits until its RPC answers, and kills it
//! when dropped. A fork URL (which usually carries an API key) is passed to anvil whole but never
//! shown: `Debug` and anvil's stderr quoted in errors show it redacted.
//!
//! ```no_run
//! # async fn f() -> Result<(), sluice_sim::anvil::AnvilError> {
//! use sluice_sim::anvil::{Anvil, AnvilOptions};
//! let node = Anvil::spawn(AnvilOptions::default()).await?;
//! let provider = node.provider(); // signs with the ten dev accounts
//! # Ok(()) }
//! ```

pub mod accounts;
pub mod state;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::transports::TransportError;
use url::Url;

use sluice::cex::stream::scrub_url;
use sluice::chain::evm::error::redact_url;

pub use accounts::{DEV_MNEMONIC, dev_addresses, dev_signer, dev_signers, dev_wallet};

/// Where the setup script installs anvil, relative to the crate root.
pub const PINNED_ANVIL: &str = "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";

/// Environment variable that overrides the anvil binary's path.
pub const ANVIL_ENV: &str = "SLUICE_ANVIL";

/// How long a node may take to answer its first RPC call.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How often readiness is polled.
const READY_POLL: Duration = Duration::from_millis(5);

/// Errors of the anvil harness.
#[derive(Debug, thiserror::Error)]
pub enum AnvilError {
    #[error("anvil binary not found at {} (run scripts/setup.sh, or set SLUICE_ANVIL)", path.display())]
    BinaryNotFound { path: PathBuf },
    #[error("could not start anvil at {}: {source}", path.display())]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no free loopback port: {0}")]
    Port(std::io::Error),
    #[error("anvil exited before its RPC answered ({status}); its stderr: {stderr}")]
    Exited { status: String, stderr: String },
    #[error("anvil did not answer on {url} within {waited:?}")]
    NotReady { url: String, waited: Duration },
    #[error("anvil RPC {method} failed: {source}")]
    Rpc {
        method: &'static str,
        source: TransportError,
    },
    #[error("state file {}: {source}", path.display())]
    StateFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("anvil state dump could not be decoded: {0}")]
    StateDecode(String),
}

impl AnvilError {
    pub(crate) fn rpc(method: &'static str) -> impl FnOnce(TransportError) -> Self {
        move |source| Self::Rpc { method, source }
    }
}

/// How to start a node. The defaults: chain id 31337, a free port, automine, anvil's default limits.
/// `Debug` shows the fork URL redacted.
#[derive(Clone, Default)]
pub struct AnvilOptions {
    /// Listen on this port instead of a free one.
    pub port: Option<u16>,
    pub chain_id: Option<u64>,
    /// Fork the chain at this RPC URL.
    pub fork_url: Option<String>,
    /// Fork at this block (only with `fork_url`).
    pub fork_block: Option<u64>,
    /// Start from this state file (anvil's JSON dump, see [`state`]).
    pub load_state: Option<PathBuf>,
    /// Maximum runtime code size in bytes (EIP-170 is 24 576; Perp v1's ClearingHouse needs more).
    pub code_size_limit: Option<u64>,
    /// Mine a block every this many seconds instead of one per transaction.
    pub block_time: Option<u64>,
    /// Do not mine at all until asked (`evm_mine`, `anvil_setAutomine`).
    pub no_mining: bool,
    /// Timestamp of the genesis block.
    pub timestamp: Option<u64>,
    /// Any further anvil arguments, passed as given.
    pub extra_args: Vec<String>,
    /// Start anvil in its own process group, so a Ctrl-C in the terminal reaches only this process
    /// (which can then dump the state before stopping the node). Tests leave it off: then an
    /// interrupted test run takes its nodes down with it.
    pub own_process_group: bool,
}

impl std::fmt::Debug for AnvilOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnvilOptions")
            .field("port", &self.port)
            .field("chain_id", &self.chain_id)
            .field("fork_url", &self.fork_url.as_deref().map(redact_url))
            .field("fork_block", &self.fork_block)
            .field("load_state", &self.load_state)
            .field("code_size_limit", &self.code_size_limit)
            .field("block_time", &self.block_time)
            .field("no_mining", &self.no_mining)
            .field("timestamp", &self.timestamp)
            .field("extra_args", &self.extra_args)
            .field("own_process_group", &self.own_process_group)
            .finish()
    }
}

impl AnvilOptions {
    /// The command-line arguments for these options, on `port`.
    fn args(&self, port: u16) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
            // Anvil keeps recent states in memory and writes older ones under
            // ~/.foundry/anvil/tmp, a folder it removes only on a clean exit: a killed node (a
            // test's SIGKILL, a crashed run) leaves gigabytes behind. 79 GB had piled up there and
            // filled the disk. Old states are dropped instead; the recent ones stay in memory.
            // (Not `--silent`: the port is read from the "Listening on" line.)
            "--max-persisted-states".into(),
            "0".into(),
        ];
        let mut push = |flag: &str, value: String| {
            a.push(flag.into());
            a.push(value);
        };
        if let Some(id) = self.chain_id {
            push("--chain-id", id.to_string());
        }
        if let Some(url) = &self.fork_url {
            push("--fork-url", url.clone());
        }
        if let Some(b) = self.fork_block {
            push("--fork-block-number", b.to_string());
        }
        if let Some(p) = &self.load_state {
            push("--load-state", p.display().to_string());
        }
        if let Some(n) = self.code_size_limit {
            push("--code-size-limit", n.to_string());
        }
        if let Some(s) = self.block_time {
            push("--block-time", s.to_string());
        }
        if let Some(t) = self.timestamp {
            push("--timestamp", t.to_string());
        }
        if self.no_mining {
            a.push("--no-mining".into());
        }
        a.extend(self.extra_args.iter().cloned());
        a
    }
}

/// A running anvil process. Dropping it kills the process.
pub struct Anvil {
    child: Child,
    port: u16,
    url: Url,
    chain_id: u64,
    stderr: Arc<Mutex<String>>,
    /// Scrubbed from anvil's stderr whenever it is shown.
    fork_url: Option<String>,
}

impl std::fmt::Debug for Anvil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anvil")
            .field("pid", &self.child.id())
            .field("url", &self.url.as_str())
            .field("chain_id", &self.chain_id)
            .finish()
    }
}

impl Anvil {
    /// The anvil binary: `$SLUICE_ANVIL` if set, else the pinned npm binary under the workspace root.
    pub fn binary() -> Result<PathBuf, AnvilError> {
        let path = match std::env::var_os(ANVIL_ENV) {
            Some(p) => PathBuf::from(p),
            None => crate::deploy::artifacts::workspace_root().join(PINNED_ANVIL),
        };
        if path.is_file() {
            Ok(path)
        } else {
            Err(AnvilError::BinaryNotFound { path })
        }
    }

    /// Starts a node and waits until its RPC answers.
    ///
    /// Without a fixed port the node binds port 0 and the kernel picks a free one, which the node
    /// prints on its stdout (`Listening on 127.0.0.1:PORT`): the port is read from there. Probing for
    /// a free port first and passing it would race with every other process doing the same: a second
    /// node given the same port fails to bind, while the readiness poll on that port is answered by
    /// the first node, so two owners would share (and one would later kill) one node.
    pub async fn spawn(options: AnvilOptions) -> Result<Self, AnvilError> {
        let binary = Self::binary()?;
        Self::start(&binary, &options, options.port.unwrap_or(0)).await
    }

    async fn start(binary: &Path, options: &AnvilOptions, port: u16) -> Result<Self, AnvilError> {
        let mut command = Command::new(binary);
        if options.own_process_group {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let mut child = command
            .args(options.args(port))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| AnvilError::Spawn {
                path: binary.to_path_buf(),
                source,
            })?;
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            spawn_stderr_reader(pipe, stderr.clone());
        }
        let (port_tx, mut port_rx) = tokio::sync::oneshot::channel();
        if let Some(pipe) = child.stdout.take() {
            spawn_stdout_reader(pipe, port_tx);
        }
        let mut node = Self {
            child,
            port,
            // Replaced by the bound address below; a failure before that kills the child on drop.
            url: Url::parse("http://127.0.0.1").map_err(|e| AnvilError::NotReady {
                url: e.to_string(),
                waited: Duration::ZERO,
            })?,
            chain_id: 0,
            stderr,
            fork_url: options.fork_url.clone(),
        };
        node.port = node.wait_bound(&mut port_rx).await?;
        node.url = Url::parse(&format!("http://127.0.0.1:{}", node.port)).map_err(|e| {
            AnvilError::NotReady {
                url: format!("{e}: http://127.0.0.1:{}", node.port),
                waited: Duration::ZERO,
            }
        })?;
        node.chain_id = node.wait_ready().await?;
        Ok(node)
    }

    /// Waits until the child says on which port it listens; fails early if it exits.
    async fn wait_bound(
        &mut self,
        port_rx: &mut tokio::sync::oneshot::Receiver<u16>,
    ) -> Result<u16, AnvilError> {
        let started = Instant::now();
        loop {
            if let Ok(port) = port_rx.try_recv() {
                return Ok(port);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the reader thread a moment to collect the last message.
                tokio::time::sleep(Duration::from_millis(20)).await;
                return Err(AnvilError::Exited {
                    status: status.to_string(),
                    stderr: self.stderr_text(),
                });
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(AnvilError::NotReady {
                    url: format!("http://127.0.0.1:{}", self.port),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// Polls `eth_chainId` until it answers; fails early if the process exits.
    async fn wait_ready(&mut self) -> Result<u64, AnvilError> {
        let provider = ProviderBuilder::new().connect_http(self.url.clone());
        let started = Instant::now();
        loop {
            if let Ok(id) = provider.get_chain_id().await {
                return Ok(id);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the reader thread a moment to collect the last message.
                tokio::time::sleep(Duration::from_millis(20)).await;
                return Err(AnvilError::Exited {
                    status: status.to_string(),
                    stderr: self.stderr_text(),
                });
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(AnvilError::NotReady {
                    url: self.url.to_string(),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// The node's HTTP RPC URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The node's websocket URL (`ws://127.0.0.1:PORT`).
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The chain id the node reported.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The process id (e.g. for logs).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A provider that signs with the ten dev accounts (account 0 by default; any other one when it
    /// is the transaction's `from`) and fills gas, chain id and nonce. The nonce is read from the
    /// node's pending count on every send, not cached: with alloy's cached nonces a send that fails in
    /// gas estimation can still consume a nonce and leave every later transaction stuck behind a gap.
    /// (Concurrent sends from one account need a real nonce manager.)
    pub fn provider(&self) -> DynProvider {
        ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .with_chain_id(self.chain_id)
            .wallet(dev_wallet())
            .connect_http(self.url.clone())
            .erased()
    }

    /// A provider without a wallet (reads, `eth_call`, anvil's RPC extensions).
    pub fn read_provider(&self) -> DynProvider {
        ProviderBuilder::new()
            .connect_http(self.url.clone())
            .erased()
    }

    /// What the node wrote on stderr so far (its last 16 KiB), the fork URL redacted.
    pub fn stderr_text(&self) -> String {
        let text = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        match &self.fork_url {
            Some(url) => scrub_url(&text, url),
            None => text,
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the child's stdout: sends the port of its `Listening on 127.0.0.1:PORT` line, then keeps
/// draining (anvil logs every RPC method there) so that the pipe never fills.
fn spawn_stdout_reader(pipe: std::process::ChildStdout, port: tokio::sync::oneshot::Sender<u16>) {
    use std::io::BufRead;
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(pipe);
        let mut line = String::new();
        let mut port = Some(port);
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if port.is_some()
                && let Some(p) = listening_port(&line)
                && let Some(tx) = port.take()
            {
                let _ = tx.send(p);
            }
        }
    });
}

/// The port of anvil's `Listening on 127.0.0.1:PORT` line.
fn listening_port(line: &str) -> Option<u16> {
    let addr = line.trim().strip_prefix("Listening on ")?;
    addr.rsplit_once(':')?.1.parse().ok()
}

/// Keeps the last 16 KiB of the child's stderr, so the pipe never fills and a failure can say why.
fn spawn_stderr_reader(mut pipe: std::process::ChildStderr, sink: Arc<Mutex<String>>) {
    const KEEP: usize = 16 * 1024;
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut s) = sink.lock() {
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
                if s.len() > KEEP {
                    let mut cut = s.len() - KEEP;
                    while !s.is_char_boundary(cut) {
                        cut += 1;
                    }
                    s.drain(..cut);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256};

    #[test]
    fn options_become_anvil_flags() {
        let o = AnvilOptions {
            chain_id: Some(100),
            fork_url: Some("http://127.0.0.1:1".into()),
            fork_block: Some(7),
            code_size_limit: Some(32768),
            no_mining: true,
            ..Default::default()
        };
        let args = o.args(9999).join(" ");
        assert!(args.starts_with("--host 127.0.0.1 --port 9999 "));
        assert!(args.contains("--chain-id 100"));
        assert!(args.contains("--fork-url http://127.0.0.1:1 --fork-block-number 7"));
        assert!(args.contains("--code-size-limit 32768"));
        assert!(args.ends_with("--no-mining"));
    }

    #[tokio::test]
    async fn a_fork_url_is_passed_whole_but_never_shown() {
        let url = "http://127.0.0.1:1/v3/SECRETFORKKEY?apikey=SECRETQUERY";
        let o = AnvilOptions {
            fork_url: Some(url.into()),
            ..Default::default()
        };
        assert!(
            o.args(1).join(" ").contains(url),
            "anvil needs the real URL"
        );
        let shown = format!("{o:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        // anvil cannot reach the fork: its error quotes the URL, ours does not
        let err = Anvil::spawn(o).await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[tokio::test]
    async fn starts_answers_and_stops_on_drop() {
        let node = Anvil::spawn(AnvilOptions {
            chain_id: Some(4242),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(node.chain_id(), 4242);
        let p = node.provider();
        let bal = p.get_balance(dev_addresses()[3]).await.unwrap();
        assert_eq!(
            bal,
            U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
        );
        let url = node.url().clone();
        drop(node);
        let after = ProviderBuilder::new()
            .connect_http(url)
            .get_chain_id()
            .await;
        assert!(after.is_err(), "the node must be gone after drop");
    }

    #[test]
    fn reads_the_port_anvil_listens_on() {
        assert_eq!(
            listening_port("Listening on 127.0.0.1:35035\n"),
            Some(35035)
        );
        assert_eq!(listening_port("eth_chainId"), None);
        assert_eq!(listening_port("Listening on 127.0.0.1:x"), None);
    }

    #[tokio::test]
    async fn concurrent_nodes_get_distinct_ports_and_stay_their_own() {
        let nodes =
            futures::future::join_all((0..6).map(|_| Anvil::spawn(AnvilOptions::default()))).await;
        let mut nodes: Vec<Anvil> = nodes.into_iter().map(|n| n.unwrap()).collect();
        let ports: std::collections::HashSet<u16> = nodes.iter().map(|n| n.port()).collect();
        assert_eq!(ports.len(), nodes.len());
        for n in &mut nodes {
            assert!(n.is_running());
        }
    }

    #[tokio::test]
    async fn a_bad_flag_reports_anvils_message() {
        let err = Anvil::spawn(AnvilOptions {
            extra_args: vec!["--no-such-flag".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
        match err {
            AnvilError::Exited { stderr, .. } => {
                assert!(stderr.contains("no-such-flag"), "{stderr}")
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn dev_addresses_are_distinct() {
        let a = dev_addresses();
        let unique: std::collections::HashSet<Address> = a.iter().copied().collect();
        assert_eq!(unique.len(), a.len());
    }
}
