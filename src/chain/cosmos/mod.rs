//! Cosmos SDK chains (Terra phoenix-1, Terra Classic columbus-5, next dYdX's chain): transactions
//! from the SDK's protobuf types (`cosmos-sdk-proto`), signed in `SIGN_MODE_DIRECT` or
//! `SIGN_MODE_LEGACY_AMINO_JSON` ([`tx`], [`amino`]); the messages sluice sends ([`msgs`]); fees
//! from gas prices and Terra Classic's burn tax ([`fees`]); an LCD REST client ([`lcd`]); and a
//! sender that reads the account, simulates, broadcasts, recovers from a sequence mismatch and
//! tracks the transaction into a block ([`sender`]).

pub mod amino;
pub mod coin;
pub mod error;
pub mod fees;
pub mod lcd;
pub mod msgs;
pub mod sender;
pub mod tx;

/// The protobuf types, for the local node in the simulator crate and for tests.
pub use cosmos_sdk_proto as proto;

pub use coin::Coin;
pub use error::CosmosError;
pub use msgs::Msg;
pub use tx::{SignMode, SignedTx, TxParams};
