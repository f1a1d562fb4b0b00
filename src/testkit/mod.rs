//! Test and demo infrastructure that ships in the binary: in-process mock exchange servers that
//! speak the exchanges' documented protocols on 127.0.0.1 (`binance_mock`), and a local anvil
//! harness with the real protocols deployed (`anvil`), used by the integration tests,
//! `sluice anvil` and `sluice demo`.

pub mod anvil;
pub mod binance_mock;
pub mod deploy;
