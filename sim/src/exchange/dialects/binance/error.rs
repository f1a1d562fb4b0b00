//! Binance's error payloads (`{"code":..,"msg":..}` with an HTTP status) as the mock returns them,
//! with the codes and messages of Binance's `errors.md`.

use serde_json::json;

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
