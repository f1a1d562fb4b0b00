// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TestToken} from "../TestToken.sol";

/// @notice A token with only 2 decimals (like some fiat-backed tokens): amount conversions that assume
/// 6 or 18 decimals, or that round carelessly, show up here.
contract TwoDecimalsToken is TestToken {
    constructor() TestToken("Two Decimals", "TWO", 2) {}
}
