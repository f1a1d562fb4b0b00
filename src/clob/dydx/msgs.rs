//! dYdX v4's messages as sluice builds them: orders (short-term, long-term, conditional), cancels,
//! subaccount transfers, deposits and withdrawals, each naming its subaccount
//! (`SubaccountId {owner, number}`). [`DydxMsg`] converts to its protobuf `Any` and back (the
//! local node decodes transactions with it) and parses from proto-JSON ([`super::json`]).
//!
//! Order flags (`clob/types/order_id.go`): 0 short-term (expires at a block, `good_til_block`),
//! 64 long-term and 32 conditional (both stateful, expiring at a block time in unix seconds,
//! `good_til_block_time`). A conditional order carries its condition type and trigger subticks.

use cosmos_sdk_proto::Any;
use prost::Message;

use super::DydxError;
use super::proto::{
    self, CancelGoodTil, GoodTilOneof, MSG_CANCEL_ORDER_URL, MSG_CREATE_TRANSFER_URL,
    MSG_DEPOSIT_TO_SUBACCOUNT_URL, MSG_PLACE_ORDER_URL, MSG_WITHDRAW_FROM_SUBACCOUNT_URL,
};
use crate::chain::cosmos::Msg;

pub use super::proto::{ORDER_FLAGS_CONDITIONAL, ORDER_FLAGS_LONG_TERM, ORDER_FLAGS_SHORT_TERM};
/// The USDC asset id (quantums are micro-USDC).
pub const USDC_ASSET_ID: u32 = 0;

/// A subaccount: its owner's address and number (0 to 128 000).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubaccountId {
    pub owner: String,
    pub number: u32,
}

impl SubaccountId {
    pub fn new(owner: impl Into<String>, number: u32) -> Self {
        Self {
            owner: owner.into(),
            number,
        }
    }

    pub fn to_proto(&self) -> proto::SubaccountId {
        proto::SubaccountId {
            owner: self.owner.clone(),
            number: self.number,
        }
    }

    fn from_proto(p: Option<proto::SubaccountId>, what: &str) -> Result<Self, DydxError> {
        let p = p.ok_or_else(|| DydxError::message(format!("{what}: no subaccount")))?;
        if p.owner.is_empty() {
            return Err(DydxError::message(format!(
                "{what}: subaccount without owner"
            )));
        }
        Ok(Self {
            owner: p.owner,
            number: p.number,
        })
    }
}

/// An order's identity on chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderId {
    pub subaccount: SubaccountId,
    pub client_id: u32,
    pub order_flags: u32,
    pub clob_pair_id: u32,
}

impl OrderId {
    pub fn to_proto(&self) -> proto::OrderId {
        proto::OrderId {
            subaccount_id: Some(self.subaccount.to_proto()),
            client_id: self.client_id,
            order_flags: self.order_flags,
            clob_pair_id: self.clob_pair_id,
        }
    }

    fn from_proto(p: Option<proto::OrderId>) -> Result<Self, DydxError> {
        let p = p.ok_or_else(|| DydxError::message("no order_id"))?;
        let id = Self {
            subaccount: SubaccountId::from_proto(p.subaccount_id, "order_id")?,
            client_id: p.client_id,
            order_flags: p.order_flags,
            clob_pair_id: p.clob_pair_id,
        };
        if ![
            ORDER_FLAGS_SHORT_TERM,
            ORDER_FLAGS_CONDITIONAL,
            ORDER_FLAGS_LONG_TERM,
        ]
        .contains(&id.order_flags)
        {
            return Err(DydxError::message(format!(
                "order flags {} (expected 0 short-term, 32 conditional or 64 long-term)",
                id.order_flags
            )));
        }
        Ok(id)
    }

    pub fn is_short_term(&self) -> bool {
        self.order_flags == ORDER_FLAGS_SHORT_TERM
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Buy,
    Sell,
}

/// Time in force. `Unspecified` is a good-til-time (resting) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeInForce {
    #[default]
    Unspecified,
    Ioc,
    PostOnly,
    /// Deprecated on chain; kept so that such an order can be read.
    FillOrKill,
}

