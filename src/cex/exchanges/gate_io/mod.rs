//! Gate.io spot (APIv4): the exchange framework's generic venue ([`ExchangeVenue`]) over Gate.io's
//! protocol ([`GateIo`], an [`ExchangeApi`]). This file is the wiring; the rooms hold the
//! protocol: markets and rules from `/spot/currency_pairs`, limit / post-only (`poc`) / market
//! orders, cancels, order queries, the account's trades and balances over signed REST (`rest.rs`,
//! `api.rs`), the `spot.order_book_update` stream and its `U`/`u` continuity rule against the
//! snapshot's `id` (`book.rs`, `depth.rs`), the private channels `spot.orders`,
//! `spot.usertrades`, `spot.balances` (`user.rs`), signing (`sign.rs`) and error labels
//! (`errors.rs`). The connector and its `[connect.gate_io]` table are in `connect.rs`.
//! Tracking, reconciling, adoption, the private-stream consumer, the live books and quotes are
//! the framework's ([`crate::cex::venue`]).
//!
//! Client ids: Gate.io's `text` must be `t-` plus at most 28 characters of `0-9 A-Z a-z _ - .`; a
//! sluice client id is the part after `t-` (the connector adds and strips the prefix). A market
//! buy is sized by Gate.io in the quote asset: the connector prices the base amount on the REST
//! book (rounded up) and sends that quote amount.

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod rest;
pub mod sign;
pub mod user;

pub use sign::gate_signer;

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

use self::api::GateProtocol;
use self::book::LiveBook;
use self::rest::OrderIds;
use self::user::Channels;

/// Gate.io in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "gate_io",
    module: "cex::exchanges::gate_io",
    state: ImplState::Ready,
};

/// Where a Gate.io deployment lives, and the account's parameters.
#[derive(Debug, Clone)]
pub struct GateIoConfig {
    pub name: String,
    /// REST host (`/api/v4/…` is appended).
    pub rest_url: String,
    /// The websocket endpoint (`wss://api.gateio.ws/ws/v4/`).
    pub ws_url: String,
    /// Fee used when a pair lists none (Gate.io's base rate, 0.2 %).
    pub default_fee: Decimal,
    /// Prefix of generated client ids (after Gate.io's `t-`).
    pub client_id_prefix: String,
    /// How long opening the private stream waits for the subscription's answer.
    pub user_stream_timeout: Duration,
}

impl Default for GateIoConfig {
    fn default() -> Self {
        Self {
            name: "gate_io".into(),
            rest_url: "https://api.gateio.ws".into(),
            ws_url: "wss://api.gateio.ws/ws/v4/".into(),
            default_fee: Decimal::new(2, 3),
            client_id_prefix: "sl-".into(),
            user_stream_timeout: Duration::from_secs(10),
        }
    }
}

/// Gate.io's protocol, as the framework's venue asks for it.
#[derive(Debug)]
pub struct GateIo {
    cfg: GateIoConfig,
    ids: OrderIds,
}

impl GateIo {
    pub fn config(&self) -> &GateIoConfig {
        &self.cfg
    }
}

/// The Gate.io venue: the framework's generic exchange venue over [`GateIo`].
pub type GateIoSpot = ExchangeVenue<GateIo>;

impl ExchangeVenue<GateIo> {
    /// A connector; without credentials only public data (markets, books, quotes) works.
    pub fn new(cfg: GateIoConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(gate_signer(&c)?)),
            None => None,
        };
        Self::with_signer(cfg, signer)
    }

    /// A connector with any signer.
    pub fn with_signer(cfg: GateIoConfig, signer: Option<Arc<Signer>>) -> Result<Self, CexError> {
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let rest = RestClient::new(&cfg.rest_url, Arc::new(GateProtocol), signer, limiter)?;
        Ok(Self::from_parts(
            id,
            GateIo {
                cfg,
                ids: OrderIds::default(),
            },
            rest,
        ))
    }
}

#[async_trait]
impl ExchangeApi for GateIo {
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
            feed.rest,
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
        user::parse_frame(frame, markets)
    }
}
