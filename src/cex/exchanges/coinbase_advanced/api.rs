//! Coinbase Advanced Trade over REST (`/api/v3/brokerage/…`): the HTTP protocol (error bodies
//! `{"error","message"}`, server time), the documented rate limits, the client-id rule, the
//! response types (products, orders, fills, accounts, the fee tier) and their conversion to
//! sluice's core types.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::HttpProtocol;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::cex::sign::time::rfc3339_ms;
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, OrderRequest, OrderState, OrderType, Pair,
    Side, TimeInForce,
};

use super::errors;

/// The path prefix of every endpoint (signed as part of the JWT's `uri`).
pub const PREFIX: &str = "/api/v3/brokerage";

/// Rate-limit counters: Coinbase limits public endpoints per IP and private ones per user.
pub const PUBLIC: &str = "public";
pub const PRIVATE: &str = "private";

/// Coinbase's documented limits: public endpoints 10 requests per second per IP, private
/// endpoints 30 requests per second per user.
pub fn default_limits() -> Vec<RateLimit> {
    let one = Duration::from_secs(1);
    vec![
        RateLimit::new(PUBLIC, one, 10),
        RateLimit::new(PRIVATE, one, 30),
    ]
}

/// A client order id: at most 36 characters (a UUID's length) of `0-9 A-Z a-z _ -`.
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 36,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'),
};

/// The HTTP side of Advanced Trade.
#[derive(Debug, Clone, Default)]
pub struct CoinbaseProtocol;

/// An error body: `{"error":"NOT_FOUND","message":"…","error_details":"…"}`.
#[derive(Debug, Deserialize)]
struct ErrBody {
    error: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_details: Option<String>,
}

impl HttpProtocol for CoinbaseProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        let e: ErrBody = serde_json::from_slice(body).ok()?;
        let text = e.message.or(e.error_details).unwrap_or_default();
        Some((errors::code_of(&e.error), format!("{}: {text}", e.error)))
    }

    /// A JWT outside its `nbf`..`exp` window is refused as unauthenticated with a message that
    /// says so: that is a clock problem (sync and retry once), not a bad key.
    fn classify_error(&self, status: u16, code: i64, msg: &str) -> ApiErrorKind {
        let lower = msg.to_ascii_lowercase();
        if status == 401 && (lower.contains("expired") || lower.contains("not yet valid")) {
            return ApiErrorKind::Timestamp;
        }
        errors::classify(status, code)
    }

    fn server_time_path(&self) -> &'static str {
        "/api/v3/brokerage/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(PUBLIC, 1)]
    }

    /// `{"iso":"…","epochSeconds":"…","epochMillis":"…"}`.
    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        struct T {
            #[serde(rename = "epochMillis")]
            epoch_millis: String,
        }
        serde_json::from_slice::<T>(body)
            .ok()?
            .epoch_millis
            .parse()
            .ok()
    }

    fn observe_headers(&self, _headers: &reqwest::header::HeaderMap, _limiter: &RateLimiter) {}
}

/// Parses a JSON body into `T`, with an error that names what was expected and shows the start of
/// the body (an HTML page, say).
pub fn decode<'a, T: Deserialize<'a>>(what: &str, body: &'a [u8]) -> Result<T, CexError> {
    serde_json::from_slice(body).map_err(|e| CexError::Decode {
        what: what.to_string(),
        detail: format!("{e}; body starts {:?}", CexError::snippet(body)),
    })
}

/// A refusal carried in a 200 answer (`success: false`), as the framework's typed error.
pub fn refused(word: &str, message: &str) -> CexError {
    let code = errors::code_of(word);
    CexError::Api {
        status: 200,
        code,
        msg: format!("{word}: {message}"),
        kind: errors::classify(200, code),
    }
}

// ---- markets ----

/// `GET /market/products` (`{"products":[…]}`) and `/market/products/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub product_id: String,
    #[serde(default)]
    pub base_currency_id: String,
    #[serde(default)]
    pub quote_currency_id: String,
    pub base_increment: Decimal,
    pub quote_increment: Decimal,
    /// The price tick (`quote_increment` when absent).
    #[serde(default)]
    pub price_increment: Option<Decimal>,
    #[serde(default)]
    pub base_min_size: Option<Decimal>,
    #[serde(default)]
    pub base_max_size: Option<Decimal>,
    #[serde(default)]
    pub quote_min_size: Option<Decimal>,
    /// `online`, `offline`, `internal`, `delisted`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub trading_disabled: bool,
    #[serde(default)]
    pub is_disabled: bool,
    #[serde(default)]
    pub cancel_only: bool,
    #[serde(default)]
    pub product_type: Option<String>,
}

