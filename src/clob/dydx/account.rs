//! dYdX v4's account side, read from the indexer (public, no auth): the subaccount (equity, free
//! collateral, open perpetual positions, USDC asset position), its orders, fills, perpetual
//! positions and funding payments over REST, the node height and server time, and the
//! `v4_subaccounts` channel (order, fill and position updates as the chain's events happen).
//!
//! [`IndexerAccount`] is the typed client: it sends through the framework's [`RestClient`] (rate
//! limit, retries on idempotent GETs, HTML and truncated answers as typed errors) and streams
//! through [`crate::cex::stream`] (reconnects, resubscribes). The indexer's order ids are
//! UUIDv5s of the order id fields ([`order_uuid`]), the same the indexer computes, so an order
//! placed on chain is found by its id before the indexer has seen it.
//!
//! The mappings to sluice's types: [`order_state`], [`fill_of`], [`position_of`],
//! [`funding_payment_of`].

pub mod docs;
pub mod stream;

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use sha1::{Digest, Sha1};

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, HttpProtocol, RestClient};
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::cex::sign::time::rfc3339_ms;
use crate::core::{Asset, Fill, FundingPayment, OrderState, Pair, Position, PositionSide, Side};

pub use self::docs::*;
pub use self::stream::{SubaccountEvent, SubaccountStream, parse_subaccount_message};

/// The indexer's UUID namespace (`indexer/packages/postgres/src/helpers/uuid.ts`).
pub const INDEXER_UUID_NAMESPACE: [u8; 16] = [
    0x0f, 0x9d, 0xa9, 0x48, 0xa6, 0xfb, 0x4c, 0x45, 0x9e, 0xdc, 0x46, 0x85, 0xc3, 0xf3, 0x31, 0x7d,
];

/// Rate-limit counter of the indexer's GETs.
pub const GET_LIMIT: &str = "dydx_indexer:get";

/// The venue name on fills.
pub const VENUE: &str = "dydx";

/// UUIDv5 (RFC 4122, SHA-1) of `name` in the indexer's namespace, lower-case hyphenated.
pub fn indexer_uuid(name: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(INDEXER_UUID_NAMESPACE);
    h.update(name);
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The indexer's id of a subaccount: UUIDv5 of `"{address}-{number}"`.
pub fn subaccount_uuid(address: &str, number: u32) -> String {
    indexer_uuid(format!("{address}-{number}").as_bytes())
}

/// The indexer's id of an order: UUIDv5 of
/// `"{subaccount uuid}-{client id}-{clob pair id}-{order flags}"`.
pub fn order_uuid(
    address: &str,
    subaccount_number: u32,
    client_id: u32,
    clob_pair_id: u32,
    order_flags: u32,
) -> String {
    let sub = subaccount_uuid(address, subaccount_number);
    indexer_uuid(format!("{sub}-{client_id}-{clob_pair_id}-{order_flags}").as_bytes())
}

/// The indexer's id of a fill: UUIDv5 of `"{event id hex}-{liquidity}"`, the event id being the
/// 12 bytes of block height, transaction index and event index (big-endian `u32`s).
pub fn fill_uuid(height: u32, transaction_index: u32, event_index: u32, maker: bool) -> String {
    let mut event = Vec::with_capacity(12);
    event.extend_from_slice(&height.to_be_bytes());
    event.extend_from_slice(&transaction_index.to_be_bytes());
    event.extend_from_slice(&event_index.to_be_bytes());
    let liquidity = if maker { "MAKER" } else { "TAKER" };
    indexer_uuid(format!("{}-{liquidity}", hex::encode(event)).as_bytes())
}

/// The indexer over HTTP: errors as `{"errors":[{"msg":…}]}`, the time of `GET /v4/time`.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexerProtocol;

impl HttpProtocol for IndexerProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        crate::clob::dydx_v3::api::error_of(body)
    }

    fn server_time_path(&self) -> &'static str {
        "/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(GET_LIMIT, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(serde::Deserialize)]
        struct T {
            iso: String,
        }
        let t: T = serde_json::from_slice(body).ok()?;
        rfc3339_ms(&t.iso).and_then(|ms| i64::try_from(ms).ok())
    }

    fn observe_headers(&self, _headers: &reqwest::header::HeaderMap, _limiter: &RateLimiter) {}
}

/// Filters of `GET /v4/orders`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrdersQuery {
    pub ticker: Option<String>,
    /// `OPEN`, `FILLED`, `CANCELED`, `BEST_EFFORT_CANCELED`, `UNTRIGGERED`, `BEST_EFFORT_OPENED`.
    pub status: Option<String>,
    pub limit: Option<u32>,
}

/// A subaccount's view of the indexer (`base_url` ends in `/v4`).
#[derive(Debug, Clone)]
pub struct IndexerAccount {
    rest: RestClient,
    pub address: String,
    pub subaccount_number: u32,
}

fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, CexError> {
    crate::cex::exchanges::okx::api::decode(what, body)
}

