//! One swap through each deployed protocol's own router, checked against the protocol's own quote
//! (taken with `eth_call` right before): the amount received must equal the quote exactly.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U160, U256, aliases::U24};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use sluice::testkit::deploy::Manifest;

sol! {
    interface IERC20 {
        function approve(address spender, uint256 value) external returns (bool);
        function balanceOf(address owner) external view returns (uint256);
    }
    interface IWETH9 { function deposit() external payable; }
    interface IUniswapV2Router02 {
        function getAmountsOut(uint256 amountIn, address[] calldata path) external view returns (uint256[] memory amounts);
        function swapExactTokensForTokens(uint256 amountIn, uint256 amountOutMin, address[] calldata path,
            address to, uint256 deadline) external returns (uint256[] memory amounts);
    }
    interface IQuoterV2 {
        struct QuoteExactInputSingleParams { address tokenIn; address tokenOut; uint256 amountIn; uint24 fee; uint160 sqrtPriceLimitX96; }
        function quoteExactInputSingle(QuoteExactInputSingleParams memory params) external
            returns (uint256 amountOut, uint160 sqrtPriceX96After, uint32 initializedTicksCrossed, uint256 gasEstimate);
    }
    interface ISwapRouter {
        struct ExactInputSingleParams { address tokenIn; address tokenOut; uint24 fee; address recipient;
            uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; uint160 sqrtPriceLimitX96; }
        function exactInputSingle(ExactInputSingleParams calldata params) external payable returns (uint256 amountOut);
    }
}

pub type TestResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What a swap gave, next to what the protocol quoted for it.
#[derive(Debug, Clone)]
pub struct SwapOutcome {
    pub quoted: U256,
    pub received: U256,
    pub ticks_crossed: u32,
}

pub async fn send<C: SolCall>(
    p: &DynProvider,
    from: Address,
    to: Address,
    call: &C,
    value: U256,
) -> TestResult<()> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_value(value)
        .with_input(call.abi_encode());
    let receipt = p.send_transaction(tx).await?.get_receipt().await?;
    if !receipt.status() {
        return Err(format!("transaction {} reverted", receipt.transaction_hash).into());
    }
    Ok(())
}

pub async fn read<C: SolCall>(
    p: &DynProvider,
    from: Address,
    to: Address,
    call: &C,
) -> TestResult<C::Return> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(call.abi_encode());
    let out = p.call(tx).await?;
    Ok(C::abi_decode_returns(&out)?)
}

pub async fn balance(p: &DynProvider, token: Address, who: Address) -> TestResult<U256> {
    read(p, who, token, &IERC20::balanceOfCall { owner: who }).await
}

/// Gives `trader` `amount` of `symbol`: wraps ETH for WETH, otherwise assumes the trader holds it.
pub async fn fund(
    p: &DynProvider,
    m: &Manifest,
    trader: Address,
    symbol: &str,
    amount: U256,
) -> TestResult<Address> {
    let token = m.token_address(symbol).ok_or("unknown token")?;
    if symbol == "WETH" {
        send(p, trader, token, &IWETH9::depositCall {}, amount).await?;
    }
    Ok(token)
}

pub fn far_deadline() -> U256 {
    U256::from(u64::MAX / 2)
}

pub async fn uniswap_v2_swap(
    p: &DynProvider,
    m: &Manifest,
    trader: Address,
    sell: &str,
    buy: &str,
    amount_in: U256,
) -> TestResult<SwapOutcome> {
    let token_in = fund(p, m, trader, sell, amount_in).await?;
    let token_out = m.token_address(buy).ok_or("unknown token")?;
    let router = m.uniswap_v2.router02;
    send(
        p,
        trader,
        token_in,
        &IERC20::approveCall {
            spender: router,
            value: amount_in,
        },
        U256::ZERO,
    )
    .await?;
    let path = vec![token_in, token_out];
    let amounts = read(
        p,
        trader,
        router,
        &IUniswapV2Router02::getAmountsOutCall {
            amountIn: amount_in,
            path: path.clone(),
        },
    )
    .await?;
    let quoted = *amounts.last().ok_or("empty quote")?;
    let before = balance(p, token_out, trader).await?;
    send(
        p,
        trader,
        router,
        &IUniswapV2Router02::swapExactTokensForTokensCall {
            amountIn: amount_in,
            amountOutMin: quoted,
            path,
            to: trader,
            deadline: far_deadline(),
        },
        U256::ZERO,
    )
    .await?;
    let received = balance(p, token_out, trader).await? - before;
    if received != quoted {
        return Err(format!("v2 received {received} but quoted {quoted}").into());
    }
    Ok(SwapOutcome {
        quoted,
        received,
        ticks_crossed: 0,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn uniswap_v3_swap(
    p: &DynProvider,
    m: &Manifest,
    trader: Address,
    sell: &str,
    buy: &str,
    fee: u32,
    amount_in: U256,
) -> TestResult<SwapOutcome> {
    let token_in = fund(p, m, trader, sell, amount_in).await?;
    let token_out = m.token_address(buy).ok_or("unknown token")?;
    let router = m.uniswap_v3.swap_router;
    send(
        p,
        trader,
        token_in,
        &IERC20::approveCall {
            spender: router,
            value: amount_in,
        },
        U256::ZERO,
    )
    .await?;
    let q = read(
        p,
        trader,
        m.uniswap_v3.quoter_v2,
        &IQuoterV2::quoteExactInputSingleCall {
            params: IQuoterV2::QuoteExactInputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                amountIn: amount_in,
                fee: U24::from(fee),
                sqrtPriceLimitX96: U160::ZERO,
            },
        },
    )
    .await?;
    let before = balance(p, token_out, trader).await?;
    send(
        p,
        trader,
        router,
        &ISwapRouter::exactInputSingleCall {
            params: ISwapRouter::ExactInputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                fee: U24::from(fee),
                recipient: trader,
                deadline: far_deadline(),
                amountIn: amount_in,
                amountOutMinimum: q.amountOut,
                sqrtPriceLimitX96: U160::ZERO,
            },
        },
        U256::ZERO,
    )
    .await?;
    let received = balance(p, token_out, trader).await? - before;
    if received != q.amountOut {
        return Err(format!("v3 received {received} but quoted {}", q.amountOut).into());
    }
    Ok(SwapOutcome {
        quoted: q.amountOut,
        received,
        ticks_crossed: q.initializedTicksCrossed,
    })
}
