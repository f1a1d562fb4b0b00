//! A small fake exchange for the framework's tests: markets, an order book of records it answers
//! from, switchable failures, a private stream the test feeds frame by frame, and a log of the
//! calls the framework made. No network: its REST client points at a loopback port it never uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::cex::book::OrderBook;
use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{HttpProtocol, RestClient};
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::RateLimiter;
use crate::cex::sign::Signer;
use crate::cex::sign::recipes::BybitV5;
use crate::cex::sign::{Credentials, SigningRecipe};
use crate::cex::stream::StreamEvent;
use crate::cex::venue::{
    BookFeed, ExchangeApi, ExchangeVenue, LiveBookView, Market, MarketUnavailable, Markets,
    OrderAck, OrderUpdate, UserEvent, UserStream,
};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, Order, OrderRequest, OrderState, Pair,
};
use crate::venue::{VenueError, VenueId};

/// How the fake answers an order request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubmitMode {
    /// Records the order and answers `Open`.
    #[default]
    Accept,
    /// Records the order, then the answer is lost (a timeout).
    NoAnswer,
}

/// The exchange's side of the world.
#[derive(Debug, Default)]
pub struct FakeState {
    pub markets: Vec<Market>,
    /// The orders the exchange knows, by client id: the request and its record.
    pub orders: HashMap<ClientOrderId, (OrderRequest, OrderAck)>,
    /// The trades of each order.
    pub trades: HashMap<ClientOrderId, Vec<Fill>>,
    pub submit_mode: SubmitMode,
    /// Every call the framework made: `submit`, `cancel`, `query`, `open_orders`, `trades`,
    /// `markets`, `market`.
    pub calls: Vec<&'static str>,
    /// Feeds the private stream once it is open.
    pub stream: Option<mpsc::Sender<StreamEvent>>,
}

#[derive(Debug, Clone, Default)]
pub struct Fake {
    pub state: Arc<Mutex<FakeState>>,
}

impl Fake {
    pub fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn calls(&self, which: &str) -> usize {
        self.lock().calls.iter().filter(|c| **c == which).count()
    }

    /// Fills the exchange's record of `id` completely (as if it traded while nobody listened).
    pub fn fill_silently(&self, id: &ClientOrderId, price: Decimal) {
        let mut s = self.lock();
        let Some((req, ack)) = s.orders.get_mut(id) else {
            return;
        };
        ack.state = Some(OrderState::Filled);
        ack.status = "filled".into();
        ack.executed = Some(req.amount);
        let fill = fill(req, &ack.venue_order_id, "t-silent", price, req.amount);
        s.trades.entry(id.clone()).or_default().push(fill);
    }

    /// Sends one event down the private stream.
    pub async fn push(&self, ev: StreamEvent) {
        let tx = self.lock().stream.clone();
        if let Some(tx) = tx {
            tx.send(ev).await.expect("the consumer is running");
        }
    }
}

pub fn fill(
    req: &OrderRequest,
    venue_id: &str,
    trade: &str,
    price: Decimal,
    amount: Decimal,
) -> Fill {
    Fill {
        venue: String::new(),
        trade_id: trade.into(),
        client_id: Some(req.client_id.clone()),
        venue_order_id: Some(venue_id.into()),
        pair: req.pair.clone(),
        side: req.side,
        price,
        amount,
        fee_asset: req.pair.quote.clone(),
        fee_amount: Decimal::ZERO,
        is_maker: false,
        timestamp_ms: 1,
    }
}

pub fn market(pair: &str, symbol: &str) -> Market {
    let pair: Pair = pair.parse().expect("a pair");
    Market::new(MarketRules {
        pair,
        venue_symbol: symbol.into(),
        tick_size: Decimal::new(1, 2),
        step_size: Decimal::new(1, 3),
        min_size: Decimal::new(1, 3),
        max_size: None,
        min_notional: Decimal::ONE,
        maker_fee: Decimal::new(1, 3),
        taker_fee: Decimal::new(1, 3),
    })
    .expect("usable grids")
}

