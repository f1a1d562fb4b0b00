//! KuCoin spot: the exchange framework's generic venue ([`ExchangeVenue`]) over KuCoin's
//! protocol ([`KuCoin`], an [`ExchangeApi`]). This file is the wiring; the rooms hold the
//! protocol: markets and rules from `/api/v2/symbols`, limit / post-only / IOC / FOK / market
//! orders, cancels and queries by `clientOid`, fills and balances over signed REST (`rest.rs`,
//! `api.rs`), the public `/market/level2` stream and its sequence rule against a REST snapshot
//! (`depth.rs`, `sync.rs`, `book.rs`), connection tickets (`ws.rs`), the private stream
//! (`user.rs`), signing (`sign.rs`) and error codes (`errors.rs`). Tracking, reconciling,
//! adoption, the private-stream consumer, the live books and quotes are the framework's
//! ([`crate::cex::venue`]). The connector and its `[connect.kucoin]` table are in `connect.rs`.

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod rest;
pub mod sign;
pub mod sync;
pub mod user;
pub mod ws;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

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

pub use self::book::LiveBook;
pub use self::connect::{KUCOIN, KuCoinConnect, KuCoinConnector};
pub use self::sign::kucoin_signer;
pub use self::user::PrivateTopics;

use self::api::KuCoinProtocol;

/// KuCoin in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "kucoin",
    module: "cex::exchanges::kucoin",
    state: ImplState::Ready,
};

/// Where a KuCoin deployment lives, and the account's trading parameters.
#[derive(Debug, Clone)]
pub struct KuCoinConfig {
    /// Venue name (`kucoin`).
    pub name: String,
    /// REST base; the WebSocket endpoints come from its `bullet-public`/`bullet-private` answers.
    pub rest_url: String,
    /// Spot fees, level 0 (maker 0.1 %, taker 0.1 %).
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    /// Prefix of generated client order ids.
    pub client_id_prefix: String,
    /// How long the private stream's subscription may take before `start` returns with the
    /// stream retrying in the background.
    pub user_stream_timeout: Duration,
}

impl KuCoinConfig {
    pub fn kucoin() -> Self {
        Self {
            name: "kucoin".into(),
            rest_url: "https://api.kucoin.com".into(),
            maker_fee: dec!(0.001),
            taker_fee: dec!(0.001),
            client_id_prefix: "sluice".into(),
            user_stream_timeout: Duration::from_secs(10),
        }
    }
}

/// KuCoin's protocol, as the framework's venue asks for it.
#[derive(Debug, Clone)]
pub struct KuCoin {
    cfg: KuCoinConfig,
}

impl KuCoin {
    pub fn config(&self) -> &KuCoinConfig {
        &self.cfg
    }
}

/// The KuCoin venue: the framework's generic exchange venue over [`KuCoin`]. Cheap to clone.
pub type KuCoinSpot = ExchangeVenue<KuCoin>;

impl ExchangeVenue<KuCoin> {
    /// A connector; without credentials only public data (markets, books, quotes) works. The
    /// credentials must carry KuCoin's passphrase.
    pub fn new(cfg: KuCoinConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(kucoin_signer(&c)?)),
            None => None,
        };
        Self::with_signer(cfg, signer)
    }

    /// A connector with any signer.
    pub fn with_signer(cfg: KuCoinConfig, signer: Option<Arc<Signer>>) -> Result<Self, CexError> {
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let rest = RestClient::new(&cfg.rest_url, Arc::new(KuCoinProtocol), signer, limiter)?;
        Ok(Self::from_parts(id, KuCoin { cfg }, rest))
    }

    pub fn config(&self) -> &KuCoinConfig {
        &self.exchange().cfg
    }
}

#[async_trait]
impl ExchangeApi for KuCoin {
    type Mechanism = PrivateTopics;
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
        rest::submit(rest, order, market).await
    }

    async fn cancel(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::cancel(rest, id, market).await
    }

    async fn query(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::query(rest, id, market).await
    }

    async fn open_orders(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
    ) -> Result<Vec<Order>, CexError> {
        rest::open_orders(rest, markets, symbol).await
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
    ) -> Result<UserStream<PrivateTopics>, VenueError> {
        user::open(&self.cfg.name, id, rest, self.cfg.user_stream_timeout).await
    }

    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
        user::parse_frame(frame, markets)
    }
}
