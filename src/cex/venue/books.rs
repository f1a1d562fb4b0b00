//! The live books of an exchange venue: one per watched pair (the exchange's depth stream and its
//! continuity rule, started through [`ExchangeApi::spawn_book`]), the rules refresher a book
//! calls when the data leaves its grids, the top of a book, and quotes that walk the live book
//! (or a REST snapshot when the pair is not watched or not synced).

use std::sync::Arc;

use crate::cex::error::CexError;
use crate::core::{Pair, Quote, QuoteRequest};
use crate::venue::{BookTop, VenueError};

use super::exchange::{BookFeed, ExchangeApi, LiveBookView, RulesRefresher};
use super::{ExchangeVenue, lock};

impl<E: ExchangeApi> ExchangeVenue<E> {
    /// Starts (or returns) the live book of a pair.
    ///
    /// A book whose market was given up (its data off the rules the exchange lists, see
    /// [`MarketUnavailable`](super::MarketUnavailable)) is an error, not restarted.
    pub async fn watch_book(&self, pair: &Pair) -> Result<Arc<E::Book>, VenueError> {
        if let Some(b) = lock(&self.inner.books).get(pair) {
            if let Some(u) = b.unavailable() {
                return Err(VenueError::Protocol(u.to_string()));
            }
            return Ok(b.clone());
        }
        let market = self.market(pair).await?;
        // weak: the venue owns its books, a book task must not keep the venue alive
        let weak = Arc::downgrade(&self.inner);
        let refresh_pair = pair.clone();
        let refresh_rules: RulesRefresher = Arc::new(move || {
            let (inner, pair) = (weak.upgrade(), refresh_pair.clone());
            Box::pin(async move {
                let Some(inner) = inner else {
                    return Err(CexError::Invalid("the connector was dropped".into()));
                };
                match (ExchangeVenue { inner }).refresh_market(&pair).await {
                    Ok(m) => Ok(m.map(|m| (m.price, m.size))),
                    Err(VenueError::UnknownPair { .. }) => Ok(None),
                    Err(e) => Err(CexError::Invalid(e.to_string())),
                }
            })
        });
        let live = Arc::new(self.inner.exchange.spawn_book(BookFeed {
            pair: pair.clone(),
            market,
            rest: self.inner.rest.clone(),
            hub: self.inner.hub.clone(),
            refresh_rules,
        }));
        let mut books = lock(&self.inner.books);
        Ok(books.entry(pair.clone()).or_insert(live).clone())
    }

    /// The top of the live book of `pair`: `None` until it is watched (`start`) and synced.
    pub(super) fn top_of_book(
        &self,
        pair: &Pair,
        depth: usize,
    ) -> Result<Option<BookTop>, VenueError> {
        let Some(live) = lock(&self.inner.books).get(pair).cloned() else {
            return Err(VenueError::NotSupported(format!(
                "{}: the book of {pair} is not watched (start the venue on it first)",
                self.inner.id
            )));
        };
        if let Some(u) = live.unavailable() {
            return Err(VenueError::Protocol(u.to_string()));
        }
        Ok(live.with_synced(|book, sequence| {
            let (bids, asks) = book.top(depth);
            BookTop {
                bids,
                asks,
                sequence,
            }
        }))
    }

    /// The executable price of a size: the live book walked if it is synced, else a REST
    /// snapshot's; fees included. A book too thin for the size is `InsufficientLiquidity`.
    pub(super) async fn book_quote(&self, request: &QuoteRequest) -> Result<Quote, VenueError> {
        let market = self.market(&request.pair).await?;
        let fee = market.rules.taker_fee;
        let live = lock(&self.inner.books).get(&request.pair).cloned();
        if let Some(u) = live.as_ref().and_then(|l| l.unavailable()) {
            return Err(VenueError::Protocol(u.to_string()));
        }
        let walked = live.and_then(|live| {
            live.with_synced(|book, _| book.quote(request.side, request.base_amount, fee))
        });
        let book_quote = match walked {
            Some(q) => q,
            None => self
                .inner
                .exchange
                .snapshot_book(&self.inner.rest, &market)
                .await?
                .quote(request.side, request.base_amount, fee),
        }
        .map_err(|e| VenueError::InsufficientLiquidity(e.to_string()))?;
        if book_quote.filled < request.base_amount {
            return Err(VenueError::InsufficientLiquidity(format!(
                "the book holds only {} of {} {}",
                book_quote.filled, request.base_amount, request.pair.base
            )));
        }
        Ok(Quote {
            venue: self.inner.id.to_string(),
            pair: request.pair.clone(),
            side: request.side,
            base_amount: request.base_amount,
            quote_amount: book_quote.net,
            average_price: book_quote.average_price,
            worst_price: book_quote.worst_price,
            fee_asset: request.pair.quote.clone(),
            fee_amount: book_quote.fee,
            gas: None,
        })
    }
}
