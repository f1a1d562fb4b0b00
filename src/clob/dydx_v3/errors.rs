//! dYdX v3's errors → the typed errors. The API sends no numeric code: an HTTP status and a
//! message (`{"errors":[{"msg":…}]}`); 401 is a refused key or signature, 404 an unknown order
//! or market, 429 the rate limit, and the 400 messages say which rule refused an order.

use crate::cex::error::ApiErrorKind;

/// The kind of an error answer of status `status` and message `msg`.
pub fn classify(status: u16, msg: &str) -> ApiErrorKind {
    let m = msg.to_ascii_lowercase();
    match status {
        401 | 403 => return ApiErrorKind::Authentication,
        429 => return ApiErrorKind::RateLimited,
        _ => {}
    }
    if m.contains("signature") || m.contains("api key") || m.contains("apikey") {
        ApiErrorKind::Authentication
    } else if m.contains("timestamp") {
        ApiErrorKind::Timestamp
    } else if m.contains("order") && (m.contains("not found") || status == 404) {
        ApiErrorKind::UnknownOrder
    } else if m.contains("market") && (m.contains("not found") || m.contains("invalid")) {
        ApiErrorKind::UnknownSymbol
    } else if m.contains("collateral") || m.contains("insufficient") {
        ApiErrorKind::InsufficientBalance
    } else if status == 400
        && [
            "size",
            "price",
            "post-only",
            "postonly",
            "reduce",
            "step",
            "tick",
            "fee",
        ]
        .iter()
        .any(|w| m.contains(w))
    {
        ApiErrorKind::RejectedByRule
    } else {
        ApiErrorKind::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_messages_map_to_kinds() {
        use ApiErrorKind::*;
        for (status, msg, kind) in [
            (401, "Unauthorized", Authentication),
            (400, "Invalid signature for order", Authentication),
            (400, "Timestamp is outside the window", Timestamp),
            (404, "Order not found", UnknownOrder),
            (400, "Market BTC-EUR not found", UnknownSymbol),
            (
                400,
                "Insufficient collateral for the order",
                InsufficientBalance,
            ),
            (400, "Order would cross with post-only", RejectedByRule),
            (
                400,
                "Size must be a multiple of the step size",
                RejectedByRule,
            ),
            (429, "Too many requests", RateLimited),
            (500, "Internal", Rejected),
        ] {
            assert_eq!(classify(status, msg), kind, "{status} {msg}");
        }
    }
}
