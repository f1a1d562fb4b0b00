//! Perpetual Protocol v1 (the xDai version) from `@perp/contract@2.2.0`: InsuranceFund, ClearingHouse,
//! one ETH/USDC Amm priced by the package's `L2PriceFeedMock`, and the read-only viewers.
//!
//! The ClearingHouse's runtime (25 386 B) is above EIP-170's limit, so the node that deploys it runs with
//! `--code-size-limit 32768`. Amounts inside Perp are 18-decimal `Decimal`s; the margin token is USDC.

use alloy::primitives::{Address, B256, U256};
use alloy::sol;
use alloy::sol_types::SolValue;

use super::artifacts::{Artifact, PACKED_DIR};
use super::deployer::{DeployError, Deployer};
use super::manifest::{Perp, PerpAmm};
use super::tokens::units;

const SRC: &str = "perp-contract-2.2.0/build/contracts/src";

sol! {
    interface IPerpInsuranceFund {
        function initialize() external;
        function addAmm(address _amm) external;
        function setBeneficiary(address _beneficiary) external;
    }
    interface IPerpClearingHouse {
        function initialize(uint256 _initMarginRatio, uint256 _maintenanceMarginRatio,
            uint256 _liquidationFeeRatio, address _insuranceFund, address _trustedForwarder) external;
    }
    interface IPerpAmm {
        function initialize(uint256 _quoteAssetReserve, uint256 _baseAssetReserve, uint256 _tradeLimitRatio,
            uint256 _fundingPeriod, address _priceFeed, bytes32 _priceFeedKey, address _quoteAsset,
            uint256 _fluctuationLimitRatio, uint256 _tollRatio, uint256 _spreadRatio) external;
        function setCounterParty(address _counterParty) external;
        function setOpen(bool _open) external;
    }
}

fn artifact(rel: &str) -> Result<Artifact, DeployError> {
    Ok(Artifact::load(&format!("{PACKED_DIR}/{SRC}/{rel}"))?)
}

/// `x / 10^k` as an 18-decimal Perp `Decimal`.
fn dec(x: u64, k: u8) -> U256 {
    units(x, 18) / U256::from(10u64).pow(U256::from(k))
}

/// Deploys Perp v1 with an ETH/USDC market at `eth_price` USDC, margined in `usdc`.
pub async fn deploy(d: &Deployer, usdc: Address, eth_price: u64) -> Result<Perp, DeployError> {
    let price_feed = d
        .deploy(
            "Perp L2PriceFeedMock",
            &artifact("mock/mocks/L2PriceFeedMock.sol/L2PriceFeedMock.json")?,
            &units(eth_price, 18).abi_encode(),
        )
        .await?;
    let insurance_fund = d
        .deploy(
            "Perp InsuranceFund",
            &artifact("InsuranceFund.sol/InsuranceFund.json")?,
            &[],
        )
        .await?;
    d.call(
        "InsuranceFund.initialize",
        insurance_fund,
        &IPerpInsuranceFund::initializeCall {},
    )
    .await?;
    let clearing_house = d
        .deploy(
            "Perp ClearingHouse",
            &artifact("ClearingHouse.sol/ClearingHouse.json")?,
            &[],
        )
        .await?;
    // Initial margin 10 %, maintenance 6.25 %, liquidation fee 1.25 % (the production values).
    d.call(
        "ClearingHouse.initialize",
        clearing_house,
        &IPerpClearingHouse::initializeCall {
            _initMarginRatio: dec(1, 1),
            _maintenanceMarginRatio: dec(625, 4),
            _liquidationFeeRatio: dec(125, 4),
            _insuranceFund: insurance_fund,
            _trustedForwarder: Address::ZERO,
        },
    )
    .await?;

    let key = B256::right_padding_from(b"ETH");
    let amm = d
        .deploy("Perp Amm ETH/USDC", &artifact("Amm.sol/Amm.json")?, &[])
        .await?;
    // 1000 ETH against 1000 × price USDC of virtual liquidity; 1 h funding; trade limit 90 %;
    // fluctuation limit off; toll 0; spread 0.1 %.
    d.call(
        "Amm.initialize",
        amm,
        &IPerpAmm::initializeCall {
            _quoteAssetReserve: units(1_000 * eth_price, 18),
            _baseAssetReserve: units(1_000, 18),
            _tradeLimitRatio: dec(9, 1),
            _fundingPeriod: U256::from(3_600u64),
            _priceFeed: price_feed,
            _priceFeedKey: key,
            _quoteAsset: usdc,
            _fluctuationLimitRatio: U256::ZERO,
            _tollRatio: U256::ZERO,
            _spreadRatio: dec(1, 3),
        },
    )
    .await?;
    d.call(
        "Amm.setCounterParty",
        amm,
        &IPerpAmm::setCounterPartyCall {
            _counterParty: clearing_house,
        },
    )
    .await?;
    d.call("Amm.setOpen", amm, &IPerpAmm::setOpenCall { _open: true })
        .await?;
    d.call(
        "InsuranceFund.addAmm",
        insurance_fund,
        &IPerpInsuranceFund::addAmmCall { _amm: amm },
    )
    .await?;
    d.call(
        "InsuranceFund.setBeneficiary",
        insurance_fund,
        &IPerpInsuranceFund::setBeneficiaryCall {
            _beneficiary: clearing_house,
        },
    )
    .await?;

    let clearing_house_viewer = d
        .deploy(
            "Perp ClearingHouseViewer",
            &artifact("ClearingHouseViewer.sol/ClearingHouseViewer.json")?,
            &clearing_house.abi_encode(),
        )
        .await?;
    let amm_reader = d
        .deploy(
            "Perp AmmReader",
            &artifact("AmmReader.sol/AmmReader.json")?,
            &[],
        )
        .await?;
    Ok(Perp {
        clearing_house,
        insurance_fund,
        clearing_house_viewer,
        amm_reader,
        price_feed,
        quote_token: usdc,
        amms: vec![PerpAmm {
            address: amm,
            pair: "ETH/USDC".into(),
            price_feed_key: key,
        }],
    })
}
