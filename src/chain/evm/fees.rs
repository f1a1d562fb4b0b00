//! Fees: EIP-1559 (`maxFeePerGas`, `maxPriorityFeePerGas`) from `eth_feeHistory` on chains with a base
//! fee, a legacy gas price elsewhere; a hard cap per gas; a priority-fee policy; gas estimates with a
//! safety margin; replacement bumps; and the cost of a transaction in the native asset as a `Decimal`.
//!
//! The arithmetic is pure (`FeePolicy::eip1559`, `FeePolicy::legacy`, `Fees::bumped`) and tested
//! without a node; [`super::EvmClient::suggest_fees`] feeds it from the chain.

use alloy::primitives::U256;
use rust_decimal::Decimal;
use serde::Serialize;

use super::error::EvmError;
use crate::core::from_units;

/// How much to tip the block producer on an EIP-1559 chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriorityFee {
    /// Always this many wei per gas.
    Fixed { wei: u128 },
    /// The median, over the last blocks of `eth_feeHistory`, of the tips paid at this percentile
    /// of each block, clamped to `[min_wei, max_wei]`.
    Percentile {
        percentile: u8,
        min_wei: u128,
        max_wei: u128,
    },
}

/// The fee policy of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeePolicy {
    /// Never offer more than this per gas (max fee for EIP-1559, gas price for legacy).
    pub cap_wei: u128,
    pub priority: PriorityFee,
    /// `maxFeePerGas = next base fee * base_fee_headroom_percent / 100 + tip`: headroom for the base
    /// fee rising while the transaction waits (200 = survives about six full blocks).
    pub base_fee_headroom_percent: u32,
    /// Gas limit = estimate * (100 + margin) / 100.
    pub gas_margin_percent: u32,
    /// A replacement offers at least this much more (nodes require 10 %, some more).
    pub replacement_bump_percent: u32,
    /// Blocks of history read for the percentile policy.
    pub history_blocks: u64,
}

impl Default for FeePolicy {
    fn default() -> Self {
        Self {
            cap_wei: 500_000_000_000, // 500 gwei
            priority: PriorityFee::Percentile {
                percentile: 50,
                min_wei: 1_000_000_000,
                max_wei: 5_000_000_000,
            },
            base_fee_headroom_percent: 200,
            gas_margin_percent: 20,
            replacement_bump_percent: 15,
            history_blocks: 10,
        }
    }
}

/// Fees for one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fees {
    Eip1559 {
        max_fee_per_gas: u128,
        max_priority_fee_per_gas: u128,
    },
    Legacy {
        gas_price: u128,
    },
}

impl Fees {
    /// The most a transaction may pay per gas.
    pub fn max_per_gas(&self) -> u128 {
        match *self {
            Fees::Eip1559 {
                max_fee_per_gas, ..
            } => max_fee_per_gas,
            Fees::Legacy { gas_price } => gas_price,
        }
    }

    /// The fees of a replacement: every component raised by at least `percent` (rounded up, and by
    /// at least 1 wei), and no lower than `market` (the current suggestion). Fails if the result
    /// exceeds `cap_wei`.
    pub fn bumped(
        &self,
        percent: u32,
        market: Option<Fees>,
        cap_wei: u128,
    ) -> Result<Fees, EvmError> {
        let up = |v: u128| -> u128 {
            let raised = v.saturating_mul(100 + u128::from(percent)).div_ceil(100);
            raised.max(v.saturating_add(1))
        };
        let bumped = match (*self, market) {
            (
                Fees::Eip1559 {
                    max_fee_per_gas,
                    max_priority_fee_per_gas,
                },
                m,
            ) => {
                let (m_max, m_tip) = match m {
                    Some(Fees::Eip1559 {
                        max_fee_per_gas,
                        max_priority_fee_per_gas,
                    }) => (max_fee_per_gas, max_priority_fee_per_gas),
                    _ => (0, 0),
                };
                let tip = up(max_priority_fee_per_gas).max(m_tip);
                let max = up(max_fee_per_gas).max(m_max).max(tip);
                Fees::Eip1559 {
                    max_fee_per_gas: max,
                    max_priority_fee_per_gas: tip,
                }
            }
            (Fees::Legacy { gas_price }, m) => Fees::Legacy {
                gas_price: up(gas_price).max(m.map(|m| m.max_per_gas()).unwrap_or(0)),
            },
        };
        if bumped.max_per_gas() > cap_wei {
            return Err(EvmError::FeeCapExceeded {
                needed: bumped.max_per_gas(),
                cap: cap_wei,
            });
        }
        Ok(bumped)
    }

