//! The private stream's pushes (`{"id","topic","creationTime","data":[…]}`) as the framework's
//! events. The topics are Bybit's all-category ones: items of another category than `linear`
//! are ignored.
//! - `order`: the order's state with `orderLinkId` as our client id and `cumExecQty` (a fill
//!   this reports before its execution arrives is fetched by the framework's reconcile);
//! - `execution`: a `Trade` is a fill keyed `<pair>:<execId>`, as `GET /v5/execution/list`
//!   keys it (the tracker counts it once whichever reports it first), with `execFee` in
//!   `feeCurrency` (for contracts: the settle coin); a `Funding` execution says funding was
//!   settled at `execTime` and the framework reads the payments, with their ids, from the
//!   transaction log; other executions (ADL, liquidation, delivery) are not orders of ours:
//!   their effect arrives as positions and wallet;
//! - `position`: positions, as position events;
//! - `wallet`: the unified wallet's balances.
//!
//! Op answers reaching the parser are ignored (the relay reads them); an unknown topic is
//! logged and ignored; anything unreadable is a typed error.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::cex::error::CexError;
use crate::cex::venue::{AccountUpdate, Markets, OrderUpdate, UserEvent};
use crate::core::{ClientOrderId, OrderState, VenueEvent};

use super::api::{ExecutionItem, OrderItem, PositionItem, WalletAccount};
use super::rest::{order_state, wallet_balances};

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    op: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// Whether an item of an all-category topic is a linear contract's (an item without a category
/// is taken as one: the connection trades nothing else).
fn linear(category: &str) -> bool {
    category.is_empty() || category == "linear"
}

fn items<T: DeserializeOwned>(topic: &str, data: Option<&RawValue>) -> Result<Vec<T>, CexError> {
    let Some(raw) = data else {
        return Err(CexError::decode(topic, "a push without data"));
    };
    serde_json::from_str(raw.get()).map_err(|e| CexError::decode(topic, e))
}

/// The one item of an `order` or `execution` push (the relay splits pushes of several).
fn single<T: DeserializeOwned>(
    topic: &str,
    data: Option<&RawValue>,
) -> Result<Option<T>, CexError> {
    let mut list: Vec<T> = items(topic, data)?;
    match list.len() {
        0 | 1 => Ok(list.pop()),
        n => Err(CexError::decode(topic, format!("{n} items in one frame"))),
    }
}

/// One frame of the private stream as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    let f: Frame<'_> = serde_json::from_slice(frame).map_err(|e| {
        CexError::decode(
            "private stream frame",
            format!("{e}: {}", CexError::snippet(frame)),
        )
    })?;
    let Some(topic) = f.topic else {
        return match f.op {
            Some(_) => Ok(UserEvent::Ignored),
            None => Err(CexError::decode(
                "private stream frame",
                format!("neither a push nor an answer: {}", CexError::snippet(frame)),
            )),
        };
    };
    match topic.as_str() {
        "order" => match single::<OrderItem>("order", f.data)? {
            Some(o) => order_update(o, markets),
            None => Ok(UserEvent::Ignored),
        },
        "execution" => match single::<ExecutionItem>("execution", f.data)? {
            Some(e) => execution_update(e, markets),
            None => Ok(UserEvent::Ignored),
        },
        "position" => {
            let mut events = Vec::new();
            for p in items::<PositionItem>("position", f.data)? {
                if !linear(&p.category) {
                    continue;
                }
                if let Some(pair) = markets.pair_of(&p.symbol) {
                    events.push(VenueEvent::Position(Box::new(p.to_position(pair)?)));
                }
            }
            Ok(UserEvent::Account(Box::new(AccountUpdate {
                events,
                funding_at_ms: None,
            })))
        }
        "wallet" => Ok(UserEvent::Balances(wallet_balances(&items::<
            WalletAccount,
        >(
            "wallet", f.data
        )?)?)),
        other => {
            tracing::debug!(topic = other, "private stream topic ignored");
            Ok(UserEvent::Ignored)
        }
    }
}

/// Our client id of an item, or `None` for an order sent without one (not ours).
fn client_id(topic: &str, order_link_id: &str) -> Result<Option<ClientOrderId>, CexError> {
    if order_link_id.is_empty() {
        tracing::debug!(topic, "an order without orderLinkId: not sent by sluice");
        return Ok(None);
    }
    ClientOrderId::new(order_link_id)
        .map(Some)
        .map_err(|_| CexError::decode(topic, "an invalid orderLinkId"))
}

fn order_update(o: OrderItem, markets: &Markets) -> Result<UserEvent, CexError> {
    if !linear(&o.category) {
        return Ok(UserEvent::Ignored);
    }
    let Some(pair) = markets.pair_of(&o.symbol) else {
        return Ok(UserEvent::UnknownSymbol(o.symbol));
    };
    let Some(id) = client_id("order", &o.order_link_id)? else {
        return Ok(UserEvent::Ignored);
    };
    let state = order_state(&o.order_status).ok_or_else(|| {
        CexError::decode("order", format!("unknown orderStatus {:?}", o.order_status))
    })?;
    let reason = (!o.reject_reason.is_empty() && o.reject_reason != "EC_NoError")
        .then(|| o.reject_reason.clone());
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id: id,
        pair: pair.clone(),
        venue_order_id: o.order_id,
        state,
        reason,
        fill: None,
        cumulative_filled: o.cum_exec_qty.unwrap_or_default(),
    })))
}

fn execution_update(e: ExecutionItem, markets: &Markets) -> Result<UserEvent, CexError> {
    if !linear(&e.category) {
        return Ok(UserEvent::Ignored);
    }
    if e.exec_type == "Funding" {
        return Ok(UserEvent::Account(Box::new(AccountUpdate {
            events: Vec::new(),
            funding_at_ms: Some(e.exec_time),
        })));
    }
    if !e.is_trade() {
        tracing::info!(kind = %e.exec_type, symbol = %e.symbol, "execution not of an order of ours; positions follow");
        return Ok(UserEvent::Ignored);
    }
    let Some(pair) = markets.pair_of(&e.symbol) else {
        return Ok(UserEvent::UnknownSymbol(e.symbol));
    };
    let Some(id) = client_id("execution", &e.order_link_id)? else {
        return Ok(UserEvent::Ignored);
    };
    if e.exec_qty <= Decimal::ZERO {
        return Err(CexError::decode(
            "execution",
            format!("execQty {} of execution {}", e.exec_qty, e.exec_id),
        ));
    }
    let fill = e.to_fill(&id, pair)?;
    // what the order has executed, this execution included: its quantity less what is left
    let (cumulative, state) = match (e.order_qty, e.leaves_qty) {
        (Some(q), Some(left)) if left >= Decimal::ZERO && left <= q => {
            let state = if left.is_zero() {
                OrderState::Filled
            } else {
                OrderState::PartiallyFilled
            };
            (q - left, state)
        }
        _ => (fill.amount, OrderState::PartiallyFilled),
    };
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id: id,
        pair: pair.clone(),
        venue_order_id: e.order_id,
        state,
        reason: None,
        fill: Some(fill),
        cumulative_filled: cumulative,
    })))
}

#[cfg(test)]
#[path = "user_tests.rs"]
mod tests;
