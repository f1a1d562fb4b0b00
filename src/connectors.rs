//! THE registry: every connector of this build, one line each. The only file that names every
//! connector; `sluice venues`, the commands and the strategies reach venues through it
//! ([`find`], [`connect`]) and only ever see `dyn Venue`. Adding a venue adds one line here.
//!
//! A venue's label need not be its connector's name. Two reserved keys of its `[connect.<id>]`
//! table, read here and removed before the connector parses the table (so its unknown-key
//! rejection still holds):
//! - `connector = "binance"`: the connector serving the venue (`sim-binance` is Binance's
//!   connector under another label; the venue is named `sim-binance` in events and the journal);
//! - `chain = "anvil"`: the chain spec of a chain venue whose chain label is not a spec's name
//!   (`uniswap_v3@sim-anvil` runs on the `anvil` spec, its transactions journaled for
//!   `sim-anvil`).

use std::borrow::Cow;
use std::sync::Arc;

use crate::venue::connector::table_name;
use crate::venue::{ConnectContext, ConnectError, Connector, Venue, VenueId};

/// The reserved key naming a venue's connector when its label is not the connector's name.
pub const CONNECTOR_KEY: &str = "connector";
/// The reserved key naming a chain venue's chain spec when its chain label is not a spec's name.
pub const CHAIN_KEY: &str = "chain";

/// How each exchange's stored API keys sign (`sluice keys add|sign`): one scheme per venue whose
/// signing recipe this build has, connector or not yet.
pub use crate::cex::exchanges::keys::{KeyScheme, key_scheme, key_schemes};

static BUILTIN: &[&dyn Connector] = &[
    &crate::amm::uniswap_v2::connect::UNISWAP_V2,
    &crate::amm::uniswap_v3::connect::UNISWAP_V3,
    &crate::amm::balancer::connect::BALANCER,
    &crate::amm::mento::connect::MENTO,
    &crate::amm::perp::connect::PERP,
    &crate::cex::exchanges::binance::connect::BINANCE,
    &crate::cex::exchanges::binance::connect::BINANCE_US,
    &crate::cex::exchanges::binance_perpetual::connect::BINANCE_PERPETUAL,
    &crate::cex::exchanges::bybit_perpetual::connect::BYBIT_PERPETUAL,
    &crate::cex::exchanges::gate_io::connect::GATE_IO,
    &crate::cex::exchanges::coinbase_advanced::COINBASE_ADVANCED,
    &crate::cex::exchanges::htx::HTX,
    &crate::cex::exchanges::coinbase_pro::connect::COINBASE_PRO,
    &crate::cex::exchanges::kraken::KRAKEN,
    &crate::cex::exchanges::okx::OKX,
    &crate::amm::terra_swap::connect::TERRA_SWAP,
    &crate::cex::exchanges::kucoin::KUCOIN,
    &crate::clob::dydx_v3::connect::DYDX_V3,
    &crate::clob::loopring::connect::LOOPRING,
];

/// Every connector compiled into this build.
pub fn builtin() -> &'static [&'static dyn Connector] {
    BUILTIN
}

/// The connector serving a venue id (by its connector name: `uniswap_v3` for `uniswap_v3@anvil`).
pub fn find(id: &VenueId) -> Option<&'static dyn Connector> {
    by_name(&id.connector)
}

/// Builds venue `id` from its `[connect.<id>]` table through its connector (the table's
/// `connector` key, else the id's first part), on the chain spec its `chain` key names, if any.
pub async fn connect(
    id: &VenueId,
    config: &toml::Table,
    ctx: &ConnectContext,
) -> Result<Arc<dyn Venue>, ConnectError> {
    let (connector, table, ctx) = resolve(id, config, ctx)?;
    let labelled = config.contains_key(CONNECTOR_KEY);
    let venue = connector.connect(id, &table, &ctx).await?;
    if labelled && venue.id() != id {
        return Err(ConnectError::BadVenueId {
            venue: id.to_string(),
            reason: format!(
                "connector {} names its venues itself ({}); it cannot serve another label",
                connector.descriptor().name,
                venue.id()
            ),
        });
    }
    Ok(venue)
}

