//! `sluice anvil up [--port P] [--deploy] [--state FILE] [--fork-url URL [--fork-block N]] [--json]`:
//! runs a local anvil (the pinned binary) until Ctrl-C or SIGTERM and prints its RPC URL and, with `--deploy`, the
//! manifest of the deployed protocols (Uniswap v2/v3, Balancer V2, Perp v1, Mento v2, test tokens).
//! `sluice anvil snapshot` builds the cached deployment snapshot (the setup script runs it).
//!
//! A fork URL usually carries an API key (in its path or query): anvil gets it whole, but what is
//! printed (text and `--json`) and logged is its redacted form (scheme, host and port).

use std::path::{Path, PathBuf};

use serde::Serialize;
use sluice::chain::evm::error::redact_url;
use sluice_sim::anvil::{Anvil, AnvilOptions};
use sluice_sim::deploy::{LocalEnv, Manifest, Snapshot, deploy_all, environment, node_identity};

use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AnvilCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AnvilCommand {
    /// Start a local node and keep it running until Ctrl-C.
    Up(UpArgs),
    /// Build (or find) the cached deployment snapshot and print where it is.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// Listen on this port (default: a free one).
    #[arg(long)]
    port: Option<u16>,
    /// Start with every protocol deployed and seeded (from the cached snapshot; on a fork, deployed
    /// onto the forked chain).
    #[arg(long)]
    deploy: bool,
    /// Load the state from FILE if it exists, and write the state to FILE on Ctrl-C (the manifest goes
    /// to FILE.manifest.json).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Fork the chain at this RPC URL.
    #[arg(long, value_name = "URL")]
    fork_url: Option<String>,
    /// Fork at this block (default: the latest).
    #[arg(long, value_name = "N", requires = "fork_url")]
    fork_block: Option<u64>,
    /// Chain id of the new node.
    #[arg(long)]
    chain_id: Option<u64>,
    /// Mine a block every N seconds instead of one per transaction.
    #[arg(long, value_name = "N")]
    block_time: Option<u64>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct SnapshotArgs {
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// What `up` prints once the node is ready.
#[derive(Debug, Serialize)]
struct UpReport<'a> {
    rpc_url: String,
    ws_url: String,
    chain_id: u64,
    block: u64,
    pid: u32,
    state_file: Option<&'a Path>,
    /// Redacted: scheme, host and port only.
    fork_url: Option<String>,
    manifest: Option<&'a Manifest>,
}

pub async fn run(args: Args, _ctx: &Context) -> Result<(), CliError> {
    match args.command {
        AnvilCommand::Up(a) => up(a).await,
        AnvilCommand::Snapshot(a) => snapshot(a).await,
    }
}

fn manifest_path(state: &Path) -> PathBuf {
    let mut s = state.as_os_str().to_owned();
    s.push(".manifest.json");
    PathBuf::from(s)
}

/// The manifest saved beside a state file, if any, checked against the node resumed from it.
async fn read_manifest(path: &Path, anvil: &Anvil) -> Result<Option<Manifest>, CliError> {
    if !path.is_file() {
        return Ok(None);
    }
    Ok(Some(
        Manifest::load_checked(path, &anvil.read_provider()).await?,
    ))
}

async fn up(a: UpArgs) -> Result<(), CliError> {
    let options = AnvilOptions {
        port: a.port,
        chain_id: a.chain_id,
        fork_url: a.fork_url.clone(),
        fork_block: a.fork_block,
        block_time: a.block_time,
        own_process_group: true,
        ..Default::default()
    };
    let existing_state = a.state.as_ref().filter(|p| p.is_file());
    let (anvil, manifest) = match (existing_state, a.deploy, &a.fork_url) {
        // Resume a saved node: its manifest (if any) was saved next to it.
        (Some(state), _, None) => {
            let anvil = Anvil::spawn(AnvilOptions {
                load_state: Some(state.clone()),
                ..options
            })
            .await?;
            anvil.resume_clock().await?;
            let manifest = read_manifest(&manifest_path(state), &anvil).await?;
            (anvil, manifest)
        }
        (_, true, None) => {
            let env = LocalEnv::start_with(options).await?;
            (env.anvil, Some(env.manifest))
        }
        (_, true, Some(_)) => {
            let anvil = Anvil::spawn(AnvilOptions {
                code_size_limit: Some(environment::DEPLOY_CODE_SIZE_LIMIT),
                ..options
            })
            .await?;
            let manifest = deploy_all(&anvil).await?;
            (anvil, Some(manifest))
        }
        (_, false, _) => (Anvil::spawn(options).await?, None),
    };
    let block = {
        use alloy::providers::Provider;
        anvil.read_provider().get_block_number().await?
    };
    let report = UpReport {
        rpc_url: anvil.url().as_str().trim_end_matches('/').to_string(),
        ws_url: anvil.ws_url(),
        chain_id: anvil.chain_id(),
        block,
        pid: anvil.pid(),
        state_file: a.state.as_deref(),
        fork_url: a.fork_url.as_deref().map(redact_url),
        manifest: manifest.as_ref(),
    };
    if a.json {
        print_json(&report)?;
    } else {
        print_text(&report)?;
    }

    wait_for_stop_signal().await?;
    if let Some(state) = &a.state {
        anvil.dump_state_to(state).await?;
        drop(anvil);
        if let Some(m) = &manifest {
            let m = manifest_for_saved_state(m, state, a.chain_id).await?;
            std::fs::write(manifest_path(state), m.to_json_pretty())?;
        }
        eprintln!("state written to {}", state.display());
    }
    Ok(())
}

/// `manifest` as true of a node resumed from `state`: anvil may write a new block 0 when it dumps
/// a node that was itself loaded from a state, so the genesis hash the manifest records is read
/// from a node loaded from the saved file (the resume checks the manifest against it).
async fn manifest_for_saved_state(
    manifest: &Manifest,
    state: &Path,
    chain_id: Option<u64>,
) -> Result<Manifest, CliError> {
    let probe = Anvil::spawn(AnvilOptions {
        load_state: Some(state.to_path_buf()),
        chain_id,
        own_process_group: true,
        ..Default::default()
    })
    .await?;
    let node = node_identity(&probe.read_provider())
        .await
        .map_err(|e| format!("reading back the saved state {}: {e}", state.display()))?;
    drop(probe);
    let mut m = manifest.clone();
    m.chain_id = node.chain_id;
    m.genesis_hash = Some(node.genesis_hash);
    Ok(m)
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM. anvil runs in its own process group, so only this process
/// receives them, and can save the state before stopping the node.
async fn wait_for_stop_signal() -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}

fn print_text(r: &UpReport<'_>) -> Result<(), CliError> {
    println!("anvil listening (pid {})", r.pid);
    println!("RPC URL:   {}", r.rpc_url);
    println!("websocket: {}", r.ws_url);
    println!("chain id:  {}   block: {}", r.chain_id, r.block);
    if let Some(f) = &r.fork_url {
        println!("forked from {f}");
    }
    if let Some(m) = r.manifest {
        let mut t = Table::new(&["contract", "address"]);
        for (name, address) in m.contracts() {
            t.row(vec![name, address.to_string()]);
        }
        t.print()?;
    }
    println!(
        "dev accounts: mnemonic \"{}\"",
        sluice_sim::anvil::DEV_MNEMONIC
    );
    println!("press Ctrl-C to stop");
    Ok(())
}

async fn snapshot(a: SnapshotArgs) -> Result<(), CliError> {
    let s = Snapshot::ensure().await?;
    if a.json {
        #[derive(Serialize)]
        struct Out<'a> {
            state: &'a Path,
            manifest: &'a Manifest,
        }
        return print_json(&Out {
            state: &s.state,
            manifest: &s.manifest,
        });
    }
    println!("deployment snapshot: {}", s.state.display());
    Ok(())
}
