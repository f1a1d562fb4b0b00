//! Coinbase Advanced Trade's errors as the simulator sends them: an HTTP status and
//! `{"error","message","error_details"}` for a refused call; for a refused order, the word that
//! goes in the 200 answer's `error_response`.

use serde_json::json;

use crate::exchange::engine::error::{EngineError, Filter};

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CbError {
    pub status: u16,
    pub error: &'static str,
    pub message: String,
}

impl CbError {
    pub fn new(status: u16, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            message: message.into(),
        }
    }

    pub fn body(&self) -> String {
        json!({"error": self.error, "message": self.message, "error_details": self.message})
            .to_string()
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_ARGUMENT", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(401, "UNAUTHENTICATED", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "NOT_FOUND", message)
    }

    pub fn too_many_requests() -> Self {
        Self::new(429, "RESOURCE_EXHAUSTED", "Too many requests")
    }
}

/// An engine refusal of a new order: (`error`, `preview_failure_reason`, message).
pub fn order_failure(e: &EngineError) -> (&'static str, &'static str, String) {
    match e {
        EngineError::UnknownSymbol => (
            "INVALID_PRODUCT_ID",
            "PREVIEW_INVALID_PRODUCT_ID",
            "Invalid product_id".into(),
        ),
        EngineError::InsufficientBalance => (
            "INSUFFICIENT_FUND",
            "PREVIEW_INSUFFICIENT_FUND",
            "Insufficient balance in source account".into(),
        ),
        EngineError::WouldTake => (
            "INVALID_LIMIT_PRICE_POST_ONLY",
            "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY",
            "Limit price would cross the book for a post-only order".into(),
        ),
        EngineError::Filter(Filter::Price) => (
            "INVALID_PRICE_PRECISION",
            "UNKNOWN_PREVIEW_FAILURE_REASON",
            "Invalid price precision".into(),
        ),
        EngineError::Filter(_) => (
            "INVALID_SIZE_PRECISION",
            "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL",
            "Order size too small or off precision".into(),
        ),
        EngineError::NoLiquidity | EngineError::LiquidityBelowMinQuantity => (
            "INVALID_NO_LIQUIDITY",
            "UNKNOWN_PREVIEW_FAILURE_REASON",
            "No liquidity".into(),
        ),
        other => (
            "INVALID_REQUEST",
            "UNKNOWN_PREVIEW_FAILURE_REASON",
            other.to_string(),
        ),
    }
}

impl From<EngineError> for CbError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownSymbol => Self::not_found("product not found"),
            EngineError::UnknownAccount => Self::unauthenticated("unknown key"),
            EngineError::UnknownOrder(_) => Self::not_found("order not found"),
            other => Self::invalid(other.to_string()),
        }
    }
}
