//! The v5 REST endpoints of the linear category as the framework asks for them: markets
//! (`/v5/market/instruments-info`, every page), mark / index / funding (`/v5/market/tickers`),
//! `POST /v5/order/create` and `/v5/order/cancel` (each followed by `GET /v5/order/realtime`
//! for the order's state: their answers carry only ids), open orders, an order's executions,
//! positions, leverage / position mode / margin mode, the unified wallet and the funding
//! settlements of the transaction log.

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::{ApiRequest, RequestBody, RestClient};
use crate::cex::venue::{Market, Markets, OrderAck};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, FundingInfo, FundingPayment, LeverageSetting, MarginMode,
    MarketRules, Order, OrderRequest, OrderState, OrderType, Pair, PerpOrder, PositionMode,
    PositionSide, Side, TimeInForce,
};

use super::BybitPerpConfig;
use super::api::{
    ExecutionItem, Instrument, OrderIds, OrderItem, Page, Ticker, TransactionItem, WalletAccount,
    decode_result, limit,
};
use super::errors::code;

/// A public GET of the linear category.
fn public(path: &str) -> ApiRequest {
    ApiRequest::new(Method::GET, path)
        .param("category", "linear")
        .cost(limit::IP, 1)
        .cost(limit::MARKET, 1)
}

/// A signed request; a POST carries `body` as its JSON document.
fn private(method: Method, path: &str, counter: &'static str, body: Option<Value>) -> ApiRequest {
    let mut req = ApiRequest::new(method, path)
        .signed()
        .cost(limit::IP, 1)
        .cost(counter, 1);
    if let Some(b) = body {
        req = req.body(RequestBody::Json(b.to_string()));
    }
    req
}

/// The market of a trading linear perpetual (USDT- or USDC-settled contracts quoted in it).
pub fn market_of(cfg: &BybitPerpConfig, i: &Instrument) -> Option<Market> {
    if i.status != "Trading" || i.contract_type != "LinearPerpetual" {
        return None;
    }
    let (Ok(base), Ok(quote)) = (Asset::new(&i.base_coin), Asset::new(&i.quote_coin)) else {
        tracing::warn!(symbol = %i.symbol, "unreadable coin names; symbol skipped");
        return None;
    };
    let f = &i.lot_size_filter;
    Market::new(MarketRules {
        pair: Pair::new(base, quote),
        venue_symbol: i.symbol.clone(),
        tick_size: i.price_filter.tick_size,
        step_size: f.qty_step,
        min_size: f.min_order_qty,
        max_size: f.max_order_qty,
        min_notional: f.min_notional_value.unwrap_or_default(),
        maker_fee: cfg.maker_fee,
        taker_fee: cfg.taker_fee,
    })
}

/// Every page of the linear instruments (of one symbol, or all).
pub async fn load_markets(
    cfg: &BybitPerpConfig,
    rest: &RestClient,
    symbol: Option<&str>,
) -> Result<Vec<Market>, CexError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    // a cursor that never ends (a hostile answer) stops after this many pages
    for _ in 0..100 {
        let mut req = public("/v5/market/instruments-info").param("limit", 1000);
        if let Some(s) = symbol {
            req = req.param("symbol", s);
        }
        if let Some(c) = &cursor {
            req = req.param("cursor", c);
        }
        let page: Page<Instrument> = decode_result("instruments-info", &rest.request(&req).await?)?;
        out.extend(page.list.iter().filter_map(|i| market_of(cfg, i)));
        match page.next_page_cursor.filter(|c| !c.is_empty()) {
            Some(c) if symbol.is_none() => cursor = Some(c),
            _ => return Ok(out),
        }
    }
    Err(CexError::decode("instruments-info", "more than 100 pages"))
}

