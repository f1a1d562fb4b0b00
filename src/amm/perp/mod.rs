//! Perpetual Protocol v1 (`perp`, on xdai and anvil): the vAMM's pure math ([`math`]) and the
//! positions the ClearingHouse keeps.

pub mod math;
