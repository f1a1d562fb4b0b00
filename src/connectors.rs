//! THE registry: every connector of this build, one line each. The only file that names every
//! connector; `sluice venues`, the commands and the strategies reach venues through it
//! ([`find`], [`connect`]) and only ever see `dyn Venue`. Adding a venue adds one line here.

use std::sync::Arc;

use crate::venue::{ConnectContext, ConnectError, Connector, Venue, VenueId};

/// How each exchange's stored API keys sign (`sluice keys add|sign`): one scheme per venue whose
/// signing recipe this build has, connector or not yet.
pub use crate::cex::exchanges::keys::{KeyScheme, key_scheme, key_schemes};

static BUILTIN: &[&dyn Connector] = &[
    &crate::amm::uniswap_v2::connect::UNISWAP_V2,
    &crate::amm::uniswap_v3::connect::UNISWAP_V3,
    &crate::amm::balancer::connect::BALANCER,
    &crate::amm::mento::connect::MENTO,
    &crate::amm::terra_swap::connect::TERRA_SWAP,
    &crate::cex::exchanges::binance_connect::BINANCE,
    &crate::cex::exchanges::binance_connect::BINANCE_US,
];

/// Every connector compiled into this build.
pub fn builtin() -> &'static [&'static dyn Connector] {
    BUILTIN
}

/// The connector serving a venue id (by its connector name: `uniswap_v3` for `uniswap_v3@anvil`).
pub fn find(id: &VenueId) -> Option<&'static dyn Connector> {
    BUILTIN
        .iter()
        .copied()
        .find(|c| c.descriptor().name == id.connector)
}

/// Builds venue `id` from its `[connect.<id>]` table through its connector.
pub async fn connect(
    id: &VenueId,
    config: &toml::Table,
    ctx: &ConnectContext,
) -> Result<Arc<dyn Venue>, ConnectError> {
    let connector = find(id).ok_or_else(|| ConnectError::NoConnector {
        venue: id.to_string(),
        known: BUILTIN
            .iter()
            .map(|c| c.descriptor().name)
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    connector.connect(id, config, ctx).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use std::path::Path;

    #[test]
    fn one_connector_per_name_and_find_by_venue_id() {
        let mut names: Vec<_> = builtin().iter().map(|c| c.descriptor().name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "connector names are unique");
        for (id, name) in [
            ("binance", "binance"),
            ("binance_us", "binance_us"),
            ("uniswap_v3@anvil", "uniswap_v3"),
            ("uniswap_v2@ethereum", "uniswap_v2"),
        ] {
            let id: VenueId = id.parse().unwrap();
            assert_eq!(find(&id).map(|c| c.descriptor().name), Some(name));
        }
        assert!(find(&"kraken".parse().unwrap()).is_none());
    }

    #[tokio::test]
    async fn a_venue_without_a_connector_is_a_clear_error() {
        let ctx = ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        );
        let e = connect(&"kraken".parse().unwrap(), &toml::Table::new(), &ctx)
            .await
            .err()
            .unwrap();
        assert!(matches!(e, ConnectError::NoConnector { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("kraken") && text.contains("uniswap_v3"),
            "{text}"
        );
    }
}
