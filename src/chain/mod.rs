//! Chains: specs loaded from `chains/*.toml` (data, one file a chain); code per chain family lives in
//! submodules (`evm`, `cosmos`).

pub mod assets;
pub mod cosmos;
pub mod deployment;
pub mod evm;
pub mod spec;

pub use assets::AssetError;
pub use spec::{
    ChainFamily, ChainId, ChainSpec, ChainSpecError, ChainSpecs, FeeCurrencyError, FeeModel,
    NativeAsset, TokenSpec,
};
