//! Gate.io's REST endpoints as the framework asks for them (typed request → typed answer):
//! markets from `/spot/currency_pairs`, `POST /spot/orders`, `DELETE`/`GET /spot/orders/{id}`,
//! open orders, the account's trades and balances. An order is named by Gate.io's id once known
//! (a custom `t-` id is only accepted for a while after the order ends), else by its `t-` text.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::Method;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{
    Balance, ClientOrderId, Fill, Order, OrderRequest, OrderType, Side, TimeInForce,
};

use super::GateIoConfig;
use super::api::{
    self, ACCOUNTS, CurrencyPair, GateOrder, MY_TRADES, MyTrade, OPEN_ORDERS, ORDER_CANCEL,
    ORDER_PLACE, ORDER_QUERY, PUBLIC_PAIRS, SpotAccount, decode,
};

/// Gate.io's order ids of the orders this process heard of, by client id.
#[derive(Debug, Default)]
pub struct OrderIds(Mutex<HashMap<ClientOrderId, String>>);

impl OrderIds {
    pub fn remember(&self, id: &ClientOrderId, venue_id: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), venue_id.to_string());
    }

    /// How to name the order in a path: Gate.io's id if known, else the `t-` text.
    pub fn path_id(&self, id: &ClientOrderId) -> String {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
            .unwrap_or_else(|| api::text_of(id))
    }
}

fn path(p: &str) -> String {
    format!("{}{p}", api::PREFIX)
}

/// The `POST /spot/orders` request for `order` on `symbol`. A market buy spends `quote_amount`
/// (Gate.io sizes market buys in the quote asset); every other order is sized in the base asset.
pub fn order_request(
    order: &OrderRequest,
    symbol: &str,
    quote_amount: Option<Decimal>,
) -> Result<ApiRequest, CexError> {
    let side = match order.side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    let mut body = serde_json::Map::new();
    let mut put = |k: &str, v: String| {
        body.insert(k.to_string(), serde_json::Value::String(v));
    };
    put("text", api::text_of(&order.client_id));
    put("currency_pair", symbol.to_string());
    match order.order_type {
        OrderType::Market => {
            let amount = match (order.side, quote_amount) {
                (Side::Buy, Some(q)) => q,
                (Side::Buy, None) => {
                    return Err(CexError::Invalid(
                        "a Gate.io market buy needs its quote amount".into(),
                    ));
                }
                (Side::Sell, _) => order.amount,
            };
            put("type", "market".into());
            put("account", "spot".into());
            put("side", side.into());
            put("amount", amount.normalize().to_string());
            put("time_in_force", "ioc".into());
        }
        OrderType::Limit | OrderType::LimitMaker => {
            let price = order
                .price
                .ok_or_else(|| CexError::Invalid("a limit order needs a price".into()))?;
            let tif = match (order.order_type, order.time_in_force) {
                (OrderType::LimitMaker, _) => "poc",
                (_, TimeInForce::Gtc) => "gtc",
                (_, TimeInForce::Ioc) => "ioc",
                (_, TimeInForce::Fok) => "fok",
            };
            put("type", "limit".into());
            put("account", "spot".into());
            put("side", side.into());
            put("amount", order.amount.normalize().to_string());
            put("price", price.normalize().to_string());
            put("time_in_force", tif.into());
        }
        other => {
            return Err(CexError::Invalid(format!(
                "Gate.io spot has no {other:?} orders"
            )));
        }
    }
    let json = serde_json::Value::Object(body).to_string();
    Ok(ApiRequest::new(Method::POST, &path("/spot/orders"))
        .body(RequestBody::Json(json))
        .signed()
        .cost(ORDER_PLACE, 1))
}

fn market_of(cfg: &GateIoConfig, p: &CurrencyPair) -> Option<Market> {
    Market::new(p.rules(cfg.default_fee)?)
}

/// Every pair that trades both ways.
pub async fn load_markets(cfg: &GateIoConfig, rest: &RestClient) -> Result<Vec<Market>, CexError> {
    let req = ApiRequest::new(Method::GET, &path("/spot/currency_pairs")).cost(PUBLIC_PAIRS, 1);
    let body = rest.request(&req).await?;
    let pairs: Vec<CurrencyPair> = decode("currency_pairs", &body)?;
    Ok(pairs.iter().filter_map(|p| market_of(cfg, p)).collect())
}

