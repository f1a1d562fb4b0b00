//! One swap through each deployed protocol's own router, checked against the protocol's own quote
//! (taken with `eth_call` right before): the amount received must equal the quote exactly.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U160, U256, aliases::U24};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use sluice_sim::deploy::Manifest;

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

sol! {
    interface IBalancer {
        struct SingleSwap { bytes32 poolId; uint8 kind; address assetIn; address assetOut; uint256 amount; bytes userData; }
        struct FundManagement { address sender; bool fromInternalBalance; address recipient; bool toInternalBalance; }
        function querySwap(SingleSwap singleSwap, FundManagement funds) external returns (uint256);
        function swap(SingleSwap singleSwap, FundManagement funds, uint256 limit, uint256 deadline) external payable returns (uint256);
    }
    interface IPerp {
        struct Dec { uint256 d; }
        struct SDec { int256 d; }
        struct Position { SDec size; Dec margin; Dec openNotional; SDec lastUpdatedCumulativePremiumFraction;
            uint256 liquidityHistoryIndex; uint256 blockNumber; }
        function getInputPrice(uint8 _dirOfQuote, Dec _quoteAssetAmount) external view returns (Dec);
        function openPosition(address _amm, uint8 _side, Dec _quoteAssetAmount, Dec _leverage, Dec _baseAssetAmountLimit) external;
        function getPosition(address _amm, address _trader) external view returns (Position);
    }
    interface IMentoBroker {
        function getAmountOut(address exchangeProvider, bytes32 exchangeId, address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256);
        function swapIn(address exchangeProvider, bytes32 exchangeId, address tokenIn, address tokenOut, uint256 amountIn, uint256 amountOutMin) external returns (uint256);
    }
}

/// Sells `amount_in` of `sell` for `buy` in the seeded weighted pool through the Vault; the quote is
/// `BalancerQueries.querySwap`.
pub async fn balancer_swap(
    p: &DynProvider,
    m: &Manifest,
    trader: Address,
    sell: &str,
    buy: &str,
    amount_in: U256,
) -> TestResult<SwapOutcome> {
    let bal = m.balancer.as_ref().ok_or("no balancer in the manifest")?;
    let pool = bal.pools.first().ok_or("no balancer pool")?;
    let token_in = fund(p, m, trader, sell, amount_in).await?;
    let token_out = m.token_address(buy).ok_or("unknown token")?;
    send(
        p,
        trader,
        token_in,
        &IERC20::approveCall {
            spender: bal.vault,
            value: amount_in,
        },
        U256::ZERO,
    )
    .await?;
    let single = IBalancer::SingleSwap {
        poolId: pool.id,
        kind: 0, // GIVEN_IN
        assetIn: token_in,
        assetOut: token_out,
        amount: amount_in,
        userData: Default::default(),
    };
    let funds = IBalancer::FundManagement {
        sender: trader,
        fromInternalBalance: false,
        recipient: trader,
        toInternalBalance: false,
    };
    let quoted = read(
        p,
        trader,
        bal.queries,
        &IBalancer::querySwapCall {
            singleSwap: single.clone(),
            funds: funds.clone(),
        },
    )
    .await?;
    let before = balance(p, token_out, trader).await?;
    send(
        p,
        trader,
        bal.vault,
        &IBalancer::swapCall {
            singleSwap: single,
            funds,
            limit: quoted,
            deadline: far_deadline(),
        },
        U256::ZERO,
    )
    .await?;
    let received = balance(p, token_out, trader).await? - before;
    if received != quoted {
        return Err(format!("balancer received {received} but quoted {quoted}").into());
    }
    Ok(SwapOutcome {
        quoted,
        received,
        ticks_crossed: 0,
    })
}

