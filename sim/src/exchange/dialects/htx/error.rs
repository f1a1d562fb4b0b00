//! HTX's errors as the simulator sends them: v1's `{"status":"error","err-code","err-msg"}`
//! (under HTTP 200, as HTX answers refusals; 429 for rate limits), from the engine's refusals.

use serde_json::json;

use crate::exchange::engine::error::{EngineError, Filter};

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtxError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl HtxError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 200,
            code,
            message: message.into(),
        }
    }

    pub fn body(&self) -> String {
        json!({"status": "error", "err-code": self.code, "err-msg": self.message, "data": null})
            .to_string()
    }

    pub fn invalid_param(message: impl Into<String>) -> Self {
        Self::new("invalid-parameter", message)
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Self::new("api-signature-not-valid", message)
    }

    pub fn too_many_requests() -> Self {
        Self {
            status: 429,
            ..Self::new("api-rate-limit", "rate limit exceeded")
        }
    }
}

impl From<EngineError> for HtxError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownSymbol => Self::new("base-symbol-error", "invalid symbol"),
            EngineError::UnknownAccount => Self::auth("account not found"),
            EngineError::Filter(Filter::Price) => {
                Self::new("order-orderprice-precision-error", "price precision error")
            }
            EngineError::Filter(_) => Self::new(
                "order-value-min-error",
                "order amount or value below the minimum or off precision",
            ),
            EngineError::DuplicateClientId => {
                Self::new("invalid-client-order-id", "client order id in use")
            }
            EngineError::WouldTake => Self::new(
                "order-orderstate-error",
                "limit-maker order would take liquidity",
            ),
            EngineError::InsufficientBalance => Self::new(
                "account-frozen-balance-insufficient-error",
                "trade account balance is not enough",
            ),
            EngineError::UnknownOrder(_) => Self::new("base-record-invalid", "record invalid"),
            EngineError::NoQuantity
            | EngineError::NoLiquidity
            | EngineError::LiquidityBelowMinQuantity
            | EngineError::BadTickSize => Self::invalid_param(e.to_string()),
        }
    }
}
