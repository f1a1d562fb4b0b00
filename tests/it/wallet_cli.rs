//! The `sluice wallet` CLI end to end, run as the built binary with a temporary `SLUICE_HOME`:
//! the documented command forms, bad input (clear error, non-zero exit, no file left behind), and
//! secret hygiene at `RUST_LOG=trace` (no mnemonic, key or password in any output or file).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use sluice::wallet::{
    Mnemonic, PrivateKey, SecretString, WordCount, account_path, decrypt_keystore, derive_key,
};

const ANVIL: &str = "test test test test test test test test test test test junk";
const PASSWORD: &str = "correct horse battery staple 42";

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn sluice(home: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args(args)
        .env("SLUICE_HOME", home)
        .env("SLUICE_PASSWORD", PASSWORD)
        .env("RUST_LOG", "trace")
        .env_remove("SLUICE_CHAINS_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        ok: status.success(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn ok(home: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let r = sluice(home, args, stdin, env);
    assert!(r.ok, "{args:?} failed: {}", r.stderr);
    r
}

/// Every file under `dir` with its contents.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn documented_commands_work() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let out = ok(
        &home,
        &["wallet", "import", "--name", "dev", "--mnemonic-stdin"],
        ANVIL,
        &[],
    );
    assert!(
        out.stdout
            .contains("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );

    let addr = |chain: &str, index: &str| -> Value {
        let r = ok(
            &home,
            &[
                "wallet", "address", "--name", "dev", "--chain", chain, "--index", index, "--json",
            ],
            "",
            &[],
        );
        serde_json::from_str(&r.stdout).unwrap()
    };
    let a = addr("ethereum", "0");
    assert_eq!(a["chain"], "ethereum");
    assert_eq!(a["path"], "m/44'/60'/0'/0/0");
    assert_eq!(a["address"], "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert_eq!(
        addr("ethereum", "1")["address"],
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    );
    assert_eq!(
        addr("xdai", "2")["address"],
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
    );
    let celo = addr("celo", "0");
    assert_eq!(celo["path"], "m/44'/52752'/0'/0/0");
    assert_eq!(
        celo["address"],
        "0xf73d7f5A890a131f12E4fB03E50277c49748Cf5E"
    );
    let terra = addr("terra", "0");
    assert_eq!(terra["path"], "m/44'/330'/0'/0/0");
    assert_eq!(
        terra["address"],
        "terra1a72m2f0c7dayav5ly4zkzwafkdn3fmkmvwv47f"
    );

    let plain = ok(
        &home,
        &["wallet", "address", "--name", "dev", "--chain", "ethereum"],
        "",
        &[],
    );
    assert_eq!(
        plain.stdout.trim(),
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );
    let custom = ok(
        &home,
        &[
            "wallet",
            "address",
            "--name",
            "dev",
            "--chain",
            "ethereum",
            "--path",
            "m/44'/330'/0'/0/1",
        ],
        "",
        &[],
    );
    assert_eq!(
        custom.stdout.trim(),
        "0x8859D3718f14e9a0f5bA76AD6CB3535B203AF4be"
    );

    // Export index 1 as a keystore that another wallet (here: our decoder) opens.
    let ks = tmp.path().join("dev1.json");
    ok(
        &home,
        &[
            "wallet",
            "export-keystore",
            "--name",
            "dev",
            "--chain",
            "ethereum",
            "--index",
            "1",
            "--out",
            ks.to_str().unwrap(),
        ],
        "",
        &[("EXPORT_PW", "export password")],
    );
    #[cfg(unix)]
    assert_eq!(mode(&ks), 0o600);
    let text = std::fs::read_to_string(&ks).unwrap();
    let key = decrypt_keystore(&text, PASSWORD.as_bytes()).unwrap();
    assert_eq!(
        key.evm_address().to_checksum(None),
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    );

    // …with its own password via --keystore-password-env.
    let ks2 = tmp.path().join("dev2.json");
    ok(
        &home,
        &[
            "wallet",
            "export-keystore",
            "--name",
            "dev",
            "--chain",
            "celo",
            "--out",
            ks2.to_str().unwrap(),
            "--keystore-password-env",
            "EXPORT_PW",
        ],
        "",
        &[("EXPORT_PW", "export password")],
    );
    let key2 =
        decrypt_keystore(&std::fs::read_to_string(&ks2).unwrap(), b"export password").unwrap();
    assert_eq!(
        key2.evm_address().to_checksum(None),
        "0xf73d7f5A890a131f12E4fB03E50277c49748Cf5E"
    );

    // Import it back, and a raw key.
    ok(
        &home,
        &[
            "wallet",
            "import-keystore",
            "--name",
            "celo-ks",
            ks2.to_str().unwrap(),
            "--keystore-password-env",
            "EXPORT_PW",
        ],
        "",
        &[("EXPORT_PW", "export password")],
    );
    ok(
        &home,
        &[
            "wallet",
            "import-keystore",
            "--name",
            "eth-ks",
            ks.to_str().unwrap(),
        ],
        "",
        &[],
    );
    ok(
        &home,
        &["wallet", "import-key", "--name", "raw", "--key-stdin"],
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a\n",
        &[],
    );
    let raw = ok(
        &home,
        &[
            "wallet", "address", "--name", "raw", "--chain", "ethereum", "--json",
        ],
        "",
        &[],
    );
    let raw: Value = serde_json::from_str(&raw.stdout).unwrap();
    assert_eq!(raw["address"], "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    assert_eq!(raw["path"], Value::Null);
    let raw1 = sluice(
        &home,
        &[
            "wallet", "address", "--name", "raw", "--chain", "ethereum", "--index", "1",
        ],
        "",
        &[],
    );
    assert!(
        !raw1.ok && raw1.stderr.contains("single private key"),
        "{}",
        raw1.stderr
    );

    // A custom path for experts, on export too.
    let ks3 = tmp.path().join("custom.json");
    ok(
        &home,
        &[
            "wallet",
            "export-keystore",
            "--name",
            "dev",
            "--chain",
            "ethereum",
            "--path",
            "m/44'/330'/0'/0/1",
            "--out",
            ks3.to_str().unwrap(),
        ],
        "",
        &[],
    );
    let key3 =
        decrypt_keystore(&std::fs::read_to_string(&ks3).unwrap(), PASSWORD.as_bytes()).unwrap();
    assert_eq!(
        key3.evm_address().to_checksum(None),
        "0x8859D3718f14e9a0f5bA76AD6CB3535B203AF4be"
    );

    let list = ok(&home, &["wallet", "list", "--json"], "", &[]);
    let list: Value = serde_json::from_str(&list.stdout).unwrap();
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["celo-ks", "dev", "eth-ks", "raw"]);
    assert_eq!(list[2]["kind"], "private-key");
    assert_eq!(
        list[2]["evm_address"],
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    );
    let table = ok(&home, &["wallet", "list"], "", &[]);
    assert!(table.stdout.contains("dev") && table.stdout.contains("mnemonic"));

    #[cfg(unix)]
    {
        assert_eq!(mode(&home.join("wallets")), 0o700);
        for f in files(&home.join("wallets")).keys() {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
    }
}

#[test]
fn new_prints_the_mnemonic_once_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    for (name, words) in [("w12", "12"), ("w24", "24")] {
        let r = ok(
            &home,
            &["wallet", "new", "--name", name, "--words", words],
            "",
            &[],
        );
        assert!(r.stdout.contains("WRITE DOWN"));
        let phrase = r.stdout.lines().last().unwrap();
        assert_eq!(phrase.split(' ').count(), words.parse::<usize>().unwrap());
        let m = Mnemonic::parse(phrase).unwrap();
        assert_eq!(r.stdout.matches(phrase).count(), 1);
        assert!(!r.stderr.contains(phrase));
        for (path, bytes) in files(&home) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(phrase),
                "{}",
                path.display()
            );
        }
        // The stored wallet is that mnemonic.
        let seed = m.to_seed(&SecretString::default());
        let want = derive_key(&seed, &account_path("m/44'/60'/0'/0", 0).unwrap()).unwrap();
        let got = ok(
            &home,
            &["wallet", "address", "--name", name, "--chain", "ethereum"],
            "",
            &[],
        );
        assert_eq!(got.stdout.trim(), want.evm_address().to_checksum(None));
    }
    let bad = sluice(
        &home,
        &["wallet", "new", "--name", "w13", "--words", "13"],
        "",
        &[],
    );
    assert!(!bad.ok);
    let dup = sluice(&home, &["wallet", "new", "--name", "w12"], "", &[]);
    assert!(
        !dup.ok && dup.stderr.contains("already exists"),
        "{}",
        dup.stderr
    );
}

