//! The `[connect.terra_swap@<chain>]` table: where the node is, which wallet signs, which pairs.

use serde::Deserialize;

/// Everything a `terra_swap` venue reads from its table (unknown keys refused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerraSwapConfig {
    /// The node's LCD (REST) URL; default: the chain spec's first. (`rpc_url` is accepted as the
    /// same key, as `sluice quote --rpc-url` writes it.)
    #[serde(alias = "rpc_url")]
    pub lcd_url: Option<String>,
    /// The sluice wallet that signs swaps.
    pub wallet: Option<String>,
    /// Account index within the wallet.
    #[serde(default)]
    pub account_index: u64,
    /// A factory listing the pairs; default: the chain spec's `[protocols.terraswap]` and
    /// `[protocols.astroport]` factories.
    pub factory: Option<String>,
    /// More factories (with `factory`, all are asked; when several list a market's two assets,
    /// the deepest pool trades it).
    #[serde(default)]
    pub factories: Vec<String>,
    /// The pair contract that trades the market of its two assets, whatever the factories list.
    pub pair: Option<String>,
    /// Pairs named by hand: `"BASE-QUOTE" = "terra1…pair"` (else found through the factories).
    #[serde(default)]
    pub pairs: std::collections::BTreeMap<String, String>,
    /// `max_spread` of a swap sent without a price bound (default 0.01 = 1 %).
    pub default_max_spread: Option<rust_decimal::Decimal>,
    /// Gas limit = simulated gas × this (default 1.3).
    pub gas_margin: Option<rust_decimal::Decimal>,
    /// `sign_mode`: `direct` (default) or `amino-json`.
    pub sign_mode: Option<String>,
    /// Accepted for the swap command's table; Terraswap needs no approval (a CW20 `send` carries
    /// the tokens to the pair in the swap itself).
    pub approval: Option<String>,
    /// Accepted for the quote command's table; a Cosmos chain has no deployment manifest.
    pub manifest: Option<std::path::PathBuf>,
}
