//! Coinbase Exchange's errors and what they mean. The API answers an error with an HTTP status and
//! a body `{"message":"Insufficient funds"}`: no code, only a sentence. Each sentence this table
//! knows (matched case-insensitively as a prefix of the message) has a stable number — its row,
//! from 1; 0 for a message it does not know — which is the code a
//! [`CexError::Api`](crate::cex::error::CexError::Api) carries.

use crate::cex::error::ApiErrorKind;

/// Every message the connector tells apart (lower case, matched as a prefix), with its meaning.
pub const MESSAGES: &[(&str, ApiErrorKind)] = &[
    ("invalid api key", ApiErrorKind::Authentication),
    ("invalid signature", ApiErrorKind::Authentication),
    ("invalid passphrase", ApiErrorKind::Authentication),
    (
        "cb-access-key header is required",
        ApiErrorKind::Authentication,
    ),
    ("forbidden", ApiErrorKind::Authentication),
    ("request timestamp expired", ApiErrorKind::Timestamp),
    ("invalid timestamp", ApiErrorKind::Timestamp),
    ("public rate limit exceeded", ApiErrorKind::RateLimited),
    ("private rate limit exceeded", ApiErrorKind::RateLimited),
    ("product not found", ApiErrorKind::UnknownSymbol),
    ("notfound", ApiErrorKind::UnknownOrder),
    ("order not found", ApiErrorKind::UnknownOrder),
    ("insufficient funds", ApiErrorKind::InsufficientBalance),
    ("post only mode", ApiErrorKind::RejectedByRule),
    ("size is too small", ApiErrorKind::RejectedByRule),
    ("size is too large", ApiErrorKind::RejectedByRule),
    ("funds is too small", ApiErrorKind::RejectedByRule),
    ("invalid price_increment", ApiErrorKind::RejectedByRule),
    ("invalid base_increment", ApiErrorKind::RejectedByRule),
    ("price is too precise", ApiErrorKind::RejectedByRule),
    ("size is too accurate", ApiErrorKind::RejectedByRule),
    ("order would execute as taker", ApiErrorKind::RejectedByRule),
    ("order already done", ApiErrorKind::Rejected),
    ("duplicate client_oid", ApiErrorKind::Rejected),
    ("invalid client_oid", ApiErrorKind::Rejected),
    ("bad request", ApiErrorKind::Rejected),
    ("internal server error", ApiErrorKind::Rejected),
];

/// The code of `message`: the row (from 1) of the first known sentence it starts with, else 0.
pub fn code_of(message: &str) -> i64 {
    let m = message.trim().to_ascii_lowercase();
    MESSAGES
        .iter()
        .position(|(p, _)| m.starts_with(p))
        .map_or(0, |i| i64::try_from(i + 1).unwrap_or(0))
}

/// What an error means: the message's row, else by HTTP status (401/403 authentication, 404 an
/// unknown order, 429 a rate limit), else a plain refusal.
pub fn classify(status: u16, code: i64) -> ApiErrorKind {
    if let Some(i) = usize::try_from(code).ok().and_then(|c| c.checked_sub(1))
        && let Some((_, kind)) = MESSAGES.get(i)
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
    fn messages_map_to_typed_errors() {
        let k = |status, msg: &str| classify(status, code_of(msg));
        assert_eq!(
            k(400, "Insufficient funds"),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(k(400, "Product not found"), ApiErrorKind::UnknownSymbol);
        assert_eq!(
            k(429, "Private rate limit exceeded"),
            ApiErrorKind::RateLimited
        );
        assert_eq!(k(401, "Invalid API Key"), ApiErrorKind::Authentication);
        assert_eq!(k(401, "invalid signature"), ApiErrorKind::Authentication);
        assert_eq!(k(400, "request timestamp expired"), ApiErrorKind::Timestamp);
        assert_eq!(k(404, "NotFound"), ApiErrorKind::UnknownOrder);
        assert_eq!(
            k(400, "size is too small. Minimum size is 0.001"),
            ApiErrorKind::RejectedByRule
        );
        assert_eq!(k(400, "Post only mode"), ApiErrorKind::RejectedByRule);
        // an unknown sentence falls back on the status
        assert_eq!(code_of("something new"), 0);
        assert_eq!(k(403, "something new"), ApiErrorKind::Authentication);
        assert_eq!(k(404, "something new"), ApiErrorKind::UnknownOrder);
        assert_eq!(k(400, "something new"), ApiErrorKind::Rejected);
        for (i, (m, _)) in MESSAGES.iter().enumerate() {
            assert_eq!(code_of(m), i64::try_from(i + 1).unwrap(), "row {i}");
        }
    }
}
