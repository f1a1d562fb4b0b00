//! Balances of one asset at one venue.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Asset;

/// `total = available + locked` (locked in open orders or pending transactions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub asset: Asset,
    pub total: Decimal,
    pub available: Decimal,
}

impl Balance {
    pub fn new(asset: Asset, total: Decimal, available: Decimal) -> Self {
        Self {
            asset,
            total,
            available,
        }
    }

    pub fn locked(&self) -> Decimal {
        self.total - self.available
    }
}
