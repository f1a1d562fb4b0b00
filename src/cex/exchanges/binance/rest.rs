//! Binance's REST endpoints as the framework asks for them (typed request → typed answer): markets
//! from `exchangeInfo`, `POST`/`DELETE`/`GET /api/v3/order`, open orders, the account's trades
//! and balances. The rules around them (tracking, unknown outcomes, reconciling) are the
//! framework's ([`crate::cex::venue`]).

use reqwest::Method;

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, Order, OrderRequest, OrderType, Side, TimeInForce,
};

use super::BinanceConfig;
use super::api::{
    self, Account, AccountTrade, ExchangeInfo, ORDERS, OrderResponse, RAW_REQUESTS, REQUEST_WEIGHT,
    decode, order_state,
};

/// The unsigned `POST /api/v3/order` request for `order` on the exchange's `symbol`: the parameters
/// in the order `submit` sends them (signing adds `recvWindow`, `timestamp` and `signature`).
pub fn order_request(order: &OrderRequest, symbol: &str) -> ApiRequest {
    let side = match order.side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    };
    let mut req = ApiRequest::new(Method::POST, "/api/v3/order")
        .param("symbol", symbol)
        .param("side", side);
    req = match order.order_type {
        OrderType::Limit => req.param("type", "LIMIT").param(
            "timeInForce",
            match order.time_in_force {
                TimeInForce::Gtc => "GTC",
                TimeInForce::Ioc => "IOC",
                TimeInForce::Fok => "FOK",
            },
        ),
        OrderType::LimitMaker => req.param("type", "LIMIT_MAKER"),
        _ => req.param("type", "MARKET"),
    };
    req = req.param("quantity", order.amount.normalize());
    if let Some(p) = order.price
        && order.order_type != OrderType::Market
    {
        req = req.param("price", p.normalize());
    }
    req.param("newClientOrderId", &order.client_id)
        .param("newOrderRespType", "FULL")
        .signed()
        .cost(REQUEST_WEIGHT, 1)
        .cost(ORDERS, 1)
        .cost(RAW_REQUESTS, 1)
}

fn exchange_info() -> ApiRequest {
    ApiRequest::new(Method::GET, "/api/v3/exchangeInfo")
        .cost(REQUEST_WEIGHT, 20)
        .cost(RAW_REQUESTS, 1)
}

/// The market of one `exchangeInfo` symbol; `None` if it is not trading or its tick or step
/// size cannot key a book.
fn market_of(cfg: &BinanceConfig, s: &api::SymbolInfo) -> Option<Market> {
    Market::new(api::symbol_rules(s, cfg.maker_fee, cfg.taker_fee)?)
}

/// Every trading symbol; the account's rate limits (if listed) replace the documented ones.
pub async fn load_markets(cfg: &BinanceConfig, rest: &RestClient) -> Result<Vec<Market>, CexError> {
    let body = rest.request(&exchange_info()).await?;
    let info: ExchangeInfo = decode("exchangeInfo", &body)?;
    let limits = info.limits();
    if !limits.is_empty() {
        rest.limiter.set_limits(&limits);
    }
    Ok(info
        .symbols
        .iter()
        .filter_map(|s| market_of(cfg, s))
        .collect())
}

/// One symbol's market now (`exchangeInfo?symbol=`); a delisted one is `-1121 Invalid symbol`.
pub async fn load_market(
    cfg: &BinanceConfig,
    rest: &RestClient,
    symbol: &str,
) -> Result<Option<Market>, CexError> {
    let body = rest
        .request(&exchange_info().param("symbol", symbol))
        .await?;
    Ok(decode::<ExchangeInfo>("exchangeInfo", &body)?
        .symbols
        .iter()
        .find(|s| s.symbol == symbol)
        .and_then(|s| market_of(cfg, s)))
}

fn ack(resp: OrderResponse, fills: Vec<Fill>) -> OrderAck {
    OrderAck {
        venue_order_id: resp.order_id.to_string(),
        state: order_state(&resp.status),
        status: resp.status,
        executed: resp.executed_qty,
        fills,
    }
}