#[test]
fn secrets_never_appear_in_output_logs_or_files() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let mnemonic = Mnemonic::generate(WordCount::Twelve).unwrap();
    let phrase = mnemonic.phrase().to_string();
    let passphrase = "bip39 extra words";
    let raw_key = PrivateKey::from_hex(&"17".repeat(32)).unwrap();
    let raw_hex = hex::encode(*raw_key.to_bytes());
    let seed = mnemonic.to_seed(&SecretString::from(passphrase));
    let derived: Vec<String> = (0..2)
        .map(|i| {
            hex::encode(
                *derive_key(&seed, &account_path("m/44'/60'/0'/0", i).unwrap())
                    .unwrap()
                    .to_bytes(),
            )
        })
        .collect();
    let ks = tmp.path().join("out.json");
    let env = [
        ("PASSPHRASE_VAR", passphrase),
        ("EXPORT_PW", "export-secret-pw"),
    ];

    let mut runs = vec![
        ok(
            &home,
            &[
                "wallet",
                "import",
                "--name",
                "m",
                "--mnemonic-stdin",
                "--bip39-passphrase-env",
                "PASSPHRASE_VAR",
            ],
            &phrase,
            &env,
        ),
        ok(
            &home,
            &["wallet", "import-key", "--name", "k", "--key-stdin"],
            &raw_hex,
            &env,
        ),
        ok(&home, &["wallet", "list"], "", &env),
        ok(&home, &["wallet", "list", "--json"], "", &env),
        ok(
            &home,
            &[
                "wallet", "address", "--name", "m", "--chain", "terra", "--index", "1", "--json",
            ],
            "",
            &env,
        ),
        ok(
            &home,
            &["wallet", "address", "--name", "k", "--chain", "ethereum"],
            "",
            &env,
        ),
        ok(
            &home,
            &[
                "wallet",
                "export-keystore",
                "--name",
                "m",
                "--chain",
                "ethereum",
                "--index",
                "1",
                "--out",
                ks.to_str().unwrap(),
                "--keystore-password-env",
                "EXPORT_PW",
            ],
            "",
            &env,
        ),
        ok(
            &home,
            &[
                "wallet",
                "import-keystore",
                "--name",
                "ks",
                ks.to_str().unwrap(),
                "--keystore-password-env",
                "EXPORT_PW",
            ],
            "",
            &env,
        ),
    ];
    // Failures too: wrong password, wrong keystore password, bad key.
    runs.push(sluice(
        &home,
        &["wallet", "address", "--name", "m", "--chain", "ethereum"],
        "",
        &[("SLUICE_PASSWORD", "not it")],
    ));
    runs.push(sluice(
        &home,
        &[
            "wallet",
            "import-keystore",
            "--name",
            "ks2",
            ks.to_str().unwrap(),
            "--keystore-password-env",
            "EXPORT_PW",
        ],
        "",
        &[("EXPORT_PW", "wrong-export-pw")],
    ));
    runs.push(sluice(
        &home,
        &["wallet", "import-key", "--name", "k2", "--key-stdin"],
        &format!("{raw_hex}ff"),
        &env,
    ));
    assert!(runs.iter().rev().take(3).all(|r| !r.ok));

    let words: Vec<&str> = phrase.split(' ').collect();
    let mut needles: Vec<String> = vec![
        phrase.clone(),
        raw_hex.clone(),
        raw_hex.to_uppercase(),
        PASSWORD.to_string(),
        passphrase.to_string(),
        "export-secret-pw".to_string(),
        hex::encode(seed.as_bytes()),
    ];
    needles.extend(derived.iter().cloned());
    // Any three consecutive words of the mnemonic.
    needles.extend(words.windows(3).map(|w| w.join(" ")));

    let mut haystacks: Vec<(String, String)> = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        haystacks.push((format!("run {i} stdout"), r.stdout.clone()));
        haystacks.push((format!("run {i} stderr"), r.stderr.clone()));
    }
    for (path, bytes) in files(tmp.path()) {
        haystacks.push((
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    // The trace level is really on: the address command logs at debug.
    assert!(
        runs[4].stderr.contains("address derived"),
        "{}",
        runs[4].stderr
    );
    for (label, text) in &haystacks {
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "a secret appears in {label}"
            );
        }
    }
    assert!(haystacks.len() > 20);
}

