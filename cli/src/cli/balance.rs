//! `sluice balance --chain CHAIN [--rpc-url URL] --address ADDR [--token SYMBOL|ADDRESS] [--json]`:
//! the native or ERC-20 balance of an address, read from a node of the chain. A token is named by
//! its address or by a symbol from the chain spec; its decimals and symbol are read from the chain.
//!
//! `sluice balance --chain terra|terra_classic [--lcd-url URL] (--address terra1…|--wallet NAME
//! [--account N]) [--json]`: every bank balance of a Cosmos account, read through the chain's LCD
//! (the chain id checked at connect); symbols and decimals from the chain spec where it lists the
//! denom.
//!
//! `sluice balance --venue ID [--chain CHAIN] [connection flags] [--json]`: every balance of the
//! trading account at a venue (the stored API keys of an exchange, `--wallet` on a chain venue),
//! the venue built through the connector registry from a table made of the flags.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, U256};
use serde::Serialize;
use sluice::chain::cosmos::lcd::{LcdClient, LcdConfig};
use sluice::chain::evm::{Erc20, EvmClient};
use sluice::chain::{ChainFamily, ChainSpec};
use sluice::core::from_units;
use sluice::venue::Access;
use sluice::wallet::WalletStore;

use super::connect::{COMMAND_LINE, FlagTable, venue_id};
use super::{CliError, Context, Table, print_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Chain name (see `sluice chains`); with `--venue`, the venue's chain.
    #[arg(long, required_unless_present = "venue")]
    chain: Option<String>,
    /// RPC endpoint, http(s):// or ws(s)://; defaults to the chain spec's first.
    #[arg(long, env = "SLUICE_RPC_URL")]
    rpc_url: Option<String>,
    /// Cosmos chains: the LCD endpoint; defaults to the chain spec's first.
    #[arg(long, env = "SLUICE_LCD_URL")]
    lcd_url: Option<String>,
    /// The account to look at (0x… on EVM chains, terra1… on Terra).
    #[arg(long, required_unless_present_any = ["venue", "wallet"], conflicts_with = "venue")]
    address: Option<String>,
    /// An ERC-20 token: its 0x address or a symbol listed in the chain spec. Without it, the
    /// native asset.
    #[arg(long, conflicts_with = "venue")]
    token: Option<String>,
    #[command(flatten)]
    at: VenueFlags,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
}

/// `--venue` and the flags that become its `[connect]` table (only those given).
#[derive(Debug, clap::Args)]
struct VenueFlags {
    /// The balances of the trading account at a venue (an id from `sluice venues`, e.g.
    /// binance or uniswap_v3@ethereum) instead of one address's.
    #[arg(long)]
    venue: Option<String>,
    /// With --venue: the wallet of a chain venue (its `wallet`); on a Cosmos chain without
    /// --venue: the wallet whose address to look at.
    #[arg(long)]
    wallet: Option<String>,
    /// With --venue or --wallet: the account index within the wallet (its `account_index`).
    #[arg(long, requires = "wallet")]
    account: Option<u64>,
    /// With --venue: a deployment manifest (its `manifest`).
    #[arg(long, requires = "venue")]
    manifest: Option<PathBuf>,
    /// With --venue: an exchange's REST base URL (its `rest_url`).
    #[arg(long, alias = "base-url", requires = "venue")]
    rest_url: Option<String>,
}

#[derive(Debug, Serialize)]
struct BalanceReport {
    chain: String,
    address: Address,
    asset: String,
    /// The token contract; absent for the native asset.
    token: Option<Address>,
    decimals: u8,
    /// Integer units, in decimal.
    raw: String,
    /// Whole units, exact.
    amount: String,
}

