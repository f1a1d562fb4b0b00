//! dYdX v3, the StarkEx perpetuals exchange (closed in 2024; the catalog's `dydx_v3`): the keys its
//! clients derive from the Ethereum key ([`onboarding`]), the STARK curve key and signatures
//! ([`stark`]) and the StarkEx messages signed with them — orders, withdrawals and transfers
//! ([`starkex`]) — each equal to the official clients' test vectors; and the venue, to its last
//! documented protocol: the framework's generic exchange venue ([`ExchangeVenue`]) over
//! [`DydxV3`] — markets, funding, orders (STARK-signed, `order.rs`), fills, the account's
//! collateral and positions, funding payments (`rest.rs`), the `v3_orderbook` book under its
//! per-level offset rule (`depth.rs`, `book.rs`), requests signed with the API key (the
//! `DYDX-SIGNATURE` recipe), errors in `errors.rs`. It connects only to the URLs its table gives
//! (`connect.rs`). Orders are followed by the framework's reconciler (REST polling).

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod onboarding;
pub mod order;
pub mod rest;
pub mod stark;
pub mod starkex;

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
use crate::cex::sign::recipes::DydxV3 as DydxV3Recipe;
use crate::cex::sign::{KeyForm, Signer};
use crate::cex::venue::{
    BookFeed, ExchangeApi, ExchangeVenue, Market, Markets, OrderAck, PollingOnly, UserEvent,
    UserStream,
};
use crate::core::{
    Balance, ClientOrderId, Fill, FundingInfo, FundingPayment, Order, OrderRequest, PerpOrder,
    Position,
};
use crate::venue::{ConnectorDescriptor, Execution, ImplState, VenueError, VenueId, VenueKind};

use self::book::LiveBook;
use self::depth::DydxBook;
use self::order::OrderContext;
use self::stark::StarkKey;

/// dYdX v3 in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "dydx_v3",
    module: "clob::dydx_v3",
    state: ImplState::Partial(
        "closed venue, to a URL the user gives: markets, the v3_orderbook book (offset rule), STARK-signed orders, cancels, fills, collateral, positions, funding and funding payments; orders followed by polling (no v3_accounts stream yet)",
    ),
};

/// Where the API lives and how orders are signed.
#[derive(Debug, Clone)]
pub struct DydxV3Config {
    pub name: String,
    pub rest_url: String,
    /// The websocket (`wss://api.dydx.exchange/v3/ws` when it ran).
    pub ws_url: String,
    /// The Ethereum network id the STARK messages are signed for (1: mainnet).
    pub network_id: u64,
    /// The largest fee an order accepts, as a fraction of its notional.
    pub limit_fee: Decimal,
    /// How long a resting order lives (its `expiration`).
    pub order_ttl: Duration,
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    pub client_id_prefix: String,
    /// A market order without a price is sent with this worst price: the oracle price this
    /// fraction above (a buy) or below (a sell), on the tick grid.
    pub market_slippage: Decimal,
}

impl Default for DydxV3Config {
    fn default() -> Self {
        Self {
            name: "dydx_v3".into(),
            rest_url: String::new(),
            ws_url: String::new(),
            network_id: starkex::NETWORK_MAINNET,
            // the official clients' examples sign 0.15 %
            limit_fee: Decimal::new(15, 4),
            order_ttl: Duration::from_secs(28 * 24 * 3600),
            // the base tier: 0.02 % maker, 0.05 % taker
            maker_fee: Decimal::new(2, 4),
            taker_fee: Decimal::new(5, 4),
            client_id_prefix: "sluice-".into(),
            market_slippage: Decimal::new(5, 2),
        }
    }
}

/// What the venue trades with: the API key (requests) and the STARK key (orders).
#[derive(Default)]
pub struct DydxV3Keys {
    pub api: Option<ApiCredentials>,
    pub stark: Option<StarkKey>,
}

impl std::fmt::Debug for DydxV3Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DydxV3Keys")
            .field("api", &self.api.as_ref().map(|_| "…"))
            .field("stark", &self.stark)
            .finish()
    }
}

/// The signer of dYdX v3 requests for an API key (with its passphrase).
pub fn dydx_v3_signer(creds: &ApiCredentials) -> Result<Signer, CexError> {
    Ok(Signer::new(
        Box::new(DydxV3Recipe),
        creds.to_signing(KeyForm::HmacBase64Url)?,
    )?)
}

/// The account orders are signed for: its id and StarkEx position id.
#[derive(Debug, Clone)]
pub struct AccountRef {
    pub id: String,
    pub position_id: u64,
}

/// dYdX v3's protocol as the framework's venue asks for it.
#[derive(Debug)]
pub struct DydxV3 {
    cfg: DydxV3Config,
    stark: Option<StarkKey>,
    account: tokio::sync::OnceCell<AccountRef>,
}

/// The venue: the framework's exchange venue over [`DydxV3`].
pub type DydxV3Venue = ExchangeVenue<DydxV3>;

impl ExchangeVenue<DydxV3> {
    /// A venue; without keys only public data works, without the STARK key no order.
    pub fn new(cfg: DydxV3Config, keys: DydxV3Keys) -> Result<Self, CexError> {
        let signer = match &keys.api {
            Some(c) => Some(Arc::new(dydx_v3_signer(c)?)),
            None => None,
        };
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let rest = RestClient::new(
            &cfg.rest_url,
            Arc::new(api::DydxV3Protocol),
            signer,
            limiter,
        )?;
        let exchange = DydxV3 {
            cfg,
            stark: keys.stark,
            account: tokio::sync::OnceCell::new(),
        };
        Ok(Self::from_parts(id, exchange, rest))
    }