    /// The most a transaction with this gas limit can cost, in wei.
    pub fn max_cost_wei(&self, gas_limit: u64) -> U256 {
        U256::from(self.max_per_gas()) * U256::from(gas_limit)
    }
}

impl FeePolicy {
    /// EIP-1559 fees from the next block's base fee and the tips of recent blocks at the policy's
    /// percentile (`rewards`: one value per block; ignored for a fixed tip).
    pub fn eip1559(&self, next_base_fee: u128, rewards: &[u128]) -> Result<Fees, EvmError> {
        let tip = match self.priority {
            PriorityFee::Fixed { wei } => wei,
            PriorityFee::Percentile {
                min_wei, max_wei, ..
            } => {
                let mut sorted = rewards.to_vec();
                sorted.sort_unstable();
                let median = match sorted.len() {
                    0 => min_wei,
                    n if n % 2 == 1 => sorted[n / 2],
                    n => {
                        (sorted[n / 2 - 1] / 2)
                            + (sorted[n / 2] / 2)
                            + (sorted[n / 2 - 1] % 2 + sorted[n / 2] % 2) / 2
                    }
                };
                median.clamp(min_wei, max_wei.max(min_wei))
            }
        };
        let floor = next_base_fee.saturating_add(tip);
        if floor > self.cap_wei {
            return Err(EvmError::FeeCapExceeded {
                needed: floor,
                cap: self.cap_wei,
            });
        }
        let wanted =
            next_base_fee.saturating_mul(u128::from(self.base_fee_headroom_percent.max(100))) / 100;
        let max_fee = wanted.saturating_add(tip).min(self.cap_wei);
        Ok(Fees::Eip1559 {
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
        })
    }

    /// A legacy gas price from the node's suggestion, refused above the cap.
    pub fn legacy(&self, node_gas_price: u128) -> Result<Fees, EvmError> {
        if node_gas_price > self.cap_wei {
            return Err(EvmError::FeeCapExceeded {
                needed: node_gas_price,
                cap: self.cap_wei,
            });
        }
        Ok(Fees::Legacy {
            gas_price: node_gas_price,
        })
    }

    /// A gas estimate with the safety margin added (rounded up).
    pub fn gas_limit(&self, estimate: u64) -> u64 {
        let rounded_up =
            (u128::from(estimate) * (100 + u128::from(self.gas_margin_percent))).div_ceil(100);
        u64::try_from(rounded_up).unwrap_or(u64::MAX)
    }

    /// The reward percentile to ask `eth_feeHistory` for.
    pub fn reward_percentile(&self) -> Option<f64> {
        match self.priority {
            PriorityFee::Fixed { .. } => None,
            PriorityFee::Percentile { percentile, .. } => Some(f64::from(percentile.min(100))),
        }
    }
}

/// What a mined transaction cost, in wei: gas used times the effective gas price.
pub fn cost_wei(gas_used: u64, effective_gas_price: u128) -> U256 {
    U256::from(gas_used) * U256::from(effective_gas_price)
}

