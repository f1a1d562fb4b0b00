//! The ante handler of the local chain ([`LocalChain::check`]): decoding (with the app's module
//! messages), extension options, the app's transaction rules, timeout height, signer, account,
//! sequence, signature over the node's chain id and account number, minimum gas prices (any one
//! of them met), Terra Classic's tax, the fee balance. Codes and logs are the SDK's.

use sluice::chain::cosmos::fees::{add_coins, classic_tax};
use sluice::chain::cosmos::tx::sign_bytes_of;
use sluice::wallet::keys::cosmos_address;
use sluice::wallet::verify_cosmos_signature;

use super::super::modules::{NodeTx, TxRules, decode_node_tx};
use super::{ExecError, LocalChain, coins_str};

impl LocalChain {
    pub(super) fn gas_of(tx: &NodeTx) -> u64 {
        60_000 + 20_000 * tx.msgs.len() as u64 + 10 * tx.tx.raw.body_bytes.len() as u64
    }

    /// The ante handler's checks; the signature only when `verify_sig`.
    pub(super) fn check(
        &self,
        tx_bytes: &[u8],
        verify_sig: bool,
    ) -> Result<(NodeTx, String, u64, TxRules), ExecError> {
        let node_tx = decode_node_tx(tx_bytes, self.modules.as_ref())?;
        if let Some(opt) = node_tx.extension_options.first() {
            return Err(ExecError::sdk(
                31,
                format!(
                    "rejecting tx with unsupported extension option: {}: unknown extension options",
                    opt.type_url
                ),
            ));
        }
        for opt in &node_tx.non_critical_extension_options {
            self.modules.check_extension(opt)?;
        }
        if node_tx.msgs.is_empty() {
            return Err(ExecError::sdk(18, "msgs cannot be empty: invalid request"));
        }
        let rules = self
            .modules
            .tx_rules(&node_tx.msgs, node_tx.tx.timeout_height)?;
        let tx = &node_tx.tx;
        if tx.timeout_height > 0 && self.height >= tx.timeout_height {
            return Err(ExecError::sdk(
                30,
                format!(
                    "block height: {}, timeout height: {}: tx timeout height",
                    self.height, tx.timeout_height
                ),
            ));
        }
        let pk: [u8; 33] = tx.pubkey.as_slice().try_into().map_err(|_| {
            ExecError::sdk(8, "invalid secp256k1 public key length: invalid pubkey")
        })?;
        let signer = cosmos_address(&pk, &self.cfg.hrp)
            .map_err(|e| ExecError::sdk(8, format!("{e}: invalid pubkey")))?;
        if let Some(m) = node_tx.msgs.iter().find(|m| m.signer() != signer) {
            return Err(ExecError::sdk(
                4,
                format!(
                    "pubkey does not match signer address {}: unauthorized",
                    m.signer()
                ),
            ));
        }
        let acc = self.accounts.get(&signer).ok_or_else(|| {
            ExecError::sdk(
                9,
                format!("account {signer} does not exist: unknown address"),
            )
        })?;
        if rules.sequence && tx.sequence != acc.sequence {
            return Err(ExecError::sdk(
                32,
                format!(
                    "account sequence mismatch, expected {}, got {}: incorrect account sequence",
                    acc.sequence, tx.sequence
                ),
            ));
        }
        if verify_sig {
            let bytes = sign_bytes_of(tx, &self.cfg.chain_id, acc.number)
                .map_err(|e| ExecError::sdk(2, e.to_string()))?;
            if !verify_cosmos_signature(&tx.pubkey, &bytes, &tx.signature) {
                return Err(ExecError::sdk(
                    4,
                    format!(
                        "signature verification failed; please verify account number ({}) and chain-id ({}): unauthorized",
                        acc.number, self.cfg.chain_id
                    ),
                ));
            }
        }
        if verify_sig && rules.fees {
            let mut required = vec![
                self.cfg
                    .min_gas_price
                    .fee(tx.gas_limit)
                    .map_err(|e| ExecError::sdk(13, e.to_string()))?,
            ];
            if let Some(rate) = self.cfg.tax_rate {
                let tax =
                    classic_tax(&tx.msgs, rate).map_err(|e| ExecError::sdk(13, e.to_string()))?;
                required =
                    add_coins(&required, &tax).map_err(|e| ExecError::sdk(13, e.to_string()))?;
            }
            let paid = |denom: &str| {
                tx.fee
                    .iter()
                    .find(|c| c.denom == denom)
                    .map_or(0, |c| c.amount)
            };
            let alt_met = self.alt_gas_prices.iter().any(|p| {
                p.fee(tx.gas_limit)
                    .is_ok_and(|need| paid(&need.denom) >= need.amount)
            });
            for r in required.iter().filter(|_| !alt_met) {
                if paid(&r.denom) < r.amount {
                    return Err(ExecError::sdk(
                        13,
                        format!(
                            "insufficient fees; got: {} required: {}: insufficient fee",
                            coins_str(&tx.fee),
                            coins_str(&required)
                        ),
                    ));
                }
            }
            for c in &tx.fee {
                if self.balance(&signer, &c.denom) < c.amount {
                    return Err(ExecError::sdk(
                        5,
                        format!(
                            "{} is smaller than {c}: insufficient funds",
                            self.balance(&signer, &c.denom)
                        ),
                    ));
                }
            }
        }
        let gas = Self::gas_of(&node_tx);
        Ok((node_tx, signer, gas, rules))
    }
}
