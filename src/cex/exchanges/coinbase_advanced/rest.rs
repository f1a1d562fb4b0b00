//! Coinbase Advanced Trade's REST endpoints as the framework asks for them: markets from
//! `/market/products` with the account's fee tier (`/transaction_summary`), `POST /orders`,
//! `POST /orders/batch_cancel`, `GET /orders/historical/{id}`, `/orders/historical/batch`,
//! `/orders/historical/fills` and `/accounts`, following `cursor` pages. Coinbase names an order
//! by its own id only: the id learnt from the create answer is remembered per client id; an order
//! whose id was never heard of (a lost answer, a restart) is found by its `client_order_id` in the
//! product's order history.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::Method;
use serde::Deserialize;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{
    Balance, ClientOrderId, Fill, Order, OrderRequest, OrderState, OrderType, TimeInForce,
};

use super::CoinbaseAdvancedConfig;
use super::api::{
    self, AccountList, CbOrder, FeeTier, FillList, OrderEnvelope, OrderList, PRIVATE, PUBLIC,
    Product, Products, TransactionSummary, decode, refused,
};

/// Pages of a listing followed at most (each up to 250 or 1,000 items).
pub const MAX_PAGES: usize = 20;

/// Coinbase's order ids of the orders this process heard of, by client id.
#[derive(Debug, Default)]
pub struct VenueIds(Mutex<HashMap<ClientOrderId, String>>);

impl VenueIds {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<ClientOrderId, String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn remember(&self, id: &ClientOrderId, order_id: &str) {
        self.map().insert(id.clone(), order_id.to_string());
    }

    pub fn get(&self, id: &ClientOrderId) -> Option<String> {
        self.map().get(id).cloned()
    }
}

fn path(p: &str) -> String {
    format!("{}{p}", api::PREFIX)
}

fn private(method: Method, p: &str) -> ApiRequest {
    ApiRequest::new(method, &path(p)).signed().cost(PRIVATE, 1)
}

fn not_found(what: &str) -> CexError {
    CexError::Api {
        status: 404,
        code: super::errors::code_of("NOT_FOUND"),
        msg: format!("NOT_FOUND: {what}"),
        kind: ApiErrorKind::UnknownOrder,
    }
}

/// The `POST /orders` request for `order` on `product_id`.
pub fn order_request(order: &OrderRequest, product_id: &str) -> Result<ApiRequest, CexError> {
    let size = order.amount.normalize().to_string();
    let limit_price = || {
        order
            .price
            .map(|p| p.normalize().to_string())
            .ok_or_else(|| CexError::Invalid("a limit order needs a price".into()))
    };
    let configuration = match (order.order_type, order.time_in_force) {
        (OrderType::Market, _) => serde_json::json!({"market_market_ioc": {"base_size": size}}),
        (OrderType::LimitMaker, _) => serde_json::json!({"limit_limit_gtc": {
            "base_size": size, "limit_price": limit_price()?, "post_only": true}}),
        (OrderType::Limit, TimeInForce::Gtc) => serde_json::json!({"limit_limit_gtc": {
            "base_size": size, "limit_price": limit_price()?, "post_only": false}}),
        (OrderType::Limit, TimeInForce::Ioc) => serde_json::json!({"sor_limit_ioc": {
            "base_size": size, "limit_price": limit_price()?}}),
        (OrderType::Limit, TimeInForce::Fok) => serde_json::json!({"limit_limit_fok": {
            "base_size": size, "limit_price": limit_price()?}}),
        (other, _) => {
            return Err(CexError::Invalid(format!(
                "Coinbase Advanced Trade has no {other:?} orders"
            )));
        }
    };
    let body = serde_json::json!({
        "client_order_id": order.client_id.as_str(),
        "product_id": product_id,
        "side": api::side_word(order.side),
        "order_configuration": configuration,
    });
    Ok(private(Method::POST, "/orders").body(RequestBody::Json(body.to_string())))
}

/// The account's fee tier; the configured defaults without keys or when Coinbase does not say.
async fn fee_tier(cfg: &CoinbaseAdvancedConfig, rest: &RestClient) -> FeeTier {
    let defaults = FeeTier {
        maker_fee_rate: cfg.default_maker_fee,
        taker_fee_rate: cfg.default_taker_fee,
    };
    if rest.signer().is_none() {
        return defaults;
    }
    let req = private(Method::GET, "/transaction_summary");
    match rest.request(&req).await {
        Ok(body) => match decode::<TransactionSummary>("transaction_summary", &body) {
            Ok(s) => s.fee_tier,
            Err(e) => {
                tracing::warn!(error = %e, "fee tier unreadable; using the default fees");
                defaults
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "fee tier unavailable; using the default fees");
            defaults
        }
    }
}

