// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TestToken} from "../TestToken.sol";

/// @notice Mints and reports balances, but every transfer and approval reverts with a reason, so the
/// caller's revert decoding and error paths are exercised.
contract RevertingToken is TestToken {
    constructor() TestToken("Always Reverting", "REV", 18) {}

    function transfer(address, uint256) public pure override returns (bool) {
        revert("RevertingToken: transfers are disabled");
    }

    function transferFrom(address, address, uint256) public pure override returns (bool) {
        revert("RevertingToken: transfers are disabled");
    }

    function approve(address, uint256) public pure override returns (bool) {
        revert("RevertingToken: approvals are disabled");
    }
}
