//! The markets cache of an exchange venue: loaded once from the exchange, looked up by pair or
//! by the exchange's symbol, and refreshed one symbol at a time when the exchange changes its
//! rules (or on demand).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cex::error::{ApiErrorKind, CexError};
use crate::core::Pair;
use crate::venue::VenueError;

use super::exchange::{ExchangeApi, Market};
use super::{ExchangeVenue, lock};

/// The shortest time between two reloads of the markets for an unknown pair or symbol (each costs the exchange's
/// heaviest public request).
pub const RELOAD_MIN_INTERVAL: Duration = Duration::from_secs(10);

/// The tradable markets, by pair and by the exchange's symbol.
#[derive(Debug, Default, Clone)]
pub struct Markets {
    by_pair: HashMap<Pair, Market>,
    by_symbol: HashMap<String, Pair>,
}

impl Markets {
    /// The cache of `markets`.
    pub fn new(markets: Vec<Market>) -> Self {
        let mut m = Self::default();
        for market in markets {
            m.insert(market);
        }
        m
    }

    fn insert(&mut self, market: Market) {
        self.by_symbol
            .insert(market.rules.venue_symbol.clone(), market.rules.pair.clone());
        self.by_pair.insert(market.rules.pair.clone(), market);
    }

    /// The pair the exchange calls `symbol`.
    pub fn pair_of(&self, symbol: &str) -> Option<&Pair> {
        self.by_symbol.get(symbol)
    }

    /// The market of a pair.
    pub fn get(&self, pair: &Pair) -> Option<&Market> {
        self.by_pair.get(pair)
    }

    /// Every market, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Market> {
        self.by_pair.values()
    }
}

/// `UnknownSymbol` from the exchange: the symbol is not traded (any more).
pub(super) fn is_unknown_symbol(e: &CexError) -> bool {
    matches!(
        e,
        CexError::Api {
            kind: ApiErrorKind::UnknownSymbol,
            ..
        }
    )
}

impl<E: ExchangeApi> ExchangeVenue<E> {
    /// The markets, loaded on first use.
    pub async fn load_markets(&self) -> Result<Arc<Markets>, CexError> {
        let mut guard = self.inner.markets.lock().await;
        if let Some(m) = guard.as_ref() {
            return Ok(m.clone());
        }
        let m = Arc::new(Markets::new(
            self.inner.exchange.load_markets(&self.inner.rest).await?,
        ));
        *guard = Some(m.clone());
        Ok(m)
    }

    /// Reloads every market, unless the last reload was less than [`RELOAD_MIN_INTERVAL`] ago: a
    /// symbol the cache does not know may have been listed since. Whether it reloaded.
    pub async fn reload_markets(&self) -> Result<bool, CexError> {
        let mut guard = self.inner.markets.lock().await;
        {
            let mut last = lock(&self.inner.markets_loaded);
            if last.is_some_and(|t| t.elapsed() < RELOAD_MIN_INTERVAL) && guard.is_some() {
                return Ok(false);
            }
            *last = Some(Instant::now());
        }
        let m = Markets::new(self.inner.exchange.load_markets(&self.inner.rest).await?);
        *guard = Some(Arc::new(m));
        Ok(true)
    }

    /// The market of a pair, or `UnknownPair`. A pair the cache does not know makes it reload
    /// (at most once per [`RELOAD_MIN_INTERVAL`]): the exchange may have listed it since.
    pub async fn market(&self, pair: &Pair) -> Result<Market, VenueError> {
        if let Some(market) = self.load_markets().await?.get(pair) {
            return Ok(market.clone());
        }
        if self.reload_markets().await?
            && let Some(market) = self.load_markets().await?.get(pair)
        {
            return Ok(market.clone());
        }
        Err(VenueError::UnknownPair {
            venue: self.inner.id.to_string(),
            pair: pair.clone(),
        })
    }

    /// Refetches the rules of one pair's symbol and replaces them in the markets cache: the
    /// exchange may have changed its filters (tick size, step size). `None` (and the pair dropped
    /// from the cache) if the symbol is no longer trading.
    pub async fn refresh_market(&self, pair: &Pair) -> Result<Option<Market>, VenueError> {
        let symbol = self.market(pair).await?.rules.venue_symbol;
        let market = match self
            .inner
            .exchange
            .load_market(&self.inner.rest, &symbol)
            .await
        {
            Ok(m) => m.filter(|m| &m.rules.pair == pair),
            Err(e) if is_unknown_symbol(&e) => None,
            Err(e) => return Err(e.into()),
        };
        let mut guard = self.inner.markets.lock().await;
        let mut m = guard.as_deref().cloned().unwrap_or_default();
        match &market {
            Some(market) => m.insert(market.clone()),
            None => {
                m.by_symbol.remove(&symbol);
                m.by_pair.remove(pair);
            }
        }
        *guard = Some(Arc::new(m));
        Ok(market)
    }
}
