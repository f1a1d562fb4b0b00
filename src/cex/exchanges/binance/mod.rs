//! Binance spot (and Binance US, the same protocol on its own domain): the exchange framework's
//! generic venue ([`ExchangeVenue`]) over Binance's protocol ([`Binance`], an [`ExchangeApi`]).
//! This file is the wiring; the rooms hold the protocol: markets and rules from `exchangeInfo`,
//! LIMIT / LIMIT_MAKER / MARKET orders, cancels, order queries, account trades and balances over
//! signed REST (`rest.rs`, `api.rs`), the depth stream and its continuity rule (`book.rs`,
//! `depth.rs`), the private stream (`user_stream.rs`, `user.rs`, `listen_key.rs`), signing
//! (`sign.rs`) and error codes (`errors.rs`). Tracking, reconciling, adoption, the private-stream
//! consumer, the live books and quotes are the framework's ([`crate::cex::venue`]).
//!
//! The user stream speaks whichever mechanism the server serves, with one code path for both
//! venues ([`BinanceConfig::user_stream`], default `auto`): first the WebSocket API subscription
//! (`userDataStream.subscribe.signature`, Binance.com's only mechanism since 2026-02-20); if the
//! server does not serve it (the endpoint cannot be connected to, refuses the upgrade, or answers
//! the method with `-1020 UNSUPPORTED_OPERATION`), the legacy listenKey stream
//! (`listen_key`: `POST /api/v3/userDataStream`, `/ws/<listenKey>`, keepalive `PUT`s, a new
//! key after `listenKeyExpired` or a drop, `DELETE` on stop). An authentication, signature or
//! timestamp error on the subscription is reported, never a reason to fall back. Both streams'
//! events reach the order tracker and the balances the same way, and the mechanism in use is
//! logged at info level on each connect. Binance US, whose switch to the WebSocket API is
//! unverified, is served either way.

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod listen_key;
pub mod rest;
pub mod sign;
pub mod user;
mod user_stream;

pub use rest::order_request;
pub use sign::binance_signer;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;

use crate::cex::auth::ApiCredentials;
use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::RateLimiter;
use crate::cex::sign::Signer;
use crate::cex::venue::{
    BookFeed, ExchangeApi, ExchangeVenue, Markets, OrderAck, UserEvent, UserStream,
};
use crate::core::{Balance, ClientOrderId, Fill, Order, OrderRequest, Pair};
use crate::venue::{ConnectorDescriptor, ImplState, VenueError, VenueId};

use self::api::{BinanceProtocol, RAW_REQUESTS, REQUEST_WEIGHT, decode};
use self::book::{LiveBook, spawn_live_book};
use self::depth::SyncedBook;
pub use self::user::UserStreamMode;
pub use crate::cex::venue::Market;

/// Binance spot in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "binance",
    module: "cex::exchanges::binance",
    state: ImplState::Ready,
};

/// Binance US: the same code with its own URLs; its user stream works whether the server serves
/// the WebSocket API subscription or only the legacy listenKey stream.
pub const DESCRIPTOR_US: ConnectorDescriptor = ConnectorDescriptor {
    name: "binance_us",
    module: "cex::exchanges::binance",
    state: ImplState::Ready,
};

/// Where a Binance deployment lives, and the account's trading parameters.
#[derive(Debug, Clone)]
pub struct BinanceConfig {
    /// Venue name: `binance` or `binance_us`.
    pub name: String,
    pub rest_url: String,
    /// Market streams base (`/ws/<stream>` is appended).
    pub ws_url: String,
    /// WebSocket API endpoint (user data stream).
    pub ws_api_url: String,
    pub recv_window_ms: u64,
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    /// Prefix of generated client order ids.
    pub client_id_prefix: String,
    /// User-stream mechanism: `auto` (WebSocket API, else listenKey), `ws_api` or `listen_key`.
    pub user_stream: UserStreamMode,
    /// Interval of the listenKey keepalive `PUT`s (Binance: keys lapse after 60 minutes).
    pub listen_key_keepalive: Duration,
    /// How long the WebSocket API subscription may take to be answered before `auto` tries the
    /// listenKey stream.
    pub user_stream_timeout: Duration,
}

impl BinanceConfig {
    pub fn binance() -> Self {
        Self {
            name: "binance".into(),
            rest_url: "https://api.binance.com".into(),
            ws_url: "wss://stream.binance.com:9443".into(),
            ws_api_url: "wss://ws-api.binance.com:443/ws-api/v3".into(),
            recv_window_ms: 5000,
            maker_fee: Decimal::new(1, 3),
            taker_fee: Decimal::new(1, 3),
            client_id_prefix: "sluice-".into(),
            user_stream: UserStreamMode::Auto,
            listen_key_keepalive: Duration::from_secs(30 * 60),
            user_stream_timeout: Duration::from_secs(10),
        }
    }

    pub fn binance_us() -> Self {
        Self {
            name: "binance_us".into(),
            rest_url: "https://api.binance.us".into(),
            ws_url: "wss://stream.binance.us:9443".into(),
            ws_api_url: "wss://ws-api.binance.us:443/ws-api/v3".into(),
            ..Self::binance()
        }
    }

