//! KuCoin's error codes and what they mean: [`classify`] turns a response's `code` (a numeric
//! string; `"200000"` is success) into the framework's [`ApiErrorKind`] (authentication,
//! timestamp, rate limit, unknown symbol or order, insufficient balance, a trading rule), and the
//! codes the connector and the simulator share by name. Codes from KuCoin's spot error-code table.

use crate::cex::error::ApiErrorKind;

/// KuCoin error codes (`code` of a response).
pub mod code {
    /// Success.
    pub const OK: i64 = 200_000;
    /// Order creation for this pair suspended / account frozen / insufficient balance (the
    /// classic "Balance insufficient!").
    pub const INSUFFICIENT_BALANCE: i64 = 200_004;
    /// `KC-API-KEY` header missing.
    pub const KEY_MISSING: i64 = 400_001;
    /// `KC-API-TIMESTAMP` invalid (outside the 5 s window).
    pub const INVALID_TIMESTAMP: i64 = 400_002;
    /// `KC-API-KEY` does not exist.
    pub const KEY_NOT_FOUND: i64 = 400_003;
    /// `KC-API-PASSPHRASE` error.
    pub const PASSPHRASE_INCORRECT: i64 = 400_004;
    /// Signature error.
    pub const INVALID_SIGN: i64 = 400_005;
    /// The request IP is not in the key's whitelist.
    pub const IP_NOT_ALLOWED: i64 = 400_006;
    /// Access denied: the key lacks the permission.
    pub const ACCESS_DENIED: i64 = 400_007;
    /// Parameter error / insufficient balance for an order (per the docs' order-placement table).
    pub const INVALID_PARAMETER: i64 = 400_100;
    /// The order would trade beyond the price protection / a post-only order would take.
    pub const PRICE_PROTECTION: i64 = 400_350;
    /// An order rule refused the request (size, funds, precision).
    pub const RULE_REFUSED: i64 = 400_500;
    /// Too many requests (HTTP 429).
    pub const RATE_LIMITED: i64 = 429_000;
    /// Internal error.
    pub const INTERNAL: i64 = 500_000;
    /// Symbol does not exist.
    pub const SYMBOL_NOT_FOUND: i64 = 900_001;
}

/// What a KuCoin error means. HTTP 401 is authentication whatever the code; 429 a rate limit. A
/// `400100` whose message speaks of the balance is an insufficient balance (KuCoin reuses the
/// parameter code for it), otherwise a refusal by rule.
pub fn classify(status: u16, code: i64, msg: &str) -> ApiErrorKind {
    use code::*;
    match code {
        RATE_LIMITED => ApiErrorKind::RateLimited,
        INVALID_TIMESTAMP => ApiErrorKind::Timestamp,
        KEY_MISSING | KEY_NOT_FOUND | PASSPHRASE_INCORRECT | INVALID_SIGN | IP_NOT_ALLOWED
        | ACCESS_DENIED => ApiErrorKind::Authentication,
        SYMBOL_NOT_FOUND => ApiErrorKind::UnknownSymbol,
        INSUFFICIENT_BALANCE => ApiErrorKind::InsufficientBalance,
        INVALID_PARAMETER if lower(msg).contains("balance") => ApiErrorKind::InsufficientBalance,
        // a query of an order KuCoin does not have; a cancel's "not exist or not allow to
        // cancel" may be a closed order, a refusal
        INVALID_PARAMETER if is_unknown_order(msg) => ApiErrorKind::UnknownOrder,
        INVALID_PARAMETER if lower(msg).contains("cancel") => ApiErrorKind::Rejected,
        INVALID_PARAMETER | PRICE_PROTECTION | RULE_REFUSED => ApiErrorKind::RejectedByRule,
        _ if status == 401 || status == 403 => ApiErrorKind::Authentication,
        _ if status == 429 => ApiErrorKind::RateLimited,
        _ if status == 404 && is_unknown_order(msg) => ApiErrorKind::UnknownOrder,
        _ => ApiErrorKind::Rejected,
    }
}

fn lower(msg: &str) -> String {
    msg.to_ascii_lowercase()
}

/// The message of a query for an order KuCoin does not have (`order not exist.`), not the
/// cancel's ambiguous `order_not_exist_or_not_allow_to_cancel`.
pub fn is_unknown_order(msg: &str) -> bool {
    let m = lower(msg).replace('_', " ");
    m.contains("not exist") && !m.contains("not allow")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_typed_errors() {
        let k = |status, code| classify(status, code, "");
        assert_eq!(k(200, 200_004), ApiErrorKind::InsufficientBalance);
        assert_eq!(
            classify(400, 400_100, "Balance insufficient!"),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(k(400, 400_100), ApiErrorKind::RejectedByRule);
        assert_eq!(k(400, 900_001), ApiErrorKind::UnknownSymbol);
        assert_eq!(k(429, 429_000), ApiErrorKind::RateLimited);
        assert_eq!(k(200, 429_000), ApiErrorKind::RateLimited);
        for c in [400_001, 400_003, 400_004, 400_005, 400_006, 400_007] {
            assert_eq!(k(401, c), ApiErrorKind::Authentication, "{c}");
        }
        assert_eq!(k(401, 400_002), ApiErrorKind::Timestamp);
        assert_eq!(
            classify(400, 400_100, "order not exist."),
            ApiErrorKind::UnknownOrder
        );
        assert_eq!(
            classify(400, 400_100, "order_not_exist_or_not_allow_to_cancel"),
            ApiErrorKind::Rejected
        );
        assert_eq!(k(400, 400_350), ApiErrorKind::RejectedByRule);
        assert_eq!(k(400, 400_500), ApiErrorKind::RejectedByRule);
        assert_eq!(k(401, 1), ApiErrorKind::Authentication);
        assert_eq!(k(500, 500_000), ApiErrorKind::Rejected);
    }
}
