//! `sluice keys add --venue binance` stores an exchange API key and secret sealed with the wallet
//! password (`SLUICE_PASSWORD`, else a prompt); the key, the secret and, for venues that issue
//! one, the passphrase come from a no-echo prompt or, with `--stdin`, from lines on standard input
//! (typed without echo when it is a terminal). A PEM secret may be given on one line with `\n`
//! escapes. Keys of a venue sluice signs for are checked against its recipe before they are stored.
//! `sluice keys list` shows what is stored (venue, the key's first characters, when), never a
//! secret. `sluice keys sign` prints a request signed with the stored keys at a given time, through
//! the path live requests take, to compare with an exchange's documented example.

use serde::Serialize;
use sluice::cex::ApiCredentials;
use sluice::cex::http::{ApiRequest, Endpoint, PreparedRequest, RequestBody, prepare_request};
use sluice::cex::key_store::{ApiKeyStore, KeyInfo};
use sluice::cex::sign::NonceSource;
use sluice::connectors::{KeyScheme, key_scheme, key_schemes};
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
    /// Print a request signed with the stored keys at a given time, exactly as the connector
    /// would send it (to reproduce an exchange's documented signature example).
    Sign(SignArgs),
    /// Derive a layer-2 venue's keys from the wallet's Ethereum key and print their public parts.
    Derive(super::keys_derive::DeriveArgs),
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum HttpMethod {
    #[value(name = "GET")]
    Get,
    #[value(name = "POST")]
    Post,
    #[value(name = "PUT")]
    Put,
    #[value(name = "DELETE")]
    Delete,
}

impl HttpMethod {
    fn to_method(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Exchange whose stored keys sign: binance, binance_us, okx, kraken, …
    #[arg(long)]
    pub venue: String,
    #[arg(long, value_enum)]
    pub method: HttpMethod,
    /// The full URL, query included (https://api.binance.com/api/v3/order?symbol=…).
    #[arg(long)]
    pub url: String,
    /// The body, sent as given (JSON when it starts with `{` or `[`, else a form).
    #[arg(long)]
    pub body: Option<String>,
    /// The time to sign for, in milliseconds since the Unix epoch (a clock nonce derives from it).
    #[arg(long)]
    pub time_ms: u64,
    /// The nonce, for venues that sign a random or clock nonce.
    #[arg(long)]
    pub nonce: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Exchange: binance, binance_us, …
    #[arg(long)]
    pub venue: String,
    /// Read the key, the secret and (for venues that have one: OKX, KuCoin, …) the passphrase from
    /// standard input, one per line, instead of prompting. A PEM secret goes on one line with
    /// `\n` escapes.
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
        KeysCommand::Sign(a) => sign(a, ctx),
        KeysCommand::Derive(a) => super::keys_derive::derive(a, ctx),
    }
}

fn known_venues() -> String {
    key_schemes()
        .iter()
        .map(|s| s.venue)
        .collect::<Vec<_>>()
        .join(", ")
}

fn scheme_of(venue: &str) -> Result<KeyScheme, CliError> {
    key_scheme(venue).ok_or_else(|| {
        format!(
            "sluice does not know how {venue} signs requests (known: {})",
            known_venues()
        )
        .into()
    })
}

fn add(a: AddArgs, store: &ApiKeyStore) -> Result<(), CliError> {
    let scheme = key_scheme(&a.venue);
    let wants_passphrase = scheme.is_some_and(|s| s.needs_passphrase);
    let (key, secret, passphrase) = match (a.stdin, secret_input::stdin_is_terminal()) {
        (true, false) => {
            let mut stdin = std::io::stdin().lock();
            let key = secret_input::read_line(&mut stdin, "API key")?;
            let secret = secret_input::read_line(&mut stdin, "secret")?;
            let passphrase = if wants_passphrase {
                Some(secret_input::read_line(&mut stdin, "passphrase")?)
            } else {
                None
            };
            (key, secret, passphrase)
        }
        // Typed: no echo, on the terminal that is stdin.
        (true, true) => (
            trimmed(secret_input::read_hidden_line("API key: ", "API key")?),
            trimmed(secret_input::read_hidden_line("API secret: ", "secret")?),
            if wants_passphrase {
                Some(trimmed(secret_input::read_hidden_line(
                    "API passphrase: ",
                    "passphrase",
                )?))
            } else {
                None
            },
        ),
        (false, _) => (
            trimmed(Zeroizing::new(rpassword::prompt_password("API key: ")?)),
            trimmed(Zeroizing::new(rpassword::prompt_password("API secret: ")?)),
            if wants_passphrase {
                Some(trimmed(Zeroizing::new(rpassword::prompt_password(
                    "API passphrase: ",
                )?)))
            } else {
                None
            },
        ),
    };
    let mut creds = ApiCredentials::new(key.as_str(), secret.as_str())?;
    if let Some(p) = &passphrase {
        creds = creds.with_passphrase(p.as_str())?;
    }
    if let Some(scheme) = scheme {
        // A key that cannot sign (a broken PEM, a secret not in base64) is refused now.
        scheme
            .signer(&creds)
            .map_err(|e| format!("these keys cannot sign {} requests: {e}", scheme.venue))?;
    }
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

/// What `keys sign --json` prints.
#[derive(Serialize)]
struct SignedRequest {
    method: String,
    url: String,
    headers: serde_json::Map<String, serde_json::Value>,
    body: Option<String>,
}

impl SignedRequest {
    fn of(p: PreparedRequest) -> Self {
        Self {
            method: p.method.to_string(),
            url: p.url,
            headers: p
                .headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                .collect(),
            body: p.body.map(|b| String::from_utf8_lossy(&b).into_owned()),
        }
    }
}

fn sign(a: SignArgs, ctx: &Context) -> Result<(), CliError> {
    let scheme = scheme_of(&a.venue)?;
    let url = url::Url::parse(&a.url).map_err(|e| format!("--url {:?}: {e}", a.url))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("--url {:?}: not an http(s) URL", a.url).into());
    }
    let origin = url.origin().ascii_serialization();
    let mut req = ApiRequest::new(a.method.to_method(), url.path()).signed();
    req.params = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    req.body = a.body.as_deref().map(RequestBody::guess);
    let time_ms =
        i64::try_from(a.time_ms).map_err(|_| format!("--time-ms {} is too large", a.time_ms))?;
    let nonce = a.nonce.map_or(NonceSource::Derived, NonceSource::Given);
    let creds = load_credentials(ctx, &a.venue)?;
    let signer = scheme.signer(&creds)?;
    let protocol = scheme.protocol();
    let prepared = prepare_request(
        &Endpoint::new(&origin),
        protocol.as_deref(),
        Some(&signer),
        &req,
        time_ms,
        nonce,
    )?;
    let out = SignedRequest::of(prepared);
    if a.json {
        return print_json(&out);
    }
    println!("{} {}", out.method, out.url);
    for (k, v) in &out.headers {
        println!("{k}: {}", v.as_str().unwrap_or_default());
    }
    if let Some(b) = &out.body {
        println!("\n{b}");
    }
    Ok(())
}

/// The stored credentials of a venue, opened with the wallet password.
pub fn load_credentials(ctx: &Context, venue: &str) -> Result<ApiCredentials, CliError> {
    let store = ApiKeyStore::new(&ctx.home);
    let password = super::wallet::password("Wallet password: ", false)?;
    Ok(store.load(venue, password.as_bytes())?)
}
