//! Coinbase Advanced Trade (spot, CDP keys): the exchange framework's generic venue
//! ([`ExchangeVenue`]) over Advanced Trade's protocol ([`CoinbaseAdvancedApi`], an
//! [`ExchangeApi`]). This file is the wiring; the rooms hold the protocol: products and rules
//! from `/market/products` with the account's fee tier, limit / post-only / IOC / FOK / market
//! orders, cancels, order queries, fills and accounts over JWT-signed REST (`rest.rs`, `api.rs`),
//! the `level2` channel and its `sequence_num` rule (`book.rs`, `depth.rs`), the private `user`
//! channel (`user.rs`), signing (`sign.rs`) and error words (`errors.rs`). The connector and its
//! `[connect.coinbase_advanced]` table are in `connect.rs`. Tracking, reconciling, adoption, the
//! private-stream consumer, the live books and quotes are the framework's ([`crate::cex::venue`]).
//!
//! Client ids: Coinbase's `client_order_id` is any string; sluice's are at most 36 characters of
//! `0-9 A-Z a-z _ -`. Coinbase names orders by its own ids only: an order whose id was never
//! heard of is found by client id in the product's order history (adoption after a restart, a
//! lost answer).

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod rest;
pub mod sign;
pub mod user;

pub use connect::COINBASE_ADVANCED;
pub use sign::coinbase_advanced_signer;

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
use self::rest::VenueIds;
use self::user::UserChannel;

/// Coinbase Advanced Trade in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "coinbase_advanced",
    module: "cex::exchanges::coinbase_advanced",
    state: ImplState::Ready,
};

/// Where an Advanced Trade deployment lives, and the account's parameters.
#[derive(Debug, Clone)]
pub struct CoinbaseAdvancedConfig {
    pub name: String,
    /// REST host (`/api/v3/brokerage/…` is appended).
    pub rest_url: String,
    /// The market-data websocket.
    pub ws_url: String,
    /// The user-order websocket.
    pub user_ws_url: String,
    /// Fees used when the account's tier cannot be read (Coinbase's entry tier: 0.4 % / 0.6 %).
    pub default_maker_fee: Decimal,
    pub default_taker_fee: Decimal,
    /// Prefix of generated client ids.
    pub client_id_prefix: String,
    /// How long opening the private stream waits for the subscription's answer.
    pub user_stream_timeout: Duration,
}

impl Default for CoinbaseAdvancedConfig {
    fn default() -> Self {
        Self {
            name: "coinbase_advanced".into(),
            rest_url: "https://api.coinbase.com".into(),
            ws_url: "wss://advanced-trade-ws.coinbase.com".into(),
            user_ws_url: "wss://advanced-trade-ws-user.coinbase.com".into(),
            default_maker_fee: Decimal::new(4, 3),
            default_taker_fee: Decimal::new(6, 3),
            client_id_prefix: "sl-".into(),
            user_stream_timeout: Duration::from_secs(10),
        }
    }
}

/// Advanced Trade's protocol, as the framework's venue asks for it.
#[derive(Debug)]
pub struct CoinbaseAdvancedApi {
    cfg: CoinbaseAdvancedConfig,
    ids: VenueIds,
}

impl CoinbaseAdvancedApi {
    pub fn config(&self) -> &CoinbaseAdvancedConfig {
        &self.cfg
    }
}

/// The Coinbase Advanced Trade venue: the framework's generic exchange venue over its protocol.
pub type CoinbaseAdvancedSpot = ExchangeVenue<CoinbaseAdvancedApi>;

impl ExchangeVenue<CoinbaseAdvancedApi> {
    /// A connector; without credentials only public data (markets, books, quotes) works.
    pub fn new(
        cfg: CoinbaseAdvancedConfig,
        creds: Option<ApiCredentials>,
    ) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(coinbase_advanced_signer(&c)?)),
            None => None,
        };
        Self::with_signer(cfg, signer)
    }

    /// A connector with any signer.
    pub fn with_signer(
        cfg: CoinbaseAdvancedConfig,
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
            CoinbaseAdvancedApi {
                cfg,
                ids: VenueIds::default(),
            },
            rest,
        ))
    }
}

#[async_trait]
impl ExchangeApi for CoinbaseAdvancedApi {
    type Mechanism = UserChannel;
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
    ) -> Result<UserStream<UserChannel>, VenueError> {
        user::open(
            &self.cfg.name,
            &self.cfg.user_ws_url,
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