/// `GET /market/products`.
#[derive(Debug, Clone, Deserialize)]
pub struct Products {
    pub products: Vec<Product>,
}

/// The account's fee tier from `GET /transaction_summary` (fractions: `0.006` = 0.6 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct FeeTier {
    pub maker_fee_rate: Decimal,
    pub taker_fee_rate: Decimal,
}

/// `GET /transaction_summary`.
#[derive(Debug, Clone, Deserialize)]
pub struct TransactionSummary {
    pub fee_tier: FeeTier,
}

impl Product {
    /// The rules of a spot product that trades now; `None` otherwise.
    pub fn rules(&self, fees: FeeTier) -> Option<MarketRules> {
        if self.status != "online"
            || self.trading_disabled
            || self.is_disabled
            || self.cancel_only
            || self.product_type.as_deref().is_some_and(|t| t != "SPOT")
        {
            return None;
        }
        let (base, quote) = match (
            self.base_currency_id.as_str(),
            self.quote_currency_id.as_str(),
        ) {
            ("", _) | (_, "") => self.product_id.split_once('-')?,
            ids => ids,
        };
        let pair = Pair::new(Asset::new(base).ok()?, Asset::new(quote).ok()?);
        let mut rules =
            MarketRules::unrestricted(pair, self.product_id.clone(), fees.taker_fee_rate);
        rules.maker_fee = fees.maker_fee_rate;
        rules.tick_size = self.price_increment.unwrap_or(self.quote_increment);
        rules.step_size = self.base_increment;
        rules.min_size = self.base_min_size.unwrap_or_default();
        rules.min_notional = self.quote_min_size.unwrap_or_default();
        rules.max_size = self.base_max_size.filter(|m| !m.is_zero());
        Some(rules)
    }
}

// ---- orders ----

/// One order configuration as Coinbase names them (`order_configuration.<name>`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderConfig {
    #[serde(default)]
    pub base_size: Option<Decimal>,
    #[serde(default)]
    pub quote_size: Option<Decimal>,
    #[serde(default)]
    pub limit_price: Option<Decimal>,
    #[serde(default)]
    pub post_only: Option<bool>,
}

/// The configurations sluice sends and reads back.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderConfiguration {
    #[serde(default)]
    pub market_market_ioc: Option<OrderConfig>,
    #[serde(default)]
    pub limit_limit_gtc: Option<OrderConfig>,
    #[serde(default)]
    pub sor_limit_ioc: Option<OrderConfig>,
    #[serde(default)]
    pub limit_limit_fok: Option<OrderConfig>,
}

/// An order document: `GET /orders/historical/{id}` (`{"order":…}`), an element of
/// `/orders/historical/batch`.
#[derive(Debug, Clone, Deserialize)]
pub struct CbOrder {
    pub order_id: String,
    pub product_id: String,
    #[serde(default)]
    pub client_order_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// `PENDING`, `OPEN`, `FILLED`, `CANCELLED`, `EXPIRED`, `FAILED`, `QUEUED`, `CANCEL_QUEUED`,
    /// `UNKNOWN_ORDER_STATUS`.
    pub status: String,
    #[serde(default)]
    pub order_configuration: OrderConfiguration,
    #[serde(default)]
    pub filled_size: Option<Decimal>,
    #[serde(default)]
    pub reject_reason: Option<String>,
    #[serde(default)]
    pub cancel_message: Option<String>,
}

/// `GET /orders/historical/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderEnvelope {
    pub order: CbOrder,
}

/// `GET /orders/historical/batch`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderList {
    pub orders: Vec<CbOrder>,
    #[serde(default)]
    pub has_next: bool,
    #[serde(default)]
    pub cursor: String,
}

/// An order status word on the shared state machine; `None` for a word Coinbase does not
/// document. A cancelled or expired order that filled nothing and was never open (a post-only
/// order that would have taken) is `Failed` when it carries a reject reason.
pub fn order_state(status: &str, filled: Decimal) -> Option<OrderState> {
    Some(match status {
        "PENDING" | "QUEUED" | "OPEN" if filled.is_zero() => OrderState::Open,
        "PENDING" | "QUEUED" | "OPEN" => OrderState::PartiallyFilled,
        "CANCEL_QUEUED" => OrderState::PendingCancel,
        "FILLED" => OrderState::Filled,
        "CANCELLED" | "EXPIRED" => OrderState::Cancelled,
        "FAILED" => OrderState::Failed,
        _ => return None,
    })
}

