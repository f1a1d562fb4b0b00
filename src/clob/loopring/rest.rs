//! Loopring's account endpoints as the framework asks for them: the account of an owner
//! (`GET /api/v3/account`), its API key (`GET /api/v3/apiKey`, signed), the next storage id
//! (`GET /api/v3/storageId`), orders (`POST`/`DELETE`/`GET /api/v3/order`, `GET /api/v3/orders`),
//! balances (`GET /api/v3/user/balances`) and trades (`GET /api/v3/user/trades`). Amounts travel
//! as integers in token units and are read exactly with the token's decimals.

use reqwest::Method;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::venue::OrderAck;
use crate::core::{OrderState, Side};

use super::api::{self, ApiError, OrderAnswer, StorageId, Token};
use super::errors::limit;

/// An answer that could not be used, as the framework's error.
pub fn api_error(e: ApiError) -> CexError {
    match e {
        ApiError::Malformed { endpoint, reason } => CexError::decode(endpoint, reason),
        ApiError::Refused {
            code,
            message,
            endpoint,
        } => CexError::Api {
            status: 200,
            code,
            msg: format!("{endpoint}: {message}"),
            kind: super::errors::classify(200, code),
        },
    }
}

/// Parses `body` of `endpoint` as `T` (a `resultInfo` refusal is an error).
pub fn decode<T: for<'de> Deserialize<'de>>(
    endpoint: &'static str,
    body: &[u8],
) -> Result<T, CexError> {
    api::parse(endpoint, body).map_err(api_error)
}

/// A public GET.
pub fn public(path: &str) -> ApiRequest {
    ApiRequest::new(Method::GET, path).cost(limit::REST, 1)
}

/// A GET with `X-API-KEY` and `X-API-SIG`.
pub fn private_get(path: &str, account_id: u32) -> ApiRequest {
    public(path).param("accountId", account_id).signed()
}

