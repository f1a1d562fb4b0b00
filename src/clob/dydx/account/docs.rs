//! The dYdX v4 indexer's account documents as `comlink` serves them (REST) and `socks` streams
//! them (`v4_subaccounts`): amounts as decimal strings, heights as strings, times ISO 8601.
//! Unknown fields are ignored; a missing required field, a number that is not a decimal (or does
//! not fit one) fails the whole document.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::exchanges::okx::api::opt_dec;

/// An order's status as the indexer reports it (`APIOrderStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IndexerOrderStatus {
    Open,
    Filled,
    Canceled,
    /// A cancel the node accepted but a block has not confirmed (short-term orders).
    BestEffortCanceled,
    /// A conditional order whose trigger has not been reached.
    Untriggered,
    /// A placement the node accepted but a block has not confirmed.
    BestEffortOpened,
}

/// `LONG` / `SHORT` of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionSideDoc {
    Long,
    Short,
}

/// `BUY` / `SELL` of an order or fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderSideDoc {
    Buy,
    Sell,
}

/// `MAKER` / `TAKER` of a fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LiquidityDoc {
    Maker,
    Taker,
}

/// `SubaccountResponseObject`: `GET /v4/addresses/{address}/subaccountNumber/{n}` answers
/// `{"subaccount": …}`; also the `subscribed` snapshot of `v4_subaccounts`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubaccountDoc {
    pub address: String,
    pub subaccount_number: u32,
    pub equity: Decimal,
    pub free_collateral: Decimal,
    #[serde(default)]
    pub open_perpetual_positions: BTreeMap<String, PerpetualPositionDoc>,
    #[serde(default)]
    pub asset_positions: BTreeMap<String, AssetPositionDoc>,
    #[serde(default)]
    pub margin_enabled: Option<bool>,
    #[serde(default)]
    pub updated_at_height: Option<String>,
}

/// `PerpetualPositionResponseObject`. `size` is signed (negative when `SHORT`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerpetualPositionDoc {
    pub market: String,
    /// `OPEN`, `CLOSED` or `LIQUIDATED`.
    pub status: String,
    pub side: PositionSideDoc,
    pub size: Decimal,
    pub max_size: Decimal,
    pub entry_price: Decimal,
    pub realized_pnl: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub unrealized_pnl: Option<Decimal>,
    pub net_funding: Decimal,
    pub sum_open: Decimal,
    pub sum_close: Decimal,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub created_at_height: Option<String>,
    #[serde(default)]
    pub closed_at: Option<String>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub exit_price: Option<Decimal>,
    #[serde(default)]
    pub subaccount_number: Option<u32>,
}

/// `AssetPositionResponseObject` (USDC, asset id 0): `size` unsigned, the sign in `side`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetPositionDoc {
    pub symbol: String,
    pub side: PositionSideDoc,
    pub size: Decimal,
    pub asset_id: String,
    #[serde(default)]
    pub subaccount_number: Option<u32>,
}

impl AssetPositionDoc {
    /// The size, negative when `SHORT`.
    pub fn signed_size(&self) -> Decimal {
        match self.side {
            PositionSideDoc::Long => self.size.abs(),
            PositionSideDoc::Short => -self.size.abs(),
        }
    }
}

/// An order of `GET /v4/orders` and `GET /v4/orders/{id}` (`OrderResponseObject`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDoc {
    /// The indexer's UUID of the order id ([`super::order_uuid`]).
    pub id: String,
    pub subaccount_id: String,
    pub client_id: String,
    pub clob_pair_id: String,
    pub side: OrderSideDoc,
    pub size: Decimal,
    pub total_filled: Decimal,
    pub price: Decimal,
    /// `LIMIT`, `MARKET`, `STOP_LIMIT`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub status: IndexerOrderStatus,
    /// `GTT`, `IOC` or `FOK`.
    pub time_in_force: String,
    pub post_only: bool,
    pub reduce_only: bool,
    /// 0 short-term, 32 conditional, 64 long-term.
    pub order_flags: String,
    #[serde(default)]
    pub good_til_block: Option<String>,
    #[serde(default)]
    pub good_til_block_time: Option<String>,
    #[serde(default)]
    pub created_at_height: Option<String>,
    #[serde(default)]
    pub client_metadata: Option<String>,
    pub ticker: String,
    #[serde(default)]
    pub subaccount_number: Option<u32>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub updated_at_height: Option<String>,
}