/// A mistyped mnemonic is located (word N of M, or the checksum) and never echoed: not the bad
/// word, not any other word, at trace level, whether the phrase comes from a pipe or a file.
#[test]
fn mistyped_mnemonic_is_located_and_never_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    // The BIP-39 vector of entropy 0x7f×32: words that no message or log line uses.
    let phrase = Mnemonic::from_entropy(&[0x7f; 32])
        .unwrap()
        .phrase()
        .to_string();
    let words: Vec<&str> = phrase.split(' ').collect();
    assert_eq!(words[..3], ["legal", "winner", "thank"]);
    let mut typo = words.clone();
    typo[6] = "worthh";
    let mut swapped = words.clone();
    swapped.swap(0, 1);
    assert!(Mnemonic::parse(&swapped.join(" ")).is_err());
    let cases = [
        (
            typo.join(" "),
            "word 7 of 24 is not in the BIP-39 English word list",
        ),
        (swapped.join(" "), "the checksum of the 24 words failed"),
    ];
    for (input, message) in cases {
        let r = sluice(
            &home,
            &["wallet", "import", "--name", "w", "--mnemonic-stdin"],
            &input,
            &[],
        );
        assert!(!r.ok);
        assert!(r.stderr.contains(message), "{}", r.stderr);
        let output = format!("{}{}", r.stdout, r.stderr);
        for word in words.iter().chain(&["worthh"]) {
            assert!(
                !output.contains(word),
                "the word {word:?} is echoed: {output}"
            );
        }
    }
}

