//! Read calls in JSON-RPC batches: many `eth_call`s pinned to one block in one HTTP round trip, so a
//! pool snapshot is consistent and loads in a few round trips however many ticks it has.

use alloy::eips::BlockId;
use alloy::primitives::{Address, Bytes};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::client::BatchRequest;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;

use crate::amm::AmmError;
use crate::amm::error::redact_urls;

/// Calls per JSON-RPC batch (nodes cap batch sizes; 500 is accepted by anvil, geth and most providers).
const BATCH_SIZE: usize = 500;

/// One read call: a contract and its ABI-encoded input.
#[derive(Debug, Clone)]
pub struct ReadCall {
    pub to: Address,
    pub data: Bytes,
}

impl ReadCall {
    pub fn new<C: SolCall>(to: Address, call: &C) -> Self {
        Self {
            to,
            data: call.abi_encode().into(),
        }
    }
}

/// Runs `calls` at `block`, in batches; each result is the return data or the node's error text
/// (a revert is a per-call result, not a failure of the whole batch). Errors never quote the RPC
/// URL whole (see [`AmmError::rpc`]).
pub async fn batch_call(
    provider: &DynProvider,
    calls: &[ReadCall],
    block: u64,
) -> Result<Vec<Result<Bytes, String>>, AmmError> {
    let mut out = Vec::with_capacity(calls.len());
    for chunk in calls.chunks(BATCH_SIZE) {
        let mut batch = BatchRequest::new(provider.client());
        let mut waiters = Vec::with_capacity(chunk.len());
        for c in chunk {
            let tx = TransactionRequest::default()
                .to(c.to)
                .input(c.data.clone().into());
            let params = (tx, BlockId::number(block));
            waiters.push(
                batch
                    .add_call::<_, Bytes>("eth_call", &params)
                    .map_err(AmmError::rpc)?,
            );
        }
        batch.send().await.map_err(AmmError::rpc)?;
        for w in waiters {
            out.push(w.await.map_err(|e| redact_urls(&e.to_string())));
        }
    }
    Ok(out)
}

/// The results of a batch, taken in the order the calls were made and decoded one by one: how a
/// loader reads several fields per contract from one [`batch_call`].
#[derive(Debug)]
pub struct BatchResults {
    results: std::vec::IntoIter<Result<Bytes, String>>,
}

impl BatchResults {
    pub fn new(results: Vec<Result<Bytes, String>>) -> Self {
        Self {
            results: results.into_iter(),
        }
    }

    /// Decodes the next result as the return of `C` (called on `contract`); a missing result is
    /// an error naming the call.
    pub fn next_decoded<C: SolCall>(
        &mut self,
        contract: Address,
        what: &'static str,
    ) -> Result<C::Return, AmmError> {
        let next = self
            .results
            .next()
            .unwrap_or_else(|| Err("missing batch result".into()));
        decode::<C>(next, contract, what)
    }
}

/// [`batch_call`], its results to be decoded in order.
pub async fn batch_read(
    provider: &DynProvider,
    calls: &[ReadCall],
    block: u64,
) -> Result<BatchResults, AmmError> {
    Ok(BatchResults::new(batch_call(provider, calls, block).await?))
}

/// Decodes one call's result, naming the contract and call in the error.
pub fn decode<C: SolCall>(
    result: Result<Bytes, String>,
    contract: Address,
    what: &'static str,
) -> Result<C::Return, AmmError> {
    let data = result.map_err(|reason| AmmError::Call {
        contract: contract.to_string(),
        what,
        reason,
    })?;
    C::abi_decode_returns(&data).map_err(|e| AmmError::Decode {
        what,
        reason: e.to_string(),
    })
}
