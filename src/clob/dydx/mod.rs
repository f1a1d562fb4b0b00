//! dYdX v4 (the catalog's `dydx`, and `dydx_perpetual` for the same markets): a Cosmos app chain
//! whose orders are signed transactions, with an indexer for reads.
//!
//! - [`market`]: the indexer's perpetual markets as [`MarketParams`], and the exact conversion of
//!   a `Decimal` price and size to subticks and quantums and back (`quantums`, `subticks`,
//!   `size_of`, `price_of`, and explicit [`QuantizeRule`]s matching the official clients);
//! - [`msgs`]: orders (short-term, long-term, conditional), cancels, subaccount transfers,
//!   deposits and withdrawals ([`DydxMsg`], [`build_place_order`], [`build_cancel`]), with
//!   [`json`] reading them in proto-JSON (`sluice tx sign --chain dydx`);
//! - [`tx`]: the transaction as the official v4 client builds it (its non-critical `TxExtension`,
//!   memo, fee-less orders, gas and fee rule, sequence of short-term orders) and [`sign_tx`];
//! - [`proto`]: the protobuf messages, declared from `dydxprotocol/v4-chain`'s `.proto` files;
//! - [`account`]: the indexer's account side (subaccount, orders, fills, positions, funding
//!   payments; the `v4_subaccounts` stream), [`account::IndexerAccount`];
//! - [`indexer`]: the indexer's order book (`v4_orderbook`, [`indexer::IndexerBook`]) and its REST
//!   client.

pub mod account;
pub mod error;
pub mod indexer;
pub mod json;
pub mod market;
pub mod msgs;
pub mod proto;
pub mod tx;

pub use error::DydxError;
pub use market::{MarketParams, MarketStatus, QuantizeRule, Rounding, parse_perpetual_markets};
pub use msgs::{
    ConditionType, DydxMsg, GoodTil, OrderId, OrderKind, OrderMsg, Side, SubaccountId, TimeInForce,
    build_cancel, build_place_order,
};
pub use tx::{decode_tx, fee_and_gas, sequence_checked, sign_tx};
