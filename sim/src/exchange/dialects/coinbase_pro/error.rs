//! Coinbase Exchange's errors as the simulator sends them: an HTTP status and `{"message"}`, from
//! the engine's refusals, signature checks and rate-limit breaches.

use serde_json::json;

use crate::exchange::engine::error::{EngineError, Filter};

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CbError {
    pub status: u16,
    pub message: String,
}

impl CbError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn body(&self) -> String {
        json!({"message": self.message}).to_string()
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn not_found() -> Self {
        Self::new(404, "NotFound")
    }
}

impl From<EngineError> for CbError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownSymbol => Self::bad_request("Product not found"),
            EngineError::UnknownAccount => Self::new(401, "Invalid API Key"),
            EngineError::Filter(Filter::Price) => Self::bad_request("Invalid price_increment"),
            EngineError::Filter(_) => Self::bad_request("size is too small or too accurate"),
            EngineError::DuplicateClientId => Self::bad_request("duplicate client_oid"),
            EngineError::WouldTake => Self::bad_request("Order would execute as taker"),
            EngineError::InsufficientBalance => Self::bad_request("Insufficient funds"),
            EngineError::UnknownOrder(_) => Self::not_found(),
            EngineError::NoQuantity
            | EngineError::NoLiquidity
            | EngineError::LiquidityBelowMinQuantity
            | EngineError::BadTickSize => Self::bad_request(e.to_string()),
        }
    }
}