    /// The configuration of a venue by name.
    pub fn for_venue(name: &str) -> Option<Self> {
        match name {
            "binance" => Some(Self::binance()),
            "binance_us" => Some(Self::binance_us()),
            _ => None,
        }
    }
}

/// Binance's protocol, as the framework's venue asks for it.
#[derive(Debug, Clone)]
pub struct Binance {
    cfg: BinanceConfig,
}

impl Binance {
    pub fn config(&self) -> &BinanceConfig {
        &self.cfg
    }
}

/// The Binance venue: the framework's generic exchange venue over [`Binance`]. Cheap to clone.
pub type BinanceSpot = ExchangeVenue<Binance>;

impl ExchangeVenue<Binance> {
    /// A connector; without credentials only public data (markets, books, quotes) works.
    /// An HMAC secret signs with Binance's HMAC recipe, an Ed25519 PEM key with its Ed25519 one.
    pub fn new(cfg: BinanceConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(binance_signer(&c, cfg.recv_window_ms)?)),
            None => None,
        };
        Self::with_signer(cfg, signer)
    }

    /// A connector with any signer.
    pub fn with_signer(cfg: BinanceConfig, signer: Option<Arc<Signer>>) -> Result<Self, CexError> {
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let protocol = Arc::new(BinanceProtocol {
            recv_window_ms: cfg.recv_window_ms,
        });
        let rest = RestClient::new(&cfg.rest_url, protocol, signer, limiter)?;
        Ok(Self::from_parts(id, Binance { cfg }, rest))
    }

    pub fn config(&self) -> &BinanceConfig {
        &self.exchange().cfg
    }

    /// A one-off book from a REST snapshot.
    pub async fn snapshot_book(&self, pair: &Pair) -> Result<SyncedBook, VenueError> {
        let market = self.market(pair).await?;
        Ok(book::snapshot_book(self.rest(), &market).await?)
    }

    /// Recent public trades of a pair: (trade id, price, size, buyer is maker).
    pub async fn recent_trades(
        &self,
        pair: &Pair,
        limit: u32,
    ) -> Result<Vec<(i64, Decimal, Decimal, bool)>, VenueError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct T {
            id: i64,
            price: Decimal,
            qty: Decimal,
            is_buyer_maker: bool,
        }
        let market = self.market(pair).await?;
        let req = ApiRequest::new(Method::GET, "/api/v3/trades")
            .param("symbol", &market.rules.venue_symbol)
            .param("limit", limit)
            .cost(REQUEST_WEIGHT, 25)
            .cost(RAW_REQUESTS, 1);
        let body = self.rest().request(&req).await?;
        let t: Vec<T> = decode("trades", &body)?;
        Ok(t.into_iter()
            .map(|t| (t.id, t.price, t.qty, t.is_buyer_maker))
            .collect())
    }

    /// The account's trades on a pair (of one order, if given).
    pub async fn account_trades(
        &self,
        pair: &Pair,
        order_id: Option<i64>,
    ) -> Result<Vec<api::AccountTrade>, VenueError> {
        let m = self.market(pair).await?;
        Ok(rest::account_trades(self.rest(), &m.rules.venue_symbol, order_id).await?)
    }
}

#[async_trait]
impl ExchangeApi for Binance {
    type Mechanism = UserStreamMode;
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
        let m = &feed.market;
        let book = SyncedBook::new(&m.rules.venue_symbol, m.price, m.size);
        spawn_live_book(
            feed.pair,
            book,
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
        Ok(book::snapshot_book(rest, market).await?.book)
    }

    async fn open_user_stream(
        &self,
        id: &VenueId,
        rest: &RestClient,
    ) -> Result<UserStream<UserStreamMode>, VenueError> {
        user_stream::open(&self.cfg, id, rest).await
    }

    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
        user_stream::parse_frame(&self.cfg.name, frame, markets)
    }

    fn user_stream_connected(&self, id: &VenueId, mechanism: UserStreamMode) {
        user_stream::log_mechanism(id, mechanism);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{OrderType, Side, TimeInForce};

    #[test]
    fn order_request_lists_the_parameters_in_submit_order() {
        let order = OrderRequest {
            client_id: ClientOrderId::new("arb-7").unwrap(),
            pair: "ETH-USDT".parse().unwrap(),
            side: Side::Sell,
            order_type: OrderType::Limit,
            amount: Decimal::new(1500, 3),
            price: Some(Decimal::new(301_250, 2)),
            time_in_force: TimeInForce::Ioc,
            deadline: None,
        };
        let req = order_request(&order, "ETHUSDT");
        assert_eq!(req.method, Method::POST);
        assert_eq!(req.path, "/api/v3/order");
        assert!(req.signed);
        let q = crate::cex::http::encode_query(&req.params);
        assert_eq!(
            q,
            "symbol=ETHUSDT&side=SELL&type=LIMIT&timeInForce=IOC&quantity=1.5&price=3012.5&newClientOrderId=arb-7&newOrderRespType=FULL"
        );
        let market = OrderRequest {
            order_type: OrderType::Market,
            ..order
        };
        let q = crate::cex::http::encode_query(&order_request(&market, "ETHUSDT").params);
        assert_eq!(
            q,
            "symbol=ETHUSDT&side=SELL&type=MARKET&quantity=1.5&newClientOrderId=arb-7&newOrderRespType=FULL"
        );
    }
}
