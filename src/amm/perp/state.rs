//! One Perp v1 Amm's state as the local quote needs it: the virtual reserves, the fee and limit
//! ratios, and the reserve snapshot the fluctuation limit is measured from. Loaded at a block in one
//! JSON-RPC batch, then followed from the Amm's logs: every swap (`SwapInput`, `SwapOutput`) is
//! followed in the same transaction by `ReserveSnapshotted` with the absolute reserves, which this
//! state takes as they are (so a missed swap cannot leave it off by a rounding). The Amm emits no
//! event when its owner changes the toll, spread, trade or fluctuation ratios: [`AmmState::load`]
//! again re-reads them.

use alloy::primitives::{Address, B256, Log, U256};
use alloy::providers::DynProvider;
use alloy::sol_types::SolEvent;

use super::abi::IPerpAmm;
use super::math::{self, AmmParams, Dir, PerpMathError, Reserves};
use crate::amm::AmmError;
use crate::amm::PoolSet;
use crate::amm::evm::rpc::{ReadCall, batch_read};

/// The state of one Amm at `block`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmmState {
    pub address: Address,
    pub reserves: Reserves,
    pub params: AmmParams,
    /// The reserves of the latest snapshot of a block before the next one: the fluctuation limit's
    /// reference for a trade mined in a later block.
    pub reference: Reserves,
    pub block: u64,
}

impl AmmState {
    /// Reads the Amm at `block` (reserves, ratios, latest snapshot) in one batch.
    pub async fn load(provider: &DynProvider, amm: Address, block: u64) -> Result<Self, AmmError> {
        let calls = [
            ReadCall::new(amm, &IPerpAmm::getReserveCall {}),
            ReadCall::new(amm, &IPerpAmm::tollRatioCall {}),
            ReadCall::new(amm, &IPerpAmm::spreadRatioCall {}),
            ReadCall::new(amm, &IPerpAmm::tradeLimitRatioCall {}),
            ReadCall::new(amm, &IPerpAmm::fluctuationLimitRatioCall {}),
        ];
        let mut r = batch_read(provider, &calls, block).await?;
        let reserve = r.next_decoded::<IPerpAmm::getReserveCall>(amm, "getReserve")?;
        let toll_ratio = r.next_decoded::<IPerpAmm::tollRatioCall>(amm, "tollRatio")?;
        let spread_ratio = r.next_decoded::<IPerpAmm::spreadRatioCall>(amm, "spreadRatio")?;
        let trade_limit_ratio =
            r.next_decoded::<IPerpAmm::tradeLimitRatioCall>(amm, "tradeLimitRatio")?;
        let fluctuation_limit_ratio =
            r.next_decoded::<IPerpAmm::fluctuationLimitRatioCall>(amm, "fluctuationLimitRatio")?;
        let reserves = Reserves {
            quote: reserve._0.d,
            base: reserve._1.d,
        };
        Ok(Self {
            address: amm,
            reserves,
            params: AmmParams {
                toll_ratio,
                spread_ratio,
                trade_limit_ratio,
                fluctuation_limit_ratio,
            },
            // The latest snapshot holds the current reserves (every update snapshots them).
            reference: reserves,
            block,
        })
    }

    /// Applies one log of this Amm (others are ignored); returns whether it changed the state.
    pub fn apply_log(&mut self, log: &Log, block: u64) -> Result<bool, AmmError> {
        if log.address != self.address || block < self.block {
            return Ok(false);
        }
        if log.topics().first() != Some(&IPerpAmm::ReserveSnapshotted::SIGNATURE_HASH) {
            return Ok(false);
        }
        let e = IPerpAmm::ReserveSnapshotted::decode_log_data(&log.data).map_err(|e| {
            AmmError::Decode {
                what: "ReserveSnapshotted",
                reason: e.to_string(),
            }
        })?;
        self.reserves = Reserves {
            quote: e.quoteAssetReserve,
            base: e.baseAssetReserve,
        };
        self.reference = self.reserves;
        self.block = block;
        Ok(true)
    }

    /// The base a long (`Dir::AddToAmm`) or short (`Dir::RemoveFromAmm`) of `notional` quote gets,
    /// as `Amm.getInputPrice` (no fees).
    pub fn input_price(&self, dir_of_quote: Dir, notional: U256) -> Result<U256, PerpMathError> {
        math::get_input_price(dir_of_quote, notional, self.reserves)
    }

