//! Coinbase Exchange's private stream: one websocket subscribed to the `user` channel (the full
//! feed's messages for the account's own orders: `received`, `open`, `match`, `done`) and the
//! `balance` channel, the subscribe message signed over `GET /users/self/verify` and rebuilt on
//! every connect so its timestamp is fresh; reconnects by the framework's stream. Orders are
//! named by Coinbase's id in these messages (only `received` carries the `client_oid`), so the
//! connector maps ids both ways ([`OrderIds`]).

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::stream::{self, StreamConfig, StreamEvent};
use crate::cex::venue::{Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{Asset, Balance, Fill, OrderState, Side};
use crate::venue::{VenueError, VenueId};

use super::api::{self, PRIVATE, PUBLIC, client_id_of, decode, fill_trade_id, parse_side};
use super::rest::OrderIds;
use super::sign::ws_auth;

/// The private channels.
pub const CHANNELS: [&str; 2] = ["user", "balance"];

/// How the private stream is delivered (Coinbase has one mechanism).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels;

impl std::fmt::Display for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&CHANNELS.join(", "))
    }
}

/// The signed subscribe message of the private channels for `products` and `accounts`.
pub fn subscribe_request(
    signer: &crate::cex::sign::Signer,
    products: &[String],
    accounts: &[String],
    time_s: u64,
) -> Result<String, CexError> {
    let mut m = ws_auth(signer, time_s)?;
    m.insert("type".into(), "subscribe".into());
    m.insert("product_ids".into(), serde_json::json!(products));
    m.insert(
        "channels".into(),
        serde_json::json!(["user", {"name": "balance", "account_ids": accounts}]),
    );
    Ok(serde_json::Value::Object(m).to_string())
}

struct Keep {
    forwarder: JoinHandle<()>,
}

impl Drop for Keep {
    fn drop(&mut self) {
        self.forwarder.abort();
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// What the stream subscribes to: every product's id and every account's id.
async fn subscription_targets(rest: &RestClient) -> Result<(Vec<String>, Vec<String>), CexError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let req = ApiRequest::new(reqwest::Method::GET, "/products").cost(PUBLIC, 1);
    let products: Vec<Id> = decode("products", &rest.request(&req).await?)?;
    let req = ApiRequest::new(reqwest::Method::GET, "/accounts")
        .signed()
        .cost(PRIVATE, 1);
    let accounts: Vec<Id> = decode("accounts", &rest.request(&req).await?)?;
    Ok((
        products.into_iter().map(|p| p.id).collect(),
        accounts.into_iter().map(|a| a.id).collect(),
    ))
}

/// Opens the private stream; returns once the subscription was answered (or `timeout` passed: it
/// goes on retrying in the background). A refused subscription is the caller's error.
pub async fn open(
    name: &str,
    ws_url: &str,
    id: &VenueId,
    rest: &RestClient,
    timeout: Duration,
) -> Result<UserStream<Channels>, VenueError> {
    let signer = rest
        .signer()
        .cloned()
        .ok_or_else(|| VenueError::Auth("the user stream needs API keys".into()))?;
    let (products, accounts) = subscription_targets(rest).await.map_err(VenueError::from)?;
    let clock = rest.clock.clone();
    let subscribe: stream::Subscriber = Arc::new(move || {
        let t = u64::try_from(clock.now_ms() / 1000).unwrap_or(0);
        match subscribe_request(&signer, &products, &accounts, t) {
            Ok(m) => vec![m],
            Err(e) => {
                tracing::error!(error = %e, "cannot sign the user channel subscription");
                Vec::new()
            }
        }
    });
    let (handle, mut raw) = stream::spawn(
        StreamConfig::new(&format!("{name} user stream"), ws_url),
        subscribe,
    );
    let (tx, events) = mpsc::channel(stream::DEFAULT_BUFFER);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let ev = match tokio::time::timeout_at(deadline, raw.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(_) => {
                tracing::warn!(venue = %id, "user stream not answered yet; retrying in the background");
                break;
            }
        };
        if let StreamEvent::Message(m) = &ev
            && let Ok(env) = serde_json::from_slice::<Envelope>(m)
        {
            match env.kind.as_str() {
                "error" => {
                    let text = format!(
                        "{}: {}",
                        env.message.unwrap_or_default(),
                        env.reason.unwrap_or_default()
                    );
                    tracing::error!(venue = %id, msg = %text, "user stream subscription refused");
                    return Err(VenueError::Auth(format!(
                        "coinbase_pro refused the user channel subscription: {text}"
                    )));
                }
                "subscriptions" => {
                    let _ = tx.try_send(ev);
                    break;
                }
                _ => {}
            }
        }
        let _ = tx.try_send(ev);
    }
    let forwarder = tokio::spawn(async move {
        let _handle = handle;
        while let Some(ev) = raw.recv().await {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    });
    Ok(UserStream {
        mechanism: Channels,
        keep: Box::new(Keep { forwarder }),
        first: None,
        events,
        stop: None,
    })
}

/// A `user` channel or `balance` channel message (the fields any of them carries).
#[derive(Debug, Deserialize)]
struct UserMsg {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    product_id: Option<String>,
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    client_oid: Option<String>,
    #[serde(default)]
    size: Option<Decimal>,
    #[serde(default)]
    remaining_size: Option<Decimal>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    side: Option<String>,
    // match
    #[serde(default, deserialize_with = "opt_id")]
    trade_id: Option<String>,
    #[serde(default)]
    maker_order_id: Option<String>,
    #[serde(default)]
    taker_order_id: Option<String>,
    #[serde(default)]
    price: Option<Decimal>,
    #[serde(default)]
    maker_fee_rate: Option<Decimal>,
    #[serde(default)]
    taker_fee_rate: Option<Decimal>,
    #[serde(default)]
    time: Option<String>,
    // balance
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    available: Option<Decimal>,
    #[serde(default)]
    holds: Option<Decimal>,
}

fn opt_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn missing(what: &'static str) -> CexError {
    CexError::decode("user channel message", format!("missing {what}"))
}

/// One frame of the private stream as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets, ids: &OrderIds) -> Result<UserEvent, CexError> {
    let m: UserMsg = decode("user stream frame", frame)?;
    match m.kind.as_str() {
        "balance" => {
            let currency = m.currency.ok_or_else(|| missing("currency"))?;
            let available = m.available.ok_or_else(|| missing("available"))?;
            let total = available
                .checked_add(m.holds.unwrap_or_default())
                .ok_or_else(|| CexError::decode("balance", "available + holds overflows"))?;
            Ok(UserEvent::Balances(vec![Balance::new(
                Asset::new(&currency)?,
                total,
                available,
            )]))
        }
        "received" | "open" | "done" | "change" => order_message(m, markets, ids),
        "match" => match_message(m, markets, ids),
        "error" => {
            tracing::error!(msg = ?m.reason, "error on the user stream");
            Ok(UserEvent::Ignored)
        }
        other => {
            tracing::debug!(kind = %other, "user stream message ignored");
            Ok(UserEvent::Ignored)
        }
    }
}

