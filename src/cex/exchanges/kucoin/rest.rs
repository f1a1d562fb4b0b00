//! KuCoin's REST endpoints as the framework asks for them (typed request → typed answer): markets
//! from `/api/v2/symbols`, `POST /api/v1/orders` (place, then read back),
//! `DELETE /api/v1/order/client-order/{clientOid}`, `GET /api/v1/order/client-order/{clientOid}`,
//! `GET /api/v1/orders?status=active`, `GET /api/v1/fills` and `GET /api/v1/accounts`. The rules
//! around them (tracking, unknown outcomes, reconciling) are the framework's.

use reqwest::Method;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{Balance, ClientOrderId, Fill, Order, OrderRequest, OrderState};

use super::KuCoinConfig;
use super::api::{Account, OrderDetail, Page, PlaceOrder, Symbol, TradeFill, decode_data, limit};

/// Pages read at most when listing (open orders, fills): 50 items a page.
const MAX_PAGES: u32 = 20;

fn market_of(cfg: &KuCoinConfig, s: &Symbol) -> Option<Market> {
    Market::new(s.rules(cfg.maker_fee, cfg.taker_fee)?)
}

/// Every symbol open for trading; an item that cannot be read is logged and left out.
pub async fn load_markets(cfg: &KuCoinConfig, rest: &RestClient) -> Result<Vec<Market>, CexError> {
    let req = ApiRequest::new(Method::GET, "/api/v2/symbols").cost(limit::PUBLIC, limit::W_SYMBOLS);
    let body = rest.request(&req).await?;
    let mut out = Vec::new();
    for v in decode_data::<Vec<serde_json::Value>>("symbols", &body)? {
        match serde_json::from_value::<Symbol>(v) {
            Ok(s) => out.extend(market_of(cfg, &s)),
            Err(e) => tracing::warn!(error = %e, "unreadable symbol skipped"),
        }
    }
    Ok(out)
}

