//! Subcommands. Each lives in its own file with an `Args` struct and a `run` function; this file only
//! lists them. Output: `--json` prints one JSON document on stdout; otherwise a readable table.
//! Errors go to stderr with a non-zero exit code.

mod anvil;
mod arb;
mod balance;
mod book;
mod chains;
mod connect;
mod cosmos;
mod demo;
mod history;
mod keys;
mod keys_derive;
mod leverage;
mod order;
mod output;
mod positions;
mod quote;
mod recover;
mod swap;
mod tx;
mod venues;
mod wallet;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use sluice::chain::ChainSpecs;

pub use output::{Table, print_json};

/// Errors of the CLI layer: anything displayable, with its sources printed by `main`.
pub type CliError = Box<dyn std::error::Error + Send + Sync>;

/// sluice trades across on-chain AMMs, layer-2 order books and centralized exchanges behind one
/// interface.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Where wallets, keys and the journal live [env: SLUICE_HOME] [default: ~/.sluice].
    /// `sluice demo` journals only into a home given here, never into SLUICE_HOME's or the
    /// default one (without --home it makes a throwaway home of its own).
    #[arg(long, global = true)]
    pub home: Option<PathBuf>,
    /// A folder of extra chain specs (*.toml) that add to or replace the built-in ones.
    #[arg(long, global = true, env = "SLUICE_CHAINS_DIR")]
    pub chains_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local anvil, optionally with every protocol deployed (`sluice anvil up --deploy`).
    Anvil(anvil::Args),
    /// The native or ERC-20 balance of an address on an EVM chain.
    Balance(balance::Args),
    /// Run a local Terra with the Terraswap contracts (`sluice cosmos up --chain terra`).
    Cosmos(cosmos::Args),
    /// Run the arbitrage strategy of a config file until Ctrl-C.
    Arb(arb::Args),
    /// Run the arbitrage end to end on a local anvil and a mock Binance (no keys, no internet).
    Demo(demo::Args),
    /// List the chain specs.
    Chains(chains::Args),
    /// List every venue with its kind, chain and the state of its connector.
    Venues(venues::Args),
    /// The executable price of a size on an AMM (local exact swap math on the pools' state).
    Quote(quote::Args),
    /// Swap on an AMM with a slippage bound and a deadline, signed by a wallet.
    ///
    /// On a venue that changes positions (`--venue perp@CHAIN`, Perpetual Protocol v1) a swap is a
    /// position change: `buy AMOUNT` goes long by AMOUNT of the base (opens or increases a long,
    /// reduces or closes a short), `sell AMOUNT` goes short by it. An open, increase or reduce is
    /// `openPosition` with the notional that exchanges exactly AMOUNT at the synced reserves and
    /// that AMOUNT as its base-asset limit (it fills exactly or reverts), at the venue's `leverage`
    /// (default 1; margin in the Amm's quote token, the ClearingHouse approved for it); exactly
    /// the position's size on the other side is `closePosition` with a quote limit from
    /// --slippage; more than the position on the other side is refused (close it first).
    /// `sluice positions` shows the result.
    Swap(swap::Args),
    /// Open positions at a perpetual venue (size, entry, margin, PnL, margin ratio, funding).
    Positions(positions::Args),
    /// Set the leverage of a perpetual market at an exchange (`sluice leverage --venue V PAIR N`).
    Leverage(leverage::Args),
    /// Trades, fees, gas and realized PnL per run, from the journal.
    History(history::Args),
    /// Settle an interrupted run by hand: `--close` flattens its exposure, `--abandon` leaves it to you.
    Recover(recover::Args),
    /// Wallets: mnemonics, keys and keystores, encrypted under the sluice home.
    Wallet(wallet::Args),
    /// A live order book from an exchange (`--once --json` prints one synced snapshot).
    Book(book::Args),
    /// Place, cancel and list orders at an exchange.
    #[command(subcommand)]
    Order(order::OrderCommand),
    /// Exchange API keys, encrypted with the wallet password.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Transactions signed offline (`sluice tx sign`; the chain's family picks the form).
    #[command(subcommand)]
    Tx(tx::TxCommand),
}

