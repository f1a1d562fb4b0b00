//! Loopring's REST messages (API v3) as typed values: the exchange's tokens
//! (`/api/v3/exchange/tokens`: id, symbol, decimals, order amount limits as integers in token
//! units) and markets (`/api/v3/exchange/markets`), the next storage id (`/api/v3/storageId`),
//! the API key (`/api/v3/apiKey`), an order's acknowledgement (`POST /api/v3/order`) and the
//! `resultInfo` error every endpoint answers with when it refuses. Malformed answers are errors
//! naming the field, never panics.

use alloy::primitives::U256;
use serde::Deserialize;

/// Why an answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("Loopring {endpoint}: malformed answer: {reason}")]
    Malformed {
        endpoint: &'static str,
        reason: String,
    },
    #[error("Loopring {endpoint}: refused with code {code}: {message}")]
    Refused {
        endpoint: &'static str,
        code: i64,
        message: String,
    },
}

#[derive(Deserialize)]
struct ResultInfo {
    code: i64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "resultInfo")]
    result_info: Option<ResultInfo>,
}

/// Parses `body` as `T`, turning a `resultInfo` with a non-zero code into [`ApiError::Refused`].
pub fn parse<T: for<'de> Deserialize<'de>>(
    endpoint: &'static str,
    body: &[u8],
) -> Result<T, ApiError> {
    if let Ok(Envelope {
        result_info: Some(info),
    }) = serde_json::from_slice::<Envelope>(body)
        && info.code != 0
    {
        return Err(ApiError::Refused {
            endpoint,
            code: info.code,
            message: info.message,
        });
    }
    serde_json::from_slice(body).map_err(|e| ApiError::Malformed {
        endpoint,
        reason: e.to_string(),
    })
}

