//! Gate.io APIv4 spot over REST: the HTTP protocol (error bodies `{"label","message"}`, server
//! time), the documented rate limits per endpoint group, the client-id rule, the response types
//! (`/spot/currency_pairs`, `/spot/orders`, `/spot/my_trades`, `/spot/accounts`) and their
//! conversion to sluice's core types.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::HttpProtocol;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, OrderRequest, OrderState, OrderType, Pair,
    Side, TimeInForce,
};

use super::errors;

/// The path prefix of every APIv4 endpoint (signed as part of the path).
pub const PREFIX: &str = "/api/v4";

/// The prefix Gate.io requires on a custom order id (`text`).
pub const TEXT_PREFIX: &str = "t-";

/// Rate-limit counters, one per endpoint group Gate.io limits separately.
pub const PUBLIC_PAIRS: &str = "public:currency_pairs";
pub const PUBLIC_BOOK: &str = "public:order_book";
pub const PUBLIC_TIME: &str = "public:time";
pub const ORDER_PLACE: &str = "private:order_place";
pub const ORDER_CANCEL: &str = "private:order_cancel";
pub const ORDER_QUERY: &str = "private:orders";
pub const OPEN_ORDERS: &str = "private:open_orders";
pub const MY_TRADES: &str = "private:my_trades";
pub const ACCOUNTS: &str = "private:accounts";

/// Gate.io's documented spot limits: public endpoints 200 requests per 10 s per endpoint (per
/// IP), private ones 200 per 10 s per endpoint (per UID), order placement 10 per second per market
/// (one counter over all markets here: stricter), cancels 200 per second.
pub fn default_limits() -> Vec<RateLimit> {
    let ten = Duration::from_secs(10);
    let one = Duration::from_secs(1);
    vec![
        RateLimit::new(PUBLIC_PAIRS, ten, 200),
        RateLimit::new(PUBLIC_BOOK, ten, 200),
        RateLimit::new(PUBLIC_TIME, ten, 200),
        RateLimit::new(ORDER_PLACE, one, 10),
        RateLimit::new(ORDER_CANCEL, one, 200),
        RateLimit::new(ORDER_QUERY, ten, 200),
        RateLimit::new(OPEN_ORDERS, ten, 200),
        RateLimit::new(MY_TRADES, ten, 200),
        RateLimit::new(ACCOUNTS, ten, 200),
    ]
}

/// A sluice client id is the part of Gate.io's `text` after `t-`: at most 28 characters of
/// `0-9 A-Z a-z _ - .` (the connector adds the prefix on the wire and removes it on the way back).
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 28,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'),
};

/// The `text` of a client id.
pub fn text_of(id: &ClientOrderId) -> String {
    format!("{TEXT_PREFIX}{id}")
}

/// The client id of an order's `text`; `None` for an order without a custom id (`apiv4`, `web`).
pub fn client_id_of(text: &str) -> Option<ClientOrderId> {
    let id = text.strip_prefix(TEXT_PREFIX)?;
    ClientOrderId::new(id).ok()
}

/// The HTTP side of Gate.io APIv4.
#[derive(Debug, Clone, Default)]
pub struct GateProtocol;

impl HttpProtocol for GateProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        #[derive(Deserialize)]
        struct ErrBody {
            label: String,
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            detail: Option<String>,
        }
        let e: ErrBody = serde_json::from_slice(body).ok()?;
        let text = e.message.or(e.detail).unwrap_or_default();
        Some((errors::code_of(&e.label), format!("{}: {text}", e.label)))
    }

    fn classify_error(&self, status: u16, code: i64, _msg: &str) -> ApiErrorKind {
        errors::classify(status, code)
    }

    fn server_time_path(&self) -> &'static str {
        "/api/v4/spot/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(PUBLIC_TIME, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        struct T {
            server_time: i64,
        }
        serde_json::from_slice::<T>(body)
            .ok()
            .map(|t| t.server_time)
    }

    /// Gate.io reports the remaining requests of the endpoint just called
    /// (`X-Gate-RateLimit-Requests-Remain`); the client keeps its own per-endpoint counts, which
    /// are never looser, so the headers are only logged when they run low.
    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, _limiter: &RateLimiter) {
        let remain = headers
            .get("x-gate-ratelimit-requests-remain")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok());
        if remain == Some(0) {
            tracing::warn!("gate_io: the endpoint's rate limit is used up");
        }
    }
}

