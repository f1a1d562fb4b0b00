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
//!
//! Cosmos form: `sluice tx sign --chain terra|terra_classic --wallet NAME [--index N]
//! --account-number N --sequence S --fee AMOUNTDENOM[,AMOUNTDENOM…]|none --gas N [--memo M]
//! [--timeout-height H] [--sign-mode direct|amino-json] --messages FILE --json`, FILE a JSON array
//! of messages in proto-JSON with their `"@type"` (as `terrad tx … --generate-only` writes them);
//! it prints `{"tx_bytes":"<base64>","txhash":"<HEX>","signer":"terra1…"}`.
//!
//! On dYdX's chain (`--chain dydx|dydx_testnet|dydx_local`, bech32 prefix `dydx`) the same form
//! signs dYdX v4 messages (`/dydxprotocol.clob.MsgPlaceOrder`, `MsgCancelOrder`,
//! `/dydxprotocol.sending.MsgCreateTransfer`, `MsgDepositToSubaccount`,
//! `MsgWithdrawFromSubaccount`, and bank `MsgSend`) as the official v4 client builds the
//! transaction (`SIGN_MODE_DIRECT` only, the non-critical `TxExtension` option included).

use alloy::eips::eip2930::AccessList;
use alloy::primitives::{Address, Bytes, U256};
use clap::Subcommand;
use serde::Serialize;
use sluice::chain::cosmos::tx::sign_tx;
use sluice::chain::cosmos::{Coin, Msg, SignMode, TxParams};
use sluice::chain::evm::{OfflineTx, sign_offline};
use sluice::chain::{ChainFamily, ChainId, ChainSpec};
use sluice::clob::dydx::{self, DydxMsg};

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
    #[command(flatten)]
    cosmos: CosmosFlags,
    /// Print `{"from","raw","hash"}` (Cosmos: `{"tx_bytes","txhash","signer"}`) as JSON.
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
    /// Gas limit (both forms).
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

/// The Cosmos form's flags (`--gas` is shared with the EVM form), checked after the chain is known.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Cosmos chains")]
struct CosmosFlags {
    #[arg(long, value_name = "N")]
    account_number: Option<u64>,
    #[arg(long, value_name = "S")]
    sequence: Option<u64>,
    /// Fee coins, e.g. 4500uluna or 10uluna,5uusd; `none` for no coins (a dYdX order).
    #[arg(long, value_name = "AMOUNTDENOM[,…]")]
    fee: Option<String>,
    #[arg(long, value_name = "M")]
    memo: Option<String>,
    /// The last height the transaction may be included at (0: none).
    #[arg(long, value_name = "H")]
    timeout_height: Option<u64>,
    /// direct (default) or amino-json.
    #[arg(long, value_name = "MODE")]
    sign_mode: Option<String>,
    /// A JSON array of messages in proto-JSON, each with its "@type".
    #[arg(long, value_name = "FILE")]
    messages: Option<std::path::PathBuf>,
}

