//! Binance's error payloads (`{"code":..,"msg":..}` with an HTTP status) as the mock returns them,
//! with the codes and messages of Binance's `errors.md`.

use serde_json::json;

use crate::exchange::engine::error::{
    Breach, EngineError, Filter, Operation, OrderWindow, Rejection,
};
use crate::exchange::engine::spec::NotionalFilter;

const MSG_INSUFFICIENT: &str = "Account has insufficient balance for requested action.";
const MSG_UNKNOWN_ORDER: &str = "Unknown order sent.";

/// One API error: the HTTP status and Binance's `code` / `msg` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status (also the `status` of a WebSocket API response).
    pub status: u16,
    /// Binance error code (negative).
    pub code: i64,
    /// Binance error message.
    pub msg: String,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: i64, msg: impl Into<String>) -> Self {
        Self {
            status,
            code,
            msg: msg.into(),
        }
    }

    /// The JSON body `{"code":..,"msg":..}`.
    pub fn body(&self) -> serde_json::Value {
        json!({ "code": self.code, "msg": self.msg })
    }

    /// -1003 on a request-weight breach.
    pub fn too_much_weight(limit: u64, interval: &str) -> Self {
        Self::new(
            429,
            -1003,
            format!(
                "Too much request weight used; current limit is {limit} request weight per {interval}. Please use WebSocket Streams for live updates to avoid polling the API."
            ),
        )
    }

    /// -1003 with HTTP 418 while the IP is banned.
    pub fn banned(until_ms: u64) -> Self {
        Self::new(
            418,
            -1003,
            format!(
                "Way too much request weight used; IP banned until {until_ms}. Please use WebSocket Streams for live updates to avoid bans."
            ),
        )
    }

    /// -1015 on an ORDERS (unfilled order count) breach.
    pub fn too_many_orders(limit: u64, interval: &str) -> Self {
        Self::new(
            429,
            -1015,
            format!("Too many new orders; current limit is {limit} orders per {interval}."),
        )
    }

    /// -1021, timestamp older than `recvWindow`.
    pub fn outside_recv_window() -> Self {
        Self::new(
            400,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        )
    }

    /// -1021, timestamp more than one second ahead of the server.
    pub fn ahead_of_server() -> Self {
        Self::new(
            400,
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        )
    }

    /// -1022, bad signature.
    pub fn bad_signature() -> Self {
        Self::new(400, -1022, "Signature for this request is not valid.")
    }

    /// -2014, API-key header missing or malformed.
    pub fn bad_api_key_format() -> Self {
        Self::new(401, -2014, "API-key format invalid.")
    }

    /// -2015, unknown API key.
    pub fn rejected_api_key() -> Self {
        Self::new(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        )
    }

    /// -1102, a mandatory parameter is missing or malformed.
    pub fn mandatory(name: &str) -> Self {
        Self::new(
            400,
            -1102,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    /// -1102, one of two alternatives must be sent.
    pub fn one_of(a: &str, b: &str) -> Self {
        Self::new(
            400,
            -1102,
            format!("Param '{a}' or '{b}' must be sent, but both were empty/null!"),
        )
    }

    /// -1102, a value above its maximum.
    pub fn greater_than(name: &str, max: &str) -> Self {
        Self::new(
            400,
            -1102,
            format!("'{name}' contains unexpected value. Cannot be greater than {max}."),
        )
    }

    /// -1101, the same parameter sent twice.
    pub fn duplicate_param() -> Self {
        Self::new(400, -1101, "Duplicate values for a parameter detected.")
    }

    /// -1106, a parameter sent when not required.
    pub fn not_required(name: &str) -> Self {
        Self::new(
            400,
            -1106,
            format!("Parameter '{name}' sent when not required."),
        )
    }

    /// -1111, too many decimals.
    pub fn bad_precision(name: &str) -> Self {
        Self::new(
            400,
            -1111,
            format!("Parameter '{name}' has too much precision."),
        )
    }

    /// -1115, invalid timeInForce.
    pub fn invalid_tif() -> Self {
        Self::new(400, -1115, "Invalid timeInForce.")
    }

    /// -1116, invalid order type.
    pub fn invalid_order_type() -> Self {
        Self::new(400, -1116, "Invalid orderType.")
    }

    /// -1117, invalid side.
    pub fn invalid_side() -> Self {
        Self::new(400, -1117, "Invalid side.")
    }

    /// -1121, unknown symbol.
    pub fn invalid_symbol() -> Self {
        Self::new(400, -1121, "Invalid symbol.")
    }

    /// -1013, a filter failure (`Filter failure: PRICE_FILTER`, ...).
    pub fn filter_failure(filter: &str) -> Self {
        Self::new(400, -1013, format!("Filter failure: {filter}"))
    }

    /// -2010, the matching engine rejected a new order.
    pub fn new_order_rejected(msg: &str) -> Self {
        Self::new(400, -2010, msg)
    }

    /// -2011, the matching engine rejected a cancel.
    pub fn cancel_rejected(msg: &str) -> Self {
        Self::new(400, -2011, msg)
    }

    /// -2013, order query for an unknown order.
    pub fn no_such_order() -> Self {
        Self::new(400, -2013, "Order does not exist.")
    }

    /// -1130, invalid data for a parameter.
    pub fn invalid_parameter(name: &str) -> Self {
        Self::new(
            400,
            -1130,
            format!("Data sent for parameter '{name}' is not valid."),
        )
    }

    /// -1020, unsupported operation (unknown WebSocket API method, unknown route).
    pub fn unsupported() -> Self {
        Self::new(400, -1020, "This operation is not supported.")
    }

    /// -1125, the listenKey is unknown, lapsed or closed.
    pub fn invalid_listen_key() -> Self {
        Self::new(400, -1125, "This listenKey does not exist.")
    }

    /// -1135, invalid JSON request (WebSocket API).
    pub fn invalid_json() -> Self {
        Self::new(400, -1135, "Invalid JSON Request")
    }

    /// -2035, a user-data subscription already active for this account on this connection.
    pub fn subscription_active() -> Self {
        Self::new(400, -2035, "User Data Stream subscription already active.")
    }
}

/// The engine's refusals as Binance reports them.
impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownSymbol => Self::invalid_symbol(),
            EngineError::UnknownAccount => Self::rejected_api_key(),
            EngineError::Filter(f) => Self::filter_failure(filter_name(f)),
            EngineError::DuplicateClientId => Self::new_order_rejected("Duplicate order sent."),
            EngineError::WouldTake => {
                Self::new_order_rejected("Order would immediately match and take.")
            }
            EngineError::NoQuantity => Self::one_of("quantity", "quoteOrderQty"),
            EngineError::InsufficientBalance => Self::new_order_rejected(MSG_INSUFFICIENT),
            EngineError::NoLiquidity => Self::new_order_rejected(
                "Order book liquidity is less than symbol minimum quantity.",
            ),
            EngineError::LiquidityBelowMinQuantity => Self::new_order_rejected(
                "Order book liquidity is less than `LOT_SIZE` filter minimum quantity.",
            ),
            EngineError::UnknownOrder(Operation::Place) => {
                Self::new_order_rejected(MSG_UNKNOWN_ORDER)
            }
            EngineError::UnknownOrder(Operation::Cancel) => {
                Self::cancel_rejected(MSG_UNKNOWN_ORDER)
            }
            EngineError::UnknownOrder(Operation::Query) => Self::no_such_order(),
            EngineError::BadTickSize => Self::invalid_parameter("tickSize"),
        }
    }
}

