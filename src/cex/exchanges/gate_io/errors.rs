//! Gate.io's error labels and what they mean. APIv4 answers an error with an HTTP status and a body
//! `{"label":"BALANCE_NOT_ENOUGH","message":"…"}`: the label is the code. The framework's error
//! carries a number, so each label this table knows has a stable number (its row, from 1; 0 for a
//! label it does not know) and the error message starts with the label itself.

use crate::cex::error::ApiErrorKind;

/// Every label the connector tells apart, with what it means. The row number (from 1) is the code
/// a [`CexError::Api`](crate::cex::error::CexError::Api) carries.
pub const LABELS: &[(&str, ApiErrorKind)] = &[
    ("INVALID_KEY", ApiErrorKind::Authentication),
    ("INVALID_SIGNATURE", ApiErrorKind::Authentication),
    ("MISSING_REQUIRED_HEADER", ApiErrorKind::Authentication),
    ("INVALID_CREDENTIALS", ApiErrorKind::Authentication),
    ("IP_FORBIDDEN", ApiErrorKind::Authentication),
    ("READ_ONLY", ApiErrorKind::Authentication),
    ("FORBIDDEN", ApiErrorKind::Authentication),
    ("REQUEST_EXPIRED", ApiErrorKind::Timestamp),
    ("TOO_MANY_REQUESTS", ApiErrorKind::RateLimited),
    ("INVALID_CURRENCY_PAIR", ApiErrorKind::UnknownSymbol),
    ("INVALID_CURRENCY", ApiErrorKind::UnknownSymbol),
    ("ORDER_NOT_FOUND", ApiErrorKind::UnknownOrder),
    ("CLIENT_ID_NOT_FOUND", ApiErrorKind::UnknownOrder),
    ("BALANCE_NOT_ENOUGH", ApiErrorKind::InsufficientBalance),
    ("QUANTITY_NOT_ENOUGH", ApiErrorKind::InsufficientBalance),
    ("POC_FILL_IMMEDIATELY", ApiErrorKind::RejectedByRule),
    ("ORDER_POC_IMMEDIATE", ApiErrorKind::RejectedByRule),
    ("FOK_NOT_FILL", ApiErrorKind::RejectedByRule),
    ("INVALID_PRECISION", ApiErrorKind::RejectedByRule),
    ("AMOUNT_TOO_LITTLE", ApiErrorKind::RejectedByRule),
    ("AMOUNT_TOO_MUCH", ApiErrorKind::RejectedByRule),
    ("ORDER_CLOSED", ApiErrorKind::Rejected),
    ("ORDER_CANCELLED", ApiErrorKind::Rejected),
    ("INVALID_PARAM_VALUE", ApiErrorKind::Rejected),
    ("INVALID_REQUEST_BODY", ApiErrorKind::Rejected),
    ("SERVER_ERROR", ApiErrorKind::Rejected),
    ("TOO_BUSY", ApiErrorKind::Rejected),
];

/// The code of `label`: its row in [`LABELS`] from 1, or 0 for a label not in the table.
pub fn code_of(label: &str) -> i64 {
    LABELS
        .iter()
        .position(|(l, _)| *l == label)
        .map_or(0, |i| i64::try_from(i + 1).unwrap_or(0))
}

/// The label of a code from [`code_of`].
pub fn label_of(code: i64) -> Option<&'static str> {
    let i = usize::try_from(code).ok()?.checked_sub(1)?;
    LABELS.get(i).map(|(l, _)| *l)
}

/// What an error means: the label's row, else by HTTP status (401/403 authentication, 404 an
/// unknown order, 429 a rate limit), else a plain refusal.
pub fn classify(status: u16, code: i64) -> ApiErrorKind {
    if let Some(i) = usize::try_from(code).ok().and_then(|c| c.checked_sub(1))
        && let Some((_, kind)) = LABELS.get(i)
    {
        return *kind;
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
    fn labels_map_to_typed_errors() {
        let k = |status, label: &str| classify(status, code_of(label));
        assert_eq!(
            k(400, "BALANCE_NOT_ENOUGH"),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(k(400, "INVALID_CURRENCY_PAIR"), ApiErrorKind::UnknownSymbol);
        assert_eq!(k(429, "TOO_MANY_REQUESTS"), ApiErrorKind::RateLimited);
        assert_eq!(k(401, "INVALID_KEY"), ApiErrorKind::Authentication);
        assert_eq!(k(401, "INVALID_SIGNATURE"), ApiErrorKind::Authentication);
        assert_eq!(k(401, "REQUEST_EXPIRED"), ApiErrorKind::Timestamp);
        assert_eq!(k(404, "ORDER_NOT_FOUND"), ApiErrorKind::UnknownOrder);
        assert_eq!(k(400, "POC_FILL_IMMEDIATELY"), ApiErrorKind::RejectedByRule);
        assert_eq!(k(400, "INVALID_PRECISION"), ApiErrorKind::RejectedByRule);
        // an unknown label falls back on the status
        assert_eq!(code_of("SOMETHING_NEW"), 0);
        assert_eq!(k(403, "SOMETHING_NEW"), ApiErrorKind::Authentication);
        assert_eq!(k(400, "SOMETHING_NEW"), ApiErrorKind::Rejected);
        for (i, (label, _)) in LABELS.iter().enumerate() {
            assert_eq!(label_of(code_of(label)), Some(*label), "row {i}");
        }
        assert_eq!(label_of(0), None);
        assert_eq!(label_of(-5), None);
    }
}
