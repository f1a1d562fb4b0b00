//! The exchange simulator: one venue-neutral engine (`engine`: accounts, books, matching, the order
//! lifecycle, fees, rate limits, liquidity, publishing) and one dialect per exchange (`dialects`:
//! the exchange's routes, REST/WS message shapes, error codes, signature verification), served on
//! 127.0.0.1 at random ports. See `sim/README.md`.

pub mod dialects;
pub mod engine;