/// `GET /v5/market/tickers?symbol=`: mark, index, funding rate and next funding time.
pub async fn funding(rest: &RestClient, market: &Market) -> Result<FundingInfo, CexError> {
    let symbol = &market.rules.venue_symbol;
    let req = public("/v5/market/tickers").param("symbol", symbol);
    let page: Page<Ticker> = decode_result("tickers", &rest.request(&req).await?)?;
    let t = page
        .list
        .into_iter()
        .find(|t| &t.symbol == symbol)
        .ok_or_else(|| CexError::decode("tickers", format!("no ticker of {symbol}")))?;
    if t.mark_price <= Decimal::ZERO {
        return Err(CexError::decode(
            "tickers",
            format!("mark price {} is not positive", t.mark_price),
        ));
    }
    Ok(FundingInfo {
        pair: market.rules.pair.clone(),
        mark_price: t.mark_price,
        index_price: t.index_price.filter(|p| !p.is_zero()),
        funding_rate: t.funding_rate.unwrap_or_default(),
        next_funding_time_ms: t.next_funding_time,
    })
}

/// Bybit's `positionIdx`: 0 one-way, 1 the long side and 2 the short side of hedge mode.
pub fn position_idx(side: PositionSide) -> u8 {
    match side {
        PositionSide::Net => 0,
        PositionSide::Long => 1,
        PositionSide::Short => 2,
    }
}

/// The position side of a `positionIdx`.
pub fn position_side_of(idx: u8) -> Result<PositionSide, CexError> {
    match idx {
        0 => Ok(PositionSide::Net),
        1 => Ok(PositionSide::Long),
        2 => Ok(PositionSide::Short),
        other => Err(CexError::decode(
            "positionIdx",
            format!("unknown positionIdx {other}"),
        )),
    }
}

pub fn side_name(side: Side) -> &'static str {
    match side {
        Side::Buy => "Buy",
        Side::Sell => "Sell",
    }
}

pub fn side_of(name: &str) -> Result<Side, CexError> {
    match name {
        "Buy" => Ok(Side::Buy),
        "Sell" => Ok(Side::Sell),
        other => Err(CexError::decode("side", format!("unknown side {other:?}"))),
    }
}

/// The `POST /v5/order/create` document of `order` on `symbol`.
pub fn order_body(order: &PerpOrder, symbol: &str) -> Value {
    let o = &order.order;
    let mut m = Map::new();
    m.insert("category".into(), "linear".into());
    m.insert("symbol".into(), symbol.into());
    m.insert("side".into(), side_name(o.side).into());
    let (kind, tif) = match o.order_type {
        OrderType::Market => ("Market", None),
        OrderType::LimitMaker => ("Limit", Some("PostOnly")),
        _ => (
            "Limit",
            Some(match o.time_in_force {
                TimeInForce::Gtc => "GTC",
                TimeInForce::Ioc => "IOC",
                TimeInForce::Fok => "FOK",
            }),
        ),
    };
    m.insert("orderType".into(), kind.into());
    m.insert("qty".into(), o.amount.normalize().to_string().into());
    if let (Some(p), Some(_)) = (o.price, tif) {
        m.insert("price".into(), p.normalize().to_string().into());
    }
    if let Some(t) = tif {
        m.insert("timeInForce".into(), t.into());
    }
    m.insert("orderLinkId".into(), o.client_id.to_string().into());
    m.insert(
        "positionIdx".into(),
        position_idx(order.position_side).into(),
    );
    m.insert("reduceOnly".into(), order.reduce_only.into());
    Value::Object(m)
}

/// Bybit's order status on the shared state machine.
pub fn order_state(status: &str) -> Option<OrderState> {
    Some(match status {
        "Created" | "New" | "Untriggered" | "Triggered" => OrderState::Open,
        "PartiallyFilled" => OrderState::PartiallyFilled,
        "Filled" => OrderState::Filled,
        "Cancelled" | "PartiallyFilledCanceled" | "Deactivated" => OrderState::Cancelled,
        "Rejected" => OrderState::Failed,
        _ => return None,
    })
}

