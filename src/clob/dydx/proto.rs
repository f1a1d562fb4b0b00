//! The dYdX v4 protobuf messages sluice sends, declared with `prost`'s derive. Field numbers and
//! types follow `dydxprotocol/v4-chain`'s `proto/dydxprotocol/`: `subaccounts/subaccount.proto`
//! (`SubaccountId`), `clob/order.proto` (`OrderId`, `Order`, `TwapParameters`,
//! `BuilderCodeParameters`), `clob/tx.proto` (`MsgPlaceOrder`, `MsgCancelOrder`),
//! `sending/transfer.proto` and `sending/tx.proto` (`Transfer`, `MsgCreateTransfer`,
//! `MsgDepositToSubaccount`, `MsgWithdrawFromSubaccount`) and `accountplus/tx.proto`
//! (`TxExtension`).
//!
//! Declared here rather than taken from the `dydx-proto` crate: that crate is licensed under
//! dYdX's AGPL-3.0-based custom licence (sluice is MIT OR Apache-2.0) and pulls `tonic` even
//! without its default features; these few messages are all sluice needs.

pub const MSG_PLACE_ORDER_URL: &str = "/dydxprotocol.clob.MsgPlaceOrder";
pub const MSG_CANCEL_ORDER_URL: &str = "/dydxprotocol.clob.MsgCancelOrder";
pub const MSG_CREATE_TRANSFER_URL: &str = "/dydxprotocol.sending.MsgCreateTransfer";
pub const MSG_DEPOSIT_TO_SUBACCOUNT_URL: &str = "/dydxprotocol.sending.MsgDepositToSubaccount";
pub const MSG_WITHDRAW_FROM_SUBACCOUNT_URL: &str =
    "/dydxprotocol.sending.MsgWithdrawFromSubaccount";
pub const TX_EXTENSION_URL: &str = "/dydxprotocol.accountplus.TxExtension";

/// `OrderId.order_flags` of a short-term order.
pub const ORDER_FLAGS_SHORT_TERM: u32 = 0;
/// `OrderId.order_flags` of a conditional order.
pub const ORDER_FLAGS_CONDITIONAL: u32 = 32;
/// `OrderId.order_flags` of a long-term order.
pub const ORDER_FLAGS_LONG_TERM: u32 = 64;
/// `OrderId.order_flags` of a TWAP order.
pub const ORDER_FLAGS_TWAP: u32 = 128;

/// `dydxprotocol.subaccounts.SubaccountId`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
pub struct SubaccountId {
    #[prost(string, tag = "1")]
    pub owner: String,
    #[prost(uint32, tag = "2")]
    pub number: u32,
}

/// `dydxprotocol.clob.OrderId` (`client_id` is `fixed32`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
pub struct OrderId {
    #[prost(message, optional, tag = "1")]
    pub subaccount_id: Option<SubaccountId>,
    #[prost(fixed32, tag = "2")]
    pub client_id: u32,
    #[prost(uint32, tag = "3")]
    pub order_flags: u32,
    #[prost(uint32, tag = "4")]
    pub clob_pair_id: u32,
}

/// `Order.Side`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Side {
    Unspecified = 0,
    Buy = 1,
    Sell = 2,
}

/// `Order.TimeInForce` (`FILL_OR_KILL` is deprecated on chain).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum TimeInForce {
    Unspecified = 0,
    Ioc = 1,
    PostOnly = 2,
    FillOrKill = 3,
}

/// `Order.ConditionType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ConditionType {
    Unspecified = 0,
    StopLoss = 1,
    TakeProfit = 2,
}

/// `dydxprotocol.clob.TwapParameters`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct TwapParameters {
    #[prost(uint32, tag = "1")]
    pub duration: u32,
    #[prost(uint32, tag = "2")]
    pub interval: u32,
    #[prost(uint32, tag = "3")]
    pub price_tolerance: u32,
}

/// `dydxprotocol.clob.BuilderCodeParameters`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct BuilderCodeParameters {
    #[prost(string, tag = "1")]
    pub builder_address: String,
    #[prost(uint32, tag = "2")]
    pub fee_ppm: u32,
}

/// `Order.good_til_oneof` (and `MsgCancelOrder`'s, whose tags are 2 and 3: see
/// [`CancelGoodTil`]).
#[derive(Clone, Copy, PartialEq, Eq, prost::Oneof)]
pub enum GoodTilOneof {
    #[prost(uint32, tag = "5")]
    GoodTilBlock(u32),
    /// Unix seconds, `fixed32`.
    #[prost(fixed32, tag = "6")]
    GoodTilBlockTime(u32),
}

