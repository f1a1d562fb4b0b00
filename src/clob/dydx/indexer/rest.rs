//! A small typed client of the dYdX v4 indexer's REST API (the `comlink` service, public, no
//! keys): `GET /v4/perpetualMarkets` (raw, for the market-parameter parser, and the tick / step
//! sizes a book needs), `GET /v4/orderbooks/perpetualMarket/{ticker}` (the book snapshot) and
//! `GET /v4/time`. Errors are comlink's `{"errors":[{"msg":…,"param":…}]}` bodies; comlink limits
//! GETs per IP (100 per 10 s by default) and reports `RateLimit-Remaining`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::grid::Grid;
use crate::cex::http::{ApiRequest, HttpProtocol, RestClient};
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::cex::sign::time::rfc3339_ms;

use super::book::IndexerBook;

/// The public indexer of dYdX's mainnet (`dydx-mainnet-1`).
pub const MAINNET_REST: &str = "https://indexer.dydx.trade";
/// Its websocket.
pub const MAINNET_WS: &str = "wss://indexer.dydx.trade/v4/ws";

/// The rate-limit counter of GETs.
pub const GET_LIMIT: &str = "dydx_indexer:get";

/// comlink's default: 100 GETs per 10 s per IP.
pub fn default_limits() -> Vec<RateLimit> {
    vec![RateLimit::new(GET_LIMIT, Duration::from_secs(10), 100)]
}

/// The indexer over HTTP.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexerProtocol;

/// The first message of an `{"errors":[…]}` body (comlink sends no numeric code: 0).
fn error_of(body: &[u8]) -> Option<(i64, String)> {
    #[derive(Deserialize)]
    struct Item {
        #[serde(default)]
        msg: String,
        #[serde(default)]
        param: Option<String>,
    }
    #[derive(Deserialize)]
    struct Body {
        errors: Vec<Item>,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    let first = b.errors.into_iter().next()?;
    Some(match first.param {
        Some(p) if !p.is_empty() => (0, format!("{} ({p})", first.msg)),
        _ => (0, first.msg),
    })
}

impl HttpProtocol for IndexerProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        error_of(body)
    }

    fn classify_error(&self, status: u16, _code: i64, _msg: &str) -> ApiErrorKind {
        match status {
            404 => ApiErrorKind::UnknownSymbol,
            429 => ApiErrorKind::RateLimited,
            _ => ApiErrorKind::Rejected,
        }
    }

    fn server_time_path(&self) -> &'static str {
        "/v4/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(GET_LIMIT, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        struct T {
            iso: String,
        }
        let t: T = serde_json::from_slice(body).ok()?;
        rfc3339_ms(&t.iso).and_then(|ms| i64::try_from(ms).ok())
    }

    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, limiter: &RateLimiter) {
        // out of points: wait a second before the next GET (the reset's unit is not documented)
        let remaining = headers
            .get("ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if remaining == Some(0) {
            limiter.block_for(Duration::from_secs(1));
        }
    }
}

/// The fields of one market of `GET /v4/perpetualMarkets` a book needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookMarket {
    ticker: String,
    #[serde(default)]
    status: String,
    tick_size: Decimal,
    step_size: Decimal,
}

#[derive(Debug, Deserialize)]
struct MarketsDoc {
    markets: std::collections::HashMap<String, BookMarket>,
}

/// The indexer's REST API.
#[derive(Debug, Clone)]
pub struct IndexerRest {
    rest: RestClient,
}

impl IndexerRest {
    /// A client of the indexer at `base_url` (`https://indexer.dydx.trade`; a trailing `/v4` is
    /// accepted and dropped: the paths carry it).
    pub fn new(base_url: &str) -> Result<Self, CexError> {
        let base = base_url.trim_end_matches('/');
        let base = base.strip_suffix("/v4").unwrap_or(base);
        let limiter = Arc::new(RateLimiter::new(&default_limits()));
        Ok(Self {
            rest: RestClient::new(base, Arc::new(IndexerProtocol), None, limiter)?,
        })
    }

    pub fn client(&self) -> &RestClient {
        &self.rest
    }

    fn get(path: &str) -> ApiRequest {
        ApiRequest::new(Method::GET, path).cost(GET_LIMIT, 1)
    }

    /// `GET /v4/perpetualMarkets[?ticker=…]`, the body as sent (for the market-parameter parser).
    pub async fn perpetual_markets_raw(&self, ticker: Option<&str>) -> Result<Bytes, CexError> {
        let mut req = Self::get("/v4/perpetualMarkets");
        if let Some(t) = ticker {
            req = req.param("ticker", t);
        }
        self.rest.request(&req).await
    }

