//! The futures private stream: a listenKey from `POST /fapi/v1/listenKey` (weight 1), kept alive
//! by `PUT`, closed by `DELETE`, the stream at `<user_ws_url>/ws?listenKey=<key>`; expiry
//! (`listenKeyExpired`, or a keepalive answered -1125) asks for a new key and reconnects, and the
//! framework reconciles orders and funding after every reconnect. Spot's listenKey driver does
//! all of that ([`listen_key`] with the futures' [`LISTEN_KEY_API`]).
//!
//! Frames, as the framework's events:
//! - `ORDER_TRADE_UPDATE`: its `o` object carries the letters of spot's `executionReport` (`s c S
//!   x X i l z L n N T t m`), so it is read as one: order state and, on `TRADE`, the fill with its
//!   fee and the same trade id as `GET /fapi/v1/userTrades` (the tracker counts it once);
//! - `ACCOUNT_UPDATE`: balances (`B`: wallet `wb`), positions (`P`) as position events, and for the
//!   reason (`m`) `FUNDING_FEE` the funding settled at `T`, read back with its `tranId`;
//! - `MARGIN_CALL`: logged, and each position at risk published as a position event;
//! - `listenKeyExpired`: handled by the driver; anything else is ignored.

use std::fmt;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::sync::watch;

use crate::cex::error::CexError;
use crate::cex::exchanges::binance::api::{ExecutionReport, order_state};
use crate::cex::exchanges::binance::listen_key::{self, ListenKeyApi, ListenKeySettings};
use crate::cex::http::RestClient;
use crate::cex::venue::{AccountUpdate, Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{Asset, Balance, ClientOrderId, MarginMode, Pair, Position, VenueEvent};
use crate::venue::{VenueError, VenueId};

use super::BinancePerpConfig;
use super::api::position_side_of;

/// The futures' listenKey endpoints.
pub const LISTEN_KEY_API: ListenKeyApi = ListenKeyApi {
    path: "/fapi/v1/listenKey",
    weight: 1,
    key_in_query: true,
};

/// The private-stream mechanism: the listenKey stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenKeyStream;

impl fmt::Display for ListenKeyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("listenKey stream")
    }
}

/// How long `open` waits for the socket before returning (it keeps trying in the background).
pub const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// Asks for the first key (its error is the caller's), then starts the driver and waits for the
/// socket, so that events after `open` returns reach the consumer.
pub async fn open(
    cfg: &BinancePerpConfig,
    id: &VenueId,
    rest: &RestClient,
) -> Result<UserStream<ListenKeyStream>, VenueError> {
    let key = listen_key::create_key_at(rest, &LISTEN_KEY_API).await?;
    let (stop, stop_rx) = watch::channel(false);
    let settings = ListenKeySettings {
        name: format!("{} user stream", cfg.name),
        ws_url: cfg.user_ws_url.trim_end_matches('/').to_string(),
        keepalive: cfg.listen_key_keepalive,
        api: LISTEN_KEY_API,
    };
    let (driver, mut rx) = listen_key::spawn(rest.clone(), settings, key, stop_rx);
    let first = tokio::time::timeout(CONNECT_WAIT, rx.recv())
        .await
        .ok()
        .flatten();
    if first.is_none() {
        tracing::warn!(venue = %id, "user stream not connected yet; retrying in the background");
    }
    Ok(UserStream {
        mechanism: ListenKeyStream,
        keep: Box::new(driver),
        first,
        events: rx,
        stop: Some(stop),
    })
}

#[derive(Deserialize)]
struct Frame {
    #[serde(default)]
    e: String,
    #[serde(rename = "T", default)]
    transaction_time: u64,
    #[serde(default)]
    o: Option<ExecutionReport>,
    #[serde(default)]
    a: Option<AccountData>,
    /// `MARGIN_CALL`: the cross wallet balance and the positions at risk.
    #[serde(default)]
    cw: Option<Decimal>,
    #[serde(default)]
    p: Vec<MarginCallPosition>,
}

#[derive(Deserialize)]
struct AccountData {
    #[serde(rename = "m", default)]
    reason: String,
    #[serde(rename = "B", default)]
    balances: Vec<WalletBalance>,
    #[serde(rename = "P", default)]
    positions: Vec<StreamPosition>,
}

#[derive(Deserialize)]
struct WalletBalance {
    #[serde(rename = "a")]
    asset: String,
    #[serde(rename = "wb")]
    wallet: Decimal,
    #[serde(rename = "cw", default)]
    cross_wallet: Option<Decimal>,
}

#[derive(Deserialize)]
struct StreamPosition {
    #[serde(rename = "s")]
    symbol: String,
    #[serde(rename = "pa")]
    amount: Decimal,
    #[serde(rename = "ep")]
    entry_price: Decimal,
    #[serde(rename = "up", default)]
    unrealized: Decimal,
    #[serde(rename = "mt", default)]
    margin_type: Option<String>,
    #[serde(rename = "iw", default)]
    isolated_wallet: Option<Decimal>,
    #[serde(rename = "ps", default)]
    position_side: Option<String>,
}

#[derive(Deserialize)]
struct MarginCallPosition {
    #[serde(rename = "s")]
    symbol: String,
    #[serde(rename = "ps", default)]
    position_side: Option<String>,
    #[serde(rename = "pa")]
    amount: Decimal,
    #[serde(rename = "mp")]
    mark_price: Decimal,
    #[serde(rename = "up", default)]
    unrealized: Decimal,
    #[serde(rename = "mt", default)]
    margin_type: Option<String>,
    #[serde(rename = "iw", default)]
    isolated_wallet: Option<Decimal>,
}

