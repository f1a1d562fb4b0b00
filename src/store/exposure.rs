//! What a run's fills left open: its net base position per (venue, pair), and the same summed per
//! canonical base asset through the run's own aliases. Recovery decides from these whether an
//! interrupted run is flat, and `sluice history --run` / `sluice recover` report them.
//!
//! Every sum is checked: a journal whose amounts overflow a `Decimal` is reported as an error,
//! never wrapped or panicked on.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use super::journal::{Journal, RunId, StoreError};
use super::scope::RunScope;
use crate::core::{Asset, Pair};

/// The net base position one run holds at one (venue, pair): buys minus sells, in the pair's own
/// base units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegPosition {
    pub venue: String,
    pub pair: Pair,
    pub base: Decimal,
}

/// A run's net position in one canonical base asset (its legs' positions added through the
/// run's aliases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetPosition {
    pub asset: Asset,
    pub net: Decimal,
}

/// `a + b`, or an overflow error naming `what`.
pub(crate) fn add(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, StoreError> {
    a.checked_add(b)
        .ok_or_else(|| StoreError::Overflow(what.to_string()))
}

/// `a * b`, or an overflow error naming `what`.
pub(crate) fn mul(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, StoreError> {
    a.checked_mul(b)
        .ok_or_else(|| StoreError::Overflow(what.to_string()))
}

impl Journal {
    /// The net base position `run`'s fills left per (venue, pair), in a stable order; legs whose
    /// fills net to zero are listed too (with zero).
    pub fn run_positions(&self, run: RunId) -> Result<Vec<LegPosition>, StoreError> {
        let mut by_leg: BTreeMap<(String, String), (Pair, Decimal)> = BTreeMap::new();
        for f in self.fills_of_run(run)? {
            let what = format!("run {run}: position at {} {}", f.venue, f.pair);
            let signed = mul(f.side.position_sign(), f.amount, &what)?;
            let e = by_leg
                .entry((f.venue.clone(), f.pair.to_string()))
                .or_insert((f.pair.clone(), Decimal::ZERO));
            e.1 = add(e.1, signed, &what)?;
        }
        Ok(by_leg
            .into_iter()
            .map(|((venue, _), (pair, base))| LegPosition {
                venue,
                pair,
                base: base.normalize(),
            })
            .collect())
    }
}

/// The positions summed per canonical base asset through `scope`'s aliases (none without a
/// scope: each asset counts as itself).
pub fn canonical_positions(
    scope: Option<&RunScope>,
    positions: &[LegPosition],
) -> Result<Vec<AssetPosition>, StoreError> {
    let mut net: BTreeMap<Asset, Decimal> = BTreeMap::new();
    for p in positions {
        let (asset, rate) = match scope {
            Some(s) => s.canonical(&p.pair.base),
            None => (p.pair.base.clone(), Decimal::ONE),
        };
        let what = format!("position in {asset}");
        let v = mul(p.base, rate, &what)?;
        let e = net.entry(asset).or_insert(Decimal::ZERO);
        *e = add(*e, v, &what)?;
    }
    Ok(net
        .into_iter()
        .map(|(asset, net)| AssetPosition {
            asset,
            net: net.normalize(),
        })
        .collect())
}

/// `binance ETH-USDT +1, uniswap_v3@anvil WETH-USDC -1`, or `none`.
pub fn describe_positions(positions: &[LegPosition]) -> String {
    let open: Vec<String> = positions
        .iter()
        .filter(|p| !p.base.is_zero())
        .map(|p| {
            let sign = if p.base > Decimal::ZERO { "+" } else { "" };
            format!("{} {} {sign}{}", p.venue, p.pair, p.base.normalize())
        })
        .collect();
    if open.is_empty() {
        "none".into()
    } else {
        open.join(", ")
    }
}

/// `arb on binance ETH-USDT, uniswap_v3@anvil WETH-USDC`, or a note that the run has no scope.
pub fn describe_scope(scope: Option<&RunScope>) -> String {
    match scope {
        Some(s) => format!(
            "{} on {}",
            s.kind,
            s.legs
                .iter()
                .map(|l| format!("{} {}", l.venue, l.pair))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => "no recorded scope (journaled by an older sluice)".into(),
    }
}