impl IndexerAccount {
    /// A client of `base_url` (e.g. `https://indexer.dydx.trade/v4`) for `address`'s subaccount
    /// `subaccount_number`; 100 GETs per 10 s.
    pub fn new(base_url: &str, address: &str, subaccount_number: u32) -> Result<Self, CexError> {
        let limiter = Arc::new(RateLimiter::new(&[RateLimit::new(
            GET_LIMIT,
            Duration::from_secs(10),
            100,
        )]));
        let rest = RestClient::new(base_url, Arc::new(IndexerProtocol), None, limiter)?;
        Ok(Self {
            rest,
            address: address.to_string(),
            subaccount_number,
        })
    }

    /// The same client with at most `retries` retries of a failed GET (3 by default).
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.rest.max_retries = retries;
        self
    }

    fn get(&self, path: &str) -> ApiRequest {
        ApiRequest::new(Method::GET, path).cost(GET_LIMIT, 1)
    }

    fn owned(&self, path: &str) -> ApiRequest {
        self.get(path)
            .param("address", &self.address)
            .param("subaccountNumber", self.subaccount_number)
    }

    async fn fetch<T: DeserializeOwned>(&self, what: &str, req: ApiRequest) -> Result<T, CexError> {
        decode(what, &self.rest.request(&req).await?)
    }

    /// `GET /v4/addresses/{address}/subaccountNumber/{n}`.
    pub async fn subaccount(&self) -> Result<SubaccountDoc, CexError> {
        #[derive(serde::Deserialize)]
        struct Env {
            subaccount: SubaccountDoc,
        }
        let path = format!(
            "/addresses/{}/subaccountNumber/{}",
            self.address, self.subaccount_number
        );
        let env: Env = self.fetch("subaccount", self.get(&path)).await?;
        Ok(env.subaccount)
    }

    /// `GET /v4/orders?address=&subaccountNumber=[&ticker=&status=&limit=]`.
    pub async fn orders(&self, q: &OrdersQuery) -> Result<Vec<OrderDoc>, CexError> {
        let mut req = self.owned("/orders");
        if let Some(t) = &q.ticker {
            req = req.param("ticker", t);
        }
        if let Some(s) = &q.status {
            req = req.param("status", s);
        }
        if let Some(l) = q.limit {
            req = req.param("limit", l);
        }
        self.fetch("orders", req).await
    }

    /// `GET /v4/orders/{id}` (the indexer's UUID, [`order_uuid`]).
    pub async fn order(&self, id: &str) -> Result<OrderDoc, CexError> {
        self.fetch("order", self.get(&format!("/orders/{id}")))
            .await
    }

    /// `GET /v4/fills?address=&subaccountNumber=[&market=&marketType=PERPETUAL&limit=]`, newest
    /// first.
    pub async fn fills(
        &self,
        market: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<FillDoc>, CexError> {
        #[derive(serde::Deserialize)]
        struct Env {
            fills: Vec<FillDoc>,
        }
        let mut req = self.owned("/fills");
        if let Some(m) = market {
            req = req.param("market", m).param("marketType", "PERPETUAL");
        }
        if let Some(l) = limit {
            req = req.param("limit", l);
        }
        let env: Env = self.fetch("fills", req).await?;
        Ok(env.fills)
    }

    /// `GET /v4/perpetualPositions?address=&subaccountNumber=[&status=]` (`OPEN`, `CLOSED`,
    /// `LIQUIDATED`).
    pub async fn positions(
        &self,
        status: Option<&str>,
    ) -> Result<Vec<PerpetualPositionDoc>, CexError> {
        #[derive(serde::Deserialize)]
        struct Env {
            positions: Vec<PerpetualPositionDoc>,
        }
        let mut req = self.owned("/perpetualPositions");
        if let Some(s) = status {
            req = req.param("status", s);
        }
        let env: Env = self.fetch("perpetual positions", req).await?;
        Ok(env.positions)
    }

    /// `GET /v4/fundingPayments?address=&subaccountNumber=[&ticker=&limit=]`, newest first.
    pub async fn funding_payments(
        &self,
        ticker: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<FundingPaymentDoc>, CexError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Env {
            funding_payments: Vec<FundingPaymentDoc>,
        }
        let mut req = self.owned("/fundingPayments");
        if let Some(t) = ticker {
            req = req.param("ticker", t);
        }
        if let Some(l) = limit {
            req = req.param("limit", l);
        }
        let env: Env = self.fetch("funding payments", req).await?;
        Ok(env.funding_payments)
    }

    /// `GET /v4/height`: the last block the indexer processed, and its time.
    pub async fn height(&self) -> Result<(u64, u64), CexError> {
        let doc: HeightDoc = self.fetch("height", self.get("/height")).await?;
        let h = doc
            .height
            .parse::<u64>()
            .map_err(|e| CexError::decode("height", format!("{:?}: {e}", doc.height)))?;
        Ok((h, iso_ms("height time", &doc.time)?))
    }

    /// `GET /v4/time`: the indexer's clock, Unix ms.
    pub async fn time(&self) -> Result<u64, CexError> {
        #[derive(serde::Deserialize)]
        struct T {
            iso: String,
        }
        let t: T = self.fetch("time", self.get("/time")).await?;
        iso_ms("time", &t.iso)
    }
}

