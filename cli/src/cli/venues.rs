//! `sluice venues [--json]`: every venue of the catalog with its connector's state, from the registry.

use sluice::venue::{ImplState, Registry};

use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, _ctx: &Context) -> Result<(), CliError> {
    let registry = Registry::builtin();
    if args.json {
        return print_json(registry.entries());
    }
    let mut t = Table::new(&[
        "venue",
        "name",
        "kind",
        "chains",
        "venue status",
        "connector",
    ]);
    for e in registry.entries() {
        let connector = match e.connector {
            ImplState::Partial(detail) => format!("partial: {detail}"),
            other => other.label().to_string(),
        };
        t.row(vec![
            e.info.name.to_string(),
            e.info.display_name.to_string(),
            e.info.kind.to_string(),
            if e.info.chains.is_empty() {
                "-".into()
            } else {
                e.info.chains.join(",")
            },
            e.info.status.as_str().to_string(),
            connector,
        ]);
    }
    t.print()
}
