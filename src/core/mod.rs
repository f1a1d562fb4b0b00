//! Domain types shared by every venue: assets, pairs, sides, amounts, orders and their state machine,
//! fills, balances, positions and perpetual terms, quotes, venue events and market rules.

pub mod asset;
pub mod balance;
pub mod error;
pub mod event;
pub mod fill;
pub mod order;
pub mod pair;
pub mod perp;
pub mod position;
pub mod quote;
pub mod rules;
pub mod units;

pub use asset::{Asset, Token, TokenId};
pub use balance::Balance;
pub use error::CoreError;
pub use event::{TxInfo, TxState, VenueEvent};
pub use fill::Fill;
pub use order::{ClientOrderId, Order, OrderRequest, OrderState, OrderType, TimeInForce};
pub use pair::{Pair, Side};
pub use perp::{
    FundingInfo, FundingPayment, LeverageSetting, MarginMode, PerpOrder, PositionMode, PositionSide,
};
pub use position::Position;
pub use quote::{GasCost, Quote, QuoteRequest};
pub use rules::{MarketRules, Rounding, RuleViolation};
pub use units::{from_units, to_units, to_units_exact};
