//! Funding payments from the income history, `GET /fapi/v1/income?incomeType=FUNDING_FEE`
//! (weight 30): each record's `tranId` is the payment's id, its signed `income` the amount (positive
//! when received). Paged by time: the endpoint answers at most `limit` records from `startTime`
//! (inclusive) on, oldest first, so the next page starts at the last record's time and the records
//! already seen there are dropped by id.

use std::collections::HashSet;

use reqwest::Method;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::venue::Markets;
use crate::core::{Asset, FundingPayment, PositionSide};

use super::api::{REQUEST_WEIGHT, decode};

/// Records per page, the endpoint's maximum.
pub const PAGE: usize = 1000;
/// Pages read at most in one call (a million records), so a venue that keeps answering full
/// pages cannot hold the caller forever.
const MAX_PAGES: usize = 1000;

/// One income record.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomeRecord {
    #[serde(default)]
    pub symbol: String,
    pub income_type: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub income: Decimal,
    pub asset: String,
    pub time: u64,
    /// A number in the futures answer, a string in some sibling APIs: both are taken.
    #[serde(deserialize_with = "number_or_string")]
    pub tran_id: String,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u64),
        Text(String),
    }
    Ok(match Id::deserialize(d)? {
        Id::Number(n) => n.to_string(),
        Id::Text(s) => s,
    })
}

impl IncomeRecord {
    /// The funding payment of a `FUNDING_FEE` record on a known symbol (`None` for other records
    /// and other symbols).
    pub fn to_payment(&self, markets: &Markets) -> Result<Option<FundingPayment>, CexError> {
        if self.income_type != "FUNDING_FEE" {
            return Ok(None);
        }
        let Some(pair) = markets.pair_of(&self.symbol) else {
            return Ok(None);
        };
        if self.tran_id.is_empty() {
            return Err(CexError::decode(
                "income",
                "a funding record without tranId",
            ));
        }
        Ok(Some(FundingPayment {
            pair: pair.clone(),
            amount: self.income,
            asset: Asset::new(&self.asset)?,
            time_ms: self.time,
            id: self.tran_id.clone(),
            // the income record does not say which side of a hedge-mode position it settled
            position_side: PositionSide::Net,
        }))
    }
}

/// The request for one page from `start_ms` on.
pub fn income_request(symbol: Option<&str>, start_ms: u64) -> ApiRequest {
    let mut req = ApiRequest::new(Method::GET, "/fapi/v1/income")
        .param("incomeType", "FUNDING_FEE")
        .param("startTime", start_ms)
        .param("limit", PAGE)
        .signed()
        .cost(REQUEST_WEIGHT, 30);
    if let Some(s) = symbol {
        req = req.param("symbol", s);
    }
    req
}

/// Every funding payment of `symbol` (or all) since `since_ms`, oldest first, each once.
pub async fn funding_payments(
    rest: &RestClient,
    markets: &Markets,
    symbol: Option<&str>,
    since_ms: u64,
) -> Result<Vec<FundingPayment>, CexError> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut start = since_ms;
    for _ in 0..MAX_PAGES {
        let page: Vec<IncomeRecord> = decode(
            "income",
            &rest.request(&income_request(symbol, start)).await?,
        )?;
        let full = page.len() >= PAGE;
        let mut last = start;
        for r in &page {
            if r.time < start {
                return Err(CexError::decode(
                    "income",
                    format!(
                        "record {} at {} before startTime {start}",
                        r.tran_id, r.time
                    ),
                ));
            }
            last = last.max(r.time);
            if !seen.insert(format!("{}:{}", r.income_type, r.tran_id)) {
                continue;
            }
            if let Some(p) = r.to_payment(markets)? {
                out.push(p);
            }
        }
        if !full {
            return Ok(out);
        }
        if last == start {
            // a whole page at one millisecond: the rest of it cannot be reached by time
            return Err(CexError::decode(
                "income",
                format!("more than {PAGE} records at {start}: not pageable by time"),
            ));
        }
        start = last;
    }
    Err(CexError::decode(
        "income",
        format!("more than {MAX_PAGES} pages of funding records since {since_ms}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::http::encode_query;

    #[test]
    fn records_parse_and_only_funding_fees_count() {
        let body = br#"[
          {"symbol":"BTCUSDT","incomeType":"FUNDING_FEE","income":"-0.01250000","asset":"USDT",
           "info":"","time":1570636800000,"tranId":9689322392,"tradeId":""},
          {"symbol":"BTCUSDT","incomeType":"COMMISSION","income":"-0.01000000","asset":"USDT",
           "info":"","time":1570636800001,"tranId":9689322393,"tradeId":"2059192"}
        ]"#;
        let recs: Vec<IncomeRecord> = decode("income", body).unwrap();
        assert_eq!(recs[0].tran_id, "9689322392");
        assert_eq!(recs[0].income, Decimal::new(-125, 4));
        assert_eq!(recs[1].income_type, "COMMISSION");
        assert_eq!(
            encode_query(&income_request(Some("BTCUSDT"), 7).params),
            "incomeType=FUNDING_FEE&startTime=7&limit=1000&symbol=BTCUSDT"
        );
        // hostile: a non-numeric amount is a typed error, not a panic
        let bad = br#"[{"symbol":"BTCUSDT","incomeType":"FUNDING_FEE","income":"x","asset":"USDT","time":1,"tranId":1}]"#;
        assert!(decode::<Vec<IncomeRecord>>("income", bad).is_err());
    }
}
