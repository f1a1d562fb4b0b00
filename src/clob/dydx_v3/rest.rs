//! dYdX v3's REST endpoints as the framework asks for them: markets (`GET /v3/markets`: tick and
//! step size, minimum order size, status, oracle and index price, next funding rate and time),
//! orders (`POST /v3/orders` in `order.rs`, `DELETE /v3/orders/:id`, `GET /v3/orders/client/:id`,
//! `GET /v3/orders`, `GET /v3/active-orders`), fills (`GET /v3/fills`), the account
//! (`GET /v3/accounts`, `GET /v3/accounts/:id`: equity, free collateral, open positions) and funding
//! payments (`GET /v3/funding`).

use reqwest::Method;
use rust_decimal::Decimal;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, FundingInfo, FundingPayment, MarginMode, MarketRules,
    Order, OrderRequest, OrderState, OrderType, Pair, Position, PositionSide, Side, TimeInForce,
};

use super::DydxV3Config;
use super::api::{
    AccountDoc, AccountEnvelope, AccountsDoc, CancelEnvelope, FillsDoc, FundingPaymentsDoc,
    MarketDoc, MarketsDoc, OrderDoc, OrderEnvelope, OrdersDoc, decode, iso_ms, limit,
};

/// The collateral every v3 account holds.
pub const COLLATERAL: &str = "USDC";

pub fn collateral() -> Asset {
    Asset::new(COLLATERAL).unwrap_or_else(|_| unreachable!("USDC is a valid asset symbol"))
}

/// A public GET.
pub fn public(path: &str) -> ApiRequest {
    ApiRequest::new(Method::GET, path).cost(limit::GET, 1)
}

/// A signed GET.
pub fn private_get(path: &str) -> ApiRequest {
    public(path).signed()
}

/// The market of an online perpetual; `None` for any other.
pub fn market_of(cfg: &DydxV3Config, m: &MarketDoc) -> Option<Market> {
    if m.status != "ONLINE" || (!m.kind.is_empty() && m.kind != "PERPETUAL") {
        return None;
    }
    let (Ok(base), Ok(quote)) = (Asset::new(&m.base_asset), Asset::new(&m.quote_asset)) else {
        tracing::warn!(market = %m.market, "unreadable asset names; market skipped");
        return None;
    };
    Market::new(MarketRules {
        pair: Pair::new(base, quote),
        venue_symbol: m.market.clone(),
        tick_size: m.tick_size,
        step_size: m.step_size,
        min_size: m.min_order_size,
        max_size: None,
        min_notional: Decimal::ZERO,
        maker_fee: cfg.maker_fee,
        taker_fee: cfg.taker_fee,
    })
}

/// `GET /v3/markets` (of one market, or all).
pub async fn market_docs(rest: &RestClient, market: Option<&str>) -> Result<MarketsDoc, CexError> {
    let mut req = public("/v3/markets");
    if let Some(m) = market {
        req = req.param("market", m);
    }
    decode("markets", &rest.request(&req).await?)
}

pub async fn load_markets(
    cfg: &DydxV3Config,
    rest: &RestClient,
    market: Option<&str>,
) -> Result<Vec<Market>, CexError> {
    let doc = market_docs(rest, market).await?;
    Ok(doc
        .markets
        .values()
        .filter(|m| market.is_none_or(|want| want == m.market))
        .filter_map(|m| market_of(cfg, m))
        .collect())
}

/// Oracle (mark) and index price, next funding rate and time of a market.
pub async fn funding(rest: &RestClient, market: &Market) -> Result<FundingInfo, CexError> {
    let symbol = &market.rules.venue_symbol;
    let doc = market_docs(rest, Some(symbol)).await?;
    let m = doc
        .markets
        .get(symbol)
        .ok_or_else(|| CexError::decode("markets", format!("no market {symbol}")))?;
    let mark = m
        .oracle_price
        .filter(|p| *p > Decimal::ZERO)
        .ok_or_else(|| CexError::decode("markets", format!("{symbol}: no positive oraclePrice")))?;
    let next = match m.next_funding_at.as_deref() {
        Some(t) => iso_ms("nextFundingAt", t)?,
        None => 0,
    };
    Ok(FundingInfo {
        pair: market.rules.pair.clone(),
        mark_price: mark,
        index_price: m.index_price.filter(|p| !p.is_zero()),
        funding_rate: m.next_funding_rate.unwrap_or_default(),
        next_funding_time_ms: next,
    })
}