    /// `GET /v4/orderbooks/perpetualMarket/{ticker}`, the body as sent.
    pub async fn orderbook_raw(&self, ticker: &str) -> Result<Bytes, CexError> {
        check_ticker(ticker)?;
        self.rest
            .request(&Self::get(&format!(
                "/v4/orderbooks/perpetualMarket/{ticker}"
            )))
            .await
    }

    /// The (price, size) grids of `ticker`'s book: its tick size and step size. `None` when the
    /// indexer does not list it, or lists it in final settlement (no longer traded).
    pub async fn book_grids(&self, ticker: &str) -> Result<Option<(Grid, Grid)>, CexError> {
        check_ticker(ticker)?;
        match self.perpetual_markets_raw(Some(ticker)).await {
            Ok(body) => grids_of(&body, ticker),
            // comlink answers an unknown ticker with a 404
            Err(CexError::Api {
                kind: ApiErrorKind::UnknownSymbol,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A one-off book of `ticker` from the REST snapshot (the market's grids asked first).
    pub async fn snapshot_book(&self, ticker: &str) -> Result<IndexerBook, CexError> {
        let (price, size) = self
            .book_grids(ticker)
            .await?
            .ok_or_else(|| CexError::Api {
                status: 404,
                code: 0,
                msg: format!("the indexer does not list {ticker}"),
                kind: ApiErrorKind::UnknownSymbol,
            })?;
        let body = self.orderbook_raw(ticker).await?;
        let mut book = IndexerBook::new(ticker, price, size);
        book.load_rest_snapshot(&body)
            .map_err(|e| CexError::decode("orderbook", e))?;
        Ok(book)
    }
}

/// A ticker goes into a URL path: letters, digits, `-`, `_`, `.`, `/` excluded.
fn check_ticker(ticker: &str) -> Result<(), CexError> {
    if ticker.is_empty()
        || ticker.len() > 64
        || !ticker
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(CexError::Invalid(format!("not a dYdX ticker: {ticker:?}")));
    }
    Ok(())
}

/// The grids of `ticker` in a `perpetualMarkets` body.
fn grids_of(body: &[u8], ticker: &str) -> Result<Option<(Grid, Grid)>, CexError> {
    let doc: MarketsDoc = serde_json::from_slice(body).map_err(|e| {
        CexError::decode(
            "perpetualMarkets",
            format!("{e}; body starts {:?}", CexError::snippet(body)),
        )
    })?;
    let Some(m) = doc.markets.values().find(|m| m.ticker == ticker) else {
        return Ok(None);
    };
    if m.status == "FINAL_SETTLEMENT" {
        return Ok(None);
    }
    let grid = |what: &str, d: Decimal| {
        Grid::new(d).map_err(|e| CexError::decode("perpetualMarkets", format!("{what}: {e}")))
    };
    Ok(Some((
        grid("tickSize", m.tick_size)?,
        grid("stepSize", m.step_size)?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn grids_come_from_tick_and_step_sizes() {
        let body = br#"{"markets":{"BTC-USD":{"clobPairId":"0","ticker":"BTC-USD","status":"ACTIVE","oraclePrice":"82501","atomicResolution":-10,"quantumConversionExponent":-9,"tickSize":"1","stepSize":"0.0001","stepBaseQuantums":1000000,"subticksPerTick":100000,"marketType":"CROSS"},"FTM-USD":{"ticker":"FTM-USD","status":"FINAL_SETTLEMENT","tickSize":"0.0001","stepSize":"10"}}}"#;
        let (p, s) = grids_of(body, "BTC-USD").unwrap().unwrap();
        assert_eq!((p.step(), s.step()), (dec!(1), dec!(0.0001)));
        assert_eq!(grids_of(body, "FTM-USD").unwrap(), None);
        assert_eq!(grids_of(body, "ETH-USD").unwrap(), None);
        assert!(grids_of(b"<html>502</html>", "BTC-USD").is_err());
        assert!(
            grids_of(
                br#"{"markets":{"X":{"ticker":"X","tickSize":"-1","stepSize":"1"}}}"#,
                "X"
            )
            .is_err()
        );
    }

    #[test]
    fn errors_and_tickers() {
        assert_eq!(
            error_of(br#"{"errors":[{"msg":"ticker must be a valid ticker","param":"ticker"}]}"#),
            Some((0, "ticker must be a valid ticker (ticker)".into()))
        );
        assert_eq!(error_of(b"<html>"), None);
        assert!(check_ticker("BTC-USD").is_ok());
        for bad in ["", "BTC/USD", "../v4/time", "BTC USD"] {
            assert!(check_ticker(bad).is_err(), "{bad}");
        }
    }
}
