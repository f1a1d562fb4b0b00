//! `sluice wallet …`: create, import, list and use wallets kept encrypted under the sluice home.
//!
//! The wallet password comes from `SLUICE_PASSWORD` when it is set (taken out of the environment at
//! start-up, see `sluice::wallet::secret_input`), else from a prompt on the terminal (no echo).
//! Secrets are read from stdin (without echo when it is a terminal) or from a named environment
//! variable, never from arguments (which other users can see in the process list).

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;
use sluice::chain::{ChainFamily, ChainSpec};
use sluice::wallet::keystore::EXPORT_SCRYPT;
use sluice::wallet::{
    ChainAccount, DerivationPath, Mnemonic, PrivateKey, SecretString, UnlockedWallet, WalletStore,
    WordCount, WriteMode, decrypt_keystore, encrypt_keystore, write_private_file,
};
use sluice::wallet::{PASSWORD_ENV, secret_input};
use zeroize::Zeroizing;

use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Debug, Subcommand)]
enum WalletCommand {
    /// Create a wallet from a new random mnemonic and print the mnemonic once.
    New(NewArgs),
    /// Import a BIP-39 mnemonic read from stdin.
    Import(ImportArgs),
    /// Import an Ethereum keystore v3 file.
    ImportKeystore(ImportKeystoreArgs),
    /// Import a raw private key (64 hex digits) read from stdin.
    ImportKey(ImportKeyArgs),
    /// List the wallets (no password needed).
    List(ListArgs),
    /// Print the address of a wallet on a chain.
    Address(AddressArgs),
    /// Export one EVM key of a wallet as a keystore v3 file.
    ExportKeystore(ExportKeystoreArgs),
}

