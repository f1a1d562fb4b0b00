//! Loopring's protocol as the framework's generic exchange venue asks for it ([`Loopring`] on
//! [`ExchangeApi`]): markets from the exchange's tokens and markets, the book (`live.rs`),
//! balances, orders signed with the L2 key under the next storage id, cancels (`X-API-SIG`),
//! order status and trades (`rest.rs`). Orders are followed by the framework's reconciler (REST
//! polling). Every private request carries the API key and its signature (`recipe.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use alloy::primitives::Address;
use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;

use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::venue::{
    BookFeed, ExchangeApi, Market, Markets, OrderAck, PollingOnly, UserEvent, UserStream,
};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, Order, OrderRequest, OrderType, Pair, Side,
    TimeInForce,
};
use crate::venue::{VenueError, VenueId};

use super::api::{self, OrderAnswer, Token};
use super::eddsa::EddsaKey;
use super::errors::limit;
use super::live::{self, LiveBook};
use super::order::{LimitOrder, OrderContext};
use super::rest::{self, decode, from_units, public};

/// `clientOrderId`: at most 120 characters of letters, digits, `-`, `_`, `.`, `:`.
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 120,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'),
};

/// Where the API lives and how orders are signed.
#[derive(Debug, Clone)]
pub struct LoopringConfig {
    pub name: String,
    pub rest_url: String,
    pub ws_url: String,
    /// The exchange contract orders name.
    pub exchange: Address,
    /// The largest fee an order accepts, in basis points.
    pub max_fee_bips: u32,
    /// How long a resting order is valid.
    pub order_ttl: Duration,
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    pub client_id_prefix: String,
}

impl LoopringConfig {
    /// A venue named `loopring` at these URLs, with the defaults: the mainnet exchange, a 50 bips
    /// fee cap, orders valid 28 days, no maker fee and 0.25 % taker (the base tier).
    pub fn new(rest_url: &str, ws_url: &str) -> Self {
        Self {
            name: "loopring".into(),
            rest_url: rest_url.into(),
            ws_url: ws_url.into(),
            exchange: super::keys::MAINNET_EXCHANGE
                .parse()
                .unwrap_or_else(|_| unreachable!("a valid address literal")),
            max_fee_bips: 50,
            order_ttl: Duration::from_secs(28 * 24 * 3600),
            maker_fee: Decimal::ZERO,
            taker_fee: Decimal::new(25, 4),
            client_id_prefix: "sluice-".into(),
        }
    }
}

/// The account trading: its id and L2 key.
pub struct LoopringAccount {
    pub account_id: u32,
    pub key: Arc<EddsaKey>,
}

impl std::fmt::Debug for LoopringAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopringAccount")
            .field("account_id", &self.account_id)
            .field("key", &self.key)
            .finish()
    }
}

/// The tokens of a market.
#[derive(Debug, Clone)]
struct MarketTokens {
    base: Token,
    quote: Token,
}

/// Loopring's protocol.
#[derive(Debug)]
pub struct Loopring {
    pub(crate) cfg: LoopringConfig,
    account: Option<LoopringAccount>,
    tokens: RwLock<HashMap<String, MarketTokens>>,
    /// Token symbols by id, for balances.
    symbols: RwLock<HashMap<u32, (String, u8)>>,
    /// Order hashes by client order id, as the exchange acknowledged them.
    hashes: Mutex<HashMap<String, String>>,
}

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn pow10_neg(places: u32) -> Decimal {
    Decimal::new(1, places.min(28))
}

impl Loopring {
    pub fn new(cfg: LoopringConfig, account: Option<LoopringAccount>) -> Self {
        Self {
            cfg,
            account,
            tokens: RwLock::default(),
            symbols: RwLock::default(),
            hashes: Mutex::default(),
        }
    }

    fn account(&self) -> Result<&LoopringAccount, CexError> {
        self.account.as_ref().ok_or_else(|| {
            CexError::Invalid(format!(
                "Loopring's private endpoints need the account's L2 key: name the wallet it is derived from (`wallet` in [connect.{}])",
                self.cfg.name
            ))
        })
    }

