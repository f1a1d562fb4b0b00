//! Test and demo infrastructure that ships in the binary: a local anvil harness with the real protocols
//! deployed (`anvil`), used by the integration tests, `sluice anvil` and `sluice demo`.

pub mod anvil;
pub mod deploy;
