//! Kraken spot: the exchange framework's generic venue ([`ExchangeVenue`]) over Kraken's protocol
//! ([`Kraken`], an [`ExchangeApi`]). This file is the wiring: the `[connect.kraken]` table, the
//! connector, and the rooms — markets and rules from `AssetPairs`, orders by `cl_ord_id`, trades
//! and balances over signed REST (`rest.rs`, `api.rs`), the WebSocket v2 book and its CRC32
//! checksum (`book.rs`, `live_book.rs`), the private stream with a REST token (`user.rs`), signing
//! with a strictly increasing nonce (`sign.rs`) and Kraken's error strings (`errors.rs`).
//! Tracking, reconciling, adoption, the private-stream consumer, the live books and quotes are
//! the framework's ([`crate::cex::venue`]).

pub mod api;
pub mod book;
mod book_checksum;
mod book_fast;
mod book_json;
pub mod errors;
pub mod live_book;
pub mod rest;
pub mod sign;
pub mod user;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::auth::ApiCredentials;
use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::RateLimiter;
use crate::cex::sign::Signer;
use crate::cex::venue::{
    BookFeed, ExchangeApi, ExchangeVenue, Market, Markets, OrderAck, UserEvent, UserStream,
};
use crate::core::{Balance, ClientOrderId, Fill, Order, OrderRequest};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{
    ConnectContext, ConnectError, Connector, ConnectorDescriptor, ImplState, Venue, VenueError,
    VenueId,
};

pub use self::api::Tier;
use self::book::KrakenBook;
use self::live_book::{LiveBook, spawn_live_book};
use self::rest::Private;
pub use self::sign::kraken_signer;
use self::user::TokenWs;

/// Kraken in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "kraken",
    module: "cex::exchanges::kraken",
    state: ImplState::Ready,
};

/// Book depths the v2 `book` channel offers.
pub const BOOK_DEPTHS: [usize; 5] = [10, 25, 100, 500, 1000];

/// Where Kraken lives and the account's parameters.
#[derive(Debug, Clone)]
pub struct KrakenConfig {
    /// Venue name (`kraken`, or the label it is connected as, such as `sim-kraken`).
    pub name: String,
    pub rest_url: String,
    /// Public WebSocket v2 endpoint.
    pub ws_url: String,
    /// Private WebSocket v2 endpoint.
    pub ws_auth_url: String,
    pub tier: Tier,
    /// Public REST calls per second (Kraken throttles them per IP at about one per second).
    pub public_per_second: u32,
    /// Levels of the subscribed book (10 by default: the checksum then covers the whole book).
    pub book_depth: usize,
    /// Fees used when `AssetPairs` lists no schedule.
    pub default_fee: Decimal,
    /// Prefix of generated client order ids (`cl_ord_id`, at most 18 characters in all).
    pub client_id_prefix: String,
    /// How long opening the private stream waits for its first connection.
    pub user_stream_timeout: Duration,
}

impl Default for KrakenConfig {
    fn default() -> Self {
        Self {
            name: DESCRIPTOR.name.into(),
            rest_url: "https://api.kraken.com".into(),
            ws_url: "wss://ws.kraken.com/v2".into(),
            ws_auth_url: "wss://ws-auth.kraken.com/v2".into(),
            tier: Tier::Starter,
            public_per_second: 1,
            book_depth: 10,
            default_fee: Decimal::new(4, 3),
            client_id_prefix: "sluice-".into(),
            user_stream_timeout: Duration::from_secs(10),
        }
    }
}

/// Kraken's protocol, as the framework's venue asks for it.
#[derive(Debug, Clone)]
pub struct Kraken {
    cfg: KrakenConfig,
    private: Private,
    /// (pair_decimals, lot_decimals) by pair `altname`, from `AssetPairs`.
    precisions: Arc<Mutex<HashMap<String, (u32, u32)>>>,
}

/// The Kraken venue. Cheap to clone.
pub type KrakenSpot = ExchangeVenue<Kraken>;

impl Kraken {
    pub fn config(&self) -> &KrakenConfig {
        &self.cfg
    }

    fn remember(&self, infos: Vec<rest::MarketInfo>) -> Vec<Market> {
        let mut p = self.precisions.lock().unwrap_or_else(|e| e.into_inner());
        infos
            .into_iter()
            .map(|(m, precision)| {
                p.insert(m.rules.venue_symbol.clone(), precision);
                m
            })
            .collect()
    }

    /// A fresh book of `market` kept to the configured depth, its checksum written with the
    /// precisions `AssetPairs` lists.
    pub fn new_book(&self, market: &Market) -> KrakenBook {
        let precision = self
            .precisions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&market.rules.venue_symbol)
            .copied();
        KrakenBook::new(
            &api::ws_symbol(&market.rules.pair),
            market.price,
            market.size,
            self.cfg.book_depth,
            (precision.map(|p| p.0), precision.map(|p| p.1)),
        )
    }
}