impl TimeInForce {
    fn proto(self) -> proto::TimeInForce {
        match self {
            Self::Unspecified => proto::TimeInForce::Unspecified,
            Self::Ioc => proto::TimeInForce::Ioc,
            Self::PostOnly => proto::TimeInForce::PostOnly,
            Self::FillOrKill => proto::TimeInForce::FillOrKill,
        }
    }
}

/// A conditional order's trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionType {
    StopLoss,
    TakeProfit,
}

/// How long an order (or a cancel) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// Order flags 0: in the block's memory only, until `good_til_block` (at most 20 blocks ahead).
    ShortTerm { good_til_block: u32 },
    /// Order flags 64: in state until `good_til_block_time` (unix seconds).
    LongTerm { good_til_block_time: u32 },
    /// Order flags 32: placed when the oracle price crosses `trigger_subticks`.
    Conditional {
        good_til_block_time: u32,
        condition: ConditionType,
        trigger_subticks: u64,
    },
}

impl OrderKind {
    pub fn order_flags(&self) -> u32 {
        match self {
            Self::ShortTerm { .. } => ORDER_FLAGS_SHORT_TERM,
            Self::LongTerm { .. } => ORDER_FLAGS_LONG_TERM,
            Self::Conditional { .. } => ORDER_FLAGS_CONDITIONAL,
        }
    }

    fn good_til(&self) -> GoodTilOneof {
        match *self {
            Self::ShortTerm { good_til_block } => GoodTilOneof::GoodTilBlock(good_til_block),
            Self::LongTerm {
                good_til_block_time,
            }
            | Self::Conditional {
                good_til_block_time,
                ..
            } => GoodTilOneof::GoodTilBlockTime(good_til_block_time),
        }
    }
}

/// An order to place (`MsgPlaceOrder`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderMsg {
    pub subaccount: SubaccountId,
    pub client_id: u32,
    pub clob_pair_id: u32,
    pub side: Side,
    /// Size in base quantums ([`super::MarketParams::quantums`]).
    pub quantums: u64,
    /// Limit price in subticks ([`super::MarketParams::subticks`]).
    pub subticks: u64,
    pub kind: OrderKind,
    pub time_in_force: TimeInForce,
    pub reduce_only: bool,
    /// Free for the client (the TypeScript client sends 0, Python 2, Rust 4).
    pub client_metadata: u32,
    pub twap_parameters: Option<proto::TwapParameters>,
    pub builder_code_parameters: Option<proto::BuilderCodeParameters>,
    pub order_router_address: String,
}

impl OrderMsg {
    pub fn order_id(&self) -> OrderId {
        OrderId {
            subaccount: self.subaccount.clone(),
            client_id: self.client_id,
            order_flags: self.kind.order_flags(),
            clob_pair_id: self.clob_pair_id,
        }
    }

    pub fn to_proto(&self) -> proto::Order {
        let (condition_type, trigger) = match self.kind {
            OrderKind::Conditional {
                condition,
                trigger_subticks,
                ..
            } => (
                match condition {
                    ConditionType::StopLoss => proto::ConditionType::StopLoss,
                    ConditionType::TakeProfit => proto::ConditionType::TakeProfit,
                },
                trigger_subticks,
            ),
            _ => (proto::ConditionType::Unspecified, 0),
        };
        proto::Order {
            order_id: Some(self.order_id().to_proto()),
            side: match self.side {
                Side::Buy => proto::Side::Buy,
                Side::Sell => proto::Side::Sell,
            } as i32,
            quantums: self.quantums,
            subticks: self.subticks,
            good_til_oneof: Some(self.kind.good_til()),
            time_in_force: self.time_in_force.proto() as i32,
            reduce_only: self.reduce_only,
            client_metadata: self.client_metadata,
            condition_type: condition_type as i32,
            conditional_order_trigger_subticks: trigger,
            twap_parameters: self.twap_parameters,
            builder_code_parameters: self.builder_code_parameters.clone(),
            order_router_address: self.order_router_address.clone(),
        }
    }

