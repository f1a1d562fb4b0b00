//! The dYdX v4 protobuf messages the local node decodes: the library's own declarations
//! ([`sluice::clob::dydx::proto`], from `dydxprotocol/v4-chain`'s `.proto` files), re-exported,
//! plus the node's names for the enum values it compares as raw `i32`s and the one message type
//! it recognises only to refuse (`MsgBatchCancel`).

pub use sluice::clob::dydx::proto::{
    BuilderCodeParameters, CancelGoodTil, ConditionType, GoodTilOneof, MSG_CANCEL_ORDER_URL,
    MSG_CREATE_TRANSFER_URL, MSG_DEPOSIT_TO_SUBACCOUNT_URL, MSG_PLACE_ORDER_URL,
    MSG_WITHDRAW_FROM_SUBACCOUNT_URL, MsgCancelOrder, MsgCreateTransfer, MsgDepositToSubaccount,
    MsgPlaceOrder, MsgWithdrawFromSubaccount, ORDER_FLAGS_CONDITIONAL as FLAG_CONDITIONAL,
    ORDER_FLAGS_LONG_TERM as FLAG_LONG_TERM, ORDER_FLAGS_SHORT_TERM as FLAG_SHORT_TERM,
    ORDER_FLAGS_TWAP as FLAG_TWAP, Order, OrderId, Side, SubaccountId, TX_EXTENSION_URL,
    TimeInForce, Transfer, TwapParameters, TxExtension,
};

pub const MSG_BATCH_CANCEL_URL: &str = "/dydxprotocol.clob.MsgBatchCancel";

/// `Order.Side` as the decoded `i32`.
pub const SIDE_BUY: i32 = Side::Buy as i32;
pub const SIDE_SELL: i32 = Side::Sell as i32;

/// `Order.TimeInForce` as the decoded `i32`.
pub const TIF_UNSPECIFIED: i32 = TimeInForce::Unspecified as i32;
pub const TIF_IOC: i32 = TimeInForce::Ioc as i32;
pub const TIF_POST_ONLY: i32 = TimeInForce::PostOnly as i32;
pub const TIF_FILL_OR_KILL: i32 = TimeInForce::FillOrKill as i32;

/// `Order.ConditionType` as the decoded `i32`.
pub const CONDITION_UNSPECIFIED: i32 = ConditionType::Unspecified as i32;
pub const CONDITION_STOP_LOSS: i32 = ConditionType::StopLoss as i32;
pub const CONDITION_TAKE_PROFIT: i32 = ConditionType::TakeProfit as i32;