/// An amount of wei as the native asset (`decimals` from the chain spec), exact.
pub fn wei_to_native(wei: U256, decimals: u8) -> Result<Decimal, EvmError> {
    Ok(from_units(wei, decimals)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GWEI: u128 = 1_000_000_000;

    fn policy() -> FeePolicy {
        FeePolicy {
            cap_wei: 100 * GWEI,
            ..FeePolicy::default()
        }
    }

    #[test]
    fn eip1559_from_history() {
        let p = policy();
        // Median of 1, 2, 3 gwei is 2 gwei; max fee = 2 * 30 + 2.
        let f = p.eip1559(30 * GWEI, &[3 * GWEI, GWEI, 2 * GWEI]).unwrap();
        assert_eq!(
            f,
            Fees::Eip1559 {
                max_fee_per_gas: 62 * GWEI,
                max_priority_fee_per_gas: 2 * GWEI
            }
        );
        // Even count: mean of the middle two. Tip clamped into [1, 5] gwei.
        let f = p
            .eip1559(GWEI, &[2 * GWEI, 4 * GWEI, 0, 100 * GWEI])
            .unwrap();
        assert_eq!(
            f,
            Fees::Eip1559 {
                max_fee_per_gas: 5 * GWEI,
                max_priority_fee_per_gas: 3 * GWEI
            }
        );
        let f = p.eip1559(GWEI, &[90 * GWEI]).unwrap();
        assert!(
            matches!(f, Fees::Eip1559 { max_priority_fee_per_gas, .. } if max_priority_fee_per_gas == 5 * GWEI)
        );
        let f = p.eip1559(GWEI, &[]).unwrap();
        assert!(
            matches!(f, Fees::Eip1559 { max_priority_fee_per_gas, .. } if max_priority_fee_per_gas == GWEI)
        );
    }

    #[test]
    fn eip1559_cap() {
        let p = FeePolicy {
            priority: PriorityFee::Fixed { wei: 2 * GWEI },
            ..policy()
        };
        // Headroom would ask 2*60+2 = 122 gwei: clamped to the cap, still above base + tip.
        let f = p.eip1559(60 * GWEI, &[]).unwrap();
        assert_eq!(f.max_per_gas(), 100 * GWEI);
        // Base fee + tip above the cap: refused.
        let e = p.eip1559(99 * GWEI, &[]).unwrap_err();
        assert!(
            matches!(e, EvmError::FeeCapExceeded { needed, cap } if needed == 101 * GWEI && cap == 100 * GWEI)
        );
        assert!(e.is_retryable());
    }

    #[test]
    fn legacy_and_gas_margin() {
        let p = policy();
        assert_eq!(
            p.legacy(7 * GWEI).unwrap(),
            Fees::Legacy {
                gas_price: 7 * GWEI
            }
        );
        assert!(p.legacy(101 * GWEI).is_err());
        assert_eq!(p.gas_limit(21_000), 25_200);
        assert_eq!(p.gas_limit(21_001), 25_202); // 25201.2 rounded up
        assert_eq!(p.gas_limit(0), 0);
        assert_eq!(p.gas_limit(u64::MAX), u64::MAX);
    }

    #[test]
    fn bumps() {
        let f = Fees::Eip1559 {
            max_fee_per_gas: 100,
            max_priority_fee_per_gas: 10,
        };
        let b = f.bumped(15, None, 1000).unwrap();
        assert_eq!(
            b,
            Fees::Eip1559 {
                max_fee_per_gas: 115,
                max_priority_fee_per_gas: 12 // 11.5 rounded up
            }
        );
        // The market is higher: take the market.
        let m = Fees::Eip1559 {
            max_fee_per_gas: 300,
            max_priority_fee_per_gas: 20,
        };
        assert_eq!(f.bumped(15, Some(m), 1000).unwrap(), m);
        assert!(matches!(
            f.bumped(15, Some(m), 200),
            Err(EvmError::FeeCapExceeded {
                needed: 300,
                cap: 200
            })
        ));
        // Tiny values still go up by at least 1 wei.
        let l = Fees::Legacy { gas_price: 1 };
        assert_eq!(
            l.bumped(10, None, 10).unwrap(),
            Fees::Legacy { gas_price: 2 }
        );
        assert_eq!(l.max_cost_wei(21_000), U256::from(21_000));
    }

    #[test]
    fn cost_in_native() {
        let wei = cost_wei(21_000, 30 * GWEI);
        assert_eq!(wei, U256::from(630_000_000_000_000u128));
        assert_eq!(wei_to_native(wei, 18).unwrap().to_string(), "0.00063");
    }
}
