//! `POST /v3/orders`: the order document dYdX v3 takes — market, side, type, size, price,
//! `limitFee`, `expiration` (ISO 8601), `timeInForce` (GTT, IOC, FOK), `postOnly`, `reduceOnly`,
//! `clientId` — and its STARK signature (`starkex.rs`) over the same values, by the account's
//! position id, on the configured network.

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::sign::time::iso8601_millis;
use crate::cex::venue::{Market, OrderAck};
use crate::core::{OrderType, PerpOrder, PositionSide, Side, TimeInForce};

use super::api::{OrderEnvelope, decode, limit};
use super::rest::ack;
use super::stark::StarkKey;
use super::starkex::{OrderParams, OrderSide, StarkOrder};

/// What signing an order needs besides the order.
#[derive(Debug, Clone, Copy)]
pub struct OrderContext<'a> {
    pub network_id: u64,
    pub position_id: u64,
    /// The largest fee, as a fraction of the notional.
    pub limit_fee: Decimal,
    /// The expiry sent (Unix ms, whole seconds).
    pub expiration_ms: u64,
    pub key: &'a StarkKey,
}

/// The JSON document of `order`, signed.
pub fn order_body(
    order: &PerpOrder,
    market: &Market,
    cx: &OrderContext<'_>,
) -> Result<Value, CexError> {
    let o = &order.order;
    if order.position_side != PositionSide::Net {
        return Err(CexError::Invalid(format!(
            "{}: dYdX v3 keeps one net position per market: no {:?} position side (use reduce-only)",
            o.client_id, order.position_side
        )));
    }
    let price = o.price.ok_or_else(|| {
        CexError::Invalid(format!(
            "{}: dYdX v3 orders carry a price (a market order's worst price): give one",
            o.client_id
        ))
    })?;
    let (kind, tif, post_only) = match (o.order_type, o.time_in_force) {
        (OrderType::LimitMaker, _) => ("LIMIT", "GTT", true),
        (OrderType::Limit, TimeInForce::Gtc) => ("LIMIT", "GTT", false),
        (OrderType::Limit, TimeInForce::Ioc) => ("LIMIT", "IOC", false),
        (OrderType::Limit, TimeInForce::Fok) => ("LIMIT", "FOK", false),
        (OrderType::Market, TimeInForce::Fok) => ("MARKET", "FOK", false),
        (OrderType::Market, _) => ("MARKET", "IOC", false),
        (OrderType::Swap, _) => {
            return Err(CexError::Invalid(format!(
                "{}: dYdX v3 has no swaps",
                o.client_id
            )));
        }
    };
    let symbol = &market.rules.venue_symbol;
    let size = o.amount.normalize().to_string();
    let price = price.normalize().to_string();
    let limit_fee = cx.limit_fee.normalize().to_string();
    let stark = StarkOrder::new(&OrderParams {
        network_id: cx.network_id,
        market: symbol,
        side: match o.side {
            Side::Buy => OrderSide::Buy,
            Side::Sell => OrderSide::Sell,
        },
        position_id: cx.position_id,
        size: &size,
        price: &price,
        limit_fee: &limit_fee,
        client_id: o.client_id.as_str(),
        expiration_ms: cx.expiration_ms,
    })
    .map_err(|e| CexError::Invalid(format!("{}: {e}", o.client_id)))?;
    let signature = stark
        .sign(cx.key)
        .map_err(|e| CexError::Invalid(format!("{}: {e}", o.client_id)))?;
    Ok(json!({
        "market": symbol,
        "side": match o.side { Side::Buy => "BUY", Side::Sell => "SELL" },
        "type": kind,
        "timeInForce": tif,
        "postOnly": post_only,
        "size": size,
        "price": price,
        "limitFee": limit_fee,
        "expiration": iso8601_millis(cx.expiration_ms),
        "clientId": o.client_id.as_str(),
        "reduceOnly": order.reduce_only,
        "signature": signature.to_hex(),
    }))
}

