//! The chain's pluggable app modules: messages that are neither bank nor CosmWasm (dYdX's CLOB and
//! sending messages) go to a [`ModuleExecutor`]. It validates each message statelessly and names
//! its signer (`ValidateBasic`), sets the rules of a whole transaction (is the sequence checked
//! and incremented, are fees charged, is it executed on admission instead of in a block), acts
//! when a transaction is admitted (`CheckTx`: dYdX's in-memory order book), executes messages in
//! a block, and ends blocks (expiries). [`decode_node_tx`] decodes transactions whose messages the
//! library's [`Msg`] does not know.

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use prost::Message;
use sluice::chain::cosmos::Msg;
use sluice::chain::cosmos::tx::{DecodedTx, decode_tx};

use super::chain::{Balances, ContractEvent, ExecError};

/// A module message, validated, with its signer.
#[derive(Debug, Clone)]
pub struct ModuleMsg {
    pub any: Any,
    pub signer: String,
}

/// One message of a transaction, in order.
#[derive(Debug, Clone)]
pub enum TxMsg {
    /// Bank, CosmWasm or market: executed by the chain.
    Known(Msg),
    Module(ModuleMsg),
}

impl TxMsg {
    pub fn type_url(&self) -> &str {
        match self {
            TxMsg::Known(m) => m.type_url(),
            TxMsg::Module(m) => &m.any.type_url,
        }
    }

    pub fn signer(&self) -> &str {
        match self {
            TxMsg::Known(m) => m.signer(),
            TxMsg::Module(m) => &m.signer,
        }
    }
}

/// A decoded transaction: the library's view (its `msgs` are the known messages only; `raw` is
/// the transaction as sent) and every message in order.
#[derive(Debug, Clone)]
pub struct NodeTx {
    pub tx: DecodedTx,
    pub msgs: Vec<TxMsg>,
    pub extension_options: Vec<Any>,
    pub non_critical_extension_options: Vec<Any>,
}

impl NodeTx {
    pub fn modules(&self) -> impl Iterator<Item = &ModuleMsg> {
        self.msgs.iter().filter_map(|m| match m {
            TxMsg::Module(m) => Some(m),
            TxMsg::Known(_) => None,
        })
    }
}

/// How the chain treats a whole transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxRules {
    /// The signer's sequence is checked and incremented.
    pub sequence: bool,
    /// The minimum gas price applies, the fee is charged and the gas limit holds (false: free,
    /// unlimited gas, as dYdX's CLOB transactions run).
    pub fees: bool,
    /// Executed when admitted ([`ModuleExecutor::check_tx`]) and never included in a block.
    pub admission_only: bool,
}

impl Default for TxRules {
    fn default() -> Self {
        Self {
            sequence: true,
            fees: true,
            admission_only: false,
        }
    }
}

/// The last committed block: its height and time (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    pub height: u64,
    pub time: u64,
}

/// An app's modules behind the node. Everything `deliver` changes between
/// [`begin`](Self::begin) and [`end`](Self::end)`(false)` is undone.
pub trait ModuleExecutor: Send + Sync {
    /// Whether this executor owns messages of `type_url`.
    fn handles(&self, type_url: &str) -> bool;
    /// Stateless checks of one message (`ValidateBasic`); its signer.
    fn validate_basic(&self, msg: &Any) -> Result<String, ExecError>;
    /// The rules of a transaction with these messages (every message, known or not).
    fn tx_rules(&self, msgs: &[TxMsg], timeout_height: u64) -> Result<TxRules, ExecError>;
    /// Extension options this app registers (non-critical ones of other types fail to decode).
    fn check_extension(&self, _option: &Any) -> Result<(), ExecError> {
        Err(ExecError::sdk(
            2,
            format!(
                "unable to resolve type URL {}: tx parse error",
                _option.type_url
            ),
        ))
    }
    /// The effects of admitting a transaction (after the ante checks passed); an error refuses it.
    fn check_tx(&self, _tx: &NodeTx, _last: &BlockInfo) -> Result<(), ExecError> {
        Ok(())
    }
    /// Executes one message in the block after `last` (or a simulation).
    fn deliver(
        &self,
        bank: &mut Balances,
        msg: &ModuleMsg,
        last: &BlockInfo,
        simulate: bool,
    ) -> Result<Vec<ContractEvent>, ExecError>;
    /// After the block `block`'s transactions.
    fn end_block(&self, _block: &BlockInfo) {}
    fn begin(&self) {}
    fn end(&self, _commit: bool) {}
}

/// No modules: every message the library does not know is refused as undecodable.
pub struct NoModules;

impl ModuleExecutor for NoModules {
    fn handles(&self, _type_url: &str) -> bool {
        false
    }

    fn validate_basic(&self, msg: &Any) -> Result<String, ExecError> {
        Err(unknown_type(&msg.type_url))
    }

    fn tx_rules(&self, _msgs: &[TxMsg], _timeout_height: u64) -> Result<TxRules, ExecError> {
        Ok(TxRules::default())
    }

    fn deliver(
        &self,
        _bank: &mut Balances,
        msg: &ModuleMsg,
        _last: &BlockInfo,
        _simulate: bool,
    ) -> Result<Vec<ContractEvent>, ExecError> {
        Err(unknown_type(&msg.any.type_url))
    }
}

fn unknown_type(type_url: &str) -> ExecError {
    ExecError::sdk(
        2,
        format!("unable to resolve type URL {type_url}: tx parse error"),
    )
}

fn parse_error(e: impl std::fmt::Display) -> ExecError {
    ExecError::sdk(2, format!("tx parse error: {e}"))
}

/// Decodes a transaction whose messages may belong to `modules`. The library decodes the signer,
/// fee and sign mode from a copy without the module messages; `raw` stays the transaction as sent
/// (what a direct-mode signature covers). Module messages cannot be signed in amino JSON here.
pub fn decode_node_tx(tx_bytes: &[u8], modules: &dyn ModuleExecutor) -> Result<NodeTx, ExecError> {
    let raw = TxRaw::decode(tx_bytes).map_err(parse_error)?;
    let body = TxBody::decode(raw.body_bytes.as_slice()).map_err(parse_error)?;
    let mut msgs = Vec::with_capacity(body.messages.len());
    let mut known = Vec::with_capacity(body.messages.len());
    for any in &body.messages {
        if modules.handles(&any.type_url) {
            let signer = modules.validate_basic(any)?;
            msgs.push(TxMsg::Module(ModuleMsg {
                any: any.clone(),
                signer,
            }));
        } else {
            let m = Msg::from_any(any).map_err(parse_error)?;
            msgs.push(TxMsg::Known(m));
            known.push(any.clone());
        }
    }
    let has_modules = known.len() != body.messages.len();
    let tx = if has_modules {
        let stripped = TxRaw {
            body_bytes: TxBody {
                messages: known,
                ..body.clone()
            }
            .encode_to_vec(),
            ..raw.clone()
        };
        let mut tx = decode_tx(&stripped.encode_to_vec()).map_err(parse_error)?;
        if tx.mode != sluice::chain::cosmos::SignMode::Direct {
            return Err(ExecError::sdk(
                18,
                "module messages are only accepted in SIGN_MODE_DIRECT: invalid request",
            ));
        }
        tx.raw = raw;
        tx
    } else {
        decode_tx(tx_bytes).map_err(parse_error)?
    };
    Ok(NodeTx {
        tx,
        msgs,
        extension_options: body.extension_options,
        non_critical_extension_options: body.non_critical_extension_options,
    })
}