/// Files under `dir`, to check that a failed command left nothing behind.
fn snapshot(dir: &Path) -> Vec<PathBuf> {
    files(dir).into_keys().collect()
}

fn fails_cleanly(
    dir: &Path,
    home: &Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
    message: &str,
) {
    let before = snapshot(dir);
    let r = sluice(home, args, stdin, env);
    assert!(!r.ok, "{args:?} succeeded");
    assert!(
        r.stderr.contains(message),
        "{args:?}: stderr {:?} lacks {message:?}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(snapshot(dir), before, "{args:?} left files behind");
}

#[test]
fn bad_input_is_a_clear_error_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let home = dir.join("home");
    ok(
        &home,
        &["wallet", "import", "--name", "dev", "--mnemonic-stdin"],
        ANVIL,
        &[],
    );
    let import = ["wallet", "import", "--name", "x", "--mnemonic-stdin"];

    fails_cleanly(
        dir,
        &home,
        &import,
        &ANVIL.replace("junk", "junq"),
        &[],
        "word 12 of 12 is not in the BIP-39",
    );
    fails_cleanly(
        dir,
        &home,
        &import,
        &ANVIL.replace("junk", "test"),
        &[],
        "checksum",
    );
    fails_cleanly(dir, &home, &import, "test test", &[], "2 words");
    fails_cleanly(
        dir,
        &home,
        &import,
        ANVIL,
        &[("SLUICE_PASSWORD", "")],
        "must not be empty",
    );
    fails_cleanly(
        dir,
        &home,
        &["wallet", "import", "--name", "dev", "--mnemonic-stdin"],
        ANVIL,
        &[],
        "already exists",
    );
    fails_cleanly(
        dir,
        &home,
        &["wallet", "import", "--name", "../evil", "--mnemonic-stdin"],
        ANVIL,
        &[],
        "invalid wallet name",
    );
    fails_cleanly(
        dir,
        &home,
        &["wallet", "import-key", "--name", "x", "--key-stdin"],
        "0x1234",
        &[],
        "64 hex digits",
    );

    let addr = |extra: &[&'static str]| {
        let mut a = vec!["wallet", "address", "--name", "dev"];
        a.extend_from_slice(extra);
        a
    };
    fails_cleanly(
        dir,
        &home,
        &addr(&["--chain", "ethereum"]),
        "",
        &[("SLUICE_PASSWORD", "wrong")],
        "wrong password",
    );
    fails_cleanly(
        dir,
        &home,
        &addr(&["--chain", "solana"]),
        "",
        &[],
        "unknown chain \"solana\"",
    );
    fails_cleanly(
        dir,
        &home,
        &addr(&["--chain", "ethereum", "--index", "2147483648"]),
        "",
        &[],
        "out of range",
    );
    fails_cleanly(
        dir,
        &home,
        &addr(&["--chain", "ethereum", "--path", "m/44'/60'/x"]),
        "",
        &[],
        "invalid derivation path",
    );
    fails_cleanly(
        dir,
        &home,
        &[
            "wallet", "address", "--name", "ghost", "--chain", "ethereum",
        ],
        "",
        &[],
        "no wallet named \"ghost\"",
    );

    let out = dir.join("export.json");
    let out_s = out.to_str().unwrap();
    let export = |extra: &[&'static str]| {
        let mut a = vec!["wallet", "export-keystore", "--name", "dev", "--out", out_s];
        a.extend_from_slice(extra);
        a
    };
    fails_cleanly(
        dir,
        &home,
        &export(&["--chain", "terra"]),
        "",
        &[],
        "not an EVM chain",
    );
    fails_cleanly(
        dir,
        &home,
        &export(&["--chain", "nowhere"]),
        "",
        &[],
        "unknown chain",
    );
    fails_cleanly(
        dir,
        &home,
        &export(&["--chain", "ethereum", "--index", "4294967296"]),
        "",
        &[],
        "out of range",
    );
    fails_cleanly(
        dir,
        &home,
        &export(&["--chain", "ethereum"]),
        "",
        &[("SLUICE_PASSWORD", "wrong")],
        "wrong password",
    );

    // A good keystore, then damaged copies of it.
    let key = PrivateKey::from_hex(&"42".repeat(32)).unwrap();
    let good = sluice::wallet::encrypt_keystore(
        &key,
        PASSWORD.as_bytes(),
        sluice::wallet::ScryptParams::new(12, 8, 1).unwrap(),
    )
    .unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let truncated = write("truncated.json", &good[..good.len() / 2]);
    let doc: Value = serde_json::from_str(&good).unwrap();
    let ct = doc["crypto"]["ciphertext"].as_str().unwrap();
    let flipped = format!(
        "{}{}",
        if ct.starts_with('0') { "1" } else { "0" },
        &ct[1..]
    );
    let tampered = write("tampered.json", &good.replace(ct, &flipped));
    for (file, msg) in [
        (&truncated, "not a keystore v3 file"),
        (&tampered, "MAC mismatch"),
    ] {
        fails_cleanly(
            dir,
            &home,
            &["wallet", "import-keystore", "--name", "imp", file],
            "",
            &[],
            msg,
        );
    }
    let good_path = write("good.json", &good);
    fails_cleanly(
        dir,
        &home,
        &["wallet", "import-keystore", "--name", "imp", &good_path],
        "",
        &[("SLUICE_PASSWORD", "wrong")],
        "MAC mismatch",
    );
    ok(
        &home,
        &["wallet", "import-keystore", "--name", "imp", &good_path],
        "",
        &[],
    );
}

