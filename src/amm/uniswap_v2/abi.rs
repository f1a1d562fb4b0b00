//! The Uniswap v2 contract interfaces this connector calls (factory, pair, Router02) and the pair's
//! `Sync` and `Swap` events, generated from the official ABIs in `abis/` (see `abis/README.md`).
//! Router02's ETH variants wrap a native input and unwrap a native output.

use alloy::sol;

sol!(IUniswapV2Factory, "abis/UniswapV2Factory.json");
sol!(IUniswapV2Pair, "abis/UniswapV2Pair.json");
sol!(IUniswapV2Router02, "abis/UniswapV2Router02.json");
