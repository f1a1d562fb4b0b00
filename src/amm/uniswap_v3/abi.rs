//! The Uniswap v3 contract interfaces this connector calls (factory, pool, TickLens, QuoterV2,
//! SwapRouter with its path swaps, multicall and WETH9 payments, SwapRouter02 where only it is
//! deployed) and the pool events it follows,
//! generated from the official ABIs in `abis/` (see `abis/README.md`).

use alloy::sol;

sol!(IUniswapV3Factory, "abis/UniswapV3Factory.json");
sol!(IUniswapV3Pool, "abis/UniswapV3Pool.json");
sol!(ITickLens, "abis/TickLens.json");
sol!(IQuoterV2, "abis/QuoterV2.json");
sol!(ISwapRouter, "abis/SwapRouter.json");
sol!(ISwapRouter02, "abis/SwapRouter02.json");