/// One pair's market now (`INVALID_CURRENCY_PAIR` when Gate.io does not list it).
pub async fn load_market(
    cfg: &GateIoConfig,
    rest: &RestClient,
    symbol: &str,
) -> Result<Option<Market>, CexError> {
    let req = ApiRequest::new(
        Method::GET,
        &path(&format!("/spot/currency_pairs/{symbol}")),
    )
    .cost(PUBLIC_PAIRS, 1);
    let body = rest.request(&req).await?;
    let p: CurrencyPair = decode("currency_pair", &body)?;
    Ok((p.id == symbol).then(|| market_of(cfg, &p)).flatten())
}

fn ack(o: &GateOrder) -> OrderAck {
    OrderAck {
        venue_order_id: o.id.clone(),
        status: o.status_word(),
        state: o.state(),
        executed: o.filled(),
        fills: Vec::new(),
    }
}

/// What a market buy of `order.amount` base costs on the book now, rounded up to the price's
/// decimals plus the amount's (the quote Gate.io is asked to spend).
async fn market_buy_cost(
    rest: &RestClient,
    order: &OrderRequest,
    market: &Market,
) -> Result<Decimal, CexError> {
    let book = super::book::snapshot_book(rest, market).await?;
    let q = book
        .quote(Side::Buy, order.amount, Decimal::ZERO)
        .map_err(|e| CexError::Invalid(format!("market buy: {e}")))?;
    if q.filled < order.amount {
        return Err(CexError::Invalid(format!(
            "market buy: the book holds only {} of {}",
            q.filled, order.amount
        )));
    }
    let dp = market.price.decimals() + market.size.decimals();
    Ok(q.gross
        .round_dp_with_strategy(dp.min(28), RoundingStrategy::AwayFromZero))
}

/// `POST /spot/orders`.
pub async fn submit(
    rest: &RestClient,
    ids: &OrderIds,
    order: &OrderRequest,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let quote = if order.order_type == OrderType::Market && order.side == Side::Buy {
        Some(market_buy_cost(rest, order, market).await?)
    } else {
        None
    };
    let req = order_request(order, &market.rules.venue_symbol, quote)?;
    let body = rest.request(&req).await?;
    let o: GateOrder = decode("new order", &body)?;
    ids.remember(&order.client_id, &o.id);
    Ok(ack(&o))
}

fn by_id(method: Method, ids: &OrderIds, id: &ClientOrderId, market: &Market) -> ApiRequest {
    let counter = if method == Method::DELETE {
        ORDER_CANCEL
    } else {
        ORDER_QUERY
    };
    ApiRequest::new(method, &path(&format!("/spot/orders/{}", ids.path_id(id))))
        .param("currency_pair", &market.rules.venue_symbol)
        .signed()
        .cost(counter, 1)
}

/// `DELETE /spot/orders/{id}`.
pub async fn cancel(
    rest: &RestClient,
    ids: &OrderIds,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest
        .request(&by_id(Method::DELETE, ids, id, market))
        .await?;
    let o: GateOrder = decode("cancel", &body)?;
    ids.remember(id, &o.id);
    Ok(ack(&o))
}

/// `GET /spot/orders/{id}` (`ORDER_NOT_FOUND`: no such order).
pub async fn query(
    rest: &RestClient,
    ids: &OrderIds,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest.request(&by_id(Method::GET, ids, id, market)).await?;
    let o: GateOrder = decode("order", &body)?;
    ids.remember(id, &o.id);
    Ok(ack(&o))
}

