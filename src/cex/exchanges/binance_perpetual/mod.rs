//! Binance USDⓈ-M futures, perpetual contracts (`binance_perpetual`): the framework's generic
//! venue ([`ExchangeVenue`]) over the futures protocol ([`BinancePerp`]). Signing is Binance
//! spot's recipe (the same HMAC over `totalParams`, `X-MBX-APIKEY`), error codes are spot's
//! table plus the futures codes (`errors.rs`); markets come from `/fapi/v1/exchangeInfo`, the book
//! from `<symbol>@depth@100ms` under the `pu` rule (`depth.rs`, `book.rs`), orders, positions,
//! funding and the leverage / margin / position-mode settings from `/fapi` (`rest.rs`, `api.rs`),
//! funding payments from the income history (`income.rs`).
//!
//! Private stream (`user.rs`): the listenKey stream with `ORDER_TRADE_UPDATE` (orders and
//! fills), `ACCOUNT_UPDATE` (balances, positions, funding) and `MARGIN_CALL`; the framework's
//! reconciler polls beside it, and after a reconnect orders and funding are reconciled by polling,
//! each fill and payment counted once.

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod income;
pub mod rest;
pub mod user;

use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::cex::auth::ApiCredentials;
use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::exchanges::binance::api::BinanceProtocol;
use crate::cex::exchanges::binance::binance_signer;
use crate::cex::http::RestClient;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::RateLimiter;
use crate::cex::venue::{
    BookFeed, ExchangeApi, ExchangeVenue, Market, Markets, OrderAck, UserEvent, UserStream,
};
use crate::core::{
    Balance, ClientOrderId, Fill, FundingInfo, FundingPayment, LeverageSetting, MarginMode, Order,
    OrderRequest, PerpOrder, Position, PositionMode,
};
use crate::venue::{ConnectorDescriptor, Execution, ImplState, VenueError, VenueId, VenueKind};

use self::api::FuturesProtocol;
use self::book::LiveBook;
use self::depth::PerpBook;
use self::user::ListenKeyStream;

/// Binance USDⓈ-M futures in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "binance_perpetual",
    module: "cex::exchanges::binance_perpetual",
    state: ImplState::Partial(
        "markets, the depth book (pu rule), orders with position side and reduce-only, positions, funding and funding payments, leverage, margin and position modes, the user data stream (ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, MARGIN_CALL) reconciled by polling",
    ),
};

/// Where the futures API lives, and the account's fees.
#[derive(Debug, Clone)]
pub struct BinancePerpConfig {
    pub name: String,
    pub rest_url: String,
    /// Public market streams base (`/ws/<stream>` is appended).
    pub ws_url: String,
    /// Private stream base (`/ws?listenKey=<key>` is appended).
    pub user_ws_url: String,
    /// Interval of the listenKey keepalives (a key lapses after 60 minutes without one).
    pub listen_key_keepalive: std::time::Duration,
    pub recv_window_ms: u64,
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    pub client_id_prefix: String,
}

impl Default for BinancePerpConfig {
    fn default() -> Self {
        Self {
            name: "binance_perpetual".into(),
            rest_url: "https://fapi.binance.com".into(),
            ws_url: "wss://fstream.binance.com/public".into(),
            user_ws_url: "wss://fstream.binance.com/private".into(),
            listen_key_keepalive: std::time::Duration::from_secs(30 * 60),
            recv_window_ms: 5000,
            // the base tier: 0.02 % maker, 0.05 % taker
            maker_fee: Decimal::new(2, 4),
            taker_fee: Decimal::new(5, 4),
            client_id_prefix: "sluice-".into(),
        }
    }
}

/// The futures protocol as the framework's venue asks for it.
#[derive(Debug, Clone)]
pub struct BinancePerp {
    cfg: BinancePerpConfig,
}

/// The venue: the framework's exchange venue over [`BinancePerp`].
pub type BinancePerpetual = ExchangeVenue<BinancePerp>;

impl ExchangeVenue<BinancePerp> {
    /// A venue; without credentials only public data (markets, books, funding) works.
    pub fn new(cfg: BinancePerpConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(binance_signer(&c, cfg.recv_window_ms)?)),
            None => None,
        };
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let protocol = Arc::new(FuturesProtocol {
            spot: BinanceProtocol {
                recv_window_ms: cfg.recv_window_ms,
            },
        });
        let rest = RestClient::new(&cfg.rest_url, protocol, signer, limiter)?;
        Ok(Self::from_parts(id, BinancePerp { cfg }, rest))
    }

    pub fn config(&self) -> &BinancePerpConfig {
        &self.exchange().cfg
    }

    /// A one-off book from a REST snapshot.
    pub async fn snapshot_book(&self, pair: &crate::core::Pair) -> Result<PerpBook, VenueError> {
        let market = self.market(pair).await?;
        Ok(book::snapshot_book(self.rest(), &market).await?)
    }
}