fn ack(o: OrderItem) -> OrderAck {
    OrderAck {
        venue_order_id: o.order_id,
        state: order_state(&o.order_status),
        status: o.order_status,
        executed: o.cum_exec_qty,
        fills: Vec::new(),
    }
}

/// `POST /v5/order/create`, then the order's state.
pub async fn submit(
    rest: &RestClient,
    order: &PerpOrder,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = order_body(order, &market.rules.venue_symbol);
    let req = private(Method::POST, "/v5/order/create", limit::CREATE, Some(body));
    let ids: OrderIds = decode_result("order/create", &rest.request(&req).await?)?;
    after_ack(rest, ids, &order.order.client_id, market, "New").await
}

/// The state of an order an answer acknowledged: asked at once; if that fails, the ack alone
/// (the order exists: its state comes with the next reconciliation).
async fn after_ack(
    rest: &RestClient,
    ids: OrderIds,
    id: &ClientOrderId,
    market: &Market,
    acked: &str,
) -> Result<OrderAck, CexError> {
    match query(rest, id, market).await {
        Ok(a) => Ok(a),
        Err(e) => {
            tracing::warn!(error = %e, order = %id, "order state after the ack not read; reconciling later");
            Ok(OrderAck {
                venue_order_id: ids.order_id,
                status: acked.to_string(),
                state: None,
                executed: None,
                fills: Vec::new(),
            })
        }
    }
}

/// `POST /v5/order/cancel` by `orderLinkId`, then the order's state.
pub async fn cancel(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let body = serde_json::json!({
        "category": "linear",
        "symbol": market.rules.venue_symbol,
        "orderLinkId": id.to_string(),
    });
    let req = private(Method::POST, "/v5/order/cancel", limit::CANCEL, Some(body));
    let ids: OrderIds = decode_result("order/cancel", &rest.request(&req).await?)?;
    after_ack(rest, ids, id, market, "Cancelled").await
}

fn realtime(symbol: Option<&str>) -> ApiRequest {
    let mut req = private(Method::GET, "/v5/order/realtime", limit::REALTIME, None)
        .param("category", "linear");
    req = match symbol {
        Some(s) => req.param("symbol", s),
        None => req.param("settleCoin", "USDT"),
    };
    req
}

/// `GET /v5/order/realtime?orderLinkId=` (open and recent orders); no such order is
/// `110001`, as Bybit's own "order does not exist".
pub async fn query(
    rest: &RestClient,
    id: &ClientOrderId,
    market: &Market,
) -> Result<OrderAck, CexError> {
    let req = realtime(Some(&market.rules.venue_symbol)).param("orderLinkId", id);
    let page: Page<OrderItem> = decode_result("order/realtime", &rest.request(&req).await?)?;
    let found = page
        .list
        .into_iter()
        .find(|o| o.order_link_id == id.as_str());
    match found {
        Some(o) => Ok(ack(o)),
        None => Err(CexError::Api {
            status: 200,
            code: code::ORDER_NOT_EXISTS,
            kind: ApiErrorKind::UnknownOrder,
            msg: format!("no order {id}"),
        }),
    }
}

/// Open orders (of one symbol, or every USDT contract), as shared orders.
pub async fn open_orders(
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
) -> Result<Vec<Order>, CexError> {
    let req = realtime(symbol).param("openOnly", 0).param("limit", 50);
    let page: Page<OrderItem> = decode_result("order/realtime", &rest.request(&req).await?)?;
    let mut out = Vec::new();
    for o in page.list {
        let Some(pair) = markets.pair_of(&o.symbol) else {
            continue;
        };
        let Some(state) = order_state(&o.order_status).filter(|s| s.is_live()) else {
            continue;
        };
        let Ok(client_id) = ClientOrderId::new(&o.order_link_id) else {
            continue;
        };
        let market_type = o.order_type == "Market";
        let mut order = Order::new(OrderRequest {
            client_id,
            pair: pair.clone(),
            side: side_of(&o.side)?,
            order_type: if market_type {
                OrderType::Market
            } else if o.time_in_force == "PostOnly" {
                OrderType::LimitMaker
            } else {
                OrderType::Limit
            },
            amount: o.qty,
            price: o.price.filter(|p| !p.is_zero()),
            time_in_force: match o.time_in_force.as_str() {
                "IOC" => TimeInForce::Ioc,
                "FOK" => TimeInForce::Fok,
                _ => TimeInForce::Gtc,
            },
            deadline: None,
        });
        order.venue_order_id = Some(o.order_id);
        order.filled = o.cum_exec_qty.unwrap_or_default();
        order.state = state;
        out.push(order);
    }
    Ok(out)
}