fn unknown_order() -> CexError {
    CexError::Api {
        status: 400,
        code: 404,
        msg: "no such order".into(),
        kind: ApiErrorKind::UnknownOrder,
    }
}

/// The fake's private stream frames: `{"symbol","id","oid","state","cum","fill":[px,qty,tid]}`.
#[derive(Deserialize)]
struct Frame {
    symbol: String,
    id: String,
    oid: String,
    state: String,
    cum: Decimal,
    #[serde(default)]
    fill: Option<(Decimal, Decimal, String)>,
}

fn state_of(word: &str) -> Option<OrderState> {
    Some(match word {
        "open" => OrderState::Open,
        "filled" => OrderState::Filled,
        "cancelled" => OrderState::Cancelled,
        _ => return None,
    })
}

/// A book that never syncs (the framework's book rules are Binance-tested).
#[derive(Debug)]
pub struct NoBook;

impl LiveBookView for NoBook {
    fn with_synced<R>(&self, _f: impl FnOnce(&OrderBook, Option<u64>) -> R) -> Option<R> {
        None
    }
    fn unavailable(&self) -> Option<MarketUnavailable> {
        None
    }
}

#[async_trait]
impl ExchangeApi for Fake {
    type Mechanism = &'static str;
    type Book = NoBook;

    fn client_id_rule(&self) -> &ClientIdRule {
        const RULE: ClientIdRule = ClientIdRule {
            max_len: 20,
            allowed: |c| c.is_ascii_alphanumeric() || c == '-',
        };
        &RULE
    }

    fn client_id_prefix(&self) -> &str {
        "fk-"
    }

    async fn load_markets(&self, _rest: &RestClient) -> Result<Vec<Market>, CexError> {
        let mut s = self.lock();
        s.calls.push("markets");
        Ok(s.markets.clone())
    }

    async fn load_market(&self, _: &RestClient, symbol: &str) -> Result<Option<Market>, CexError> {
        let mut s = self.lock();
        s.calls.push("market");
        Ok(s.markets
            .iter()
            .find(|m| m.rules.venue_symbol == symbol)
            .cloned())
    }

    async fn submit(
        &self,
        _: &RestClient,
        order: &OrderRequest,
        _: &Market,
    ) -> Result<OrderAck, CexError> {
        let mut s = self.lock();
        s.calls.push("submit");
        let ack = OrderAck {
            venue_order_id: format!("v{}", s.orders.len() + 1),
            status: "open".into(),
            state: Some(OrderState::Open),
            executed: Some(Decimal::ZERO),
            fills: Vec::new(),
        };
        s.orders
            .insert(order.client_id.clone(), (order.clone(), ack.clone()));
        match s.submit_mode {
            SubmitMode::Accept => Ok(ack),
            SubmitMode::NoAnswer => Err(CexError::Timeout("http://127.0.0.1:9/order".into())),
        }
    }

    async fn cancel(
        &self,
        _: &RestClient,
        id: &ClientOrderId,
        _: &Market,
    ) -> Result<OrderAck, CexError> {
        let mut s = self.lock();
        s.calls.push("cancel");
        let (_, ack) = s.orders.get_mut(id).ok_or_else(unknown_order)?;
        ack.state = Some(OrderState::Cancelled);
        ack.status = "cancelled".into();
        Ok(ack.clone())
    }

    async fn query(
        &self,
        _: &RestClient,
        id: &ClientOrderId,
        _: &Market,
    ) -> Result<OrderAck, CexError> {
        let mut s = self.lock();
        s.calls.push("query");
        s.orders
            .get(id)
            .map(|(_, a)| a.clone())
            .ok_or_else(unknown_order)
    }

    async fn open_orders(
        &self,
        _: &RestClient,
        markets: &Markets,
        _symbol: Option<&str>,
    ) -> Result<Vec<Order>, CexError> {
        let mut s = self.lock();
        s.calls.push("open_orders");
        let mut out = Vec::new();
        for (req, ack) in s.orders.values() {
            if ack.state.is_some_and(|st| st.is_live()) && markets.get(&req.pair).is_some() {
                let mut o = Order::new(req.clone());
                o.venue_order_id = Some(ack.venue_order_id.clone());
                o.state = ack.state.unwrap_or(OrderState::Open);
                out.push(o);
            }
        }
        Ok(out)
    }

