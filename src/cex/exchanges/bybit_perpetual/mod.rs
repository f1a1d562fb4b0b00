//! Bybit v5 linear perpetuals (`bybit_perpetual`): the framework's generic venue
//! ([`ExchangeVenue`]) over Bybit's protocol ([`BybitPerp`]). Signing is the v5 HMAC recipe
//! (`X-BAPI-*` headers over timestamp + key + recv window + query or body); markets come from
//! `/v5/market/instruments-info`, the book from the `orderbook.50` stream (`depth.rs`, `book.rs`),
//! mark and funding from `/v5/market/tickers`, orders (`orderLinkId`, `positionIdx`,
//! `reduceOnly`), executions, positions, settings, the unified wallet and funding settlements
//! from the private REST endpoints (`rest.rs`, `positions.rs`); `retCode`s in `errors.rs`.
//!
//! Private stream (`user.rs`, `user_frames.rs`): `/v5/private` with an `auth` op on every
//! connect, `order`, `execution`, `position` and `wallet`; the framework's reconciler polls
//! beside it, and after a reconnect orders and funding are reconciled by polling, each fill and
//! payment counted once.

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod positions;
pub mod rest;
pub mod user;
pub mod user_frames;

use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::cex::auth::ApiCredentials;
use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::RateLimiter;
use crate::cex::sign::recipes::BybitV5;
use crate::cex::sign::{KeyForm, Signer};
use crate::cex::venue::{
    BookFeed, ExchangeApi, ExchangeVenue, Market, Markets, OrderAck, UserEvent, UserStream,
};
use crate::core::{
    Balance, ClientOrderId, Fill, FundingInfo, FundingPayment, LeverageSetting, MarginMode, Order,
    OrderRequest, PerpOrder, Position, PositionMode,
};
use crate::venue::{ConnectorDescriptor, Execution, ImplState, VenueError, VenueId, VenueKind};

use self::book::{LiveBook, STREAM_DEPTH};
use self::depth::BybitBook;
use self::user::PrivateWs;

/// Bybit linear perpetuals in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "bybit_perpetual",
    module: "cex::exchanges::bybit_perpetual",
    state: ImplState::Partial(
        "markets, the orderbook.50 book (u rule, stream snapshots), orders with positionIdx and reduce-only, positions, funding and settlements, leverage, margin and position modes, the private stream (order, execution, position, wallet) reconciled by polling",
    ),
};

/// Where Bybit's API lives, and the account's fees.
#[derive(Debug, Clone)]
pub struct BybitPerpConfig {
    pub name: String,
    pub rest_url: String,
    /// The public linear stream (`wss://stream.bybit.com/v5/public/linear`).
    pub ws_url: String,
    /// The private stream (`wss://stream.bybit.com/v5/private`); `None`: `/v5/private` on the
    /// public stream's host.
    pub private_ws_url: Option<String>,
    pub recv_window_ms: u32,
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    pub client_id_prefix: String,
}

impl Default for BybitPerpConfig {
    fn default() -> Self {
        Self {
            name: "bybit_perpetual".into(),
            rest_url: "https://api.bybit.com".into(),
            ws_url: "wss://stream.bybit.com/v5/public/linear".into(),
            private_ws_url: None,
            recv_window_ms: 5000,
            // the base tier of derivatives: 0.02 % maker, 0.055 % taker
            maker_fee: Decimal::new(2, 4),
            taker_fee: Decimal::new(55, 5),
            client_id_prefix: "sluice-".into(),
        }
    }
}

impl BybitPerpConfig {
    /// The private stream's URL: the one configured, else `/v5/private` on the host of the
    /// public stream.
    pub fn private_url(&self) -> String {
        if let Some(u) = &self.private_ws_url {
            return u.clone();
        }
        match url::Url::parse(&self.ws_url) {
            Ok(mut u) => {
                u.set_path("/v5/private");
                u.set_query(None);
                u.to_string()
            }
            Err(_) => "wss://stream.bybit.com/v5/private".into(),
        }
    }
}

