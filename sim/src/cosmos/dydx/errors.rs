//! The chain's refusals as `v4-chain` registers them: codespace, code and the registered message,
//! wrapped as `errorsmod.Wrapf` words it (`"<detail>: <registered message>"`). Codes from
//! `protocol/x/clob/types/errors.go`, `x/subaccounts/types/errors.go`,
//! `x/sending/types/errors.go`; the SDK's own in `ExecError::sdk`.

use crate::cosmos::chain::ExecError;

fn wrapped(codespace: &str, code: u32, registered: &str, detail: &str) -> ExecError {
    ExecError {
        code,
        codespace: codespace.into(),
        log: if detail.is_empty() {
            registered.to_string()
        } else {
            format!("{detail}: {registered}")
        },
    }
}

/// A `clob` module error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clob {
    InvalidOrderSide,
    InvalidOrderQuantums,
    InvalidOrderGoodTilBlock,
    InvalidOrderSubticks,
    OrderIsCanceled,
    InvalidClob,
    MemClobCancelAlreadyExists,
    HeightExceedsGoodTilBlock,
    GoodTilBlockExceedsShortBlockWindow,
    InvalidPlaceOrder,
    InvalidReplacement,
    OrderFullyFilled,
    InvalidStatefulOrderCancellation,
    OrderReprocessed,
    StatefulOrderCancellationAlreadyExists,
    InvalidTimeInForce,
    DeprecatedField,
    ReduceOnlyDisabled,
    PostOnlyWouldCrossMakerOrder,
    InvalidOrderFlag,
    InvalidStatefulOrderGoodTilBlockTime,
    LongTermOrdersCannotRequireImmediateExecution,
    TimeExceedsGoodTilBlockTime,
    GoodTilBlockTimeExceedsStatefulOrderTimeWindow,
    StatefulOrderAlreadyExists,
    StatefulOrderDoesNotExist,
    StatefulOrderPreviouslyCancelled,
    InvalidConditionType,
    InvalidConditionalOrderTriggerSubticks,
}

impl Clob {
    pub fn code_and_message(self) -> (u32, &'static str) {
        use Clob::*;
        match self {
            InvalidOrderSide => (3, "Invalid order side"),
            InvalidOrderQuantums => (4, "Invalid order quantums"),
            InvalidOrderGoodTilBlock => (5, "Invalid order goodTilBlock"),
            InvalidOrderSubticks => (6, "Invalid order subticks"),
            OrderIsCanceled => (7, "Attempt to place an order that is already canceled"),
            InvalidClob => (8, "ClobPair ID does not reference a valid CLOB"),
            MemClobCancelAlreadyExists => (
                9,
                "A cancel already exists in the memclob for this order with a greater than or equal GoodTilBlock",
            ),
            HeightExceedsGoodTilBlock => (
                10,
                "The next block height is greater than the GoodTilBlock of the message",
            ),
            GoodTilBlockExceedsShortBlockWindow => (
                11,
                "The GoodTilBlock of the message is further than ShortBlockWindow blocks into the future",
            ),
            InvalidPlaceOrder => (12, "MsgPlaceOrder is invalid"),
            InvalidReplacement => (20, "Replacing an existing order failed"),
            OrderFullyFilled => (24, "Order is fully filled"),
            InvalidStatefulOrderCancellation => (29, "Invalid stateful order cancellation"),
            OrderReprocessed => (
                30,
                "An order with the same `OrderId` and `OrderHash` has already been processed for this CLOB",
            ),
            StatefulOrderCancellationAlreadyExists => (
                32,
                "Existing stateful order cancellation has higher-or-equal priority than the new one",
            ),
            InvalidTimeInForce => (44, "invalid time in force"),
            DeprecatedField => (48, "This field has been deprecated"),
            ReduceOnlyDisabled => (9003, "Reduce-only is currently disabled for non-IOC orders"),
            PostOnlyWouldCrossMakerOrder => {
                (2003, "Post-only order would cross one or more maker orders")
            }
            InvalidOrderFlag => (3000, "Invalid order flags"),
            InvalidStatefulOrderGoodTilBlockTime => (3001, "Invalid order goodTilBlockTime"),
            LongTermOrdersCannotRequireImmediateExecution => {
                (3002, "Stateful orders cannot require immediate execution")
            }
            TimeExceedsGoodTilBlockTime => (
                3003,
                "The block time is greater than the GoodTilBlockTime of the message",
            ),
            GoodTilBlockTimeExceedsStatefulOrderTimeWindow => (
                3004,
                "The GoodTilBlockTime of the message is further than StatefulOrderTimeWindow into the future",
            ),
            StatefulOrderAlreadyExists => (
                3005,
                "Existing stateful order has higher-or-equal priority than the new one",
            ),
            StatefulOrderDoesNotExist => (3006, "Stateful order does not exist"),
            StatefulOrderPreviouslyCancelled => (
                3008,
                "Stateful order was previously cancelled and therefore cannot be placed",
            ),
            InvalidConditionType => (6000, "Conditional type is invalid"),
            InvalidConditionalOrderTriggerSubticks => {
                (6001, "Conditional order trigger subticks is invalid")
            }
        }
    }

    /// The error, wrapped with `detail`.
    pub fn err(self, detail: impl AsRef<str>) -> ExecError {
        let (code, msg) = self.code_and_message();
        wrapped("clob", code, msg, detail.as_ref())
    }
}

/// `subaccounts` 200: the subaccount number is above 128,000.
pub fn invalid_subaccount_number(detail: &str) -> ExecError {
    wrapped(
        "subaccounts",
        200,
        "subaccount id number cannot exceed 128000",
        detail,
    )
}

/// `subaccounts` 201: the owner is not a bech32 address.
pub fn invalid_subaccount_owner(detail: &str) -> ExecError {
    wrapped(
        "subaccounts",
        201,
        "subaccount id owner is an invalid address",
        detail,
    )
}

/// A `sending` module error: 1 sender is recipient, 2 invalid amount, 1101 non-USDC asset.
pub fn sending(code: u32, detail: &str) -> ExecError {
    let msg = match code {
        1 => "Sender is the same as recipient",
        2 => "Invalid transfer amount",
        6 => "Account address is invalid",
        1101 => "Non-USDC asset transfer not implemented",
        _ => "sending error",
    };
    wrapped("sending", code, msg, detail)
}

/// The SDK's `ErrInvalidRequest` (18) wrapped with `detail`.
pub fn invalid_request(detail: &str) -> ExecError {
    ExecError::sdk(18, format!("{detail}: invalid request"))
}

/// The SDK's `ErrInsufficientFunds` (5) wrapped with `detail`.
pub fn insufficient_funds(detail: &str) -> ExecError {
    ExecError::sdk(5, format!("{detail}: insufficient funds"))
}
