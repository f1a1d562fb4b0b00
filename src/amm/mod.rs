//! Automated market makers on chain, one module per protocol, each split into math (pure integer
//! arithmetic), state (synced from the chain) and connector (the `Venue`). See DESIGN.md §5.

pub mod uniswap_v2;
pub mod uniswap_v3;
