//! Mento v2 from `@mento-protocol/mento-core-ts@0.2.3`: Broker, BiPoolManager, the constant-product
//! pricing module, Reserve, SortedOracles (linked to Celo's `AddressSortedLinkedListWithMedian`) and
//! BreakerBox, with one cUSD/CELO exchange. Celo's own `Registry` (from `@celo/celo-devchain`) serves the
//! Reserve's lookups. Plain test tokens stand in for cUSD and CELO, so no Celo precompile is needed: the
//! Broker only needs `mint`/`burn` returning bool on the stable token.

use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::sol;
use alloy::sol_types::SolValue;

use super::artifacts::{Artifact, PACKED_DIR};
use super::deployer::{DeployError, Deployer};
use super::manifest::{Mento, MentoExchange, TokenInfo};
use super::tokens::{mint, units};

const FACTORIES: &str = "mento-protocol-mento-core-ts-0.2.3/dist/factories";
const CELO_MENTO: &str = "celo-celo-devchain-7.0.0/contracts/contracts-mento";
/// SortedOracles' placeholder for `AddressSortedLinkedListWithMedian`.
const LINKED_LIST_PLACEHOLDER: &str = "c2b33605895395979c86248f2394db090c";

sol! {
    interface ICeloRegistry {
        function initialize() external;
        function setAddressFor(string identifier, address addr) external;
    }
    interface IMentoSortedOracles {
        function initialize(uint256 _reportExpirySeconds) external;
        function setBreakerBox(address newBreakerBox) external;
        function addOracle(address token, address oracleAddress) external;
        function report(address token, uint256 value, address lesserKey, address greaterKey) external;
    }
    interface IMentoReserve {
        function initialize(address registryAddress, uint256 _tobinTaxStalenessThreshold,
            uint256 _spendingRatioForCelo, uint256 _frozenGold, uint256 _frozenDays,
            bytes32[] _assetAllocationSymbols, uint256[] _assetAllocationWeights, uint256 _tobinTax,
            uint256 _tobinTaxReserveRatio, address[] _collateralAssets,
            uint256[] _collateralAssetDailySpendingRatios) external;
        function addToken(address token) external returns (bool);
        function addExchangeSpender(address spender) external;
    }
    interface IMentoPricingModule {
        function name() external view returns (string);
    }
    interface IMentoBiPoolManager {
        struct FixidityValue { uint256 value; }
        struct PoolConfig { FixidityValue spread; address referenceRateFeedID; uint256 referenceRateResetFrequency;
            uint256 minimumReports; uint256 stablePoolResetSize; }
        struct PoolExchange { address asset0; address asset1; address pricingModule; uint256 bucket0;
            uint256 bucket1; uint256 lastBucketUpdate; PoolConfig config; }
        function initialize(address _broker, address _reserve, address _sortedOracles, address _breakerBox) external;
        function setPricingModules(bytes32[] identifiers, address[] modules) external;
        function createExchange(PoolExchange _exchange) external returns (bytes32);
        function getExchangeIds() external view returns (bytes32[]);
    }
    interface IMentoBroker {
        function initialize(address[] _exchangeProviders, address _reserve) external;
    }
}

/// FixidityLib's 1 (24 decimals).
fn fixed(numerator: u64, denominator: u64) -> U256 {
    units(numerator, 24) / U256::from(denominator)
}

fn mento(name: &str) -> Result<Artifact, DeployError> {
    Ok(Artifact::load(&format!(
        "{PACKED_DIR}/{FACTORIES}/{name}__factory.js"
    ))?)
}

fn celo(name: &str) -> Result<Artifact, DeployError> {
    Ok(Artifact::load(&format!(
        "{PACKED_DIR}/{CELO_MENTO}/{name}.json"
    ))?)
}

