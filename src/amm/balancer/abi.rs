//! The Balancer V2 interfaces this connector calls, generated from the official ABIs of
//! `@balancer-labs/v2-deployments@3.2.0` in `abis/balancer/` (see `abis/README.md`): the Vault
//! (pool tokens and balances, `swap`, `batchSwap`, its `Swap`/`PoolBalanceChanged`/
//! `TokensRegistered` events), the 2021 weighted pool, the 2022 stable pool (v2), their factories
//! (used by the test deployment) and `BalancerQueries` (the protocol's own quote, for tests and
//! the bench).
//! Each ABI gets its own module: they share struct names (`IVault.SingleSwap`, …).

/// `Vault.json`.
pub mod vault {
    alloy::sol!(
        #[allow(missing_docs)]
        #[sol(all_derives)]
        IBalancerVault,
        "abis/balancer/Vault.json"
    );
}
pub use vault::IBalancerVault;

/// `WeightedPool.json`.
pub mod weighted_pool {
    alloy::sol!(
        #[allow(missing_docs)]
        IBalancerWeightedPool,
        "abis/balancer/WeightedPool.json"
    );
}
pub use weighted_pool::IBalancerWeightedPool;

/// `StablePool.json`.
pub mod stable_pool {
    alloy::sol!(
        #[allow(missing_docs)]
        IBalancerStablePool,
        "abis/balancer/StablePool.json"
    );
}
pub use stable_pool::IBalancerStablePool;

/// `WeightedPoolFactory.json`.
pub mod weighted_factory {
    alloy::sol!(
        #[allow(missing_docs)]
        IBalancerWeightedPoolFactory,
        "abis/balancer/WeightedPoolFactory.json"
    );
}
pub use weighted_factory::IBalancerWeightedPoolFactory;

/// `StablePoolFactory.json`.
pub mod stable_factory {
    alloy::sol!(
        #[allow(missing_docs)]
        IBalancerStablePoolFactory,
        "abis/balancer/StablePoolFactory.json"
    );
}
pub use stable_factory::IBalancerStablePoolFactory;

/// `BalancerQueries.json`.
pub mod queries {
    alloy::sol!(
        #[allow(missing_docs)]
        #[sol(all_derives)]
        IBalancerQueries,
        "abis/balancer/BalancerQueries.json"
    );
}
pub use queries::IBalancerQueries;
