//! The indexer's JSON: markets of `GET /v4/perpetualMarkets` (with the chain's market parameters,
//! kept consistent with the tick and step sizes), the book documents (`{price,size}` objects for
//! the REST snapshot and `subscribed`, `[price,size]` pairs for updates), comlink's error body,
//! and the engine's depth diffs as published to the socket loops: each market's diffs are
//! numbered in order (`seq`) so that a connection can turn them into its own `message_id`s with
//! a diff lost to a fault still counted (a gap the client sees).

use std::collections::HashMap;
use std::sync::Mutex;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::dialects::binance::shapes::BinanceEvents;
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{Execution, Order, Trade};
use crate::exchange::engine::server::lock;
use crate::exchange::engine::spec::SymbolSpec;

/// A plain decimal string (no trailing zeros).
pub fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A perpetual market as the chain defines it; the book's tick and step sizes follow from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerpetualMarket {
    /// `BTC-USD`.
    pub ticker: String,
    pub clob_pair_id: u32,
    /// Base quantums: 1 quantum = 10^atomic_resolution of the base asset.
    pub atomic_resolution: i32,
    pub quantum_conversion_exponent: i32,
    pub step_base_quantums: u64,
    pub subticks_per_tick: u64,
}

/// USDC's atomic resolution on dYdX (1 quantum = 10^-6 USDC).
pub const QUOTE_ATOMIC_RESOLUTION: i32 = -6;

fn pow10(e: i32) -> Decimal {
    let mut d = Decimal::ONE;
    let ten = Decimal::TEN;
    for _ in 0..e.unsigned_abs() {
        d = if e >= 0 { d * ten } else { d / ten };
    }
    d
}

impl PerpetualMarket {
    /// `stepBaseQuantums × 10^atomicResolution`.
    pub fn step_size(&self) -> Decimal {
        (Decimal::from(self.step_base_quantums) * pow10(self.atomic_resolution)).normalize()
    }

    /// `subticksPerTick × 10^(quantumConversionExponent − atomicResolution + quote resolution)`.
    pub fn tick_size(&self) -> Decimal {
        let e = self.quantum_conversion_exponent - self.atomic_resolution + QUOTE_ATOMIC_RESOLUTION;
        (Decimal::from(self.subticks_per_tick) * pow10(e)).normalize()
    }

    /// The engine's spec of this market (a perpetual quoted in USD, settled in USDC).
    pub fn spec(&self) -> SymbolSpec {
        let base = self.ticker.split('-').next().unwrap_or(&self.ticker);
        let (tick, step) = (self.tick_size(), self.step_size());
        SymbolSpec {
            symbol: self.ticker.clone(),
            tick_size: tick,
            min_price: tick,
            step_size: step,
            min_qty: step,
            max_qty: Decimal::from(1_000_000_000u64),
            min_notional: Decimal::ZERO,
            maker_fee: Decimal::new(1, 4),
            taker_fee: Decimal::new(5, 4),
            ..SymbolSpec::new(base, "USD")
        }
    }

    /// One market of `GET /v4/perpetualMarkets`.
    pub fn doc(&self, oracle: Option<Decimal>) -> Value {
        json!({
            "clobPairId": self.clob_pair_id.to_string(), "ticker": self.ticker, "status": "ACTIVE",
            "oraclePrice": oracle.map(num).unwrap_or_default(), "priceChange24H": "0",
            "volume24H": "0", "trades24H": 0, "nextFundingRate": "0",
            "initialMarginFraction": "0.05", "maintenanceMarginFraction": "0.03",
            "openInterest": "0", "atomicResolution": self.atomic_resolution,
            "quantumConversionExponent": self.quantum_conversion_exponent,
            "tickSize": num(self.tick_size()), "stepSize": num(self.step_size()),
            "stepBaseQuantums": self.step_base_quantums,
            "subticksPerTick": self.subticks_per_tick, "marketType": "CROSS",
            "openInterestLowerCap": "0", "openInterestUpperCap": "0", "baseOpenInterest": "0",
            "defaultFundingRate1H": "0",
        })
    }
}

