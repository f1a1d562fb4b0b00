//! What a user's own commands ask of the connector (`sluice order list|cancel`, `sluice book`):
//! the account's open orders as shared `Order`s, the top of a live book. The `Venue` impl in
//! `mod.rs` delegates here, so the CLI reaches Binance through `dyn Venue` only.

use crate::core::{Order, Pair};
use crate::venue::{BookTop, VenueError};

use super::api::order_state;
use super::{BinanceSpot, lock};

/// The open orders of `pair` (or of every symbol) as the venue lists them: request, venue id,
/// executed quantity and state. Orders of a symbol sluice does not know (not in exchangeInfo)
/// are left out.
pub(super) async fn open_orders(
    venue: &BinanceSpot,
    pair: Option<&Pair>,
) -> Result<Vec<Order>, VenueError> {
    let markets = venue.load_markets().await?;
    let mut orders = Vec::new();
    for o in venue.open_orders(pair).await? {
        let Some(pair) = markets.by_symbol.get(&o.symbol) else {
            continue;
        };
        let mut order = Order::new(o.to_request(pair)?);
        order.venue_order_id = Some(o.order_id.to_string());
        order.filled = o.executed_qty.unwrap_or_default();
        if let Some(state) = order_state(&o.status) {
            order.state = state;
        }
        orders.push(order);
    }
    Ok(orders)
}

/// The top of the live book of `pair`: `None` until it is watched (`start`) and synced.
pub(super) fn book_top(
    venue: &BinanceSpot,
    pair: &Pair,
    depth: usize,
) -> Result<Option<BookTop>, VenueError> {
    let Some(live) = lock(&venue.inner.books).get(pair).cloned() else {
        return Err(VenueError::NotSupported(format!(
            "{}: the book of {pair} is not watched (start the venue on it first)",
            venue.inner.id
        )));
    };
    if let Some(u) = live.unavailable() {
        return Err(VenueError::Protocol(u.to_string()));
    }
    let b = live.read();
    if !b.is_synced() {
        return Ok(None);
    }
    let (bids, asks) = b.book.top(depth);
    Ok(Some(BookTop {
        bids,
        asks,
        sequence: b.last_update_id(),
    }))
}