    /// The order a protobuf `Order` describes, refused when its flags, expiry and condition do
    /// not agree or its size or price is zero.
    pub fn from_proto(o: proto::Order) -> Result<Self, DydxError> {
        let id = OrderId::from_proto(o.order_id)?;
        let bad = |m: String| DydxError::message(format!("order {}: {m}", id.client_id));
        let side = match proto::Side::try_from(o.side) {
            Ok(proto::Side::Buy) => Side::Buy,
            Ok(proto::Side::Sell) => Side::Sell,
            _ => return Err(bad(format!("side {} is not SIDE_BUY or SIDE_SELL", o.side))),
        };
        let time_in_force = match proto::TimeInForce::try_from(o.time_in_force) {
            Ok(proto::TimeInForce::Unspecified) => TimeInForce::Unspecified,
            Ok(proto::TimeInForce::Ioc) => TimeInForce::Ioc,
            Ok(proto::TimeInForce::PostOnly) => TimeInForce::PostOnly,
            Ok(proto::TimeInForce::FillOrKill) => TimeInForce::FillOrKill,
            Err(_) => return Err(bad(format!("time in force {}", o.time_in_force))),
        };
        let condition = match proto::ConditionType::try_from(o.condition_type) {
            Ok(proto::ConditionType::Unspecified) => None,
            Ok(proto::ConditionType::StopLoss) => Some(ConditionType::StopLoss),
            Ok(proto::ConditionType::TakeProfit) => Some(ConditionType::TakeProfit),
            Err(_) => return Err(bad(format!("condition type {}", o.condition_type))),
        };
        let trigger = o.conditional_order_trigger_subticks;
        let kind = match (id.order_flags, o.good_til_oneof, condition) {
            (ORDER_FLAGS_SHORT_TERM, Some(GoodTilOneof::GoodTilBlock(b)), None) if trigger == 0 => {
                OrderKind::ShortTerm { good_til_block: b }
            }
            (ORDER_FLAGS_LONG_TERM, Some(GoodTilOneof::GoodTilBlockTime(t)), None)
                if trigger == 0 =>
            {
                OrderKind::LongTerm {
                    good_til_block_time: t,
                }
            }
            (ORDER_FLAGS_CONDITIONAL, Some(GoodTilOneof::GoodTilBlockTime(t)), Some(c))
                if trigger > 0 =>
            {
                OrderKind::Conditional {
                    good_til_block_time: t,
                    condition: c,
                    trigger_subticks: trigger,
                }
            }
            (flags, good_til, condition) => {
                return Err(bad(format!(
                    "order flags {flags} do not fit {} with condition {condition:?} and trigger subticks {trigger} (short-term: good_til_block, no condition; long-term: good_til_block_time, no condition; conditional: good_til_block_time, a condition and a trigger)",
                    match good_til {
                        Some(GoodTilOneof::GoodTilBlock(_)) => "good_til_block",
                        Some(GoodTilOneof::GoodTilBlockTime(_)) => "good_til_block_time",
                        None => "no expiry",
                    }
                )));
            }
        };
        let msg = Self {
            subaccount: id.subaccount,
            client_id: id.client_id,
            clob_pair_id: id.clob_pair_id,
            side,
            quantums: o.quantums,
            subticks: o.subticks,
            kind,
            time_in_force,
            reduce_only: o.reduce_only,
            client_metadata: o.client_metadata,
            twap_parameters: o.twap_parameters,
            builder_code_parameters: o.builder_code_parameters,
            order_router_address: o.order_router_address,
        };
        msg.check()?;
        Ok(msg)
    }

    fn check(&self) -> Result<(), DydxError> {
        if self.quantums == 0 || self.subticks == 0 {
            return Err(DydxError::message(format!(
                "order {}: quantums and subticks must be positive (got {} and {})",
                self.client_id, self.quantums, self.subticks
            )));
        }
        if let OrderKind::Conditional {
            trigger_subticks: 0,
            ..
        } = self.kind
        {
            return Err(DydxError::message(format!(
                "order {}: a conditional order needs trigger subticks",
                self.client_id
            )));
        }
        Ok(())
    }
}