/// The shared state of a v3 status word.
pub fn order_state(status: &str, filled: bool) -> Option<OrderState> {
    Some(match status {
        "PENDING" | "OPEN" | "UNTRIGGERED" if filled => OrderState::PartiallyFilled,
        "PENDING" | "OPEN" | "UNTRIGGERED" => OrderState::Open,
        "FILLED" => OrderState::Filled,
        "CANCELED" => OrderState::Cancelled,
        _ => return None,
    })
}

pub fn side_of(s: &str) -> Result<Side, CexError> {
    match s {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(CexError::decode("side", format!("unknown side {other:?}"))),
    }
}

pub fn ack(o: &OrderDoc) -> OrderAck {
    let executed = (o.size - o.remaining_size).max(Decimal::ZERO);
    OrderAck {
        venue_order_id: o.id.clone(),
        state: order_state(&o.status, !executed.is_zero()),
        status: match &o.cancel_reason {
            Some(r) if !r.is_empty() => format!("{} ({r})", o.status),
            _ => o.status.clone(),
        },
        executed: Some(executed),
        fills: Vec::new(),
    }
}

fn not_found(id: &ClientOrderId) -> CexError {
    CexError::Api {
        status: 404,
        code: 0,
        msg: format!("no order with client id {id}"),
        kind: ApiErrorKind::UnknownOrder,
    }
}

/// `GET /v3/orders/client/:id`.
pub async fn order_by_client_id(
    rest: &RestClient,
    id: &ClientOrderId,
) -> Result<OrderDoc, CexError> {
    let req = private_get(&format!("/v3/orders/client/{id}"));
    let o: OrderEnvelope = decode("order", &rest.request(&req).await?)?;
    if o.order.client_id.as_deref() != Some(id.as_str()) {
        return Err(not_found(id));
    }
    Ok(o.order)
}

pub async fn query(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let o = order_by_client_id(rest, id).await?;
    if o.market != market.rules.venue_symbol {
        return Err(not_found(id));
    }
    Ok(ack(&o))
}

/// `DELETE /v3/orders/:id` of the order of client id `id`.
pub async fn cancel(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let o = order_by_client_id(rest, id).await?;
    if o.market != market.rules.venue_symbol {
        return Err(not_found(id));
    }
    let req = ApiRequest::new(Method::DELETE, &format!("/v3/orders/{}", o.id))
        .signed()
        .cost(limit::CANCEL, 1);
    let c: CancelEnvelope = decode("cancelOrder", &rest.request(&req).await?)?;
    Ok(ack(&c.cancel_order))
}

/// The shared order of an API order (`None` when its market or client id is not ours to read).
fn shared_order(markets: &Markets, o: &OrderDoc) -> Result<Option<Order>, CexError> {
    let Some(pair) = markets.pair_of(&o.market) else {
        return Ok(None);
    };
    let Some(Ok(client_id)) = o.client_id.as_deref().map(ClientOrderId::new) else {
        return Ok(None);
    };
    let filled = (o.size - o.remaining_size).max(Decimal::ZERO);
    let Some(state) = order_state(&o.status, !filled.is_zero()) else {
        return Ok(None);
    };
    let mut order = Order::new(OrderRequest {
        client_id,
        pair: pair.clone(),
        side: side_of(&o.side)?,
        order_type: if o.kind == "MARKET" {
            OrderType::Market
        } else {
            OrderType::Limit
        },
        amount: o.size,
        price: Some(o.price).filter(|p| !p.is_zero()),
        time_in_force: match o.time_in_force.as_str() {
            "IOC" => TimeInForce::Ioc,
            "FOK" => TimeInForce::Fok,
            _ => TimeInForce::Gtc,
        },
        deadline: None,
    });
    order.venue_order_id = Some(o.id.clone());
    order.filled = filled;
    order.state = state;
    Ok(Some(order))
}

