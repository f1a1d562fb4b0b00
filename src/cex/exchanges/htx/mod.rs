//! HTX (Huobi) spot: the exchange framework's generic venue ([`ExchangeVenue`]) over HTX's
//! protocol ([`Htx`], an [`ExchangeApi`]). This file is the wiring; the rooms hold the protocol:
//! markets and rules from `/v1/common/symbols`, limit / post-only (`limit-maker`) / IOC / FOK /
//! market orders, cancels, order queries by client id, fills (`matchresults`) and balances over
//! signed REST (`rest.rs`, `api.rs`), signature version 2 and the WebSocket's version 2.1
//! `auth` (`sign.rs`), the error codes (`errors.rs`), the MBP book and its `seqNum`/`prevSeqNum`
//! rule (`book.rs`) kept live over the gzip feed (`live.rs`), and the private v2 stream
//! (`user.rs`). The connector and its `[connect.htx]` table are in `connect.rs`. Tracking,
//! reconciling, adoption, the private-stream consumer, the live books and quotes are the
//! framework's ([`crate::cex::venue`]).
//!
//! Client ids: HTX's `client-order-id` (at most 64 of `0-9 A-Z a-z - _`) is the sluice client
//! id itself. A market buy is sized by HTX in the quote asset: the connector prices the base
//! amount on the REST book (rounded up) and sends that quote amount.

pub mod api;
pub mod book;
pub mod connect;
pub mod errors;
pub mod live;
pub mod rest;
pub mod sign;
pub mod user;

pub use connect::HTX;
pub use sign::htx_signer;

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

use self::api::HtxProtocol;
use self::live::LiveBook;
use self::rest::AccountId;
use self::user::PrivateWs;

/// HTX in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "htx",
    module: "cex::exchanges::htx",
    state: ImplState::Ready,
};

/// Where an HTX deployment lives, and the account's trading parameters.
#[derive(Debug, Clone)]
pub struct HtxConfig {
    /// Venue name (`htx`).
    pub name: String,
    pub rest_url: String,
    /// WebSocket base: `/feed` (MBP, gzip) and `/ws/v2` (private) are appended.
    pub ws_url: String,
    /// Regular-tier spot fees (0.2 % maker and taker).
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    /// Prefix of generated client order ids.
    pub client_id_prefix: String,
    /// How long opening the private stream waits for its subscription's answer.
    pub user_stream_timeout: Duration,
}

impl Default for HtxConfig {
    fn default() -> Self {
        Self {
            name: "htx".into(),
            rest_url: "https://api.huobi.pro".into(),
            ws_url: "wss://api.huobi.pro".into(),
            maker_fee: dec!(0.002),
            taker_fee: dec!(0.002),
            client_id_prefix: "sluice-".into(),
            user_stream_timeout: Duration::from_secs(10),
        }
    }
}

impl HtxConfig {
    /// The MBP feed (`/feed`).
    pub fn ws_feed_url(&self) -> String {
        format!("{}/feed", self.ws_url.trim_end_matches('/'))
    }

    /// The private v2 stream (`/ws/v2`).
    pub fn ws_private_url(&self) -> String {
        format!("{}/ws/v2", self.ws_url.trim_end_matches('/'))
    }
}

/// HTX's protocol, as the framework's venue asks for it.
#[derive(Debug)]
pub struct Htx {
    cfg: HtxConfig,
    account: AccountId,
}

impl Htx {
    pub fn config(&self) -> &HtxConfig {
        &self.cfg
    }
}

/// The HTX venue: the framework's generic exchange venue over [`Htx`].
pub type HtxSpot = ExchangeVenue<Htx>;

impl ExchangeVenue<Htx> {
    /// A connector; without credentials only public data (markets, books, quotes) works.
    pub fn new(cfg: HtxConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(htx_signer(&c)?)),
            None => None,
        };
        Self::with_signer(cfg, signer)
    }

    /// A connector with any signer.
    pub fn with_signer(cfg: HtxConfig, signer: Option<Arc<Signer>>) -> Result<Self, CexError> {
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let rest = RestClient::new(&cfg.rest_url, Arc::new(HtxProtocol), signer, limiter)?;
        Ok(Self::from_parts(
            id,
            Htx {
                cfg,
                account: AccountId::default(),
            },
            rest,
        ))
    }
}

#[async_trait]
impl ExchangeApi for Htx {
    type Mechanism = PrivateWs;
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
        rest::submit(rest, &self.account, order, market).await
    }

    async fn cancel(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        _market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::cancel(rest, id).await
    }

    async fn query(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        _market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::query(rest, id).await
    }

    async fn open_orders(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
    ) -> Result<Vec<Order>, CexError> {
        rest::open_orders(rest, &self.account, markets, symbol).await
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
        rest::balances(rest, &self.account).await
    }

    fn spawn_book(&self, feed: BookFeed) -> LiveBook {
        live::spawn_live_book(feed, &self.cfg.ws_feed_url())
    }

    async fn snapshot_book(
        &self,
        rest: &RestClient,
        market: &Market,
    ) -> Result<OrderBook, CexError> {
        rest::snapshot_book(rest, market).await
    }

    async fn open_user_stream(
        &self,
        id: &VenueId,
        rest: &RestClient,
    ) -> Result<UserStream<PrivateWs>, VenueError> {
        user::open(
            id,
            rest,
            &self.cfg.ws_private_url(),
            self.cfg.user_stream_timeout,
        )
        .await
    }

    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
        user::parse_frame(frame, markets)
    }
}