pub async fn run(args: Args, ctx: &Context) -> Result<(), CliError> {
    if let Some(venue) = &args.at.venue {
        return venue_balances(venue, &args, ctx).await;
    }
    let chain = args
        .chain
        .as_deref()
        .ok_or("--chain or --venue is required")?;
    let spec = ctx.chain(chain)?;
    if spec.family == ChainFamily::Cosmos {
        return cosmos_balances(spec, &args, ctx).await;
    }
    if args.at.wallet.is_some() {
        return Err("--wallet without --venue is for Cosmos chains; pass --address".into());
    }
    let address: Address = args
        .address
        .as_deref()
        .ok_or("--address is required")?
        .parse()
        .map_err(|e| format!("--address: not an EVM address: {e}"))?;
    let url = match &args.rpc_url {
        Some(u) => u.clone(),
        None => spec
            .rpc_urls
            .first()
            .cloned()
            .ok_or_else(|| format!("chain {:?} lists no RPC URL; pass --rpc-url", spec.name))?,
    };
    let client = EvmClient::connect(spec, &url).await?;
    let native = &spec.native;
    let token = match args.token.as_deref() {
        None => None,
        Some(t) if t.eq_ignore_ascii_case(&native.symbol) => None,
        Some(t) => Some(resolve_token(spec, t)?),
    };
    let report = match token {
        None => {
            let raw = client.native_balance(address).await?;
            report(
                spec.name.clone(),
                address,
                native.symbol.clone(),
                None,
                native.decimals,
                raw,
            )
        }
        Some(contract) => {
            let token = Erc20::new(client.clone(), contract);
            let (raw, meta) = tokio::try_join!(token.balance_of(address), token.metadata())?;
            report(
                spec.name.clone(),
                address,
                meta.symbol,
                Some(contract),
                meta.decimals,
                raw,
            )
        }
    };
    if args.json {
        return print_json(&report);
    }
    let mut t = Table::new(&["chain", "address", "asset", "amount"]);
    t.row(vec![
        report.chain,
        report.address.to_string(),
        report.asset,
        report.amount,
    ]);
    t.print()
}

#[derive(Debug, Serialize)]
struct CosmosBalance {
    denom: String,
    /// The chain spec's symbol of the denom, else the denom.
    asset: String,
    decimals: Option<u8>,
    raw: String,
    /// Whole units when the decimals are known.
    amount: Option<String>,
}

#[derive(Debug, Serialize)]
struct CosmosReport {
    chain: String,
    address: String,
    balances: Vec<CosmosBalance>,
}

async fn cosmos_balances(spec: &ChainSpec, args: &Args, ctx: &Context) -> Result<(), CliError> {
    let hrp = spec.bech32_prefix.as_deref().unwrap_or_default();
    let address = match (&args.address, &args.at.wallet) {
        (Some(a), None) => {
            let well_formed = a.len() > hrp.len() + 7
                && a.starts_with(&format!("{hrp}1"))
                && a[hrp.len() + 1..]
                    .bytes()
                    .all(|b| b"qpzry9x8gf2tvdw0s3jn54khce6mua7l".contains(&b));
            if !well_formed {
                return Err(format!("--address: {a:?} is not a {hrp}1… address").into());
            }
            a.clone()
        }
        (None, Some(w)) => {
            let wallet = WalletStore::new(&ctx.home)
                .unlock(w, &super::wallet::password("Wallet password: ", false)?)?;
            wallet.account(spec, args.at.account.unwrap_or(0))?.address
        }
        _ => return Err("give --address or --wallet, not both".into()),
    };
    let url = match &args.lcd_url {
        Some(u) => u.clone(),
        None => spec
            .lcd_urls
            .first()
            .cloned()
            .ok_or_else(|| format!("chain {:?} lists no LCD URL; pass --lcd-url", spec.name))?,
    };
    let lcd = LcdClient::connect(&url, &spec.chain_id.to_string(), LcdConfig::default()).await?;
    let coins = lcd.balances(&address).await?;
    let balances = coins
        .into_iter()
        .map(|c| {
            let token = spec
                .tokens
                .iter()
                .find(|t| t.denom.as_deref() == Some(c.denom.as_str()));
            let amount = token.and_then(|t| {
                from_units(U256::from(c.amount), t.decimals)
                    .ok()
                    .map(|d| d.normalize().to_string())
            });
            CosmosBalance {
                asset: token.map_or_else(|| c.denom.clone(), |t| t.symbol.clone()),
                decimals: token.map(|t| t.decimals),
                raw: c.amount.to_string(),
                amount,
                denom: c.denom,
            }
        })
        .collect();
    let report = CosmosReport {
        chain: spec.name.clone(),
        address,
        balances,
    };
    if args.json {
        return print_json(&report);
    }
    let mut t = Table::new(&["chain", "address", "asset", "amount"]);
    for b in &report.balances {
        t.row(vec![
            report.chain.clone(),
            report.address.clone(),
            b.asset.clone(),
            b.amount.clone().unwrap_or_else(|| b.raw.clone()),
        ]);
    }
    t.print()
}

