//! The dYdX messages the node executes, decoded from their `Any`, with the chain's stateless
//! checks (`ValidateBasic` of `MsgPlaceOrder`, `MsgCancelOrder`, `Transfer`,
//! `MsgDepositToSubaccount`, `MsgWithdrawFromSubaccount`), their signers, and the rules a
//! transaction carrying them follows (`ValidateMsgsInClobTx`, `IsShortTermClobMsgTx` and
//! `ShouldSkipSequenceValidation` of `v4-chain`'s ante handlers): a transaction with a
//! short-term order or cancel holds that one message only, is not sequence-checked (its
//! `good_til_block` protects it from replay) and never goes into a block; any transaction with a
//! CLOB message pays no fee, and may carry CLOB messages and at most one transfer only.

use cosmos_sdk_proto::Any;
use prost::Message;

use super::errors::{
    Clob, invalid_request, invalid_subaccount_number, invalid_subaccount_owner, sending,
};
use super::proto::{self, *};
use crate::cosmos::chain::ExecError;
use crate::cosmos::modules::{TxMsg, TxRules};

/// The largest subaccount number (`MaxSubaccountIdNumber`).
pub const MAX_SUBACCOUNT_NUMBER: u32 = 128_000;

/// A decoded dYdX message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DydxMsg {
    Place { id: OrderId, order: proto::Order },
    Cancel(MsgCancelOrder),
    Transfer(Transfer),
    Deposit(MsgDepositToSubaccount),
    Withdraw(MsgWithdrawFromSubaccount),
}

/// The type URLs the node executes.
pub const HANDLED: [&str; 5] = [
    MSG_PLACE_ORDER_URL,
    MSG_CANCEL_ORDER_URL,
    MSG_CREATE_TRANSFER_URL,
    MSG_DEPOSIT_TO_SUBACCOUNT_URL,
    MSG_WITHDRAW_FROM_SUBACCOUNT_URL,
];

fn parse_err(type_url: &str, e: prost::DecodeError) -> ExecError {
    ExecError::sdk(2, format!("tx parse error: {type_url}: {e}"))
}

fn is_address(s: &str, hrp: &str) -> bool {
    bech32::decode(s).is_ok_and(|(h, data)| h.as_str() == hrp && data.len() == 20)
}

fn check_subaccount(id: &SubaccountId, hrp: &str) -> Result<(), ExecError> {
    if !is_address(&id.owner, hrp) {
        return Err(invalid_subaccount_owner(&format!("owner {:?}", id.owner)));
    }
    if id.number > MAX_SUBACCOUNT_NUMBER {
        return Err(invalid_subaccount_number(&format!("number {}", id.number)));
    }
    Ok(())
}

fn check_order_id(id: &OrderId, hrp: &str) -> Result<(), ExecError> {
    check_subaccount(&id.subaccount_id.clone().unwrap_or_default(), hrp)?;
    if !id.is_short_term() && !id.is_stateful() {
        return Err(Clob::InvalidOrderFlag.err(format!("invalid order flag {}", id.order_flags)));
    }
    Ok(())
}

fn requires_immediate_execution(tif: i32) -> bool {
    tif == TIF_IOC || tif == TIF_FILL_OR_KILL
}

