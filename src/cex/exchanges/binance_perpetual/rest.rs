//! The futures REST endpoints as the framework asks for them: markets from
//! `GET /fapi/v1/exchangeInfo` (perpetual contracts only), `POST`/`DELETE`/`GET /fapi/v1/order`
//! (with `positionSide` and `reduceOnly`), open orders, the account's trades, balances, positions
//! (`GET /fapi/v2/positionRisk`), mark price and funding (`GET /fapi/v1/premiumIndex`), and the
//! leverage, margin-type and position-mode settings. Spot's documents and conversions are reused
//! where the two APIs agree (`exchangeInfo` filters, order documents and states).

use reqwest::Method;
use serde::Deserialize;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::exchanges::binance::api::{
    ExchangeInfo, OrderResponse, SymbolInfo, fill_trade_id, order_state, symbol_rules,
};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, FundingInfo, LeverageSetting, MarginMode, Order,
    OrderRequest, OrderType, PerpOrder, Position, PositionMode, Side, TimeInForce,
};

use super::BinancePerpConfig;
use super::api::{
    DualSide, FuturesBalance, LeverageAnswer, ORDERS, PositionRisk, PremiumIndex, REQUEST_WEIGHT,
    UserTrade, decode, margin_type_name, position_side_name,
};
use super::errors::code;

/// The futures `exchangeInfo` fields spot's document lacks.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContractInfo {
    symbol: String,
    #[serde(default)]
    contract_type: String,
    #[serde(default)]
    filters: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Contracts {
    symbols: Vec<ContractInfo>,
}

/// The market of a perpetual contract: spot's filters, then the futures `MIN_NOTIONAL` filter's
/// `notional` key.
fn market_of(cfg: &BinancePerpConfig, s: &SymbolInfo, c: &ContractInfo) -> Option<Market> {
    if c.contract_type != "PERPETUAL" {
        return None;
    }
    let mut rules = symbol_rules(s, cfg.maker_fee, cfg.taker_fee)?;
    for f in &c.filters {
        if f.get("filterType").and_then(|t| t.as_str()) == Some("MIN_NOTIONAL")
            && let Some(n) = f
                .get("notional")
                .and_then(|n| n.as_str())
                .and_then(|n| n.parse().ok())
        {
            rules.min_notional = rules.min_notional.max(n);
        }
    }
    Market::new(rules)
}

async fn markets_from(
    cfg: &BinancePerpConfig,
    rest: &RestClient,
    symbol: Option<&str>,
) -> Result<Vec<Market>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/fapi/v1/exchangeInfo").cost(REQUEST_WEIGHT, 1);
    if let Some(s) = symbol {
        req = req.param("symbol", s);
    }
    let body = rest.request(&req).await?;
    let info: ExchangeInfo = decode("exchangeInfo", &body)?;
    let contracts: Contracts = decode("exchangeInfo", &body)?;
    if symbol.is_none() {
        let limits = info.limits();
        if !limits.is_empty() {
            rest.limiter.set_limits(&limits);
        }
    }
    Ok(info
        .symbols
        .iter()
        .zip(&contracts.symbols)
        .filter(|(s, c)| s.symbol == c.symbol && symbol.is_none_or(|want| want == s.symbol))
        .filter_map(|(s, c)| market_of(cfg, s, c))
        .collect())
}

/// Every perpetual contract trading now.
pub async fn load_markets(
    cfg: &BinancePerpConfig,
    rest: &RestClient,
) -> Result<Vec<Market>, CexError> {
    markets_from(cfg, rest, None).await
}

/// One symbol's market now; `None` once it no longer trades.
pub async fn load_market(
    cfg: &BinancePerpConfig,
    rest: &RestClient,
    symbol: &str,
) -> Result<Option<Market>, CexError> {
    Ok(markets_from(cfg, rest, Some(symbol)).await?.pop())
}