impl ExchangeVenue<Kraken> {
    /// A connector; without credentials only public data (markets, books, quotes) works.
    pub fn new(cfg: KrakenConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let nonce = Arc::new(sign::MonotonicNonce::default());
        let signer = match creds {
            Some(c) => Some(Arc::new(sign::kraken_signer_with(&c, nonce.clone())?)),
            None => None,
        };
        Self::build(cfg, signer, Some(nonce))
    }

    /// A connector with any signer.
    pub fn with_signer(cfg: KrakenConfig, signer: Option<Arc<Signer>>) -> Result<Self, CexError> {
        Self::build(cfg, signer, None)
    }

    fn build(
        cfg: KrakenConfig,
        signer: Option<Arc<Signer>>,
        nonce: Option<Arc<sign::MonotonicNonce>>,
    ) -> Result<Self, CexError> {
        let limiter = Arc::new(RateLimiter::new(&api::limits(
            cfg.tier,
            cfg.public_per_second,
        )));
        let rest = RestClient::new(
            &cfg.rest_url,
            Arc::new(api::KrakenProtocol),
            signer,
            limiter,
        )?;
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let kraken = Kraken {
            cfg,
            private: Private {
                nonce,
                ..Private::default()
            },
            precisions: Arc::default(),
        };
        Ok(Self::from_parts(id, kraken, rest))
    }

    pub fn config(&self) -> &KrakenConfig {
        &self.exchange().cfg
    }
}

#[async_trait]
impl ExchangeApi for Kraken {
    type Mechanism = TokenWs;
    type Book = LiveBook;

    fn client_id_rule(&self) -> &ClientIdRule {
        &api::CLIENT_ID_RULE
    }

    fn client_id_prefix(&self) -> &str {
        &self.cfg.client_id_prefix
    }

    async fn load_markets(&self, rest: &RestClient) -> Result<Vec<Market>, CexError> {
        Ok(self.remember(rest::load_markets(rest, self.cfg.default_fee).await?))
    }

    async fn load_market(
        &self,
        rest: &RestClient,
        symbol: &str,
    ) -> Result<Option<Market>, CexError> {
        let info = rest::load_market(rest, symbol, self.cfg.default_fee).await?;
        Ok(self.remember(info.into_iter().collect()).pop())
    }

    async fn submit(
        &self,
        rest: &RestClient,
        order: &OrderRequest,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::submit(&self.private, rest, order, market).await
    }

    async fn cancel(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        _market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::cancel(&self.private, rest, id).await
    }

    async fn query(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        _market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::query(&self.private, rest, id).await
    }

    async fn open_orders(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
    ) -> Result<Vec<Order>, CexError> {
        rest::open_orders(&self.private, rest, markets, symbol).await
    }

    async fn order_trades(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        venue_order_id: &str,
        market: &Market,
    ) -> Result<Vec<Fill>, CexError> {
        rest::order_trades(&self.private, rest, id, venue_order_id, market).await
    }

    async fn balances(&self, rest: &RestClient) -> Result<Vec<Balance>, CexError> {
        rest::balances(&self.private, rest).await
    }

    fn spawn_book(&self, feed: BookFeed) -> LiveBook {
        let book = self.new_book(&feed.market);
        spawn_live_book(
            feed.pair,
            book,
            &self.cfg.ws_url,
            feed.hub,
            feed.refresh_rules,
        )
    }

    async fn snapshot_book(
        &self,
        rest: &RestClient,
        market: &Market,
    ) -> Result<OrderBook, CexError> {
        rest::depth_snapshot(rest, market, self.cfg.book_depth).await
    }

    async fn open_user_stream(
        &self,
        id: &VenueId,
        rest: &RestClient,
    ) -> Result<UserStream<TokenWs>, VenueError> {
        user::open(
            id,
            rest,
            &self.private,
            &self.cfg.ws_auth_url,
            self.cfg.user_stream_timeout,
        )
        .await
    }

    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
        user::parse_frame(frame, markets)
    }
}

/// The private endpoint that goes with a public one when only `ws_url` is given: Kraken's hosts
/// `ws.kraken.com` → `ws-auth.kraken.com` (`beta-ws` → `beta-ws-auth`); any other host (a
/// simulator) the same host with the path under `/auth` (`ws://127.0.0.1:9/v2` →
/// `ws://127.0.0.1:9/auth/v2`), as the Kraken dialect serves it.
pub fn auth_url_of(ws_url: &str) -> Option<String> {
    let mut u = url::Url::parse(ws_url).ok()?;
    let host = u.host_str()?.to_string();
    if let Some(rest) = host.strip_prefix("ws.") {
        u.set_host(Some(&format!("ws-auth.{rest}"))).ok()?;
    } else if let Some(rest) = host.strip_prefix("beta-ws.") {
        u.set_host(Some(&format!("beta-ws-auth.{rest}"))).ok()?;
    } else {
        let path = format!("/auth{}", u.path());
        u.set_path(&path);
    }
    Some(u.to_string())
}

