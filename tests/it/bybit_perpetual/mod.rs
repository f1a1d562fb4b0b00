//! `bybit_perpetual` against its simulator: the book (`book.rs`), the private side and positions
//! (`positions.rs`), the CLI (`cli.rs`).

mod book;
mod cli;
pub(crate) mod positions;
