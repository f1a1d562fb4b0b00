//! Loopring v3 (zkRollup; the exchange shut on 2026-06-28, the catalog's `loopring`, closed):
//! built to its last documented protocol so that its cryptography is exact. The Poseidon
//! permutation with the exchange's parameter sets ([`poseidon`]), Poseidon EdDSA on Baby Jubjub
//! ([`eddsa`]), the L2 key derived from the Ethereum key ([`keys`]) and what that key signs:
//! orders and `X-API-SIG` ([`sign`]); each equal to the official SDKs' vectors ([`vectors`]).
//! The REST messages ([`api`]) and signed limit orders in token units ([`order`]).

pub mod api;
pub mod book;
pub mod eddsa;
pub mod keys;
pub mod order;
pub mod poseidon;
pub mod sign;

#[cfg(test)]
mod vectors;