/// The trades of one order from `GET /v5/execution/list?orderId=` (funding and other
/// non-trade executions left out).
pub async fn order_trades(
    rest: &RestClient,
    id: &ClientOrderId,
    venue_order_id: &str,
    market: &Market,
) -> Result<Vec<Fill>, CexError> {
    let req = private(Method::GET, "/v5/execution/list", limit::EXECUTIONS, None)
        .param("category", "linear")
        .param("symbol", &market.rules.venue_symbol)
        .param("orderId", venue_order_id)
        .param("limit", 100);
    let page: Page<ExecutionItem> = decode_result("execution/list", &rest.request(&req).await?)?;
    page.list
        .iter()
        .filter(|e| e.order_id == venue_order_id && e.is_trade())
        .map(|e| e.to_fill(id, &market.rules.pair))
        .collect()
}

impl ExecutionItem {
    /// Whether it is a trade of an order (not funding, a delivery or a liquidation's).
    pub fn is_trade(&self) -> bool {
        self.exec_type.is_empty() || self.exec_type == "Trade"
    }

    /// The fill of our order `id`, keyed `<pair>:<execId>` whether REST or the private stream
    /// reported it, so that the tracker counts it once.
    pub fn to_fill(&self, id: &ClientOrderId, pair: &Pair) -> Result<Fill, CexError> {
        let fee_asset = if self.fee_currency.is_empty() {
            // linear contracts charge their fees in the settle coin, the quote
            pair.quote.clone()
        } else {
            Asset::new(&self.fee_currency)?
        };
        Ok(Fill {
            venue: String::new(),
            trade_id: format!("{pair}:{}", self.exec_id),
            client_id: Some(id.clone()),
            venue_order_id: Some(self.order_id.clone()),
            pair: pair.clone(),
            side: side_of(&self.side)?,
            price: self.exec_price,
            amount: self.exec_qty,
            fee_asset,
            fee_amount: self.exec_fee,
            is_maker: self.is_maker,
            timestamp_ms: self.exec_time,
        })
    }
}

/// `GET /v5/account/wallet-balance?accountType=UNIFIED`: available is the wallet less what
/// orders and positions hold.
pub async fn balances(rest: &RestClient) -> Result<Vec<Balance>, CexError> {
    let req = private(
        Method::GET,
        "/v5/account/wallet-balance",
        limit::WALLET,
        None,
    )
    .param("accountType", "UNIFIED");
    let page: Page<WalletAccount> = decode_result("wallet-balance", &rest.request(&req).await?)?;
    wallet_balances(&page.list)
}

/// The balances of wallet accounts (the REST answer's or the private stream's `wallet` topic's).
pub fn wallet_balances(accounts: &[WalletAccount]) -> Result<Vec<Balance>, CexError> {
    let mut out = Vec::new();
    for c in accounts.iter().flat_map(|a| &a.coin) {
        let held = c.locked.unwrap_or_default()
            + c.total_order_im.unwrap_or_default()
            + c.total_position_im.unwrap_or_default();
        out.push(Balance {
            asset: Asset::new(&c.coin)?,
            total: c.wallet_balance,
            available: (c.wallet_balance - held)
                .max(Decimal::ZERO)
                .min(c.wallet_balance),
        });
    }
    Ok(out)
}