fn order_message(m: UserMsg, markets: &Markets, ids: &OrderIds) -> Result<UserEvent, CexError> {
    let order_id = m.order_id.clone().ok_or_else(|| missing("order_id"))?;
    let product = m.product_id.clone().ok_or_else(|| missing("product_id"))?;
    if m.kind == "received"
        && let Some(id) = m.client_oid.as_deref().and_then(client_id_of)
    {
        ids.remember(&id, &order_id, m.size);
    }
    let Some(client_id) = ids.client_id(&order_id) else {
        return Ok(UserEvent::Ignored);
    };
    let Some(pair) = markets.pair_of(&product) else {
        return Ok(UserEvent::UnknownSymbol(product));
    };
    let filled = match (ids.size_of(&order_id), m.remaining_size) {
        (Some(size), Some(left)) => size.checked_sub(left).unwrap_or_default(),
        _ => Decimal::ZERO,
    };
    let state = match (m.kind.as_str(), m.reason.as_deref()) {
        ("received" | "change", _) => OrderState::Open,
        ("open", _) if filled.is_zero() => OrderState::Open,
        ("open", _) => OrderState::PartiallyFilled,
        ("done", Some("filled")) => OrderState::Filled,
        ("done", Some("canceled" | "cancelled")) => OrderState::Cancelled,
        ("done", Some("rejected")) => OrderState::Failed,
        _ => {
            return Err(CexError::decode(
                "user channel message",
                format!("unknown {} reason {:?}", m.kind, m.reason),
            ));
        }
    };
    // a done/filled order has filled its whole size
    let cumulative = match (state, ids.size_of(&order_id)) {
        (OrderState::Filled, Some(size)) => size,
        _ => filled,
    };
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id,
        pair: pair.clone(),
        venue_order_id: order_id,
        state,
        reason: m.reason.filter(|r| r != "filled"),
        fill: None,
        cumulative_filled: cumulative,
    })))
}

fn match_message(m: UserMsg, markets: &Markets, ids: &OrderIds) -> Result<UserEvent, CexError> {
    let product = m.product_id.clone().ok_or_else(|| missing("product_id"))?;
    let maker = m
        .maker_order_id
        .as_deref()
        .and_then(|o| ids.client_id(o).map(|c| (o, c)));
    let taker = m
        .taker_order_id
        .as_deref()
        .and_then(|o| ids.client_id(o).map(|c| (o, c)));
    let (is_maker, (order_id, client_id)) = match (maker, taker) {
        (Some(mk), _) => (true, mk),
        (None, Some(tk)) => (false, tk),
        (None, None) => return Ok(UserEvent::Ignored),
    };
    let Some(pair) = markets.pair_of(&product) else {
        return Ok(UserEvent::UnknownSymbol(product));
    };
    let maker_side = m
        .side
        .as_deref()
        .and_then(parse_side)
        .ok_or_else(|| missing("side"))?;
    let side = match (is_maker, maker_side) {
        (true, s) => s,
        (false, Side::Buy) => Side::Sell,
        (false, Side::Sell) => Side::Buy,
    };
    let trade_id = m.trade_id.ok_or_else(|| missing("trade_id"))?;
    let price = m.price.ok_or_else(|| missing("price"))?;
    let size = m.size.ok_or_else(|| missing("size"))?;
    let rate = if is_maker {
        m.maker_fee_rate
    } else {
        m.taker_fee_rate
    };
    let fee = price
        .checked_mul(size)
        .and_then(|n| n.checked_mul(rate.unwrap_or_default()))
        .ok_or_else(|| CexError::decode("match", "fee overflows"))?;
    let fill = Fill {
        venue: String::new(),
        trade_id: fill_trade_id(pair, &trade_id),
        client_id: Some(client_id.clone()),
        venue_order_id: Some(order_id.to_string()),
        pair: pair.clone(),
        side,
        price,
        amount: size,
        fee_asset: pair.quote.clone(),
        fee_amount: fee,
        is_maker,
        timestamp_ms: m.time.as_deref().and_then(api::rfc3339_ms).unwrap_or(0),
    };
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id,
        pair: pair.clone(),
        venue_order_id: order_id.to_string(),
        // the order's state follows its fills
        state: OrderState::PartiallyFilled,
        reason: None,
        fill: Some(fill),
        cumulative_filled: Decimal::ZERO,
    })))
}

#[cfg(test)]
mod tests;