impl CosmosFlags {
    fn given(&self) -> Vec<&'static str> {
        [
            ("--account-number", self.account_number.is_some()),
            ("--sequence", self.sequence.is_some()),
            ("--fee", self.fee.is_some()),
            ("--memo", self.memo.is_some()),
            ("--timeout-height", self.timeout_height.is_some()),
            ("--sign-mode", self.sign_mode.is_some()),
            ("--messages", self.messages.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// The transaction's parameters, sign mode and messages file (its path and text), every
    /// missing flag named at once.
    fn to_tx(
        &self,
        chain: &ChainSpec,
        gas: Option<u64>,
    ) -> Result<(TxParams, SignMode, MessagesFile), CliError> {
        let missing: Vec<&str> = [
            ("--account-number", self.account_number.is_none()),
            ("--sequence", self.sequence.is_none()),
            ("--fee", self.fee.is_none()),
            ("--gas", gas.is_none()),
            ("--messages", self.messages.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        let (Some(account_number), Some(sequence), Some(fee), Some(gas), Some(file), true) = (
            self.account_number,
            self.sequence,
            &self.fee,
            gas,
            &self.messages,
            missing.is_empty(),
        ) else {
            return Err(format!(
                "tx sign on Cosmos chain {:?} needs {} (see `sluice tx sign --help`)",
                chain.name,
                missing.join(", ")
            )
            .into());
        };
        let fee = match fee.as_str() {
            "none" => vec![],
            list => Coin::parse_list(list).map_err(|e| format!("--fee: {e}"))?,
        };
        let mode = SignMode::parse(self.sign_mode.as_deref().unwrap_or("direct"))
            .map_err(|e| format!("--sign-mode: {e}"))?;
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("--messages: cannot read {}: {e}", file.display()))?;
        let chain_id = match &chain.chain_id {
            ChainId::Cosmos(id) => id.clone(),
            other => {
                return Err(
                    format!("chain {:?} has no Cosmos chain id ({other:?})", chain.name).into(),
                );
            }
        };
        let params = TxParams {
            chain_id,
            account_number,
            sequence,
            fee,
            gas_limit: gas,
            memo: self.memo.clone().unwrap_or_default(),
            timeout_height: self.timeout_height.unwrap_or(0),
        };
        let file = MessagesFile {
            path: file.display().to_string(),
            text,
        };
        Ok((params, mode, file))
    }
}

/// The `--messages` file, read.
struct MessagesFile {
    path: String,
    text: String,
}

impl EvmFlags {
    /// The flags given on the command line, by name (`--gas` is both forms').
    fn given(&self) -> Vec<&'static str> {
        [
            ("--to", self.to.is_some()),
            ("--value", self.value.is_some()),
            ("--data", self.data.is_some()),
            ("--nonce", self.nonce.is_some()),
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
    // The other family's flags given (`--gas` is both forms').
    let (other, family) = match chain.family {
        ChainFamily::Evm => (a.cosmos.given(), ("Cosmos", "an EVM")),
        ChainFamily::Cosmos => (
            a.evm
                .given()
                .into_iter()
                .filter(|f| *f != "--gas")
                .collect(),
            ("EVM", "a Cosmos"),
        ),
    };
    if !other.is_empty() {
        return Err(format!(
            "{} {} of the {} form; chain {:?} is {} chain",
            other.join(", "),
            if other.len() == 1 {
                "is a flag"
            } else {
                "are flags"
            },
            family.0,
            chain.name,
            family.1
        )
        .into());
    }
    if chain.family == ChainFamily::Cosmos {
        return sign_cosmos(&a, chain, ctx);
    }
    let tx = a.evm.to_tx(chain)?;
    let signer = super::wallet::account_key(ctx, &a.wallet, chain, a.index)?.evm_signer();
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

#[derive(Serialize)]
struct CosmosSignedOut {
    tx_bytes: String,
    txhash: String,
    signer: String,
}

fn sign_cosmos(a: &SignArgs, chain: &ChainSpec, ctx: &Context) -> Result<(), CliError> {
    let (params, mode, file) = a.cosmos.to_tx(chain, a.evm.gas)?;
    let hrp = chain
        .bech32_prefix
        .as_deref()
        .ok_or_else(|| format!("chain {:?} has no bech32 prefix", chain.name))?;
    let dydx_chain = hrp == dydx::tx::BECH32_PREFIX;
    let signed = if dydx_chain {
        if mode != SignMode::Direct {
            return Err(format!(
                "--sign-mode: chain {:?} (dYdX) signs in direct mode only, as the v4 clients do",
                chain.name
            )
            .into());
        }
        let msgs = DydxMsg::parse_file(&file.text)
            .map_err(|e| format!("--messages {}: {e}", file.path))?;
        let signer = super::wallet::account_key(ctx, &a.wallet, chain, a.index)?.cosmos_signer();
        (
            dydx::sign_tx(&signer, &msgs, &params, &[])?,
            signer.address(hrp)?,
        )
    } else {
        let msgs =
            Msg::parse_file(&file.text).map_err(|e| format!("--messages {}: {e}", file.path))?;
        let signer = super::wallet::account_key(ctx, &a.wallet, chain, a.index)?.cosmos_signer();
        (
            sign_tx(&signer, hrp, &msgs, &params, mode)?,
            signer.address(hrp)?,
        )
    };
    let (signed, address) = signed;
    let out = CosmosSignedOut {
        tx_bytes: signed.tx_bytes_base64(),
        txhash: signed.txhash,
        signer: address,
    };
    if a.json {
        return print_json(&out);
    }
    println!(
        "signer {}\ntxhash {}\ntx_bytes {}",
        out.signer, out.txhash, out.tx_bytes
    );
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