/// `amount` (an integer in units of a token with `decimals`) as a decimal amount.
pub fn from_units(what: &'static str, amount: &str, decimals: u8) -> Result<Decimal, CexError> {
    let bad = || CexError::decode(what, format!("{amount:?} is not an amount in token units"));
    let units: i128 = amount.trim().parse().map_err(|_| bad())?;
    if !(0..(1i128 << 96)).contains(&units) {
        return Err(bad());
    }
    Decimal::try_from_i128_with_scale(units, u32::from(decimals.min(28)))
        .map(|d| d.normalize())
        .map_err(|_| bad())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDoc {
    pub account_id: u32,
    pub owner: String,
    #[serde(default)]
    pub key_nonce: u64,
}

/// `GET /api/v3/account?owner=`: the L2 account of an Ethereum address.
pub async fn account_of(rest: &RestClient, owner: &str) -> Result<AccountDoc, CexError> {
    let req = public("/api/v3/account").param("owner", owner);
    decode("/api/v3/account", &rest.request(&req).await?)
}

/// `GET /api/v3/apiKey?accountId=` (authenticated by `X-API-SIG` alone).
pub async fn api_key(rest: &RestClient, account_id: u32) -> Result<api::ApiKeyAnswer, CexError> {
    let req = private_get("/api/v3/apiKey", account_id);
    decode("/api/v3/apiKey", &rest.request(&req).await?)
}

/// `GET /api/v3/storageId`: the next storage id for an order selling `sell_token_id`.
pub async fn storage_id(
    rest: &RestClient,
    account_id: u32,
    sell_token_id: u32,
) -> Result<StorageId, CexError> {
    let req = private_get("/api/v3/storageId", account_id).param("sellTokenId", sell_token_id);
    decode("/api/v3/storageId", &rest.request(&req).await?)
}

/// The shared state of an order status (`None` for a word Loopring does not document).
pub fn order_state(status: &str, filled: bool) -> Option<OrderState> {
    Some(match status {
        "waiting" | "processing" if filled => OrderState::PartiallyFilled,
        "waiting" | "processing" => OrderState::Open,
        "processed" => OrderState::Filled,
        "cancelling" => OrderState::PendingCancel,
        "cancelled" | "expired" => OrderState::Cancelled,
        "failed" => OrderState::Failed,
        _ => return None,
    })
}

/// The acknowledgement of `POST`/`DELETE /api/v3/order`.
pub fn ack_of(a: &OrderAnswer) -> OrderAck {
    OrderAck {
        venue_order_id: a.hash.clone(),
        status: a.status.clone(),
        state: order_state(&a.status, false),
        executed: None,
        fills: Vec::new(),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumesDoc {
    /// Base amount, token units.
    pub base_amount: String,
    pub base_filled: String,
}

/// An order as `GET /api/v3/order(s)` reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDoc {
    pub hash: String,
    pub client_order_id: String,
    pub side: String,
    pub market: String,
    pub price: Decimal,
    pub volumes: VolumesDoc,
    pub status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersDoc {
    pub orders: Vec<OrderDoc>,
}

pub fn side_of(s: &str) -> Result<Side, CexError> {
    match s.to_ascii_uppercase().as_str() {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        _ => Err(CexError::decode("side", format!("unknown side {s:?}"))),
    }
}

/// The acknowledgement of an order record, its base amounts read with `base`'s decimals.
pub fn order_ack(o: &OrderDoc, base: &Token) -> Result<OrderAck, CexError> {
    let filled = from_units("volumes.baseFilled", &o.volumes.base_filled, base.decimals)?;
    let state = order_state(&o.status, !filled.is_zero());
    Ok(OrderAck {
        venue_order_id: o.hash.clone(),
        status: o.status.clone(),
        state,
        executed: Some(filled),
        fills: Vec::new(),
    })
}

/// An unknown order, as the framework reads it.
pub fn not_found(what: &str) -> CexError {
    CexError::Api {
        status: 404,
        code: super::errors::code::ORDER_NOT_FOUND,
        msg: format!("no order {what}"),
        kind: ApiErrorKind::UnknownOrder,
    }
}

/// `GET /api/v3/order?orderHash=`.
pub async fn order_by_hash(
    rest: &RestClient,
    account_id: u32,
    hash: &str,
) -> Result<OrderDoc, CexError> {
    let req = private_get("/api/v3/order", account_id).param("orderHash", hash);
    decode("/api/v3/order", &rest.request(&req).await?)
}

/// `GET /api/v3/orders?market=&status=`: the account's latest orders of a market (newest first).
pub async fn orders(
    rest: &RestClient,
    account_id: u32,
    market: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<OrderDoc>, CexError> {
    let mut req = private_get("/api/v3/orders", account_id).param("limit", 50);
    if let Some(m) = market {
        req = req.param("market", m);
    }
    if let Some(s) = status {
        req = req.param("status", s);
    }
    let d: OrdersDoc = decode("/api/v3/orders", &rest.request(&req).await?)?;
    Ok(d.orders)
}

/// `DELETE /api/v3/order?accountId=&clientOrderId=` (signed).
pub async fn cancel(
    rest: &RestClient,
    account_id: u32,
    client_order_id: &str,
) -> Result<OrderAnswer, CexError> {
    let req = ApiRequest::new(Method::DELETE, "/api/v3/order")
        .param("accountId", account_id)
        .param("clientOrderId", client_order_id)
        .signed()
        .cost(limit::REST, 1);
    decode("/api/v3/order", &rest.request(&req).await?)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceDoc {
    pub token_id: u32,
    pub total: String,
    pub locked: String,
}

/// `GET /api/v3/user/balances`.
pub async fn balances(rest: &RestClient, account_id: u32) -> Result<Vec<BalanceDoc>, CexError> {
    let req = private_get("/api/v3/user/balances", account_id);
    decode("/api/v3/user/balances", &rest.request(&req).await?)
}

/// One trade of `GET /api/v3/user/trades`: the base volume in token units, the fee in units of
/// the token the order bought.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeDoc {
    pub trade_id: String,
    pub order_hash: String,
    pub market: String,
    pub side: String,
    pub price: Decimal,
    pub volume: String,
    pub fee: String,
    pub liquidity: String,
    pub created_at: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradesDoc {
    pub trades: Vec<TradeDoc>,
}

/// `GET /api/v3/user/trades?market=&orderHash=`.
pub async fn trades(
    rest: &RestClient,
    account_id: u32,
    market: &str,
    order_hash: &str,
) -> Result<Vec<TradeDoc>, CexError> {
    let req = private_get("/api/v3/user/trades", account_id)
        .param("market", market)
        .param("orderHash", order_hash)
        .param("limit", 50);
    let d: TradesDoc = decode("/api/v3/user/trades", &rest.request(&req).await?)?;
    Ok(d.trades)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_read_exactly_and_nonsense_refused() {
        assert_eq!(
            from_units("x", "1500000000000000000", 18).unwrap(),
            Decimal::new(15, 1)
        );
        assert_eq!(
            from_units("x", "3333334", 6).unwrap(),
            Decimal::new(3_333_334, 6)
        );
        for bad in ["-1", "1e18", "", "79228162514264337593543950336"] {
            assert!(from_units("x", bad, 18).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_map_with_the_filled_part() {
        assert_eq!(order_state("processing", false), Some(OrderState::Open));
        assert_eq!(
            order_state("processing", true),
            Some(OrderState::PartiallyFilled)
        );
        assert_eq!(order_state("processed", true), Some(OrderState::Filled));
        assert_eq!(order_state("cancelled", true), Some(OrderState::Cancelled));
        assert_eq!(order_state("lost", false), None);
    }

    #[test]
    fn refusals_become_typed_errors() {
        let e = decode::<StorageId>(
            "/api/v3/storageId",
            br#"{"resultInfo":{"code":104002,"message":"invalid api key"}}"#,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            CexError::Api {
                kind: ApiErrorKind::Authentication,
                ..
            }
        ));
    }
}
