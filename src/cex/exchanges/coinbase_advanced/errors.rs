//! Coinbase Advanced Trade's error words and what they mean. The REST API answers a refused call
//! with an HTTP status and `{"error":"NOT_FOUND","message":"…","error_details":"…"}` (gRPC-style
//! words: `INVALID_ARGUMENT`, `UNAUTHENTICATED`, `PERMISSION_DENIED`, `NOT_FOUND`,
//! `RESOURCE_EXHAUSTED`, …); a refused order is a 200 with `"success":false` and an
//! `error_response` whose `error` (and `preview_failure_reason` / `new_order_failure_reason`)
//! names the reason (`INSUFFICIENT_FUND`, `INVALID_PRODUCT_ID`, `INVALID_LIMIT_PRICE_POST_ONLY`,
//! …); a refused cancel is a `failure_reason` per order. The framework's error carries a number,
//! so each word this table knows has a stable number (its row, from 1; 0 for a word it does not
//! know) and the error message starts with the word itself.

use crate::cex::error::ApiErrorKind;

/// Every word the connector tells apart, with what it means. The row number (from 1) is the code
/// a [`CexError::Api`](crate::cex::error::CexError::Api) carries.
pub const WORDS: &[(&str, ApiErrorKind)] = &[
    ("UNAUTHENTICATED", ApiErrorKind::Authentication),
    ("PERMISSION_DENIED", ApiErrorKind::Authentication),
    ("INVALID_API_KEY", ApiErrorKind::Authentication),
    ("RESOURCE_EXHAUSTED", ApiErrorKind::RateLimited),
    ("RATE_LIMIT_EXCEEDED", ApiErrorKind::RateLimited),
    ("INVALID_PRODUCT_ID", ApiErrorKind::UnknownSymbol),
    ("PREVIEW_INVALID_PRODUCT_ID", ApiErrorKind::UnknownSymbol),
    ("PRODUCT_NOT_FOUND", ApiErrorKind::UnknownSymbol),
    ("NOT_FOUND", ApiErrorKind::UnknownOrder),
    ("UNKNOWN_CANCEL_ORDER", ApiErrorKind::UnknownOrder),
    ("INSUFFICIENT_FUND", ApiErrorKind::InsufficientBalance),
    ("INSUFFICIENT_FUNDS", ApiErrorKind::InsufficientBalance),
    (
        "PREVIEW_INSUFFICIENT_FUND",
        ApiErrorKind::InsufficientBalance,
    ),
    (
        "INVALID_LIMIT_PRICE_POST_ONLY",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY",
        ApiErrorKind::RejectedByRule,
    ),
    ("INVALID_SIZE_PRECISION", ApiErrorKind::RejectedByRule),
    ("INVALID_PRICE_PRECISION", ApiErrorKind::RejectedByRule),
    ("INVALID_LIMIT_PRICE", ApiErrorKind::RejectedByRule),
    (
        "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "PREVIEW_INVALID_BASE_SIZE_TOO_LARGE",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL",
        ApiErrorKind::RejectedByRule,
    ),
    ("INVALID_NO_LIQUIDITY", ApiErrorKind::RejectedByRule),
    ("ORDER_ENTRY_DISABLED", ApiErrorKind::RejectedByRule),
    ("INELIGIBLE_PAIR", ApiErrorKind::RejectedByRule),
    ("INVALID_ARGUMENT", ApiErrorKind::Rejected),
    ("INVALID_REQUEST", ApiErrorKind::Rejected),
    ("UNSUPPORTED_ORDER_CONFIGURATION", ApiErrorKind::Rejected),
    ("INVALID_SIDE", ApiErrorKind::Rejected),
    ("DUPLICATE_CANCEL_REQUEST", ApiErrorKind::Rejected),
    ("INVALID_CANCEL_REQUEST", ApiErrorKind::Rejected),
    ("COMMANDER_REJECTED_CANCEL_ORDER", ApiErrorKind::Rejected),
    ("UNKNOWN_FAILURE_REASON", ApiErrorKind::Rejected),
    ("INTERNAL", ApiErrorKind::Rejected),
    ("UNAVAILABLE", ApiErrorKind::Rejected),
];

/// The code of `word`: its row in [`WORDS`] from 1, or 0 for a word not in the table.
pub fn code_of(word: &str) -> i64 {
    WORDS
        .iter()
        .position(|(w, _)| *w == word)
        .map_or(0, |i| i64::try_from(i + 1).unwrap_or(0))
}

/// The word of a code from [`code_of`].
pub fn word_of(code: i64) -> Option<&'static str> {
    let i = usize::try_from(code).ok()?.checked_sub(1)?;
    WORDS.get(i).map(|(w, _)| *w)
}

/// What an error means: the word's row, else by HTTP status (401/403 authentication, 404 an
/// unknown order, 429 a rate limit), else a plain refusal.
pub fn classify(status: u16, code: i64) -> ApiErrorKind {
    if let Some(w) = word_of(code)
        && let Some((_, kind)) = WORDS.iter().find(|(x, _)| *x == w)
    {
        return *kind;
    }
    match status {
        401 | 403 => ApiErrorKind::Authentication,
        404 => ApiErrorKind::UnknownOrder,
        429 => ApiErrorKind::RateLimited,
        _ => ApiErrorKind::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_map_to_typed_errors() {
        let k = |status, word: &str| classify(status, code_of(word));
        assert_eq!(
            k(200, "INSUFFICIENT_FUND"),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(k(200, "INVALID_PRODUCT_ID"), ApiErrorKind::UnknownSymbol);
        assert_eq!(k(429, "RESOURCE_EXHAUSTED"), ApiErrorKind::RateLimited);
        assert_eq!(k(401, "UNAUTHENTICATED"), ApiErrorKind::Authentication);
        assert_eq!(k(404, "NOT_FOUND"), ApiErrorKind::UnknownOrder);
        assert_eq!(
            k(200, "INVALID_LIMIT_PRICE_POST_ONLY"),
            ApiErrorKind::RejectedByRule
        );
        assert_eq!(code_of("SOMETHING_NEW"), 0);
        assert_eq!(k(403, "SOMETHING_NEW"), ApiErrorKind::Authentication);
        assert_eq!(k(400, "SOMETHING_NEW"), ApiErrorKind::Rejected);
        for (i, (word, _)) in WORDS.iter().enumerate() {
            assert_eq!(word_of(code_of(word)), Some(*word), "row {i}");
        }
        assert_eq!(word_of(0), None);
        assert_eq!(word_of(-3), None);
    }
}