/// One dYdX transaction message (or a Cosmos SDK one, such as a bank `MsgSend`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DydxMsg {
    PlaceOrder(OrderMsg),
    /// A short-term order (flags 0) is cancelled by block, a stateful one by block time.
    CancelOrder {
        order_id: OrderId,
        good_til: GoodTil,
    },
    /// `MsgCreateTransfer`: between subaccounts, `amount` in the asset's quantums.
    Transfer {
        sender: SubaccountId,
        recipient: SubaccountId,
        asset_id: u32,
        amount: u64,
    },
    /// `MsgDepositToSubaccount`: from the sender's bank balance.
    Deposit {
        sender: String,
        recipient: SubaccountId,
        asset_id: u32,
        quantums: u64,
    },
    /// `MsgWithdrawFromSubaccount`: to a bank address.
    Withdraw {
        sender: SubaccountId,
        recipient: String,
        asset_id: u32,
        quantums: u64,
    },
    Cosmos(Msg),
}

/// A cancel's expiry: the block or block time after which the cancel itself lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GoodTil {
    Block(u32),
    /// Unix seconds.
    BlockTime(u32),
}

/// `MsgPlaceOrder` in an `Any`.
pub fn build_place_order(order: &OrderMsg) -> Result<Any, DydxError> {
    order.check()?;
    Ok(DydxMsg::PlaceOrder(order.clone()).to_any())
}

/// `MsgCancelOrder` in an `Any`: a short-term order by block, a stateful one by block time.
pub fn build_cancel(order_id: &OrderId, good_til: GoodTil) -> Result<Any, DydxError> {
    check_cancel(order_id, good_til)?;
    Ok(DydxMsg::CancelOrder {
        order_id: order_id.clone(),
        good_til,
    }
    .to_any())
}

fn check_cancel(order_id: &OrderId, good_til: GoodTil) -> Result<(), DydxError> {
    match (order_id.is_short_term(), good_til) {
        (true, GoodTil::Block(_)) | (false, GoodTil::BlockTime(_)) => Ok(()),
        (true, _) => Err(DydxError::message(format!(
            "cancel of short-term order {}: needs good_til_block",
            order_id.client_id
        ))),
        (false, _) => Err(DydxError::message(format!(
            "cancel of stateful order {}: needs good_til_block_time",
            order_id.client_id
        ))),
    }
}

impl DydxMsg {
    /// The address that must sign this message.
    pub fn signer(&self) -> &str {
        match self {
            Self::PlaceOrder(o) => &o.subaccount.owner,
            Self::CancelOrder { order_id, .. } => &order_id.subaccount.owner,
            Self::Transfer { sender, .. } | Self::Withdraw { sender, .. } => &sender.owner,
            Self::Deposit { sender, .. } => sender,
            Self::Cosmos(m) => m.signer(),
        }
    }