#[async_trait]
impl ExchangeApi for BinancePerp {
    type Mechanism = ListenKeyStream;
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
        rest::submit(rest, &rest::plain(order), market).await
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
        let book = PerpBook::new(&m.rules.venue_symbol, m.price, m.size);
        book::spawn_live_book(
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
        Ok(book::snapshot_book(rest, market).await?.inner.book)
    }

    async fn open_user_stream(
        &self,
        id: &VenueId,
        rest: &RestClient,
    ) -> Result<UserStream<ListenKeyStream>, VenueError> {
        user::open(&self.cfg, id, rest).await
    }

    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
        user::parse_frame(frame, markets)
    }

    fn user_stream_connected(&self, id: &VenueId, mechanism: ListenKeyStream) {
        tracing::info!(venue = %id, "user data stream connected: {mechanism}");
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
        Ok(rest::positions(rest, markets, symbol).await?)
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
        Ok(income::funding_payments(rest, markets, symbol, since_ms).await?)
    }

    async fn set_leverage(
        &self,
        rest: &RestClient,
        market: &Market,
        leverage: u32,
    ) -> Result<LeverageSetting, VenueError> {
        Ok(rest::set_leverage(rest, market, leverage).await?)
    }

    async fn set_margin_mode(
        &self,
        rest: &RestClient,
        market: &Market,
        mode: MarginMode,
    ) -> Result<(), VenueError> {
        Ok(rest::set_margin_mode(rest, market, mode).await?)
    }

    async fn position_mode(&self, rest: &RestClient) -> Result<PositionMode, VenueError> {
        Ok(rest::position_mode(rest).await?)
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
    use crate::cex::http::encode_query;
    use crate::core::{OrderType, PositionSide, Side, TimeInForce};

    #[test]
    fn futures_orders_carry_position_side_and_reduce_only() {
        let order = OrderRequest {
            client_id: ClientOrderId::new("pf-1").unwrap(),
            pair: "BTC-USDT".parse().unwrap(),
            side: Side::Sell,
            order_type: OrderType::Limit,
            amount: Decimal::new(15, 1),
            price: Some(Decimal::new(90000, 0)),
            time_in_force: TimeInForce::Ioc,
            deadline: None,
        };
        let p = PerpOrder {
            order: order.clone(),
            position_side: PositionSide::Net,
            reduce_only: true,
        };
        let req = rest::order_request(&p, "BTCUSDT");
        assert_eq!(req.path, "/fapi/v1/order");
        assert!(req.signed);
        assert_eq!(
            encode_query(&req.params),
            "symbol=BTCUSDT&side=SELL&positionSide=BOTH&type=LIMIT&timeInForce=IOC&quantity=1.5&price=90000&reduceOnly=true&newClientOrderId=pf-1&newOrderRespType=RESULT"
        );
        let hedge = PerpOrder {
            order: OrderRequest {
                order_type: OrderType::Market,
                ..order
            },
            position_side: PositionSide::Long,
            reduce_only: false,
        };
        assert_eq!(
            encode_query(&rest::order_request(&hedge, "BTCUSDT").params),
            "symbol=BTCUSDT&side=SELL&positionSide=LONG&type=MARKET&quantity=1.5&newClientOrderId=pf-1&newOrderRespType=RESULT"
        );
    }

    /// The futures documentation's signature example (cex-catalog §2.2) through this venue's own
    /// signer and request preparation (spot's recipe, `recvWindow` 5000).
    #[test]
    fn the_documented_futures_signature_through_the_venue_signer() {
        use crate::cex::http::{ApiRequest, Endpoint, prepare_request};
        use crate::cex::sign::NonceSource;
        let creds = ApiCredentials::new(
            "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83",
            "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9",
        )
        .unwrap();
        let signer = binance_signer(&creds, 5000).unwrap();
        let req = ApiRequest::new(reqwest::Method::POST, "/fapi/v1/order")
            .param("symbol", "BTCUSDT")
            .param("side", "BUY")
            .param("type", "LIMIT")
            .param("quantity", "1")
            .param("price", "9000")
            .param("timeInForce", "GTC")
            .signed();
        let protocol = FuturesProtocol {
            spot: BinanceProtocol {
                recv_window_ms: 5000,
            },
        };
        let p = prepare_request(
            &Endpoint::new("https://fapi.binance.com"),
            Some(&protocol),
            Some(&signer),
            &req,
            1_591_702_613_943,
            NonceSource::Derived,
        )
        .unwrap();
        assert_eq!(
            p.query,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
        );
    }
}
