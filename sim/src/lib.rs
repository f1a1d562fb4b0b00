//! Test and demo infrastructure that ships in the binary (`sluice demo` and `sluice anvil` use it): a local
//! anvil harness with the real protocols deployed (`anvil`, `deploy`), and in-process mock exchange servers
//! that speak the exchanges' documented protocols on 127.0.0.1 (`binance_mock`).

pub mod anvil;
pub mod arb_env;
pub mod arb_toml;
pub mod binance_mock;
pub mod demo;
pub mod deploy;