fn validate_order(id: &OrderId, o: &proto::Order, hrp: &str) -> Result<(), ExecError> {
    if o.time_in_force == TIF_FILL_OR_KILL {
        return Err(Clob::DeprecatedField.err("Fill-or-kill has been deprecated"));
    }
    check_subaccount(&id.subaccount_id.clone().unwrap_or_default(), hrp)?;
    if !(0..=2).contains(&o.side) {
        return Err(Clob::InvalidOrderSide.err(format!("invalid order side ({})", o.side)));
    }
    if !(0..=3).contains(&o.time_in_force) {
        return Err(
            Clob::InvalidTimeInForce.err(format!("invalid time in force ({})", o.time_in_force))
        );
    }
    if !(0..=2).contains(&o.condition_type) {
        return Err(Clob::InvalidConditionType
            .err(format!("invalid condition type ({})", o.condition_type)));
    }
    if o.side == 0 {
        return Err(Clob::InvalidOrderSide.err("UNSPECIFIED is not a valid order side"));
    }
    if o.quantums == 0 {
        return Err(Clob::InvalidOrderQuantums.err("order size quantums cannot be 0"));
    }
    if id.is_short_term() {
        if o.good_til_block() == 0 {
            return Err(Clob::InvalidOrderGoodTilBlock.err("order goodTilBlock cannot be 0"));
        }
    } else if id.is_stateful() {
        if o.good_til_block_time() == 0 {
            return Err(Clob::InvalidStatefulOrderGoodTilBlockTime
                .err("stateful order goodTilBlockTime cannot be 0"));
        }
    } else {
        return Err(Clob::InvalidOrderFlag.err(format!("invalid order flag {}", id.order_flags)));
    }
    if id.order_flags == FLAG_TWAP {
        return Err(Clob::InvalidOrderFlag.err("TWAP orders are not supported by the local node"));
    }
    let immediate = requires_immediate_execution(o.time_in_force);
    if id.order_flags == FLAG_LONG_TERM && immediate {
        let (code, msg) = Clob::LongTermOrdersCannotRequireImmediateExecution.code_and_message();
        return Err(ExecError {
            code,
            codespace: "clob".into(),
            log: msg.into(),
        });
    }
    if o.reduce_only && !immediate {
        return Err(
            Clob::ReduceOnlyDisabled.err("reduce only orders must be short term IOC orders")
        );
    }
    if o.subticks == 0 {
        return Err(
            Clob::InvalidOrderSubticks.err("order subticks cannot be 0 for this order type")
        );
    }
    if id.order_flags == FLAG_CONDITIONAL {
        if o.condition_type == CONDITION_UNSPECIFIED {
            return Err(Clob::InvalidConditionType.err("condition type cannot be unspecified"));
        }
        if o.conditional_order_trigger_subticks == 0 {
            return Err(Clob::InvalidConditionalOrderTriggerSubticks
                .err("conditional order trigger subticks cannot be 0"));
        }
    } else {
        if o.condition_type != CONDITION_UNSPECIFIED {
            return Err(Clob::InvalidConditionType
                .err("condition type specified for non-conditional order"));
        }
        if o.conditional_order_trigger_subticks != 0 {
            return Err(Clob::InvalidConditionalOrderTriggerSubticks.err(
                "conditional order trigger subticks greater than 0 for non-conditional order",
            ));
        }
    }
    Ok(())
}

fn check_asset_and_amount(asset_id: u32, amount: u64) -> Result<(), ExecError> {
    if asset_id != 0 {
        return Err(sending(1101, &format!("asset {asset_id}")));
    }
    if amount == 0 {
        return Err(sending(2, "amount 0"));
    }
    Ok(())
}

impl DydxMsg {
    /// Decodes and validates (`ValidateBasic`) a message; `hrp` is the chain's address prefix.
    pub fn decode(any: &Any, hrp: &str) -> Result<Self, ExecError> {
        let url = any.type_url.as_str();
        let v = any.value.as_slice();
        let msg = match url {
            MSG_PLACE_ORDER_URL => {
                let m = MsgPlaceOrder::decode(v).map_err(|e| parse_err(url, e))?;
                let order = m.order.unwrap_or_default();
                let id = order.order_id.clone().unwrap_or_default();
                validate_order(&id, &order, hrp)?;
                DydxMsg::Place { id, order }
            }
            MSG_CANCEL_ORDER_URL => {
                let m = MsgCancelOrder::decode(v).map_err(|e| parse_err(url, e))?;
                let id = m.order_id.clone().unwrap_or_default();
                check_order_id(&id, hrp)?;
                if id.is_stateful() && m.good_til_block_time() == 0 {
                    return Err(Clob::InvalidStatefulOrderGoodTilBlockTime
                        .err("stateful cancellation goodTilBlockTime cannot be 0"));
                }
                if id.is_short_term() && m.good_til_block() == 0 {
                    return Err(
                        Clob::InvalidOrderGoodTilBlock.err("cancellation goodTilBlock cannot be 0")
                    );
                }
                DydxMsg::Cancel(m)
            }
            MSG_CREATE_TRANSFER_URL => {
                let m = MsgCreateTransfer::decode(v).map_err(|e| parse_err(url, e))?;
                let t = m.transfer.unwrap_or_default();
                let (from, to) = (
                    t.sender.clone().unwrap_or_default(),
                    t.recipient.clone().unwrap_or_default(),
                );
                check_subaccount(&from, hrp)?;
                check_subaccount(&to, hrp)?;
                if from == to {
                    return Err(sending(1, "transfer"));
                }
                check_asset_and_amount(t.asset_id, t.amount)?;
                DydxMsg::Transfer(t)
            }
            MSG_DEPOSIT_TO_SUBACCOUNT_URL => {
                let m = MsgDepositToSubaccount::decode(v).map_err(|e| parse_err(url, e))?;
                if !is_address(&m.sender, hrp) {
                    return Err(sending(6, &format!("sender {:?}", m.sender)));
                }
                check_subaccount(&m.recipient.clone().unwrap_or_default(), hrp)?;
                check_asset_and_amount(m.asset_id, m.quantums)?;
                DydxMsg::Deposit(m)
            }
            MSG_WITHDRAW_FROM_SUBACCOUNT_URL => {
                let m = MsgWithdrawFromSubaccount::decode(v).map_err(|e| parse_err(url, e))?;
                check_subaccount(&m.sender.clone().unwrap_or_default(), hrp)?;
                if !is_address(&m.recipient, hrp) {
                    return Err(sending(6, &format!("recipient {:?}", m.recipient)));
                }
                check_asset_and_amount(m.asset_id, m.quantums)?;
                DydxMsg::Withdraw(m)
            }
            other => {
                return Err(ExecError::sdk(
                    2,
                    format!("unable to resolve type URL {other}: tx parse error"),
                ));
            }
        };
        Ok(msg)
    }

