//! What the exchanges' command-line tests share: the CLI with its wallet password, argument lists,
//! reading `--json` output, and a sluice home holding a venue's API keys.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use rust_decimal::Decimal;
use tempfile::TempDir;

use crate::cli_support::Cli;
pub use crate::cli_support::strings;

/// The password of the test homes.
pub const PASSWORD: &str = "correct horse battery staple";

/// The CLI as the exchanges' tests run it.
pub const CLI: Cli = Cli {
    password: PASSWORD,
    wait: Duration::from_secs(300),
};

/// `list` followed by `--venue <venue>` and each `(flag, value)`: the endpoints of a simulator.
pub fn at_venue(list: &[&str], venue: &str, endpoints: &[(&str, String)]) -> Vec<String> {
    let mut v = strings(list);
    v.extend(["--venue".into(), venue.into()]);
    for (flag, value) in endpoints {
        v.extend([flag.to_string(), value.clone()]);
    }
    v
}

/// The JSON a successful command printed; fails with its output otherwise.
pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A decimal printed as a JSON string.
pub fn dec(v: &serde_json::Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

/// `sluice keys add --venue <venue> --stdin` in `home`, fed `lines` (key, secret, passphrase, …)
/// one per line; fails if refused.
pub async fn add_keys(home: &Path, venue: &str, lines: &[&str]) {
    let stdin: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = CLI
        .output(
            home,
            strings(&["keys", "add", "--venue", venue, "--stdin"]),
            Some(&stdin),
        )
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh sluice home holding `venue`'s API keys (`lines` as for [`add_keys`]).
pub async fn home_with_keys(venue: &str, lines: &[&str]) -> TempDir {
    let home = tempfile::tempdir().unwrap();
    add_keys(home.path(), venue, lines).await;
    home
}