    /// The market of `m` on the rules of its tokens; `None` if it is not tradable.
    fn market_of(&self, m: &api::MarketInfo, tokens: &HashMap<u32, Token>) -> Option<Market> {
        let (base, quote) = (
            tokens.get(&m.base_token_id)?,
            tokens.get(&m.quote_token_id)?,
        );
        if !m.enabled || !base.enabled || !quote.enabled {
            return None;
        }
        let (Ok(b), Ok(q)) = (Asset::new(&base.symbol), Asset::new(&quote.symbol)) else {
            tracing::warn!(market = %m.market, "unreadable token symbols; market skipped");
            return None;
        };
        let amount = |u: alloy::primitives::U256| {
            from_units("orderAmounts", &u.to_string(), base.decimals).ok()
        };
        let market = Market::new(MarketRules {
            pair: Pair::new(b, q),
            venue_symbol: m.market.clone(),
            tick_size: pow10_neg(m.price_decimals),
            step_size: pow10_neg(base.order_precision),
            min_size: amount(base.order_minimum).unwrap_or_default(),
            max_size: amount(base.order_maximum),
            min_notional: Decimal::ZERO,
            maker_fee: self.cfg.maker_fee,
            taker_fee: self.cfg.taker_fee,
        })?;
        if let Ok(mut t) = self.tokens.write() {
            t.insert(
                m.market.clone(),
                MarketTokens {
                    base: base.clone(),
                    quote: quote.clone(),
                },
            );
        }
        Some(market)
    }

    async fn markets(&self, rest: &RestClient) -> Result<Vec<Market>, CexError> {
        let tokens = rest.request(&public("/api/v3/exchange/tokens")).await?;
        let tokens = api::parse_tokens(&tokens).map_err(rest::api_error)?;
        let markets = rest.request(&public("/api/v3/exchange/markets")).await?;
        let markets = api::parse_markets(&markets).map_err(rest::api_error)?;
        if let Ok(mut s) = self.symbols.write() {
            s.extend(
                tokens
                    .iter()
                    .map(|t| (t.id, (t.symbol.clone(), t.decimals))),
            );
        }
        let by_id: HashMap<u32, Token> = tokens.into_iter().map(|t| (t.id, t)).collect();
        Ok(markets
            .iter()
            .filter_map(|m| self.market_of(m, &by_id))
            .collect())
    }

    async fn tokens_of(&self, rest: &RestClient, symbol: &str) -> Result<MarketTokens, CexError> {
        let cached = |s: &Self| s.tokens.read().ok().and_then(|t| t.get(symbol).cloned());
        if let Some(t) = cached(self) {
            return Ok(t);
        }
        self.markets(rest).await?;
        cached(self).ok_or_else(|| CexError::Invalid(format!("Loopring has no market {symbol}")))
    }

    fn remember(&self, client_id: &str, hash: &str) {
        if let Ok(mut h) = self.hashes.lock() {
            h.insert(client_id.to_string(), hash.to_string());
        }
    }

    /// The exchange's record of the order of client id `id` in `market`.
    async fn order_doc(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        market: &str,
    ) -> Result<rest::OrderDoc, CexError> {
        let account = self.account()?.account_id;
        let known = self
            .hashes
            .lock()
            .ok()
            .and_then(|h| h.get(id.as_str()).cloned());
        let doc = match known {
            Some(hash) => rest::order_by_hash(rest, account, &hash).await?,
            None => rest::orders(rest, account, Some(market), None)
                .await?
                .into_iter()
                .find(|o| o.client_order_id == id.as_str())
                .ok_or_else(|| rest::not_found(&format!("with client id {id}")))?,
        };
        if doc.client_order_id != id.as_str() || doc.market != market {
            return Err(rest::not_found(&format!("with client id {id} in {market}")));
        }
        self.remember(id.as_str(), &doc.hash);
        Ok(doc)
    }