/// `GET /v5/account/transaction-log?type=SETTLEMENT` since `since_ms`, oldest first.
pub async fn funding_payments(
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
    since_ms: u64,
) -> Result<Vec<FundingPayment>, CexError> {
    let mut req = private(
        Method::GET,
        "/v5/account/transaction-log",
        limit::TRANSACTIONS,
        None,
    )
    .param("accountType", "UNIFIED")
    .param("category", "linear")
    .param("type", "SETTLEMENT")
    .param("startTime", since_ms)
    .param("limit", 50);
    if let Some(s) = symbol {
        req = req.param("symbol", s);
    }
    let page: Page<TransactionItem> = decode_result("transaction-log", &rest.request(&req).await?)?;
    let mut out = Vec::new();
    for t in page
        .list
        .iter()
        .filter(|t| t.kind == "SETTLEMENT" && t.transaction_time >= since_ms)
    {
        let Some(pair) = markets.pair_of(&t.symbol) else {
            continue;
        };
        out.push(FundingPayment {
            pair: pair.clone(),
            amount: t.change,
            asset: Asset::new(&t.currency)?,
            time_ms: t.transaction_time,
            id: t.id.clone(),
            // a hedge-mode settlement names the side it settled: Buy the long, Sell the short
            position_side: match t.side.as_str() {
                "Buy" => PositionSide::Long,
                "Sell" => PositionSide::Short,
                _ => PositionSide::Net,
            },
        });
    }
    out.sort_by_key(|p| p.time_ms);
    Ok(out)
}

/// A "not modified" answer means the setting already holds.
fn already_set(r: Result<(), CexError>, not_modified: i64) -> Result<(), CexError> {
    match r {
        Err(CexError::Api { code, .. }) if code == not_modified => Ok(()),
        other => other,
    }
}

async fn post_setting(
    rest: &RestClient,
    path: &str,
    what: &str,
    body: Value,
) -> Result<(), CexError> {
    let req = private(Method::POST, path, limit::SETTINGS, Some(body));
    decode_result::<Value>(what, &rest.request(&req).await?).map(drop)
}

/// `POST /v5/position/set-leverage` (both sides alike).
pub async fn set_leverage(
    rest: &RestClient,
    market: &Market,
    leverage: u32,
) -> Result<LeverageSetting, CexError> {
    let n = leverage.to_string();
    let body = serde_json::json!({
        "category": "linear", "symbol": market.rules.venue_symbol,
        "buyLeverage": n, "sellLeverage": n,
    });
    already_set(
        post_setting(rest, "/v5/position/set-leverage", "set-leverage", body).await,
        code::LEVERAGE_NOT_MODIFIED,
    )?;
    Ok(LeverageSetting {
        pair: market.rules.pair.clone(),
        leverage,
        max_notional: None,
    })
}

/// `POST /v5/position/switch-mode` for USDT contracts: mode 0 one-way, 3 hedge.
pub async fn set_position_mode(rest: &RestClient, mode: PositionMode) -> Result<(), CexError> {
    let mode = match mode {
        PositionMode::OneWay => 0,
        PositionMode::Hedge => 3,
    };
    let body = serde_json::json!({"category": "linear", "coin": "USDT", "mode": mode});
    already_set(
        post_setting(rest, "/v5/position/switch-mode", "switch-mode", body).await,
        code::POSITION_MODE_NOT_MODIFIED,
    )
}

/// `POST /v5/account/set-margin-mode`: the unified account's mode, for every market at once
/// (`REGULAR_MARGIN` is cross margin, `ISOLATED_MARGIN` isolated).
pub async fn set_margin_mode(rest: &RestClient, mode: MarginMode) -> Result<(), CexError> {
    let name = match mode {
        MarginMode::Cross => "REGULAR_MARGIN",
        MarginMode::Isolated => "ISOLATED_MARGIN",
    };
    post_setting(
        rest,
        "/v5/account/set-margin-mode",
        "set-margin-mode",
        serde_json::json!({"setMarginMode": name}),
    )
    .await
}
