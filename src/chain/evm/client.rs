//! The EVM client: one alloy provider per (chain spec, RPC URL), over HTTP or a websocket, with the
//! retry layer of [`super::retry`], JSON-RPC batching for many reads at once, and a check that the
//! node serves the chain the spec names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::network::Ethereum;
use alloy::primitives::{Address, B256, Bytes, U64, U256};
use alloy::providers::{DynProvider, Provider, RootProvider, WsConnect};
use alloy::rpc::client::{BatchRequest, ClientBuilder, NoParams};
use alloy::rpc::types::{Block, TransactionRequest};
use alloy::transports::TransportError;

use super::erc20::TokenMetadata;
use super::error::{EvmError, redact_url};
use super::fees::{FeePolicy, Fees};
use super::retry::{Backoff, RetryLayer};
use super::revert::RevertReason;
use crate::chain::{ChainSpec, FeeModel};

/// How a client behaves; [`ClientOptions::for_spec`] gives defaults that fit the chain.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub backoff: Backoff,
    pub fees: FeePolicy,
    /// How often pollers (the transaction tracker) ask the node.
    pub poll_interval: Duration,
}

impl ClientOptions {
    /// Defaults, polling four times per block (between 20 ms and 3 s).
    pub fn for_spec(spec: &ChainSpec) -> Self {
        let ms = (spec.block_time_ms / 4).clamp(20, 3000);
        Self {
            backoff: Backoff::default(),
            fees: FeePolicy::default(),
            poll_interval: Duration::from_millis(ms),
        }
    }
}

/// A connection to one EVM node. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct EvmClient {
    inner: Arc<Inner>,
}

struct Inner {
    provider: DynProvider,
    spec: ChainSpec,
    chain_id: u64,
    genesis: B256,
    endpoint: String,
    options: ClientOptions,
    tokens: Mutex<HashMap<Address, TokenMetadata>>,
}

impl std::fmt::Debug for EvmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvmClient")
            .field("chain", &self.inner.spec.name)
            .field("chain_id", &self.inner.chain_id)
            .field("endpoint", &self.inner.endpoint)
            .finish()
    }
}

impl EvmClient {
    /// Connects with the defaults for the spec. `url` is `http(s)://` or `ws(s)://`.
    pub async fn connect(spec: &ChainSpec, url: &str) -> Result<Self, EvmError> {
        Self::connect_with(spec, url, ClientOptions::for_spec(spec)).await
    }

