//! All integration tests in one binary: one link instead of 28, and a fraction of the disk (every
//! test binary statically links alloy, tokio and the whole library). Each file is a module named
//! after what it tests; `cargo test --test it <module>::` runs one of them.

mod anvil_support;
mod cli_support;
mod evm_support;
mod perp_support;
mod uniswap_support;

mod amm_adoption;
mod anvil_cli;
mod anvil_env;
mod anvil_fork;
mod anvil_hostile;
mod arb_cli;
mod arb_crash;
mod arb_e2e;
mod binance_book;
mod binance_cli;
mod binance_http;
mod binance_mock_ed25519;
mod binance_mock_rest;
mod binance_mock_streams;
mod binance_orders;
mod binance_user_stream;
mod celo_fee_currency;
mod celo_router02;
mod cli_basics;
mod connectors;
mod demo;
mod evm_balance_cli;
mod evm_broadcast_hook;
mod evm_client;
mod evm_erc20;
mod evm_nonce;
mod evm_tracker;
mod home_isolation;
mod manifest_check;
mod parser_fuzz;
mod perp_positions;
mod perp_quotes;
mod secret_leaks;
mod swap_approval;
mod tx_sign;
mod uniswap_native_eth;
mod uniswap_v2_quotes;
mod uniswap_v2_swaps;
mod uniswap_v3_paths;
mod uniswap_v3_quotes;
mod uniswap_v3_swaps;
mod wallet_cli;
mod wallet_signing;
mod wallet_vectors;
