//! Shared by the anvil integration tests: trades through each protocol's own contracts. Each test binary
//! uses only some of it.
#![allow(dead_code)]

pub mod trades;
