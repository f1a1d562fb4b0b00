//! Kraken's REST endpoints as the framework asks for them: markets from `AssetPairs`, orders by
//! `cl_ord_id` (`AddOrder`, `CancelOrder`, found with `OpenOrders` / `ClosedOrders`), trades of
//! an order (`QueryOrders` with `trades`, then `QueryTrades`), balances (`BalanceEx`) and the
//! WebSocket token (`GetWebSocketsToken`). Private calls are POSTs with a form body that the
//! signer prefixes with `nonce=…`; they go out one at a time ([`Private`]), so nonces reach Kraken
//! in the order they were drawn, and a call refused with `EAPI:Invalid nonce` (never executed) is
//! signed again once.

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::Method;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::cex::book::OrderBook;
use crate::cex::grid::GridError;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, Order, OrderRequest, OrderState, OrderType, Side,
    TimeInForce,
};

use super::api::{
    AssetPair, BalanceEx, CANCEL_COST, PRIVATE, PUBLIC, TRADING, asset_name, decode_result,
};
pub use super::api::{OrderDescr, OrderInfo, TradeInfo, order_state, time_ms};
use super::errors;
use super::sign::MonotonicNonce;

/// Serializes private calls (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct Private {
    pub one_at_a_time: Arc<tokio::sync::Mutex<()>>,
    /// The signer's nonces, to skip ahead after `EAPI:Invalid nonce` (when the connector built
    /// the signer).
    pub nonce: Option<Arc<MonotonicNonce>>,
}

/// How many times a call refused for its nonce is signed again (each time further ahead).
const NONCE_RETRIES: u32 = 3;

