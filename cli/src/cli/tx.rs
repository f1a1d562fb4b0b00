//! `sluice tx sign`: a transaction signed offline (no network: the chain spec gives the chain id
//! and the fee model), printed as `{"from", "raw", "hash"}` for a cold machine or for checking
//! signing against a chain's documentation. The chain's family picks the flag set: the EVM form is
//! below; a flag of another family's form is refused by name.
//!
//! EVM form: `sluice tx sign --chain CHAIN --wallet NAME [--index N] [--to ADDR] --value WEI
//! --data HEX --nonce N --gas N --max-fee WEI --priority-fee WEI [--fee-currency ADDR]
//! [--access-list JSON] --json`. No `--to` is a contract creation; `--fee-currency` (an address or
//! a token symbol of the chain) makes a CIP-64 transaction, on a chain with Celo's fee model only.
//! The wallet is unlocked as the other wallet commands do (`SLUICE_PASSWORD`, else a prompt).

use alloy::eips::eip2930::AccessList;
use alloy::primitives::{Address, Bytes, U256};
use clap::Subcommand;
use serde::Serialize;
use sluice::chain::evm::{OfflineTx, sign_offline};
use sluice::chain::{ChainFamily, ChainSpec};
use sluice::wallet::WalletStore;

use super::{CliError, Context, print_json};

#[derive(Debug, Subcommand)]
pub enum TxCommand {
    /// Sign a transaction offline and print it (`{"from","raw","hash"}` with --json).
    Sign(SignArgs),
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Chain name (see `sluice chains`): its family picks the form, its spec the chain id and fees.
    #[arg(long)]
    chain: String,
    /// Wallet name (see `sluice wallet list`).
    #[arg(long)]
    wallet: String,
    /// Account index under the chain's key path.
    #[arg(long, default_value_t = 0)]
    index: u64,
    #[command(flatten)]
    evm: EvmFlags,
    /// Print `{"from","raw","hash"}` as JSON.
    #[arg(long)]
    json: bool,
}

/// The EVM form's flags. All optional for clap: which are required depends on the chain's family,
/// so they are checked after the chain is known, with every missing one named at once.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "EVM chains")]
struct EvmFlags {
    /// Recipient or contract called; omit it to create a contract.
    #[arg(long, value_name = "ADDR")]
    to: Option<String>,
    /// Value in wei (decimal).
    #[arg(long, value_name = "WEI")]
    value: Option<String>,
    /// Calldata (or init code without --to), hex; `0x` for none.
    #[arg(long, value_name = "HEX")]
    data: Option<String>,
    #[arg(long, value_name = "N")]
    nonce: Option<u64>,
    /// Gas limit.
    #[arg(long, value_name = "N")]
    gas: Option<u64>,
    /// maxFeePerGas in wei (in the fee currency's units with --fee-currency).
    #[arg(long, value_name = "WEI")]
    max_fee: Option<String>,
    /// maxPriorityFeePerGas in wei (in the fee currency's units with --fee-currency).
    #[arg(long, value_name = "WEI")]
    priority_fee: Option<String>,
    /// Pay gas in this token (CIP-64, Celo only): an address or a token symbol of the chain.
    #[arg(long, value_name = "ADDR")]
    fee_currency: Option<String>,
    /// EIP-2930 access list as JSON: `[{"address":"0x…","storageKeys":["0x…"]}]`.
    #[arg(long, value_name = "JSON")]
    access_list: Option<String>,
}

