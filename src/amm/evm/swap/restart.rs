//! A mined swap's fill (decoded the same way live and after a restart, under one trade id), and
//! what a restart does with the swaps of an earlier process: each order adopted from the journal's
//! transaction records and the chain (filled, reverted, still pending, or never sent), superseded
//! replacements reported, and pending transactions brought up to date. See the crash-safety note
//! of the parent module.

use super::*;

impl SwapExecutor {
    /// The fill of a mined swap: base and quote amounts from (amount in, amount out), the gas as its
    /// fee, and the trade id `<hash>:<last log index>` (the same whether decoded live or adopted).
    pub(super) fn swap_fill(
        &self,
        id: &ClientOrderId,
        (pair, side, base, quote): (&Pair, Side, &Token, &Token),
        (amount_in, amount_out): (U256, U256),
        hash: B256,
        logs: &[Log],
        gas_native: Decimal,
    ) -> Result<Fill, String> {
        let (base_raw, quote_raw) = match side {
            Side::Sell => (amount_in, amount_out),
            Side::Buy => (amount_out, amount_in),
        };
        let conv = |raw: U256, t: &Token| {
            from_units(raw, t.decimals).map_err(|e| format!("{}: {e}", t.symbol))
        };
        let base_amount = conv(base_raw, base)?;
        let quote_amount = conv(quote_raw, quote)?;
        if base_amount.is_zero() {
            return Err("the swap moved no base token".into());
        }
        let last_index = logs
            .iter()
            .filter_map(|l| l.log_index)
            .max()
            .unwrap_or_default();
        Ok(Fill {
            venue: self.venue.clone(),
            trade_id: format!("{hash}:{last_index}"),
            client_id: Some(id.clone()),
            venue_order_id: Some(hash.to_string()),
            pair: pair.clone(),
            side,
            price: quote_amount / base_amount,
            amount: base_amount,
            // The pool's fee is inside the price; what is paid on top is the gas.
            fee_asset: self.native.clone(),
            fee_amount: gas_native,
            is_maker: false,
            timestamp_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or_default(),
        })
    }