    async fn order_trades(
        &self,
        _: &RestClient,
        id: &ClientOrderId,
        _: &str,
        _: &Market,
    ) -> Result<Vec<Fill>, CexError> {
        let mut s = self.lock();
        s.calls.push("trades");
        Ok(s.trades.get(id).cloned().unwrap_or_default())
    }

    async fn balances(&self, _: &RestClient) -> Result<Vec<Balance>, CexError> {
        Ok(vec![Balance::new(
            Asset::new("USD")?,
            Decimal::ONE,
            Decimal::ONE,
        )])
    }

    fn spawn_book(&self, _feed: BookFeed) -> NoBook {
        NoBook
    }

    async fn snapshot_book(&self, _: &RestClient, _: &Market) -> Result<OrderBook, CexError> {
        Err(CexError::Invalid("the fake has no book".into()))
    }

    async fn open_user_stream(
        &self,
        _id: &VenueId,
        _rest: &RestClient,
    ) -> Result<UserStream<&'static str>, VenueError> {
        let (tx, rx) = mpsc::channel(16);
        self.lock().stream = Some(tx);
        Ok(UserStream {
            mechanism: "fake",
            keep: Box::new(()),
            first: Some(StreamEvent::Connected { reconnect: false }),
            events: rx,
            stop: None,
        })
    }

    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
        let f: Frame = serde_json::from_slice(frame).map_err(|e| CexError::decode("frame", e))?;
        let Some(pair) = markets.pair_of(&f.symbol) else {
            return Ok(UserEvent::UnknownSymbol(f.symbol));
        };
        let client_id = ClientOrderId::new(&f.id)?;
        let state = state_of(&f.state).ok_or_else(|| CexError::decode("frame", "state"))?;
        let req = self.lock().orders.get(&client_id).map(|(r, _)| r.clone());
        let fill = match (f.fill, req) {
            (Some((px, qty, tid)), Some(req)) => Some(fill(&req, &f.oid, &tid, px, qty)),
            _ => None,
        };
        Ok(UserEvent::Order(Box::new(OrderUpdate {
            client_id,
            pair: pair.clone(),
            venue_order_id: f.oid,
            state,
            reason: None,
            fill,
            cumulative_filled: f.cum,
        })))
    }
}

/// Loopback HTTP protocol the fake's REST client is built with (never used to send).
#[derive(Debug)]
struct NoHttp;

impl HttpProtocol for NoHttp {
    fn parse_error(&self, _body: &[u8]) -> Option<(i64, String)> {
        None
    }
    fn server_time_path(&self) -> &'static str {
        "/time"
    }
    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        Vec::new()
    }
    fn parse_server_time(&self, _body: &[u8]) -> Option<i64> {
        None
    }
    fn observe_headers(&self, _h: &reqwest::header::HeaderMap, _l: &RateLimiter) {}
}

/// A fake exchange listing ETH-USD (`ETHUSD`), and its venue with keys.
pub fn venue() -> (Fake, ExchangeVenue<Fake>) {
    let fake = Fake::default();
    fake.lock().markets.push(market("ETH-USD", "ETHUSD"));
    let recipe = BybitV5 {
        recv_window_ms: 5000,
    };
    let creds = Credentials::parse(recipe.key_form(), "key", "secret", None).expect("creds");
    let signer = Signer::new(Box::new(recipe), creds).expect("signer");
    let rest = RestClient::new(
        "http://127.0.0.1:9",
        Arc::new(NoHttp),
        Some(Arc::new(signer)),
        Arc::new(RateLimiter::new(&[])),
    )
    .expect("client");
    let id: VenueId = "fakex".parse().expect("id");
    (fake.clone(), ExchangeVenue::from_parts(id, fake, rest))
}