/// Open orders (`GET /v3/orders?status=OPEN`, of one market or all), as shared orders.
pub async fn open_orders(
    rest: &RestClient,
    markets: &Markets,
    market: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let mut req = private_get("/v3/orders")
        .param("status", "OPEN")
        .param("limit", 100);
    if let Some(m) = market {
        req = req.param("market", m);
    }
    let doc: OrdersDoc = decode("orders", &rest.request(&req).await?)?;
    let mut out = Vec::new();
    for o in &doc.orders {
        if let Some(order) = shared_order(markets, o)?
            && order.state.is_live()
        {
            out.push(order);
        }
    }
    Ok(out)
}

/// `GET /v3/active-orders?market=`: the ids of the account's resting orders of a market.
pub async fn active_order_ids(rest: &RestClient, market: &str) -> Result<Vec<String>, CexError> {
    let req = private_get("/v3/active-orders").param("market", market);
    #[derive(serde::Deserialize)]
    struct Active {
        id: String,
    }
    #[derive(serde::Deserialize)]
    struct Doc {
        orders: Vec<Active>,
    }
    let d: Doc = decode("active-orders", &rest.request(&req).await?)?;
    Ok(d.orders.into_iter().map(|o| o.id).collect())
}

/// `GET /v3/fills?orderId=`: the trades of one order.
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let req = private_get("/v3/fills")
        .param("market", &market.rules.venue_symbol)
        .param("orderId", venue_order_id)
        .param("limit", 100);
    let doc: FillsDoc = decode("fills", &rest.request(&req).await?)?;
    let mut out = Vec::new();
    for f in doc.fills {
        if f.order_id != venue_order_id {
            continue;
        }
        out.push(Fill {
            venue: String::new(),
            trade_id: f.id,
            client_id: Some(id.clone()),
            venue_order_id: Some(f.order_id),
            pair: market.rules.pair.clone(),
            side: side_of(&f.side)?,
            price: f.price,
            amount: f.size,
            fee_asset: collateral(),
            fee_amount: f.fee,
            is_maker: f.liquidity == "MAKER",
            timestamp_ms: iso_ms("fill createdAt", &f.created_at)?,
        });
    }
    out.sort_by_key(|f| f.timestamp_ms);
    Ok(out)
}

/// The account of account number 0 (`GET /v3/accounts`).
pub async fn first_account(rest: &RestClient) -> Result<AccountDoc, CexError> {
    let doc: AccountsDoc = decode(
        "accounts",
        &rest.request(&private_get("/v3/accounts")).await?,
    )?;
    let mut accounts = doc.accounts;
    let at = accounts
        .iter()
        .position(|a| a.account_number == "0")
        .unwrap_or(0);
    if accounts.is_empty() {
        return Err(CexError::decode("accounts", "the API key has no account"));
    }
    Ok(accounts.swap_remove(at))
}

/// `GET /v3/accounts/:id`.
pub async fn account(rest: &RestClient, id: &str) -> Result<AccountDoc, CexError> {
    let req = private_get(&format!("/v3/accounts/{id}"));
    let a: AccountEnvelope = decode("account", &rest.request(&req).await?)?;
    Ok(a.account)
}

/// The USDC collateral: equity in total, free collateral available.
pub fn balances_of(a: &AccountDoc) -> Vec<Balance> {
    vec![Balance::new(
        collateral(),
        a.equity,
        a.free_collateral.min(a.equity).max(Decimal::ZERO),
    )]
}