/// `POST /api/v3/order` (FULL): the answer with the fills it carries.
pub async fn submit(
    rest: &RestClient,
    order: &OrderRequest,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest
        .request(&order_request(order, &market.rules.venue_symbol))
        .await?;
    let resp: OrderResponse = decode("new order", &body)?;
    let mut fills = Vec::with_capacity(resp.fills.len());
    for f in &resp.fills {
        fills.push(Fill {
            venue: String::new(),
            trade_id: api::fill_trade_id(&order.pair, f.trade_id),
            client_id: Some(order.client_id.clone()),
            venue_order_id: Some(resp.order_id.to_string()),
            pair: order.pair.clone(),
            side: order.side,
            price: f.price,
            amount: f.qty,
            fee_asset: Asset::new(&f.commission_asset)?,
            fee_amount: f.commission,
            is_maker: false,
            timestamp_ms: 0,
        });
    }
    Ok(ack(resp, fills))
}

fn by_client_id(method: Method, id: &ClientOrderId, market: &Market, weight: u32) -> ApiRequest {
    ApiRequest::new(method, "/api/v3/order")
        .param("symbol", &market.rules.venue_symbol)
        .param("origClientOrderId", id)
        .signed()
        .cost(REQUEST_WEIGHT, weight)
        .cost(RAW_REQUESTS, 1)
}

/// `DELETE /api/v3/order`.
pub async fn cancel(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest
        .request(&by_client_id(Method::DELETE, id, market, 1))
        .await?;
    Ok(ack(decode("cancel", &body)?, Vec::new()))
}

/// `GET /api/v3/order` (`-2013`: no such order).
pub async fn query(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest
        .request(&by_client_id(Method::GET, id, market, 4))
        .await?;
    Ok(ack(decode("order", &body)?, Vec::new()))
}

/// `GET /api/v3/openOrders` (all symbols, or one) as shared orders: request, venue id, executed
/// quantity and state. Orders of a symbol not in `markets` are left out.
pub async fn open_orders(
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/api/v3/openOrders").signed();
    req = match symbol {
        Some(s) => req.param("symbol", s).cost(REQUEST_WEIGHT, 6),
        None => req.cost(REQUEST_WEIGHT, 80),
    };
    let body = rest.request(&req.cost(RAW_REQUESTS, 1)).await?;
    let listed: Vec<OrderResponse> = decode("openOrders", &body)?;
    let mut orders = Vec::with_capacity(listed.len());
    for o in listed {
        let Some(pair) = markets.pair_of(&o.symbol) else {
            continue;
        };
        let mut order = Order::new(o.to_request(pair)?);
        order.venue_order_id = Some(o.order_id.to_string());
        order.filled = o.executed_qty.unwrap_or_default();
        if let Some(state) = order_state(&o.status) {
            order.state = state;
        }
        orders.push(order);
    }
    Ok(orders)
}

/// `GET /api/v3/myTrades` of one symbol (of one order, if given).
pub async fn account_trades(
    rest: &RestClient,
    symbol: &str,
    order_id: Option<i64>,
) -> Result<Vec<AccountTrade>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/api/v3/myTrades")
        .param("symbol", symbol)
        .signed()
        .cost(RAW_REQUESTS, 1);
    req = match order_id {
        Some(id) => req.param("orderId", id).cost(REQUEST_WEIGHT, 5),
        None => req.cost(REQUEST_WEIGHT, 20),
    };
    let body = rest.request(&req).await?;
    decode("myTrades", &body)
}

/// The fills of one order (its venue id is Binance's numeric `orderId`).
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let order_id: i64 = venue_order_id
        .parse()
        .map_err(|e| CexError::decode("orderId", format!("{venue_order_id:?}: {e}")))?;
    let trades = account_trades(rest, &market.rules.venue_symbol, Some(order_id)).await?;
    trades
        .iter()
        .map(|t| t.to_fill(id, &market.rules.pair))
        .collect()
}

/// `GET /api/v3/account` (zero balances omitted).
pub async fn balances(rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let req = ApiRequest::new(Method::GET, "/api/v3/account")
        .param("omitZeroBalances", "true")
        .signed()
        .cost(REQUEST_WEIGHT, 20)
        .cost(RAW_REQUESTS, 1);
    let body = rest.request(&req).await?;
    let acct: Account = decode("account", &body)?;
    acct.balances.iter().map(|b| b.to_balance()).collect()
}
