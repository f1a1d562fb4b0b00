//! Kraken's error strings and what they mean. Kraken answers every REST call with
//! `{"error":[…],"result":…}`: an error is a string `<severity><category>:<message>` (`EOrder:Insufficient
//! funds`, `EAPI:Invalid nonce`, …), mostly with HTTP 200. [`classify`] turns one into the
//! framework's [`ApiErrorKind`]; [`code`] gives it a stable number (the framework's errors carry
//! one), the index in Kraken's documented list (`0`: not in the list).

use crate::cex::error::ApiErrorKind;

/// Kraken's documented error strings (docs.kraken.com, "Spot REST API errors"), with their kind.
/// The position in this table (from 1) is the error's code in [`CexError::Api`](crate::cex::error::CexError).
pub const TABLE: &[(&str, ApiErrorKind)] = &[
    ("EGeneral:Invalid arguments", ApiErrorKind::Rejected),
    (
        "EGeneral:Invalid arguments:Index unavailable",
        ApiErrorKind::Rejected,
    ),
    ("EGeneral:Temporary lockout", ApiErrorKind::RateLimited),
    ("EGeneral:Permission denied", ApiErrorKind::Authentication),
    ("EGeneral:Unknown method", ApiErrorKind::Rejected),
    ("EGeneral:Internal error", ApiErrorKind::Rejected),
    ("EGeneral:Too many requests", ApiErrorKind::RateLimited),
    ("EService:Unavailable", ApiErrorKind::Rejected),
    ("EService:Busy", ApiErrorKind::Rejected),
    (
        "EService:Market in cancel_only mode",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "EService:Market in post_only mode",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "EService:Market in limit_only mode",
        ApiErrorKind::RejectedByRule,
    ),
    ("EService:Deadline elapsed", ApiErrorKind::Rejected),
    ("EService:Throttled", ApiErrorKind::RateLimited),
    ("EAPI:Invalid key", ApiErrorKind::Authentication),
    ("EAPI:Invalid signature", ApiErrorKind::Authentication),
    ("EAPI:Invalid nonce", ApiErrorKind::Timestamp),
    ("EAPI:Rate limit exceeded", ApiErrorKind::RateLimited),
    ("EAPI:Feature disabled", ApiErrorKind::Rejected),
    ("EAPI:Bad request", ApiErrorKind::Rejected),
    ("EAccount:Invalid permissions", ApiErrorKind::Authentication),
    ("EQuery:Unknown asset pair", ApiErrorKind::UnknownSymbol),
    ("EQuery:Unknown asset", ApiErrorKind::UnknownSymbol),
    (
        "EOrder:Insufficient funds",
        ApiErrorKind::InsufficientBalance,
    ),
    (
        "EOrder:Insufficient margin",
        ApiErrorKind::InsufficientBalance,
    ),
    (
        "EOrder:Margin allowance exceeded",
        ApiErrorKind::InsufficientBalance,
    ),
    ("EOrder:Order minimum not met", ApiErrorKind::RejectedByRule),
    ("EOrder:Cost minimum not met", ApiErrorKind::RejectedByRule),
    (
        "EOrder:Tick size check failed",
        ApiErrorKind::RejectedByRule,
    ),
    ("EOrder:Invalid price", ApiErrorKind::RejectedByRule),
    ("EOrder:Post only order", ApiErrorKind::RejectedByRule),
    ("EOrder:Orders limit exceeded", ApiErrorKind::RateLimited),
    ("EOrder:Rate limit exceeded", ApiErrorKind::RateLimited),
    (
        "EOrder:Domain rate limit exceeded",
        ApiErrorKind::RateLimited,
    ),
    (
        "EOrder:Positions limit exceeded",
        ApiErrorKind::RejectedByRule,
    ),
    ("EOrder:Unknown position", ApiErrorKind::Rejected),
    ("EOrder:Unknown order", ApiErrorKind::UnknownOrder),
    ("EOrder:Invalid order", ApiErrorKind::Rejected),
    ("EOrder:Cannot open position", ApiErrorKind::RejectedByRule),
    ("EOrder:Duplicate order", ApiErrorKind::Rejected),
];

