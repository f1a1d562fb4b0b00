//! One folder per simulated exchange: how that exchange speaks (routes, message shapes, error codes,
//! signature verification by its documented recipe) over the venue-neutral engine.

pub mod binance;
pub mod binance_perpetual;
pub mod bybit_perpetual;
pub mod coinbase_advanced;
pub mod coinbase_pro;
pub mod dydx;
pub mod dydx_v3;
pub mod gate_io;
pub mod htx;
pub mod kraken;
pub mod kucoin;
pub mod loopring;
pub mod okx;