    /// The signed body of `order` under storage id `storage_id`.
    pub fn order_body(
        &self,
        order: &OrderRequest,
        base: &Token,
        quote: &Token,
        storage_id: u32,
        valid_until: u64,
    ) -> Result<String, CexError> {
        let account = self.account()?;
        let id = &order.client_id;
        let post_only = match (order.order_type, order.time_in_force) {
            (OrderType::LimitMaker, _) => true,
            (OrderType::Limit, TimeInForce::Gtc) => false,
            (t, tif) => {
                return Err(CexError::Invalid(format!(
                    "{id}: Loopring orders are limit orders resting until they expire ({t:?} {tif:?} is not offered)"
                )));
            }
        };
        let price = order.price.ok_or_else(|| {
            CexError::Invalid(format!("{id}: a Loopring order carries a limit price"))
        })?;
        let limit = LimitOrder {
            side: order.side,
            base,
            quote,
            price,
            amount: order.amount,
            client_order_id: id.to_string(),
            post_only,
        };
        let cx = OrderContext {
            exchange: self.cfg.exchange,
            account_id: account.account_id,
            storage_id,
            valid_until,
            max_fee_bips: self.cfg.max_fee_bips,
        };
        let signed = limit
            .sign(&cx, &account.key)
            .map_err(|e| CexError::Invalid(format!("{id}: {e}")))?;
        Ok(signed.body)
    }

    fn shared_order(
        &self,
        markets: &Markets,
        o: &rest::OrderDoc,
    ) -> Result<Option<Order>, CexError> {
        let Some(pair) = markets.pair_of(&o.market) else {
            return Ok(None);
        };
        let Ok(client_id) = ClientOrderId::new(&o.client_order_id) else {
            return Ok(None);
        };
        let Some(t) = self
            .tokens
            .read()
            .ok()
            .and_then(|t| t.get(&o.market).cloned())
        else {
            return Ok(None);
        };
        let ack = rest::order_ack(o, &t.base)?;
        let Some(state) = ack.state else {
            return Ok(None);
        };
        let mut order = Order::new(OrderRequest {
            client_id,
            pair: pair.clone(),
            side: rest::side_of(&o.side)?,
            order_type: OrderType::Limit,
            amount: from_units(
                "volumes.baseAmount",
                &o.volumes.base_amount,
                t.base.decimals,
            )?,
            price: Some(o.price),
            time_in_force: TimeInForce::Gtc,
            deadline: None,
        });
        order.venue_order_id = Some(o.hash.clone());
        order.filled = ack.executed.unwrap_or_default();
        order.state = state;
        Ok(Some(order))
    }
}

#[async_trait]
impl ExchangeApi for Loopring {
    type Mechanism = PollingOnly;
    type Book = LiveBook;

    fn client_id_rule(&self) -> &ClientIdRule {
        &CLIENT_ID_RULE
    }

    fn client_id_prefix(&self) -> &str {
        &self.cfg.client_id_prefix
    }

    async fn load_markets(&self, rest: &RestClient) -> Result<Vec<Market>, CexError> {
        self.markets(rest).await
    }

