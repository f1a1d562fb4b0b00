//! HTX's REST endpoints as the framework asks for them (typed request → typed answer): markets
//! from `/v1/common/symbols`, `/v1/order/orders/place` (then read back by client id),
//! `/v1/order/orders/{id}/submitcancel`, `/v1/order/orders/getClientOrder`,
//! `/v1/order/openOrders`, `/v1/order/orders/{id}/matchresults`, and the spot account's
//! `/v1/account/accounts/{id}/balance` (the account id read once from `/v1/account/accounts`).

use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::cex::book::OrderBook;
use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{Balance, ClientOrderId, Fill, Order, OrderRequest, OrderState, OrderType, Side};
use rust_decimal::{Decimal, RoundingStrategy};

use super::book::rest_depth;
use super::errors::classify;

use super::HtxConfig;
use super::api::{
    Account, AccountBalance, MatchResult, OrderDetail, PlaceOrder, Symbol, decode_data, error_of,
    limit, order_state,
};

/// Sends `req` and reads the `data` of its answer. HTX refuses a skewed `Timestamp` with an
/// error body under HTTP 200 (`invalid-timestamp`), which the HTTP layer cannot see: a signed
/// request so refused (and so not executed) is sent once more after a clock sync.
pub async fn call<T: DeserializeOwned>(
    rest: &RestClient,
    req: &ApiRequest,
    what: &str,
) -> Result<T, CexError> {
    let body = rest.request(req).await?;
    match decode_data(what, &body) {
        Err(CexError::Api {
            kind: ApiErrorKind::Timestamp,
            code,
            ..
        }) if req.signed => {
            tracing::warn!(code, path = %req.path, "timestamp refused by HTX; syncing the clock and retrying once");
            rest.sync_clock().await?;
            decode_data(what, &rest.request(req).await?)
        }
        other => other,
    }
}

/// The spot account id, read once per connector.
#[derive(Debug, Clone, Default)]
pub struct AccountId(Arc<OnceCell<String>>);

impl AccountId {
    /// The `spot` account of the key (`GET /v1/account/accounts`).
    pub async fn get(&self, rest: &RestClient) -> Result<String, CexError> {
        self.0
            .get_or_try_init(|| async {
                let req = ApiRequest::new(Method::GET, "/v1/account/accounts")
                    .signed()
                    .cost(limit::ACCOUNT, 1);
                let accounts: Vec<Account> = call(rest, &req, "accounts").await?;
                accounts
                    .into_iter()
                    .find(|a| a.kind == "spot")
                    .map(|a| a.id)
                    .ok_or_else(|| CexError::decode("accounts", "no spot account"))
            })
            .await
            .cloned()
    }
}

fn market_of(cfg: &HtxConfig, s: &Symbol) -> Option<Market> {
    Market::new(s.rules(cfg.maker_fee, cfg.taker_fee)?)
}

/// Every online spot symbol; an item that cannot be read is logged and left out.
pub async fn load_markets(cfg: &HtxConfig, rest: &RestClient) -> Result<Vec<Market>, CexError> {
    let req = ApiRequest::new(Method::GET, "/v1/common/symbols").cost(limit::PUBLIC, 1);
    let items: Vec<Box<serde_json::value::RawValue>> = call(rest, &req, "symbols").await?;
    let mut out = Vec::new();
    for raw in items {
        match serde_json::from_str::<Symbol>(raw.get()) {
            Ok(s) => out.extend(market_of(cfg, &s)),
            Err(e) => tracing::warn!(error = %e, "unreadable symbol skipped"),
        }
    }
    Ok(out)
}

/// One symbol now; `None` when HTX no longer lists it or it is not online.
pub async fn load_market(
    cfg: &HtxConfig,
    rest: &RestClient,
    symbol: &str,
) -> Result<Option<Market>, CexError> {
    Ok(load_markets(cfg, rest)
        .await?
        .into_iter()
        .find(|m| m.rules.venue_symbol == symbol))
}

/// The signed place request for `order` (`quote_amount`: what a market buy spends).
pub fn order_request(
    order: &OrderRequest,
    symbol: &str,
    account_id: &str,
    quote_amount: Option<Decimal>,
) -> Result<ApiRequest, CexError> {
    let body = serde_json::to_string(&PlaceOrder::of(order, symbol, account_id, quote_amount)?)
        .map_err(|e| CexError::Invalid(format!("order body: {e}")))?;
    Ok(ApiRequest::new(Method::POST, "/v1/order/orders/place")
        .body(RequestBody::Json(body))
        .signed()
        .cost(limit::PLACE, 1))
}

fn ack_of(d: &OrderDetail, fills: Vec<Fill>) -> OrderAck {
    OrderAck {
        venue_order_id: d.id.clone(),
        status: d.state.clone(),
        state: order_state(&d.state, d.filled()),
        executed: d.filled,
        fills,
    }
}

/// `GET /market/depth?symbol=…&type=step0`: the top 150 levels.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<OrderBook, CexError> {
    let req = ApiRequest::new(Method::GET, "/market/depth")
        .param("symbol", &market.rules.venue_symbol)
        .param("type", "step0")
        .cost(limit::PUBLIC, 1);
    let body = rest.request(&req).await?;
    if let Some((code, msg)) = error_of(&body) {
        return Err(CexError::Api {
            status: 200,
            code,
            kind: classify(200, code),
            msg,
        });
    }
    rest_depth(&body, market.price, market.size).map_err(|e| {
        CexError::decode(
            "HTX depth",
            format!("{e}; body starts {:?}", CexError::snippet(&body)),
        )
    })
}