pub fn parse_side(s: &str) -> Option<Side> {
    match s {
        "BUY" => Some(Side::Buy),
        "SELL" => Some(Side::Sell),
        _ => None,
    }
}

pub fn side_word(side: Side) -> &'static str {
    match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

impl CbOrder {
    pub fn filled(&self) -> Decimal {
        self.filled_size.unwrap_or_default()
    }

    pub fn state(&self) -> Option<OrderState> {
        order_state(&self.status, self.filled())
    }

    /// The request this order answers, rebuilt from the exchange's record (to adopt an order this
    /// process did not send); `None` for an order without a client id sluice can read.
    pub fn to_request(&self, pair: &Pair) -> Result<Option<OrderRequest>, CexError> {
        let Ok(client_id) = ClientOrderId::new(&self.client_order_id) else {
            return Ok(None);
        };
        let bad = |what: &str| CexError::decode("order", format!("missing or unknown {what}"));
        let side = parse_side(&self.side).ok_or_else(|| bad("side"))?;
        let c = &self.order_configuration;
        let (order_type, tif, cfg) = if let Some(x) = &c.limit_limit_gtc {
            let t = if x.post_only == Some(true) {
                OrderType::LimitMaker
            } else {
                OrderType::Limit
            };
            (t, TimeInForce::Gtc, x)
        } else if let Some(x) = &c.sor_limit_ioc {
            (OrderType::Limit, TimeInForce::Ioc, x)
        } else if let Some(x) = &c.limit_limit_fok {
            (OrderType::Limit, TimeInForce::Fok, x)
        } else if let Some(x) = &c.market_market_ioc {
            (OrderType::Market, TimeInForce::Ioc, x)
        } else {
            return Err(bad("order_configuration"));
        };
        let amount = cfg.base_size.ok_or_else(|| bad("base_size"))?;
        Ok(Some(OrderRequest {
            client_id,
            pair: pair.clone(),
            side,
            order_type,
            amount,
            price: (order_type != OrderType::Market)
                .then_some(cfg.limit_price)
                .flatten(),
            time_in_force: tif,
            deadline: None,
        }))
    }
}

/// The venue-wide identity of a Coinbase trade: the product and Coinbase's trade id.
pub fn fill_trade_id(pair: &Pair, id: &str) -> String {
    format!("{pair}:{id}")
}

/// `GET /orders/historical/fills` (one element of `fills`).
#[derive(Debug, Clone, Deserialize)]
pub struct CbFill {
    pub trade_id: String,
    pub order_id: String,
    pub product_id: String,
    pub price: Decimal,
    pub size: Decimal,
    #[serde(default)]
    pub commission: Decimal,
    /// `MAKER` or `TAKER`.
    #[serde(default)]
    pub liquidity_indicator: Option<String>,
    /// Whether `size` is in the quote asset.
    #[serde(default)]
    pub size_in_quote: bool,
    pub side: String,
    #[serde(default)]
    pub trade_time: Option<String>,
}

/// `GET /orders/historical/fills`.
#[derive(Debug, Clone, Deserialize)]
pub struct FillList {
    pub fills: Vec<CbFill>,
    #[serde(default)]
    pub cursor: String,
}

impl CbFill {
    /// The fill of this trade for order `client_id`. Coinbase charges its commission in the
    /// quote asset.
    pub fn to_fill(&self, client_id: &ClientOrderId, pair: &Pair) -> Result<Fill, CexError> {
        let side = parse_side(&self.side)
            .ok_or_else(|| CexError::decode("fill", format!("unknown side {:?}", self.side)))?;
        let amount = if self.size_in_quote {
            if self.price.is_zero() {
                return Err(CexError::decode("fill", "a quote-sized fill at price 0"));
            }
            self.size
                .checked_div(self.price)
                .ok_or_else(|| CexError::decode("fill", "size / price overflows"))?
        } else {
            self.size
        };
        Ok(Fill {
            venue: String::new(),
            trade_id: fill_trade_id(pair, &self.trade_id),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.order_id.clone()),
            pair: pair.clone(),
            side,
            price: self.price,
            amount,
            fee_asset: pair.quote.clone(),
            fee_amount: self.commission,
            is_maker: self.liquidity_indicator.as_deref() == Some("MAKER"),
            timestamp_ms: self.trade_time.as_deref().and_then(rfc3339_ms).unwrap_or(0),
        })
    }
}

// ---- balances ----