/// Parses a JSON body into `T`, with an error that names what was expected and shows the start of
/// the body (an HTML page, say).
pub fn decode<'a, T: Deserialize<'a>>(what: &str, body: &'a [u8]) -> Result<T, CexError> {
    serde_json::from_slice(body).map_err(|e| CexError::Decode {
        what: what.to_string(),
        detail: format!("{e}; body starts {:?}", CexError::snippet(body)),
    })
}

/// An id Gate.io writes as a string in REST and as a number in some stream messages.
fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(u64),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
    })
}

// ---- markets ----

/// `GET /spot/currency_pairs` (one element) and `/spot/currency_pairs/{pair}`.
#[derive(Debug, Clone, Deserialize)]
pub struct CurrencyPair {
    pub id: String,
    pub base: String,
    pub quote: String,
    /// Trading fee in percent (`"0.2"` = 0.2 %).
    #[serde(default)]
    pub fee: Option<Decimal>,
    #[serde(default)]
    pub min_base_amount: Option<Decimal>,
    #[serde(default)]
    pub min_quote_amount: Option<Decimal>,
    #[serde(default)]
    pub max_base_amount: Option<Decimal>,
    /// Decimals of the amount (the step is `10^-amount_precision`).
    pub amount_precision: u32,
    /// Decimals of the price (the tick is `10^-precision`).
    pub precision: u32,
    /// `tradable`, `untradable`, `buyable` or `sellable`.
    pub trade_status: String,
}

/// Most decimals a `Decimal` step can carry.
const MAX_DECIMALS: u32 = 28;

impl CurrencyPair {
    /// The rules of a pair that trades both ways; `None` otherwise, or when its precisions are
    /// unusable. The listed fee (percent) is both the maker and the taker fee, `default_fee`
    /// when none is listed.
    pub fn rules(&self, default_fee: Decimal) -> Option<MarketRules> {
        if self.trade_status != "tradable"
            || self.precision > MAX_DECIMALS
            || self.amount_precision > MAX_DECIMALS
        {
            return None;
        }
        let pair = Pair::new(Asset::new(&self.base).ok()?, Asset::new(&self.quote).ok()?);
        let fee = match self.fee {
            Some(pct) => pct.checked_div(Decimal::ONE_HUNDRED)?,
            None => default_fee,
        };
        let mut rules = MarketRules::unrestricted(pair, self.id.clone(), fee);
        rules.tick_size = Decimal::new(1, self.precision);
        rules.step_size = Decimal::new(1, self.amount_precision);
        rules.min_size = self.min_base_amount.unwrap_or_default();
        rules.min_notional = self.min_quote_amount.unwrap_or_default();
        rules.max_size = self.max_base_amount.filter(|m| !m.is_zero());
        Some(rules)
    }
}

// ---- orders ----

/// An order document: the answer of `POST /spot/orders`, `GET`/`DELETE /spot/orders/{id}`, an
/// element of the open orders, and (with `event`) of the `spot.orders` channel.
#[derive(Debug, Clone, Deserialize)]
pub struct GateOrder {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default)]
    pub text: String,
    pub currency_pair: String,
    /// `open`, `closed` (filled) or `cancelled`.
    #[serde(default)]
    pub status: Option<String>,
    /// The stream's `put`, `update` or `finish`.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(rename = "type", default)]
    pub order_type: Option<String>,
    pub side: String,
    pub amount: Decimal,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub time_in_force: Option<String>,
    /// What is left to fill (in the order's amount unit).
    #[serde(default)]
    pub left: Option<Decimal>,
    /// Base amount filled (newer documents; else `amount - left` for a limit order).
    #[serde(default)]
    pub filled_amount: Option<Decimal>,
    #[serde(default)]
    pub filled_total: Option<Decimal>,
    /// How it ended: `open`, `filled`, `cancelled`, `ioc`, `poc`, `fok`, `stp`, …
    #[serde(default)]
    pub finish_as: Option<String>,
}

