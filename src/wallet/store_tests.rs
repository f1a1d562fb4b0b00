//! Tests of the wallet store: the sealed secret bound to the file's name, kind and address,
//! legacy (version 1) files, folder modes, and redaction.

use super::*;

const PHRASE: &str = "test test test test test test test test test test test junk";
const ADDRESS_0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const ADDRESS_1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// A version 1 wallet file written by sluice before bindings existed (password `legacy-pw`).
const LEGACY_V1: &str = concat!(
    r#"{"format": "sluice-wallet", "version": 1, "name": "legacy", "kind": "mnemonic", "#,
    r#""evm_address": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "sealed": {"format": "#,
    r#""sluice-sealed", "version": 1, "kdf": {"name": "scrypt", "log_n": 17, "r": 8, "p": 1, "#,
    r#""salt": "6eea76e80555bd0a460d42ddc846f6a0afd29d55819eef2daffe1179de6cc3b6"}, "cipher": "#,
    r#"{"name": "aes-256-gcm", "nonce": "9663e540be3b798a90049bd0"}, "ciphertext": "#,
    r#""8c0571e8e68197b51ef45fe98f171df13040f570873cd5650beebee10f42f0d7bc781946eeb3328c13462f2c"#,
    r#"266b2fbf16652958b163242e7d46ee6edd67849b7ba2821f23310e416f33089b281116a1e2ac4703ac368763"#,
    r#"10c0ccb371c385b0489bab24b5ba07740c8f9a32f226236eeb50e2def729165ff2ac0ab2e224c942"}}"#
);

fn store(home: &Path) -> WalletStore {
    WalletStore::with_params(home, ScryptParams::new(10, 8, 1).unwrap())
}

fn mnemonic_wallet(name: &str) -> UnlockedWallet {
    UnlockedWallet::Mnemonic {
        name: name.into(),
        mnemonic: Mnemonic::parse(PHRASE).unwrap(),
        passphrase: SecretString::default(),
    }
}

fn pw() -> SecretString {
    SecretString::from("pw")
}

fn json_of(store: &WalletStore, name: &str) -> serde_json::Value {
    serde_json::from_slice(&fs::read(store.path_of(name).unwrap()).unwrap()).unwrap()
}

fn write_json(store: &WalletStore, name: &str, value: &serde_json::Value) {
    fs::write(store.path_of(name).unwrap(), value.to_string()).unwrap();
}

fn mismatch(result: Result<UnlockedWallet, StoreError>) -> String {
    match result {
        Err(
            e @ StoreError::Sealed {
                cause: SealError::Mismatch,
                ..
            },
        ) => e.to_string(),
        other => panic!("expected a binding mismatch, got {other:?}"),
    }
}

#[test]
fn new_files_are_version_2_and_open() {
    let home = tempfile::tempdir().unwrap();
    let s = store(home.path());
    s.save(&mnemonic_wallet("a"), &pw()).unwrap();
    let json = json_of(&s, "a");
    assert_eq!(json["version"], 2);
    assert_eq!(json["sealed"]["version"], 2);
    let w = s.unlock("a", &pw()).unwrap();
    assert_eq!(
        w.key_at(None).unwrap().evm_address().to_checksum(None),
        ADDRESS_0
    );
    assert!(matches!(
        s.unlock("a", &SecretString::from("nope")),
        Err(StoreError::Sealed {
            cause: SealError::WrongPassword,
            ..
        })
    ));
}

#[test]
fn a_file_copied_or_renamed_to_another_name_fails() {
    let home = tempfile::tempdir().unwrap();
    let s = store(home.path());
    s.save(&mnemonic_wallet("a"), &pw()).unwrap();
    s.save(&mnemonic_wallet("b"), &pw()).unwrap();
    let a = json_of(&s, "a");

    // Copied over b, its name field changed to match: the sealed secret still says "a".
    let mut copied = a.clone();
    copied["name"] = "b".into();
    write_json(&s, "b", &copied);
    let msg = mismatch(s.unlock("b", &pw()));
    assert!(
        msg.contains("wallet \"b\"") && msg.contains("renamed or copied"),
        "{msg}"
    );

    // Renamed to a new name, name field edited too.
    fs::rename(s.path_of("a").unwrap(), s.path_of("c").unwrap()).unwrap();
    let mut renamed = a.clone();
    renamed["name"] = "c".into();
    write_json(&s, "c", &renamed);
    mismatch(s.unlock("c", &pw()));

    // Renamed without touching the name field: refused before decrypting.
    write_json(&s, "c", &a);
    let err = s.unlock("c", &pw()).unwrap_err();
    assert!(err.to_string().contains("holds wallet \"a\""), "{err}");

    // Put back under its own name, it opens.
    write_json(&s, "a", &a);
    s.unlock("a", &pw()).unwrap();
}