/// `SLUICE_PASSWORD` is taken out of the environment when sluice starts: a child it spawns (here a
/// stand-in for anvil, through `SLUICE_ANVIL`) does not inherit it, and sluice's own environment
/// block (`/proc/PID/environ`, what `ps e` shows) no longer holds it. The password still works.
#[cfg(target_os = "linux")]
#[test]
fn the_password_env_is_removed_before_children_are_spawned() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let dump = tmp.path().join("dump");
    std::fs::create_dir(&dump).unwrap();
    let fake = tmp.path().join("fake-anvil");
    std::fs::write(
        &fake,
        "#!/bin/sh\n\
         printenv SLUICE_PASSWORD > \"$DUMP/child\"\n\
         tr '\\0' '\\n' < /proc/$PPID/environ > \"$DUMP/parent\"\n\
         echo 'stand-in anvil exits' >&2\n\
         exit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = [
        ("SLUICE_ANVIL", fake.to_str().unwrap()),
        ("DUMP", dump.to_str().unwrap()),
    ];
    // A fork elsewhere in this test process may briefly hold the script open for writing.
    let mut r = sluice(&home, &["anvil", "up"], "", &env);
    for _ in 0..10 {
        if !r.stderr.contains("Text file busy") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        r = sluice(&home, &["anvil", "up"], "", &env);
    }
    assert!(!r.ok);
    assert!(r.stderr.contains("stand-in anvil exits"), "{}", r.stderr);
    let child = std::fs::read_to_string(dump.join("child")).unwrap();
    assert_eq!(child, "", "the child inherited SLUICE_PASSWORD");
    let parent = std::fs::read_to_string(dump.join("parent")).unwrap();
    assert!(parent.contains("DUMP="), "{parent}");
    assert!(
        !parent.contains(PASSWORD),
        "sluice's environ still holds the password"
    );
    assert!(!format!("{}{}", r.stdout, r.stderr).contains(PASSWORD));

    // Taken out of the environment, the password still unlocks.
    ok(
        &home,
        &["wallet", "import", "--name", "dev", "--mnemonic-stdin"],
        ANVIL,
        &[],
    );
    let addr = ok(
        &home,
        &["wallet", "address", "--name", "dev", "--chain", "ethereum"],
        "",
        &[],
    );
    assert_eq!(
        addr.stdout.trim(),
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );
}