impl GateOrder {
    /// The base amount filled so far, when the document says.
    pub fn filled(&self) -> Option<Decimal> {
        if let Some(f) = self.filled_amount {
            return Some(f);
        }
        // `amount - left` is a base amount except for a market buy (quote)
        let market_buy = self.order_type.as_deref() == Some("market") && self.side == "buy";
        match (market_buy, self.left) {
            (false, Some(left)) => self.amount.checked_sub(left),
            _ => None,
        }
    }

    /// The order's state on the shared state machine; `None` for a word Gate.io does not document.
    pub fn state(&self) -> Option<OrderState> {
        let filled = self.filled().unwrap_or_default();
        let status = match (self.status.as_deref(), self.event.as_deref()) {
            (Some(s), _) => s,
            (None, Some("put" | "update")) => "open",
            (None, Some("finish")) => match self.finish_as.as_deref() {
                Some("filled") => "closed",
                _ => "cancelled",
            },
            _ => return None,
        };
        Some(match status {
            "open" if filled.is_zero() => OrderState::Open,
            "open" => OrderState::PartiallyFilled,
            "closed" => OrderState::Filled,
            // a post-only order that would have taken is refused, not cancelled
            "cancelled" if filled.is_zero() && self.finish_as.as_deref() == Some("poc") => {
                OrderState::Failed
            }
            "cancelled" => OrderState::Cancelled,
            _ => return None,
        })
    }

    /// The status word for messages.
    pub fn status_word(&self) -> String {
        let s = self
            .status
            .as_deref()
            .or(self.event.as_deref())
            .unwrap_or("?");
        match self.finish_as.as_deref() {
            Some(f) if f != "open" => format!("{s}/{f}"),
            _ => s.to_string(),
        }
    }

    /// The request this order answers, rebuilt from the exchange's record (to adopt an order this
    /// process did not send); `None` for an order without a sluice client id.
    pub fn to_request(&self, pair: &Pair) -> Result<Option<OrderRequest>, CexError> {
        let Some(client_id) = client_id_of(&self.text) else {
            return Ok(None);
        };
        let bad = |what: &str| CexError::decode("order", format!("missing or unknown {what}"));
        let side = parse_side(&self.side).ok_or_else(|| bad("side"))?;
        let tif = self.time_in_force.as_deref().unwrap_or("gtc");
        let order_type = match (self.order_type.as_deref(), tif) {
            (Some("market"), _) => OrderType::Market,
            (Some("limit") | None, "poc") => OrderType::LimitMaker,
            (Some("limit") | None, _) => OrderType::Limit,
            _ => return Err(bad("type")),
        };
        let time_in_force = match tif {
            "ioc" => TimeInForce::Ioc,
            "fok" => TimeInForce::Fok,
            _ => TimeInForce::Gtc,
        };
        Ok(Some(OrderRequest {
            client_id,
            pair: pair.clone(),
            side,
            order_type,
            amount: self.amount,
            price: (order_type != OrderType::Market)
                .then_some(self.price)
                .flatten(),
            time_in_force,
            deadline: None,
        }))
    }
}

pub fn parse_side(s: &str) -> Option<Side> {
    match s {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => None,
    }
}

/// The venue-wide identity of a Gate.io trade: the pair and Gate.io's trade id.
pub fn fill_trade_id(pair: &Pair, id: &str) -> String {
    format!("{pair}:{id}")
}

/// `GET /spot/my_trades` (one element), and the `spot.usertrades` channel's.
#[derive(Debug, Clone, Deserialize)]
pub struct MyTrade {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(deserialize_with = "id_string")]
    pub order_id: String,
    pub currency_pair: String,
    pub side: String,
    /// `maker` or `taker`.
    #[serde(default)]
    pub role: Option<String>,
    pub amount: Decimal,
    pub price: Decimal,
    #[serde(default)]
    pub fee: Decimal,
    #[serde(default)]
    pub fee_currency: Option<String>,
    #[serde(default)]
    pub text: String,
    /// Milliseconds, written with a fraction (`"1548000000123.456"`) or as a number.
    #[serde(default)]
    pub create_time_ms: Option<serde_json::Value>,
}