    pub fn config(&self) -> &DydxV3Config {
        &self.exchange().cfg
    }
}

impl DydxV3 {
    /// The account (number 0) of the API key, asked once.
    pub async fn account_ref(&self, rest: &RestClient) -> Result<&AccountRef, CexError> {
        self.account
            .get_or_try_init(|| async {
                let a = rest::first_account(rest).await?;
                let position_id = a.position_id.parse().map_err(|_| {
                    CexError::decode("account", format!("positionId {:?}", a.position_id))
                })?;
                Ok(AccountRef {
                    id: a.id,
                    position_id,
                })
            })
            .await
    }

    async fn account_doc(&self, rest: &RestClient) -> Result<api::AccountDoc, CexError> {
        let id = self.account_ref(rest).await?.id.clone();
        rest::account(rest, &id).await
    }

    fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }

    async fn place(
        &self,
        rest: &RestClient,
        order: &PerpOrder,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        let key = self.stark.as_ref().ok_or_else(|| {
            CexError::Invalid(format!(
                "{}: dYdX v3 orders are signed with the STARK key: name the wallet it is derived from (`wallet` in [connect.{}], or `--wallet NAME`)",
                order.order.client_id, self.cfg.name
            ))
        })?;
        let position_id = self.account_ref(rest).await?.position_id;
        let priced;
        let order = match (order.order.order_type, order.order.price) {
            (crate::core::OrderType::Market, None) => {
                let oracle = rest::funding(rest, market).await?.mark_price;
                priced = PerpOrder {
                    order: OrderRequest {
                        price: Some(worst_price(
                            oracle,
                            order.order.side,
                            self.cfg.market_slippage,
                            market.rules.tick_size,
                        )),
                        ..order.order.clone()
                    },
                    ..order.clone()
                };
                &priced
            }
            _ => order,
        };
        let ttl = self.cfg.order_ttl.as_secs();
        let cx = OrderContext {
            network_id: self.cfg.network_id,
            position_id,
            limit_fee: self.cfg.limit_fee,
            expiration_ms: (Self::now_ms() / 1000 + ttl) * 1000,
            key,
        };
        order::submit(rest, order, market, &cx).await
    }
}

/// The worst price of a market order: `oracle` moved by `slippage` against the taker, rounded
/// outwards to the tick (up for a buy, down for a sell; never below one tick).
pub fn worst_price(
    oracle: Decimal,
    side: crate::core::Side,
    slippage: Decimal,
    tick: Decimal,
) -> Decimal {
    use crate::core::Side;
    if tick <= Decimal::ZERO {
        return oracle;
    }
    let raw = match side {
        Side::Buy => oracle * (Decimal::ONE + slippage),
        Side::Sell => oracle * (Decimal::ONE - slippage),
    };
    let ticks = raw / tick;
    let ticks = match side {
        Side::Buy => ticks.ceil(),
        Side::Sell => ticks.floor(),
    };
    (ticks * tick).max(tick).normalize()
}

#[async_trait]
impl ExchangeApi for DydxV3 {
    type Mechanism = PollingOnly;
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
        self.place(rest, &PerpOrder::plain(order.clone()), market)
            .await
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
        Ok(rest::balances_of(&self.account_doc(rest).await?))
    }

    fn spawn_book(&self, feed: BookFeed) -> LiveBook {
        let m = &feed.market;
        let book = DydxBook::new(&m.rules.venue_symbol, m.price, m.size);
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
        Ok(book::snapshot_book(rest, market).await?.book)
    }

    async fn open_user_stream(
        &self,
        id: &VenueId,
        _rest: &RestClient,
    ) -> Result<UserStream<PollingOnly>, VenueError> {
        tracing::info!(venue = %id, "dYdX v3: orders followed by polling");
        Ok(UserStream::polling_only())
    }

    fn parse_user_frame(&self, _frame: &[u8], _markets: &Markets) -> Result<UserEvent, CexError> {
        Ok(UserEvent::Ignored)
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
        self.place(rest, order, market).await
    }

    async fn positions(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
    ) -> Result<Vec<Position>, VenueError> {
        let a = self.account_doc(rest).await?;
        Ok(rest::positions_of(&a, markets, symbol))
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Side;

    #[test]
    fn market_orders_are_priced_against_the_taker_on_the_tick() {
        let t = Decimal::new(1, 1);
        assert_eq!(
            worst_price(Decimal::new(1000, 0), Side::Buy, Decimal::new(5, 2), t),
            Decimal::new(1050, 0)
        );
        assert_eq!(
            worst_price(Decimal::new(10001, 1), Side::Buy, Decimal::new(5, 2), t),
            Decimal::new(10502, 1)
        );
        assert_eq!(
            worst_price(Decimal::new(10001, 1), Side::Sell, Decimal::new(5, 2), t),
            Decimal::new(9500, 1)
        );
        assert_eq!(
            worst_price(Decimal::new(1, 2), Side::Sell, Decimal::new(5, 2), t),
            t
        );
    }
}
