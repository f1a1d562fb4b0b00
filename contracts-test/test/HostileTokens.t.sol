// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TestToken} from "../src/TestToken.sol";
import {FeeOnTransferToken} from "../src/hostile/FeeOnTransferToken.sol";
import {NoBoolToken} from "../src/hostile/NoBoolToken.sol";
import {RevertingToken} from "../src/hostile/RevertingToken.sol";
import {TwoDecimalsToken} from "../src/hostile/TwoDecimalsToken.sol";

/// forge tests of the tokens' own behaviour (no forge-std offline: plain require).
contract HostileTokensTest {
    function testTestTokenMintsAndTransfers() public {
        TestToken t = new TestToken("USD Coin", "USDC", 6);
        require(t.decimals() == 6, "decimals");
        require(t.mint(address(this), 1_000_000), "mint returns true");
        require(t.transfer(address(0xBEEF), 400_000), "transfer returns true");
        require(t.balanceOf(address(0xBEEF)) == 400_000, "received");
        require(t.burn(100_000) && t.totalSupply() == 900_000, "burn");
    }

    function testFeeOnTransferDeliversLess() public {
        FeeOnTransferToken t = new FeeOnTransferToken(100);
        t.mint(address(this), 10_000);
        t.transfer(address(0xBEEF), 10_000);
        require(t.balanceOf(address(0xBEEF)) == 9_900, "1% burned");
        require(t.totalSupply() == 9_900, "supply shrinks");
    }

    function testNoBoolReturnsNothingAndNeedsZeroFirst() public {
        NoBoolToken t = new NoBoolToken();
        t.mint(address(this), 1_000);
        (bool ok, bytes memory ret) = address(t).call(abi.encodeWithSignature("transfer(address,uint256)", address(1), 10));
        require(ok && ret.length == 0, "no return data");
        t.approve(address(2), 5);
        (ok,) = address(t).call(abi.encodeWithSignature("approve(address,uint256)", address(2), 6));
        require(!ok, "non-zero to non-zero approve must revert");
        t.approve(address(2), 0);
        t.approve(address(2), 6);
        require(t.allowance(address(this), address(2)) == 6, "zero-first approve works");
    }

    function testRevertingTokenReverts() public {
        RevertingToken t = new RevertingToken();
        t.mint(address(this), 1);
        (bool ok,) = address(t).call(abi.encodeWithSignature("transfer(address,uint256)", address(1), 1));
        require(!ok, "transfer must revert");
        require(t.balanceOf(address(this)) == 1, "balance unchanged");
    }

    function testTwoDecimals() public {
        require(new TwoDecimalsToken().decimals() == 2, "2 decimals");
    }
}
