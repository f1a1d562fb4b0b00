//! Coinbase Exchange's REST endpoints as the framework asks for them (typed request → typed
//! answer): markets from `/products` (fees from `/fees` when signed), `POST /orders`,
//! `DELETE`/`GET /orders/client:{client_oid}`, open orders, the order's fills and the accounts.
//! Orders are named by their `client_oid`, which Coinbase accepts in every order path.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::Method;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{
    Balance, ClientOrderId, Fill, Order, OrderRequest, OrderType, Side, TimeInForce,
};

use super::CoinbaseProConfig;
use super::api::{CbAccount, CbFill, CbOrder, FILLS, PRIVATE, PUBLIC, Product, client_oid, decode};

/// The orders of this process Coinbase's ids name (the private stream names orders by Coinbase's
/// id only): each one's client id and, once known, its base size (to tell a `done` or `open`
/// message's filled amount).
#[derive(Debug, Default)]
pub struct OrderIds(Mutex<HashMap<String, Known>>);

#[derive(Debug)]
struct Known {
    client: ClientOrderId,
    size: Option<Decimal>,
}

impl OrderIds {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Known>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that Coinbase's order `venue_id` is ours, `id`, of base `size` when the answer
    /// says (a size already known is kept otherwise).
    pub fn remember(&self, id: &ClientOrderId, venue_id: &str, size: Option<Decimal>) {
        let mut m = self.lock();
        match m.get_mut(venue_id) {
            Some(k) => {
                k.client = id.clone();
                k.size = size.or(k.size);
            }
            None => {
                m.insert(
                    venue_id.to_string(),
                    Known {
                        client: id.clone(),
                        size,
                    },
                );
            }
        }
    }

    /// The base size of Coinbase's order `venue_id`, if known.
    pub fn size_of(&self, venue_id: &str) -> Option<Decimal> {
        self.lock().get(venue_id).and_then(|k| k.size)
    }

    /// The client id of Coinbase's order `venue_id`, if this process heard of it.
    pub fn client_id(&self, venue_id: &str) -> Option<ClientOrderId> {
        self.lock().get(venue_id).map(|k| k.client.clone())
    }
}

/// The `POST /orders` request for `order` on `product`.
pub fn order_request(order: &OrderRequest, product: &str) -> Result<ApiRequest, CexError> {
    let mut body = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        body.insert(k.to_string(), v);
    };
    let s = |v: String| serde_json::Value::String(v);
    put("client_oid", s(client_oid(&order.client_id)?));
    put("product_id", s(product.to_string()));
    put(
        "side",
        s(match order.side {
            Side::Buy => "buy".into(),
            Side::Sell => "sell".into(),
        }),
    );
    put("size", s(order.amount.normalize().to_string()));
    match order.order_type {
        OrderType::Market => put("type", s("market".into())),
        OrderType::Limit | OrderType::LimitMaker => {
            let price = order
                .price
                .ok_or_else(|| CexError::Invalid("a limit order needs a price".into()))?;
            put("type", s("limit".into()));
            put("price", s(price.normalize().to_string()));
            if order.order_type == OrderType::LimitMaker {
                put("time_in_force", s("GTC".into()));
                put("post_only", serde_json::Value::Bool(true));
            } else {
                let tif = match order.time_in_force {
                    TimeInForce::Gtc => "GTC",
                    TimeInForce::Ioc => "IOC",
                    TimeInForce::Fok => "FOK",
                };
                put("time_in_force", s(tif.into()));
            }
        }
        other => {
            return Err(CexError::Invalid(format!(
                "Coinbase Exchange has no {other:?} orders"
            )));
        }
    }
    let json = serde_json::Value::Object(body).to_string();
    Ok(ApiRequest::new(Method::POST, "/orders")
        .body(RequestBody::Json(json))
        .signed()
        .cost(PRIVATE, 1))
}

/// The account's fee rates (`GET /fees`): (maker, taker).
async fn fee_rates(rest: &RestClient) -> Result<(Decimal, Decimal), CexError> {
    #[derive(Deserialize)]
    struct Fees {
        maker_fee_rate: Decimal,
        taker_fee_rate: Decimal,
    }
    let req = ApiRequest::new(Method::GET, "/fees")
        .signed()
        .cost(PRIVATE, 1);
    let f: Fees = decode("fees", &rest.request(&req).await?)?;
    Ok((f.maker_fee_rate, f.taker_fee_rate))
}

async fn fees_of(
    cfg: &CoinbaseProConfig,
    rest: &RestClient,
) -> Result<(Decimal, Decimal), CexError> {
    if rest.signer().is_some() {
        fee_rates(rest).await
    } else {
        Ok((cfg.default_fee, cfg.default_fee))
    }
}

fn market_of((maker, taker): (Decimal, Decimal), p: &Product) -> Option<Market> {
    let mut rules = p.rules(taker)?;
    rules.maker_fee = maker;
    Market::new(rules)
}

/// Every product that trades normally.
pub async fn load_markets(
    cfg: &CoinbaseProConfig,
    rest: &RestClient,
) -> Result<Vec<Market>, CexError> {
    let req = ApiRequest::new(Method::GET, "/products").cost(PUBLIC, 1);
    let products: Vec<Product> = decode("products", &rest.request(&req).await?)?;
    let fees = fees_of(cfg, rest).await?;
    Ok(products.iter().filter_map(|p| market_of(fees, p)).collect())
}

/// One product's market now (`NotFound` when Coinbase does not list it).
pub async fn load_market(
    cfg: &CoinbaseProConfig,
    rest: &RestClient,
    product: &str,
) -> Result<Option<Market>, CexError> {
    let req = ApiRequest::new(Method::GET, &format!("/products/{product}")).cost(PUBLIC, 1);
    let p: Product = decode("product", &rest.request(&req).await?)?;
    let fees = fees_of(cfg, rest).await?;
    Ok((p.id == product).then(|| market_of(fees, &p)).flatten())
}

