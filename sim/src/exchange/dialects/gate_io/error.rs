//! Gate.io's errors as the simulator sends them: an HTTP status and `{"label","message"}`, from
//! the engine's refusals and rate-limit breaches.

use serde_json::json;

use crate::exchange::engine::error::{EngineError, Filter};

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateError {
    pub status: u16,
    pub label: &'static str,
    pub message: String,
}

impl GateError {
    pub fn new(status: u16, label: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            label,
            message: message.into(),
        }
    }

    pub fn body(&self) -> String {
        json!({"label": self.label, "message": self.message}).to_string()
    }

    pub fn invalid_param(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_PARAM_VALUE", message)
    }

    pub fn too_many_requests() -> Self {
        Self::new(429, "TOO_MANY_REQUESTS", "Request Rate limit Exceeded")
    }
}

impl From<EngineError> for GateError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownSymbol => {
                Self::new(400, "INVALID_CURRENCY_PAIR", "Invalid currency pair")
            }
            EngineError::UnknownAccount => Self::new(401, "INVALID_KEY", "Invalid key provided"),
            EngineError::Filter(Filter::Price) => {
                Self::new(400, "INVALID_PRECISION", "Invalid price precision")
            }
            EngineError::Filter(_) => Self::new(
                400,
                "AMOUNT_TOO_LITTLE",
                "Order amount or total too small or off precision",
            ),
            EngineError::DuplicateClientId => {
                Self::invalid_param("An open order already has this text")
            }
            EngineError::WouldTake => Self::new(
                400,
                "POC_FILL_IMMEDIATELY",
                "Order would match and take immediately so it's cancelled",
            ),
            EngineError::InsufficientBalance => {
                Self::new(400, "BALANCE_NOT_ENOUGH", "Not enough balance")
            }
            EngineError::UnknownOrder(_) => Self::new(404, "ORDER_NOT_FOUND", "Order not found"),
            EngineError::NoQuantity
            | EngineError::NoLiquidity
            | EngineError::LiquidityBelowMinQuantity
            | EngineError::BadTickSize => Self::invalid_param(e.to_string()),
        }
    }
}