/// What [`resolve`] gives: the connector, the table without the reserved keys, the context.
pub type Resolved<'a> = (
    &'static dyn Connector,
    Cow<'a, toml::Table>,
    Cow<'a, ConnectContext>,
);

/// The connector of venue `id` given its table, the table without the reserved keys, and the
/// context with the chain spec the `chain` key names under the id's chain label.
pub fn resolve<'a>(
    id: &VenueId,
    config: &'a toml::Table,
    ctx: &'a ConnectContext,
) -> Result<Resolved<'a>, ConnectError> {
    if !config.contains_key(CONNECTOR_KEY) && !config.contains_key(CHAIN_KEY) {
        let connector = find(id).ok_or_else(|| no_connector(id, &id.connector))?;
        return Ok((connector, Cow::Borrowed(config), Cow::Borrowed(ctx)));
    }
    let mut table = config.clone();
    let text = |key: &str, value: toml::Value| match value {
        toml::Value::String(s) => Ok(s),
        other => Err(ConnectError::BadValue {
            file: ctx.file(),
            table: table_name(id),
            key: key.to_string(),
            reason: format!("expected a string, found {}", other.type_str()),
        }),
    };
    let connector = match table.remove(CONNECTOR_KEY) {
        None => find(id).ok_or_else(|| no_connector(id, &id.connector))?,
        Some(v) => {
            let name = text(CONNECTOR_KEY, v)?;
            by_name(&name).ok_or_else(|| no_connector(id, &name))?
        }
    };
    let ctx = match table.remove(CHAIN_KEY) {
        None => Cow::Borrowed(ctx),
        Some(v) => {
            let spec_name = text(CHAIN_KEY, v)?;
            let bad = |reason: String| ConnectError::BadValue {
                file: ctx.file(),
                table: table_name(id),
                key: CHAIN_KEY.to_string(),
                reason,
            };
            let label = id.chain.as_deref().ok_or_else(|| {
                bad(format!(
                    "{id} is not on a chain: a chain label goes after `@` in the venue id"
                ))
            })?;
            let mut spec = ctx.chains.get(&spec_name).cloned().ok_or_else(|| {
                bad(format!(
                    "unknown chain {spec_name:?}; known chains: {}",
                    ctx.chains.names().join(", ")
                ))
            })?;
            spec.name = label.to_string();
            let mut owned = ctx.clone();
            owned.chains.insert(spec);
            Cow::Owned(owned)
        }
    };
    Ok((connector, Cow::Owned(table), ctx))
}

fn by_name(name: &str) -> Option<&'static dyn Connector> {
    BUILTIN
        .iter()
        .copied()
        .find(|c| c.descriptor().name == name)
}

