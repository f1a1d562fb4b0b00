//! The dYdX v4 protobuf messages the local node decodes, declared with `prost`'s derive. The field
//! numbers and types follow `dydxprotocol/v4-chain`'s `proto/dydxprotocol/`: `clob/order.proto`
//! (`OrderId`, `Order`), `clob/tx.proto` (`MsgPlaceOrder`, `MsgCancelOrder`),
//! `subaccounts/subaccount.proto` (`SubaccountId`), `sending/transfer.proto` and `sending/tx.proto`
//! (`Transfer`, `MsgCreateTransfer`, `MsgDepositToSubaccount`, `MsgWithdrawFromSubaccount`) and
//! `accountplus/tx.proto` (`TxExtension`).
//!
//! Why not the published `dydx-proto` crate: it is licensed under dYdX's AGPL-3.0-based custom
//! licence, and this crate is linked into the `sluice` binary (MIT OR Apache-2.0); it would also
//! pull `tonic` 0.13 and `prost-types` 0.13 into the tree for a handful of structs.

pub const MSG_PLACE_ORDER_URL: &str = "/dydxprotocol.clob.MsgPlaceOrder";
pub const MSG_CANCEL_ORDER_URL: &str = "/dydxprotocol.clob.MsgCancelOrder";
pub const MSG_BATCH_CANCEL_URL: &str = "/dydxprotocol.clob.MsgBatchCancel";
pub const MSG_CREATE_TRANSFER_URL: &str = "/dydxprotocol.sending.MsgCreateTransfer";
pub const MSG_DEPOSIT_URL: &str = "/dydxprotocol.sending.MsgDepositToSubaccount";
pub const MSG_WITHDRAW_URL: &str = "/dydxprotocol.sending.MsgWithdrawFromSubaccount";
pub const TX_EXTENSION_URL: &str = "/dydxprotocol.accountplus.TxExtension";

/// Order flags (`OrderId.order_flags`).
pub const FLAG_SHORT_TERM: u32 = 0;
pub const FLAG_CONDITIONAL: u32 = 32;
pub const FLAG_LONG_TERM: u32 = 64;
pub const FLAG_TWAP: u32 = 128;

/// `Order.Side`.
pub const SIDE_BUY: i32 = 1;
pub const SIDE_SELL: i32 = 2;

/// `Order.TimeInForce`.
pub const TIF_UNSPECIFIED: i32 = 0;
pub const TIF_IOC: i32 = 1;
pub const TIF_POST_ONLY: i32 = 2;
pub const TIF_FILL_OR_KILL: i32 = 3;

/// `Order.ConditionType`.
pub const CONDITION_UNSPECIFIED: i32 = 0;
pub const CONDITION_STOP_LOSS: i32 = 1;
pub const CONDITION_TAKE_PROFIT: i32 = 2;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
pub struct SubaccountId {
    #[prost(string, tag = "1")]
    pub owner: String,
    #[prost(uint32, tag = "2")]
    pub number: u32,
}

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

/// `Order.good_til_oneof`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Oneof)]
pub enum GoodTil {
    #[prost(uint32, tag = "5")]
    GoodTilBlock(u32),
    #[prost(fixed32, tag = "6")]
    GoodTilBlockTime(u32),
}

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct TwapParameters {
    #[prost(uint32, tag = "1")]
    pub duration: u32,
    #[prost(uint32, tag = "2")]
    pub interval: u32,
    #[prost(uint32, tag = "3")]
    pub price_tolerance: u32,
}

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct BuilderCodeParameters {
    #[prost(string, tag = "1")]
    pub builder_address: String,
    #[prost(uint32, tag = "2")]
    pub fee_ppm: u32,
}

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Order {
    #[prost(message, optional, tag = "1")]
    pub order_id: Option<OrderId>,
    #[prost(int32, tag = "2")]
    pub side: i32,
    #[prost(uint64, tag = "3")]
    pub quantums: u64,
    #[prost(uint64, tag = "4")]
    pub subticks: u64,
    #[prost(oneof = "GoodTil", tags = "5, 6")]
    pub good_til: Option<GoodTil>,
    #[prost(int32, tag = "7")]
    pub time_in_force: i32,
    #[prost(bool, tag = "8")]
    pub reduce_only: bool,
    #[prost(uint32, tag = "9")]
    pub client_metadata: u32,
    #[prost(int32, tag = "10")]
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

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgCancelOrder {
    #[prost(message, optional, tag = "1")]
    pub order_id: Option<OrderId>,
    #[prost(oneof = "CancelGoodTil", tags = "2, 3")]
    pub good_til: Option<CancelGoodTil>,
}

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

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgCreateTransfer {
    #[prost(message, optional, tag = "1")]
    pub transfer: Option<Transfer>,
}

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

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgWithdrawFromSubaccount {
    #[prost(message, optional, tag = "2")]
    pub sender: Option<SubaccountId>,
    #[prost(string, tag = "1")]
    pub recipient: String,
    #[prost(uint32, tag = "3")]
    pub asset_id: u32,
    #[prost(uint64, tag = "4")]
    pub quantums: u64,
}

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct TxExtension {
    #[prost(uint64, repeated, tag = "1")]
    pub selected_authenticators: Vec<u64>,
}

impl OrderId {
    pub fn is_short_term(&self) -> bool {
        self.order_flags == FLAG_SHORT_TERM
    }

    /// Long-term, conditional or TWAP: kept in state, replay-protected by the sequence.
    pub fn is_stateful(&self) -> bool {
        matches!(
            self.order_flags,
            FLAG_LONG_TERM | FLAG_CONDITIONAL | FLAG_TWAP
        )
    }
}

impl Order {
    pub fn good_til_block(&self) -> u32 {
        match self.good_til {
            Some(GoodTil::GoodTilBlock(b)) => b,
            _ => 0,
        }
    }

    pub fn good_til_block_time(&self) -> u32 {
        match self.good_til {
            Some(GoodTil::GoodTilBlockTime(t)) => t,
            _ => 0,
        }
    }
}

impl MsgCancelOrder {
    pub fn good_til_block(&self) -> u32 {
        match self.good_til {
            Some(CancelGoodTil::GoodTilBlock(b)) => b,
            _ => 0,
        }
    }

    pub fn good_til_block_time(&self) -> u32 {
        match self.good_til {
            Some(CancelGoodTil::GoodTilBlockTime(t)) => t,
            _ => 0,
        }
    }
}