/// What a run on a pseudo-terminal showed: the terminal's output (its echo) and the pipes.
#[cfg(target_os = "linux")]
struct Typed {
    ok: bool,
    stdout: String,
    stderr: String,
    echo: String,
}

/// Runs sluice with stdin on a pseudo-terminal and types `lines`, each after its prompt appeared
/// and the terminal's echo went off (waiting a few seconds at most: a reader that never turns echo
/// off gets the line anyway, and its echo shows in `Typed::echo`).
#[cfg(target_os = "linux")]
fn typed(home: &Path, args: &[&str], prompts_and_lines: &[(&str, &str)]) -> Typed {
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let (mut master, mut slave) = (0, 0);
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    let slave = unsafe { OwnedFd::from_raw_fd(slave) };
    let echo_on = |fd: i32| {
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0);
        t.c_lflag & libc::ECHO != 0
    };
    assert!(echo_on(slave.as_raw_fd()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_HOME", home)
        .env("SLUICE_PASSWORD", PASSWORD)
        .env("RUST_LOG", "trace")
        .env_remove("SLUICE_CHAINS_DIR")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let reader = {
        let stderr = stderr.clone();
        let mut pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                stderr
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let wait_for = |what: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !what() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let mut terminal = std::fs::File::from(master.try_clone().unwrap());
    for (prompt, line) in prompts_and_lines {
        wait_for(&|| stderr.lock().unwrap().contains(prompt));
        wait_for(&|| !echo_on(slave.as_raw_fd()));
        terminal.write_all(format!("{line}\n").as_bytes()).unwrap();
    }
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    // What the terminal displayed: read what is there without waiting for more.
    unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut echo = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = terminal.read(&mut buf) {
        echo.extend_from_slice(&buf[..n]);
    }
    let stderr = stderr.lock().unwrap().clone();
    Typed {
        ok: status.is_some_and(|s| s.success()),
        stdout,
        stderr,
        echo: String::from_utf8_lossy(&echo).into_owned(),
    }
}

/// A mnemonic, a private key and an API key pair typed on a terminal (`--mnemonic-stdin`,
/// `--key-stdin`, `keys add --stdin`) are read without echo; piped, the same flags still work
/// (the other tests of this file).
#[cfg(target_os = "linux")]
#[test]
fn secrets_typed_on_a_terminal_are_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let key = "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
    /// Arguments, (prompt, typed line) pairs, what stdout says on success.
    type Case<'a> = (&'a [&'a str], Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 3] = [
        (
            &["wallet", "import", "--name", "typed", "--mnemonic-stdin"],
            vec![("Mnemonic", ANVIL)],
            "Imported wallet \"typed\" (first address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266)",
        ),
        (
            &["wallet", "import-key", "--name", "typed-key", "--key-stdin"],
            vec![("Private key", key)],
            "Imported wallet \"typed-key\" (address 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC)",
        ),
        (
            &["keys", "add", "--venue", "binance", "--stdin"],
            vec![
                ("API key: ", "TypedApiKey42"),
                ("API secret: ", "typed-api-secret"),
            ],
            "stored API key Type… for binance",
        ),
    ];
    for (args, input, done) in cases {
        let t = typed(&home, args, &input);
        for (_, line) in &input {
            let first_word = line.split(' ').next().unwrap();
            assert!(
                !t.echo.contains(first_word),
                "{args:?}: the terminal echoed the secret: {:?}",
                t.echo
            );
            assert!(!t.stderr.contains(line), "{args:?}: {}", t.stderr);
        }
        assert!(t.ok, "{args:?} failed: {}", t.stderr);
        assert!(t.stdout.contains(done), "{args:?}: {}", t.stdout);
    }
}

/// Through the CLI: a wallet file copied to another wallet's name, or with its address edited,
/// fails with a clear error (not "wrong password"); a file written before bindings still opens.
#[test]
fn wallet_files_are_bound_to_their_name_and_address() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let wallets = home.join("wallets");
    ok(
        &home,
        &["wallet", "import", "--name", "a", "--mnemonic-stdin"],
        ANVIL,
        &[],
    );
    let address = |name: &str, env: &[(&str, &str)]| {
        sluice(
            &home,
            &["wallet", "address", "--name", name, "--chain", "ethereum"],
            "",
            env,
        )
    };
    let a: Value = serde_json::from_slice(&std::fs::read(wallets.join("a.json")).unwrap()).unwrap();

    let mut copy = a.clone();
    copy["name"] = "c".into();
    std::fs::write(wallets.join("c.json"), copy.to_string()).unwrap();
    let r = address("c", &[]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("wallet \"c\": the password is right")
            && r.stderr.contains("renamed or copied"),
        "{}",
        r.stderr
    );

    let mut edited = a.clone();
    edited["evm_address"] = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".into();
    std::fs::write(wallets.join("a.json"), edited.to_string()).unwrap();
    let r = address("a", &[]);
    assert!(
        !r.ok && r.stderr.contains("password is right"),
        "{}",
        r.stderr
    );

    // Written by sluice before bindings existed (sealed version 1, password "legacy-pw").
    let legacy = concat!(
        r#"{"format": "sluice-wallet", "version": 1, "name": "legacy", "kind": "mnemonic", "#,
        r#""evm_address": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "sealed": {"format": "#,
        r#""sluice-sealed", "version": 1, "kdf": {"name": "scrypt", "log_n": 17, "r": 8, "#,
        r#""p": 1, "salt": "6eea76e80555bd0a460d42ddc846f6a0afd29d55819eef2daffe1179de6cc3b6"}, "#,
        r#""cipher": {"name": "aes-256-gcm", "nonce": "9663e540be3b798a90049bd0"}, "ciphertext": "#,
        r#""8c0571e8e68197b51ef45fe98f171df13040f570873cd5650beebee10f42f0d7bc781946eeb3328c1346"#,
        r#"2f2c266b2fbf16652958b163242e7d46ee6edd67849b7ba2821f23310e416f33089b281116a1e2ac4703"#,
        r#"ac36876310c0ccb371c385b0489bab24b5ba07740c8f9a32f226236eeb50e2def729165ff2ac0ab2e224c942"}}"#
    );
    std::fs::write(wallets.join("legacy.json"), legacy).unwrap();
    let r = address("legacy", &[("SLUICE_PASSWORD", "legacy-pw")]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );
}