/// What every subcommand gets: resolved paths and loaded chain specs.
#[allow(dead_code)] // `home` and `chain` serve the wallet, exchange and chain subcommands
pub struct Context {
    pub home: PathBuf,
    /// Whether `home` was named by `--home` on this command line (not inherited from
    /// `SLUICE_HOME`, nor the default): the only home `sluice demo` agrees to write into.
    pub home_from_flag: bool,
    pub chains: ChainSpecs,
}

#[allow(dead_code)]
impl Context {
    fn new(global: &GlobalArgs) -> Result<Self, CliError> {
        let chains = match &global.chains_dir {
            Some(dir) => ChainSpecs::builtin_and_dir(dir)?,
            None => ChainSpecs::builtin()?,
        };
        let (home, home_from_flag) = match &global.home {
            Some(h) => (h.clone(), true),
            None => match std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
                Some(h) => (PathBuf::from(h), false),
                None => (default_home()?, false),
            },
        };
        Ok(Self {
            home,
            home_from_flag,
            chains,
        })
    }

    /// Takes the home's one-trading-process lock (see `sluice::store::HomeLock`): fails at once,
    /// naming the holder's pid, when another process trades on this home.
    pub fn lock_home(&self) -> Result<sluice::store::HomeLock, CliError> {
        Ok(sluice::store::HomeLock::acquire(&self.home)?)
    }

    /// The journal of this home.
    pub fn journal_path(&self) -> PathBuf {
        self.home.join("journal.sqlite")
    }

    /// A chain spec by name, or an error listing the known ones.
    pub fn chain(&self, name: &str) -> Result<&sluice::chain::ChainSpec, CliError> {
        self.chains.get(name).ok_or_else(|| {
            format!(
                "unknown chain {name:?}; known chains: {}",
                self.chains.names().join(", ")
            )
            .into()
        })
    }
}

/// The environment variable naming the home when `--home` is not given.
pub const HOME_ENV: &str = "SLUICE_HOME";

fn default_home() -> Result<PathBuf, CliError> {
    let base = std::env::var_os("HOME").ok_or("HOME is not set; pass --home or set SLUICE_HOME")?;
    Ok(PathBuf::from(base).join(".sluice"))
}

/// Logs go to stderr; `RUST_LOG` sets the level (default: warnings), credentials kept out
/// ([`sluice::logging`]).
pub fn init_tracing() {
    let filter = sluice::logging::filter_from_env();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Context::new(&cli.global)?;
    // One trading process per home: commands that send or journal orders hold the home's lock
    // until they end; read-only ones never take it. `demo` takes the lock of the home it picks
    // itself (a throwaway one unless `--home` names one).
    let _lock = match &cli.command {
        Command::Arb(_)
        | Command::Recover(_)
        | Command::Swap(_)
        | Command::Order(order::OrderCommand::Place(_) | order::OrderCommand::Cancel(_)) => {
            Some(ctx.lock_home()?)
        }
        _ => None,
    };
    match cli.command {
        Command::Anvil(a) => anvil::run(a, &ctx).await,
        Command::Balance(a) => balance::run(a, &ctx).await,
        Command::Cosmos(a) => cosmos::run(a, &ctx).await,
        Command::Arb(a) => arb::run(a, &ctx).await,
        Command::Chains(a) => chains::run(a, &ctx),
        Command::Demo(a) => demo::run(a, &ctx).await,
        Command::Venues(a) => venues::run(a, &ctx),
        Command::Quote(a) => quote::run(a, &ctx).await,
        Command::Swap(a) => swap::run(a, &ctx).await,
        Command::Positions(a) => positions::run(a, &ctx).await,
        Command::Leverage(a) => leverage::run(a, &ctx).await,
        Command::History(a) => history::run(a, &ctx),
        Command::Recover(a) => recover::run(a, &ctx).await,
        Command::Wallet(a) => wallet::run(a, &ctx),
        Command::Book(a) => book::run(a, &ctx).await,
        Command::Order(c) => order::run(order::Args { command: c }, &ctx).await,
        Command::Keys(c) => keys::run(keys::Args { command: c }, &ctx),
        Command::Tx(c) => tx::run(c, &ctx).await,
    }
}
