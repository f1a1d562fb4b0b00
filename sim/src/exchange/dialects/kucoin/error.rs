//! KuCoin's errors as the simulator sends them: an HTTP status and `{"code","msg"}` (`code` a
//! numeric string), from the signature checks, the engine's refusals and rate-limit breaches.

use serde_json::json;

use crate::exchange::engine::error::{EngineError, Filter};

/// KuCoin's codes the simulator answers with (its spot error-code table).
pub mod code {
    pub const OK: &str = "200000";
    pub const INSUFFICIENT_BALANCE: &str = "200004";
    pub const KEY_MISSING: &str = "400001";
    pub const INVALID_TIMESTAMP: &str = "400002";
    pub const KEY_NOT_FOUND: &str = "400003";
    pub const PASSPHRASE_INCORRECT: &str = "400004";
    pub const INVALID_SIGN: &str = "400005";
    pub const INVALID_PARAMETER: &str = "400100";
    pub const PRICE_PROTECTION: &str = "400350";
    pub const RULE_REFUSED: &str = "400500";
    pub const NOT_FOUND: &str = "404000";
    pub const RATE_LIMITED: &str = "429000";
    pub const SYMBOL_NOT_FOUND: &str = "900001";
}

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KuCoinError {
    pub status: u16,
    pub code: &'static str,
    pub msg: String,
}

impl KuCoinError {
    pub fn new(status: u16, code: &'static str, msg: impl Into<String>) -> Self {
        Self {
            status,
            code,
            msg: msg.into(),
        }
    }

    pub fn body(&self) -> String {
        json!({"code": self.code, "msg": self.msg}).to_string()
    }

    pub fn invalid_param(msg: impl Into<String>) -> Self {
        Self::new(400, code::INVALID_PARAMETER, msg)
    }

    pub fn too_many_requests() -> Self {
        Self::new(429, code::RATE_LIMITED, "Too Many Requests")
    }

    pub fn not_found() -> Self {
        Self::new(404, code::NOT_FOUND, "Not Found")
    }

    /// What a query for an order the account does not have answers.
    pub fn order_not_exist() -> Self {
        Self::new(404, code::INVALID_PARAMETER, "order not exist.")
    }
}

impl From<EngineError> for KuCoinError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownSymbol => {
                Self::new(400, code::SYMBOL_NOT_FOUND, "Symbol not exists")
            }
            EngineError::UnknownAccount => {
                Self::new(401, code::KEY_NOT_FOUND, "KC-API-KEY not exists")
            }
            EngineError::Filter(Filter::Price) => {
                Self::new(400, code::RULE_REFUSED, "Price increment invalid.")
            }
            EngineError::Filter(_) => Self::new(
                400,
                code::RULE_REFUSED,
                "Order size below the minimum, above the maximum or off the increment.",
            ),
            EngineError::DuplicateClientId => Self::invalid_param("clientOid duplicated"),
            EngineError::WouldTake => Self::new(
                400,
                code::PRICE_PROTECTION,
                "Post only order would take liquidity, canceled.",
            ),
            EngineError::InsufficientBalance => {
                Self::new(400, code::INSUFFICIENT_BALANCE, "Balance insufficient!")
            }
            EngineError::UnknownOrder(_) => Self::new(
                400,
                code::INVALID_PARAMETER,
                "order_not_exist_or_not_allow_to_cancel",
            ),
            EngineError::NoQuantity
            | EngineError::NoLiquidity
            | EngineError::LiquidityBelowMinQuantity
            | EngineError::BadTickSize => Self::invalid_param(e.to_string()),
        }
    }
}
