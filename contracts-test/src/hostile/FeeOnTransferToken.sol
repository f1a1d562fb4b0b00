// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TestToken} from "../TestToken.sol";

/// @notice Burns `feeBps` of every transfer: the receiver gets less than was sent (like some
/// deflationary tokens). Code that assumes `received == sent` breaks on it.
contract FeeOnTransferToken is TestToken {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) TestToken("Fee On Transfer", "FOT", 18) {
        require(feeBps_ < 10_000, "FeeOnTransferToken: fee too high");
        feeBps = feeBps_;
    }

    function _move(address from, address to, uint256 value) internal override {
        require(balanceOf[from] >= value, "TestToken: insufficient balance");
        uint256 fee = (value * feeBps) / 10_000;
        balanceOf[from] -= value;
        balanceOf[to] += value - fee;
        totalSupply -= fee;
        emit Transfer(from, to, value - fee);
        if (fee > 0) emit Transfer(from, address(0), fee);
    }
}
