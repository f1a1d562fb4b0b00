//! Shared by the anvil integration tests: trades through each protocol's own contracts.

pub mod trades;
