//! OKX's REST endpoints as the framework asks for them (typed request → typed answer): markets
//! from `public/instruments`, `trade/order` (place, then read back), `trade/cancel-order`,
//! `trade/order` (query), `trade/orders-pending`, `trade/fills` and `account/balance`. The
//! rules around them (tracking, unknown outcomes, reconciling) are the framework's.

use reqwest::Method;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{Balance, ClientOrderId, Fill, Order, OrderRequest, OrderState};

use super::OkxConfig;
use super::api::{
    AccountBalance, Instrument, OrderDetail, OrderResult, PlaceOrder, TradeFill, decode_data,
    decode_items, item, limit,
};

fn instruments() -> ApiRequest {
    ApiRequest::new(Method::GET, "/api/v5/public/instruments")
        .param("instType", "SPOT")
        .cost(limit::INSTRUMENTS, 1)
}

fn market_of(cfg: &OkxConfig, i: &Instrument) -> Option<Market> {
    Market::new(i.rules(cfg.maker_fee, cfg.taker_fee)?)
}

/// Every live spot instrument; an item that cannot be read is logged and left out.
pub async fn load_markets(cfg: &OkxConfig, rest: &RestClient) -> Result<Vec<Market>, CexError> {
    let body = rest.request(&instruments()).await?;
    let mut out = Vec::new();
    for v in decode_items("instruments", &body)? {
        match item::<Instrument>("instrument", v) {
            Ok(i) => out.extend(market_of(cfg, &i)),
            Err(e) => tracing::warn!(error = %e, "unreadable instrument skipped"),
        }
    }
    Ok(out)
}

/// One instrument now; `None` when OKX no longer lists it (51001) or it is not live.
pub async fn load_market(
    cfg: &OkxConfig,
    rest: &RestClient,
    inst_id: &str,
) -> Result<Option<Market>, CexError> {
    let body = match rest.request(&instruments().param("instId", inst_id)).await {
        Err(CexError::Api {
            kind: ApiErrorKind::UnknownSymbol,
            ..
        }) => return Ok(None),
        other => other?,
    };
    Ok(decode_data::<Instrument>("instrument", &body)?
        .iter()
        .find(|i| i.inst_id == inst_id)
        .and_then(|i| market_of(cfg, i)))
}

/// The signed `POST /api/v5/trade/order` request for `order` on `inst_id`.
pub fn order_request(order: &OrderRequest, inst_id: &str) -> Result<ApiRequest, CexError> {
    let body = serde_json::to_string(&PlaceOrder::of(order, inst_id))
        .map_err(|e| CexError::Invalid(format!("order body: {e}")))?;
    Ok(ApiRequest::new(Method::POST, "/api/v5/trade/order")
        .body(RequestBody::Json(body))
        .signed()
        .cost(limit::PLACE, 1))
}

/// The single result item of a place or cancel, checked.
fn one_result(what: &str, body: &[u8]) -> Result<OrderResult, CexError> {
    let r = decode_data::<OrderResult>(what, body)?
        .into_iter()
        .next()
        .ok_or_else(|| CexError::decode(what, "no result item"))?;
    r.check()?;
    Ok(r)
}

fn ack_of(d: &OrderDetail, fills: Vec<Fill>) -> OrderAck {
    OrderAck {
        venue_order_id: d.ord_id.clone(),
        status: d.state.clone(),
        state: super::api::order_state(&d.state),
        executed: d.acc_fill_sz,
        fills,
    }
}