/// Open orders of one pair (`GET /spot/orders?status=open`) or all (`GET /spot/open_orders`), as
/// shared orders. Orders without a sluice client id and orders of pairs not in `markets` are left
/// out.
pub async fn open_orders(
    rest: &RestClient,
    ids: &OrderIds,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let listed: Vec<GateOrder> = match symbol {
        Some(s) => {
            let req = ApiRequest::new(Method::GET, &path("/spot/orders"))
                .param("currency_pair", s)
                .param("status", "open")
                .signed()
                .cost(ORDER_QUERY, 1);
            decode("open orders", &rest.request(&req).await?)?
        }
        None => {
            #[derive(serde::Deserialize)]
            struct PairOrders {
                orders: Vec<GateOrder>,
            }
            let req = ApiRequest::new(Method::GET, &path("/spot/open_orders"))
                .signed()
                .cost(OPEN_ORDERS, 1);
            let all: Vec<PairOrders> = decode("open_orders", &rest.request(&req).await?)?;
            all.into_iter().flat_map(|p| p.orders).collect()
        }
    };
    let mut orders = Vec::with_capacity(listed.len());
    for o in listed {
        let Some(pair) = markets.pair_of(&o.currency_pair) else {
            continue;
        };
        let Some(request) = o.to_request(pair)? else {
            continue;
        };
        ids.remember(&request.client_id, &o.id);
        let mut order = Order::new(request);
        order.venue_order_id = Some(o.id.clone());
        order.filled = o.filled().unwrap_or_default();
        if let Some(state) = o.state() {
            order.state = state;
        }
        orders.push(order);
    }
    Ok(orders)
}

/// `GET /spot/my_trades` of one order.
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let req = ApiRequest::new(Method::GET, &path("/spot/my_trades"))
        .param("currency_pair", &market.rules.venue_symbol)
        .param("order_id", venue_order_id)
        .param("limit", 1000)
        .signed()
        .cost(MY_TRADES, 1);
    let trades: Vec<MyTrade> = decode("my_trades", &rest.request(&req).await?)?;
    trades
        .iter()
        .filter(|t| t.order_id == venue_order_id)
        .map(|t| t.to_fill(id, &market.rules.pair))
        .collect()
}

/// `GET /spot/accounts`.
pub async fn balances(rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let req = ApiRequest::new(Method::GET, &path("/spot/accounts"))
        .signed()
        .cost(ACCOUNTS, 1);
    let accounts: Vec<SpotAccount> = decode("accounts", &rest.request(&req).await?)?;
    accounts.iter().map(SpotAccount::to_balance).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn order(order_type: OrderType, side: Side) -> OrderRequest {
        OrderRequest {
            client_id: ClientOrderId::new("sl-7").unwrap(),
            pair: "ETH-USDT".parse().unwrap(),
            side,
            order_type,
            amount: dec!(1.500),
            price: Some(dec!(3012.50)),
            time_in_force: TimeInForce::Ioc,
            deadline: None,
        }
    }

    fn body(req: &ApiRequest) -> String {
        String::from_utf8(req.body.as_ref().unwrap().as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn order_bodies_in_gate_shape() {
        let r = order_request(&order(OrderType::Limit, Side::Sell), "ETH_USDT", None).unwrap();
        assert_eq!(
            (r.method.clone(), r.path.as_str()),
            (Method::POST, "/api/v4/spot/orders")
        );
        assert!(r.signed);
        assert_eq!(
            body(&r),
            r#"{"account":"spot","amount":"1.5","currency_pair":"ETH_USDT","price":"3012.5","side":"sell","text":"t-sl-7","time_in_force":"ioc","type":"limit"}"#
        );
        let pm = order_request(&order(OrderType::LimitMaker, Side::Buy), "ETH_USDT", None).unwrap();
        assert!(body(&pm).contains(r#""time_in_force":"poc""#));
        let mb = order_request(
            &order(OrderType::Market, Side::Buy),
            "ETH_USDT",
            Some(dec!(4518.75)),
        )
        .unwrap();
        let b = body(&mb);
        assert!(
            b.contains(r#""amount":"4518.75""#) && !b.contains("price"),
            "{b}"
        );
        assert!(order_request(&order(OrderType::Market, Side::Buy), "ETH_USDT", None).is_err());
        let ms = order_request(&order(OrderType::Market, Side::Sell), "ETH_USDT", None).unwrap();
        assert!(body(&ms).contains(r#""amount":"1.5""#));
    }

    #[test]
    fn orders_are_named_by_gate_id_once_known() {
        let ids = OrderIds::default();
        let id = ClientOrderId::new("sl-7").unwrap();
        assert_eq!(ids.path_id(&id), "t-sl-7");
        ids.remember(&id, "123");
        assert_eq!(ids.path_id(&id), "123");
    }
}