    /// The address that must sign it.
    pub fn signer(&self) -> String {
        let owner =
            |s: &Option<SubaccountId>| s.as_ref().map(|s| s.owner.clone()).unwrap_or_default();
        match self {
            DydxMsg::Place { id, .. } => owner(&id.subaccount_id),
            DydxMsg::Cancel(m) => owner(&m.order_id.clone().unwrap_or_default().subaccount_id),
            DydxMsg::Transfer(t) => owner(&t.sender),
            DydxMsg::Deposit(m) => m.sender.clone(),
            DydxMsg::Withdraw(m) => owner(&m.sender),
        }
    }

    /// A short-term order placement or cancellation.
    pub fn is_short_term(&self) -> bool {
        match self {
            DydxMsg::Place { id, .. } => id.is_short_term(),
            DydxMsg::Cancel(m) => m.order_id.as_ref().is_some_and(OrderId::is_short_term),
            _ => false,
        }
    }

    fn is_clob(&self) -> bool {
        matches!(self, DydxMsg::Place { .. } | DydxMsg::Cancel(_))
    }
}

/// The rules of a transaction with these messages (`hrp`: the chain's prefix).
pub fn tx_rules(msgs: &[TxMsg], hrp: &str) -> Result<TxRules, ExecError> {
    let decoded: Vec<Option<DydxMsg>> = msgs
        .iter()
        .map(|m| match m {
            TxMsg::Module(m) => DydxMsg::decode(&m.any, hrp).map(Some),
            TxMsg::Known(_) => Ok(None),
        })
        .collect::<Result<_, _>>()?;
    if !decoded.iter().flatten().any(DydxMsg::is_clob) {
        return Ok(TxRules::default());
    }
    let short = decoded.iter().flatten().any(DydxMsg::is_short_term);
    if short && msgs.len() > 1 {
        return Err(invalid_request(
            "a transaction containing short term order may not contain more than one message",
        ));
    }
    let transfers = decoded
        .iter()
        .flatten()
        .filter(|m| matches!(m, DydxMsg::Transfer(_)))
        .count();
    if transfers > 1 {
        return Err(invalid_request(
            "a transaction containing stateful orders can only be accompanied by 1 transfer msg",
        ));
    }
    let disallowed = decoded.iter().any(|m| {
        !matches!(
            m,
            Some(DydxMsg::Place { .. } | DydxMsg::Cancel(_) | DydxMsg::Transfer(_))
        )
    });
    if disallowed {
        return Err(invalid_request(
            "a transaction containing stateful orders cannot be accompanied by non transfer msgs",
        ));
    }
    Ok(TxRules {
        sequence: !short,
        fees: false,
        admission_only: short,
    })
}

/// The non-critical `TxExtension` the official clients add: accepted with no authenticator
/// selected (the local node registers none); any other non-critical option fails to decode.
pub fn check_extension(option: &Any) -> Result<(), ExecError> {
    if option.type_url != TX_EXTENSION_URL {
        return Err(ExecError::sdk(
            2,
            format!(
                "unable to resolve type URL {}: tx parse error",
                option.type_url
            ),
        ));
    }
    let ext =
        TxExtension::decode(option.value.as_slice()).map_err(|e| parse_err(TX_EXTENSION_URL, e))?;
    if !ext.selected_authenticators.is_empty() {
        return Err(ExecError::sdk(
            4,
            format!(
                "selected authenticators {:?} are not registered on this node: unauthorized",
                ext.selected_authenticators
            ),
        ));
    }
    Ok(())
}