/// Places `order`. OKX answers with the ids only, so the order is read back (state, executed
/// quantity and, if it traded, its fills); if that read fails the order is known to exist and is
/// reported open, to be reconciled.
pub async fn submit(
    rest: &RestClient,
    order: &OrderRequest,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let inst = &market.rules.venue_symbol;
    let body = rest.request(&order_request(order, inst)?).await?;
    let placed = one_result("new order", &body)?;
    let placed_ack = OrderAck {
        venue_order_id: placed.ord_id.clone(),
        status: "live".into(),
        state: Some(OrderState::Open),
        executed: None,
        fills: Vec::new(),
    };
    let detail = match order_detail(rest, &order.client_id, inst).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(order = %order.client_id, error = %e, "placed; reading it back failed");
            return Ok(placed_ack);
        }
    };
    let fills = if detail.acc_fill_sz.is_some_and(|s| !s.is_zero()) {
        match order_trades(rest, &order.client_id, &detail.ord_id, market).await {
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

fn by_client_id(id: &ClientOrderId, inst: &str) -> Result<RequestBody, CexError> {
    serde_json::to_string(&serde_json::json!({"instId": inst, "clOrdId": id.as_str()}))
        .map(RequestBody::Json)
        .map_err(|e| CexError::Invalid(format!("cancel body: {e}")))
}

/// `POST /api/v5/trade/cancel-order` by `clOrdId`.
pub async fn cancel(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let req = ApiRequest::new(Method::POST, "/api/v5/trade/cancel-order")
        .body(by_client_id(id, &market.rules.venue_symbol)?)
        .signed()
        .cost(limit::CANCEL, 1);
    let r = one_result("cancel", &rest.request(&req).await?)?;
    Ok(OrderAck {
        venue_order_id: r.ord_id,
        status: "canceled".into(),
        state: None,
        executed: None,
        fills: Vec::new(),
    })
}

async fn order_detail(
    rest: &RestClient,
    id: &ClientOrderId,
    inst: &str,
) -> Result<OrderDetail, CexError> {
    let req = ApiRequest::new(Method::GET, "/api/v5/trade/order")
        .param("instId", inst)
        .param("clOrdId", id)
        .signed()
        .cost(limit::ORDER, 1);
    decode_data::<OrderDetail>("order", &rest.request(&req).await?)?
        .into_iter()
        .next()
        .ok_or_else(|| CexError::decode("order", "no order item"))
}

/// `GET /api/v5/trade/order` by `clOrdId` (51603: no such order).
pub async fn query(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let d = order_detail(rest, id, &market.rules.venue_symbol).await?;
    Ok(ack_of(&d, Vec::new()))
}

/// `GET /api/v5/trade/orders-pending` (spot; one instrument or all) as shared orders. Orders of
/// an instrument not in `markets` are left out.
pub async fn open_orders(
    rest: &RestClient,
    markets: &Markets,
    inst: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/api/v5/trade/orders-pending")
        .param("instType", "SPOT")
        .signed()
        .cost(limit::PENDING, 1);
    if let Some(i) = inst {
        req = req.param("instId", i);
    }
    let listed = decode_data::<OrderDetail>("orders-pending", &rest.request(&req).await?)?;
    let mut orders = Vec::with_capacity(listed.len());
    for o in listed {
        let Some(pair) = markets.pair_of(&o.inst_id) else {
            continue;
        };
        let mut order = Order::new(o.to_request(pair)?);
        order.venue_order_id = Some(o.ord_id.clone());
        order.filled = o.acc_fill_sz.unwrap_or_default();
        order.state = o.state()?;
        orders.push(order);
    }
    Ok(orders)
}

/// `GET /api/v5/trade/fills` of one order.
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let req = ApiRequest::new(Method::GET, "/api/v5/trade/fills")
        .param("instType", "SPOT")
        .param("instId", &market.rules.venue_symbol)
        .param("ordId", venue_order_id)
        .signed()
        .cost(limit::FILLS, 1);
    decode_data::<TradeFill>("fills", &rest.request(&req).await?)?
        .iter()
        .map(|t| t.to_fill(id, &market.rules.pair))
        .collect()
}

/// `GET /api/v5/account/balance`.
pub async fn balances(rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let req = ApiRequest::new(Method::GET, "/api/v5/account/balance")
        .signed()
        .cost(limit::BALANCE, 1);
    let accounts = decode_data::<AccountBalance>("balance", &rest.request(&req).await?)?;
    accounts
        .iter()
        .flat_map(|a| a.details.iter())
        .map(|d| d.to_balance())
        .collect()
}
