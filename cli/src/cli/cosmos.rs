//! `sluice cosmos up --chain terra|terra_classic [--port P] [--json]`: runs the local Terra (the
//! Terraswap factory, pairs and a CW20 token at fixed addresses, the dev mnemonic's accounts
//! funded, pools seeded as the demo needs) until Ctrl-C or SIGTERM. It prints
//! `{"lcd_url","chain_id","contracts":{…},"accounts":[…]}` as one JSON line with `--json`, or
//! the same facts as text. The venue `terra_swap@terra_local` (or `@terra_classic_local`)
//! reaches it on the default port 1317 with no flags.

use std::io::Write as _;

use sluice_sim::cosmos::{Flavor, LocalTerra};

use super::{CliError, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CosmosCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CosmosCommand {
    /// Start a local Terra with the Terraswap contracts and keep it running until Ctrl-C.
    Up(UpArgs),
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// terra (phoenix-1's fees) or terra_classic (columbus-5's gas price and burn tax).
    #[arg(long)]
    chain: String,
    /// Listen on this port (0: a free one).
    #[arg(long, default_value_t = 1317)]
    port: u16,
    /// Print one JSON line instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args, _ctx: &Context) -> Result<(), CliError> {
    let CosmosCommand::Up(up) = args.command;
    let flavor = Flavor::parse(&up.chain).ok_or_else(|| {
        format!(
            "--chain {:?}: the local Cosmos chains are terra and terra_classic",
            up.chain
        )
    })?;
    let t = LocalTerra::start(flavor, up.port)
        .await
        .map_err(|e| e.to_string())?;
    let summary = t.summary();
    let mut out = std::io::stdout().lock();
    if up.json {
        writeln!(out, "{}", serde_json::to_string(&summary)?)?;
    } else {
        writeln!(out, "local {} listening", t.spec.display_name)?;
        writeln!(out, "LCD URL:   {}", t.lcd_url())?;
        writeln!(out, "chain id:  {}", t.chain_id)?;
        for (name, addr) in &t.addresses {
            writeln!(out, "{name:<20} {addr}")?;
        }
        for a in &t.accounts {
            let coins: Vec<String> = a.coins.iter().map(ToString::to_string).collect();
            writeln!(out, "account {} {} {}", a.index, a.address, coins.join(","))?;
        }
        writeln!(out, "Ctrl-C to stop")?;
    }
    out.flush()?;
    drop(out);
    wait_for_stop_signal().await
}

async fn wait_for_stop_signal() -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
