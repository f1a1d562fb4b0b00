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

/// The venue id of `--venue ID [--chain CHAIN]`: `--venue uniswap_v3 --chain anvil` and
/// `--venue uniswap_v3@anvil` are the same venue; a chain given twice must agree.
pub fn venue_id(venue: &str, chain: Option<&str>) -> Result<VenueId, CliError> {
    let id: VenueId = venue.parse()?;
    match (id.chain.as_deref(), chain) {
        (_, None) => Ok(id),
        (None, Some(c)) => Ok(VenueId::new(&id.connector, Some(c))),
        (Some(a), Some(b)) if a == b => Ok(id),
        (Some(a), Some(b)) => {
            Err(format!("--venue {venue} is on chain {a}, but --chain says {b}").into())
        }
    }
}

/// A `[connect.<venue>]` table made from a command's flags: only the flags given, under the
/// connector's own key names (a connector refuses a key it does not take, naming it).
#[derive(Debug, Default)]
pub struct FlagTable(toml::Table);

impl FlagTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` when the flag was given.
    pub fn put(mut self, key: &str, value: Option<impl Into<toml::Value>>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v.into());
        }
        self
    }

    pub fn table(&self) -> &toml::Table {
        &self.0
    }
}

/// Where the tables of flag-made venues come from, in messages.
pub const COMMAND_LINE: &str = "command line";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venue_and_chain_flags_make_one_id() {
        let id = |v: &str, c: Option<&str>| venue_id(v, c).map(|i| i.to_string());
        assert_eq!(id("uniswap_v3", Some("anvil")).unwrap(), "uniswap_v3@anvil");
        assert_eq!(id("uniswap_v3@anvil", None).unwrap(), "uniswap_v3@anvil");
        assert_eq!(
            id("uniswap_v3@anvil", Some("anvil")).unwrap(),
            "uniswap_v3@anvil"
        );
        assert_eq!(id("binance", None).unwrap(), "binance");
        let e = id("uniswap_v3@anvil", Some("ethereum")).unwrap_err();
        assert!(e.to_string().contains("--chain"), "{e}");
        assert!(id("Uniswap V3", None).is_err());
    }

    #[test]
    fn only_given_flags_enter_the_table() {
        let t = FlagTable::new()
            .put("rpc_url", Some("http://127.0.0.1:8545"))
            .put("manifest", None::<String>)
            .put("account_index", Some(3i64));
        assert_eq!(t.table().len(), 2);
        assert_eq!(t.table()["account_index"].as_integer(), Some(3));
        assert!(!t.table().contains_key("manifest"));
    }
}
