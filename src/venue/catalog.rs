//! Every venue sluice connects to (the table of `reference/venues.md`): what it is, where it runs and
//! whether the venue itself is still open. Whether sluice has a working connector for it is not
//! written here: the registry asks the connectors themselves.

use serde::Serialize;

use super::VenueKind;

/// The venue's own state, as far as public sources tell (late 2026).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VenueStatus {
    Live,
    /// Closed or retired; the connector is still built to the documented protocol.
    Closed,
    /// Public sources disagree.
    Uncertain,
}

impl VenueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VenueStatus::Live => "live",
            VenueStatus::Closed => "closed",
            VenueStatus::Uncertain => "uncertain",
        }
    }
}

/// One venue of the catalog.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct VenueInfo {
    /// Connector name, the first part of a venue id (`uniswap_v3` in `uniswap_v3@ethereum`).
    pub name: &'static str,
    pub display_name: &'static str,
    pub kind: VenueKind,
    /// Chains it runs on (chain spec names); empty for off-chain exchanges.
    pub chains: &'static [&'static str],
    pub protocol: &'static str,
    pub status: VenueStatus,
}

const fn v(
    name: &'static str,
    display_name: &'static str,
    kind: VenueKind,
    chains: &'static [&'static str],
    protocol: &'static str,
    status: VenueStatus,
) -> VenueInfo {
    VenueInfo {
        name,
        display_name,
        kind,
        chains,
        protocol,
        status,
    }
}

use VenueKind::{Amm, Cex, Clob, Perp};
use VenueStatus::{Closed, Live, Uncertain};