    /// The quote `base` of base exchanges, as `Amm.getOutputPrice` (no fees).
    pub fn output_price(&self, dir_of_base: Dir, base: U256) -> Result<U256, PerpMathError> {
        math::get_output_price(dir_of_base, base, self.reserves)
    }

    /// Opening or increasing by `notional` (long: the quote is added): the base, the fees
    /// (toll, spread) the ClearingHouse charges on top of the margin, and the reserves after, with
    /// the trade, base and fluctuation limits of `swapInput`.
    pub fn open_quote(
        &self,
        long: bool,
        notional: U256,
        base_limit: U256,
    ) -> Result<(U256, U256, U256), PerpMathError> {
        let dir = if long {
            Dir::AddToAmm
        } else {
            Dir::RemoveFromAmm
        };
        let (base, _) = math::swap_input(
            dir,
            notional,
            base_limit,
            false,
            self.reserves,
            self.reference,
            &self.params,
        )?;
        let (toll, spread) = math::calc_fee(notional, &self.params)?;
        Ok((base, toll, spread))
    }
}

/// The Amms a venue tracks, followed together from their `ReserveSnapshotted` logs by the EVM
/// kit's log sync ([`crate::amm::evm::sync`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerpAmms {
    pub amms: Vec<AmmState>,
}

impl PerpAmms {
    /// Loads every Amm at `block`.
    pub async fn load(
        provider: &DynProvider,
        amms: &[Address],
        block: u64,
    ) -> Result<Self, AmmError> {
        let mut out = Vec::with_capacity(amms.len());
        for a in amms {
            out.push(AmmState::load(provider, *a, block).await?);
        }
        Ok(Self { amms: out })
    }

    /// The state of one Amm.
    pub fn get(&self, amm: Address) -> Option<&AmmState> {
        self.amms.iter().find(|a| a.address == amm)
    }
}

impl PoolSet for PerpAmms {
    fn addresses(&self) -> Vec<Address> {
        self.amms.iter().map(|a| a.address).collect()
    }

    fn topics(&self) -> Vec<B256> {
        vec![IPerpAmm::ReserveSnapshotted::SIGNATURE_HASH]
    }

    fn apply(&mut self, log: &alloy::rpc::types::Log) -> Result<(), AmmError> {
        let block = log.block_number.ok_or_else(|| AmmError::Decode {
            what: "ReserveSnapshotted",
            reason: "a log without a block number".into(),
        })?;
        for a in &mut self.amms {
            a.apply_log(&log.inner, block)?;
        }
        Ok(())
    }

    fn reload(
        &self,
        provider: &DynProvider,
        block: u64,
    ) -> impl std::future::Future<Output = Result<Self, AmmError>> + Send {
        let addresses = self.addresses();
        let provider = provider.clone();
        async move { Self::load(&provider, &addresses, block).await }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{LogData, U256};

    #[test]
    fn reserve_snapshots_set_the_reserves() {
        let amm = Address::repeat_byte(7);
        let unit = math::UNIT;
        let r = Reserves {
            quote: unit * U256::from(1000u64),
            base: unit,
        };
        let mut s = AmmState {
            address: amm,
            reserves: r,
            params: AmmParams {
                toll_ratio: U256::ZERO,
                spread_ratio: U256::ZERO,
                trade_limit_ratio: unit,
                fluctuation_limit_ratio: U256::ZERO,
            },
            reference: r,
            block: 10,
        };
        let ev = IPerpAmm::ReserveSnapshotted {
            quoteAssetReserve: U256::from(5u8),
            baseAssetReserve: U256::from(6u8),
            timestamp: U256::from(1u8),
        };
        let data: LogData = ev.encode_log_data();
        let log = Log { address: amm, data };
        assert!(!s.apply_log(&log, 9).unwrap(), "an older block is ignored");
        assert!(s.apply_log(&log, 11).unwrap());
        assert_eq!(s.reserves.quote, U256::from(5u8));
        assert_eq!(s.reserves.base, U256::from(6u8));
        let other = Log {
            address: Address::repeat_byte(8),
            data: log.data.clone(),
        };
        assert!(!s.apply_log(&other, 12).unwrap());
    }
}