/// `{"bids":[{"price","size"}],"asks":[…]}`, bids best first then asks best first.
pub fn book_doc(bids: &[PriceLevel], asks: &[PriceLevel]) -> Value {
    let side = |levels: &[PriceLevel]| -> Vec<Value> {
        levels
            .iter()
            .map(|(p, s)| json!({"price": num(*p), "size": num(*s)}))
            .collect()
    };
    json!({"bids": side(bids), "asks": side(asks)})
}

/// An update's `contents`: the sides that changed, `[price,size]` pairs (`"0"` removes).
pub fn update_contents(bids: &[PriceLevel], asks: &[PriceLevel]) -> Value {
    let pairs = |levels: &[PriceLevel]| -> Value {
        Value::Array(
            levels
                .iter()
                .map(|(p, q)| json!([num(*p), num(*q)]))
                .collect(),
        )
    };
    let mut c = serde_json::Map::new();
    if !bids.is_empty() {
        c.insert("bids".into(), pairs(bids));
    }
    if !asks.is_empty() {
        c.insert("asks".into(), pairs(asks));
    }
    Value::Object(c)
}

/// comlink's error body.
pub fn error_body(msg: &str) -> String {
    json!({"errors": [{"msg": msg}]}).to_string()
}

/// A published diff: its market's number, then a newline, then its `contents`.
pub fn published(seq: u64, contents: &str) -> String {
    format!("{seq}\n{contents}")
}

/// The number and the contents of a published diff.
pub fn unpublished(data: &str) -> Option<(u64, &str)> {
    let (seq, contents) = data.split_once('\n')?;
    Some((seq.parse().ok()?, contents))
}

/// The engine's events as the indexer publishes them to its socket loops.
#[derive(Debug, Default)]
pub struct IndexerEvents {
    /// Each market's last diff number.
    seqs: Mutex<HashMap<String, u64>>,
}

impl IndexerEvents {
    /// The number of `ticker`'s last diff (read with the engine locked: a snapshot taken then
    /// holds every diff up to it).
    pub fn current_seq(&self, ticker: &str) -> u64 {
        lock(&self.seqs).get(ticker).copied().unwrap_or(0)
    }
}

impl EventShapes for IndexerEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        _first_update_id: u64,
        _final_update_id: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        _event_time: u64,
    ) -> String {
        let seq = {
            let mut all = lock(&self.seqs);
            let s = all.entry(symbol.to_string()).or_default();
            *s += 1;
            *s
        };
        published(seq, &update_contents(bids, asks).to_string())
    }

    // trades and account events are not served by this simulator (the node's side): Binance's
    // shapes, never sent
    fn trade(&self, trade: &Trade, event_time: u64) -> String {
        BinanceEvents.trade(trade, event_time)
    }

    fn execution(&self, order: &Order, execution: &Execution) -> String {
        BinanceEvents.execution(order, execution)
    }

    fn account_position(&self, changed: &[(String, Balance)], event_time: u64) -> String {
        BinanceEvents.account_position(changed, event_time)
    }

    fn balance_delta(&self, asset: &str, delta: Decimal, event_time: u64) -> String {
        BinanceEvents.balance_delta(asset, delta, event_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn tick_and_step_follow_the_market_parameters() {
        let btc = super::super::default_markets()[0].clone();
        assert_eq!((btc.tick_size(), btc.step_size()), (dec!(1), dec!(0.0001)));
        let eth = super::super::default_markets()[1].clone();
        assert_eq!((eth.tick_size(), eth.step_size()), (dec!(0.1), dec!(0.001)));
        assert_eq!(unpublished(&published(7, "{}")), Some((7, "{}")));
        assert_eq!(
            update_contents(&[], &[(dec!(1.50), dec!(0))]).to_string(),
            r#"{"asks":[["1.5","0"]]}"#
        );
    }
}
