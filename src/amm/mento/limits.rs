//! The Broker's trading limits (`TradingLimits` library): per exchange and token, a net flow in
//! whole token units over two rolling windows (L0, L1) and globally (LG). [`LimitCheck::apply`]
//! replays the library's `update` then `verify` for a swap at a given time, so a swap that would
//! make the Broker revert with "L0 Exceeded" (or L1, LG) is refused before it is sent.

use alloy::primitives::{Address, B256, I256, U256};

/// Flag bits of `Config.flags`.
pub const L0: u8 = 1;
pub const L1: u8 = 2;
pub const LG: u8 = 4;
/// `MAX_INT48`.
const MAX_INT48: i64 = (1i64 << 47) - 1;

/// `TradingLimits.Config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimitConfig {
    pub timestep0: u32,
    pub timestep1: u32,
    pub limit0: i64,
    pub limit1: i64,
    pub limit_global: i64,
    pub flags: u8,
}

/// `TradingLimits.State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimitState {
    pub last_updated0: u32,
    pub last_updated1: u32,
    pub netflow0: i64,
    pub netflow1: i64,
    pub netflow_global: i64,
}

/// Why a swap breaks a trading limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error(
        "trading limit {which} of {token} would be exceeded: net flow {netflow} units beyond ±{limit}"
    )]
    Exceeded {
        which: &'static str,
        token: Address,
        netflow: i64,
        limit: i64,
    },
    #[error("trading limit of {token}: {reason}")]
    Overflow {
        token: Address,
        reason: &'static str,
    },
}

/// The limit id of an exchange and token: `exchangeId ^ bytes32(token)`.
pub fn limit_id(exchange_id: B256, token: Address) -> B256 {
    exchange_id ^ B256::left_padding_from(token.as_slice())
}

/// One token's limit on one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitCheck {
    pub token: Address,
    pub decimals: u8,
    pub config: LimitConfig,
    pub state: LimitState,
}

fn add48(a: i64, b: i64, token: Address) -> Result<i64, LimitError> {
    let c = a + b;
    if !(-MAX_INT48..=MAX_INT48).contains(&c) {
        return Err(LimitError::Overflow {
            token,
            reason: "int48 addition overflow",
        });
    }
    Ok(c)
}

impl LimitCheck {
    /// The state after a flow of `amount` raw units in (`inflow`) or out at block time `now`,
    /// refused as the Broker would refuse it. Without any flag the limit is off.
    pub fn apply(&self, amount: U256, inflow: bool, now: u64) -> Result<LimitState, LimitError> {
        let c = self.config;
        if c.flags == 0 {
            return Ok(self.state);
        }
        let token = self.token;
        let big = || LimitError::Overflow {
            token,
            reason: "amount too large",
        };
        // int256(amount) / int256(10**decimals), truncating toward zero; zero counts as +1.
        let flow = I256::try_from(amount).map_err(|_| big())?;
        let flow = if inflow { flow } else { -flow };
        let unit =
            I256::try_from(U256::from(10u8).pow(U256::from(self.decimals))).map_err(|_| big())?;
        let units = flow / unit;
        if units > I256::try_from(MAX_INT48).map_err(|_| big())? {
            return Err(LimitError::Overflow {
                token,
                reason: "dFlow too large",
            });
        }
        let units: i64 = if units.is_zero() {
            1
        } else {
            i64::try_from(units).map_err(|_| LimitError::Overflow {
                token,
                reason: "int48 addition overflow",
            })?
        };
        let mut s = self.state;
        if c.flags & L0 != 0 {
            if now > u64::from(s.last_updated0) + u64::from(c.timestep0) {
                s.netflow0 = 0;
                s.last_updated0 = now as u32;
            }
            s.netflow0 = add48(s.netflow0, units, token)?;
            if c.flags & L1 != 0 {
                if now > u64::from(s.last_updated1) + u64::from(c.timestep1) {
                    s.netflow1 = 0;
                    s.last_updated1 = now as u32;
                }
                s.netflow1 = add48(s.netflow1, units, token)?;
            }
        }
        if c.flags & LG != 0 {
            s.netflow_global = add48(s.netflow_global, units, token)?;
        }
        let check = |flag: u8, which: &'static str, netflow: i64, limit: i64| {
            if c.flags & flag != 0 && (-limit > netflow || netflow > limit) {
                Err(LimitError::Exceeded {
                    which,
                    token,
                    netflow,
                    limit,
                })
            } else {
                Ok(())
            }
        };
        check(L0, "L0", s.netflow0, c.limit0)?;
        check(L1, "L1", s.netflow1, c.limit1)?;
        check(LG, "LG", s.netflow_global, c.limit_global)?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(flags: u8) -> LimitCheck {
        LimitCheck {
            token: Address::repeat_byte(7),
            decimals: 18,
            config: LimitConfig {
                timestep0: 300,
                timestep1: 86_400,
                limit0: 100,
                limit1: 1_000,
                limit_global: 5_000,
                flags,
            },
            state: LimitState::default(),
        }
    }

    fn e18(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
    }

    #[test]
    fn each_limit_is_named_when_broken() {
        let c = check(L0 | L1 | LG);
        assert!(c.apply(e18(100), true, 1_000).is_ok());
        let e = c.apply(e18(101), true, 1_000).unwrap_err();
        assert!(matches!(e, LimitError::Exceeded { which: "L0", .. }), "{e}");
        let e = c.apply(e18(101), false, 1_000).unwrap_err();
        assert!(matches!(
            e,
            LimitError::Exceeded {
                which: "L0",
                netflow: -101,
                ..
            }
        ));
        // L1 over a day after L0's window rolled over.
        let mut c1 = check(L0 | L1);
        c1.state = LimitState {
            last_updated0: 1_000,
            last_updated1: 1_000,
            netflow0: 90,
            netflow1: 950,
            netflow_global: 0,
        };
        let e = c1.apply(e18(60), true, 1_400).unwrap_err();
        assert!(
            matches!(
                e,
                LimitError::Exceeded {
                    which: "L1",
                    netflow: 1_010,
                    ..
                }
            ),
            "{e}"
        );
        let mut g = check(LG);
        g.state.netflow_global = 4_990;
        let e = g.apply(e18(11), true, 1_000).unwrap_err();
        assert!(matches!(e, LimitError::Exceeded { which: "LG", .. }), "{e}");
    }

    #[test]
    fn dust_counts_as_one_unit_inflow_and_windows_roll() {
        let c = check(L0);
        let s = c.apply(U256::from(5u8), false, 1_000).unwrap();
        assert_eq!(s.netflow0, 1);
        assert_eq!(s.last_updated0, 1_000);
        let mut later = c;
        later.state = s;
        later.state.netflow0 = 100;
        // Same window: 100 + 1 breaks L0; after the window the flow restarts.
        assert!(later.apply(e18(1), true, 1_300).is_err());
        assert_eq!(later.apply(e18(1), true, 1_301).unwrap().netflow0, 1);
    }

    #[test]
    fn no_flags_means_no_limit() {
        assert!(check(0).apply(e18(1_000_000), true, 0).is_ok());
    }
}
