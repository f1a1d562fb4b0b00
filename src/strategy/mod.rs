//! Strategies. They are event-driven: they react to book and pool events as they arrive.

pub mod arb;
pub mod spot_perp;
