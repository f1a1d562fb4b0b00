//! The background task that follows one sent transaction until it is final: polls for its receipt,
//! re-broadcasts it when the node drops it, replaces it when it is stuck or cancelled, notices a
//! reorg, and appends everything to the transaction's report.

use super::*;

pub(super) struct Attempt {
    pub(super) hash: B256,
    pub(super) raw: Bytes,
    pub(super) fees: Fees,
    pub(super) cancel: bool,
}

pub(super) struct Inclusion {
    pub(super) hash: B256,
    pub(super) block_number: u64,
    pub(super) block_hash: B256,
}

/// The background task of one transaction.
pub(super) struct Follow {
    pub(super) inner: Arc<Inner>,
    pub(super) nonce: u64,
    pub(super) request: TransactionRequest,
    pub(super) attempts: Vec<Attempt>,
    pub(super) report: watch::Sender<TxReport>,
    pub(super) last_broadcast: Instant,
    pub(super) misses: u32,
    pub(super) consumed_polls: u32,
    pub(super) replacements: u32,
    pub(super) included: Option<Inclusion>,
}

pub(super) enum Step {
    Continue,
    Done,
}

impl Follow {
    pub(super) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let poll = self.inner.config.poll_interval;
        let mut commands_open = true;
        let mut errors = 0u32;
        loop {
            tokio::select! {
                cmd = commands.recv(), if commands_open => match cmd {
                    Some(Command::SpeedUp(reply)) => {
                        let _ = reply.send(self.replace(false).await);
                        continue;
                    }
                    Some(Command::Cancel(reply)) => {
                        let _ = reply.send(self.replace(true).await);
                        continue;
                    }
                    None => commands_open = false,
                },
                _ = tokio::time::sleep(poll) => {}
            }
            match self.step().await {
                Ok(Step::Continue) => errors = 0,
                Ok(Step::Done) => break,
                Err(e) if e.is_retryable() && errors < 50 => {
                    errors += 1;
                    tracing::warn!(nonce = self.nonce, error = %e, "tracker poll failed; will retry");
                }
                Err(e) => {
                    self.fail(e.to_string());
                    break;
                }
            }
        }
        self.inner.nonces.settle(self.nonce);
    }

    fn update(&self, f: impl FnOnce(&mut TxReport)) {
        self.report.send_modify(f);
    }

    fn event(&self, e: TxEvent) {
        tracing::debug!(nonce = self.nonce, event = ?e, "transaction event");
        self.update(|r| r.events.push(e));
    }

    fn fail(&self, error: String) {
        tracing::warn!(nonce = self.nonce, %error, "transaction tracking failed");
        self.update(|r| r.phase = TxPhase::Failed { error });
    }

    fn current(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// One poll, in one JSON-RPC batch: the head, and a receipt for every attempt.
    async fn poll_receipts(&self) -> Result<(u64, Option<TransactionReceipt>), EvmError> {
        let client = &self.inner.client;
        let rpc = |e: TransportError| client.rpc_error("batch(eth_blockNumber, receipts)", e);
        let mut batch = BatchRequest::new(client.provider().client());
        let head = batch
            .add_call::<_, U64>("eth_blockNumber", &NoParams::default())
            .map_err(rpc)?;
        let mut waiters = Vec::new();
        for a in self.attempts.iter().rev() {
            waiters.push(
                batch
                    .add_call::<_, Option<TransactionReceipt>>(
                        "eth_getTransactionReceipt",
                        &(a.hash,),
                    )
                    .map_err(rpc)?,
            );
        }
        batch.send().await.map_err(rpc)?;
        let head = head.await.map_err(rpc)?.to::<u64>();
        let mut found = None;
        for w in waiters {
            if let Some(r) = w.await.map_err(rpc)?
                && r.block_hash.is_some()
                && found.is_none()
            {
                found = Some(r);
            }
        }
        Ok((head, found))
    }

    async fn step(&mut self) -> Result<Step, EvmError> {
        let (head, receipt) = self.poll_receipts().await?;
        match receipt {
            Some(r) => self.on_receipt(head, r).await,
            None => {
                if let Some(inc) = self.included.take() {
                    self.event(TxEvent::RemovedByReorg {
                        hash: inc.hash,
                        block_number: inc.block_number,
                        block_hash: inc.block_hash,
                    });
                    self.update(|r| {
                        r.phase = TxPhase::Pending;
                        r.outcome = None;
                    });
                    self.last_broadcast = Instant::now();
                }
                self.on_pending().await
            }
        }
    }

    async fn on_receipt(&mut self, head: u64, r: TransactionReceipt) -> Result<Step, EvmError> {
        let bad = |p: &str| EvmError::BadResponse {
            what: format!("receipt of {}", r.transaction_hash),
            problem: p.into(),
        };
        let block_number = r.block_number.ok_or_else(|| bad("no block number"))?;
        let block_hash = r.block_hash.ok_or_else(|| bad("no block hash"))?;
        let same = self
            .included
            .as_ref()
            .is_some_and(|i| i.hash == r.transaction_hash && i.block_hash == block_hash);
        if !same {
            if let Some(old) = self.included.take() {
                self.event(TxEvent::RemovedByReorg {
                    hash: old.hash,
                    block_number: old.block_number,
                    block_hash: old.block_hash,
                });
            }
            let outcome = self.outcome(&r, block_number, block_hash).await?;
            self.event(TxEvent::Included {
                hash: r.transaction_hash,
                block_number,
                success: outcome.success,
            });
            self.included = Some(Inclusion {
                hash: r.transaction_hash,
                block_number,
                block_hash,
            });
            self.update(|rep| {
                rep.hash = r.transaction_hash;
                rep.outcome = Some(outcome);
            });
        }
        let confirmations = head.saturating_sub(block_number) + 1;
        if confirmations >= self.inner.config.confirmations {
            self.event(TxEvent::Final {
                hash: r.transaction_hash,
                block_number,
            });
            self.update(|rep| rep.phase = TxPhase::Final);
            return Ok(Step::Done);
        }
        self.update(|rep| rep.phase = TxPhase::Included { confirmations });
        Ok(Step::Continue)
    }

    async fn outcome(
        &self,
        r: &TransactionReceipt,
        block_number: u64,
        block_hash: B256,
    ) -> Result<TxOutcome, EvmError> {
        let success = r.status();
        let attempt = self.attempts.iter().find(|a| a.hash == r.transaction_hash);
        let cancelled = attempt.is_some_and(|a| a.cancel);
        let revert = if success {
            None
        } else {
            Some(self.revert_reason(block_number, cancelled).await)
        };
        let cost = cost_wei(r.gas_used, r.effective_gas_price);
        Ok(TxOutcome {
            hash: r.transaction_hash,
            nonce: self.nonce,
            block_number,
            block_hash,
            success,
            gas_used: r.gas_used,
            effective_gas_price: r.effective_gas_price,
            cost_wei: cost,
            cost_native: wei_to_native(cost, self.inner.client.spec().native.decimals)?,
            revert,
            replaced: self
                .attempts
                .first()
                .is_some_and(|a| a.hash != r.transaction_hash),
            cancelled,
        })
    }

    /// Replays the call on the parent block to learn why it reverted.
    async fn revert_reason(&self, block_number: u64, cancelled: bool) -> RevertReason {
        if cancelled {
            return RevertReason::Unknown {
                message: "the cancel transfer reverted".into(),
            };
        }
        let mut call = self.request.clone();
        call.nonce = None;
        call.gas_price = None;
        call.max_fee_per_gas = None;
        call.max_priority_fee_per_gas = None;
        let at = BlockId::number(block_number.saturating_sub(1));
        match self.inner.client.provider().call(call).block(at).await {
            Ok(_) => RevertReason::Unknown {
                message: "reverted on chain, but the call succeeds on the parent block".into(),
            },
            Err(e) => RevertReason::from_rpc_error(&e).unwrap_or(RevertReason::Unknown {
                message: format!("replay failed: {e}"),
            }),
        }
    }

    async fn on_pending(&mut self) -> Result<Step, EvmError> {
        let Some(current) = self.current() else {
            return Ok(Step::Done);
        };
        let hash = current.hash;
        let client = &self.inner.client;
        let known = client
            .provider()
            .get_transaction_by_hash(hash)
            .await
            .map_err(|e| client.rpc_error("eth_getTransactionByHash", e))?
            .is_some();
        if known {
            self.misses = 0;
            self.consumed_polls = 0;
        } else {
            self.misses += 1;
            if self.misses >= self.inner.config.drop_after_misses {
                let mined_count = client.latest_nonce(self.inner.account).await?;
                if mined_count > self.nonce {
                    // Our nonce is in a block, but none of our hashes is: give receipts a few polls
                    // (a node may lag), then report it.
                    self.consumed_polls += 1;
                    if self.consumed_polls >= 5 {
                        self.fail(
                            EvmError::NonceConsumed {
                                from: self.inner.account,
                                nonce: self.nonce,
                            }
                            .to_string(),
                        );
                        return Ok(Step::Done);
                    }
                    return Ok(Step::Continue);
                }
                self.event(TxEvent::Dropped { hash });
                self.rebroadcast().await?;
                return Ok(Step::Continue);
            }
        }
        let cfg = self.inner.config;
        if self.last_broadcast.elapsed() >= cfg.stuck_after
            && self.replacements < cfg.max_replacements
        {
            self.replacements += 1;
            if let Err(e) = self.replace(false).await {
                self.event(TxEvent::ReplacementSkipped {
                    reason: e.to_string(),
                });
                self.last_broadcast = Instant::now();
            }
        }
        Ok(Step::Continue)
    }

    async fn rebroadcast(&mut self) -> Result<(), EvmError> {
        let Some(current) = self.current() else {
            return Ok(());
        };
        let hash = current.hash;
        match broadcast(&self.inner, &current.raw, self.nonce).await {
            Ok(()) => {}
            // Already back in the pool, or already mined: the next poll sees which.
            Err(EvmError::Rejected { message, .. }) => {
                tracing::debug!(%hash, %message, "re-broadcast refused");
            }
            Err(e) => return Err(e),
        }
        self.misses = 0;
        self.last_broadcast = Instant::now();
        self.event(TxEvent::Rebroadcast { hash });
        Ok(())
    }

    /// Sends a replacement with the same nonce and bumped fees: the same transaction (speed-up) or
    /// a zero-value transfer to oneself (cancel).
    async fn replace(&mut self, cancel: bool) -> Result<B256, EvmError> {
        if self.included.is_some() || !matches!(self.report.borrow().phase, TxPhase::Pending) {
            return Err(EvmError::TrackerStopped {
                hash: self.report.borrow().hash,
                reason: "already mined; nothing to replace".into(),
            });
        }
        let Some(current) = self.current() else {
            return Err(EvmError::TrackerStopped {
                hash: B256::ZERO,
                reason: "nothing was sent".into(),
            });
        };
        let (old, old_fees) = (current.hash, current.fees);
        let client = &self.inner.client;
        let market = market_fees(&self.inner).await.ok();
        let policy = client.options().fees;
        let fees = old_fees.bumped(policy.replacement_bump_percent, market, policy.cap_wei)?;
        let tx = if cancel {
            // Paying in a fee currency costs its intrinsic gas on top of the transfer's.
            let gas = 21_000 + self.inner.fee_currency.map_or(0, |f| f.intrinsic_gas);
            let mut t = TransactionRequest::default()
                .from(self.inner.account)
                .to(self.inner.account)
                .value(U256::ZERO)
                .gas_limit(gas);
            t.chain_id = Some(client.chain_id());
            t.nonce = Some(self.nonce);
            t
        } else {
            self.request.clone()
        };
        let (hash, raw) = sign(&self.inner, &tx, fees).await?;
        self.inner.before_broadcast(hash, self.nonce, &tx, true)?;
        broadcast(&self.inner, &raw, self.nonce).await?;
        self.attempts.push(Attempt {
            hash,
            raw,
            fees,
            cancel,
        });
        self.last_broadcast = Instant::now();
        self.misses = 0;
        self.event(if cancel {
            TxEvent::CancelSent {
                old,
                new: hash,
                fees,
            }
        } else {
            TxEvent::Replaced {
                old,
                new: hash,
                fees,
            }
        });
        self.update(|r| r.hash = hash);
        Ok(hash)
    }
}