    /// Brings the journal's records of an order's transactions up to date with the chain after its
    /// send failed (best effort: a restart does the same).
    pub(super) async fn settle_unsent_records(&self, id: &ClientOrderId) {
        let Some(journal) = self.journal() else {
            return;
        };
        let Ok(records) = journal.order_txs(id) else {
            return;
        };
        let provider = self.tracker.client().provider();
        let Ok(count) = adoption::mined_count(provider, self.account()).await else {
            return;
        };
        for r in records.iter().filter(|r| r.status == TxState::Pending) {
            match adoption::resolve(provider, r, count, self.native_decimals()).await {
                Ok(c) if c.info.status != TxState::Pending => {
                    if let Err(e) = journal.record_tx(&c.info) {
                        tracing::warn!(order = %id, error = %e, "transaction record not updated");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(order = %id, error = %e, "transaction not checked"),
            }
        }
    }

    /// Reports the attempts a mined replacement superseded (or that the replacement superseded).
    pub(super) fn publish_superseded(
        &self,
        id: &ClientOrderId,
        events: &[TxEvent],
        won: B256,
        nonce: u64,
    ) {
        let mut hashes: Vec<B256> = Vec::new();
        for e in events {
            let h = match e {
                TxEvent::Sent { hash, .. } => *hash,
                TxEvent::Replaced { new, .. } | TxEvent::CancelSent { new, .. } => *new,
                _ => continue,
            };
            if h != won && !hashes.contains(&h) {
                hashes.push(h);
            }
        }
        for hash in hashes {
            self.publish_tx(
                Some(id),
                &TxOutcomeView {
                    hash,
                    nonce,
                    status: TxState::Replaced,
                    gas_used: None,
                    effective_gas_price: None,
                    fee_native: None,
                    block: None,
                },
            );
        }
    }

    /// Reads back an order sent by an earlier process from the journal's records of its
    /// transactions and the chain. `None` when no transaction was ever recorded for it (it was
    /// never broadcast) or no journal is attached. Orders of this process are returned as they are.
    /// `base` and `quote` are the tokens traded (the native asset as its wrapped token, or the
    /// tokens the venue's own fills are expressed in) and `amounts` how a mined transaction's
    /// amounts are read.
    pub async fn adopt(
        &self,
        request: &OrderRequest,
        (base, quote): (&Token, &Token),
        amounts: AdoptedAmounts<'_>,
    ) -> Result<Option<Order>, AmmError> {
        let id = &request.client_id;
        let adopted = lock(&self.adopted).contains(id);
        if let Some(o) = self.order(id)
            && (!adopted || o.state.is_terminal())
        {
            return Ok(Some(o));
        }
        let Some(journal) = self.journal() else {
            return Ok(None);
        };
        let records = journal.order_txs(id).map_err(AmmError::Journal)?;
        if records.is_empty() {
            return Ok(None);
        }
        let provider = self.tracker.client().provider();
        // The account that sent them (the same for every attempt; it may not be this executor's,
        // if the configuration changed between the runs).
        let sender: Address = records
            .first()
            .map(|r| r.from.as_str())
            .unwrap_or_default()
            .parse()
            .map_err(|e| AmmError::Decode {
                what: "journaled transaction sender",
                reason: format!("{e}"),
            })?;
        let count = adoption::mined_count(provider, sender).await?;
        let mut txs: Vec<ChainTx> = Vec::with_capacity(records.len());
        for r in &records {
            let c = adoption::resolve(provider, r, count, self.native_decimals()).await?;
            if c.info != *r {
                journal.record_tx(&c.info).map_err(AmmError::Journal)?;
            }
            txs.push(c);
        }
        let mut order = Order::new(request.clone());
        let mut fill = None;
        if let Some((c, receipt)) = txs.iter().find_map(|c| c.receipt.as_ref().map(|r| (c, r))) {
            let hash = receipt.transaction_hash;
            order.venue_order_id = Some(hash.to_string());
            if receipt.status() {
                if let Some(block) = receipt.block_number {
                    self.pools_changed_at_adopted(block);
                }
                let amounts = match amounts {
                    // Read from the account's ERC-20 transfers; a native ETH leg moves no token to
                    // or from the account and is read from the router's wrapping instead.
                    AdoptedAmounts::Transfers(leg) => {
                        match (base.erc20(), quote.erc20(), receipt.to) {
                            (Some(b), Some(q), Some(router)) => {
                                let tokens = match request.side {
                                    Side::Sell => (b, q),
                                    Side::Buy => (q, b),
                                };
                                let logs = receipt.inner.logs();
                                adoption::swap_amounts(logs, (sender, router), tokens, leg)
                                    .map_err(|e| e.to_string())
                            }
                            (_, _, None) => Err("the transaction names no router".to_string()),
                            _ => Err(format!(
                                "{}: a token without an address (the native asset must be given \
                                 as its wrapped token)",
                                request.pair
                            )),
                        }
                    }
                    // Read by the venue's decoder, from the logs and the mined call, as live.
                    // A node that does not answer is an error (the next call asks again), not a
                    // fill that cannot be read.
                    AdoptedAmounts::Decoded(decode) => match receipt.to {
                        Some(to) => match adoption::tx_input(provider, hash).await? {
                            Some(input) => {
                                decode(receipt.inner.logs(), to, &input).map_err(|e| e.to_string())
                            }
                            None => Err(format!("the node no longer serves {hash}")),
                        },
                        None => Err("the transaction names no contract".to_string()),
                    },
                };
                let logs = receipt.inner.logs().to_vec();
                let gas = c.info.fee_native.unwrap_or_default();
                let made = amounts.and_then(|a| {
                    self.swap_fill(
                        id,
                        (&request.pair, request.side, base, quote),
                        a,
                        hash,
                        &logs,
                        gas,
                    )
                });
                match made {
                    Ok(f) => {
                        order.state = OrderState::Open;
                        order.apply_fill(&f).map_err(|e| AmmError::Decode {
                            what: "adopted swap fill",
                            reason: e.to_string(),
                        })?;
                        fill = Some(f);
                    }
                    // Mined, so not failed; but the fill is not known: never assumed.
                    Err(reason) => {
                        order.state = OrderState::Unknown;
                        order.reason = Some(format!(
                            "swap {hash} was mined, but its fill could not be read: {reason}; see the receipt"
                        ));
                    }
                }
            } else {
                let block = receipt.block_number.unwrap_or_default();
                let why = adoption::revert_reason(provider, hash, block).await;
                order.state = OrderState::Failed;
                order.reason = Some(format!("swap reverted: {why}"));
            }
        } else if let Some(c) = txs.iter().rev().find(|c| c.info.status == TxState::Pending) {
            order.state = OrderState::Open;
            order.venue_order_id = Some(c.info.hash.clone());
        } else {
            let nonce = records.first().map(|r| r.nonce).unwrap_or_default();
            order.state = OrderState::Failed;
            order.reason = Some(if nonce < count {
                format!(
                    "not sent: the node never mined its transaction and nonce {nonce} went to another one"
                )
            } else {
                format!(
                    "not sent: the node does not know its transaction and nonce {nonce} is unused"
                )
            });
        }
        lock(&self.adopted).insert(id.clone());
        if let Some(f) = fill {
            lock(&self.fills).insert(id.clone(), vec![f]);
        }
        lock(&self.orders).insert(id.clone(), order.clone());
        Ok(Some(order))
    }

    /// Brings the journal's pending transactions of this account up to date with the chain;
    /// returns how many are still pending (in the node's pool). Call it before sending anything.
    pub async fn reconcile_pending(&self) -> Result<usize, AmmError> {
        let Some(journal) = self.journal() else {
            return Ok(0);
        };
        let pending = journal
            .pending_txs(self.chain(), &self.account().to_string())
            .map_err(AmmError::Journal)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let provider = self.tracker.client().provider();
        let count = adoption::mined_count(provider, self.account()).await?;
        let mut still = 0;
        for r in &pending {
            let c = adoption::resolve(provider, r, count, self.native_decimals()).await?;
            if c.info.status == TxState::Pending {
                still += 1;
            } else {
                journal.record_tx(&c.info).map_err(AmmError::Journal)?;
            }
        }
        Ok(still)
    }
}