/// The open positions of an account (of one market, or all) as shared positions: cross margin,
/// the account's equity standing behind each.
pub fn positions_of(a: &AccountDoc, markets: &Markets, market: Option<&str>) -> Vec<Position> {
    let mut out = Vec::new();
    for p in a.open_positions.values() {
        if p.status != "OPEN" || p.size.is_zero() || market.is_some_and(|m| m != p.market) {
            continue;
        }
        let Some(pair) = markets.pair_of(&p.market) else {
            continue;
        };
        let entry_notional = p.entry_price * p.size.abs();
        let unrealized = p.unrealized_pnl.unwrap_or_default();
        // a long gains with the mark, a short loses
        let mark_notional = if p.size.is_sign_negative() {
            entry_notional - unrealized
        } else {
            entry_notional + unrealized
        };
        out.push(Position {
            pair: pair.clone(),
            size: p.size,
            entry_notional,
            entry_price: Some(p.entry_price),
            mark_notional: Some(mark_notional),
            margin: a.equity,
            margin_asset: collateral(),
            unrealized_pnl: unrealized,
            margin_ratio: None,
            liquidation_price: None,
            funding_paid: p.net_funding.map(|f| -f),
            position_side: PositionSide::Net,
            mark_price: (!p.size.is_zero()).then(|| mark_notional / p.size.abs()),
            leverage: None,
            margin_mode: Some(MarginMode::Cross),
        });
    }
    out.sort_by(|a, b| a.pair.cmp(&b.pair));
    out
}

/// `GET /v3/funding` since `since_ms` (of one market, or all), oldest first; a payment's id is
/// its market and time (the API gives none).
pub async fn funding_payments(
    rest: &RestClient,
    markets: &Markets,
    market: Option<&str>,
    since_ms: u64,
) -> Result<Vec<FundingPayment>, CexError> {
    let mut req = private_get("/v3/funding").param("limit", 100);
    if let Some(m) = market {
        req = req.param("market", m);
    }
    let doc: FundingPaymentsDoc = decode("funding", &rest.request(&req).await?)?;
    let mut out = Vec::new();
    for f in doc.funding_payments {
        let Some(pair) = markets.pair_of(&f.market) else {
            continue;
        };
        let time_ms = iso_ms("effectiveAt", &f.effective_at)?;
        if time_ms < since_ms {
            continue;
        }
        out.push(FundingPayment {
            pair: pair.clone(),
            amount: f.payment,
            asset: collateral(),
            time_ms,
            id: format!("{}@{}", f.market, f.effective_at),
            position_side: PositionSide::Net,
        });
    }
    out.sort_by_key(|p| p.time_ms);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_with_the_filled_part() {
        assert_eq!(order_state("OPEN", false), Some(OrderState::Open));
        assert_eq!(
            order_state("PENDING", true),
            Some(OrderState::PartiallyFilled)
        );
        assert_eq!(order_state("FILLED", true), Some(OrderState::Filled));
        assert_eq!(order_state("CANCELED", true), Some(OrderState::Cancelled));
        assert_eq!(order_state("LOST", false), None);
    }

    #[test]
    fn only_online_perpetuals_are_markets() {
        let cfg = DydxV3Config::default();
        let doc: MarketsDoc = serde_json::from_str(
            r#"{"markets":{"BTC-USD":{"market":"BTC-USD","status":"ONLINE","baseAsset":"BTC","quoteAsset":"USD","stepSize":"0.0001","tickSize":"1","minOrderSize":"0.001","indexPrice":"30000.5","oraclePrice":"30001","nextFundingRate":"0.0000125","nextFundingAt":"2021-01-28T16:00:00.000Z","type":"PERPETUAL"},
            "ETH-USD":{"market":"ETH-USD","status":"OFFLINE","baseAsset":"ETH","quoteAsset":"USD","stepSize":"0.001","tickSize":"0.1","minOrderSize":"0.01","type":"PERPETUAL"}}}"#,
        )
        .unwrap();
        let m: Vec<_> = doc
            .markets
            .values()
            .filter_map(|m| market_of(&cfg, m))
            .collect();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].rules.venue_symbol, "BTC-USD");
        assert_eq!(m[0].rules.pair.to_string(), "BTC-USD");
        assert_eq!(m[0].rules.min_size, Decimal::new(1, 3));
    }
}