/// The unsigned `POST /fapi/v1/order` for `order` on `symbol` (signing adds `recvWindow`,
/// `timestamp` and `signature`).
pub fn order_request(order: &PerpOrder, symbol: &str) -> ApiRequest {
    let o = &order.order;
    let mut req = ApiRequest::new(Method::POST, "/fapi/v1/order")
        .param("symbol", symbol)
        .param(
            "side",
            match o.side {
                Side::Buy => "BUY",
                Side::Sell => "SELL",
            },
        )
        .param("positionSide", position_side_name(order.position_side));
    req = match o.order_type {
        OrderType::Market => req.param("type", "MARKET"),
        // GTX: post-only, Binance futures' LIMIT_MAKER
        OrderType::LimitMaker => req.param("type", "LIMIT").param("timeInForce", "GTX"),
        _ => req.param("type", "LIMIT").param(
            "timeInForce",
            match o.time_in_force {
                TimeInForce::Gtc => "GTC",
                TimeInForce::Ioc => "IOC",
                TimeInForce::Fok => "FOK",
            },
        ),
    };
    req = req.param("quantity", o.amount.normalize());
    if let Some(p) = o.price
        && o.order_type != OrderType::Market
    {
        req = req.param("price", p.normalize());
    }
    if order.reduce_only {
        req = req.param("reduceOnly", "true");
    }
    req.param("newClientOrderId", &o.client_id)
        .param("newOrderRespType", "RESULT")
        .signed()
        .cost(REQUEST_WEIGHT, 1)
        .cost(ORDERS, 1)
}

fn ack(resp: OrderResponse) -> OrderAck {
    OrderAck {
        venue_order_id: resp.order_id.to_string(),
        state: order_state(&resp.status),
        status: resp.status,
        executed: resp.executed_qty,
        fills: Vec::new(),
    }
}

/// `POST /fapi/v1/order`; fills arrive from the account's trades (the futures answer carries
/// none).
pub async fn submit(
    rest: &RestClient,
    order: &PerpOrder,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest
        .request(&order_request(order, &market.rules.venue_symbol))
        .await?;
    Ok(ack(decode("new order", &body)?))
}

/// A plain order is a one-way-mode order without options.
pub fn plain(order: &OrderRequest) -> PerpOrder {
    PerpOrder::plain(order.clone())
}

fn by_client_id(method: Method, id: &ClientOrderId, market: &Market) -> ApiRequest {
    ApiRequest::new(method, "/fapi/v1/order")
        .param("symbol", &market.rules.venue_symbol)
        .param("origClientOrderId", id)
        .signed()
        .cost(REQUEST_WEIGHT, 1)
}

/// `DELETE /fapi/v1/order`.
pub async fn cancel(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest
        .request(&by_client_id(Method::DELETE, id, market))
        .await?;
    Ok(ack(decode("cancel", &body)?))
}

/// `GET /fapi/v1/order` (`-2013`: no such order).
pub async fn query(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest.request(&by_client_id(Method::GET, id, market)).await?;
    Ok(ack(decode("order", &body)?))
}

/// `GET /fapi/v1/openOrders` as shared orders (symbols not in `markets` left out).
pub async fn open_orders(
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/fapi/v1/openOrders").signed();
    req = match symbol {
        Some(s) => req.param("symbol", s).cost(REQUEST_WEIGHT, 1),
        None => req.cost(REQUEST_WEIGHT, 40),
    };
    let listed: Vec<OrderResponse> = decode("openOrders", &rest.request(&req).await?)?;
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

/// The fills of one order from `GET /fapi/v1/userTrades?orderId=`.
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let order_id: i64 = venue_order_id
        .parse()
        .map_err(|e| CexError::decode("orderId", format!("{venue_order_id:?}: {e}")))?;
    let req = ApiRequest::new(Method::GET, "/fapi/v1/userTrades")
        .param("symbol", &market.rules.venue_symbol)
        .param("orderId", order_id)
        .signed()
        .cost(REQUEST_WEIGHT, 5);
    let trades: Vec<UserTrade> = decode("userTrades", &rest.request(&req).await?)?;
    let pair = &market.rules.pair;
    trades
        .iter()
        .filter(|t| t.order_id == order_id)
        .map(|t| {
            Ok(Fill {
                venue: String::new(),
                trade_id: fill_trade_id(pair, t.id),
                client_id: Some(id.clone()),
                venue_order_id: Some(t.order_id.to_string()),
                pair: pair.clone(),
                side: match t.side.as_str() {
                    "BUY" => Side::Buy,
                    "SELL" => Side::Sell,
                    other => {
                        return Err(CexError::decode("userTrades", format!("side {other:?}")));
                    }
                },
                price: t.price,
                amount: t.qty,
                fee_asset: Asset::new(&t.commission_asset)?,
                fee_amount: t.commission,
                is_maker: t.maker,
                timestamp_ms: t.time,
            })
        })
        .collect()
}

