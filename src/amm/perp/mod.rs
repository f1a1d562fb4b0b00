//! Perpetual Protocol v1 (`perp`, on xdai and anvil): the vAMM's pure math ([`math`]), an Amm's
//! state loaded at a block and followed from its logs ([`state`]), and a trader's position read
//! from the ClearingHouse with PnL and funding computed locally ([`position`]).

pub mod abi;
pub mod math;
pub mod position;
pub mod state;