/// The signer of Bybit keys: the v5 recipe with `recv_window_ms`.
pub fn bybit_signer(creds: &ApiCredentials, recv_window_ms: u32) -> Result<Signer, CexError> {
    Ok(Signer::new(
        Box::new(BybitV5 { recv_window_ms }),
        creds.to_signing(KeyForm::HmacRaw)?,
    )?)
}

/// Bybit's protocol as the framework's venue asks for it.
#[derive(Debug, Clone)]
pub struct BybitPerp {
    cfg: BybitPerpConfig,
}

/// The venue: the framework's exchange venue over [`BybitPerp`].
pub type BybitPerpetual = ExchangeVenue<BybitPerp>;

impl ExchangeVenue<BybitPerp> {
    /// A venue; without credentials only public data (markets, books, funding) works.
    pub fn new(cfg: BybitPerpConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(bybit_signer(&c, cfg.recv_window_ms)?)),
            None => None,
        };
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let rest = RestClient::new(&cfg.rest_url, Arc::new(api::BybitProtocol), signer, limiter)?;
        Ok(Self::from_parts(id, BybitPerp { cfg }, rest))
    }

    pub fn config(&self) -> &BybitPerpConfig {
        &self.exchange().cfg
    }
}

#[async_trait]
impl ExchangeApi for BybitPerp {
    type Mechanism = PrivateWs;
    type Book = LiveBook;

    fn kind(&self) -> VenueKind {
        VenueKind::Perp
    }

    fn execution(&self) -> Execution {
        Execution::IocLimit
    }

    fn client_id_rule(&self) -> &ClientIdRule {
        &api::CLIENT_ID_RULE
    }

    fn client_id_prefix(&self) -> &str {
        &self.cfg.client_id_prefix
    }

    async fn load_markets(&self, rest: &RestClient) -> Result<Vec<Market>, CexError> {
        rest::load_markets(&self.cfg, rest, None).await
    }

    async fn load_market(
        &self,
        rest: &RestClient,
        symbol: &str,
    ) -> Result<Option<Market>, CexError> {
        Ok(rest::load_markets(&self.cfg, rest, Some(symbol))
            .await?
            .into_iter()
            .find(|m| m.rules.venue_symbol == symbol))
    }

    async fn submit(
        &self,
        rest: &RestClient,
        order: &OrderRequest,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::submit(rest, &PerpOrder::plain(order.clone()), market).await
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
        let book = BybitBook::new(&m.rules.venue_symbol, STREAM_DEPTH, m.price, m.size);
        book::spawn_live_book(
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
        Ok(book::snapshot_book(rest, market).await?.book)
    }

    async fn open_user_stream(
        &self,
        id: &VenueId,
        rest: &RestClient,
    ) -> Result<UserStream<PrivateWs>, VenueError> {
        user::open(id, rest, &self.cfg.private_url(), user::CONNECT_WAIT).await
    }

    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
        user_frames::parse_frame(frame, markets)
    }

    fn perpetuals(&self) -> bool {
        true
    }

    async fn submit_perp(
        &self,
        rest: &RestClient,
        order: &PerpOrder,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        rest::submit(rest, order, market).await
    }

    async fn positions(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
    ) -> Result<Vec<Position>, VenueError> {
        Ok(positions::positions(rest, markets, symbol).await?)
    }

    async fn funding(&self, rest: &RestClient, market: &Market) -> Result<FundingInfo, VenueError> {
        Ok(rest::funding(rest, market).await?)
    }

    async fn funding_payments(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
        since_ms: u64,
    ) -> Result<Vec<FundingPayment>, VenueError> {
        Ok(rest::funding_payments(rest, markets, symbol, since_ms).await?)
    }

    async fn set_leverage(
        &self,
        rest: &RestClient,
        market: &Market,
        leverage: u32,
    ) -> Result<LeverageSetting, VenueError> {
        Ok(rest::set_leverage(rest, market, leverage).await?)
    }