/// One symbol now (`GET /api/v2/symbols/{symbol}`); `None` when KuCoin no longer lists it
/// (900001) or it is not open for trading.
pub async fn load_market(
    cfg: &KuCoinConfig,
    rest: &RestClient,
    symbol: &str,
) -> Result<Option<Market>, CexError> {
    let req = ApiRequest::new(Method::GET, &format!("/api/v2/symbols/{symbol}"))
        .cost(limit::PUBLIC, limit::W_SYMBOLS);
    let body = match rest.request(&req).await {
        Err(CexError::Api {
            kind: ApiErrorKind::UnknownSymbol,
            ..
        }) => return Ok(None),
        other => other?,
    };
    match decode_data::<Option<Symbol>>("symbol", &body) {
        Ok(s) => Ok(s
            .filter(|s| s.symbol == symbol)
            .and_then(|s| market_of(cfg, &s))),
        Err(CexError::Api {
            kind: ApiErrorKind::UnknownSymbol,
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The signed `POST /api/v1/orders` request for `order` on `symbol`.
pub fn order_request(order: &OrderRequest, symbol: &str) -> Result<ApiRequest, CexError> {
    let body = serde_json::to_string(&PlaceOrder::of(order, symbol))
        .map_err(|e| CexError::Invalid(format!("order body: {e}")))?;
    Ok(ApiRequest::new(Method::POST, "/api/v1/orders")
        .body(RequestBody::Json(body))
        .signed()
        .cost(limit::SPOT, limit::W_PLACE))
}

fn ack_of(d: &OrderDetail, fills: Vec<Fill>) -> OrderAck {
    OrderAck {
        venue_order_id: d.id.clone(),
        status: d.status_word().into(),
        state: Some(d.state()),
        executed: d.deal_size,
        fills,
    }
}

/// Places `order`. KuCoin answers with the order id only, so the order is read back (state,
/// executed quantity and, if it traded, its fills); if that read fails the order is known to
/// exist and is reported open, to be reconciled.
pub async fn submit(
    rest: &RestClient,
    order: &OrderRequest,
    market: &Market,
) -> Result<OrderAck, CexError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Placed {
        order_id: String,
    }
    let body = rest
        .request(&order_request(order, &market.rules.venue_symbol)?)
        .await?;
    let placed: Placed = decode_data("new order", &body)?;
    let placed_ack = OrderAck {
        venue_order_id: placed.order_id.clone(),
        status: "active".into(),
        state: Some(OrderState::Open),
        executed: None,
        fills: Vec::new(),
    };
    let detail = match order_detail(rest, &order.client_id).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(order = %order.client_id, error = %e, "placed; reading it back failed");
            return Ok(placed_ack);
        }
    };
    let fills = if detail.deal_size.is_some_and(|s| !s.is_zero()) {
        match order_trades(rest, &order.client_id, &detail.id, market).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(order = %order.client_id, error = %e, "fills of a new order unread");
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    Ok(ack_of(&detail, fills))
}

/// `DELETE /api/v1/order/client-order/{clientOid}`.
pub async fn cancel(
    rest: &RestClient,
    id: &ClientOrderId,
    _market: &Market,
) -> Result<OrderAck, CexError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Cancelled {
        #[serde(default)]
        cancelled_order_id: String,
    }
    let req = ApiRequest::new(
        Method::DELETE,
        &format!("/api/v1/order/client-order/{}", id.as_str()),
    )
    .signed()
    .cost(limit::SPOT, limit::W_CANCEL);
    let c: Cancelled = decode_data("cancel", &rest.request(&req).await?)?;
    Ok(OrderAck {
        venue_order_id: c.cancelled_order_id,
        status: "cancelled".into(),
        state: None,
        executed: None,
        fills: Vec::new(),
    })
}

async fn order_detail(rest: &RestClient, id: &ClientOrderId) -> Result<OrderDetail, CexError> {
    let req = ApiRequest::new(
        Method::GET,
        &format!("/api/v1/order/client-order/{}", id.as_str()),
    )
    .signed()
    .cost(limit::SPOT, limit::W_ORDER);
    decode_data::<Option<OrderDetail>>("order", &rest.request(&req).await?)?.ok_or_else(|| {
        CexError::Api {
            status: 200,
            code: super::errors::code::INVALID_PARAMETER,
            kind: ApiErrorKind::UnknownOrder,
            msg: "order not exist.".into(),
        }
    })
}

/// `GET /api/v1/order/client-order/{clientOid}` (an empty `data` or "order not exist": no such
/// order).
pub async fn query(
    rest: &RestClient,
    id: &ClientOrderId,
    _market: &Market,
) -> Result<OrderAck, CexError> {
    Ok(ack_of(&order_detail(rest, id).await?, Vec::new()))
}

/// `GET /api/v1/orders?status=active` (one symbol or all, every page) as shared orders. Orders of
/// a symbol not in `markets` are left out.
pub async fn open_orders(
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let mut orders = Vec::new();
    let mut page = 1;
    loop {
        let mut req = ApiRequest::new(Method::GET, "/api/v1/orders")
            .param("status", "active")
            .param("tradeType", "TRADE")
            .param("currentPage", page)
            .param("pageSize", 50)
            .signed()
            .cost(limit::SPOT, limit::W_ORDERS);
        if let Some(s) = symbol {
            req = req.param("symbol", s);
        }
        let listed: Page<OrderDetail> = decode_data("orders", &rest.request(&req).await?)?;
        for o in &listed.items {
            let Some(pair) = markets.pair_of(&o.symbol) else {
                continue;
            };
            let mut order = Order::new(o.to_request(pair)?);
            order.venue_order_id = Some(o.id.clone());
            order.filled = o.deal_size.unwrap_or_default();
            order.state = o.state();
            orders.push(order);
        }
        if page >= listed.total_page || page >= MAX_PAGES || listed.items.is_empty() {
            return Ok(orders);
        }
        page += 1;
    }
}

/// `GET /api/v1/fills?orderId=` of one order (every page).
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let req = ApiRequest::new(Method::GET, "/api/v1/fills")
            .param("orderId", venue_order_id)
            .param("symbol", &market.rules.venue_symbol)
            .param("currentPage", page)
            .param("pageSize", 50)
            .signed()
            .cost(limit::SPOT, limit::W_FILLS);
        let listed: Page<TradeFill> = decode_data("fills", &rest.request(&req).await?)?;
        for t in &listed.items {
            out.push(t.to_fill(id, &market.rules.pair)?);
        }
        if page >= listed.total_page || page >= MAX_PAGES || listed.items.is_empty() {
            return Ok(out);
        }
        page += 1;
    }
}

/// `GET /api/v1/accounts?type=trade`.
pub async fn balances(rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let req = ApiRequest::new(Method::GET, "/api/v1/accounts")
        .param("type", "trade")
        .signed()
        .cost(limit::MANAGEMENT, limit::W_ACCOUNTS);
    decode_data::<Vec<Account>>("accounts", &rest.request(&req).await?)?
        .iter()
        .filter(|a| a.kind.is_empty() || a.kind == "trade")
        .map(Account::to_balance)
        .collect()
}
