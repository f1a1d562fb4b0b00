//! The controls that change the world under a running strategy: another exchange account's market
//! sell (through the registry, as a second venue), the trader's tokens drained, the pools moved by
//! another dev account's swap, anvil's automine and clock. The pool controls move the Uniswap v3
//! WETH/USDC pools (the environment's default AMM) whatever the AMM leg is.

use alloy::network::TransactionBuilder;
use alloy::primitives::aliases::U24;
use alloy::primitives::{Address, B256, U160, U256};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use rust_decimal::Decimal;
use sluice::amm::uniswap_v3::abi::ISwapRouter;
use sluice::chain::ChainSpecs;
use sluice::chain::evm::Erc20;
use sluice::core::{ClientOrderId, OrderRequest, OrderType, Side, TimeInForce, to_units_exact};
use sluice::venue::ConnectContext;
use sluice::venue::connector::{ApiKey, MemoryKeys};

use super::{
    AmmLeg, ArbEnv, ArbEnvError, ArbEnvOptions, SimExchange, connect, dev_address, pair, setup,
    wrap,
};
use crate::deploy::tokens::{self, IERC20};
use crate::deploy::{Deployer, LocalEnv};

impl ArbEnv {
    /// Another exchange account sells `qty` of the exchange pair's base at market: the best bids
    /// are taken and the book's top moves down (what a competitor does between the strategy's
    /// decision and its order).
    pub async fn exchange_taker_sell(&self, qty: Decimal) -> Result<(), ArbEnvError> {
        let (key, secret) = (
            uuid::Uuid::new_v4().simple().to_string(),
            uuid::Uuid::new_v4().simple().to_string(),
        );
        let account = self.mock.add_account(&key, &secret);
        let (base, _) = self.options.amm.exchange_assets();
        self.mock.set_balance(account, base, qty)?;
        // A second venue on the mock, labelled apart from the trader's, with its own keys.
        let label = "sim-taker";
        let mut table = toml::Table::new();
        let s = |v: String| toml::Value::String(v);
        table.insert(
            sluice::connectors::CONNECTOR_KEY.into(),
            s("binance".into()),
        );
        table.insert("rest_url".into(), s(self.mock.rest_url()));
        table.insert("ws_url".into(), s(self.mock.ws_url()));
        table.insert("ws_api_url".into(), s(self.mock.ws_api_url()));
        let specs = ChainSpecs::builtin().map_err(setup)?;
        let ctx = ConnectContext::new(self.files.path(), specs, std::path::Path::new("arb-env"))
            .with_keys(MemoryKeys::new().with_api_key(label, ApiKey::new(key, secret)));
        let taker = connect(label, &table, &ctx).await?;
        let result = taker
            .submit(OrderRequest {
                client_id: ClientOrderId::generate("taker"),
                pair: pair(&self.options.amm.exchange_pair())?,
                side: Side::Sell,
                order_type: OrderType::Market,
                amount: qty,
                price: None,
                time_in_force: TimeInForce::Ioc,
                deadline: None,
            })
            .await;
        taker.close().await;
        result?;
        Ok(())
    }
}

impl<X: SimExchange> ArbEnv<X> {
    /// Moves all of the trader's `symbol` tokens (one of the pool's two) to dev account 0.
    pub async fn drain_token(&self, symbol: &str) -> Result<(), ArbEnvError> {
        let (base, quote) = self.options.amm.tokens();
        let AmmLeg::Anvil {
            base: base_token,
            quote: quote_token,
        } = &self.amm_leg
        else {
            return Err(setup(format!(
                "no token {symbol} on the anvil: the pool is not there"
            )));
        };
        let token = match symbol {
            s if s == base => *base_token,
            s if s == quote => *quote_token,
            other => return Err(setup(format!("no token {other} in this environment"))),
        };
        let amount = Erc20::new(self.client.clone(), token)
            .balance_of(self.trader)
            .await?;
        let d = Deployer::new(self.chain.anvil.provider(), self.trader);
        d.call(
            "drain",
            token,
            &IERC20::transferCall {
                to: self.chain.manifest.deployer,
                value: amount,
            },
        )
        .await?;
        Ok(())
    }

    /// Prepares dev account `index` to move the Uniswap v3 WETH/USDC pools: wraps `weth` ETH and
    /// approves the router for WETH and USDC (it holds a million USDC from the deployment).
    pub async fn prepare_mover(&self, index: usize, weth: Decimal) -> Result<(), ArbEnvError> {
        let from = dev_address(index)?;
        let router = self.router();
        let (weth_token, usdc) = self.weth_usdc()?;
        let d = Deployer::new(self.chain.anvil.provider(), from);
        wrap(&d, weth_token, weth).await?;
        tokens::approve_max(&d, weth_token, router).await?;
        tokens::approve_max(&d, usdc, router).await?;
        Ok(())
    }

