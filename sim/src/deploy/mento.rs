//! Mento v2 from `@mento-protocol/mento-core-ts@0.2.3`: Broker, BiPoolManager, both pricing modules,
//! Reserve, SortedOracles (linked to Celo's `AddressSortedLinkedListWithMedian`) and BreakerBox,
//! with a constant-product cUSD/CELO exchange (first) and a constant-sum cUSD/USDC one (6-decimal
//! collateral, so the precision scaling is exercised), and trading limits on the Broker: L0, L1
//! and LG on CELO in the first, L0 and LG on USDC in the second. Celo's own `Registry` (from `@celo/celo-devchain`) serves the
//! Reserve's lookups. Plain test tokens stand in for cUSD and CELO, so no Celo precompile is needed: the
//! Broker only needs `mint`/`burn` returning bool on the stable token.

use alloy::primitives::aliases::I48;
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
        function addCollateralAsset(address collateralAsset) external returns (bool);
        function setDailySpendingRatioForCollateralAssets(address[] _collateralAssets,
            uint256[] collateralAssetDailySpendingRatios) external;
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
        struct Config { uint32 timestep0; uint32 timestep1; int48 limit0; int48 limit1; int48 limitGlobal;
            uint8 flags; }
        function initialize(address[] _exchangeProviders, address _reserve) external;
        function configureTradingLimit(bytes32 exchangeId, address token, Config config) external;
    }
}

/// A Broker trading-limit config: the two windows in seconds, the limits L0, L1, LG in whole
/// tokens, the flags (1 = L0, 2 = L1, 4 = LG).
fn limit_config(
    (timestep0, timestep1): (u32, u32),
    (l0, l1, lg): (i64, i64, i64),
    flags: u8,
) -> Result<IMentoBroker::Config, DeployError> {
    let int48 = |v: i64| {
        I48::try_from(v).map_err(|e| DeployError::unexpected("trading limit", e.to_string()))
    };
    Ok(IMentoBroker::Config {
        timestep0,
        timestep1,
        limit0: int48(l0)?,
        limit1: int48(l1)?,
        limitGlobal: int48(lg)?,
        flags,
    })
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
    usdc: &TokenInfo,
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

    // cUSD per USDC, identified by the USDC address: 0.9998.
    let usdc_feed = usdc.address;
    d.call(
        "SortedOracles.addOracle",
        sorted_oracles,
        &IMentoSortedOracles::addOracleCall {
            token: usdc_feed,
            oracleAddress: d.from(),
        },
    )
    .await?;
    d.call(
        "SortedOracles.report",
        sorted_oracles,
        &IMentoSortedOracles::reportCall {
            token: usdc_feed,
            value: fixed(9_998, 10_000),
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
            &(vec![rate_feed, usdc_feed], sorted_oracles).abi_encode_params(),
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

    d.call(
        "Reserve.addCollateralAsset",
        reserve,
        &IMentoReserve::addCollateralAssetCall {
            collateralAsset: usdc.address,
        },
    )
    .await?;
    d.call(
        "Reserve.setDailySpendingRatioForCollateralAssets",
        reserve,
        &IMentoReserve::setDailySpendingRatioForCollateralAssetsCall {
            _collateralAssets: vec![usdc.address],
            collateralAssetDailySpendingRatios: vec![fixed(1, 1)],
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
    let constant_sum_module = d
        .deploy(
            "Mento ConstantSumPricingModule",
            &mento("ConstantSumPricingModule")?,
            &[],
        )
        .await?;
    let mut identifiers = Vec::new();
    for module in [pricing_module, constant_sum_module] {
        let name = d
            .read(
                "pricing module name",
                module,
                &IMentoPricingModule::nameCall {},
            )
            .await?;
        identifiers.push(keccak256(name.as_bytes()));
    }
    d.call(
        "BiPoolManager.setPricingModules",
        bi_pool_manager,
        &IMentoBiPoolManager::setPricingModulesCall {
            identifiers,
            modules: vec![pricing_module, constant_sum_module],
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
    // Constant sum at 0.05 %, 10 M cUSD deep. Its buckets reset only with a recent median (one
    // older than the reset frequency makes every quote revert), so the frequency is ten years:
    // an old snapshot keeps trading at the deployment's rate.
    d.call(
        "BiPoolManager.createExchange",
        bi_pool_manager,
        &IMentoBiPoolManager::createExchangeCall {
            _exchange: IMentoBiPoolManager::PoolExchange {
                asset0: cusd.address,
                asset1: usdc.address,
                pricingModule: constant_sum_module,
                bucket0: U256::ZERO,
                bucket1: U256::ZERO,
                lastBucketUpdate: U256::ZERO,
                config: IMentoBiPoolManager::PoolConfig {
                    spread: IMentoBiPoolManager::FixidityValue {
                        value: fixed(5, 10_000),
                    },
                    referenceRateFeedID: usdc_feed,
                    referenceRateResetFrequency: U256::from(315_360_000u64),
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
    let (id, cs_id) = match ids.as_slice() {
        [a, b] => (*a, *b),
        _ => {
            return Err(DeployError::unexpected(
                "BiPoolManager",
                "not two exchanges after createExchange",
            ));
        }
    };
    // Trading limits in whole tokens: CELO on the first exchange (L0 100 k per 5 minutes, L1 1 M
    // per day, LG 10 M), USDC on the second (L0 1 M per 5 minutes, LG 5 M).
    let limits = [
        (
            id,
            celo_token.address,
            limit_config((300, 86_400), (100_000, 1_000_000, 10_000_000), 7)?,
        ),
        (
            cs_id,
            usdc.address,
            limit_config((300, 0), (1_000_000, 0, 5_000_000), 5)?,
        ),
    ];
    for (exchange, token, config) in limits {
        d.call(
            "Broker.configureTradingLimit",
            broker,
            &IMentoBroker::configureTradingLimitCall {
                exchangeId: exchange,
                token,
                config,
            },
        )
        .await?;
    }
    // The Reserve pays out CELO and USDC when traders buy them.
    mint(d, celo_token, reserve, units(100_000_000, 18)).await?;
    mint(d, usdc, reserve, units(100_000_000, 6)).await?;
    Ok(Mento {
        broker,
        bi_pool_manager,
        pricing_module,
        constant_sum_module,
        reserve,
        sorted_oracles,
        breaker_box,
        exchanges: vec![
            MentoExchange {
                id,
                asset0: cusd.address,
                asset1: celo_token.address,
                rate_feed,
                pricing_module,
            },
            MentoExchange {
                id: cs_id,
                asset0: cusd.address,
                asset1: usdc.address,
                rate_feed: usdc_feed,
                pricing_module: constant_sum_module,
            },
        ],
    })
}