/// An integer in token units, sent as a decimal string.
fn units(endpoint: &'static str, field: &str, s: &str) -> Result<U256, ApiError> {
    U256::from_str_radix(s, 10).map_err(|_| ApiError::Malformed {
        endpoint,
        reason: format!("{field} {s:?} is not an integer amount"),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOrderAmounts {
    minimum: String,
    maximum: String,
    dust: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawToken {
    token_id: u32,
    symbol: String,
    address: String,
    decimals: u8,
    order_amounts: RawOrderAmounts,
    #[serde(default)]
    precision_for_order: Option<u32>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

/// A token of the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: u32,
    pub symbol: String,
    pub address: String,
    pub decimals: u8,
    /// Order amount limits, in token units.
    pub order_minimum: U256,
    pub order_maximum: U256,
    pub dust: U256,
    /// Decimal places of order amounts (`precisionForOrder`; the decimals, at most 8, if absent).
    pub order_precision: u32,
    pub enabled: bool,
}

/// `/api/v3/exchange/tokens`: a JSON array of tokens.
pub fn parse_tokens(body: &[u8]) -> Result<Vec<Token>, ApiError> {
    const E: &str = "/api/v3/exchange/tokens";
    let raw: Vec<RawToken> = parse(E, body)?;
    raw.into_iter()
        .map(|t| {
            if t.decimals > 36 {
                return Err(ApiError::Malformed {
                    endpoint: E,
                    reason: format!("token {} has {} decimals", t.symbol, t.decimals),
                });
            }
            let order_precision = t
                .precision_for_order
                .unwrap_or(u32::from(t.decimals).min(8))
                .min(u32::from(t.decimals));
            Ok(Token {
                id: t.token_id,
                order_precision,
                order_minimum: units(E, "orderAmounts.minimum", &t.order_amounts.minimum)?,
                order_maximum: units(E, "orderAmounts.maximum", &t.order_amounts.maximum)?,
                dust: units(E, "orderAmounts.dust", &t.order_amounts.dust)?,
                symbol: t.symbol,
                address: t.address,
                decimals: t.decimals,
                enabled: t.enabled,
            })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMarket {
    market: String,
    base_token_id: u32,
    quote_token_id: u32,
    precision_for_price: u32,
    #[serde(default = "yes")]
    enabled: bool,
}

#[derive(Deserialize)]
struct RawMarkets {
    markets: Vec<RawMarket>,
}

/// A market (`LRC-ETH`: base LRC, quote ETH).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketInfo {
    pub market: String,
    pub base_token_id: u32,
    pub quote_token_id: u32,
    /// Decimal places of prices.
    pub price_decimals: u32,
    pub enabled: bool,
}

/// `/api/v3/exchange/markets`: `{"markets":[…]}`.
pub fn parse_markets(body: &[u8]) -> Result<Vec<MarketInfo>, ApiError> {
    const E: &str = "/api/v3/exchange/markets";
    let raw: RawMarkets = parse(E, body)?;
    raw.markets
        .into_iter()
        .map(|m| {
            if m.precision_for_price > 28 {
                return Err(ApiError::Malformed {
                    endpoint: E,
                    reason: format!(
                        "{} prices have {} decimals",
                        m.market, m.precision_for_price
                    ),
                });
            }
            Ok(MarketInfo {
                market: m.market,
                base_token_id: m.base_token_id,
                quote_token_id: m.quote_token_id,
                price_decimals: m.precision_for_price,
                enabled: m.enabled,
            })
        })
        .collect()
}

/// `/api/v3/storageId`: the next storage id of the sell token for an order (`orderId`; even,
/// advancing by 2) and for a transfer (`offchainId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageId {
    pub order_id: u32,
    pub offchain_id: u32,
}

/// `/api/v3/apiKey`: `{"apiKey":"…"}`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyAnswer {
    pub api_key: String,
}

impl std::fmt::Debug for ApiKeyAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeyAnswer { api_key: <redacted> }")
    }
}

/// `POST /api/v3/order` and `DELETE /api/v3/order`: the order's hash, client id and status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAnswer {
    pub hash: String,
    pub client_order_id: String,
    pub status: String,
    #[serde(default)]
    pub is_idempotent: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_markets_in_token_units() {
        let tokens = br#"[{"type":"ERC20","tokenId":0,"symbol":"ETH","name":"Ethereum",
            "address":"0x0000000000000000000000000000000000000000","decimals":18,"precision":7,
            "precisionForOrder":3,"orderAmounts":{"minimum":"5000000000000000",
            "maximum":"1000000000000000000000","dust":"200000000000000"},"enabled":true},
            {"type":"ERC20","tokenId":1,"symbol":"LRC","name":"Loopring",
            "address":"0xbbbbca6a901c926f240b89eacb641d8aec7aeafd","decimals":18,"precision":3,
            "orderAmounts":{"minimum":"5000000000000000000","maximum":"5000000000000000000000000",
            "dust":"5000000000000000000"}}]"#;
        let t = parse_tokens(tokens).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].id, 1);
        assert_eq!(t[1].decimals, 18);
        assert_eq!(t[0].order_minimum, U256::from(5_000_000_000_000_000u64));
        assert!(t[1].enabled);
        assert_eq!((t[0].order_precision, t[1].order_precision), (3, 8));
        let markets = br#"{"markets":[{"market":"LRC-ETH","baseTokenId":1,"quoteTokenId":0,
            "precisionForPrice":6,"orderbookAggLevels":5,"enabled":true}]}"#;
        let m = parse_markets(markets).unwrap();
        assert_eq!(m[0].market, "LRC-ETH");
        assert_eq!((m[0].base_token_id, m[0].quote_token_id), (1, 0));
        assert_eq!(m[0].price_decimals, 6);
    }

    #[test]
    fn refusals_and_malformed_answers_are_errors() {
        let refused = br#"{"resultInfo":{"code":104002,"message":"invalid signature"}}"#;
        assert_eq!(
            parse::<StorageId>("/api/v3/storageId", refused).unwrap_err(),
            ApiError::Refused {
                endpoint: "/api/v3/storageId",
                code: 104002,
                message: "invalid signature".into()
            }
        );
        let s: StorageId =
            parse("/api/v3/storageId", br#"{"orderId":4,"offchainId":1001}"#).unwrap();
        assert_eq!((s.order_id, s.offchain_id), (4, 1001));
        let bad_amount = br#"[{"tokenId":0,"symbol":"ETH","address":"0x0","decimals":18,
            "orderAmounts":{"minimum":"1e18","maximum":"1","dust":"1"}}]"#;
        assert!(matches!(
            parse_tokens(bad_amount),
            Err(ApiError::Malformed { .. })
        ));
        assert!(parse_markets(b"<html>").is_err());
        assert!(parse_tokens(br#"{"markets":[]}"#).is_err());
        let key: ApiKeyAnswer = parse("/api/v3/apiKey", br#"{"apiKey":"s3cr3t"}"#).unwrap();
        assert!(!format!("{key:?}").contains("s3cr3t"));
    }
}
