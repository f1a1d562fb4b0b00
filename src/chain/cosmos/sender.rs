//! Sending a transaction and following it into a block: the account's number and sequence from
//! the node, gas by simulation times a margin, the fee from the gas price (plus Terra Classic's
//! burn tax), a timeout height a few blocks ahead, one sync broadcast, then polling by hash until
//! the transaction is in a block or the chain has passed its timeout height.
//!
//! Never two transactions with one sequence: a transaction is signed again (once, with the
//! sequence re-read from the node) only when the node refused it in CheckTx with a sequence
//! mismatch, i.e. it is not in the mempool. A broadcast without an answer (timeout, error page)
//! is never sent again: it is looked up by hash until found or expired.

use std::time::Duration;

use rust_decimal::Decimal;

use super::CosmosError;
use super::coin::Coin;
use super::fees::{GasPrice, add_coins, classic_tax, default_gas_price, gas_limit};
use super::lcd::{AccountInfo, Broadcast, Event, LcdClient};
use super::msgs::Msg;
use super::tx::{SignMode, SignedTx, TxParams, sign_tx};
use crate::wallet::CosmosSigner;

/// The SDK's `ErrWrongSequence`.
pub const CODE_WRONG_SEQUENCE: u32 = 32;

#[derive(Debug, Clone)]
pub struct SenderConfig {
    pub gas_price: GasPrice,
    /// Gas limit = simulated gas × this.
    pub gas_margin: Decimal,
    /// Terra Classic: add the burn tax (rate read from the node at each send).
    pub classic_tax: bool,
    pub sign_mode: SignMode,
    /// The transaction's timeout height is the latest height plus this.
    pub timeout_blocks: u64,
    pub poll: Duration,
    /// Tracking gives up after this long if the chain does not pass the timeout height (stalled).
    pub max_wait: Duration,
}

impl SenderConfig {
    /// The defaults of a chain id sluice knows (see [`default_gas_price`]).
    pub fn for_chain(chain_id: &str) -> Result<Self, CosmosError> {
        let gas_price = default_gas_price(chain_id).ok_or_else(|| {
            CosmosError::invalid(format!("no default gas price for chain {chain_id:?}"))
        })?;
        Ok(Self::with_fees(gas_price, chain_id == "columbus-5"))
    }

    /// The chain spec's gas price and burn tax (`gas_price`, `burn_tax`), else the defaults of
    /// its chain id.
    pub fn from_spec(spec: &crate::chain::ChainSpec) -> Result<Self, CosmosError> {
        let chain_id = spec.chain_id.to_string();
        let gas_price = match &spec.gas_price {
            Some(g) => GasPrice::parse(g)?,
            None => default_gas_price(&chain_id).ok_or_else(|| {
                CosmosError::invalid(format!(
                    "chain {}: no gas_price in its spec and no default for {chain_id:?}",
                    spec.name
                ))
            })?,
        };
        Ok(Self::with_fees(gas_price, spec.burn_tax))
    }

    /// The sender's defaults (gas margin 1.3, direct signing, a 20-block timeout, polls every
    /// 500 ms for up to 10 min) with this gas price and burn tax.
    fn with_fees(gas_price: GasPrice, classic_tax: bool) -> Self {
        Self {
            gas_price,
            gas_margin: Decimal::new(13, 1),
            classic_tax,
            sign_mode: SignMode::Direct,
            timeout_blocks: 20,
            poll: Duration::from_millis(500),
            max_wait: Duration::from_secs(600),
        }
    }
}

/// A transaction in a block, successful.
#[derive(Debug, Clone)]
pub struct Included {
    pub txhash: String,
    pub height: u64,
    pub gas_used: u64,
    pub fee: Vec<Coin>,
    pub sequence: u64,
    pub events: Vec<Event>,
    /// Broadcasts made (2 after a sequence mismatch).
    pub broadcasts: u32,
}

/// A signed transaction about to be broadcast: what a journal records first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub txhash: String,
    pub sequence: u64,
    pub timeout_height: u64,
    /// The fee the transaction pays once in a block, whatever its outcome.
    pub fee: Vec<Coin>,
}