/// A rate-limit breach as Binance reports it (429, or 418 while banned); the `Retry-After`
/// seconds travel beside it.
impl From<Breach> for ApiError {
    fn from(b: Breach) -> Self {
        match b {
            Breach::Banned { until_ms } => Self::banned(until_ms),
            Breach::RawRequests { limit } => Self::new(
                429,
                -1003,
                format!("Too many requests; current limit is {limit} requests per 5 MINUTE."),
            ),
            Breach::RequestWeight { limit } => Self::too_much_weight(limit, "1 MINUTE"),
            Breach::Orders { limit, window } => Self::too_many_orders(
                limit,
                match window {
                    OrderWindow::TenSeconds => "10 SECOND",
                    OrderWindow::Day => "1 DAY",
                },
            ),
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        r.breach.into()
    }
}

/// Binance's name of a filter (`Filter failure: <name>`).
pub fn filter_name(f: Filter) -> &'static str {
    match f {
        Filter::Price => "PRICE_FILTER",
        Filter::Quantity => "LOT_SIZE",
        Filter::Notional(NotionalFilter::Notional) => "NOTIONAL",
        Filter::Notional(NotionalFilter::MinNotional) => "MIN_NOTIONAL",
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::exchange::engine::rate_limit::RateLimiter;
    use crate::exchange::engine::spec::{RateLimits, SymbolSpec};

    #[test]
    fn filters_reject_with_binance_messages() {
        let s = SymbolSpec::new("BTC", "USDT");
        let msg = |e: EngineError| ApiError::from(e).msg;
        assert_eq!(
            msg(s.check_price(dec!(100.005)).unwrap_err()),
            "Filter failure: PRICE_FILTER"
        );
        assert_eq!(
            msg(s.check_quantity(dec!(0.000015)).unwrap_err()),
            "Filter failure: LOT_SIZE"
        );
        assert_eq!(
            msg(s.check_notional(dec!(4.99)).unwrap_err()),
            "Filter failure: NOTIONAL"
        );
        let e = ApiError::from(s.check_price(dec!(100.005)).unwrap_err());
        assert_eq!((e.status, e.code), (400, -1013));
    }

    #[test]
    fn unknown_orders_get_the_code_of_the_operation() {
        let code = |op| ApiError::from(EngineError::UnknownOrder(op)).code;
        assert_eq!(code(Operation::Place), -2010);
        assert_eq!(code(Operation::Cancel), -2011);
        assert_eq!(code(Operation::Query), -2013);
        assert_eq!(ApiError::from(EngineError::InsufficientBalance).code, -2010);
        assert_eq!(ApiError::from(EngineError::UnknownSymbol).code, -1121);
    }

    #[test]
    fn rate_limit_breaches_get_binance_statuses_and_codes() {
        let limits = RateLimits {
            request_weight_per_minute: 1,
            orders_per_10s: 1,
            ban_after_429s: 1,
            ..RateLimits::default()
        };
        let mut rl = RateLimiter::new(limits);
        let t = 1_700_000_000_000;
        rl.count_order(1, t);
        let e = ApiError::from(rl.check_order(1, t).unwrap_err());
        assert_eq!((e.status, e.code), (429, -1015));
        assert!(e.msg.contains("1 orders per 10 SECOND"), "{}", e.msg);
        assert!(rl.admit(t, 1).is_ok());
        let e = ApiError::from(rl.admit(t, 1).unwrap_err());
        assert_eq!((e.status, e.code), (429, -1003));
        let e = ApiError::from(rl.admit(t, 1).unwrap_err());
        assert_eq!((e.status, e.code), (418, -1003));
    }
}