    /// Connects, then checks in one batched request that the node's chain id is the spec's.
    pub async fn connect_with(
        spec: &ChainSpec,
        url: &str,
        options: ClientOptions,
    ) -> Result<Self, EvmError> {
        let endpoint = redact_url(url);
        let bad = |problem: String| EvmError::BadSpec {
            chain: spec.name.clone(),
            problem,
        };
        let expected = spec
            .evm_chain_id()
            .ok_or_else(|| bad("not an EVM chain".into()))?;
        let parsed =
            url::Url::parse(url).map_err(|e| bad(format!("RPC URL {endpoint} is invalid: {e}")))?;
        let builder = ClientBuilder::default().layer(RetryLayer::new(options.backoff));
        let client = match parsed.scheme() {
            "http" | "https" => builder.http(parsed),
            "ws" | "wss" => {
                builder
                    .ws(WsConnect::new(url))
                    .await
                    .map_err(|source| EvmError::Rpc {
                        method: "websocket connect".into(),
                        endpoint: endpoint.clone(),
                        source,
                    })?
            }
            other => {
                return Err(bad(format!(
                    "RPC URL scheme {other:?} is not http(s) or ws(s)"
                )));
            }
        }
        .with_poll_interval(options.poll_interval);
        let provider = RootProvider::<Ethereum>::new(client).erased();

        let rpc = |method: &str| {
            let endpoint = endpoint.clone();
            let method = method.to_string();
            move |source: TransportError| EvmError::Rpc {
                method,
                endpoint,
                source,
            }
        };
        let mut batch = BatchRequest::new(provider.client());
        let id_call = batch
            .add_call::<_, U64>("eth_chainId", &NoParams::default())
            .map_err(rpc("eth_chainId"))?;
        let genesis_call = batch
            .add_call::<_, Option<Block>>(
                "eth_getBlockByNumber",
                &(BlockNumberOrTag::Number(0), false),
            )
            .map_err(rpc("eth_getBlockByNumber"))?;
        batch
            .send()
            .await
            .map_err(rpc("batch(eth_chainId, genesis)"))?;
        let actual = id_call.await.map_err(rpc("eth_chainId"))?.to::<u64>();
        if actual != expected {
            return Err(EvmError::ChainIdMismatch {
                chain: spec.name.clone(),
                endpoint,
                expected,
                actual,
            });
        }
        let genesis = genesis_call
            .await
            .map_err(rpc("eth_getBlockByNumber"))?
            .ok_or_else(|| EvmError::BadResponse {
                what: "eth_getBlockByNumber(0)".into(),
                problem: "the node has no genesis block".into(),
            })?
            .header
            .hash;
        Ok(Self {
            inner: Arc::new(Inner {
                provider,
                spec: spec.clone(),
                chain_id: actual,
                genesis,
                endpoint,
                options,
                tokens: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The alloy provider (with retries), for calls this layer does not wrap.
    pub fn provider(&self) -> &DynProvider {
        &self.inner.provider
    }

    pub fn spec(&self) -> &ChainSpec {
        &self.inner.spec
    }

    pub fn chain_id(&self) -> u64 {
        self.inner.chain_id
    }

    /// The hash of block 0: with the chain id, it tells two chains apart (two local anvils share
    /// chain id 31337 but not their genesis).
    pub fn genesis_hash(&self) -> B256 {
        self.inner.genesis
    }

    /// The RPC endpoint without path or query (safe to log).
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Maps a transport error of `method` to an [`EvmError`].
    pub fn rpc_error(&self, method: &str, source: TransportError) -> EvmError {
        EvmError::Rpc {
            method: method.to_string(),
            endpoint: self.inner.endpoint.clone(),
            source,
        }
    }

    /// Like [`Self::rpc_error`], but a revert answer becomes [`EvmError::Reverted`].
    pub fn call_error(&self, context: &str, source: TransportError) -> EvmError {
        match RevertReason::from_rpc_error(&source) {
            Some(reason) => EvmError::Reverted {
                context: context.to_string(),
                reason,
            },
            None => self.rpc_error(context, source),
        }
    }

    /// The native balance of an account, in wei.
    pub async fn native_balance(&self, account: Address) -> Result<U256, EvmError> {
        self.provider()
            .get_balance(account)
            .await
            .map_err(|e| self.rpc_error("eth_getBalance", e))
    }

    /// `eth_call` at the latest block; a revert comes back decoded.
    pub async fn call(&self, tx: TransactionRequest, context: &str) -> Result<Bytes, EvmError> {
        self.provider()
            .call(tx)
            .await
            .map_err(|e| self.call_error(context, e))
    }

    /// Many `eth_call`s in one JSON-RPC batch; one result per call, in order.
    pub async fn call_many(
        &self,
        calls: &[TransactionRequest],
    ) -> Result<Vec<Result<Bytes, EvmError>>, EvmError> {
        let mut batch = BatchRequest::new(self.provider().client());
        let mut waiters = Vec::with_capacity(calls.len());
        for call in calls {
            waiters.push(
                batch
                    .add_call::<_, Bytes>("eth_call", &(call, BlockNumberOrTag::Latest))
                    .map_err(|e| self.rpc_error("eth_call", e))?,
            );
        }
        batch
            .send()
            .await
            .map_err(|e| self.rpc_error("batch(eth_call)", e))?;
        let mut out = Vec::with_capacity(waiters.len());
        for w in waiters {
            out.push(w.await.map_err(|e| self.call_error("eth_call", e)));
        }
        Ok(out)
    }

    /// A gas limit for `tx`: the node's estimate plus the policy's margin. A transaction that
    /// would revert fails here with its decoded reason.
    pub async fn estimate_gas(&self, tx: &TransactionRequest) -> Result<u64, EvmError> {
        let estimate = self
            .provider()
            .estimate_gas(tx.clone())
            .await
            .map_err(|e| self.call_error("eth_estimateGas", e))?;
        Ok(self.inner.options.fees.gas_limit(estimate))
    }

    /// Fees for a transaction sent now: EIP-1559 from `eth_feeHistory` when the chain has a base
    /// fee (and the spec does not say legacy), otherwise the node's gas price. Both capped.
    pub async fn suggest_fees(&self) -> Result<Fees, EvmError> {
        let policy = &self.inner.options.fees;
        if self.inner.spec.fee_model != FeeModel::Legacy {
            let percentiles: Vec<f64> = policy.reward_percentile().into_iter().collect();
            let history = self
                .provider()
                .get_fee_history(
                    policy.history_blocks.max(1),
                    BlockNumberOrTag::Latest,
                    &percentiles,
                )
                .await
                .map_err(|e| self.rpc_error("eth_feeHistory", e))?;
            if let Some(next) = history.next_block_base_fee().filter(|b| *b > 0) {
                let rewards: Vec<u128> = history
                    .reward
                    .as_ref()
                    .map(|r| {
                        r.iter()
                            .filter_map(|block| block.first().copied())
                            .collect()
                    })
                    .unwrap_or_default();
                return policy.eip1559(next, &rewards);
            }
        }
        let price = self
            .provider()
            .get_gas_price()
            .await
            .map_err(|e| self.rpc_error("eth_gasPrice", e))?;
        policy.legacy(price)
    }

    /// The account's transaction count including the node's pending pool.
    pub async fn pending_nonce(&self, account: Address) -> Result<u64, EvmError> {
        self.provider()
            .get_transaction_count(account)
            .pending()
            .await
            .map_err(|e| self.rpc_error("eth_getTransactionCount(pending)", e))
    }

    /// The account's transaction count in the latest block.
    pub async fn latest_nonce(&self, account: Address) -> Result<u64, EvmError> {
        self.provider()
            .get_transaction_count(account)
            .latest()
            .await
            .map_err(|e| self.rpc_error("eth_getTransactionCount(latest)", e))
    }

    pub(crate) fn cached_token(&self, token: Address) -> Option<TokenMetadata> {
        self.inner
            .tokens
            .lock()
            .ok()
            .and_then(|m| m.get(&token).cloned())
    }

    pub(crate) fn cache_token(&self, meta: TokenMetadata) {
        if let Ok(mut m) = self.inner.tokens.lock() {
            m.insert(meta.address, meta);
        }
    }
}
