//! Errors of the exchange framework, converted to [`VenueError`] at the connector boundary.

use crate::cex::auth::AuthError;
use crate::cex::clock::ClockError;
use crate::cex::json_scan::ScanError;
use crate::cex::rate_limit::RateLimited;
use crate::cex::sign::SignError;
use crate::core::{CoreError, RuleViolation};
use crate::venue::VenueError;

/// What an exchange's error code means, as the venue's own `errors.rs` maps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// The account lacks the funds for the order.
    InsufficientBalance,
    /// The symbol is not traded (or no longer).
    UnknownSymbol,
    /// The exchange does not know the order.
    UnknownOrder,
    /// The exchange's own rate limit, reported in an error body.
    RateLimited,
    /// Key, signature or permissions refused.
    Authentication,
    /// A trading rule refused the order (price or size filters, post-only crossing, …).
    RejectedByRule,
    /// The request's timestamp is outside the exchange's window.
    Timestamp,
    /// Any other refusal.
    Rejected,
}

/// What went wrong talking to an exchange. Never carries a secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CexError {
    #[error("network error talking to {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("request to {0} timed out")]
    Timeout(String),
    #[error("rate limited by the exchange (HTTP 429), retry after {retry_after_ms} ms")]
    RateLimited { retry_after_ms: u64 },
    #[error("IP banned by the exchange (HTTP 418), retry after {retry_after_ms} ms")]
    Banned { retry_after_ms: u64 },
    /// Not sent: the client's limiter (or a ban still running) would make it wait past its
    /// deadline.
    #[error(transparent)]
    Throttled(#[from] RateLimited),
    #[error(transparent)]
    Clock(#[from] ClockError),
    /// An error body from the exchange: its code and message, and what they mean
    /// ([`HttpProtocol::classify_error`](crate::cex::http::HttpProtocol::classify_error), the
    /// venue's `errors.rs`).
    #[error("exchange error {code} (HTTP {status}): {msg}")]
    Api {
        status: u16,
        code: i64,
        msg: String,
        kind: ApiErrorKind,
    },
    #[error("unexpected response from {url} (HTTP {status}): {snippet}")]
    UnexpectedResponse {
        url: String,
        status: u16,
        snippet: String,
    },
    #[error("cannot decode {what}: {detail}")]
    Decode { what: String, detail: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("cannot sign the request: {0}")]
    Sign(#[from] SignError),
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    #[error("websocket: {0}")]
    WebSocket(String),
    #[error("{0}")]
    Invalid(String),
    /// Not sent: a client in capture mode ([`RestClient::capturing`](crate::cex::http::RestClient::capturing),
    /// a dry run) stopped this state-changing request, prepared and signed, before it left.
    #[error("dry run: {} {} was captured, not sent", .0.method, .0.url.split('?').next().unwrap_or_default())]
    Captured(Box<crate::cex::http::PreparedRequest>),
}

impl CexError {
    /// A short, printable piece of a body that was not what we expected (an HTML error page).
    pub fn snippet(body: &[u8]) -> String {
        let s = String::from_utf8_lossy(&body[..body.len().min(120)]);
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    pub fn decode(what: impl Into<String>, detail: impl ToString) -> Self {
        CexError::Decode {
            what: what.into(),
            detail: detail.to_string(),
        }
    }
}

impl From<CexError> for VenueError {
    fn from(e: CexError) -> Self {
        match e {
            CexError::Network { .. } | CexError::WebSocket(_) => VenueError::Network(e.to_string()),
            CexError::Timeout(u) => VenueError::Timeout(u),
            CexError::RateLimited { retry_after_ms } | CexError::Banned { retry_after_ms } => {
                VenueError::RateLimited {
                    retry_after_ms: Some(retry_after_ms),
                }
            }
            CexError::Throttled(r) => VenueError::RateLimited {
                retry_after_ms: Some(u64::try_from(r.retry_after.as_millis()).unwrap_or(u64::MAX)),
            },
            CexError::Api {
                code,
                msg,
                kind: ApiErrorKind::Authentication,
                ..
            } => VenueError::Auth(format!("code {code}: {msg}")),
            // a limit reported in an error body (Bybit's 10006, OKX's 50011, …) is a rate limit
            // like an HTTP 429, with no wait stated
            CexError::Api {
                kind: ApiErrorKind::RateLimited,
                ..
            } => VenueError::RateLimited {
                retry_after_ms: None,
            },
            CexError::Api { code, msg, .. } => VenueError::Rejected {
                code: Some(code.to_string()),
                reason: msg,
            },
            CexError::Auth(a) => VenueError::Auth(a.to_string()),
            CexError::Sign(s) => VenueError::Auth(s.to_string()),
            CexError::Rule(r) => VenueError::Rule(r),
            CexError::Core(c) => VenueError::Core(c),
            CexError::UnknownSymbol(s) => VenueError::InvalidRequest(format!("unknown symbol {s}")),
            CexError::Invalid(s) => VenueError::InvalidRequest(s),
            CexError::Captured(_) => VenueError::InvalidRequest(e.to_string()),
            CexError::UnexpectedResponse { .. }
            | CexError::Decode { .. }
            | CexError::Clock(_)
            | CexError::Json(_) => VenueError::Protocol(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(kind: ApiErrorKind) -> CexError {
        CexError::Api {
            status: 200,
            code: 10006,
            msg: "Too many visits!".into(),
            kind,
        }
    }

    #[test]
    fn api_errors_become_the_venue_errors_of_their_kind() {
        assert_eq!(
            VenueError::from(api(ApiErrorKind::RateLimited)),
            VenueError::RateLimited {
                retry_after_ms: None
            }
        );
        assert!(matches!(
            VenueError::from(api(ApiErrorKind::Authentication)),
            VenueError::Auth(_)
        ));
        assert!(matches!(
            VenueError::from(api(ApiErrorKind::RejectedByRule)),
            VenueError::Rejected { code: Some(c), .. } if c == "10006"
        ));
    }
}
