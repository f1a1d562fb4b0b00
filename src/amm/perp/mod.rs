//! Perpetual Protocol v1 (`perp`, on xdai and anvil): the vAMM's pure math ([`math`]), an Amm's
//! state loaded at a block and followed from its logs ([`state`]), a trader's position read
//! from the ClearingHouse with PnL and funding computed locally ([`position`]) and its
//! liquidation price ([`liquidation`]), orders planned as
//! `openPosition` / `closePosition` ([`order`]), and the venue ([`venue`], built by [`connect`]).

pub mod abi;
pub mod connect;
pub mod liquidation;
pub mod math;
pub mod order;
pub mod position;
pub mod state;
pub mod venue;