/// Every balance of the venue's trading account: built through the registry (keys or wallet
/// loaded, the password asked at most once), nothing started (balances need no stream).
async fn venue_balances(venue: &str, args: &Args, ctx: &Context) -> Result<(), CliError> {
    let id = venue_id(venue, args.chain.as_deref())?;
    let flags = &args.at;
    let table = FlagTable::new()
        .put("rpc_url", args.rpc_url.clone())
        .put("rest_url", flags.rest_url.clone())
        .put("wallet", flags.wallet.clone())
        .put(
            "account_index",
            flags.account.map(i64::try_from).transpose()?,
        )
        .put(
            "manifest",
            flags.manifest.as_ref().map(|m| m.display().to_string()),
        );
    let cc = super::connect::context(ctx, Path::new(COMMAND_LINE), Access::Trade);
    let v = sluice::connectors::connect(&id, table.table(), &cc).await?;
    let balances = v.balances().await;
    v.close().await;
    let balances = balances?;
    if args.json {
        return print_json(&balances);
    }
    let mut t = Table::new(&["venue", "asset", "total", "available"]);
    for b in balances {
        t.row(vec![
            id.to_string(),
            b.asset.to_string(),
            b.total.to_string(),
            b.available.to_string(),
        ]);
    }
    t.print()
}

fn resolve_token(spec: &sluice::chain::ChainSpec, token: &str) -> Result<Address, CliError> {
    if token.starts_with("0x") {
        return token
            .parse()
            .map_err(|e| format!("--token {token:?} is not an address: {e}").into());
    }
    spec.token(token)
        .and_then(|t| t.evm_address())
        .ok_or_else(|| {
            let known: Vec<&str> = spec.tokens.iter().map(|t| t.symbol.as_str()).collect();
            format!(
                "unknown token {token:?} on {}; give its address, or one of: {}",
                spec.name,
                if known.is_empty() {
                    "(the spec lists none)".to_string()
                } else {
                    known.join(", ")
                }
            )
            .into()
        })
}

fn report(
    chain: String,
    address: Address,
    asset: String,
    token: Option<Address>,
    decimals: u8,
    raw: U256,
) -> BalanceReport {
    BalanceReport {
        chain,
        address,
        asset,
        token,
        decimals,
        raw: raw.to_string(),
        amount: exact_amount(raw, decimals),
    }
}

/// `raw / 10^decimals` written out exactly, without trailing zeros (a `Decimal` when it fits,
/// otherwise digit by digit).
fn exact_amount(raw: U256, decimals: u8) -> String {
    if let Ok(d) = from_units(raw, decimals) {
        return d.normalize().to_string();
    }
    let digits = raw.to_string();
    let d = usize::from(decimals);
    let (int, frac) = if digits.len() > d {
        let (i, f) = digits.split_at(digits.len() - d);
        (i.to_string(), f.to_string())
    } else {
        ("0".to_string(), format!("{digits:0>d$}"))
    };
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int
    } else {
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact() {
        assert_eq!(exact_amount(U256::from(1_500_000u64), 6), "1.5");
        assert_eq!(exact_amount(U256::ZERO, 18), "0");
        assert_eq!(exact_amount(U256::from(12_345u64), 2), "123.45");
        // Beyond a Decimal's 28 places: written out digit by digit.
        assert_eq!(
            exact_amount(U256::from(1u8), 36),
            format!("0.{}1", "0".repeat(35))
        );
        assert_eq!(
            exact_amount(U256::MAX, 18),
            "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
        );
    }
}