/// `POST /v3/orders` with the signed document.
pub async fn submit(
    rest: &RestClient,
    order: &PerpOrder,
    market: &Market,
    cx: &OrderContext<'_>,
) -> Result<OrderAck, CexError> {
    let body = order_body(order, market, cx)?;
    let req = ApiRequest::new(Method::POST, "/v3/orders")
        .signed()
        .cost(limit::ORDERS, 1)
        .body(RequestBody::Json(body.to_string()));
    let o: OrderEnvelope = decode("order", &rest.request(&req).await?)?;
    Ok(ack(&o.order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::grid::Grid;
    use crate::clob::dydx_v3::stark::felt_from_hex;
    use crate::core::{ClientOrderId, MarketRules, OrderRequest};

    fn market() -> Market {
        Market {
            rules: MarketRules {
                pair: "ETH-USD".parse().unwrap(),
                venue_symbol: "ETH-USD".into(),
                tick_size: Decimal::new(1, 1),
                step_size: Decimal::new(1, 3),
                min_size: Decimal::new(1, 2),
                max_size: None,
                min_notional: Decimal::ZERO,
                maker_fee: Decimal::ZERO,
                taker_fee: Decimal::ZERO,
            },
            price: Grid::new(Decimal::new(1, 1)).unwrap(),
            size: Grid::new(Decimal::new(1, 3)).unwrap(),
        }
    }

    #[test]
    fn the_document_carries_a_signature_over_its_own_values() {
        let key =
            StarkKey::from_hex("0x58c7d5a90b1776bde86ebac077e053ed85b0f7164f53b080304a531947f46e3")
                .unwrap();
        let order = PerpOrder {
            order: OrderRequest {
                client_id: ClientOrderId::new("sluice-abc").unwrap(),
                pair: "ETH-USD".parse().unwrap(),
                side: Side::Buy,
                order_type: OrderType::LimitMaker,
                amount: Decimal::new(15, 1),
                price: Some(Decimal::new(20005, 1)),
                time_in_force: TimeInForce::Gtc,
                deadline: None,
            },
            position_side: crate::core::PositionSide::Net,
            reduce_only: true,
        };
        let cx = OrderContext {
            network_id: 1,
            position_id: 12345,
            limit_fee: Decimal::new(15, 4),
            expiration_ms: 1_700_000_000_000,
            key: &key,
        };
        let v = order_body(&order, &market(), &cx).unwrap();
        assert_eq!(v["type"], "LIMIT");
        assert_eq!(v["timeInForce"], "GTT");
        assert_eq!(v["postOnly"], true);
        assert_eq!(v["reduceOnly"], true);
        assert_eq!(v["size"], "1.5");
        assert_eq!(v["price"], "2000.5");
        assert_eq!(v["limitFee"], "0.0015");
        assert_eq!(v["expiration"], "2023-11-14T22:13:20.000Z");
        let sig = super::super::stark::StarkSignature::from_hex(v["signature"].as_str().unwrap())
            .unwrap();
        let hash = StarkOrder::new(&OrderParams {
            network_id: 1,
            market: "ETH-USD",
            side: OrderSide::Buy,
            position_id: 12345,
            size: "1.5",
            price: "2000.5",
            limit_fee: "0.0015",
            client_id: "sluice-abc",
            expiration_ms: 1_700_000_000_000,
        })
        .unwrap()
        .hash()
        .unwrap();
        assert!(sig.verify(&key.public_key(), &hash));
        assert!(!sig.verify(&felt_from_hex("0x1234").unwrap(), &hash));
        let mut no_price = order.clone();
        no_price.order.price = None;
        assert!(order_body(&no_price, &market(), &cx).is_err());
        let mut hedged = order.clone();
        hedged.position_side = crate::core::PositionSide::Long;
        let e = order_body(&hedged, &market(), &cx).unwrap_err().to_string();
        assert!(e.contains("one net position"), "{e}");
    }
}
