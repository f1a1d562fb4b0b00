//! How the CLI reaches a venue: through the connector registry only (`sluice::connectors`), never
//! a concrete connector. A command gives the venue id and its `[connect.<venue>]` table (from a
//! config file, or made from the command's flags), gets `Arc<dyn Venue>` back, started on its
//! pairs. The wallet password is asked at most once per process, and only by a connector that
//! needs it (`SLUICE_PASSWORD` first, else a prompt).

use std::path::Path;
use std::sync::Arc;

use sluice::core::Pair;
use sluice::venue::connector::{PasswordOnce, SecretError, SecretSource};
use sluice::venue::{Access, ConnectContext, Venue, VenueId};

use super::{CliError, Context};

/// The CLI's source of the wallet password: `SLUICE_PASSWORD`, else one prompt.
pub fn password_once() -> Arc<dyn SecretSource> {
    Arc::new(PasswordOnce::new(|| {
        super::wallet::password("wallet password: ", false)
            .map_err(|e| SecretError::Prompt(e.to_string()))
    }))
}

/// The connect context of this command: `file` names where the tables come from (for messages).
pub fn context(ctx: &Context, file: &Path, access: Access) -> ConnectContext {
    let c = ConnectContext::new(&ctx.home, ctx.chains.clone(), file);
    match access {
        Access::ReadOnly => c,
        Access::Trade => c.trading(password_once()),
    }
}

/// Builds venue `id` from its table through the registry, then starts it on `pairs`.
pub async fn open(
    id: &VenueId,
    table: &toml::Table,
    cc: &ConnectContext,
    pairs: &[Pair],
) -> Result<Arc<dyn Venue>, CliError> {
    let venue = sluice::connectors::connect(id, table, cc).await?;
    venue
        .start(pairs)
        .await
        .map_err(|e| format!("{id}: starting on {}: {e}", pair_list(pairs)))?;
    Ok(venue)
}

fn pair_list(pairs: &[Pair]) -> String {
    pairs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