/// Deploys Mento v2 with a cUSD/CELO exchange at `celo_usd_cents` cents per CELO; funds the Reserve.
pub async fn deploy(
    d: &Deployer,
    cusd: &TokenInfo,
    celo_token: &TokenInfo,
    celo_usd_cents: u64,
) -> Result<Mento, DeployError> {
    let test = true.abi_encode();
    let registry = d.deploy("Celo Registry", &celo("Registry")?, &test).await?;
    d.call(
        "Registry.initialize",
        registry,
        &ICeloRegistry::initializeCall {},
    )
    .await?;

    let list = d
        .deploy(
            "AddressSortedLinkedListWithMedian",
            &celo("AddressSortedLinkedListWithMedian")?,
            &[],
        )
        .await?;
    let sorted_oracles = d
        .deploy(
            "Mento SortedOracles",
            &mento("SortedOracles")?.link(LINKED_LIST_PLACEHOLDER, list),
            &test,
        )
        .await?;
    // Reports never expire on a test chain (ten years), so an old snapshot keeps trading.
    d.call(
        "SortedOracles.initialize",
        sorted_oracles,
        &IMentoSortedOracles::initializeCall {
            _reportExpirySeconds: U256::from(315_360_000u64),
        },
    )
    .await?;

    // The rate feed of cUSD/CELO is identified by the cUSD address, as on Celo.
    let rate_feed = cusd.address;
    d.call(
        "SortedOracles.addOracle",
        sorted_oracles,
        &IMentoSortedOracles::addOracleCall {
            token: rate_feed,
            oracleAddress: d.from(),
        },
    )
    .await?;
    // The rate is cUSD per CELO, in FixidityLib units.
    d.call(
        "SortedOracles.report",
        sorted_oracles,
        &IMentoSortedOracles::reportCall {
            token: rate_feed,
            value: fixed(celo_usd_cents, 100),
            lesserKey: Address::ZERO,
            greaterKey: Address::ZERO,
        },
    )
    .await?;

    // The BreakerBox only accepts rate feeds that already have an oracle.
    let breaker_box = d
        .deploy(
            "Mento BreakerBox",
            &mento("BreakerBox")?,
            &(vec![rate_feed], sorted_oracles).abi_encode_params(),
        )
        .await?;
    d.call(
        "SortedOracles.setBreakerBox",
        sorted_oracles,
        &IMentoSortedOracles::setBreakerBoxCall {
            newBreakerBox: breaker_box,
        },
    )
    .await?;
    let reserve = d.deploy("Mento Reserve", &mento("Reserve")?, &test).await?;
    d.call(
        "Reserve.initialize",
        reserve,
        &IMentoReserve::initializeCall {
            registryAddress: registry,
            _tobinTaxStalenessThreshold: U256::from(3_600u64),
            _spendingRatioForCelo: fixed(1, 1),
            _frozenGold: U256::ZERO,
            _frozenDays: U256::ZERO,
            _assetAllocationSymbols: vec![B256::right_padding_from(b"cGLD")],
            _assetAllocationWeights: vec![fixed(1, 1)],
            _tobinTax: U256::ZERO,
            _tobinTaxReserveRatio: U256::ZERO,
            _collateralAssets: vec![celo_token.address],
            _collateralAssetDailySpendingRatios: vec![fixed(1, 1)],
        },
    )
    .await?;
    d.call(
        "Reserve.addToken",
        reserve,
        &IMentoReserve::addTokenCall {
            token: cusd.address,
        },
    )
    .await?;

    let pricing_module = d
        .deploy(
            "Mento ConstantProductPricingModule",
            &mento("ConstantProductPricingModule")?,
            &[],
        )
        .await?;
    let bi_pool_manager = d
        .deploy("Mento BiPoolManager", &mento("BiPoolManager")?, &test)
        .await?;
    let broker = d.deploy("Mento Broker", &mento("Broker")?, &test).await?;
    d.call(
        "BiPoolManager.initialize",
        bi_pool_manager,
        &IMentoBiPoolManager::initializeCall {
            _broker: broker,
            _reserve: reserve,
            _sortedOracles: sorted_oracles,
            _breakerBox: breaker_box,
        },
    )
    .await?;
    d.call(
        "Broker.initialize",
        broker,
        &IMentoBroker::initializeCall {
            _exchangeProviders: vec![bi_pool_manager],
            _reserve: reserve,
        },
    )
    .await?;
    d.call(
        "Reserve.addExchangeSpender",
        reserve,
        &IMentoReserve::addExchangeSpenderCall { spender: broker },
    )
    .await?;
    let module_name = d
        .read(
            "pricing module name",
            pricing_module,
            &IMentoPricingModule::nameCall {},
        )
        .await?;
    d.call(
        "BiPoolManager.setPricingModules",
        bi_pool_manager,
        &IMentoBiPoolManager::setPricingModulesCall {
            identifiers: vec![keccak256(module_name.as_bytes())],
            modules: vec![pricing_module],
        },
    )
    .await?;
    // Spread 0.25 %, buckets reset every 5 minutes from one oracle report, 10 M cUSD deep.
    d.call(
        "BiPoolManager.createExchange",
        bi_pool_manager,
        &IMentoBiPoolManager::createExchangeCall {
            _exchange: IMentoBiPoolManager::PoolExchange {
                asset0: cusd.address,
                asset1: celo_token.address,
                pricingModule: pricing_module,
                bucket0: U256::ZERO,
                bucket1: U256::ZERO,
                lastBucketUpdate: U256::ZERO,
                config: IMentoBiPoolManager::PoolConfig {
                    spread: IMentoBiPoolManager::FixidityValue {
                        value: fixed(25, 10_000),
                    },
                    referenceRateFeedID: rate_feed,
                    referenceRateResetFrequency: U256::from(300u64),
                    minimumReports: U256::from(1u64),
                    stablePoolResetSize: units(10_000_000, 18),
                },
            },
        },
    )
    .await?;
    let ids = d
        .read(
            "BiPoolManager.getExchangeIds",
            bi_pool_manager,
            &IMentoBiPoolManager::getExchangeIdsCall {},
        )
        .await?;
    let id = *ids.first().ok_or_else(|| {
        DeployError::unexpected("BiPoolManager", "no exchange after createExchange")
    })?;
    // The Reserve pays out CELO when traders buy it.
    mint(d, celo_token, reserve, units(100_000_000, 18)).await?;
    Ok(Mento {
        broker,
        bi_pool_manager,
        pricing_module,
        reserve,
        sorted_oracles,
        breaker_box,
        exchanges: vec![MentoExchange {
            id,
            asset0: cusd.address,
            asset1: celo_token.address,
            rate_feed,
        }],
    })
}