/// What a market buy of `order.amount` base costs on the book now, rounded up to the price's
/// decimals plus the amount's: the quote amount HTX is asked to spend.
async fn market_buy_cost(
    rest: &RestClient,
    order: &OrderRequest,
    market: &Market,
) -> Result<Decimal, CexError> {
    let q = snapshot_book(rest, market)
        .await?
        .quote(Side::Buy, order.amount, Decimal::ZERO)
        .map_err(|e| CexError::Invalid(format!("market buy: {e}")))?;
    if q.filled < order.amount {
        return Err(CexError::Invalid(format!(
            "market buy: the book holds {} of {}",
            q.filled, order.amount
        )));
    }
    let places = (market.price.decimals() + market.size.decimals()).min(28);
    Ok(q.gross
        .round_dp_with_strategy(places, RoundingStrategy::AwayFromZero))
}

/// Places `order`. HTX answers with the order id only, so the order is read back (state,
/// executed quantity and, if it traded, its fills); if that read fails the order is known to
/// exist and is reported open, to be reconciled.
pub async fn submit(
    rest: &RestClient,
    account: &AccountId,
    order: &OrderRequest,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let account_id = account.get(rest).await?;
    let quote = if order.order_type == OrderType::Market && order.side == Side::Buy {
        Some(market_buy_cost(rest, order, market).await?)
    } else {
        None
    };
    let req = order_request(order, &market.rules.venue_symbol, &account_id, quote)?;
    let id: String = call(rest, &req, "new order").await?;
    let placed = OrderAck {
        venue_order_id: id,
        status: "submitted".into(),
        state: Some(OrderState::Open),
        executed: None,
        fills: Vec::new(),
    };
    let detail = match order_detail(rest, &order.client_id).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(order = %order.client_id, error = %e, "placed; reading it back failed");
            return Ok(placed);
        }
    };
    let fills = if detail.filled().is_zero() {
        Vec::new()
    } else {
        match order_trades(rest, &order.client_id, &detail.id, market).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(order = %order.client_id, error = %e, "fills of a new order unread");
                Vec::new()
            }
        }
    };
    Ok(ack_of(&detail, fills))
}

/// `GET /v1/order/orders/getClientOrder` (`base-record-invalid`: no such order).
pub async fn order_detail(rest: &RestClient, id: &ClientOrderId) -> Result<OrderDetail, CexError> {
    let req = ApiRequest::new(Method::GET, "/v1/order/orders/getClientOrder")
        .param("clientOrderId", id)
        .signed()
        .cost(limit::QUERY, 1);
    call(rest, &req, "order").await
}

/// Cancels by client id: the order is looked up (`getClientOrder`), then
/// `POST /v1/order/orders/{id}/submitcancel`.
pub async fn cancel(rest: &RestClient, id: &ClientOrderId) -> Result<OrderAck, CexError> {
    let d = order_detail(rest, id).await?;
    let path = format!("/v1/order/orders/{}/submitcancel", d.id);
    if !d.id.chars().all(|c| c.is_ascii_digit()) {
        return Err(CexError::decode("order", format!("order id {:?}", d.id)));
    }
    let req = ApiRequest::new(Method::POST, &path)
        .body(RequestBody::Json("{}".into()))
        .signed()
        .cost(limit::CANCEL, 1);
    let _: Box<serde_json::value::RawValue> = call(rest, &req, "cancel").await?;
    Ok(OrderAck {
        venue_order_id: d.id,
        status: "canceling".into(),
        state: None,
        executed: None,
        fills: Vec::new(),
    })
}

/// The order's state now, by client id.
pub async fn query(rest: &RestClient, id: &ClientOrderId) -> Result<OrderAck, CexError> {
    Ok(ack_of(&order_detail(rest, id).await?, Vec::new()))
}

/// `GET /v1/order/openOrders` (the spot account; one symbol or all) as shared orders. Orders of
/// a symbol not in `markets` are left out.
pub async fn open_orders(
    rest: &RestClient,
    account: &AccountId,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/v1/order/openOrders")
        .param("account-id", account.get(rest).await?)
        .signed()
        .cost(limit::QUERY, 1);
    if let Some(s) = symbol {
        req = req.param("symbol", s);
    }
    let listed: Vec<OrderDetail> = call(rest, &req, "openOrders").await?;
    let mut orders = Vec::with_capacity(listed.len());
    for o in listed {
        let Some(pair) = markets.pair_of(&o.symbol) else {
            continue;
        };
        let mut order = Order::new(o.to_request(pair)?);
        order.venue_order_id = Some(o.id.clone());
        order.filled = o.filled();
        order.state = o.state()?;
        orders.push(order);
    }
    Ok(orders)
}

/// `GET /v1/order/orders/{id}/matchresults`: the fills of one order.
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    if venue_order_id.is_empty() || !venue_order_id.chars().all(|c| c.is_ascii_digit()) {
        return Err(CexError::Invalid(format!("order id {venue_order_id:?}")));
    }
    let path = format!("/v1/order/orders/{venue_order_id}/matchresults");
    let req = ApiRequest::new(Method::GET, &path)
        .signed()
        .cost(limit::QUERY, 1);
    let trades: Vec<MatchResult> = match call(rest, &req, "matchresults").await {
        Err(CexError::Api {
            kind: ApiErrorKind::UnknownOrder,
            ..
        }) => Vec::new(),
        other => other?,
    };
    trades
        .iter()
        .map(|t| t.to_fill(id, &market.rules.pair))
        .collect()
}

/// The spot account's balances.
pub async fn balances(rest: &RestClient, account: &AccountId) -> Result<Vec<Balance>, CexError> {
    let path = format!("/v1/account/accounts/{}/balance", account.get(rest).await?);
    let req = ApiRequest::new(Method::GET, &path)
        .signed()
        .cost(limit::ACCOUNT, 1);
    let b: AccountBalance = call(rest, &req, "balance").await?;
    b.to_balances()
}