    async fn load_market(
        &self,
        rest: &RestClient,
        symbol: &str,
    ) -> Result<Option<Market>, CexError> {
        Ok(self
            .markets(rest)
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
        let account = self.account()?.account_id;
        let t = self.tokens_of(rest, &market.rules.venue_symbol).await?;
        let sell = match order.side {
            Side::Buy => t.quote.id,
            Side::Sell => t.base.id,
        };
        let storage = rest::storage_id(rest, account, sell).await?;
        let valid_until = now_s() + self.cfg.order_ttl.as_secs();
        let body = self.order_body(order, &t.base, &t.quote, storage.order_id, valid_until)?;
        let req = ApiRequest::new(Method::POST, "/api/v3/order")
            .signed()
            .cost(limit::REST, 1)
            .body(RequestBody::Json(body));
        let a: OrderAnswer = decode("/api/v3/order", &rest.request(&req).await?)?;
        self.remember(&a.client_order_id, &a.hash);
        Ok(rest::ack_of(&a))
    }

    async fn cancel(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        _market: &Market,
    ) -> Result<OrderAck, CexError> {
        let a = rest::cancel(rest, self.account()?.account_id, id.as_str()).await?;
        Ok(rest::ack_of(&a))
    }

    async fn query(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        market: &Market,
    ) -> Result<OrderAck, CexError> {
        let symbol = &market.rules.venue_symbol;
        let doc = self.order_doc(rest, id, symbol).await?;
        let t = self.tokens_of(rest, symbol).await?;
        rest::order_ack(&doc, &t.base)
    }

    async fn open_orders(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
    ) -> Result<Vec<Order>, CexError> {
        let account = self.account()?.account_id;
        if self.tokens.read().map_or(true, |t| t.is_empty()) {
            self.markets(rest).await?;
        }
        let docs = rest::orders(rest, account, symbol, Some("processing")).await?;
        let mut out = Vec::new();
        for o in &docs {
            if let Some(order) = self.shared_order(markets, o)?
                && order.state.is_live()
            {
                out.push(order);
            }
        }
        Ok(out)
    }

    async fn order_trades(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        venue_order_id: &str,
        market: &Market,
    ) -> Result<Vec<Fill>, CexError> {
        let account = self.account()?.account_id;
        let symbol = &market.rules.venue_symbol;
        let t = self.tokens_of(rest, symbol).await?;
        let mut out = Vec::new();
        for tr in rest::trades(rest, account, symbol, venue_order_id).await? {
            if tr.order_hash != venue_order_id || tr.market != *symbol {
                continue;
            }
            let side = rest::side_of(&tr.side)?;
            // the fee is taken from the token the order buys
            let fee_token = match side {
                Side::Buy => &t.base,
                Side::Sell => &t.quote,
            };
            out.push(Fill {
                venue: String::new(),
                trade_id: tr.trade_id,
                client_id: Some(id.clone()),
                venue_order_id: Some(tr.order_hash),
                pair: market.rules.pair.clone(),
                side,
                price: tr.price,
                amount: from_units("trade volume", &tr.volume, t.base.decimals)?,
                fee_asset: Asset::new(&fee_token.symbol)
                    .map_err(|e| CexError::decode("trade fee token", e.to_string()))?,
                fee_amount: from_units("trade fee", &tr.fee, fee_token.decimals)?,
                is_maker: tr.liquidity.eq_ignore_ascii_case("MAKER"),
                timestamp_ms: tr.created_at,
            });
        }
        out.sort_by_key(|f| f.timestamp_ms);
        Ok(out)
    }

    async fn balances(&self, rest: &RestClient) -> Result<Vec<Balance>, CexError> {
        let account = self.account()?.account_id;
        if self.symbols.read().map_or(true, |s| s.is_empty()) {
            self.markets(rest).await?;
        }
        let docs = rest::balances(rest, account).await?;
        let symbols = self
            .symbols
            .read()
            .map_err(|_| CexError::Invalid("token table poisoned".into()))?
            .clone();
        let mut out = Vec::new();
        for b in docs {
            let Some((symbol, decimals)) = symbols.get(&b.token_id) else {
                tracing::warn!(token = b.token_id, "balance of an unknown token skipped");
                continue;
            };
            let total = from_units("balance total", &b.total, *decimals)?;
            let locked = from_units("balance locked", &b.locked, *decimals)?;
            let asset = Asset::new(symbol).map_err(|e| CexError::decode("token", e.to_string()))?;
            out.push(Balance::new(
                asset,
                total,
                (total - locked).max(Decimal::ZERO),
            ));
        }
        Ok(out)
    }

    fn spawn_book(&self, feed: BookFeed) -> LiveBook {
        let decimals = self
            .tokens
            .read()
            .ok()
            .and_then(|t| {
                t.get(&feed.market.rules.venue_symbol)
                    .map(|t| t.base.decimals)
            })
            .unwrap_or(18);
        live::spawn_live_book(
            feed.pair,
            &feed.market,
            u32::from(decimals),
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
        let t = self.tokens_of(rest, &market.rules.venue_symbol).await?;
        let book = live::snapshot_book(rest, market, u32::from(t.base.decimals)).await?;
        Ok(crate::cex::live_book::DiffBook::order_book(&book).clone())
    }

    async fn open_user_stream(
        &self,
        id: &VenueId,
        _rest: &RestClient,
    ) -> Result<UserStream<PollingOnly>, VenueError> {
        tracing::info!(venue = %id, "Loopring: orders followed by polling");
        Ok(UserStream::polling_only())
    }

    fn parse_user_frame(&self, _frame: &[u8], _markets: &Markets) -> Result<UserEvent, CexError> {
        Ok(UserEvent::Ignored)
    }
}
