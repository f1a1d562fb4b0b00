//! The registry: every venue of the catalog joined with the connector this build contains for it, if
//! any, and that connector's own statement of how complete it is. The connectors themselves are
//! listed once, in `crate::connectors` (above `cex`, `amm` and `clob`); nothing here names one.

use serde::Serialize;

use super::{CATALOG, VenueInfo};

/// How far a connector is, as the connector itself declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum ImplState {
    /// No connector in this build.
    Missing,
    /// Some capabilities work; the detail says which.
    Partial(&'static str),
    /// Every `Venue` method works and is tested against a mock or a local chain.
    Ready,
}

impl ImplState {
    pub fn label(self) -> &'static str {
        match self {
            ImplState::Missing => "missing",
            ImplState::Partial(_) => "partial",
            ImplState::Ready => "ready",
        }
    }
}

/// What a connector declares about itself ([`super::Connector::descriptor`]);
/// [`Registry::builtin`] joins them with the catalog.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ConnectorDescriptor {
    /// Must match a catalog name.
    pub name: &'static str,
    /// Source module, for humans.
    pub module: &'static str,
    pub state: ImplState,
}

/// One row of the registry.
#[derive(Debug, Clone, Serialize)]
pub struct RegistryEntry {
    #[serde(flatten)]
    pub info: VenueInfo,
    pub connector: ImplState,
    pub module: Option<&'static str>,
}

/// Every venue with its connector state.
#[derive(Debug, Clone)]
pub struct Registry {
    entries: Vec<RegistryEntry>,
}

impl Registry {
    /// The registry of this build: the catalog joined with `crate::connectors::builtin()`.
    pub fn builtin() -> Self {
        let descriptors: Vec<ConnectorDescriptor> = crate::connectors::builtin()
            .iter()
            .map(|c| c.descriptor())
            .collect();
        Self::from_parts(CATALOG, &descriptors)
    }

    /// Joins a catalog with connector descriptors. A descriptor naming no catalog venue is a
    /// programming error caught by the tests of [`Registry::builtin`].
    pub fn from_parts(catalog: &[VenueInfo], connectors: &[ConnectorDescriptor]) -> Self {
        let entries = catalog
            .iter()
            .map(|info| {
                let c = connectors.iter().find(|c| c.name == info.name);
                RegistryEntry {
                    info: *info,
                    connector: c.map_or(ImplState::Missing, |c| c.state),
                    module: c.map(|c| c.module),
                }
            })
            .collect();
        Self { entries }
    }

    pub fn entries(&self) -> &[RegistryEntry] {
        &self.entries
    }

    pub fn get(&self, name: &str) -> Option<&RegistryEntry> {
        self.entries.iter().find(|e| e.info.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::{VenueKind, VenueStatus};

    #[test]
    fn every_builtin_connector_names_a_catalog_venue() {
        for c in crate::connectors::builtin().iter().map(|c| c.descriptor()) {
            assert!(
                CATALOG.iter().any(|v| v.name == c.name),
                "{} is not in the catalog",
                c.name
            );
        }
        let mut names: Vec<_> = CATALOG.iter().map(|v| v.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOG.len(), "catalog names are unique");
    }

    #[test]
    fn states_come_from_descriptors() {
        let catalog = [VenueInfo {
            name: "x",
            display_name: "X",
            kind: VenueKind::Cex,
            chains: &[],
            protocol: "p",
            status: VenueStatus::Live,
        }];
        let r = Registry::from_parts(&catalog, &[]);
        assert_eq!(r.get("x").unwrap().connector, ImplState::Missing);
        let d = ConnectorDescriptor {
            name: "x",
            module: "cex::x",
            state: ImplState::Ready,
        };
        let r = Registry::from_parts(&catalog, &[d]);
        assert_eq!(r.get("x").unwrap().connector, ImplState::Ready);
        assert_eq!(r.get("x").unwrap().module, Some("cex::x"));
    }
}