/// An ISO 8601 time of the indexer in Unix ms.
pub fn iso_ms(what: &str, t: &str) -> Result<u64, CexError> {
    rfc3339_ms(t).ok_or_else(|| CexError::decode(what, format!("bad time {t:?}")))
}

/// `BTC-USD` as a pair.
pub fn pair_of(ticker: &str) -> Result<Pair, CexError> {
    let (base, quote) = ticker
        .split_once('-')
        .ok_or_else(|| CexError::UnknownSymbol(ticker.to_string()))?;
    Ok(Pair::new(Asset::new(base)?, Asset::new(quote)?))
}

/// USDC, the collateral.
pub fn usdc() -> Result<Asset, CexError> {
    Ok(Asset::new("USDC")?)
}

/// sluice's state of an order the indexer reports: `OPEN` / `BEST_EFFORT_OPENED` /
/// `UNTRIGGERED` are open (partially filled once something filled), `FILLED` filled, `CANCELED`
/// and `BEST_EFFORT_CANCELED` cancelled (the latter is the final status the indexer keeps for a
/// short-term cancel; a fill that still lands arrives as a fill).
pub fn order_state(status: IndexerOrderStatus, total_filled: Decimal) -> OrderState {
    match status {
        IndexerOrderStatus::Filled => OrderState::Filled,
        IndexerOrderStatus::Canceled | IndexerOrderStatus::BestEffortCanceled => {
            OrderState::Cancelled
        }
        IndexerOrderStatus::Open
        | IndexerOrderStatus::BestEffortOpened
        | IndexerOrderStatus::Untriggered => {
            if total_filled > Decimal::ZERO {
                OrderState::PartiallyFilled
            } else {
                OrderState::Open
            }
        }
    }
}

/// A REST fill as sluice's [`Fill`] (fee in USDC; the venue order id is the indexer's UUID).
pub fn fill_of(f: &FillDoc) -> Result<Fill, CexError> {
    Ok(Fill {
        venue: VENUE.to_string(),
        trade_id: f.id.clone(),
        client_id: None,
        venue_order_id: f.order_id.clone(),
        pair: pair_of(&f.market)?,
        side: side_of(f.side),
        price: f.price,
        amount: f.size,
        fee_asset: usdc()?,
        fee_amount: f.fee,
        is_maker: f.liquidity == LiquidityDoc::Maker,
        timestamp_ms: iso_ms("fill time", &f.created_at)?,
    })
}

/// A streamed fill as sluice's [`Fill`].
pub fn fill_update_of(f: &FillUpdateDoc) -> Result<Fill, CexError> {
    Ok(Fill {
        venue: VENUE.to_string(),
        trade_id: f.id.clone(),
        client_id: None,
        venue_order_id: f.order_id.clone(),
        pair: pair_of(&f.ticker)?,
        side: side_of(f.side),
        price: f.price,
        amount: f.size,
        fee_asset: usdc()?,
        fee_amount: f
            .fee
            .ok_or_else(|| CexError::decode("streamed fill", format!("{}: no fee", f.id)))?,
        is_maker: f.liquidity == LiquidityDoc::Maker,
        timestamp_ms: iso_ms("fill time", &f.created_at)?,
    })
}

fn side_of(s: OrderSideDoc) -> Side {
    match s {
        OrderSideDoc::Buy => Side::Buy,
        OrderSideDoc::Sell => Side::Sell,
    }
}

/// A perpetual position as sluice's [`Position`] (net, margined in USDC): the size signed by its
/// side, entry notional `entry × |size|` (exact), unrealized PnL and funding as reported.
pub fn position_of(p: &PerpetualPositionDoc) -> Result<Position, CexError> {
    let pair = pair_of(&p.market)?;
    let size = match p.side {
        PositionSideDoc::Long => p.size.abs(),
        PositionSideDoc::Short => -p.size.abs(),
    };
    let mut pos = Position::flat(pair, PositionSide::Net);
    pos.margin_asset = usdc()?;
    pos.size = size;
    pos.entry_notional = p
        .entry_price
        .checked_mul(size.abs())
        .ok_or_else(|| CexError::decode("position", "entry notional overflows"))?;
    pos.entry_price = (!size.is_zero()).then_some(p.entry_price);
    pos.unrealized_pnl = p.unrealized_pnl.unwrap_or(Decimal::ZERO);
    // netFunding is what the position received; sluice counts what it paid
    pos.funding_paid = Some(-p.net_funding);
    Ok(pos)
}

/// A funding payment as sluice's [`FundingPayment`] (positive: received); its id is the
/// market and the block height it settled at.
pub fn funding_payment_of(f: &FundingPaymentDoc) -> Result<FundingPayment, CexError> {
    Ok(FundingPayment {
        pair: pair_of(&f.ticker)?,
        amount: f.payment,
        asset: usdc()?,
        time_ms: iso_ms("funding time", &f.created_at)?,
        id: format!("{}@{}", f.ticker, f.created_at_height),
        position_side: PositionSide::Net,
    })
}

#[cfg(test)]
mod tests;
