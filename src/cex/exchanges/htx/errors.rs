//! HTX's error codes and what they mean. v1 answers an error with
//! `{"status":"error","err-code":"order-value-min-error","err-msg":"…"}` (v2 with a numeric
//! `code` and `message`): the code is a string. The framework's error carries a number, so each
//! code this table knows has a stable number (its row, from 1; 0 for one it does not know) and the
//! error message starts with the code itself. v2's numeric codes are kept as they are, offset by
//! [`V2_BASE`] so the two never collide.

use crate::cex::error::ApiErrorKind;

/// Every v1 `err-code` the connector tells apart, with what it means. The row number (from 1) is
/// the code a [`CexError::Api`](crate::cex::error::CexError::Api) carries.
pub const CODES: &[(&str, ApiErrorKind)] = &[
    ("api-signature-not-valid", ApiErrorKind::Authentication),
    ("api-signature-check-failed", ApiErrorKind::Authentication),
    ("login-required", ApiErrorKind::Authentication),
    ("invalid-access-key-id", ApiErrorKind::Authentication),
    ("api-not-support-temp-addr", ApiErrorKind::Authentication),
    ("forbidden-trade-for-open-protect", ApiErrorKind::Rejected),
    ("api-key-invalid", ApiErrorKind::Authentication),
    ("invalid-timestamp", ApiErrorKind::Timestamp),
    ("request-timeout", ApiErrorKind::Timestamp),
    ("too-many-request", ApiErrorKind::RateLimited),
    ("api-rate-limit", ApiErrorKind::RateLimited),
    ("base-symbol-error", ApiErrorKind::UnknownSymbol),
    ("invalid-symbol", ApiErrorKind::UnknownSymbol),
    ("base-symbol-trade-disabled", ApiErrorKind::UnknownSymbol),
    ("base-record-invalid", ApiErrorKind::UnknownOrder),
    ("order-orderstate-error", ApiErrorKind::Rejected),
    ("order-queryorder-invalid", ApiErrorKind::UnknownOrder),
    ("order-update-error", ApiErrorKind::Rejected),
    (
        "account-frozen-balance-insufficient-error",
        ApiErrorKind::InsufficientBalance,
    ),
    (
        "account-balance-insufficient-error",
        ApiErrorKind::InsufficientBalance,
    ),
    ("insufficient-balance", ApiErrorKind::InsufficientBalance),
    ("order-value-min-error", ApiErrorKind::RejectedByRule),
    (
        "order-limitorder-amount-min-error",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "order-limitorder-amount-max-error",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "order-marketorder-amount-min-error",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "order-orderprice-precision-error",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "order-orderamount-precision-error",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "order-limitorder-price-min-error",
        ApiErrorKind::RejectedByRule,
    ),
    (
        "order-limitorder-price-max-error",
        ApiErrorKind::RejectedByRule,
    ),
    ("order-holding-limit-failed", ApiErrorKind::RejectedByRule),
    (
        "order-price-greater-than-limit",
        ApiErrorKind::RejectedByRule,
    ),
    ("order-price-less-than-limit", ApiErrorKind::RejectedByRule),
    ("order-disabled", ApiErrorKind::Rejected),
    ("invalid-client-order-id", ApiErrorKind::Rejected),
    ("invalid-parameter", ApiErrorKind::Rejected),
    ("bad-request", ApiErrorKind::Rejected),
    ("system-maintenance", ApiErrorKind::Rejected),
];

/// v2 numeric codes are carried as `V2_BASE + code`.
pub const V2_BASE: i64 = 1_000_000;

/// v2 codes (`{"code":…,"message":…}`, private WebSocket and `/v2` REST).
pub mod v2 {
    /// Success.
    pub const OK: i64 = 200;
    /// Authentication failed / signature invalid.
    pub const AUTH_FAILED: i64 = 2002;
    /// Invalid parameter / missing field.
    pub const INVALID_PARAM: i64 = 2001;
    /// Too many requests.
    pub const RATE_LIMITED: i64 = 4000;
    /// Internal error.
    pub const INTERNAL: i64 = 500;
}

/// The code of v1 `err-code` `label`: its row in [`CODES`] from 1, or 0 for one not listed.
pub fn code_of(label: &str) -> i64 {
    CODES
        .iter()
        .position(|(l, _)| *l == label)
        .map_or(0, |i| i64::try_from(i + 1).unwrap_or(0))
}

/// The `err-code` of a code from [`code_of`].
pub fn label_of(code: i64) -> Option<&'static str> {
    let i = usize::try_from(code).ok()?.checked_sub(1)?;
    CODES.get(i).map(|(l, _)| *l)
}

/// What an error means: a v1 code's row, a v2 code, else the HTTP status (401/403
/// authentication, 429 a rate limit), else a plain refusal.
pub fn classify(status: u16, code: i64) -> ApiErrorKind {
    if let Some(i) = usize::try_from(code).ok().and_then(|c| c.checked_sub(1))
        && let Some((_, kind)) = CODES.get(i)
    {
        return *kind;
    }
    match code.checked_sub(V2_BASE) {
        Some(v2::AUTH_FAILED) => return ApiErrorKind::Authentication,
        Some(v2::RATE_LIMITED) => return ApiErrorKind::RateLimited,
        _ => {}
    }
    match status {
        401 | 403 => ApiErrorKind::Authentication,
        429 => ApiErrorKind::RateLimited,
        _ => ApiErrorKind::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_typed_errors() {
        let k = |status, label: &str| classify(status, code_of(label));
        assert_eq!(
            k(200, "account-frozen-balance-insufficient-error"),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(
            k(200, "order-value-min-error"),
            ApiErrorKind::RejectedByRule
        );
        assert_eq!(k(200, "base-symbol-error"), ApiErrorKind::UnknownSymbol);
        assert_eq!(
            k(200, "api-signature-not-valid"),
            ApiErrorKind::Authentication
        );
        assert_eq!(k(200, "login-required"), ApiErrorKind::Authentication);
        assert_eq!(k(200, "too-many-request"), ApiErrorKind::RateLimited);
        assert_eq!(k(200, "base-record-invalid"), ApiErrorKind::UnknownOrder);
        assert_eq!(k(429, "no-such-code"), ApiErrorKind::RateLimited);
        assert_eq!(k(200, "no-such-code"), ApiErrorKind::Rejected);
        assert_eq!(
            classify(200, V2_BASE + v2::AUTH_FAILED),
            ApiErrorKind::Authentication
        );
        assert_eq!(label_of(code_of("login-required")), Some("login-required"));
        assert_eq!(code_of("no-such-code"), 0);
        assert_eq!(label_of(0), None);
    }
}