/// The venues of `reference/venues.md`, AMMs first, then order books on chain, then exchanges.
pub const CATALOG: &[VenueInfo] = &[
    v(
        "uniswap_v2",
        "Uniswap",
        Amm,
        &["ethereum"],
        "Uniswap v2 (factory, pair, Router02)",
        Live,
    ),
    v(
        "uniswap_v3",
        "Uniswap v3",
        Amm,
        &["ethereum"],
        "Uniswap v3 (factory, pool, SwapRouter, QuoterV2)",
        Live,
    ),
    v(
        "balancer",
        "Balancer",
        Amm,
        &["ethereum"],
        "Balancer V2 Vault, weighted pools",
        Live,
    ),
    v(
        "perp",
        "Perpetual Finance",
        Perp,
        &["xdai"],
        "Perpetual Protocol v1 (ClearingHouse, Amm)",
        Closed,
    ),
    v(
        "mento",
        "Celo (Mento)",
        Amm,
        &["celo"],
        "Mento v2 Broker / BiPoolManager",
        Live,
    ),
    v(
        "terra_swap",
        "Terra",
        Amm,
        &["terra"],
        "Astroport / Terraswap pairs; Classic market module",
        Live,
    ),
    v(
        "dydx",
        "dYdX",
        Clob,
        &[],
        "v4 Cosmos app chain (indexer + chain transactions)",
        Live,
    ),
    v(
        "dydx_v3",
        "dYdX v3",
        Clob,
        &["ethereum"],
        "StarkEx REST + websocket, STARK-signed orders (closed 2024)",
        Closed,
    ),
    v(
        "loopring",
        "Loopring",
        Clob,
        &["ethereum"],
        "REST v3 API, EdDSA order signatures",
        Closed,
    ),
    v(
        "ascend_ex",
        "AscendEx",
        Cex,
        &[],
        "REST + websocket, HMAC-SHA256",
        Live,
    ),
    v(
        "beaxy",
        "Beaxy",
        Cex,
        &[],
        "REST v2 + websocket, bearer token",
        Closed,
    ),
    v(
        "binance",
        "Binance",
        Cex,
        &[],
        "REST api/v3 + websocket streams, HMAC-SHA256 / Ed25519",
        Live,
    ),
    v(
        "binance_us",
        "Binance US",
        Cex,
        &[],
        "Binance spot protocol on binance.us",
        Uncertain,
    ),
    v(
        "bitfinex",
        "Bitfinex",
        Cex,
        &[],
        "REST v2 + websocket, HMAC-SHA384",
        Live,
    ),
    v(
        "bitmart",
        "BitMart",
        Cex,
        &[],
        "REST + websocket, HMAC-SHA256 with memo",
        Live,
    ),
    v(
        "bittrex",
        "Bittrex Global",
        Cex,
        &[],
        "REST v3 + SignalR, HMAC-SHA512",
        Closed,
    ),
    v(
        "blocktane",
        "Blocktane",
        Cex,
        &[],
        "OpenDAX REST + websocket, HMAC-SHA256",
        Closed,
    ),
    v(
        "coinbase_pro",
        "Coinbase Pro (Coinbase Exchange)",
        Cex,
        &[],
        "REST + websocket feed, HMAC-SHA256",
        Live,
    ),
    v(
        "coinbase_advanced",
        "Coinbase Advanced Trade",
        Cex,
        &[],
        "REST v3 brokerage + websocket, JWT ES256",
        Live,
    ),
    v(
        "coinzoom",
        "CoinZoom",
        Cex,
        &[],
        "REST + websocket, plain key headers",
        Uncertain,
    ),
    v(
        "crypto_com",
        "Crypto.com",
        Cex,
        &[],
        "Exchange v1 JSON-RPC over REST + websocket, HMAC-SHA256",
        Live,
    ),
    v(
        "digifinex",
        "Digifinex",
        Cex,
        &[],
        "REST v3 + zlib websocket, HMAC-SHA256",
        Live,
    ),
    v(
        "ftx",
        "FTX",
        Cex,
        &[],
        "REST + websocket, HMAC-SHA256",
        Closed,
    ),
    v(
        "gate_io",
        "Gate.io",
        Cex,
        &[],
        "APIv4 REST + websocket, HMAC-SHA512",
        Live,
    ),
    v(
        "hitbtc",
        "HitBTC",
        Cex,
        &[],
        "REST v3 + websocket, HS256",
        Uncertain,
    ),
    v(
        "htx",
        "Huobi Global (HTX)",
        Cex,
        &[],
        "REST + gzip websocket, signature v2",
        Live,
    ),
    v(
        "kraken",
        "Kraken",
        Cex,
        &[],
        "REST + websocket v2, HMAC-SHA512, CRC32 book checksum",
        Live,
    ),
    v(
        "kucoin",
        "KuCoin",
        Cex,
        &[],
        "REST + websocket (bullet token), HMAC-SHA256",
        Live,
    ),
    v(
        "liquid",
        "Liquid",
        Cex,
        &[],
        "REST + Pusher websocket, JWT HS256",
        Closed,
    ),
    v(
        "ndax",
        "NDAX",
        Cex,
        &[],
        "AlphaPoint REST + websocket gateway",
        Live,
    ),
    v(
        "okx",
        "OKX (OKEx)",
        Cex,
        &[],
        "REST v5 + websocket, HMAC-SHA256, CRC32 book checksum",
        Live,
    ),
    v(
        "probit",
        "ProBit Global",
        Cex,
        &[],
        "REST + websocket, OAuth client credentials",
        Uncertain,
    ),
    v(
        "probit_kr",
        "ProBit Korea",
        Cex,
        &[],
        "ProBit protocol on probit.kr",
        Closed,
    ),
    v(
        "binance_perpetual",
        "Binance Futures (USDⓈ-M)",
        Perp,
        &[],
        "fapi REST + websocket, HMAC-SHA256",
        Live,
    ),
    v(
        "bybit_perpetual",
        "Bybit (linear perpetuals)",
        Perp,
        &[],
        "v5 REST + websocket, HMAC-SHA256",
        Live,
    ),
    v(
        "dydx_perpetual",
        "dYdX perpetuals",
        Perp,
        &[],
        "v4 indexer + Cosmos transactions",
        Live,
    ),
];