    /// Bybit's unified account sets the margin mode for the whole account, not per market.
    async fn set_margin_mode(
        &self,
        rest: &RestClient,
        _market: &Market,
        mode: MarginMode,
    ) -> Result<(), VenueError> {
        Ok(rest::set_margin_mode(rest, mode).await?)
    }

    async fn position_mode(&self, rest: &RestClient) -> Result<PositionMode, VenueError> {
        Ok(positions::position_mode(rest).await?)
    }

    async fn set_position_mode(
        &self,
        rest: &RestClient,
        mode: PositionMode,
    ) -> Result<(), VenueError> {
        Ok(rest::set_position_mode(rest, mode).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::http::{ApiRequest, Endpoint, RequestBody, prepare_request};
    use crate::cex::sign::NonceSource;
    use crate::core::{OrderType, PositionSide, Side, TimeInForce};

    fn order(kind: OrderType) -> OrderRequest {
        OrderRequest {
            client_id: ClientOrderId::new("bb-1").unwrap(),
            pair: "BTC-USDT".parse().unwrap(),
            side: Side::Sell,
            order_type: kind,
            amount: Decimal::new(15, 1),
            price: Some(Decimal::new(90000, 0)),
            time_in_force: TimeInForce::Ioc,
            deadline: None,
        }
    }

    #[test]
    fn orders_carry_position_idx_and_reduce_only() {
        let p = PerpOrder {
            order: order(OrderType::Limit),
            position_side: PositionSide::Net,
            reduce_only: true,
        };
        assert_eq!(
            rest::order_body(&p, "BTCUSDT"),
            serde_json::json!({"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Limit","qty":"1.5","price":"90000","timeInForce":"IOC","orderLinkId":"bb-1","positionIdx":0,"reduceOnly":true})
        );
        let hedge = PerpOrder {
            order: order(OrderType::Market),
            position_side: PositionSide::Short,
            reduce_only: false,
        };
        assert_eq!(
            rest::order_body(&hedge, "BTCUSDT"),
            serde_json::json!({"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"1.5","orderLinkId":"bb-1","positionIdx":2,"reduceOnly":false})
        );
    }

    /// The venue's signer through the framework's request preparation signs what the recipe
    /// documents: timestamp + key + recv window + the raw JSON body (Bybit publishes no signed
    /// example; the HMAC is checked against an independent computation).
    #[test]
    fn a_post_is_signed_over_its_body_through_the_venue_signer() {
        use hmac::{Hmac, Mac};
        let creds = ApiCredentials::new("XXXXXXXXXX", "YYYYYYYYYY").unwrap();
        let signer = bybit_signer(&creds, 5000).unwrap();
        let body = r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"10000","timeInForce":"GTC","orderLinkId":"x","positionIdx":0,"reduceOnly":false}"#;
        let req = ApiRequest::new(reqwest::Method::POST, "/v5/order/create")
            .body(RequestBody::Json(body.into()))
            .signed();
        let p = prepare_request(
            &Endpoint::new("https://api.bybit.com"),
            Some(&api::BybitProtocol),
            Some(&signer),
            &req,
            1_658_385_579_423,
            NonceSource::Derived,
        )
        .unwrap();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"YYYYYYYYYY").unwrap();
        mac.update(format!("1658385579423XXXXXXXXXX5000{body}").as_bytes());
        let want = hex::encode(mac.finalize().into_bytes());
        let header = |k: &str| {
            p.headers
                .iter()
                .find(|(h, _)| *h == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("X-BAPI-SIGN"), Some(want));
        assert_eq!(header("X-BAPI-API-KEY").as_deref(), Some("XXXXXXXXXX"));
        assert_eq!(header("X-BAPI-TIMESTAMP").as_deref(), Some("1658385579423"));
        assert_eq!(header("X-BAPI-RECV-WINDOW").as_deref(), Some("5000"));
        assert_eq!(p.body.as_deref(), Some(body.as_bytes()));
    }
}
