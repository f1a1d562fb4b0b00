//! Liquidation in the simulated futures exchange: when a mark set through the handle crosses a
//! position's liquidation price (the engine ledger's Binance formula), the position is closed at
//! its bankruptcy price and the trading account is told as Binance tells it: an
//! `ORDER_TRADE_UPDATE` of the venue's own order (client id `autoclose-<time>`, `LIMIT` `IOC`,
//! reduce-only, filled at once) and an `ACCOUNT_UPDATE` with the position gone and the wallet
//! less the margin lost.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::account::side_name;
use super::server::Shared;
use crate::exchange::dialects::binance::shapes::fmt8;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::perp::Liquidation;

/// Order ids of liquidation orders start here (the engine's own ids stay far below).
const LIQUIDATION_ORDER_IDS: u64 = 8_000_000_000;

/// The `ORDER_TRADE_UPDATE` of the venue's liquidation order for `liq`.
pub fn order_trade_update(liq: &Liquidation) -> Value {
    let qty = liq.size.abs();
    let side = if liq.size > Decimal::ZERO {
        "SELL"
    } else {
        "BUY"
    };
    json!({
        "e": "ORDER_TRADE_UPDATE", "E": liq.time, "T": liq.time,
        "o": {
            "s": liq.symbol, "c": format!("autoclose-{}{}", liq.time, liq.seq), "S": side,
            "o": "LIMIT", "f": "IOC", "q": fmt8(qty), "p": fmt8(liq.price),
            "ap": fmt8(liq.price), "sp": "0", "x": "TRADE", "X": "FILLED",
            "i": LIQUIDATION_ORDER_IDS + liq.seq, "l": fmt8(qty), "z": fmt8(qty),
            "L": fmt8(liq.price), "n": "0", "N": "USDT", "T": liq.time,
            "t": LIQUIDATION_ORDER_IDS + liq.seq, "b": "0", "a": "0", "m": false, "R": true,
            "wt": "CONTRACT_PRICE", "ot": "LIMIT", "ps": side_name(liq.side), "cp": false,
            "rp": fmt8(liq.pnl),
        },
    })
}

impl Shared {
    /// Liquidates what the marks now call for; the liquidations of the trading account, each
    /// told on its user stream.
    pub fn liquidate_due(&self, now: u64) -> Vec<Liquidation> {
        let ex = self.exchange();
        let booked: Vec<Liquidation> = self
            .ledger(&ex)
            .liquidate(&ex, now)
            .into_iter()
            .filter(|l| l.account == self.trader)
            .collect();
        for liq in &booked {
            self.tell_liquidation(&ex, liq);
        }
        booked
    }

    fn tell_liquidation(&self, ex: &Exchange, liq: &Liquidation) {
        if let Some(acct) = ex.accounts.get(self.trader)
            && acct.has_listeners()
        {
            acct.emit(order_trade_update(liq).to_string());
        }
        self.push_account_update(ex, &liq.symbol, "ORDER", liq.time);
    }
}