/// `GET /fapi/v2/balance`.
pub async fn balances(rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let req = ApiRequest::new(Method::GET, "/fapi/v2/balance")
        .signed()
        .cost(REQUEST_WEIGHT, 5);
    let listed: Vec<FuturesBalance> = decode("balance", &rest.request(&req).await?)?;
    listed.iter().map(FuturesBalance::to_balance).collect()
}

/// `GET /fapi/v2/positionRisk` (of one symbol, or all) as shared positions.
pub async fn positions(
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Position>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/fapi/v2/positionRisk")
        .signed()
        .cost(REQUEST_WEIGHT, 5);
    if let Some(s) = symbol {
        req = req.param("symbol", s);
    }
    let listed: Vec<PositionRisk> = decode("positionRisk", &rest.request(&req).await?)?;
    let mut out = Vec::with_capacity(listed.len());
    for p in &listed {
        if let Some(pair) = markets.pair_of(&p.symbol) {
            out.push(p.to_position(pair)?);
        }
    }
    Ok(out)
}

/// `GET /fapi/v1/premiumIndex?symbol=`.
pub async fn funding(rest: &RestClient, market: &Market) -> Result<FundingInfo, CexError> {
    let req = ApiRequest::new(Method::GET, "/fapi/v1/premiumIndex")
        .param("symbol", &market.rules.venue_symbol)
        .cost(REQUEST_WEIGHT, 1);
    let p: PremiumIndex = decode("premiumIndex", &rest.request(&req).await?)?;
    if p.symbol != market.rules.venue_symbol {
        return Err(CexError::decode(
            "premiumIndex",
            format!("asked {}, got {}", market.rules.venue_symbol, p.symbol),
        ));
    }
    p.to_funding(&market.rules.pair)
}

/// `POST /fapi/v1/leverage`.
pub async fn set_leverage(
    rest: &RestClient,
    market: &Market,
    leverage: u32,
) -> Result<LeverageSetting, CexError> {
    let req = ApiRequest::new(Method::POST, "/fapi/v1/leverage")
        .param("symbol", &market.rules.venue_symbol)
        .param("leverage", leverage)
        .signed()
        .cost(REQUEST_WEIGHT, 1);
    let a: LeverageAnswer = decode("leverage", &rest.request(&req).await?)?;
    Ok(LeverageSetting {
        pair: market.rules.pair.clone(),
        leverage: a.leverage,
        max_notional: a.max_notional_value,
    })
}

/// A "no need to change" answer means the setting already holds.
fn already_set(r: Result<bytes::Bytes, CexError>, no_change: i64) -> Result<(), CexError> {
    match r {
        Ok(_) => Ok(()),
        Err(CexError::Api {
            code,
            kind: ApiErrorKind::Rejected,
            ..
        }) if code == no_change => Ok(()),
        Err(e) => Err(e),
    }
}

/// `POST /fapi/v1/marginType`.
pub async fn set_margin_mode(
    rest: &RestClient,
    market: &Market,
    mode: MarginMode,
) -> Result<(), CexError> {
    let req = ApiRequest::new(Method::POST, "/fapi/v1/marginType")
        .param("symbol", &market.rules.venue_symbol)
        .param("marginType", margin_type_name(mode))
        .signed()
        .cost(REQUEST_WEIGHT, 1);
    already_set(
        rest.request(&req).await,
        code::NO_NEED_TO_CHANGE_MARGIN_TYPE,
    )
}

/// `GET /fapi/v1/positionSide/dual`.
pub async fn position_mode(rest: &RestClient) -> Result<PositionMode, CexError> {
    let req = ApiRequest::new(Method::GET, "/fapi/v1/positionSide/dual")
        .signed()
        .cost(REQUEST_WEIGHT, 30);
    let d: DualSide = decode("positionSide/dual", &rest.request(&req).await?)?;
    Ok(if d.dual_side_position {
        PositionMode::Hedge
    } else {
        PositionMode::OneWay
    })
}

/// `POST /fapi/v1/positionSide/dual`.
pub async fn set_position_mode(rest: &RestClient, mode: PositionMode) -> Result<(), CexError> {
    let dual = match mode {
        PositionMode::Hedge => "true",
        PositionMode::OneWay => "false",
    };
    let req = ApiRequest::new(Method::POST, "/fapi/v1/positionSide/dual")
        .param("dualSidePosition", dual)
        .signed()
        .cost(REQUEST_WEIGHT, 1);
    already_set(
        rest.request(&req).await,
        code::NO_NEED_TO_CHANGE_POSITION_SIDE,
    )
}
