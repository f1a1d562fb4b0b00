//! The token contracts every EVM AMM reads, generated from the official ABIs in `abis/` (see
//! `abis/README.md`): ERC-20 (balances, metadata, `Transfer` logs) and WETH9 (the wrapped native
//! token's `Deposit` and `Withdrawal` logs, which tell a native leg's amounts).

use alloy::sol;

sol!(IERC20, "abis/ERC20.json");
sol!(IWETH9, "abis/WETH9.json");