impl MyTrade {
    fn time_ms(&self) -> u64 {
        let v = match &self.create_time_ms {
            Some(serde_json::Value::String(s)) => s.parse::<Decimal>().ok(),
            Some(serde_json::Value::Number(n)) => n.to_string().parse::<Decimal>().ok(),
            _ => None,
        };
        v.and_then(|d| u64::try_from(d.trunc()).ok()).unwrap_or(0)
    }

    /// The fill of this trade for order `client_id`.
    pub fn to_fill(&self, client_id: &ClientOrderId, pair: &Pair) -> Result<Fill, CexError> {
        let side = parse_side(&self.side)
            .ok_or_else(|| CexError::decode("trade", format!("unknown side {:?}", self.side)))?;
        let fee_asset = self.fee_currency.as_deref().unwrap_or(match side {
            Side::Buy => pair.base.as_str(),
            Side::Sell => pair.quote.as_str(),
        });
        Ok(Fill {
            venue: String::new(),
            trade_id: fill_trade_id(pair, &self.id),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.order_id.clone()),
            pair: pair.clone(),
            side,
            price: self.price,
            amount: self.amount,
            fee_asset: Asset::new(fee_asset)?,
            fee_amount: self.fee,
            is_maker: self.role.as_deref() == Some("maker"),
            timestamp_ms: self.time_ms(),
        })
    }
}

/// `GET /spot/accounts` (one element).
#[derive(Debug, Clone, Deserialize)]
pub struct SpotAccount {
    pub currency: String,
    pub available: Decimal,
    pub locked: Decimal,
}