/// An amount with its currency (`{"value":"1.5","currency":"BTC"}`).
#[derive(Debug, Clone, Deserialize)]
pub struct Amount {
    pub value: Decimal,
}

/// `GET /accounts` (one element of `accounts`).
#[derive(Debug, Clone, Deserialize)]
pub struct CbAccount {
    pub currency: String,
    pub available_balance: Amount,
    #[serde(default)]
    pub hold: Option<Amount>,
}

/// `GET /accounts`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountList {
    pub accounts: Vec<CbAccount>,
    #[serde(default)]
    pub has_next: bool,
    #[serde(default)]
    pub cursor: String,
}

impl CbAccount {
    pub fn to_balance(&self) -> Result<Balance, CexError> {
        let hold = self.hold.as_ref().map_or(Decimal::ZERO, |h| h.value);
        let free = self.available_balance.value;
        let total = free.checked_add(hold).ok_or_else(|| {
            CexError::decode(
                "balance",
                format!("{}: available + hold overflows", self.currency),
            )
        })?;
        Ok(Balance::new(Asset::new(&self.currency)?, total, free))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const FEES: FeeTier = FeeTier {
        maker_fee_rate: dec!(0.004),
        taker_fee_rate: dec!(0.006),
    };

    #[test]
    fn rules_from_products() {
        let p: Products = serde_json::from_str(
            r#"{"products":[{"product_id":"BTC-USD","price":"140.21","price_percentage_change_24h":"9.4",
                "base_increment":"0.00000001","quote_increment":"0.01","price_increment":"0.01",
                "base_min_size":"0.00000001","base_max_size":"3400","quote_min_size":"1",
                "quote_max_size":"50000000","status":"online","trading_disabled":false,
                "is_disabled":false,"cancel_only":false,"limit_only":false,"post_only":false,
                "product_type":"SPOT","base_currency_id":"BTC","quote_currency_id":"USD",
                "new_field":{"x":1}},
              {"product_id":"OLD-USD","base_increment":"0.01","quote_increment":"0.01",
               "status":"delisted"},
              {"product_id":"ETH-USD","base_increment":"0.0001","quote_increment":"0.01",
               "status":"online","cancel_only":true}],"num_products":3}"#,
        )
        .unwrap();
        let r = p.products[0].rules(FEES).unwrap();
        assert_eq!(r.pair.to_string(), "BTC-USD");
        assert_eq!(r.venue_symbol, "BTC-USD");
        assert_eq!(
            (r.tick_size, r.step_size, r.min_size, r.min_notional),
            (dec!(0.01), dec!(0.00000001), dec!(0.00000001), dec!(1))
        );
        assert_eq!((r.maker_fee, r.taker_fee), (dec!(0.004), dec!(0.006)));
        assert_eq!(r.max_size, Some(dec!(3400)));
        assert!(p.products[1].rules(FEES).is_none());
        assert!(p.products[2].rules(FEES).is_none());
    }

    #[test]
    fn orders_states_and_adoption() {
        let o: OrderEnvelope = serde_json::from_str(
            r#"{"order":{"order_id":"0000-000000-000000","product_id":"BTC-USD","user_id":"2222",
                "order_configuration":{"limit_limit_gtc":{"base_size":"0.5","limit_price":"65000",
                "post_only":true}},"side":"BUY","client_order_id":"sl-abc","status":"OPEN",
                "time_in_force":"GOOD_UNTIL_CANCELLED","created_time":"2021-05-31T09:59:59Z",
                "completion_percentage":"40","filled_size":"0.2","average_filled_price":"65000",
                "fee":"","number_of_fills":"2","filled_value":"13000","pending_cancel":false,
                "size_in_quote":false,"total_fees":"78","order_type":"LIMIT"}}"#,
        )
        .unwrap();
        let o = o.order;
        assert_eq!(o.state(), Some(OrderState::PartiallyFilled));
        let pair: Pair = "BTC-USD".parse().unwrap();
        let req = o.to_request(&pair).unwrap().unwrap();
        assert_eq!(req.client_id.as_str(), "sl-abc");
        assert_eq!(req.order_type, OrderType::LimitMaker);
        assert_eq!((req.amount, req.price), (dec!(0.5), Some(dec!(65000))));
        assert_eq!(order_state("FILLED", dec!(1)), Some(OrderState::Filled));
        assert_eq!(order_state("EXPIRED", dec!(0)), Some(OrderState::Cancelled));
        assert_eq!(order_state("FAILED", dec!(0)), Some(OrderState::Failed));
        assert_eq!(order_state("SOMETHING", dec!(0)), None);
        let market: CbOrder = serde_json::from_str(
            r#"{"order_id":"1","product_id":"BTC-USD","client_order_id":"x","side":"SELL",
                "status":"FILLED","order_configuration":{"market_market_ioc":{"base_size":"2"}}}"#,
        )
        .unwrap();
        let req = market.to_request(&pair).unwrap().unwrap();
        assert_eq!((req.order_type, req.price), (OrderType::Market, None));
        let foreign: CbOrder = serde_json::from_str(
            r#"{"order_id":"1","product_id":"BTC-USD","client_order_id":"","side":"SELL","status":"OPEN"}"#,
        )
        .unwrap();
        assert!(foreign.to_request(&pair).unwrap().is_none());
    }

    #[test]
    fn fills_and_balances() {
        let f: FillList = serde_json::from_str(
            r#"{"fills":[{"entry_id":"22222","trade_id":"1111","order_id":"0000","trade_time":"2021-05-31T09:59:59.000Z",
                "trade_type":"FILL","price":"10000.00","size":"0.001","commission":"1.25",
                "product_id":"BTC-USD","sequence_timestamp":"2021-05-31T09:58:59.000Z",
                "liquidity_indicator":"MAKER","size_in_quote":false,"user_id":"3333","side":"BUY"}],
                "cursor":""}"#,
        )
        .unwrap();
        let pair: Pair = "BTC-USD".parse().unwrap();
        let id = ClientOrderId::new("x").unwrap();
        let fill = f.fills[0].to_fill(&id, &pair).unwrap();
        assert_eq!(fill.trade_id, "BTC-USD:1111");
        assert_eq!(
            (fill.amount, fill.price, fill.fee_amount),
            (dec!(0.001), dec!(10000), dec!(1.25))
        );
        assert_eq!(fill.fee_asset.as_str(), "USD");
        assert!(fill.is_maker);
        assert_eq!(fill.timestamp_ms, 1_622_455_199_000);
        let a: AccountList = serde_json::from_str(
            r#"{"accounts":[{"uuid":"8bfc20d7","name":"BTC Wallet","currency":"BTC",
                "available_balance":{"value":"1.5","currency":"BTC"},"default":false,"active":true,
                "type":"ACCOUNT_TYPE_CRYPTO","ready":true,"hold":{"value":"0.5","currency":"BTC"}}],
                "has_next":false,"cursor":"","size":1}"#,
        )
        .unwrap();
        let b = a.accounts[0].to_balance().unwrap();
        assert_eq!((b.total, b.available), (dec!(2), dec!(1.5)));
        let huge = CbAccount {
            currency: "BTC".into(),
            available_balance: Amount {
                value: Decimal::MAX,
            },
            hold: Some(Amount { value: dec!(1) }),
        };
        assert!(
            huge.to_balance()
                .unwrap_err()
                .to_string()
                .contains("overflows")
        );
    }

    #[test]
    fn error_bodies_html_and_clock() {
        let p = CoinbaseProtocol;
        let (code, msg) = p
            .parse_error(br#"{"error":"NOT_FOUND","error_details":"order not found","message":"order not found"}"#)
            .unwrap();
        assert_eq!(
            p.classify_error(404, code, &msg),
            ApiErrorKind::UnknownOrder
        );
        let (code, msg) = p
            .parse_error(br#"{"error":"UNAUTHENTICATED","message":"jwt expired"}"#)
            .unwrap();
        assert_eq!(p.classify_error(401, code, &msg), ApiErrorKind::Timestamp);
        let (code, msg) = p
            .parse_error(br#"{"error":"UNAUTHENTICATED","message":"invalid signature"}"#)
            .unwrap();
        assert_eq!(
            p.classify_error(401, code, &msg),
            ApiErrorKind::Authentication
        );
        assert_eq!(p.parse_error(b"<html><body>502</body></html>"), None);
        assert_eq!(p.parse_error(br#"{"error":"#), None);
        let e = decode::<AccountList>("accounts", b"<html>oops</html>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("accounts") && e.contains("<html>oops"), "{e}");
        assert_eq!(
            p.parse_server_time(br#"{"iso":"2023-05-31T09:59:59Z","epochSeconds":"1685527199","epochMillis":"1685527199123"}"#),
            Some(1_685_527_199_123)
        );
        assert!(matches!(
            refused(
                "INSUFFICIENT_FUND",
                "Insufficient balance in source account"
            ),
            CexError::Api {
                kind: ApiErrorKind::InsufficientBalance,
                ..
            }
        ));
    }
}
