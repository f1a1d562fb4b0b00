//! dYdX v3, the StarkEx perpetuals exchange (closed in 2024; the catalog's `dydx_v3`): the keys its
//! clients derive from the Ethereum key ([`onboarding`]), the STARK curve key and signatures
//! ([`stark`]) and the StarkEx messages signed with them — orders, withdrawals and transfers
//! ([`starkex`]) — each equal to the official clients' test vectors.

pub mod onboarding;
pub mod stark;
pub mod starkex;
