//! What the tests of the built `sluice` binary share: a command with a home and a wallet password,
//! its output read line by line against a deadline, a signal to it, and the arb environment (an
//! anvil and a mock Binance) with a home holding the dev wallet and the mock's keys and a config
//! that trades on it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use rust_decimal::Decimal;
use sluice_sim::anvil::DEV_MNEMONIC;
use sluice_sim::arb_env::{ArbEnv, ArbEnvOptions};
use sluice_sim::arb_toml::StrategyToml;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

/// What a command run to its end gave.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// How a test runs the CLI: the wallet password it gives and how long a command may take.
#[derive(Debug, Clone, Copy)]
pub struct Cli {
    pub password: &'static str,
    pub wait: Duration,
}

impl Cli {
    /// `sluice ARGS` with `SLUICE_HOME` set to `home` (removed if `None`), `SLUICE_MANIFEST`
    /// removed, the password in the environment, warn-level logs, no stdin, stdout and stderr
    /// piped; killed if dropped.
    pub fn command<S: AsRef<OsStr>>(
        &self,
        args: impl IntoIterator<Item = S>,
        home: Option<&Path>,
    ) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
        c.args(args)
            .env_remove("SLUICE_HOME")
            .env_remove("SLUICE_MANIFEST")
            .env("SLUICE_PASSWORD", self.password)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(h) = home {
            c.env("SLUICE_HOME", h);
        }
        c
    }

    /// `sluice ARGS` in `home` from synchronous test code, fed `stdin`, run to its end; the chain
    /// and LCD overrides of the caller's environment removed.
    pub fn run(&self, home: &Path, args: &[&str], stdin: &str) -> Run {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .env("SLUICE_HOME", home)
            .env("SLUICE_PASSWORD", self.password)
            .env("RUST_LOG", "warn")
            .env_remove("SLUICE_MANIFEST")
            .env_remove("SLUICE_CHAINS_DIR")
            .env_remove("SLUICE_LCD_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// `sluice ARGS` in `home`, fed `stdin` (if any), run to its end (bounded).
    pub async fn output<S: AsRef<OsStr>>(
        &self,
        home: &Path,
        args: impl IntoIterator<Item = S>,
        stdin: Option<&str>,
    ) -> Output {
        let mut c = self.command(args, Some(home));
        c.stdin(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await.unwrap();
        }
        drop(input);
        tokio::time::timeout(self.wait, child.wait_with_output())
            .await
            .expect("sluice did not finish in time")
            .unwrap()
    }

    /// Runs a command to its end (bounded): (success, stdout, stderr).
    pub async fn finish(&self, mut c: Command) -> (bool, String, String) {
        let out = tokio::time::timeout(self.wait, c.output())
            .await
            .expect("the command did not end in time")
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A short command in `home` fed `stdin`; panics unless it succeeds.
    pub async fn ok(&self, home: &Path, args: &[&str], stdin: &str) {
        let out = self.output(home, args, Some(stdin)).await;
        assert!(
            out.status.success(),
            "sluice {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Reads lines into `seen` until one satisfies `pred` (bounded by the wait).
    pub async fn until(
        &self,
        rx: &mut mpsc::UnboundedReceiver<String>,
        seen: &mut Vec<String>,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(line)) => {
                    let hit = pred(&line);
                    seen.push(line);
                    if hit {
                        return;
                    }
                }
                Ok(None) => panic!("output ended before {what}: {seen:#?}"),
                Err(_) => panic!("no {what} within {:?}: {seen:#?}", self.wait),
            }
        }
    }

    /// Stores the dev wallet (as `dev`) and the mock's API keys (for `binance`) in `home`, and
    /// writes a `sluice arb` config for `env` into `dir` (its `[connect]` tables write the
    /// manifest beside it): the config file.
    pub async fn arb_setup(&self, env: &ArbEnv, home: &Path, dir: &Path) -> PathBuf {
        self.ok(
            home,
            &["wallet", "import", "--name", "dev", "--mnemonic-stdin"],
            &format!("{DEV_MNEMONIC}\n"),
        )
        .await;
        self.ok(
            home,
            &["keys", "add", "--venue", "binance", "--stdin"],
            &format!("{}\n{}\n", env.mock.api_key(), env.mock.api_secret()),
        )
        .await;
        let config_file = dir.join("arb.toml");
        let manifest = dir.join("manifest.json");
        let config = format!(
            "{}\n{}",
            StrategyToml::default().text(),
            env.connect_toml("dev", &manifest).unwrap()
        );
        std::fs::write(&config_file, config).unwrap();
        config_file
    }
}

/// An anvil and a mock Binance whose book is centred on `exchange_mid`, trading as the dev
/// account `account_index`, its router approval done beforehand if `preapprove_router`; the rest
/// as [`ArbEnvOptions::default`].
pub async fn arb_env(exchange_mid: Decimal, account_index: u64, preapprove_router: bool) -> ArbEnv {
    ArbEnv::start(ArbEnvOptions {
        exchange_mid,
        account_index,
        preapprove_router,
        ..ArbEnvOptions::default()
    })
    .await
    .unwrap()
}

/// Forwards each line of `pipe` to a channel (and ends with it).
pub fn lines(pipe: impl AsyncRead + Unpin + Send + 'static) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Sends `signal` to `pid` (negative: its process group), a child the test spawned and still owns.
pub fn kill(pid: i32, signal: i32) {
    // SAFETY: kill(2) on a process (or group) the test spawned and still owns; no memory involved.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

/// Ctrl-C (SIGINT) to a running child.
pub fn interrupt(child: &tokio::process::Child) {
    kill(i32::try_from(child.id().unwrap()).unwrap(), libc::SIGINT);
}

/// Reads the stdout of a blocking `child` line by line until `done(all so far, last line)`: what
/// it printed (each line ended by `\n`), or its stderr if stdout ended first.
pub fn read_until(
    child: &mut std::process::Child,
    done: impl Fn(&str, &str) -> bool,
) -> Result<String, String> {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut out = String::new();
    loop {
        let Some(line) = lines.next() else {
            return Err(stderr_of(child));
        };
        let line = line.unwrap();
        out.push_str(&line);
        out.push('\n');
        if done(&out, &line) {
            return Ok(out);
        }
    }
}

/// All a blocking child writes to its stderr (read to its end).
pub fn stderr_of(child: &mut std::process::Child) -> String {
    use std::io::Read;
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    err
}

/// The strings of `list`, owned.
pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
