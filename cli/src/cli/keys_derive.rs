//! `sluice keys derive --venue dydx_v3|loopring --wallet NAME [--index N] [--network-id N]
//! [--key-nonce N] --json`: the keys a layer-2 venue derives from the wallet's Ethereum key,
//! printed by their public parts only (`{"stark_public_key":"0x…"}` for dYdX v3). The Ethereum
//! account is the wallet's `ethereum` account `--index`; nothing is sent anywhere.

use serde::Serialize;
use sluice::clob::dydx_v3::onboarding::derive_stark_key;

use super::{CliError, Context, print_json};

#[derive(Debug, clap::Args)]
pub struct DeriveArgs {
    /// The venue whose keys are derived: dydx_v3 (the STARK key) or loopring (the L2 EdDSA key).
    #[arg(long)]
    pub venue: String,
    /// Wallet name (see `sluice wallet list`).
    #[arg(long)]
    pub wallet: String,
    /// Account index under the Ethereum key path.
    #[arg(long, default_value_t = 0)]
    pub index: u64,
    /// dYdX v3: the Ethereum network id the key is derived for (1: mainnet, 11155111: Sepolia).
    #[arg(long)]
    pub network_id: Option<u64>,
    /// Loopring: the key nonce (0 for the first key).
    #[arg(long)]
    pub key_nonce: Option<u64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct DydxV3Out {
    stark_public_key: String,
}

pub fn derive(a: DeriveArgs, ctx: &Context) -> Result<(), CliError> {
    // Every flag is checked before the wallet is unlocked: a mistake never costs a password.
    match a.venue.as_str() {
        "dydx_v3" => {
            if a.key_nonce.is_some() {
                return Err("--key-nonce is Loopring's; dydx_v3 takes --network-id".into());
            }
        }
        "loopring" => {
            // The key seed names Loopring v3's mainnet exchange contract (the only one it ran):
            // the key is the one Loopring's web app derived for this account and nonce.
            if a.network_id.is_some() {
                return Err("--network-id is dYdX v3's; loopring takes --key-nonce".into());
            }
            let chain = ctx.chain("ethereum")?;
            let signer = super::wallet::account_key(ctx, &a.wallet, chain, a.index)?.evm_signer();
            let nonce = a.key_nonce.unwrap_or(0);
            let key = sluice::clob::loopring::keys::derive_l2_key(
                &signer,
                sluice::clob::loopring::keys::MAINNET_EXCHANGE,
                nonce,
            )?;
            let (x, y) = key.public_key_hex();
            if a.json {
                return print_json(&serde_json::json!({
                    "eddsa_public_key_x": x,
                    "eddsa_public_key_y": y,
                }));
            }
            println!("Loopring L2 EdDSA public key (key nonce {nonce}): x {x}, y {y}");
            return Ok(());
        }
        other => {
            return Err(format!(
                "keys derive: venue {other:?} derives no keys (dydx_v3 or loopring)"
            )
            .into());
        }
    }
    let network_id = a.network_id.unwrap_or(1);
    let chain = ctx.chain("ethereum")?;
    let signer = super::wallet::account_key(ctx, &a.wallet, chain, a.index)?.evm_signer();
    let key = derive_stark_key(&signer, network_id)?;
    let out = DydxV3Out {
        stark_public_key: key.public_key_hex(),
    };
    if a.json {
        return print_json(&out);
    }
    println!(
        "dYdX v3 STARK public key (network {network_id}): {}",
        out.stark_public_key
    );
    Ok(())
}