fn market_of(p: &Product, fees: FeeTier) -> Option<Market> {
    Market::new(p.rules(fees)?)
}

/// Every spot product that trades now.
pub async fn load_markets(
    cfg: &CoinbaseAdvancedConfig,
    rest: &RestClient,
) -> Result<Vec<Market>, CexError> {
    let req = ApiRequest::new(Method::GET, &path("/market/products"))
        .param("product_type", "SPOT")
        .cost(PUBLIC, 1);
    let products: Products = decode("products", &rest.request(&req).await?)?;
    let fees = fee_tier(cfg, rest).await;
    Ok(products
        .products
        .iter()
        .filter_map(|p| market_of(p, fees))
        .collect())
}

/// One product's market now (`NOT_FOUND` / `INVALID_PRODUCT_ID` when Coinbase does not list it).
pub async fn load_market(
    cfg: &CoinbaseAdvancedConfig,
    rest: &RestClient,
    product_id: &str,
) -> Result<Option<Market>, CexError> {
    let req = ApiRequest::new(
        Method::GET,
        &path(&format!("/market/products/{product_id}")),
    )
    .cost(PUBLIC, 1);
    let p: Product = match rest.request(&req).await {
        Ok(body) => decode("product", &body)?,
        Err(CexError::Api {
            kind: ApiErrorKind::UnknownOrder | ApiErrorKind::UnknownSymbol,
            ..
        }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let fees = fee_tier(cfg, rest).await;
    Ok((p.product_id == product_id)
        .then(|| market_of(&p, fees))
        .flatten())
}

fn ack(o: &CbOrder) -> OrderAck {
    OrderAck {
        venue_order_id: o.order_id.clone(),
        status: o.status.clone(),
        state: o.state(),
        executed: Some(o.filled()),
        fills: Vec::new(),
    }
}

/// `POST /orders` answers.
#[derive(Debug, Deserialize)]
struct CreateAnswer {
    success: bool,
    #[serde(default)]
    success_response: Option<CreateSuccess>,
    #[serde(default)]
    error_response: Option<CreateFailure>,
    #[serde(default)]
    failure_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CreateSuccess {
    order_id: String,
}

#[derive(Debug, Default, Deserialize)]
struct CreateFailure {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    preview_failure_reason: Option<String>,
    #[serde(default)]
    new_order_failure_reason: Option<String>,
}

impl CreateFailure {
    /// The most specific reason word Coinbase gave.
    fn word(&self) -> &str {
        fn named(w: &Option<String>) -> Option<&str> {
            w.as_deref()
                .filter(|w| !w.is_empty() && !w.starts_with("UNKNOWN"))
        }
        named(&self.error)
            .or_else(|| named(&self.preview_failure_reason))
            .or_else(|| named(&self.new_order_failure_reason))
            .unwrap_or("UNKNOWN_FAILURE_REASON")
    }
}

/// `POST /orders`, then the order's record (an IOC or market order may have ended already). If
/// the record cannot be read the order is reported open: the stream or polling settles it.
pub async fn submit(
    rest: &RestClient,
    ids: &VenueIds,
    order: &OrderRequest,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let req = order_request(order, &market.rules.venue_symbol)?;
    let a: CreateAnswer = decode("create order", &rest.request(&req).await?)?;
    let order_id = match (a.success, a.success_response) {
        (true, Some(s)) => s.order_id,
        (true, None) => {
            return Err(CexError::decode(
                "create order",
                "success without an order id",
            ));
        }
        (false, _) => {
            let f = a.error_response.unwrap_or_default();
            let word = match f.word() {
                "UNKNOWN_FAILURE_REASON" => a
                    .failure_reason
                    .as_deref()
                    .unwrap_or("UNKNOWN_FAILURE_REASON"),
                w => w,
            };
            return Err(refused(
                word,
                f.message.as_deref().unwrap_or("order refused"),
            ));
        }
    };
    ids.remember(&order.client_id, &order_id);
    match fetch_order(rest, &order_id).await {
        Ok(o) => Ok(ack(&o)),
        Err(e) => {
            tracing::warn!(order = %order.client_id, error = %e, "order placed; its record is not readable yet");
            Ok(OrderAck {
                venue_order_id: order_id,
                status: "PENDING".into(),
                state: Some(OrderState::Open),
                executed: None,
                fills: Vec::new(),
            })
        }
    }
}

async fn fetch_order(rest: &RestClient, order_id: &str) -> Result<CbOrder, CexError> {
    let req = private(Method::GET, &format!("/orders/historical/{order_id}"));
    let env: OrderEnvelope = decode("order", &rest.request(&req).await?)?;
    Ok(env.order)
}

/// One page of the account's orders.
async fn order_page(
    rest: &RestClient,
    product_id: Option<&str>,
    open_only: bool,
    cursor: &str,
) -> Result<OrderList, CexError> {
    let mut req = private(Method::GET, "/orders/historical/batch").param("limit", 1000);
    if let Some(p) = product_id {
        req = req.param("product_ids", p);
    }
    if open_only {
        req = req.param("order_status", "OPEN");
    }
    if !cursor.is_empty() {
        req = req.param("cursor", cursor);
    }
    decode("orders", &rest.request(&req).await?)
}

/// The order of client id `id` in the product's history (newest first), if any.
async fn find_by_client_id(
    rest: &RestClient,
    id: &ClientOrderId,
    product_id: &str,
) -> Result<Option<CbOrder>, CexError> {
    let mut cursor = String::new();
    for _ in 0..MAX_PAGES {
        let page = order_page(rest, Some(product_id), false, &cursor).await?;
        if let Some(o) = page
            .orders
            .into_iter()
            .find(|o| o.client_order_id == id.as_str())
        {
            return Ok(Some(o));
        }
        if !page.has_next || page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    Ok(None)
}

/// The record of the order of client id `id`: by its Coinbase id when known, else found by its
/// client id (`NOT_FOUND` when Coinbase has no such order).
async fn order_of(
    rest: &RestClient,
    ids: &VenueIds,
    id: &ClientOrderId,
    market: &Market,
) -> Result<CbOrder, CexError> {
    let o = match ids.get(id) {
        Some(order_id) => fetch_order(rest, &order_id).await?,
        None => find_by_client_id(rest, id, &market.rules.venue_symbol)
            .await?
            .ok_or_else(|| not_found(&format!("no order with client id {id}")))?,
    };
    ids.remember(id, &o.order_id);
    Ok(o)
}

/// `POST /orders/batch_cancel` of one order, then its record.
pub async fn cancel(
    rest: &RestClient,
    ids: &VenueIds,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    #[derive(Deserialize)]
    struct Results {
        results: Vec<CancelResult>,
    }
    #[derive(Deserialize)]
    struct CancelResult {
        success: bool,
        #[serde(default)]
        failure_reason: Option<String>,
    }
    let order_id = match ids.get(id) {
        Some(o) => o,
        None => order_of(rest, ids, id, market).await?.order_id,
    };
    let body = serde_json::json!({"order_ids": [order_id]}).to_string();
    let req = private(Method::POST, "/orders/batch_cancel").body(RequestBody::Json(body));
    let r: Results = decode("batch_cancel", &rest.request(&req).await?)?;
    let one = r
        .results
        .first()
        .ok_or_else(|| CexError::decode("batch_cancel", "no result for the order"))?;
    if !one.success {
        let word = one
            .failure_reason
            .as_deref()
            .unwrap_or("UNKNOWN_FAILURE_REASON");
        return Err(refused(word, "cancel refused"));
    }
    let o = fetch_order(rest, &order_id).await?;
    Ok(ack(&o))
}

/// The exchange's record of the order of client id `id`.
pub async fn query(
    rest: &RestClient,
    ids: &VenueIds,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    Ok(ack(&order_of(rest, ids, id, market).await?))
}

/// Open orders of one product or all (`/orders/historical/batch?order_status=OPEN`), as shared
/// orders. Orders without a sluice client id and orders of products not in `markets` are left out.
pub async fn open_orders(
    rest: &RestClient,
    ids: &VenueIds,
    markets: &Markets,
    product_id: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let mut listed = Vec::new();
    let mut cursor = String::new();
    for _ in 0..MAX_PAGES {
        let page = order_page(rest, product_id, true, &cursor).await?;
        listed.extend(page.orders);
        if !page.has_next || page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    let mut orders = Vec::with_capacity(listed.len());
    for o in listed {
        let Some(pair) = markets.pair_of(&o.product_id) else {
            continue;
        };
        let Some(request) = o.to_request(pair)? else {
            continue;
        };
        ids.remember(&request.client_id, &o.order_id);
        let mut order = Order::new(request);
        order.venue_order_id = Some(o.order_id.clone());
        order.filled = o.filled();
        if let Some(state) = o.state() {
            order.state = state;
        }
        orders.push(order);
    }
    Ok(orders)
}

/// `GET /orders/historical/fills` of one order, every page.
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let mut fills = Vec::new();
    let mut cursor = String::new();
    for _ in 0..MAX_PAGES {
        let mut req = private(Method::GET, "/orders/historical/fills")
            .param("order_ids", order_id)
            .param("limit", 1000);
        if !cursor.is_empty() {
            req = req.param("cursor", &cursor);
        }
        let page: FillList = decode("fills", &rest.request(&req).await?)?;
        for f in page.fills.iter().filter(|f| f.order_id == order_id) {
            fills.push(f.to_fill(id, &market.rules.pair)?);
        }
        if page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    Ok(fills)
}

/// `GET /accounts`, every page.
pub async fn balances(rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    for _ in 0..MAX_PAGES {
        let mut req = private(Method::GET, "/accounts").param("limit", 250);
        if !cursor.is_empty() {
            req = req.param("cursor", &cursor);
        }
        let page: AccountList = decode("accounts", &rest.request(&req).await?)?;
        for a in &page.accounts {
            out.push(a.to_balance()?);
        }
        if !page.has_next || page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Side;
    use rust_decimal_macros::dec;

    fn order(order_type: OrderType, tif: TimeInForce) -> OrderRequest {
        OrderRequest {
            client_id: ClientOrderId::new("sl-7").unwrap(),
            pair: "ETH-USD".parse().unwrap(),
            side: Side::Sell,
            order_type,
            amount: dec!(1.500),
            price: Some(dec!(3012.50)),
            time_in_force: tif,
            deadline: None,
        }
    }

    fn body(req: &ApiRequest) -> serde_json::Value {
        serde_json::from_slice(req.body.as_ref().unwrap().as_bytes()).unwrap()
    }

    #[test]
    fn order_bodies_in_coinbase_shape() {
        let r = order_request(&order(OrderType::Limit, TimeInForce::Gtc), "ETH-USD").unwrap();
        assert_eq!(
            (r.method.clone(), r.path.as_str()),
            (Method::POST, "/api/v3/brokerage/orders")
        );
        assert!(r.signed);
        assert_eq!(
            body(&r),
            serde_json::json!({"client_order_id": "sl-7", "product_id": "ETH-USD", "side": "SELL",
                "order_configuration": {"limit_limit_gtc": {"base_size": "1.5", "limit_price": "3012.5", "post_only": false}}})
        );
        let pm = order_request(&order(OrderType::LimitMaker, TimeInForce::Gtc), "ETH-USD").unwrap();
        assert_eq!(
            body(&pm)["order_configuration"]["limit_limit_gtc"]["post_only"],
            true
        );
        let ioc = order_request(&order(OrderType::Limit, TimeInForce::Ioc), "ETH-USD").unwrap();
        assert_eq!(
            body(&ioc)["order_configuration"]["sor_limit_ioc"]["limit_price"],
            "3012.5"
        );
        let fok = order_request(&order(OrderType::Limit, TimeInForce::Fok), "ETH-USD").unwrap();
        assert!(body(&fok)["order_configuration"]["limit_limit_fok"].is_object());
        let m = order_request(&order(OrderType::Market, TimeInForce::Ioc), "ETH-USD").unwrap();
        assert_eq!(
            body(&m)["order_configuration"],
            serde_json::json!({"market_market_ioc": {"base_size": "1.5"}})
        );
        let mut no_price = order(OrderType::Limit, TimeInForce::Gtc);
        no_price.price = None;
        assert!(order_request(&no_price, "ETH-USD").is_err());
    }

    #[test]
    fn refusals_name_the_most_specific_reason() {
        let a: CreateAnswer = serde_json::from_str(
            r#"{"success":false,"failure_reason":"UNKNOWN_FAILURE_REASON","order_id":"",
                "error_response":{"error":"UNKNOWN_FAILURE_REASON","message":"Insufficient balance",
                "error_details":"","preview_failure_reason":"PREVIEW_INSUFFICIENT_FUND"}}"#,
        )
        .unwrap();
        assert_eq!(
            a.error_response.unwrap().word(),
            "PREVIEW_INSUFFICIENT_FUND"
        );
        assert_eq!(CreateFailure::default().word(), "UNKNOWN_FAILURE_REASON");
    }

    #[test]
    fn venue_ids_are_remembered_per_client_id() {
        let ids = VenueIds::default();
        let id = ClientOrderId::new("sl-7").unwrap();
        assert_eq!(ids.get(&id), None);
        ids.remember(&id, "abc");
        assert_eq!(ids.get(&id).as_deref(), Some("abc"));
    }
}
