//! Test inputs for the exchanges' book readers (test builds only): levels as a venue writes
//! them, and single-byte edits, for the tests that hold a fixed-layout reader to the general one.
#![cfg(test)]

use std::ops::Range;

use proptest::prelude::*;
use rust_decimal::Decimal;

/// `n × 10^-dp` as a venue may write it: with all `dp` decimals, or trailing zeros trimmed.
pub fn decimal_text(n: u64, dp: u32, trim: bool) -> String {
    let d = Decimal::from_i128_with_scale(i128::from(n), dp);
    if trim {
        d.normalize().to_string()
    } else {
        format!("{:.*}", dp as usize, d)
    }
}

/// Up to 11 levels of one side: (price in ticks within `ticks`, size in lots — 0, a removal, in
/// about one case of three —, whether to trim the written numbers).
pub fn side(ticks: Range<u64>) -> impl Strategy<Value = Vec<(u64, u64, bool)>> {
    prop::collection::vec(
        (
            ticks,
            prop_oneof![Just(0u64), 1u64..300_000_000],
            any::<bool>(),
        ),
        0..12,
    )
}

/// In one message of five, one byte replaced by one that matters to a JSON reader.
pub fn byte_edit() -> impl Strategy<Value = Option<(usize, u8)>> {
    prop::option::weighted(
        0.2,
        (
            0usize..1000,
            prop::sample::select(b" \n0123456789.,:\"{}[]xe-\\".to_vec()),
        ),
    )
}

/// `msg` with `edit` applied (its position taken modulo the length).
pub fn edited(msg: String, edit: Option<(usize, u8)>) -> Vec<u8> {
    let mut msg = msg.into_bytes();
    if let Some((at, byte)) = edit
        && !msg.is_empty()
    {
        let at = at % msg.len();
        msg[at] = byte;
    }
    msg
}