#[test]
fn an_edited_address_or_kind_fails() {
    let home = tempfile::tempdir().unwrap();
    let s = store(home.path());
    s.save(&mnemonic_wallet("a"), &pw()).unwrap();
    let a = json_of(&s, "a");
    for (field, value) in [
        ("evm_address", ADDRESS_1),
        ("evm_address", &ADDRESS_0.to_lowercase()),
        ("kind", "private-key"),
    ] {
        let mut edited = a.clone();
        edited[field] = value.into();
        write_json(&s, "a", &edited);
        mismatch(s.unlock("a", &pw()));
        // `list` shows what the file says; unlocking is what checks it.
        assert_eq!(s.list().unwrap().len(), 1);
    }
    // A version 2 file cannot pass as version 1 to shed its binding.
    let mut downgraded = a.clone();
    downgraded["version"] = 1.into();
    write_json(&s, "a", &downgraded);
    let err = s.unlock("a", &pw()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    downgraded["sealed"]["version"] = 1.into();
    downgraded["sealed"]
        .as_object_mut()
        .unwrap()
        .remove("password_check");
    write_json(&s, "a", &downgraded);
    assert!(s.unlock("a", &pw()).is_err());
}

#[test]
fn legacy_version_1_files_still_open_and_their_address_is_checked() {
    let home = tempfile::tempdir().unwrap();
    let s = WalletStore::new(home.path());
    fs::create_dir_all(s.dir()).unwrap();
    fs::write(s.path_of("legacy").unwrap(), LEGACY_V1).unwrap();
    let pw = SecretString::from("legacy-pw");
    let w = s.unlock("legacy", &pw).unwrap();
    assert_eq!(w.kind(), WalletKind::Mnemonic);
    assert_eq!(
        w.key_at(None).unwrap().evm_address().to_checksum(None),
        ADDRESS_0
    );
    assert_eq!(s.list().unwrap()[0].evm_address, ADDRESS_0);

    // Version 1 does not authenticate the address: unlocking compares it with the secret's.
    fs::write(
        s.path_of("legacy").unwrap(),
        LEGACY_V1.replace(ADDRESS_0, ADDRESS_1),
    )
    .unwrap();
    let err = s.unlock("legacy", &pw).unwrap_err();
    assert!(matches!(err, StoreError::AddressMismatch { .. }), "{err}");
    assert!(err.to_string().contains(ADDRESS_1), "{err}");
}

#[cfg(unix)]
#[test]
fn wallets_folder_is_narrowed_to_0700_and_files_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let s = store(home.path());
    fs::create_dir_all(s.dir()).unwrap();
    fs::set_permissions(s.dir(), fs::Permissions::from_mode(0o755)).unwrap();
    s.save(&mnemonic_wallet("a"), &pw()).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(s.dir()), 0o700);
    assert_eq!(mode(&s.path_of("a").unwrap()), 0o600);
}

#[test]
fn unlocked_wallets_are_redacted_and_wiped() {
    fn wiped_on_drop<T: ZeroizeOnDrop>() {}
    wiped_on_drop::<UnlockedWallet>();
    wiped_on_drop::<SecretPayload>();
    wiped_on_drop::<Mnemonic>();
    wiped_on_drop::<crate::wallet::Seed>();
    wiped_on_drop::<SecretString>();
    wiped_on_drop::<PrivateKey>();
    wiped_on_drop::<k256::ecdsa::SigningKey>();
    wiped_on_drop::<bip39::Mnemonic>();
    let key = PrivateKey::from_hex(&"17".repeat(32)).unwrap();
    let wallets = [
        mnemonic_wallet("m"),
        UnlockedWallet::Mnemonic {
            name: "p".into(),
            mnemonic: Mnemonic::parse(PHRASE).unwrap(),
            passphrase: SecretString::from("extra words"),
        },
        UnlockedWallet::PrivateKey {
            name: "k".into(),
            key,
        },
    ];
    for w in &wallets {
        let debug = format!("{w:?} {:?}", w.key_at(None).unwrap());
        for secret in ["test", "junk", "extra words", "1717", &"17".repeat(32)] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}