fn ack(o: &CbOrder) -> OrderAck {
    OrderAck {
        venue_order_id: o.id.clone(),
        status: o.status_word(),
        state: o.state(),
        executed: o.filled_size,
        fills: Vec::new(),
    }
}

/// `POST /orders`.
pub async fn submit(
    rest: &RestClient,
    ids: &OrderIds,
    order: &OrderRequest,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let req = order_request(order, &market.rules.venue_symbol)?;
    let o: CbOrder = decode("new order", &rest.request(&req).await?)?;
    ids.remember(&order.client_id, &o.id, Some(order.amount));
    Ok(ack(&o))
}

fn by_client(method: Method, id: &ClientOrderId, market: &Market) -> Result<ApiRequest, CexError> {
    Ok(
        ApiRequest::new(method, &format!("/orders/client:{}", client_oid(id)?))
            .param("product_id", &market.rules.venue_symbol)
            .signed()
            .cost(PRIVATE, 1),
    )
}

/// `DELETE /orders/client:{client_oid}`: Coinbase answers the order's id.
pub async fn cancel(
    rest: &RestClient,
    ids: &OrderIds,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest
        .request(&by_client(Method::DELETE, id, market)?)
        .await?;
    let venue_id: String = decode("cancel", &body)?;
    ids.remember(id, &venue_id, None);
    Ok(OrderAck {
        venue_order_id: venue_id,
        status: "canceled".into(),
        state: None,
        executed: None,
        fills: Vec::new(),
    })
}

/// `GET /orders/client:{client_oid}` (404 `NotFound`: no such order).
pub async fn query(
    rest: &RestClient,
    ids: &OrderIds,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = rest.request(&by_client(Method::GET, id, market)?).await?;
    let o: CbOrder = decode("order", &body)?;
    ids.remember(id, &o.id, o.size);
    Ok(ack(&o))
}

/// Open orders (`GET /orders?status=open`, of one product or all), as shared orders. Orders
/// without a sluice client id and orders of products not in `markets` are left out.
pub async fn open_orders(
    rest: &RestClient,
    ids: &OrderIds,
    markets: &Markets,
    product: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let mut req = ApiRequest::new(Method::GET, "/orders").param("status", "open");
    if let Some(p) = product {
        req = req.param("product_id", p);
    }
    let req = req.param("limit", 1000).signed().cost(PRIVATE, 1);
    let listed: Vec<CbOrder> = decode("open orders", &rest.request(&req).await?)?;
    let mut orders = Vec::with_capacity(listed.len());
    for o in listed {
        let Some(pair) = markets.pair_of(&o.product_id) else {
            continue;
        };
        let Some(request) = o.to_request(pair)? else {
            continue;
        };
        ids.remember(&request.client_id, &o.id, Some(request.amount));
        let mut order = Order::new(request);
        order.venue_order_id = Some(o.id.clone());
        order.filled = o.filled_size.unwrap_or_default();
        if let Some(state) = o.state() {
            order.state = state;
        }
        orders.push(order);
    }
    Ok(orders)
}

/// `GET /fills?order_id=…` of one order.
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let req = ApiRequest::new(Method::GET, "/fills")
        .param("order_id", venue_order_id)
        .param("product_id", &market.rules.venue_symbol)
        .param("limit", 1000)
        .signed()
        .cost(FILLS, 1);
    let fills: Vec<CbFill> = decode("fills", &rest.request(&req).await?)?;
    fills
        .iter()
        .filter(|f| f.order_id == venue_order_id)
        .map(|f| f.to_fill(id, &market.rules.pair))
        .collect()
}

/// `GET /accounts`.
pub async fn balances(rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let req = ApiRequest::new(Method::GET, "/accounts")
        .signed()
        .cost(PRIVATE, 1);
    let accounts: Vec<CbAccount> = decode("accounts", &rest.request(&req).await?)?;
    accounts.iter().map(CbAccount::to_balance).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn order(order_type: OrderType, side: Side) -> OrderRequest {
        OrderRequest {
            client_id: ClientOrderId::new("sl-7").unwrap(),
            pair: "ETH-USD".parse().unwrap(),
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
    fn order_bodies_in_coinbase_shape() {
        let r = order_request(&order(OrderType::Limit, Side::Sell), "ETH-USD").unwrap();
        assert_eq!(
            (r.method.clone(), r.path.as_str()),
            (Method::POST, "/orders")
        );
        assert!(r.signed);
        assert_eq!(
            body(&r),
            r#"{"client_oid":"736c2d37-0000-0000-0000-000000000000","price":"3012.5","product_id":"ETH-USD","side":"sell","size":"1.5","time_in_force":"IOC","type":"limit"}"#
        );
        let pm = body(&order_request(&order(OrderType::LimitMaker, Side::Buy), "ETH-USD").unwrap());
        assert!(
            pm.contains(r#""post_only":true"#) && pm.contains(r#""time_in_force":"GTC""#),
            "{pm}"
        );
        let m = body(&order_request(&order(OrderType::Market, Side::Buy), "ETH-USD").unwrap());
        assert!(
            m.contains(r#""type":"market""#)
                && m.contains(r#""size":"1.5""#)
                && !m.contains("price"),
            "{m}"
        );
    }

    #[test]
    fn ids_are_remembered_by_coinbases_id() {
        let ids = OrderIds::default();
        let id = ClientOrderId::new("sl-7").unwrap();
        assert_eq!(ids.client_id("abc"), None);
        ids.remember(&id, "abc", None);
        assert_eq!(ids.client_id("abc"), Some(id));
    }
}