/// The `[connect.kraken]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KrakenConnect {
    /// REST base URL (default `https://api.kraken.com`).
    pub rest_url: Option<String>,
    /// Public WebSocket v2 endpoint (default `wss://ws.kraken.com/v2`).
    pub ws_url: Option<String>,
    /// Private WebSocket v2 endpoint (default: the one of `ws_url`, see [`auth_url_of`]).
    pub ws_auth_url: Option<String>,
    /// `starter` (default), `intermediate` or `pro`: the rate limits of the account's tier.
    pub tier: Option<Tier>,
    /// Public REST calls per second (default 1).
    pub public_per_second: Option<u32>,
    /// Book depth: 10 (default), 25, 100, 500 or 1000.
    pub book_depth: Option<usize>,
}

/// The Kraken connector.
#[derive(Debug)]
pub struct KrakenConnector;

/// Kraken spot.
pub static KRAKEN: KrakenConnector = KrakenConnector;

impl KrakenConnector {
    /// The venue's configuration from its table (defaults: production endpoints, Starter tier).
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<KrakenConfig, ConnectError> {
        off_chain(id, "kraken")?;
        let c: KrakenConnect = parse_config(id, table, ctx)?;
        let base = KrakenConfig::default();
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            url_value(id, ctx, key, value, default, schemes)
        };
        let book_depth = c.book_depth.unwrap_or(base.book_depth);
        if !BOOK_DEPTHS.contains(&book_depth) {
            return Err(ConnectError::bad_value(
                id,
                ctx,
                "book_depth",
                format!("{book_depth}; Kraken offers 10, 25, 100, 500 or 1000"),
            ));
        }
        let public_per_second = c.public_per_second.unwrap_or(base.public_per_second);
        if public_per_second == 0 {
            return Err(ConnectError::bad_value(
                id,
                ctx,
                "public_per_second",
                "must be at least 1",
            ));
        }
        let ws_url = url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?;
        let auth_default = auth_url_of(&ws_url).unwrap_or_else(|| base.ws_auth_url.clone());
        Ok(KrakenConfig {
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            ws_auth_url: url("ws_auth_url", c.ws_auth_url, &auth_default, &["ws", "wss"])?,
            ws_url,
            tier: c.tier.unwrap_or(base.tier),
            public_per_second,
            book_depth,
            // the venue is named by the id it is connected as (a label such as `sim-kraken`)
            name: id.to_string(),
            ..base
        })
    }
}

#[async_trait]
impl Connector for KrakenConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        DESCRIPTOR
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let cfg = self.config(id, config, ctx)?;
        let creds = crate::cex::venue::credentials::trading_credentials(id, DESCRIPTOR.name, ctx)?;
        let venue = KrakenSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
        Ok(Arc::new(venue))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use std::path::Path;

    fn ctx() -> ConnectContext {
        ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        )
    }

    #[test]
    fn the_table_points_the_connector_anywhere_and_refuses_unknown_keys() {
        let id: VenueId = "kraken".parse().unwrap();
        let cfg = KRAKEN.config(&id, &toml::Table::new(), &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "https://api.kraken.com");
        assert_eq!((cfg.tier, cfg.book_depth), (Tier::Starter, 10));
        assert_eq!(cfg.name, "kraken");
        // a label names the venue
        let sim: VenueId = "sim-kraken".parse().unwrap();
        let cfg = KRAKEN.config(&sim, &toml::Table::new(), &ctx()).unwrap();
        assert_eq!(cfg.name, "sim-kraken");
        let venue = KrakenSpot::new(cfg, None).unwrap();
        assert_eq!(venue.id(), &sim);
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9/v2\"\ntier = \"pro\"\nbook_depth = 25"
            .parse()
            .unwrap();
        let cfg = KRAKEN.config(&id, &t, &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "http://127.0.0.1:9");
        assert_eq!(cfg.ws_auth_url, "ws://127.0.0.1:9/auth/v2");
        assert_eq!(
            auth_url_of("wss://beta-ws.kraken.com/v2").as_deref(),
            Some("wss://beta-ws-auth.kraken.com/v2")
        );
        assert_eq!(
            KRAKEN
                .config(&id, &toml::Table::new(), &ctx())
                .unwrap()
                .ws_auth_url,
            "wss://ws-auth.kraken.com/v2"
        );
        assert_eq!((cfg.tier, cfg.book_depth), (Tier::Pro, 25));
        let bad = |text: &str| {
            KRAKEN
                .config(&id, &text.parse().unwrap(), &ctx())
                .unwrap_err()
        };
        match bad("ws_api_url = \"ws://x\"") {
            ConnectError::UnknownKey { key, accepted, .. } => {
                assert_eq!(key, "ws_api_url");
                assert_eq!(
                    accepted,
                    "rest_url, ws_url, ws_auth_url, tier, public_per_second, book_depth"
                );
            }
            other => panic!("{other:?}"),
        }
        for (text, key) in [
            ("book_depth = 11", "book_depth"),
            ("tier = \"gold\"", "tier"),
            ("ws_auth_url = \"http://x\"", "ws_auth_url"),
            ("public_per_second = 0", "public_per_second"),
        ] {
            match bad(text) {
                ConnectError::BadValue { key: k, .. } => assert_eq!(k, key),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