/// The documented entry `err` is (an exact match, or the entry it extends: `EService:Throttled:
/// 1700000000` is `EService:Throttled`); the longest match wins.
fn entry(err: &str) -> Option<(usize, ApiErrorKind)> {
    let err = err.trim();
    TABLE
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| {
            err == *s || (err.starts_with(s) && err.as_bytes().get(s.len()) == Some(&b':'))
        })
        .max_by_key(|(_, (s, _))| s.len())
        .map(|(i, (_, k))| (i, *k))
}

/// The stable code of an error string: its position in [`TABLE`] from 1, or 0.
pub fn code(err: &str) -> i64 {
    entry(err).map_or(0, |(i, _)| i64::try_from(i + 1).unwrap_or(0))
}

/// What an error string means. Strings not in the table go by their category: `EAPI:` (keys and
/// signatures) is authentication, `EQuery:` an unknown name, anything else a plain refusal; an
/// HTTP 401/403 is authentication whatever it says.
pub fn classify(status: u16, err: &str) -> ApiErrorKind {
    if let Some((_, k)) = entry(err) {
        return k;
    }
    if status == 401 || status == 403 {
        return ApiErrorKind::Authentication;
    }
    let lower = err.to_ascii_lowercase();
    if lower.contains("rate limit") || lower.contains("throttled") {
        return ApiErrorKind::RateLimited;
    }
    match err.split(':').next().unwrap_or_default() {
        "EAPI" | "EAccount" => ApiErrorKind::Authentication,
        "EQuery" => ApiErrorKind::UnknownSymbol,
        _ => ApiErrorKind::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_strings_map_to_typed_errors() {
        let k = |e| classify(200, e);
        assert_eq!(
            k("EOrder:Insufficient funds"),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(k("EGeneral:Invalid arguments"), ApiErrorKind::Rejected);
        assert_eq!(
            k("EGeneral:Invalid arguments:volume"),
            ApiErrorKind::Rejected
        );
        assert_eq!(k("EAPI:Invalid nonce"), ApiErrorKind::Timestamp);
        assert_eq!(k("EAPI:Rate limit exceeded"), ApiErrorKind::RateLimited);
        assert_eq!(k("EOrder:Rate limit exceeded"), ApiErrorKind::RateLimited);
        assert_eq!(k("EAPI:Invalid key"), ApiErrorKind::Authentication);
        assert_eq!(k("EAPI:Invalid signature"), ApiErrorKind::Authentication);
        assert_eq!(k("EQuery:Unknown asset pair"), ApiErrorKind::UnknownSymbol);
        assert_eq!(k("EOrder:Unknown order"), ApiErrorKind::UnknownOrder);
        assert_eq!(k("EOrder:Post only order"), ApiErrorKind::RejectedByRule);
        assert_eq!(
            k("EService:Throttled: 1700000000"),
            ApiErrorKind::RateLimited
        );
        assert_eq!(k("EService:Unavailable"), ApiErrorKind::Rejected);
        // not in the table: by category
        assert_eq!(k("EAPI:Something new"), ApiErrorKind::Authentication);
        assert_eq!(k("EFunding:Unknown"), ApiErrorKind::Rejected);
        assert_eq!(classify(403, "<html>"), ApiErrorKind::Authentication);
    }

    #[test]
    fn codes_are_stable_positions() {
        assert_eq!(code("EGeneral:Invalid arguments"), 1);
        assert_eq!(code("EGeneral:Invalid arguments:Index unavailable"), 2);
        assert_eq!(code("EGeneral:Invalid arguments:price"), 1);
        assert!(code("EOrder:Insufficient funds") > 0);
        assert_eq!(code("nonsense"), 0);
        // prefixes only match at a ':' boundary
        assert_eq!(code("EAPI:Invalid keys"), 0);
    }
}
