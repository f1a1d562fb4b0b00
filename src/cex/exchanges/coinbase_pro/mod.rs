//! Coinbase Exchange (the Coinbase Pro protocol; venue id `coinbase_pro`): the exchange framework's
//! generic venue ([`ExchangeVenue`]) over Coinbase's protocol ([`CoinbasePro`], an
//! [`ExchangeApi`]). This file is the wiring; the rooms hold the protocol: markets and rules from
//! `/products` and the account's fee rates from `/fees`, limit / post-only / market orders,
//! cancels and queries by `client_oid`, fills and accounts over signed REST (`rest.rs`, `api.rs`),
//! the `level2_batch` book checked by the `heartbeat` channel's sequence and resynced from a
//! fresh subscription (`book.rs`, `depth.rs`), the `user` and `balance` channels (`user.rs`),
//! signing (`sign.rs`) and error messages (`errors.rs`). The connector and its
//! `[connect.coinbase_pro]` table are in `connect.rs`. Tracking, reconciling, adoption, the
//! private-stream consumer, the live books and quotes are the framework's
//! ([`crate::cex::venue`]).
//!
//! Client ids: Coinbase requires a UUID `client_oid`; a sluice client id (at most 16 characters)
//! travels inside it, its bytes written as the UUID's hex ([`api::client_oid`]), so an order sent
//! before a restart is adopted by its client id.

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod rest;
pub mod sign;
pub mod user;

pub use sign::coinbase_signer;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;

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
use crate::venue::{ConnectorDescriptor, ImplState, VenueError, VenueId};

use self::api::CoinbaseProtocol;
use self::book::LiveBook;
use self::depth::HeartbeatCheck;
use self::rest::OrderIds;
use self::user::Channels;

/// Coinbase Exchange in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "coinbase_pro",
    module: "cex::exchanges::coinbase_pro",
    state: ImplState::Ready,
};

/// Where a Coinbase Exchange deployment lives, and the account's parameters.
#[derive(Debug, Clone)]
pub struct CoinbaseProConfig {
    pub name: String,
    /// REST host (`https://api.exchange.coinbase.com`).
    pub rest_url: String,
    /// The websocket feed (`wss://ws-feed.exchange.coinbase.com`).
    pub ws_url: String,
    /// How heartbeat sequences are checked against the book's updates.
    pub heartbeat_check: HeartbeatCheck,
    /// Fee used for markets when no keys can ask `/fees` (Coinbase's base taker rate, 0.6 %).
    pub default_fee: Decimal,
    /// Prefix of generated client ids.
    pub client_id_prefix: String,
    /// How long opening the private stream waits for the subscription's answer.
    pub user_stream_timeout: Duration,
}

impl Default for CoinbaseProConfig {
    fn default() -> Self {
        Self {
            name: "coinbase_pro".into(),
            rest_url: "https://api.exchange.coinbase.com".into(),
            ws_url: "wss://ws-feed.exchange.coinbase.com".into(),
            heartbeat_check: HeartbeatCheck::Advance,
            default_fee: Decimal::new(6, 3),
            client_id_prefix: "sl-".into(),
            user_stream_timeout: Duration::from_secs(10),
        }
    }
}

/// Coinbase Exchange's protocol, as the framework's venue asks for it.
#[derive(Debug)]
pub struct CoinbasePro {
    cfg: CoinbaseProConfig,
    ids: OrderIds,
}

impl CoinbasePro {
    pub fn config(&self) -> &CoinbaseProConfig {
        &self.cfg
    }
}

/// The Coinbase Exchange venue: the framework's generic exchange venue over [`CoinbasePro`].
pub type CoinbaseProSpot = ExchangeVenue<CoinbasePro>;

impl ExchangeVenue<CoinbasePro> {
    /// A connector; without credentials only public data (markets, books, quotes) works.
    pub fn new(cfg: CoinbaseProConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(coinbase_signer(&c)?)),
            None => None,
        };
        Self::with_signer(cfg, signer)
    }

    /// A connector with any signer.
    pub fn with_signer(
        cfg: CoinbaseProConfig,
        signer: Option<Arc<Signer>>,
    ) -> Result<Self, CexError> {
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let rest = RestClient::new(&cfg.rest_url, Arc::new(CoinbaseProtocol), signer, limiter)?;
        Ok(Self::from_parts(
            id,
            CoinbasePro {
                cfg,
                ids: OrderIds::default(),
            },
            rest,
        ))
    }
}

#[async_trait]
impl ExchangeApi for CoinbasePro {
    type Mechanism = Channels;
    type Book = LiveBook;

    fn client_id_rule(&self) -> &ClientIdRule {
        &api::CLIENT_ID_RULE
    }

    fn client_id_prefix(&self) -> &str {
        &self.cfg.client_id_prefix
    }

    async fn load_markets(&self, rest: &RestClient) -> Result<Vec<Market>, CexError> {
        rest::load_markets(&self.cfg, rest).await
    }

    async fn load_market(
        &self,
        rest: &RestClient,
        symbol: &str,
    ) -> Result<Option<Market>, CexError> {
        rest::load_market(&self.cfg, rest, symbol).await
    }

    async fn submit(
        &self,
        rest: &RestClient,
        order: &OrderRequest,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::submit(rest, &self.ids, order, market).await
    }

    async fn cancel(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::cancel(rest, &self.ids, id, market).await
    }

    async fn query(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::query(rest, &self.ids, id, market).await
    }

    async fn open_orders(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
    ) -> Result<Vec<Order>, CexError> {
        rest::open_orders(rest, &self.ids, markets, symbol).await
    }

    async fn order_trades(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        venue_order_id: &str,
        market: &Market,
    ) -> Result<Vec<Fill>, CexError> {
        rest::order_trades(rest, id, venue_order_id, market).await
    }

    async fn balances(&self, rest: &RestClient) -> Result<Vec<Balance>, CexError> {
        rest::balances(rest).await
    }

    fn spawn_book(&self, feed: BookFeed) -> LiveBook {
        book::spawn_live_book(
            feed.pair,
            &feed.market,
            &self.cfg.ws_url,
            self.cfg.heartbeat_check,
            feed.hub,
            feed.refresh_rules,
        )
    }

    async fn snapshot_book(
        &self,
        rest: &RestClient,
        market: &Market,
    ) -> Result<OrderBook, CexError> {
        book::snapshot_book(rest, market).await
    }

    async fn open_user_stream(
        &self,
        id: &VenueId,
        rest: &RestClient,
    ) -> Result<UserStream<Channels>, VenueError> {
        user::open(
            &self.cfg.name,
            &self.cfg.ws_url,
            id,
            rest,
            self.cfg.user_stream_timeout,
        )
        .await
    }

    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
        user::parse_frame(frame, markets, &self.ids)
    }
}