/// A position as an account frame reports it (no mark, leverage or liquidation price: those come
/// from `positionRisk`).
#[allow(clippy::too_many_arguments)]
fn position(
    pair: &Pair,
    amount: Decimal,
    entry_price: Option<Decimal>,
    unrealized: Decimal,
    margin_type: Option<&str>,
    isolated_wallet: Option<Decimal>,
    side: Option<&str>,
    mark_price: Option<Decimal>,
) -> Result<Position, CexError> {
    let margin_mode = margin_type
        .map(|m| m.parse::<MarginMode>())
        .transpose()
        .map_err(|e| CexError::decode("ACCOUNT_UPDATE", e))?;
    let entry_notional = entry_price.map_or(Decimal::ZERO, |p| p * amount.abs());
    Ok(Position {
        pair: pair.clone(),
        size: amount,
        entry_notional,
        entry_price: entry_price.filter(|_| !amount.is_zero()),
        mark_notional: mark_price.map(|m| (m * amount).abs()),
        margin: match margin_mode {
            Some(MarginMode::Isolated) => isolated_wallet.unwrap_or_default(),
            _ => Decimal::ZERO,
        },
        margin_asset: pair.quote.clone(),
        unrealized_pnl: unrealized,
        margin_ratio: None,
        liquidation_price: None,
        funding_paid: None,
        position_side: position_side_of(side.unwrap_or("BOTH"))?,
        mark_price,
        leverage: None,
        margin_mode,
    })
}

/// One frame as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    let f: Frame = serde_json::from_slice(frame).map_err(|e| {
        CexError::decode(
            "user stream frame",
            format!("{e}: {}", CexError::snippet(frame)),
        )
    })?;
    match f.e.as_str() {
        "ORDER_TRADE_UPDATE" => {
            let o =
                f.o.ok_or_else(|| CexError::decode("ORDER_TRADE_UPDATE", "no order object"))?;
            order_update(&o, markets)
        }
        "ACCOUNT_UPDATE" => {
            let a =
                f.a.ok_or_else(|| CexError::decode("ACCOUNT_UPDATE", "no account object"))?;
            account_update(a, f.transaction_time, markets)
        }
        "MARGIN_CALL" => {
            let mut events = Vec::new();
            for p in &f.p {
                tracing::warn!(
                    symbol = %p.symbol,
                    size = %p.amount,
                    mark = %p.mark_price,
                    cross_wallet = ?f.cw,
                    "margin call"
                );
                let Some(pair) = markets.pair_of(&p.symbol) else {
                    continue;
                };
                let pos = position(
                    pair,
                    p.amount,
                    None,
                    p.unrealized,
                    p.margin_type.as_deref(),
                    p.isolated_wallet,
                    p.position_side.as_deref(),
                    Some(p.mark_price),
                )?;
                events.push(VenueEvent::Position(Box::new(pos)));
            }
            Ok(UserEvent::Account(Box::new(AccountUpdate {
                events,
                funding_at_ms: None,
            })))
        }
        "listenKeyExpired" => {
            tracing::info!("listenKey expired; a new one is asked for");
            Ok(UserEvent::Ignored)
        }
        other => {
            tracing::debug!(kind = %other, "user stream message ignored");
            Ok(UserEvent::Ignored)
        }
    }
}

fn order_update(o: &ExecutionReport, markets: &Markets) -> Result<UserEvent, CexError> {
    let Some(pair) = markets.pair_of(&o.symbol) else {
        return Ok(UserEvent::UnknownSymbol(o.symbol.clone()));
    };
    let id = ClientOrderId::new(o.order_client_id())
        .map_err(|_| CexError::decode("ORDER_TRADE_UPDATE", "an invalid client order id"))?;
    let state = order_state(&o.status).ok_or_else(|| {
        CexError::decode(
            "ORDER_TRADE_UPDATE",
            format!("unknown order status {}", o.status),
        )
    })?;
    let fill = o.fill(&id, pair)?;
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id: id,
        pair: pair.clone(),
        venue_order_id: o.order_id.to_string(),
        state,
        reason: None,
        fill,
        cumulative_filled: o.cumulative_qty,
    })))
}

fn account_update(a: AccountData, time: u64, markets: &Markets) -> Result<UserEvent, CexError> {
    let mut events = Vec::with_capacity(a.balances.len() + a.positions.len());
    for b in &a.balances {
        let asset = Asset::new(&b.asset)?;
        let available = b.cross_wallet.unwrap_or(b.wallet).min(b.wallet);
        events.push(VenueEvent::Balance(Balance::new(
            asset, b.wallet, available,
        )));
    }
    for p in &a.positions {
        let Some(pair) = markets.pair_of(&p.symbol) else {
            continue;
        };
        let pos = position(
            pair,
            p.amount,
            Some(p.entry_price),
            p.unrealized,
            p.margin_type.as_deref(),
            p.isolated_wallet,
            p.position_side.as_deref(),
            None,
        )?;
        events.push(VenueEvent::Position(Box::new(pos)));
    }
    let funding_at_ms = (a.reason == "FUNDING_FEE").then_some(time);
    Ok(UserEvent::Account(Box::new(AccountUpdate {
        events,
        funding_at_ms,
    })))
}