/// A fill of `GET /v4/fills` (`FillResponseObject`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FillDoc {
    pub id: String,
    pub side: OrderSideDoc,
    pub liquidity: LiquidityDoc,
    /// `LIMIT`, `LIQUIDATED`, `LIQUIDATION`, `DELEVERAGED`, `OFFSETTING`.
    #[serde(rename = "type")]
    pub kind: String,
    pub market: String,
    #[serde(default)]
    pub market_type: Option<String>,
    pub price: Decimal,
    pub size: Decimal,
    pub fee: Decimal,
    pub created_at: String,
    pub created_at_height: String,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub client_metadata: Option<String>,
    #[serde(default)]
    pub subaccount_number: Option<u32>,
}

/// A funding payment of `GET /v4/fundingPayments` (`FundingPaymentResponseObject`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingPaymentDoc {
    pub created_at: String,
    pub created_at_height: String,
    pub perpetual_id: String,
    pub ticker: String,
    pub oracle_price: Decimal,
    /// The position size the payment was computed on.
    pub size: Decimal,
    pub side: String,
    pub rate: Decimal,
    /// Positive: received.
    pub payment: Decimal,
    pub subaccount_number: String,
    #[serde(default, deserialize_with = "opt_dec")]
    pub funding_index: Option<Decimal>,
}

/// `GET /v4/height`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HeightDoc {
    pub height: String,
    pub time: String,
}

/// An order update of `v4_subaccounts` (`OrderSubaccountMessageContents`): besides the ids and
/// the status, every field is optional in the indexer's type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderUpdateDoc {
    pub id: String,
    #[serde(default)]
    pub client_id: Option<String>,
    pub status: IndexerOrderStatus,
    pub order_flags: String,
    #[serde(default)]
    pub clob_pair_id: Option<String>,
    #[serde(default)]
    pub side: Option<OrderSideDoc>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub size: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub total_filled: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub price: Option<Decimal>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub time_in_force: Option<String>,
    #[serde(default)]
    pub post_only: Option<bool>,
    #[serde(default)]
    pub reduce_only: Option<bool>,
    #[serde(default)]
    pub good_til_block: Option<String>,
    #[serde(default)]
    pub good_til_block_time: Option<String>,
    #[serde(default)]
    pub ticker: Option<String>,
    #[serde(default)]
    pub client_metadata: Option<String>,
}

/// A fill of `v4_subaccounts` (the indexer's fill row with its `ticker`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FillUpdateDoc {
    pub id: String,
    pub side: OrderSideDoc,
    pub liquidity: LiquidityDoc,
    #[serde(rename = "type")]
    pub kind: String,
    pub ticker: String,
    pub price: Decimal,
    pub size: Decimal,
    /// In the indexer's fill row (older documentation examples lack it).
    #[serde(default, deserialize_with = "opt_dec")]
    pub fee: Option<Decimal>,
    pub created_at: String,
    pub created_at_height: String,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub client_metadata: Option<String>,
}

/// A perpetual position update of `v4_subaccounts` (signed `size`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionUpdateDoc {
    pub market: String,
    pub side: PositionSideDoc,
    pub status: String,
    pub size: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub entry_price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub realized_pnl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub unrealized_pnl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub net_funding: Option<Decimal>,
}

/// An asset position update of `v4_subaccounts`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetUpdateDoc {
    pub symbol: String,
    pub side: PositionSideDoc,
    pub size: Decimal,
    pub asset_id: String,
}

/// The `contents` of a `v4_subaccounts` `channel_data` message (`SubaccountMessageContents`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubaccountUpdate {
    #[serde(default)]
    pub orders: Vec<OrderUpdateDoc>,
    #[serde(default)]
    pub fills: Vec<FillUpdateDoc>,
    #[serde(default)]
    pub perpetual_positions: Vec<PositionUpdateDoc>,
    #[serde(default)]
    pub asset_positions: Vec<AssetUpdateDoc>,
    #[serde(default)]
    pub block_height: Option<String>,
}

/// The `contents` of the `subscribed` answer: the subaccount, its open orders, the height.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubaccountSnapshot {
    pub subaccount: SubaccountDoc,
    #[serde(default)]
    pub orders: Vec<OrderUpdateDoc>,
    #[serde(default)]
    pub block_height: Option<String>,
}
