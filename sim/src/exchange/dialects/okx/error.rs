//! OKX's errors as the simulator answers them: HTTP status, `code` (or an order item's `sCode`)
//! and message, from the engine's refusals and the authentication and rate-limit checks.

use serde_json::json;

use crate::exchange::engine::error::{EngineError, Filter, Operation};

/// An error answer: HTTP status, OKX code, message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OKX error {code} (HTTP {status}): {msg}")]
pub struct OkxError {
    pub status: u16,
    pub code: i64,
    pub msg: String,
}

impl OkxError {
    pub fn new(status: u16, code: i64, msg: &str) -> Self {
        Self {
            status,
            code,
            msg: msg.to_string(),
        }
    }

    /// The body: `{"code":"…","msg":"…","data":[]}`.
    pub fn body(&self) -> String {
        json!({"code": self.code.to_string(), "msg": self.msg, "data": []}).to_string()
    }

    pub fn rate_limited() -> Self {
        Self::new(429, 50011, "Too Many Requests")
    }

    pub fn param(name: &str) -> Self {
        Self::new(400, 51000, &format!("Parameter {name} error"))
    }

    pub fn instrument() -> Self {
        Self::new(400, 51001, "Instrument ID does not exist")
    }
}

/// An engine refusal as OKX's `sCode` and message (order items answer with HTTP 200).
impl From<EngineError> for OkxError {
    fn from(e: EngineError) -> Self {
        let (code, msg) = match e {
            EngineError::UnknownSymbol => (51001, "Instrument ID does not exist"),
            EngineError::UnknownAccount => (50111, "Invalid OK-ACCESS-KEY"),
            EngineError::Filter(Filter::Price) => {
                (51006, "Order price is not within the price limit")
            }
            EngineError::Filter(Filter::Quantity) => {
                (51121, "Order quantity must be a multiple of the lot size")
            }
            EngineError::Filter(Filter::Notional(_)) => (
                51020,
                "Your order should meet or exceed the minimum order amount",
            ),
            EngineError::DuplicateClientId => (51016, "Duplicated clOrdId"),
            EngineError::WouldTake => (51019, "Post only order would take liquidity"),
            EngineError::InsufficientBalance => (51008, "Order failed. Insufficient balance"),
            EngineError::NoQuantity => (51000, "Parameter sz error"),
            EngineError::NoLiquidity | EngineError::LiquidityBelowMinQuantity => {
                (51020, "Not enough liquidity for the order")
            }
            EngineError::UnknownOrder(Operation::Cancel) => (
                51400,
                "Order cancellation failed as the order has been filled, canceled or does not exist",
            ),
            EngineError::UnknownOrder(_) => (51603, "Order does not exist"),
            EngineError::BadTickSize => (51000, "Parameter tickSz error"),
        };
        Self::new(200, code, msg)
    }
}