    /// Sends (without waiting for it to be mined) a swap from dev account `index` in the Uniswap
    /// v3 WETH/USDC pool of `fee`: `Side::Buy` buys WETH with `amount` USDC, `Side::Sell` sells
    /// `amount` WETH. Its priority fee of 100 gwei puts it ahead of the trader's transactions in a
    /// block mined by hand (anvil orders by fee). The account must be prepared
    /// ([`ArbEnv::prepare_mover`]).
    pub async fn send_pool_swap(
        &self,
        index: usize,
        fee: u32,
        side: Side,
        amount: Decimal,
    ) -> Result<B256, ArbEnvError> {
        let from = dev_address(index)?;
        let (weth, usdc) = self.weth_usdc()?;
        let (token_in, token_out, decimals) = match side {
            Side::Buy => (usdc, weth, 6),
            Side::Sell => (weth, usdc, 18),
        };
        let call = ISwapRouter::exactInputSingleCall {
            params: ISwapRouter::ExactInputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                fee: U24::from(fee),
                recipient: from,
                deadline: Deployer::deadline(),
                amountIn: to_units_exact(amount, decimals).map_err(setup)?,
                amountOutMinimum: U256::ZERO,
                sqrtPriceLimitX96: U160::ZERO,
            },
        };
        let gwei = 1_000_000_000u128;
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(self.router())
            .with_input(call.abi_encode())
            .with_gas_limit(500_000)
            .with_max_priority_fee_per_gas(100 * gwei)
            .with_max_fee_per_gas(1_000 * gwei);
        let pending = self
            .chain
            .anvil
            .provider()
            .send_transaction(tx)
            .await
            .map_err(|e| setup(format!("pool swap from dev account {index}: {e}")))?;
        Ok(*pending.tx_hash())
    }

    /// Switches anvil's automine on or off (off: transactions wait in the pool for [`ArbEnv::mine`]).
    pub async fn set_automine(&self, on: bool) -> Result<(), ArbEnvError> {
        self.chain
            .anvil
            .read_provider()
            .anvil_set_auto_mine(on)
            .await
            .map_err(|e| setup(format!("anvil_setAutomine: {e}")))
    }

    /// Mines one block with what is in the transaction pool.
    pub async fn mine(&self) -> Result<(), ArbEnvError> {
        self.chain
            .anvil
            .read_provider()
            .evm_mine(None)
            .await
            .map_err(|e| setup(format!("evm_mine: {e}")))?;
        Ok(())
    }

    /// Moves the chain's clock forward by `secs` for the next blocks.
    pub async fn advance_time(&self, secs: u64) -> Result<(), ArbEnvError> {
        self.chain
            .anvil
            .read_provider()
            .anvil_increase_time(secs)
            .await
            .map_err(|e| setup(format!("evm_increaseTime: {e}")))?;
        Ok(())
    }

    fn router(&self) -> Address {
        self.chain.manifest.uniswap_v3.swap_router
    }

    fn weth_usdc(&self) -> Result<(Address, Address), ArbEnvError> {
        let token = |s: &str| {
            self.chain
                .manifest
                .tokens
                .get(s)
                .map(|t| t.address)
                .ok_or_else(|| setup(format!("{s} is not in the deployment manifest")))
        };
        Ok((token("WETH")?, token("USDC")?))
    }
}

/// Wraps ETH and approves the AMM's spender for the pool's tokens, as the options say.
pub(super) async fn prepare_account(
    env: &LocalEnv,
    trader: Address,
    pool_tokens: [Address; 2],
    spender: Address,
    options: &ArbEnvOptions,
) -> Result<(), ArbEnvError> {
    if options.wrap_eth.is_zero() && !options.preapprove_router {
        return Ok(());
    }
    let d = Deployer::new(env.anvil.provider(), trader);
    if !options.wrap_eth.is_zero() {
        let weth = env
            .manifest
            .tokens
            .get("WETH")
            .map(|t| t.address)
            .ok_or_else(|| setup("WETH is not in the deployment manifest"))?;
        wrap(&d, weth, options.wrap_eth).await?;
    }
    if options.preapprove_router {
        for token in pool_tokens {
            tokens::approve_max(&d, token, spender).await?;
        }
    }
    Ok(())
}