/// Called with each signed transaction before it is broadcast; an error stops the broadcast.
pub type BeforeBroadcast<'a> = &'a (dyn Fn(&Signed) -> Result<(), String> + Send + Sync);

/// Sends transactions of one key through one LCD.
#[derive(Debug)]
pub struct CosmosSender {
    lcd: LcdClient,
    chain_id: String,
    address: String,
    signer: CosmosSigner,
    hrp: String,
    cfg: SenderConfig,
}

impl CosmosSender {
    pub fn new(
        lcd: LcdClient,
        chain_id: &str,
        hrp: &str,
        signer: CosmosSigner,
        cfg: SenderConfig,
    ) -> Result<Self, CosmosError> {
        let address = signer
            .address(hrp)
            .map_err(|e| CosmosError::Key(e.to_string()))?;
        Ok(Self {
            lcd,
            chain_id: chain_id.into(),
            address,
            signer,
            hrp: hrp.into(),
            cfg,
        })
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn lcd(&self) -> &LcdClient {
        &self.lcd
    }

    /// Sends `msgs` and waits until they are in a block (see the module doc).
    pub async fn send(&self, msgs: &[Msg], memo: &str) -> Result<Included, CosmosError> {
        self.send_recorded(msgs, memo, &|_| Ok(())).await
    }

    /// As [`CosmosSender::send`], each signed transaction handed to `record` before its
    /// broadcast (both, when a sequence mismatch has it signed again): a transaction `record`
    /// refuses is not sent ([`CosmosError::NotRecorded`]).
    pub async fn send_recorded(
        &self,
        msgs: &[Msg],
        memo: &str,
        record: BeforeBroadcast<'_>,
    ) -> Result<Included, CosmosError> {
        let mut account = self.lcd.account(&self.address).await?;
        let mut resigned = false;
        let mut broadcasts = 0;
        loop {
            let (signed, params) = match self.build(msgs, memo, &account).await {
                Ok(built) => built,
                Err(CosmosError::Simulation(d)) if is_wrong_sequence(&d) && !resigned => {
                    resigned = true;
                    account = self.reread(account, &d).await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            record(&Signed {
                txhash: signed.txhash.clone(),
                sequence: params.sequence,
                timeout_height: params.timeout_height,
                fee: params.fee.clone(),
            })
            .map_err(|detail| CosmosError::NotRecorded {
                txhash: signed.txhash.clone(),
                detail,
            })?;
            broadcasts += 1;
            match self.lcd.broadcast_sync(&signed.tx_bytes).await? {
                Broadcast::Answered(r) if r.code == 0 => {}
                Broadcast::Answered(r) if r.code == CODE_WRONG_SEQUENCE && !resigned => {
                    tracing::info!(txhash = %signed.txhash, "sequence mismatch: {}; signing again", r.raw_log);
                    resigned = true;
                    account = self.reread(account, &r.raw_log).await?;
                    continue;
                }
                Broadcast::Answered(r) => {
                    return Err(CosmosError::Refused {
                        txhash: signed.txhash,
                        code: r.code,
                        codespace: r.codespace,
                        log: r.raw_log,
                    });
                }
                Broadcast::Unknown(why) => {
                    tracing::warn!(txhash = %signed.txhash, "broadcast unanswered ({why}); looking it up by hash");
                }
            }
            let mut inc = self.track(&signed.txhash, params.timeout_height).await?;
            inc.fee = params.fee;
            inc.sequence = params.sequence;
            inc.broadcasts = broadcasts;
            return Ok(inc);
        }
    }

    /// `msgs` built and signed at `account`'s number and sequence exactly as they are sent: gas
    /// by simulation with the margin, the fee at the gas price (Terra Classic's tax added), a
    /// timeout height. Nothing is broadcast.
    async fn build(
        &self,
        msgs: &[Msg],
        memo: &str,
        account: &AccountInfo,
    ) -> Result<(SignedTx, TxParams), CosmosError> {
        let mut params = TxParams {
            chain_id: self.chain_id.clone(),
            account_number: account.account_number,
            sequence: account.sequence,
            fee: vec![],
            gas_limit: 0,
            memo: memo.into(),
            timeout_height: 0,
        };
        let probe = sign_tx(&self.signer, &self.hrp, msgs, &params, self.cfg.sign_mode)?;
        let gas_used = self.lcd.simulate(&probe.tx_bytes).await?;
        params.gas_limit = gas_limit(gas_used, self.cfg.gas_margin)?;
        params.fee = vec![self.cfg.gas_price.fee(params.gas_limit)?];
        if self.cfg.classic_tax {
            let rate = self.lcd.tax_rate().await?;
            params.fee = add_coins(&params.fee, &classic_tax(msgs, rate)?)?;
        }
        params.timeout_height = self.lcd.latest_height().await? + self.cfg.timeout_blocks;
        let signed = sign_tx(&self.signer, &self.hrp, msgs, &params, self.cfg.sign_mode)?;
        Ok((signed, params))
    }

    /// `msgs` built and signed as [`CosmosSender::send`] would send them now (the account's
    /// current sequence read from the node), and not broadcast: `sluice order place --dry-run`.
    pub async fn sign_only(
        &self,
        msgs: &[Msg],
        memo: &str,
    ) -> Result<(SignedTx, TxParams), CosmosError> {
        let account = self.lcd.account(&self.address).await?;
        self.build(msgs, memo, &account).await
    }

    /// Polls the transaction until it is in a block, or the chain is past `timeout_height`.
    pub async fn track(&self, txhash: &str, timeout_height: u64) -> Result<Included, CosmosError> {
        let started = std::time::Instant::now();
        loop {
            let height = self.lcd.latest_height().await?;
            if let Some(r) = self.lcd.tx(txhash).await? {
                if r.code != 0 {
                    return Err(CosmosError::Failed {
                        txhash: txhash.into(),
                        height: r.height,
                        code: r.code,
                        codespace: r.codespace,
                        log: r.raw_log,
                    });
                }
                return Ok(Included {
                    txhash: txhash.into(),
                    height: r.height,
                    gas_used: r.gas_used,
                    fee: vec![],
                    sequence: 0,
                    events: r.events,
                    broadcasts: 0,
                });
            }
            if timeout_height > 0 && height > timeout_height {
                return Err(CosmosError::Expired {
                    txhash: txhash.into(),
                    timeout_height,
                });
            }
            if started.elapsed() > self.cfg.max_wait {
                return Err(CosmosError::Unconfirmed {
                    txhash: txhash.into(),
                    waited_secs: started.elapsed().as_secs(),
                    timeout_height,
                });
            }
            tokio::time::sleep(self.cfg.poll).await;
        }
    }

    /// The account re-read after a mismatch; the sequence the node said it expects, if higher
    /// (the node's check state runs ahead of the committed account).
    async fn reread(&self, old: AccountInfo, log: &str) -> Result<AccountInfo, CosmosError> {
        let mut acc = self.lcd.account(&self.address).await?;
        if let Some(expected) = expected_sequence(log) {
            acc.sequence = acc.sequence.max(expected);
        }
        if acc.sequence == old.sequence {
            return Err(CosmosError::invalid(format!(
                "sequence mismatch, but the node still reports sequence {} ({log})",
                old.sequence
            )));
        }
        Ok(acc)
    }
}

fn is_wrong_sequence(log: &str) -> bool {
    log.contains("account sequence mismatch") || log.contains("incorrect account sequence")
}

/// `account sequence mismatch, expected 5, got 4: …` → 5.
pub fn expected_sequence(log: &str) -> Option<u64> {
    let rest = log.split("expected ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_sequence_from_the_sdk_log() {
        assert_eq!(
            expected_sequence(
                "account sequence mismatch, expected 5, got 4: incorrect account sequence"
            ),
            Some(5)
        );
        assert_eq!(expected_sequence("out of gas"), None);
        assert!(is_wrong_sequence(
            "account sequence mismatch, expected 5, got 4"
        ));
    }
}
