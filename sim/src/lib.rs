//! sluice's simulators, a workspace member the library never depends on (the `sluice` binary uses it
//! for `demo` and `anvil up`; tests and benches use it): a local anvil harness with the real protocols
//! deployed (`anvil`, `deploy`), the exchange simulator (`exchange`: a venue-neutral engine and one
//! dialect per exchange, on 127.0.0.1), and the demo and arbitrage test environments (`demo`,
//! `arb_env`, `arb_toml`).

pub mod anvil;
pub mod arb_env;
pub mod arb_toml;
pub mod cosmos;
pub mod demo;
pub mod deploy;
pub mod exchange;
pub mod spot_perp_env;