fn no_connector(id: &VenueId, name: &str) -> ConnectError {
    let venue = if name == id.connector {
        id.to_string()
    } else {
        format!("{id} (connector = {name:?})")
    };
    ConnectError::NoConnector {
        venue,
        known: BUILTIN
            .iter()
            .map(|c| c.descriptor().name)
            .collect::<Vec<_>>()
            .join(", "),
    }
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
        assert!(find(&"no_such_venue".parse().unwrap()).is_none());
    }

    fn ctx() -> ConnectContext {
        ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        )
    }

    #[tokio::test]
    async fn a_label_is_served_by_the_connector_its_table_names() {
        let id: VenueId = "sim-binance".parse().unwrap();
        // without the key: no connector of that name
        let e = connect(&id, &toml::Table::new(), &ctx())
            .await
            .err()
            .unwrap();
        assert!(matches!(e, ConnectError::NoConnector { .. }), "{e:?}");
        let t: toml::Table = "connector = \"binance\"\nrest_url = \"http://127.0.0.1:9\""
            .parse()
            .unwrap();
        let base = ctx();
        let (c, table, _) = resolve(&id, &t, &base).unwrap();
        assert_eq!(c.descriptor().name, "binance");
        assert!(
            !table.contains_key(CONNECTOR_KEY),
            "removed before the connector parses"
        );
        let venue = connect(&id, &t, &ctx()).await.unwrap();
        assert_eq!(venue.id(), &id, "the venue carries its label");
        // the connector's own unknown-key rejection still holds, without the reserved key
        let t: toml::Table = "connector = \"binance\"\nrpc_url = \"http://x\""
            .parse()
            .unwrap();
        match connect(&id, &t, &ctx()).await.err().unwrap() {
            ConnectError::UnknownKey { key, accepted, .. } => {
                assert_eq!(key, "rpc_url");
                assert!(!accepted.contains(CONNECTOR_KEY), "{accepted}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn bad_connector_and_chain_keys_are_clear_errors() {
        let id: VenueId = "sim-binance".parse().unwrap();
        let t: toml::Table = "connector = \"krakken\"".parse().unwrap();
        let e = connect(&id, &t, &ctx()).await.err().unwrap();
        let text = e.to_string();
        assert!(matches!(e, ConnectError::NoConnector { .. }), "{e:?}");
        assert!(
            text.contains("sim-binance") && text.contains("krakken") && text.contains("binance_us"),
            "{text}"
        );
        let t: toml::Table = "connector = 7".parse().unwrap();
        match connect(&id, &t, &ctx()).await.err().unwrap() {
            ConnectError::BadValue { key, table, .. } => {
                assert_eq!(key, CONNECTOR_KEY);
                assert_eq!(table, "connect.sim-binance");
            }
            other => panic!("{other:?}"),
        }
        // a chain spec for an exchange (no chain label), and an unknown spec
        let t: toml::Table = "connector = \"binance\"\nchain = \"anvil\""
            .parse()
            .unwrap();
        match resolve(&id, &t, &ctx()).err().unwrap() {
            ConnectError::BadValue { key, reason, .. } => {
                assert_eq!(key, CHAIN_KEY);
                assert!(reason.contains("not on a chain"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let amm: VenueId = "uniswap_v3@sim-anvil".parse().unwrap();
        let t: toml::Table = "chain = \"atlantis\"".parse().unwrap();
        match resolve(&amm, &t, &ctx()).err().unwrap() {
            ConnectError::BadValue { key, reason, .. } => {
                assert_eq!(key, CHAIN_KEY);
                assert!(
                    reason.contains("atlantis") && reason.contains("anvil"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_chain_label_runs_on_the_spec_its_table_names() {
        let id: VenueId = "uniswap_v3@sim-anvil".parse().unwrap();
        let base = ctx();
        assert!(base.chain_of(&id).is_err(), "no spec is named sim-anvil");
        let t: toml::Table = "chain = \"anvil\"\nsync_interval_ms = 100".parse().unwrap();
        let (c, table, ctx) = resolve(&id, &t, &base).unwrap();
        assert_eq!(c.descriptor().name, "uniswap_v3");
        assert!(!table.contains_key(CHAIN_KEY));
        assert!(table.contains_key("sync_interval_ms"));
        let spec = ctx.chain_of(&id).unwrap();
        assert_eq!(spec.name, "sim-anvil");
        assert_eq!(spec.chain_id, base.chains.get("anvil").unwrap().chain_id);
        assert!(
            base.chains.get("sim-anvil").is_none(),
            "the caller's context is unchanged"
        );
    }

    #[tokio::test]
    async fn a_venue_without_a_connector_is_a_clear_error() {
        let ctx = ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        );
        let e = connect(&"no_such_venue".parse().unwrap(), &toml::Table::new(), &ctx)
            .await
            .err()
            .unwrap();
        assert!(matches!(e, ConnectError::NoConnector { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("no_such_venue") && text.contains("uniswap_v3"),
            "{text}"
        );
    }
}
