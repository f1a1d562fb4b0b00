//! Kraken's names on the exchange side: transaction ids of orders and trades (`OQCLML-BW3P3-BUCMWZ`
//! style, here the engine's numeric id in hex between dashes), the asset codes (`XXBT`, `ZUSD`)
//! with their alternative names (`XBT`, `USD`) and WebSocket v2 names (`BTC`, `USD`), pair names
//! (REST key `XXBTZUSD`, `altname` `XBTUSD`, `wsname` `XBT/USD`, v2 symbol `BTC/USD`), statuses.

use rust_decimal::Decimal;

use crate::exchange::engine::order::{Order, OrderStatus, OrderType, Side};
use crate::exchange::engine::spec::SymbolSpec;

/// A Kraken-style id for an engine id: `prefix` then 16 hex digits as `6-5-5`.
fn txid(prefix: char, id: u64) -> String {
    let h = format!("{id:016X}");
    format!("{prefix}{}-{}-{}", &h[..6], &h[6..11], &h[11..])
}

fn parse_txid(prefix: char, s: &str) -> Option<u64> {
    let rest = s.strip_prefix(prefix)?;
    let hex: String = rest.chars().filter(|c| *c != '-').collect();
    (hex.len() == 16 && rest.len() == 18)
        .then(|| u64::from_str_radix(&hex, 16).ok())
        .flatten()
}

/// An order's txid.
pub fn order_txid(id: u64) -> String {
    txid('O', id)
}

/// The engine id of an order txid.
pub fn parse_order_txid(s: &str) -> Option<u64> {
    parse_txid('O', s)
}

/// A trade's txid.
pub fn trade_txid(id: u64) -> String {
    txid('T', id)
}

/// The engine id of a trade txid.
pub fn parse_trade_txid(s: &str) -> Option<u64> {
    parse_txid('T', s)
}

/// (alternative name, WebSocket v2 name) of an asset code.
pub fn asset_names(code: &str) -> (&str, &str) {
    match code {
        "XXBT" => ("XBT", "BTC"),
        "XXDG" => ("XDG", "DOGE"),
        "XETH" => ("ETH", "ETH"),
        "XLTC" => ("LTC", "LTC"),
        "ZUSD" => ("USD", "USD"),
        "ZEUR" => ("EUR", "EUR"),
        "ZGBP" => ("GBP", "GBP"),
        other => (other, other),
    }
}

/// The legacy `X`/`Z`-prefixed asset codes the simulator knows ([`asset_names`]).
const PREFIXED_CODES: [&str; 7] = ["XXBT", "XXDG", "XETH", "XLTC", "ZUSD", "ZEUR", "ZGBP"];

/// Kraken's asset code of a common ticker or alternative name (`ETH` → `XETH`, `BTC` and `XBT`
/// → `XXBT`, `USD` → `ZUSD`); a name without a legacy code is its own code (`USDT`, `CELO`).
pub fn code_of_name(name: &str) -> String {
    asset_code(name, PREFIXED_CODES).unwrap_or(name).to_string()
}

/// The asset code of a WebSocket v2 or alternative name among `codes`.
pub fn asset_code<C: AsRef<str>>(name: &str, codes: impl IntoIterator<Item = C>) -> Option<C> {
    codes.into_iter().find(|c| {
        let c = c.as_ref();
        let (alt, v2) = asset_names(c);
        c == name || alt == name || v2 == name
    })
}

/// The REST key of a pair (`XXBTZUSD`).
pub fn rest_key(spec: &SymbolSpec) -> String {
    format!("{}{}", spec.base, spec.quote)
}

/// The `wsname` (`XBT/USD`).
pub fn wsname(spec: &SymbolSpec) -> String {
    format!(
        "{}/{}",
        asset_names(&spec.base).0,
        asset_names(&spec.quote).0
    )
}

/// The WebSocket v2 symbol (`BTC/USD`).
pub fn ws_symbol(spec: &SymbolSpec) -> String {
    format!(
        "{}/{}",
        asset_names(&spec.base).1,
        asset_names(&spec.quote).1
    )
}

/// Decimals of a step (`0.1` → 1).
pub fn decimals(step: Decimal) -> u32 {
    step.normalize().scale()
}

/// `buy` / `sell`.
pub fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// `limit` / `market` (a post-only order is a `limit` with the `post` flag).
pub fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Market => "market",
        _ => "limit",
    }
}

/// The REST status of an order: `open`, `closed` (filled), `canceled`, `expired`.
pub fn rest_status(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::New | OrderStatus::PartiallyFilled => "open",
        OrderStatus::Filled => "closed",
        OrderStatus::Canceled => "canceled",
        OrderStatus::Expired => "expired",
    }
}

/// The `order_status` of the executions channel.
pub fn ws_status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New => "new",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Canceled => "canceled",
        OrderStatus::Expired => "expired",
    }
}

/// `d` with exactly `dp` decimals (Kraken's full precision).
pub fn fixed(d: Decimal, dp: u32) -> String {
    format!("{:.*}", dp as usize, d.round_dp(dp))
}

/// RFC 3339 UTC time of `ms` since the epoch, with microseconds (`2023-09-27T08:01:51.111000Z`).
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // civil date from days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Seconds since the epoch with 4 decimals, as Kraken's REST times (`1688667796.8802`).
pub fn secs(ms: u64) -> String {
    format!("{}.{:03}0", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txids_round_trip() {
        let t = order_txid(1_700_000_000_123);
        assert_eq!(t.len(), 19);
        assert_eq!(parse_order_txid(&t), Some(1_700_000_000_123));
        assert_eq!(parse_trade_txid(&t), None);
        assert_eq!(parse_trade_txid(&trade_txid(7)), Some(7));
        assert_eq!(parse_order_txid("O12"), None);
        assert_eq!(fixed(Decimal::new(1, 1), 8), "0.10000000");
        assert_eq!(rfc3339(1_695_801_711_111), "2023-09-27T08:01:51.111000Z");
        assert_eq!(secs(1_688_667_796_880), "1688667796.8800");
    }

    #[test]
    fn common_names_map_to_kraken_codes() {
        for (name, code) in [
            ("ETH", "XETH"),
            ("BTC", "XXBT"),
            ("XBT", "XXBT"),
            ("USD", "ZUSD"),
            ("XETH", "XETH"),
            ("USDT", "USDT"),
            ("CELO", "CELO"),
        ] {
            assert_eq!(code_of_name(name), code, "{name}");
        }
    }
}
