//! Order books on chains and rollups: dYdX v3 (StarkEx; closed since 2024, built to its last
//! documented protocol so that its cryptography is exact).

pub mod dydx;
pub mod dydx_v3;
pub mod loopring;
