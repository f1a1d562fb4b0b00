//! A local Cosmos SDK chain (Terra, Terra Classic, dYdX) for tests and the demo: a node on 127.0.0.1
//! speaking the LCD paths sluice uses ([`server`]) over a chain state ([`chain`]) that checks
//! every transaction as the SDK's ante handler does (decoding, timeout height, signature in both
//! sign modes over the node's chain id and account number, sequence, minimum gas price, Terra
//! Classic's tax, fee balance), charges the fee, executes bank `MsgSend` itself and routes
//! CosmWasm messages and smart queries to a pluggable [`ContractExecutor`] — the Terraswap
//! contracts of [`contracts`] in [`terra::LocalTerra`], the chain `sluice cosmos up` runs — and
//! other messages to a pluggable [`ModuleExecutor`] ([`modules`]) — dYdX's CLOB and sending
//! messages in [`dydx::LocalDydx`], whose orders match in the exchange simulator's engine. Blocks
//! are made on a timer. Faults can be injected: a sequence mismatch, a transaction never included, 5xx/HTML
//! answers, an answer to a broadcast that comes too late.

pub mod chain;
pub mod contracts;
pub mod dydx;
pub mod modules;
pub mod server;
pub mod terra;

pub use chain::{
    ChainConfig, ContractEvent, ContractExecutor, ExecError, Faults, LocalChain, NoContracts,
};
pub use contracts::TerraContracts;
pub use modules::{ModuleExecutor, NoModules};
pub use server::LocalNode;
pub use terra::{Flavor, LocalTerra};