impl Private {
    /// `POST /0/private/<method>` with `params`, costing `costs`, decoded as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        rest: &RestClient,
        method: &str,
        params: &[(&str, String)],
        costs: &[(&'static str, u32)],
    ) -> Result<T, CexError> {
        let mut req = ApiRequest::new(Method::POST, &format!("/0/private/{method}"))
            .body(RequestBody::form(params))
            .signed();
        req.costs = costs.to_vec();
        let _turn = self.one_at_a_time.lock().await;
        let mut retries = 0;
        loop {
            let body = rest.request(&req).await?;
            match decode_result(method, &body) {
                Err(CexError::Api {
                    kind: ApiErrorKind::Timestamp,
                    ..
                }) if retries < NONCE_RETRIES => {
                    retries += 1;
                    let ahead = 1000u64 << retries;
                    if let Some(n) = &self.nonce {
                        n.skip(ahead);
                    }
                    tracing::warn!(%method, ahead_ms = ahead, "Kraken refused the nonce; signing again further ahead");
                }
                other => return other,
            }
        }
    }
}

/// `GET /0/public/<method>`.
pub async fn public<T: DeserializeOwned>(
    rest: &RestClient,
    method: &str,
    params: &[(&str, &str)],
) -> Result<T, CexError> {
    let mut req = ApiRequest::new(Method::GET, &format!("/0/public/{method}")).cost(PUBLIC, 1);
    for (k, v) in params {
        req = req.param(k, v);
    }
    let body = rest.request(&req).await?;
    decode_result(method, &body)
}

/// A market with the precisions Kraken writes its prices and sizes with (`pair_decimals`,
/// `lot_decimals`: the book checksum's).
pub type MarketInfo = (Market, (u32, u32));

fn market_info(p: &AssetPair, default_fee: Decimal) -> Option<MarketInfo> {
    Some((
        Market::new(p.rules(default_fee)?)?,
        (p.pair_decimals, p.lot_decimals),
    ))
}

/// Every tradable market (`AssetPairs`).
pub async fn load_markets(
    rest: &RestClient,
    default_fee: Decimal,
) -> Result<Vec<MarketInfo>, CexError> {
    let pairs: BTreeMap<String, AssetPair> = public(rest, "AssetPairs", &[]).await?;
    Ok(pairs
        .values()
        .filter_map(|p| market_info(p, default_fee))
        .collect())
}

/// One pair's market now; an unknown pair (`EQuery:Unknown asset pair`) is `None`.
pub async fn load_market(
    rest: &RestClient,
    symbol: &str,
    default_fee: Decimal,
) -> Result<Option<MarketInfo>, CexError> {
    let pairs: BTreeMap<String, AssetPair> =
        match public(rest, "AssetPairs", &[("pair", symbol)]).await {
            Ok(p) => p,
            Err(CexError::Api {
                kind: ApiErrorKind::UnknownSymbol,
                ..
            }) => return Ok(None),
            Err(e) => return Err(e),
        };
    Ok(pairs
        .values()
        .find(|p| p.altname == symbol)
        .and_then(|p| market_info(p, default_fee)))
}

/// A one-off book from `GET /0/public/Depth` (`count` levels a side).
pub async fn depth_snapshot(
    rest: &RestClient,
    market: &Market,
    count: usize,
) -> Result<OrderBook, CexError> {
    #[derive(Deserialize)]
    struct Side {
        bids: Vec<(String, String, IgnoredAny)>,
        asks: Vec<(String, String, IgnoredAny)>,
    }
    let count = count.to_string();
    let books: BTreeMap<String, Side> = public(
        rest,
        "Depth",
        &[("pair", &market.rules.venue_symbol), ("count", &count)],
    )
    .await?;
    let side = books
        .into_values()
        .next()
        .ok_or_else(|| CexError::decode("Depth", "no book in the answer"))?;
    let mut book = OrderBook::new(market.price, market.size);
    let level = |(p, q, _): &(String, String, IgnoredAny)| -> Result<(u64, u64), CexError> {
        let bad = |e: GridError| CexError::decode("Depth", e);
        Ok((
            market.price.parse(p.as_bytes()).map_err(bad)?,
            market.size.parse(q.as_bytes()).map_err(bad)?,
        ))
    };
    for l in &side.bids {
        let (t, q) = level(l)?;
        book.bids.set(t, q);
    }
    for l in &side.asks {
        let (t, q) = level(l)?;
        book.asks.set(t, q);
    }
    Ok(book)
}

/// The `AddOrder` parameters of `order` on pair `symbol` (`altname`), in the order they are sent.
pub fn add_order_params(order: &OrderRequest, symbol: &str) -> Vec<(&'static str, String)> {
    let side = match order.side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    let mut p = vec![
        (
            "ordertype",
            if order.order_type == OrderType::Market {
                "market"
            } else {
                "limit"
            }
            .to_string(),
        ),
        ("type", side.to_string()),
        ("volume", order.amount.normalize().to_string()),
        ("pair", symbol.to_string()),
    ];
    if order.order_type != OrderType::Market
        && let Some(price) = order.price
    {
        p.push(("price", price.normalize().to_string()));
    }
    match order.order_type {
        OrderType::LimitMaker => p.push(("oflags", "post".to_string())),
        OrderType::Limit => p.push((
            "timeinforce",
            match order.time_in_force {
                TimeInForce::Gtc => "GTC",
                // Kraken has no FOK on spot: an IOC fills what it can, never more.
                TimeInForce::Ioc | TimeInForce::Fok => "IOC",
            }
            .to_string(),
        )),
        _ => {}
    }
    p.push(("cl_ord_id", order.client_id.to_string()));
    p
}

/// `AddOrder`: accepted orders are open until the stream or a poll says more.
pub async fn submit(
    private: &Private,
    rest: &RestClient,
    order: &OrderRequest,
    market: &Market,
) -> Result<OrderAck, CexError> {
    if order.time_in_force == TimeInForce::Fok && order.order_type == OrderType::Limit {
        return Err(CexError::Invalid(
            "Kraken spot has no fill-or-kill orders".into(),
        ));
    }
    #[derive(Deserialize)]
    struct Added {
        txid: Vec<String>,
    }
    let params = add_order_params(order, &market.rules.venue_symbol);
    let added: Added = private
        .call(rest, "AddOrder", &params, &[(TRADING, 1)])
        .await?;
    let txid = added
        .txid
        .into_iter()
        .next()
        .ok_or_else(|| CexError::decode("AddOrder", "no txid in the answer"))?;
    Ok(OrderAck {
        venue_order_id: txid,
        status: "pending".into(),
        state: Some(OrderState::Open),
        executed: None,
        fills: Vec::new(),
    })
}

/// The order of client id `id`: among open orders, else closed ones; `EOrder:Unknown order` if
/// Kraken has neither.
async fn find(
    private: &Private,
    rest: &RestClient,
    id: &ClientOrderId,
) -> Result<(String, OrderInfo), CexError> {
    #[derive(Deserialize)]
    struct Open {
        open: BTreeMap<String, OrderInfo>,
    }
    #[derive(Deserialize)]
    struct Closed {
        closed: BTreeMap<String, OrderInfo>,
    }
    let by_id = [("cl_ord_id", id.to_string())];
    let open: Open = private
        .call(rest, "OpenOrders", &by_id, &[(PRIVATE, 1)])
        .await?;
    if let Some(o) = open.open.into_iter().next() {
        return Ok(o);
    }
    let closed: Closed = private
        .call(rest, "ClosedOrders", &by_id, &[(PRIVATE, 1)])
        .await?;
    closed.closed.into_iter().next().ok_or_else(|| {
        let msg = "EOrder:Unknown order";
        CexError::Api {
            status: 200,
            code: errors::code(msg),
            msg: msg.into(),
            kind: ApiErrorKind::UnknownOrder,
        }
    })
}

/// The order of client id `id`.
pub async fn query(
    private: &Private,
    rest: &RestClient,
    id: &ClientOrderId,
) -> Result<OrderAck, CexError> {
    let (txid, info) = find(private, rest, id).await?;
    Ok(info.ack(&txid))
}

/// Cancels the order of client id `id` (`CancelOrder` by its txid); an order already closed is
/// answered with its final state.
pub async fn cancel(
    private: &Private,
    rest: &RestClient,
    id: &ClientOrderId,
) -> Result<OrderAck, CexError> {
    let (txid, info) = find(private, rest, id).await?;
    if !matches!(info.status.as_str(), "open" | "pending") {
        return Ok(info.ack(&txid));
    }
    #[derive(Deserialize)]
    struct Cancelled {
        count: u64,
    }
    let c: Cancelled = private
        .call(
            rest,
            "CancelOrder",
            &[("txid", txid.clone())],
            &[(TRADING, CANCEL_COST)],
        )
        .await?;
    if c.count == 0 {
        return Err(CexError::decode("CancelOrder", "no order cancelled"));
    }
    Ok(OrderAck {
        venue_order_id: txid,
        status: "canceled".into(),
        state: Some(OrderState::Cancelled),
        executed: Some(info.vol_exec),
        fills: Vec::new(),
    })
}

/// Open orders placed with a `cl_ord_id` (of one pair, or all), as shared orders.
pub async fn open_orders(
    private: &Private,
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    #[derive(Deserialize)]
    struct Open {
        open: BTreeMap<String, OrderInfo>,
    }
    let open: Open = private
        .call(rest, "OpenOrders", &[], &[(PRIVATE, 1)])
        .await?;
    let mut orders = Vec::new();
    for (txid, o) in open.open {
        if symbol.is_some_and(|s| s != o.descr.pair) || o.cl_ord_id.is_none() {
            continue;
        }
        let Some(pair) = markets.pair_of(&o.descr.pair) else {
            continue;
        };
        let mut order = Order::new(o.to_request(pair)?);
        order.venue_order_id = Some(txid);
        order.filled = o.vol_exec;
        if let Some(state) = order_state(&o.status, o.vol, o.vol_exec) {
            order.state = state;
        }
        orders.push(order);
    }
    Ok(orders)
}

/// The fills of one order: its trade ids (`QueryOrders` with `trades`), then the trades.
pub async fn order_trades(
    private: &Private,
    rest: &RestClient,
    id: &ClientOrderId,
    txid: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let orders: BTreeMap<String, OrderInfo> = private
        .call(
            rest,
            "QueryOrders",
            &[("txid", txid.to_string()), ("trades", "true".into())],
            &[(PRIVATE, 1)],
        )
        .await?;
    let ids: Vec<String> = orders.into_values().flat_map(|o| o.trades).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let trades: BTreeMap<String, TradeInfo> = private
        .call(
            rest,
            "QueryTrades",
            &[("txid", ids.join(","))],
            &[(PRIVATE, 2)],
        )
        .await?;
    trades
        .iter()
        .filter(|(_, t)| t.ordertxid == txid)
        .map(|(tid, t)| t.to_fill(tid, id, &market.rules.pair))
        .collect()
}

/// `BalanceEx`: total and available (total less what open orders hold) per asset; staking and
/// earn sub-accounts (`XBT.F`, `DOT.S`) are left out.
pub async fn balances(private: &Private, rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let all: BTreeMap<String, BalanceEx> = private
        .call(rest, "BalanceEx", &[], &[(PRIVATE, 1)])
        .await?;
    let mut out = Vec::with_capacity(all.len());
    for (code, b) in all {
        if code.contains('.') {
            continue;
        }
        let available = b.balance.checked_sub(b.hold_trade).ok_or_else(|| {
            CexError::decode("BalanceEx", format!("{code}: balance less hold overflows"))
        })?;
        out.push(Balance::new(
            Asset::new(asset_name(&code))?,
            b.balance,
            available,
        ));
    }
    Ok(out)
}

/// A token for the private WebSocket (`GetWebSocketsToken`).
pub async fn ws_token(private: &Private, rest: &RestClient) -> Result<String, CexError> {
    #[derive(Deserialize)]
    struct Token {
        token: String,
    }
    let t: Token = private
        .call(rest, "GetWebSocketsToken", &[], &[(PRIVATE, 1)])
        .await?;
    Ok(t.token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn add_order_parameters() {
        let order = OrderRequest {
            client_id: ClientOrderId::new("sluice-7").unwrap(),
            pair: "BTC-USD".parse().unwrap(),
            side: Side::Buy,
            order_type: OrderType::LimitMaker,
            amount: dec!(1.250),
            price: Some(dec!(37500.0)),
            time_in_force: TimeInForce::Gtc,
            deadline: None,
        };
        let body = crate::cex::sign::encode_pairs(&add_order_params(&order, "XBTUSD"));
        assert_eq!(
            body,
            "ordertype=limit&type=buy&volume=1.25&pair=XBTUSD&price=37500&oflags=post&cl_ord_id=sluice-7"
        );
        let market = OrderRequest {
            order_type: OrderType::Market,
            side: Side::Sell,
            ..order
        };
        let body = crate::cex::sign::encode_pairs(&add_order_params(&market, "XBTUSD"));
        assert_eq!(
            body,
            "ordertype=market&type=sell&volume=1.25&pair=XBTUSD&cl_ord_id=sluice-7"
        );
    }
}