impl EvmFlags {
    /// The flags given on the command line, by name.
    fn given(&self) -> Vec<&'static str> {
        [
            ("--to", self.to.is_some()),
            ("--value", self.value.is_some()),
            ("--data", self.data.is_some()),
            ("--nonce", self.nonce.is_some()),
            ("--gas", self.gas.is_some()),
            ("--max-fee", self.max_fee.is_some()),
            ("--priority-fee", self.priority_fee.is_some()),
            ("--fee-currency", self.fee_currency.is_some()),
            ("--access-list", self.access_list.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// The transaction these flags describe, every problem named.
    fn to_tx(&self, chain: &ChainSpec) -> Result<OfflineTx, CliError> {
        let missing: Vec<&str> = [
            ("--value", self.value.is_none()),
            ("--data", self.data.is_none()),
            ("--nonce", self.nonce.is_none()),
            ("--gas", self.gas.is_none()),
            ("--max-fee", self.max_fee.is_none()),
            ("--priority-fee", self.priority_fee.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        let (
            Some(value),
            Some(data),
            Some(nonce),
            Some(gas),
            Some(max_fee),
            Some(priority_fee),
            true,
        ) = (
            &self.value,
            &self.data,
            self.nonce,
            self.gas,
            &self.max_fee,
            &self.priority_fee,
            missing.is_empty(),
        )
        else {
            return Err(format!(
                "tx sign on EVM chain {:?} needs {} (see `sluice tx sign --help`)",
                chain.name,
                missing.join(", ")
            )
            .into());
        };
        let fee_currency = match &self.fee_currency {
            None => None,
            Some(v) => Some(
                chain
                    .fee_currency(v)
                    .map_err(|e| format!("--fee-currency: {e}"))?,
            ),
        };
        Ok(OfflineTx {
            to: self.to.as_deref().map(parse_address).transpose()?,
            value: parse_u256("--value", value)?,
            data: parse_hex("--data", data)?,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: parse_u128("--max-fee", max_fee)?,
            max_priority_fee_per_gas: parse_u128("--priority-fee", priority_fee)?,
            access_list: match &self.access_list {
                None => AccessList::default(),
                Some(json) => serde_json::from_str(json)
                    .map_err(|e| format!("--access-list: not an access list ({e}); expected [{{\"address\":\"0x…\",\"storageKeys\":[\"0x…\"]}}]"))?,
            },
            fee_currency,
        })
    }
}

#[derive(Serialize)]
struct SignedOut {
    from: String,
    raw: String,
    hash: String,
}

pub async fn run(command: TxCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        TxCommand::Sign(a) => sign(a, ctx).await,
    }
}

async fn sign(a: SignArgs, ctx: &Context) -> Result<(), CliError> {
    let chain = ctx.chain(&a.chain)?;
    // Every flag is checked before the wallet is unlocked: a mistake never costs a password.
    let tx = match chain.family {
        ChainFamily::Evm => a.evm.to_tx(chain)?,
        ChainFamily::Cosmos => {
            let given = a.evm.given();
            return Err(if given.is_empty() {
                format!(
                    "chain {:?} is a Cosmos chain: the Cosmos form of tx sign is not available in this build",
                    chain.name
                )
            } else {
                format!(
                    "{} {} of the EVM form; chain {:?} is a Cosmos chain",
                    given.join(", "),
                    if given.len() == 1 { "is a flag" } else { "are flags" },
                    chain.name
                )
            }
            .into());
        }
    };
    let store = WalletStore::new(&ctx.home);
    let wallet = store.unlock(
        &a.wallet,
        &super::wallet::password("Wallet password: ", false)?,
    )?;
    let signer = wallet.account(chain, a.index)?.key.evm_signer();
    let signed = sign_offline(chain, tx, signer).await?;
    let out = SignedOut {
        from: signed.from.to_checksum(None),
        raw: signed.raw.to_string(),
        hash: signed.hash.to_string(),
    };
    if a.json {
        return print_json(&out);
    }
    println!("from {}\nhash {}\nraw  {}", out.from, out.hash, out.raw);
    Ok(())
}

fn parse_address(s: &str) -> Result<Address, CliError> {
    if !s.starts_with("0x") || s.len() != 42 {
        return Err(format!("--to: {s:?} is not an address (0x and 40 hex digits)").into());
    }
    let mixed = s[2..].chars().any(|c| c.is_ascii_lowercase())
        && s[2..].chars().any(|c| c.is_ascii_uppercase());
    let parsed = if mixed {
        Address::parse_checksummed(s, None)
            .map_err(|_| format!("--to: {s:?} fails its EIP-55 checksum"))?
    } else {
        s.parse()
            .map_err(|e| format!("--to: {s:?} is not an address: {e}"))?
    };
    Ok(parsed)
}

fn parse_hex(flag: &str, s: &str) -> Result<Bytes, CliError> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("{flag}: {s:?} must start with 0x"))?;
    let bytes = alloy::hex::decode(digits).map_err(|e| format!("{flag}: {s:?} is not hex: {e}"))?;
    Ok(Bytes::from(bytes))
}

fn parse_u256(flag: &str, s: &str) -> Result<U256, CliError> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{flag}: {s:?} is not a whole number of wei (decimal digits)").into());
    }
    U256::from_str_radix(s, 10)
        .map_err(|e| format!("{flag}: {s:?} does not fit 256 bits: {e}").into())
}

fn parse_u128(flag: &str, s: &str) -> Result<u128, CliError> {
    let v = parse_u256(flag, s)?;
    u128::try_from(v).map_err(|_| format!("{flag}: {s} does not fit 128 bits").into())
}