    pub fn type_url(&self) -> &'static str {
        match self {
            Self::PlaceOrder(_) => MSG_PLACE_ORDER_URL,
            Self::CancelOrder { .. } => MSG_CANCEL_ORDER_URL,
            Self::Transfer { .. } => MSG_CREATE_TRANSFER_URL,
            Self::Deposit { .. } => MSG_DEPOSIT_TO_SUBACCOUNT_URL,
            Self::Withdraw { .. } => MSG_WITHDRAW_FROM_SUBACCOUNT_URL,
            Self::Cosmos(m) => m.type_url(),
        }
    }

    /// A place or cancel of an order (the clients send these without a fee).
    pub fn is_order_message(&self) -> bool {
        matches!(self, Self::PlaceOrder(_) | Self::CancelOrder { .. })
    }

    /// A short-term place or cancel: the chain does not check the transaction's sequence.
    pub fn is_short_term(&self) -> bool {
        match self {
            Self::PlaceOrder(o) => matches!(o.kind, OrderKind::ShortTerm { .. }),
            Self::CancelOrder { order_id, .. } => order_id.is_short_term(),
            _ => false,
        }
    }

    pub fn to_any(&self) -> Any {
        let value = match self {
            Self::PlaceOrder(o) => proto::MsgPlaceOrder {
                order: Some(o.to_proto()),
            }
            .encode_to_vec(),
            Self::CancelOrder { order_id, good_til } => proto::MsgCancelOrder {
                order_id: Some(order_id.to_proto()),
                good_til_oneof: Some(match *good_til {
                    GoodTil::Block(b) => CancelGoodTil::GoodTilBlock(b),
                    GoodTil::BlockTime(t) => CancelGoodTil::GoodTilBlockTime(t),
                }),
            }
            .encode_to_vec(),
            Self::Transfer {
                sender,
                recipient,
                asset_id,
                amount,
            } => proto::MsgCreateTransfer {
                transfer: Some(proto::Transfer {
                    sender: Some(sender.to_proto()),
                    recipient: Some(recipient.to_proto()),
                    asset_id: *asset_id,
                    amount: *amount,
                }),
            }
            .encode_to_vec(),
            Self::Deposit {
                sender,
                recipient,
                asset_id,
                quantums,
            } => proto::MsgDepositToSubaccount {
                sender: sender.clone(),
                recipient: Some(recipient.to_proto()),
                asset_id: *asset_id,
                quantums: *quantums,
            }
            .encode_to_vec(),
            Self::Withdraw {
                sender,
                recipient,
                asset_id,
                quantums,
            } => proto::MsgWithdrawFromSubaccount {
                recipient: recipient.clone(),
                sender: Some(sender.to_proto()),
                asset_id: *asset_id,
                quantums: *quantums,
            }
            .encode_to_vec(),
            Self::Cosmos(m) => return m.to_any(),
        };
        Any {
            type_url: self.type_url().to_string(),
            value,
        }
    }

    /// The message in an `Any` from a transaction; an unknown type is an error.
    pub fn from_any(any: &Any) -> Result<Self, DydxError> {
        let err = |e: prost::DecodeError| {
            DydxError::message(format!("cannot decode {}: {e}", any.type_url))
        };
        let bytes = any.value.as_slice();
        match any.type_url.as_str() {
            MSG_PLACE_ORDER_URL => {
                let m = proto::MsgPlaceOrder::decode(bytes).map_err(err)?;
                let order = m
                    .order
                    .ok_or_else(|| DydxError::message("MsgPlaceOrder without order"))?;
                Ok(Self::PlaceOrder(OrderMsg::from_proto(order)?))
            }
            MSG_CANCEL_ORDER_URL => {
                let m = proto::MsgCancelOrder::decode(bytes).map_err(err)?;
                let order_id = OrderId::from_proto(m.order_id)?;
                let good_til = match m.good_til_oneof {
                    Some(CancelGoodTil::GoodTilBlock(b)) => GoodTil::Block(b),
                    Some(CancelGoodTil::GoodTilBlockTime(t)) => GoodTil::BlockTime(t),
                    None => return Err(DydxError::message("MsgCancelOrder without expiry")),
                };
                check_cancel(&order_id, good_til)?;
                Ok(Self::CancelOrder { order_id, good_til })
            }
            MSG_CREATE_TRANSFER_URL => {
                let t = proto::MsgCreateTransfer::decode(bytes)
                    .map_err(err)?
                    .transfer
                    .ok_or_else(|| DydxError::message("MsgCreateTransfer without transfer"))?;
                Ok(Self::Transfer {
                    sender: SubaccountId::from_proto(t.sender, "transfer sender")?,
                    recipient: SubaccountId::from_proto(t.recipient, "transfer recipient")?,
                    asset_id: t.asset_id,
                    amount: t.amount,
                })
            }
            MSG_DEPOSIT_TO_SUBACCOUNT_URL => {
                let m = proto::MsgDepositToSubaccount::decode(bytes).map_err(err)?;
                Ok(Self::Deposit {
                    sender: m.sender,
                    recipient: SubaccountId::from_proto(m.recipient, "deposit recipient")?,
                    asset_id: m.asset_id,
                    quantums: m.quantums,
                })
            }
            MSG_WITHDRAW_FROM_SUBACCOUNT_URL => {
                let m = proto::MsgWithdrawFromSubaccount::decode(bytes).map_err(err)?;
                Ok(Self::Withdraw {
                    sender: SubaccountId::from_proto(m.sender, "withdrawal sender")?,
                    recipient: m.recipient,
                    asset_id: m.asset_id,
                    quantums: m.quantums,
                })
            }
            _ => Ok(Self::Cosmos(Msg::from_any(any)?)),
        }
    }
}
