//! A deployment: the addresses of every contract, pool and token that one deployment put on one chain
//! ([`Manifest`]), and the check that a manifest is true of the node it is about to be used with
//! ([`manifest_check`]). Connectors read a manifest from their `[connect.<venue>]` config; the
//! simulators (`sluice-sim`) write one when they deploy.

pub mod manifest;
pub mod manifest_check;

pub use manifest::{
    Balancer, BalancerPool, HostileTokens, MANIFEST_FORMAT, Manifest, Mento, MentoExchange, Perp,
    PerpAmm, TokenInfo, UniswapV2, UniswapV3, V2Pair, V3Pool, V3Position,
};
pub use manifest_check::{ManifestError, NodeIdentity, node_identity};
