//! `sluice chains [--json]`: the chain specs.

use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    let specs: Vec<_> = ctx.chains.iter().collect();
    if args.json {
        return print_json(&specs);
    }
    let mut t = Table::new(&[
        "name",
        "family",
        "chain id",
        "native",
        "tokens",
        "protocols",
        "rpc",
    ]);
    for s in specs {
        t.row(vec![
            s.name.clone(),
            format!("{:?}", s.family).to_lowercase(),
            s.chain_id.to_string(),
            s.native.symbol.clone(),
            s.tokens.len().to_string(),
            s.protocols.keys().cloned().collect::<Vec<_>>().join(","),
            s.rpc_urls.first().cloned().unwrap_or_default(),
        ]);
    }
    t.print()
}