/// `dydxprotocol.clob.Order`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Order {
    #[prost(message, optional, tag = "1")]
    pub order_id: Option<OrderId>,
    #[prost(enumeration = "Side", tag = "2")]
    pub side: i32,
    #[prost(uint64, tag = "3")]
    pub quantums: u64,
    #[prost(uint64, tag = "4")]
    pub subticks: u64,
    #[prost(oneof = "GoodTilOneof", tags = "5, 6")]
    pub good_til_oneof: Option<GoodTilOneof>,
    #[prost(enumeration = "TimeInForce", tag = "7")]
    pub time_in_force: i32,
    #[prost(bool, tag = "8")]
    pub reduce_only: bool,
    #[prost(uint32, tag = "9")]
    pub client_metadata: u32,
    #[prost(enumeration = "ConditionType", tag = "10")]
    pub condition_type: i32,
    #[prost(uint64, tag = "11")]
    pub conditional_order_trigger_subticks: u64,
    #[prost(message, optional, tag = "12")]
    pub twap_parameters: Option<TwapParameters>,
    #[prost(message, optional, tag = "13")]
    pub builder_code_parameters: Option<BuilderCodeParameters>,
    #[prost(string, tag = "14")]
    pub order_router_address: String,
}

/// `dydxprotocol.clob.MsgPlaceOrder`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgPlaceOrder {
    #[prost(message, optional, tag = "1")]
    pub order: Option<Order>,
}

/// `MsgCancelOrder.good_til_oneof`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Oneof)]
pub enum CancelGoodTil {
    #[prost(uint32, tag = "2")]
    GoodTilBlock(u32),
    #[prost(fixed32, tag = "3")]
    GoodTilBlockTime(u32),
}

/// `dydxprotocol.clob.MsgCancelOrder`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgCancelOrder {
    #[prost(message, optional, tag = "1")]
    pub order_id: Option<OrderId>,
    #[prost(oneof = "CancelGoodTil", tags = "2, 3")]
    pub good_til_oneof: Option<CancelGoodTil>,
}

/// `dydxprotocol.sending.Transfer`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Transfer {
    #[prost(message, optional, tag = "1")]
    pub sender: Option<SubaccountId>,
    #[prost(message, optional, tag = "2")]
    pub recipient: Option<SubaccountId>,
    #[prost(uint32, tag = "3")]
    pub asset_id: u32,
    #[prost(uint64, tag = "4")]
    pub amount: u64,
}

/// `dydxprotocol.sending.MsgCreateTransfer`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgCreateTransfer {
    #[prost(message, optional, tag = "1")]
    pub transfer: Option<Transfer>,
}

/// `dydxprotocol.sending.MsgDepositToSubaccount`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgDepositToSubaccount {
    #[prost(string, tag = "1")]
    pub sender: String,
    #[prost(message, optional, tag = "2")]
    pub recipient: Option<SubaccountId>,
    #[prost(uint32, tag = "3")]
    pub asset_id: u32,
    #[prost(uint64, tag = "4")]
    pub quantums: u64,
}

/// `dydxprotocol.sending.MsgWithdrawFromSubaccount`: the sender subaccount is field 2, the
/// recipient address field 1.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgWithdrawFromSubaccount {
    #[prost(string, tag = "1")]
    pub recipient: String,
    #[prost(message, optional, tag = "2")]
    pub sender: Option<SubaccountId>,
    #[prost(uint32, tag = "3")]
    pub asset_id: u32,
    #[prost(uint64, tag = "4")]
    pub quantums: u64,
}

/// `dydxprotocol.accountplus.TxExtension`: the authenticator chosen for each message (none for
/// a transaction signed by the account's own key).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct TxExtension {
    #[prost(uint64, repeated, tag = "1")]
    pub selected_authenticators: Vec<u64>,
}

impl OrderId {
    /// Short-term: kept in memory only, replay-protected by its good-til block.
    pub fn is_short_term(&self) -> bool {
        self.order_flags == ORDER_FLAGS_SHORT_TERM
    }

    /// Long-term, conditional or TWAP: kept in state, replay-protected by the sequence.
    pub fn is_stateful(&self) -> bool {
        matches!(
            self.order_flags,
            ORDER_FLAGS_LONG_TERM | ORDER_FLAGS_CONDITIONAL | ORDER_FLAGS_TWAP
        )
    }
}

impl Order {
    /// `good_til_block`, 0 when the order carries a block time instead (or nothing).
    pub fn good_til_block(&self) -> u32 {
        match self.good_til_oneof {
            Some(GoodTilOneof::GoodTilBlock(b)) => b,
            _ => 0,
        }
    }

    /// `good_til_block_time`, 0 when the order carries a block instead (or nothing).
    pub fn good_til_block_time(&self) -> u32 {
        match self.good_til_oneof {
            Some(GoodTilOneof::GoodTilBlockTime(t)) => t,
            _ => 0,
        }
    }
}

impl MsgCancelOrder {
    /// `good_til_block`, 0 when the cancel carries a block time instead (or nothing).
    pub fn good_til_block(&self) -> u32 {
        match self.good_til_oneof {
            Some(CancelGoodTil::GoodTilBlock(b)) => b,
            _ => 0,
        }
    }

    /// `good_til_block_time`, 0 when the cancel carries a block instead (or nothing).
    pub fn good_til_block_time(&self) -> u32 {
        match self.good_til_oneof {
            Some(CancelGoodTil::GoodTilBlockTime(t)) => t,
            _ => 0,
        }
    }
}
