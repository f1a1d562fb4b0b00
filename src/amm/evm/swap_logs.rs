//! Reading a mined swap from its receipt's logs, whatever the protocol: the Swap event of the
//! route's first pool (what went in) and of its last pool (what came out). A route of one pool
//! reads the same event twice.

use alloy::primitives::Address;
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;

use super::swap::SwapPlan;
use crate::amm::AmmError;

/// The first event `E` emitted by `pool` in `logs`.
pub fn pool_event<E: SolEvent>(logs: &[Log], pool: Address) -> Result<E, AmmError> {
    logs.iter()
        .filter(|l| l.address() == pool)
        .find_map(|l| E::decode_log(&l.inner).ok().map(|e| e.data))
        .ok_or_else(|| AmmError::Decode {
            what: "Swap log",
            reason: format!("no {} log of pool {pool} in the receipt", E::SIGNATURE),
        })
}

/// The Swap events `E` of the plan's first and last pools.
pub fn first_and_last<E: SolEvent>(logs: &[Log], plan: &SwapPlan) -> Result<(E, E), AmmError> {
    let (Some(first), Some(last)) = (plan.pools.first(), plan.pools.last()) else {
        return Err(AmmError::Decode {
            what: "Swap log",
            reason: "the plan names no pool".into(),
        });
    };
    Ok((pool_event(logs, *first)?, pool_event(logs, *last)?))
}
