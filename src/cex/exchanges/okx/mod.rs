//! OKX spot (v5 API): the exchange framework's generic venue ([`ExchangeVenue`]) over OKX's
//! protocol ([`Okx`], an [`ExchangeApi`]). This file is the wiring; the rooms hold the protocol:
//! markets and rules from `public/instruments`, limit / post-only / IOC / FOK / market orders,
//! cancels, order queries, fills and balances over signed REST (`rest.rs`, `api.rs`), the public
//! `books` channel and its `seqId`/`prevSeqId` continuity rule (`book.rs`, `live.rs`), the
//! private stream with its login (`user.rs`), signing (`sign.rs`) and error codes (`errors.rs`).
//! Tracking, reconciling, adoption, the private-stream consumer, the live books and quotes are
//! the framework's ([`crate::cex::venue`]). The connector and its `[connect.okx]` table are in
//! `connect.rs`.

pub mod api;
pub mod book;
mod book_fast;
pub mod connect;
pub mod errors;
pub mod live;
pub mod rest;
pub mod sign;
pub mod user;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::cex::auth::ApiCredentials;
use crate::cex::book::{Level, OrderBook};
use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::RateLimiter;
use crate::cex::sign::Signer;
use crate::cex::venue::{
    BookFeed, ExchangeApi, ExchangeVenue, Market, Markets, OrderAck, UserEvent, UserStream,
};
use crate::core::{Balance, ClientOrderId, Fill, Order, OrderRequest};
use crate::venue::{ConnectorDescriptor, ImplState, VenueError, VenueId};

pub use self::connect::{OKX, OkxConnect, OkxConnector};
pub use self::live::LiveBook;
pub use self::sign::okx_signer;
pub use self::user::PrivateWs;

use self::api::{OkxProtocol, decode_items, limit};

/// OKX in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "okx",
    module: "cex::exchanges::okx",
    state: ImplState::Ready,
};

/// Levels asked for in a REST book snapshot (`sz`, at most 400).
pub const SNAPSHOT_DEPTH: u32 = 400;

/// Where an OKX deployment lives, and the account's trading parameters.
#[derive(Debug, Clone)]
pub struct OkxConfig {
    /// Venue name (`okx`).
    pub name: String,
    pub rest_url: String,
    /// WebSocket base: `/ws/v5/public` and `/ws/v5/private` are appended.
    pub ws_url: String,
    /// Regular-tier spot fees (OKX Lv1: maker 0.08 %, taker 0.1 %).
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    /// Prefix of generated client order ids (letters and digits only: OKX's `clOrdId` rule).
    pub client_id_prefix: String,
    /// How long the private stream's login and subscription may take before `start` returns
    /// with the stream retrying in the background.
    pub user_stream_timeout: Duration,
}

impl OkxConfig {
    pub fn okx() -> Self {
        Self {
            name: "okx".into(),
            rest_url: "https://www.okx.com".into(),
            ws_url: "wss://ws.okx.com:8443".into(),
            maker_fee: dec!(0.0008),
            taker_fee: dec!(0.001),
            client_id_prefix: "sluice".into(),
            user_stream_timeout: Duration::from_secs(10),
        }
    }

    pub fn ws_public_url(&self) -> String {
        format!("{}/ws/v5/public", self.ws_url.trim_end_matches('/'))
    }

    pub fn ws_private_url(&self) -> String {
        format!("{}/ws/v5/private", self.ws_url.trim_end_matches('/'))
    }
}

/// OKX's protocol, as the framework's venue asks for it.
#[derive(Debug, Clone)]
pub struct Okx {
    cfg: OkxConfig,
}

impl Okx {
    pub fn config(&self) -> &OkxConfig {
        &self.cfg
    }
}

/// The OKX venue: the framework's generic exchange venue over [`Okx`]. Cheap to clone.
pub type OkxSpot = ExchangeVenue<Okx>;

impl ExchangeVenue<Okx> {
    /// A connector; without credentials only public data (markets, books, quotes) works. The
    /// credentials must carry OKX's passphrase.
    pub fn new(cfg: OkxConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(okx_signer(&c)?)),
            None => None,
        };
        Self::with_signer(cfg, signer)
    }

    /// A connector with any signer.
    pub fn with_signer(cfg: OkxConfig, signer: Option<Arc<Signer>>) -> Result<Self, CexError> {
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let rest = RestClient::new(&cfg.rest_url, Arc::new(OkxProtocol), signer, limiter)?;
        Ok(Self::from_parts(id, Okx { cfg }, rest))
    }

    pub fn config(&self) -> &OkxConfig {
        &self.exchange().cfg
    }
}

/// A one-off book of `market` from `GET /api/v5/market/books`.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<OrderBook, CexError> {
    #[derive(serde::Deserialize)]
    struct Books {
        asks: Vec<Vec<String>>,
        bids: Vec<Vec<String>>,
    }
    let req = ApiRequest::new(Method::GET, "/api/v5/market/books")
        .param("instId", &market.rules.venue_symbol)
        .param("sz", SNAPSHOT_DEPTH)
        .cost(limit::BOOKS, 1);
    let body = rest.request(&req).await?;
    let b: Books = decode_items("books", &body)?
        .into_iter()
        .next()
        .map(|v| api::item("books", v))
        .ok_or_else(|| CexError::decode("books", "no book item"))??;
    let mut book = OrderBook::new(market.price, market.size);
    let grid = |g: &crate::cex::grid::Grid, v: &str| {
        g.parse(v.as_bytes())
            .map_err(|e| CexError::decode("books", e))
    };
    let side = |levels: &[Vec<String>]| -> Result<Vec<Level>, CexError> {
        levels
            .iter()
            .map(|l| match (l.first(), l.get(1)) {
                (Some(p), Some(q)) => Ok(Level {
                    ticks: grid(&market.price, p)?,
                    lots: grid(&market.size, q)?,
                }),
                _ => Err(CexError::decode("books", "a level without price and size")),
            })
            .collect()
    };
    book.bids.set_all(&side(&b.bids)?);
    book.asks.set_all(&side(&b.asks)?);
    Ok(book)
}

#[async_trait]
impl ExchangeApi for Okx {
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
        live::spawn_live_book(feed, &self.cfg.ws_public_url())
    }

    async fn snapshot_book(
        &self,
        rest: &RestClient,
        market: &Market,
    ) -> Result<OrderBook, CexError> {
        snapshot_book(rest, market).await
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