#[derive(Debug, clap::Args)]
struct NewArgs {
    /// Wallet name (letters, digits, '-', '_').
    #[arg(long)]
    name: String,
    /// Number of words: 12 or 24.
    #[arg(long, default_value = "12", value_parser = parse_word_count)]
    words: WordCount,
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    #[arg(long)]
    name: String,
    /// Read the mnemonic from stdin (required: secrets are never taken from arguments); typed on a
    /// terminal, it is not echoed.
    #[arg(long, required = true)]
    mnemonic_stdin: bool,
    /// Name of an environment variable holding the optional BIP-39 passphrase.
    #[arg(long, value_name = "VAR")]
    bip39_passphrase_env: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ImportKeystoreArgs {
    #[arg(long)]
    name: String,
    /// The keystore v3 JSON file.
    file: PathBuf,
    /// Name of an environment variable holding the keystore's password (default: the wallet
    /// password).
    #[arg(long, value_name = "VAR")]
    keystore_password_env: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ImportKeyArgs {
    #[arg(long)]
    name: String,
    /// Read the private key (hex) from stdin (required); typed on a terminal, it is not echoed.
    #[arg(long, required = true)]
    key_stdin: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct AddressArgs {
    #[arg(long)]
    name: String,
    /// Chain name (see `sluice chains`), e.g. ethereum, xdai, celo, terra.
    #[arg(long)]
    chain: String,
    /// Account index (below 2^31) under the chain's key path.
    #[arg(long, default_value_t = 0)]
    index: u64,
    /// A custom derivation path instead of the chain's (experts), e.g. "m/44'/60'/1'/0/0".
    #[arg(long, conflicts_with = "index")]
    path: Option<String>,
    /// Print `{"chain", "path", "address"}` as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ExportKeystoreArgs {
    #[arg(long)]
    name: String,
    /// An EVM chain name (ethereum, xdai, celo, …).
    #[arg(long)]
    chain: String,
    #[arg(long, default_value_t = 0)]
    index: u64,
    /// A custom derivation path instead of the chain's (experts).
    #[arg(long, conflicts_with = "index")]
    path: Option<String>,
    /// Where to write the keystore (must not exist yet).
    #[arg(long)]
    out: PathBuf,
    /// Name of an environment variable holding the password for the exported file (default: the
    /// wallet password).
    #[arg(long, value_name = "VAR")]
    keystore_password_env: Option<String>,
}

pub fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let store = WalletStore::new(&ctx.home);
    match args.command {
        WalletCommand::New(a) => new(a, &store),
        WalletCommand::Import(a) => import(a, &store),
        WalletCommand::ImportKeystore(a) => import_keystore(a, &store),
        WalletCommand::ImportKey(a) => import_key(a, &store),
        WalletCommand::List(a) => list(a, &store),
        WalletCommand::Address(a) => address(a, ctx, &store),
        WalletCommand::ExportKeystore(a) => export_keystore(a, ctx, &store),
    }
}

fn new(a: NewArgs, store: &WalletStore) -> Result<(), CliError> {
    ensure_free(store, &a.name)?;
    let mnemonic = Mnemonic::generate(a.words)?;
    let password = new_password()?;
    let wallet = UnlockedWallet::Mnemonic {
        name: a.name,
        mnemonic,
        passphrase: SecretString::default(),
    };
    let info = store.save(&wallet, &password)?;
    let UnlockedWallet::Mnemonic { mnemonic, .. } = &wallet else {
        return Err("internal error: new wallet is not a mnemonic wallet".into());
    };
    println!(
        "Created wallet {:?} (first address {}).",
        info.name, info.evm_address
    );
    println!();
    println!(
        "WRITE DOWN these {} words, in order, and keep them offline. They are shown only this once",
        mnemonic.word_count()
    );
    println!("and anyone who has them controls the funds:");
    println!();
    println!("{}", &*mnemonic.phrase());
    Ok(())
}

fn import(a: ImportArgs, store: &WalletStore) -> Result<(), CliError> {
    ensure_free(store, &a.name)?;
    let phrase = read_stdin_secret(
        "Mnemonic (the words are not shown as you type): ",
        "mnemonic",
    )?;
    let mnemonic = Mnemonic::parse(&phrase)?;
    let passphrase = match &a.bip39_passphrase_env {
        Some(var) => secret_from_env(var)?,
        None => SecretString::default(),
    };
    let password = new_password()?;
    let wallet = UnlockedWallet::Mnemonic {
        name: a.name,
        mnemonic,
        passphrase,
    };
    let info = store.save(&wallet, &password)?;
    println!(
        "Imported wallet {:?} (first address {}).",
        info.name, info.evm_address
    );
    Ok(())
}

fn import_keystore(a: ImportKeystoreArgs, store: &WalletStore) -> Result<(), CliError> {
    ensure_free(store, &a.name)?;
    let text = std::fs::read_to_string(&a.file)
        .map_err(|e| format!("cannot read keystore {}: {e}", a.file.display()))?;
    let (keystore_password, wallet_password) = match &a.keystore_password_env {
        Some(var) => (secret_from_env(var)?, new_password()?),
        None => {
            let p = password("Keystore password (also used for the new wallet): ", false)?;
            (p.clone(), p)
        }
    };
    let key = decrypt_keystore(&text, keystore_password.as_bytes())
        .map_err(|e| format!("keystore {}: {e}", a.file.display()))?;
    let wallet = UnlockedWallet::PrivateKey { name: a.name, key };
    let info = store.save(&wallet, &wallet_password)?;
    println!(
        "Imported wallet {:?} (address {}).",
        info.name, info.evm_address
    );
    Ok(())
}

fn import_key(a: ImportKeyArgs, store: &WalletStore) -> Result<(), CliError> {
    ensure_free(store, &a.name)?;
    let text = read_stdin_secret("Private key, hex (not shown as you type): ", "private key")?;
    let key = PrivateKey::from_hex(&text)?;
    let password = new_password()?;
    let wallet = UnlockedWallet::PrivateKey { name: a.name, key };
    let info = store.save(&wallet, &password)?;
    println!(
        "Imported wallet {:?} (address {}).",
        info.name, info.evm_address
    );
    Ok(())
}

fn list(a: ListArgs, store: &WalletStore) -> Result<(), CliError> {
    let wallets = store.list()?;
    if a.json {
        return print_json(&wallets);
    }
    let mut t = Table::new(&["name", "kind", "first evm address"]);
    for w in wallets {
        t.row(vec![w.name, w.kind.as_str().to_string(), w.evm_address]);
    }
    t.print()
}

#[derive(Serialize)]
struct AddressOut {
    chain: String,
    /// `None` for a single-key wallet.
    path: Option<String>,
    address: String,
}

fn address(a: AddressArgs, ctx: &Context, store: &WalletStore) -> Result<(), CliError> {
    let chain = ctx.chain(&a.chain)?;
    let wallet = store.unlock(&a.name, &password("Wallet password: ", false)?)?;
    let account = chosen_account(&wallet, chain, a.index, a.path.as_deref())?;
    let path = account.path.as_ref().map(ToString::to_string);
    tracing::debug!(wallet = %a.name, chain = %chain.name, path = ?path, "address derived");
    if a.json {
        return print_json(&AddressOut {
            chain: chain.name.clone(),
            path,
            address: account.address,
        });
    }
    println!("{}", account.address);
    Ok(())
}

fn export_keystore(
    a: ExportKeystoreArgs,
    ctx: &Context,
    store: &WalletStore,
) -> Result<(), CliError> {
    let chain = ctx.chain(&a.chain)?;
    if chain.family != ChainFamily::Evm {
        return Err(format!(
            "chain {:?} is not an EVM chain: keystore v3 files hold EVM keys",
            chain.name
        )
        .into());
    }
    if a.out.exists() {
        return Err(format!("{} already exists; choose another --out", a.out.display()).into());
    }
    let wallet_password = password("Wallet password: ", false)?;
    let wallet = store.unlock(&a.name, &wallet_password)?;
    let account = chosen_account(&wallet, chain, a.index, a.path.as_deref())?;
    let keystore_password = match &a.keystore_password_env {
        Some(var) => secret_from_env(var)?,
        None => wallet_password,
    };
    let json = Zeroizing::new(encrypt_keystore(
        &account.key,
        keystore_password.as_bytes(),
        EXPORT_SCRYPT,
    )?);
    write_private_file(&a.out, json.as_bytes(), WriteMode::CreateNew)?;
    println!(
        "Wrote the keystore of {} ({}) to {}.",
        account.address,
        account
            .path
            .map(|p| p.to_string())
            .unwrap_or_else(|| "single key".into()),
        a.out.display()
    );
    Ok(())
}

/// The account chosen by `--index` or `--path` (a custom path is refused for single-key wallets).
fn chosen_account(
    wallet: &UnlockedWallet,
    chain: &ChainSpec,
    index: u64,
    custom: Option<&str>,
) -> Result<ChainAccount, CliError> {
    Ok(match (custom, wallet) {
        (Some(p), UnlockedWallet::Mnemonic { .. }) => {
            wallet.account_at(chain, Some(p.parse::<DerivationPath>()?))?
        }
        (Some(_), UnlockedWallet::PrivateKey { name, .. }) => {
            return Err(format!(
                "wallet {name:?} holds a single private key: --path does not apply"
            )
            .into());
        }
        (None, _) => wallet.account(chain, index)?,
    })
}

fn parse_word_count(s: &str) -> Result<WordCount, String> {
    match s {
        "12" => Ok(WordCount::Twelve),
        "24" => Ok(WordCount::TwentyFour),
        _ => Err("must be 12 or 24".into()),
    }
}

fn ensure_free(store: &WalletStore, name: &str) -> Result<(), CliError> {
    if store.path_of(name)?.exists() {
        return Err(format!("a wallet named {name:?} already exists").into());
    }
    Ok(())
}

/// The key of account `index` of wallet `name` on `chain`, the wallet unlocked with its password
/// (`SLUICE_PASSWORD`, else a prompt).
pub(super) fn account_key(
    ctx: &Context,
    name: &str,
    chain: &sluice::chain::ChainSpec,
    index: u64,
) -> Result<sluice::wallet::PrivateKey, CliError> {
    let store = WalletStore::new(&ctx.home);
    let wallet = store.unlock(name, &password("Wallet password: ", false)?)?;
    Ok(wallet.account(chain, index)?.key)
}

/// The wallet password: `SLUICE_PASSWORD` if it was set at start-up, else a prompt.
pub(super) fn password(prompt: &str, confirm: bool) -> Result<SecretString, CliError> {
    if let Some(value) = secret_input::password_from_env()? {
        return Ok(value);
    }
    let first = SecretString::new(rpassword::prompt_password(prompt).map_err(|e| {
        format!("cannot read the password from the terminal ({e}); set {PASSWORD_ENV}")
    })?);
    if confirm {
        let again = SecretString::new(
            rpassword::prompt_password("Repeat the password: ")
                .map_err(|e| format!("cannot read the password from the terminal: {e}"))?,
        );
        if again.expose() != first.expose() {
            return Err("the two passwords differ".into());
        }
    }
    Ok(first)
}

/// A password for a new wallet: not empty, confirmed when typed.
fn new_password() -> Result<SecretString, CliError> {
    let p = password("New wallet password: ", true)?;
    if p.is_empty() {
        return Err("the wallet password must not be empty".into());
    }
    Ok(p)
}

fn secret_from_env(var: &str) -> Result<SecretString, CliError> {
    match std::env::var_os(var) {
        Some(v) => Ok(SecretString::new(v.into_string().map_err(|_| {
            format!("environment variable {var} is not valid UTF-8")
        })?)),
        None => Err(format!("environment variable {var} is not set").into()),
    }
}

/// A secret from stdin: one line typed without echo when stdin is a terminal, else all of the pipe.
fn read_stdin_secret(prompt: &str, what: &'static str) -> Result<Zeroizing<String>, CliError> {
    let text = if secret_input::stdin_is_terminal() {
        secret_input::read_hidden_line(prompt, what)?
    } else {
        secret_input::read_all_stdin(what)?
    };
    if text.trim().is_empty() {
        return Err(format!("no {what} was read from stdin").into());
    }
    Ok(text)
}