impl SpotAccount {
    pub fn to_balance(&self) -> Result<Balance, CexError> {
        let total = self.available.checked_add(self.locked).ok_or_else(|| {
            CexError::decode(
                "balance",
                format!("{}: available + locked overflows", self.currency),
            )
        })?;
        Ok(Balance::new(
            Asset::new(&self.currency)?,
            total,
            self.available,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rules_from_a_currency_pair() {
        let pairs: Vec<CurrencyPair> = serde_json::from_str(
            r#"[{"id":"ETH_USDT","base":"ETH","base_name":"Ethereum","quote":"USDT","quote_name":"Tether",
                 "fee":"0.2","min_base_amount":"0.001","min_quote_amount":"1.0","max_base_amount":"10000",
                 "amount_precision":3,"precision":6,"trade_status":"tradable","sell_start":1516378650,
                 "buy_start":1516378650,"type":"normal"},
                {"id":"OLD_USDT","base":"OLD","quote":"USDT","amount_precision":2,"precision":2,
                 "trade_status":"untradable"},
                {"id":"BAD_USDT","base":"BAD","quote":"USDT","amount_precision":99,"precision":2,
                 "trade_status":"tradable"}]"#,
        )
        .unwrap();
        let r = pairs[0].rules(dec!(0.002)).unwrap();
        assert_eq!(r.pair.to_string(), "ETH-USDT");
        assert_eq!(r.venue_symbol, "ETH_USDT");
        assert_eq!(
            (r.tick_size, r.step_size, r.min_size, r.min_notional),
            (dec!(0.000001), dec!(0.001), dec!(0.001), dec!(1))
        );
        assert_eq!((r.maker_fee, r.taker_fee), (dec!(0.002), dec!(0.002)));
        assert_eq!(r.max_size, Some(dec!(10000)));
        assert!(pairs[1].rules(dec!(0.002)).is_none());
        assert!(pairs[2].rules(dec!(0.002)).is_none());
    }

    #[test]
    fn order_documents_and_states() {
        let o: GateOrder = serde_json::from_str(
            r#"{"id":"1852454420","text":"t-abc123","amend_text":"-","create_time":"1710488334",
                "status":"open","currency_pair":"BTC_USDT","type":"limit","account":"spot","side":"buy",
                "amount":"0.5","price":"65000","time_in_force":"gtc","iceberg":"0","left":"0.2",
                "filled_total":"19500","fee":"0","fee_currency":"BTC","finish_as":"open"}"#,
        )
        .unwrap();
        assert_eq!(o.filled(), Some(dec!(0.3)));
        assert_eq!(o.state(), Some(OrderState::PartiallyFilled));
        let pair: Pair = "BTC-USDT".parse().unwrap();
        let req = o.to_request(&pair).unwrap().unwrap();
        assert_eq!(req.client_id.as_str(), "abc123");
        assert_eq!((req.amount, req.price), (dec!(0.5), Some(dec!(65000))));
        let poc: GateOrder = serde_json::from_str(
            r#"{"id":1,"text":"t-x","currency_pair":"BTC_USDT","status":"cancelled","side":"sell",
                "amount":"1","left":"1","time_in_force":"poc","finish_as":"poc"}"#,
        )
        .unwrap();
        assert_eq!(poc.state(), Some(OrderState::Failed));
        assert_eq!(
            poc.to_request(&pair).unwrap().unwrap().order_type,
            OrderType::LimitMaker
        );
        let fin: GateOrder = serde_json::from_str(
            r#"{"id":"2","text":"web","currency_pair":"BTC_USDT","event":"finish","side":"sell",
                "amount":"1","left":"0","finish_as":"filled"}"#,
        )
        .unwrap();
        assert_eq!(fin.state(), Some(OrderState::Filled));
        assert!(
            fin.to_request(&pair).unwrap().is_none(),
            "not a sluice order"
        );
    }

    #[test]
    fn trades_and_balances() {
        let t: MyTrade = serde_json::from_str(
            r#"{"id":5736713,"user_id":1000001,"order_id":"30784428","currency_pair":"BTC_USDT",
                "create_time":1605176741,"create_time_ms":"1605176741123.456","side":"sell",
                "amount":"1.00000000","role":"taker","price":"10000.00000000","fee":"0.002",
                "fee_currency":"USDT","point_fee":"0","gt_fee":"0","text":"t-x"}"#,
        )
        .unwrap();
        let pair: Pair = "BTC-USDT".parse().unwrap();
        let id = ClientOrderId::new("x").unwrap();
        let f = t.to_fill(&id, &pair).unwrap();
        assert_eq!(f.trade_id, "BTC-USDT:5736713");
        assert_eq!(
            (f.amount, f.price, f.fee_amount),
            (dec!(1), dec!(10000), dec!(0.002))
        );
        assert_eq!(f.timestamp_ms, 1_605_176_741_123);
        assert!(!f.is_maker);
        let a = SpotAccount {
            currency: "BTC".into(),
            available: Decimal::MAX,
            locked: dec!(1),
        };
        assert!(
            a.to_balance()
                .unwrap_err()
                .to_string()
                .contains("overflows")
        );
    }

    #[test]
    fn error_bodies_and_html() {
        let p = GateProtocol;
        let (code, msg) = p
            .parse_error(br#"{"label":"BALANCE_NOT_ENOUGH","message":"Not enough balance"}"#)
            .unwrap();
        assert_eq!(
            p.classify_error(400, code, &msg),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(msg, "BALANCE_NOT_ENOUGH: Not enough balance");
        assert_eq!(p.parse_error(b"<html><body>502</body></html>"), None);
        assert_eq!(p.parse_error(br#"{"label":"#), None);
        let e = decode::<Vec<SpotAccount>>("accounts", b"<html>oops</html>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("accounts") && e.contains("<html>oops"), "{e}");
        assert_eq!(
            p.parse_server_time(br#"{"server_time":1597026383085}"#),
            Some(1_597_026_383_085)
        );
    }

    #[test]
    fn client_ids_carry_the_t_prefix_on_the_wire() {
        let id = ClientOrderId::new("sl-abc").unwrap();
        assert_eq!(text_of(&id), "t-sl-abc");
        assert_eq!(client_id_of("t-sl-abc"), Some(id.clone()));
        assert_eq!(client_id_of("apiv4"), None);
        assert!(CLIENT_ID_RULE.check(&id).is_ok());
        let long = ClientOrderId::new(&"a".repeat(29)).unwrap();
        assert!(CLIENT_ID_RULE.check(&long).is_err());
        let colon = ClientOrderId::new("a:b").unwrap();
        assert!(CLIENT_ID_RULE.check(&colon).is_err());
        let fresh = CLIENT_ID_RULE.fresh("sl-").unwrap();
        assert!(fresh.as_str().len() <= 28 && CLIENT_ID_RULE.check(&fresh).is_ok());
    }
}