/// Opens a long ETH position of `margin_usdc` (whole USDC) at `leverage`× through the ClearingHouse;
/// the quote is the Amm's `getInputPrice` for the notional, and "received" is the position's size
/// (base units, 18 decimals).
pub async fn perp_open_long(
    p: &DynProvider,
    m: &Manifest,
    trader: Address,
    margin_usdc: u64,
    leverage: u64,
) -> TestResult<SwapOutcome> {
    let perp = m.perp.as_ref().ok_or("no perp in the manifest")?;
    let amm = perp.amms.first().ok_or("no perp amm")?.address;
    let e18 = U256::from(10u64).pow(U256::from(18u64));
    let margin = U256::from(margin_usdc) * e18;
    let lev = U256::from(leverage) * e18;
    send(
        p,
        trader,
        perp.quote_token,
        &IERC20::approveCall {
            spender: perp.clearing_house,
            value: U256::MAX,
        },
        U256::ZERO,
    )
    .await?;
    let before = read(
        p,
        trader,
        perp.clearing_house,
        &IPerp::getPositionCall {
            _amm: amm,
            _trader: trader,
        },
    )
    .await?;
    let quoted = read(
        p,
        trader,
        amm,
        &IPerp::getInputPriceCall {
            _dirOfQuote: 0,
            _quoteAssetAmount: IPerp::Dec {
                d: margin * lev / e18,
            },
        },
    )
    .await?
    .d;
    send(
        p,
        trader,
        perp.clearing_house,
        &IPerp::openPositionCall {
            _amm: amm,
            _side: 0, // BUY
            _quoteAssetAmount: IPerp::Dec { d: margin },
            _leverage: IPerp::Dec { d: lev },
            _baseAssetAmountLimit: IPerp::Dec { d: quoted },
        },
        U256::ZERO,
    )
    .await?;
    let after = read(
        p,
        trader,
        perp.clearing_house,
        &IPerp::getPositionCall {
            _amm: amm,
            _trader: trader,
        },
    )
    .await?;
    let grown = after.size.d - before.size.d;
    let received = U256::try_from(grown).map_err(|_| "position did not grow")?;
    if received != quoted {
        return Err(format!("perp position grew by {received} but the amm quoted {quoted}").into());
    }
    Ok(SwapOutcome {
        quoted,
        received,
        ticks_crossed: 0,
    })
}

/// Sells `amount_in` of `sell` for `buy` on the Mento exchange through the Broker; the quote is the
/// Broker's `getAmountOut`.
pub async fn mento_swap(
    p: &DynProvider,
    m: &Manifest,
    trader: Address,
    sell: &str,
    buy: &str,
    amount_in: U256,
) -> TestResult<SwapOutcome> {
    let mento = m.mento.as_ref().ok_or("no mento in the manifest")?;
    let ex = mento.exchanges.first().ok_or("no mento exchange")?;
    let token_in = m.token_address(sell).ok_or("unknown token")?;
    let token_out = m.token_address(buy).ok_or("unknown token")?;
    send(
        p,
        trader,
        token_in,
        &IERC20::approveCall {
            spender: mento.broker,
            value: amount_in,
        },
        U256::ZERO,
    )
    .await?;
    let quoted = read(
        p,
        trader,
        mento.broker,
        &IMentoBroker::getAmountOutCall {
            exchangeProvider: mento.bi_pool_manager,
            exchangeId: ex.id,
            tokenIn: token_in,
            tokenOut: token_out,
            amountIn: amount_in,
        },
    )
    .await?;
    let before = balance(p, token_out, trader).await?;
    send(
        p,
        trader,
        mento.broker,
        &IMentoBroker::swapInCall {
            exchangeProvider: mento.bi_pool_manager,
            exchangeId: ex.id,
            tokenIn: token_in,
            tokenOut: token_out,
            amountIn: amount_in,
            amountOutMin: quoted,
        },
        U256::ZERO,
    )
    .await?;
    let received = balance(p, token_out, trader).await? - before;
    if received != quoted {
        return Err(format!("mento received {received} but quoted {quoted}").into());
    }
    Ok(SwapOutcome {
        quoted,
        received,
        ticks_crossed: 0,
    })
}
