//! Request parameters as Binance reads them: query string and form body merged (the query's value
//! wins when a name is in both), typed getters that fail with Binance's codes, and the validation
//! of a new order's parameter combination.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::error::ApiError;
use super::names::{RespType, parse_side, parse_time_in_force};
use crate::exchange::engine::order::{NewOrder, OrderType, TimeInForce};

/// Most decimals a price or quantity may carry.
const MAX_DECIMALS: u32 = 8;

/// Decoded request parameters.
#[derive(Debug, Clone, Default)]
pub struct Params {
    map: BTreeMap<String, String>,
}

impl Params {
    /// Parses `query` and `body` (both `application/x-www-form-urlencoded`). A name repeated in
    /// the same part is -1101; a name in both parts takes the query's value.
    pub fn parse(query: &str, body: &str) -> Result<Self, ApiError> {
        let mut map = BTreeMap::new();
        for part in [query, body] {
            let mut seen = BTreeMap::new();
            for (k, v) in url::form_urlencoded::parse(part.as_bytes()) {
                if seen.insert(k.to_string(), ()).is_some() {
                    return Err(ApiError::duplicate_param());
                }
                map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
            }
        }
        Ok(Self { map })
    }

    /// A parameter, `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A mandatory parameter (-1102 when missing).
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::mandatory(name))
    }

    /// An optional decimal (-1102 when malformed, -1111 when it has more than 8 decimals).
    pub fn decimal(&self, name: &str) -> Result<Option<Decimal>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let d: Decimal = raw.parse().map_err(|_| ApiError::mandatory(name))?;
        if d.scale() > MAX_DECIMALS && d.normalize().scale() > MAX_DECIMALS {
            return Err(ApiError::bad_precision(name));
        }
        if d.is_sign_negative() {
            return Err(ApiError::mandatory(name));
        }
        Ok(Some(d))
    }

    /// An optional unsigned integer (-1102 when malformed).
    pub fn u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => raw.parse().map(Some).map_err(|_| ApiError::mandatory(name)),
        }
    }

    /// The symbol, upper case as sent (-1102 when missing).
    pub fn symbol(&self) -> Result<String, ApiError> {
        Ok(self.required("symbol")?.to_string())
    }

    /// A client order id parameter, checked against Binance's pattern `^[.A-Z:/a-z0-9_-]{1,36}$`.
    pub fn client_id(&self, name: &str) -> Result<Option<String>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let ok = v.len() <= 36
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-'));
        if !ok {
            return Err(ApiError::new(
                400,
                -1100,
                format!(
                    "Illegal characters found in parameter '{name}'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{{1,36}}$'."
                ),
            ));
        }
        Ok(Some(v.to_string()))
    }

    /// Validates a `POST /api/v3/order` parameter set into a [`NewOrder`] and the response detail it asks for.
    pub fn new_order(&self) -> Result<(NewOrder, RespType), ApiError> {
        let symbol = self.symbol()?;
        let side = parse_side(self.required("side")?).ok_or_else(ApiError::invalid_side)?;
        let order_type = match self.required("type")? {
            "LIMIT" => OrderType::Limit,
            "LIMIT_MAKER" => OrderType::LimitMaker,
            "MARKET" => OrderType::Market,
            "STOP_LOSS" => {
                return Err(ApiError::new_order_rejected(
                    "Stop loss orders are not supported for this symbol.",
                ));
            }
            "STOP_LOSS_LIMIT" => {
                return Err(ApiError::new_order_rejected(
                    "Stop loss limit orders are not supported for this symbol.",
                ));
            }
            "TAKE_PROFIT" => {
                return Err(ApiError::new_order_rejected(
                    "Take profit orders are not supported for this symbol.",
                ));
            }
            "TAKE_PROFIT_LIMIT" => {
                return Err(ApiError::new_order_rejected(
                    "Take profit limit orders are not supported for this symbol.",
                ));
            }
            _ => return Err(ApiError::invalid_order_type()),
        };
        let quantity = self.decimal("quantity")?;
        let quote_order_qty = self.decimal("quoteOrderQty")?;
        let price = self.decimal("price")?;
        let tif_raw = self.get("timeInForce");
        let tif = match order_type {
            OrderType::Limit => {
                parse_time_in_force(tif_raw.ok_or_else(|| ApiError::mandatory("timeInForce"))?)
                    .ok_or_else(ApiError::invalid_tif)?
            }
            OrderType::LimitMaker | OrderType::Market => {
                if tif_raw.is_some() {
                    return Err(ApiError::not_required("timeInForce"));
                }
                TimeInForce::Gtc
            }
        };
        match order_type {
            OrderType::Limit | OrderType::LimitMaker => {
                if quantity.is_none() {
                    return Err(ApiError::mandatory("quantity"));
                }
                if price.is_none() {
                    return Err(ApiError::mandatory("price"));
                }
                if quote_order_qty.is_some() {
                    return Err(ApiError::not_required("quoteOrderQty"));
                }
            }
            OrderType::Market => {
                if price.is_some() {
                    return Err(ApiError::not_required("price"));
                }
                match (quantity, quote_order_qty) {
                    (None, None) => return Err(ApiError::one_of("quantity", "quoteOrderQty")),
                    (Some(_), Some(_)) => return Err(ApiError::not_required("quoteOrderQty")),
                    _ => {}
                }
            }
        }
        let resp_type = match self.get("newOrderRespType") {
            None => match order_type {
                OrderType::Limit | OrderType::Market => RespType::Full,
                OrderType::LimitMaker => RespType::Ack,
            },
            Some("ACK") => RespType::Ack,
            Some("RESULT") => RespType::Result,
            Some("FULL") => RespType::Full,
            Some(_) => return Err(ApiError::invalid_parameter("newOrderRespType")),
        };
        let order = NewOrder {
            symbol,
            side,
            order_type,
            tif,
            quantity,
            quote_order_qty,
            price,
            client_order_id: self.client_id("newClientOrderId")?,
        };
        Ok((order, resp_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_and_duplicates_rejected() {
        let p = Params::parse("symbol=BTCUSDT&side=BUY", "side=SELL&quantity=1").unwrap();
        assert_eq!(p.get("side"), Some("BUY"));
        assert_eq!(p.get("quantity"), Some("1"));
        assert_eq!(Params::parse("a=1&a=2", "").unwrap_err().code, -1101);
    }

    #[test]
    fn new_order_combinations() {
        let limit =
            Params::parse("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=10", "").unwrap();
        assert_eq!(
            limit.new_order().unwrap_err().msg,
            "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."
        );
        let market = Params::parse("symbol=BTCUSDT&side=BUY&type=MARKET", "").unwrap();
        assert_eq!(market.new_order().unwrap_err().code, -1102);
        let bad_side = Params::parse("symbol=BTCUSDT&side=UP&type=MARKET&quantity=1", "").unwrap();
        assert_eq!(bad_side.new_order().unwrap_err().code, -1117);
        let precise = Params::parse(
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.000000001",
            "",
        )
        .unwrap();
        assert_eq!(precise.new_order().unwrap_err().code, -1111);
        let ok = Params::parse(
            "symbol=BTCUSDT&side=SELL&type=LIMIT_MAKER&quantity=1&price=10",
            "",
        )
        .unwrap();
        assert_eq!(ok.new_order().unwrap().1, RespType::Ack);
    }
}
