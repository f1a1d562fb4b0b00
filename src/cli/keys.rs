//! `sluice keys add --venue binance` stores an exchange API key and secret sealed with the wallet
//! password (`SLUICE_PASSWORD`, else a prompt); the key and secret come from a no-echo prompt or,
//! with `--stdin`, from two lines on standard input (typed without echo when it is a terminal).
//! `sluice keys list` shows what is stored (venue, the key's first characters, when), never a
//! secret.

use serde::Serialize;
use sluice::cex::ApiCredentials;
use sluice::cex::key_store::{ApiKeyStore, KeyInfo};
use sluice::wallet::secret_input;
use zeroize::Zeroizing;

use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Store the API key and secret of an exchange account, encrypted.
    Add(AddArgs),
    /// List stored API keys (no secrets).
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Exchange: binance, binance_us, …
    #[arg(long)]
    pub venue: String,
    /// Read the key and the secret from standard input (two lines) instead of prompting.
    #[arg(long)]
    pub stdin: bool,
    /// Overwrite keys already stored for this venue.
    #[arg(long)]
    pub replace: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Listing<'a> {
    keys: &'a [KeyInfo],
}

pub fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let store = ApiKeyStore::new(&ctx.home);
    match args.command {
        KeysCommand::Add(a) => add(a, &store),
        KeysCommand::List(a) => list(a, &store),
    }
}

fn add(a: AddArgs, store: &ApiKeyStore) -> Result<(), CliError> {
    let (key, secret) = match (a.stdin, secret_input::stdin_is_terminal()) {
        (true, false) => {
            let mut stdin = std::io::stdin().lock();
            (
                secret_input::read_line(&mut stdin, "API key")?,
                secret_input::read_line(&mut stdin, "secret")?,
            )
        }
        // Typed: no echo, on the terminal that is stdin.
        (true, true) => (
            trimmed(secret_input::read_hidden_line("API key: ", "API key")?),
            trimmed(secret_input::read_hidden_line("API secret: ", "secret")?),
        ),
        (false, _) => (
            trimmed(Zeroizing::new(rpassword::prompt_password("API key: ")?)),
            trimmed(Zeroizing::new(rpassword::prompt_password("API secret: ")?)),
        ),
    };
    let creds = ApiCredentials::new(key.as_str(), secret.as_str())?;
    let password = super::wallet::password("Wallet password: ", false)?;
    let info = store.add(&a.venue, &creds, password.as_bytes(), a.replace)?;
    if a.json {
        print_json(&info)
    } else {
        println!("stored API key {}… for {}", info.key_hint, info.venue);
        Ok(())
    }
}

fn trimmed(text: Zeroizing<String>) -> Zeroizing<String> {
    Zeroizing::new(text.trim().to_string())
}

fn list(a: ListArgs, store: &ApiKeyStore) -> Result<(), CliError> {
    let keys = store.list()?;
    if a.json {
        return print_json(&Listing { keys: &keys });
    }
    let mut t = Table::new(&["venue", "key", "added (unix s)"]);
    for k in &keys {
        t.row(vec![
            k.venue.clone(),
            format!("{}…", k.key_hint),
            k.added_at.to_string(),
        ]);
    }
    t.print()
}

/// The stored credentials of a venue, opened with the wallet password.
pub fn load_credentials(ctx: &Context, venue: &str) -> Result<ApiCredentials, CliError> {
    let store = ApiKeyStore::new(&ctx.home);
    let password = super::wallet::password("Wallet password: ", false)?;
    Ok(store.load(venue, password.as_bytes())?)
}
