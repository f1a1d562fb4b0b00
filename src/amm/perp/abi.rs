//! The Perp v1 interfaces this venue calls (`@perp/contract` 2.2.0's `Amm`, `ClearingHouse`,
//! `ClearingHouseViewer`) and the events its state follows. `Dec`/`SDec` are the contracts'
//! `Decimal.decimal` / `SignedDecimal.signedDecimal` structs (18 decimals).

// `PositionChanged` has 13 fields: the generated constructor takes them all.
#![allow(clippy::too_many_arguments)]

use alloy::sol;

sol! {
    interface IPerpAmm {
        struct Dec { uint256 d; }
        struct SDec { int256 d; }
        function getReserve() external view returns (Dec memory, Dec memory);
        function getInputPrice(uint8 _dirOfQuote, Dec memory _quoteAssetAmount) external view returns (Dec memory);
        function getOutputPrice(uint8 _dirOfBase, Dec memory _baseAssetAmount) external view returns (Dec memory);
        function calcFee(Dec memory _quoteAssetAmount) external view returns (Dec memory, Dec memory);
        function tollRatio() external view returns (uint256 d);
        function spreadRatio() external view returns (uint256 d);
        function tradeLimitRatio() external view returns (uint256 d);
        function fluctuationLimitRatio() external view returns (uint256 d);
        function getSnapshotLen() external view returns (uint256);
        function reserveSnapshots(uint256) external view returns (Dec memory quoteAssetReserve,
            Dec memory baseAssetReserve, uint256 timestamp, uint256 blockNumber);
        function nextFundingTime() external view returns (uint256);
        function quoteAsset() external view returns (address);
        event ReserveSnapshotted(uint256 quoteAssetReserve, uint256 baseAssetReserve, uint256 timestamp);
        event SwapInput(uint8 dir, uint256 quoteAssetAmount, uint256 baseAssetAmount);
        event SwapOutput(uint8 dir, uint256 quoteAssetAmount, uint256 baseAssetAmount);
    }

    interface IPerpClearingHouse {
        struct Dec { uint256 d; }
        struct SDec { int256 d; }
        struct Position { SDec size; Dec margin; Dec openNotional; SDec lastUpdatedCumulativePremiumFraction;
            uint256 liquidityHistoryIndex; uint256 blockNumber; }
        function openPosition(address _amm, uint8 _side, Dec memory _quoteAssetAmount, Dec memory _leverage,
            Dec memory _baseAssetAmountLimit) external;
        function closePosition(address _amm, Dec memory _quoteAssetAmountLimit) external;
        function payFunding(address _amm) external;
        function getPosition(address _amm, address _trader) external view returns (Position memory);
        function getLatestCumulativePremiumFraction(address _amm) external view returns (SDec memory);
        function getMarginRatio(address _amm, address _trader) external view returns (SDec memory);
        function getPositionNotionalAndUnrealizedPnl(address _amm, address _trader, uint8 _pnlCalcOption)
            external view returns (Dec memory positionNotional, SDec memory unrealizedPnl);
        function initMarginRatio() external view returns (uint256 d);
        function maintenanceMarginRatio() external view returns (uint256 d);
        event PositionChanged(address indexed trader, address indexed amm, uint256 margin,
            uint256 positionNotional, int256 exchangedPositionSize, uint256 fee, int256 positionSizeAfter,
            int256 realizedPnl, int256 unrealizedPnlAfter, uint256 badDebt, uint256 liquidationPenalty,
            uint256 spotPrice, int256 fundingPayment);
    }

    interface IPerpClearingHouseViewer {
        struct Dec { uint256 d; }
        struct SDec { int256 d; }
        struct Position { SDec size; Dec margin; Dec openNotional; SDec lastUpdatedCumulativePremiumFraction;
            uint256 liquidityHistoryIndex; uint256 blockNumber; }
        function getPersonalPositionWithFundingPayment(address _amm, address _trader)
            external view returns (Position memory position);
        function getUnrealizedPnl(address _amm, address _trader, uint8 _pnlCalcOption)
            external view returns (SDec memory);
        function getMarginRatio(address _amm, address _trader) external view returns (SDec memory);
    }
}
