//! Test kit shipped with the library (the demo uses it too): in-process mock exchange servers
//! that speak the exchanges' documented protocols on 127.0.0.1.

pub mod binance_mock;
