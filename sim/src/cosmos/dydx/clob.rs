//! The node's dYdX modules ([`DydxModules`], a [`ModuleExecutor`]): the CLOB and the sending
//! module over the shared [`DydxEngine`].
//!
//! - Short-term orders and cancels act when admitted (`CheckTx`, the in-memory book): a placement
//!   is checked against its market (CLOB pair, subticks a multiple of `subticks_per_tick`,
//!   quantums of `step_base_quantums`), `good_til_block` within `[next, next + window]` (`next`
//!   the next block's height, `window` `ShortBlockWindow`), earlier cancels and the same order id
//!   (reprocessed, a replacement with a lower `good_til_block`, fully filled), then matched in the
//!   engine; it expires once block `good_til_block` is made. A cancel removes the order when its
//!   `good_til_block` reaches the order's and bars placing it again until then.
//! - Stateful orders (long-term 64, conditional 32) are checked when admitted
//!   (`good_til_block_time` after the last block's time and within 95 days, not already placed
//!   or cancelled) and placed in the block: long-term ones into the engine, conditional ones
//!   stored untriggered. A stateful cancel needs the order in state and a `good_til_block_time`
//!   at least the order's; it executes in the block. Long-term orders expire with the block time.
//! - Sending: deposits move USDC from the bank into a subaccount's collateral, withdrawals back,
//!   transfers between subaccounts; all in USDC quantums (asset 0, 10⁻⁶ USDC).
//!
//! Block-executed effects are staged per transaction and applied when it commits.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use cosmos_sdk_proto::Any;
use rust_decimal::Decimal;
use sluice::chain::cosmos::Coin;

use super::engine::DydxEngine;
use super::errors::{Clob, insufficient_funds};
use super::msgs::{self, DydxMsg, HANDLED};
use super::proto::{self, FLAG_CONDITIONAL, MsgCancelOrder, OrderId, SubaccountId};
use crate::cosmos::chain::{Balances, ContractEvent, ExecError, transfer};
use crate::cosmos::modules::{BlockInfo, ModuleExecutor, ModuleMsg, NodeTx, TxMsg, TxRules};
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::server::lock;

/// `StatefulOrderTimeWindow`: 95 days.
pub const STATEFUL_ORDER_TIME_WINDOW_SECS: u64 = 95 * 24 * 3600;

/// The bank account holding the USDC behind every subaccount's collateral.
pub const SUBACCOUNTS_MODULE: &str = "subaccounts";

/// The CLOB's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClobParams {
    /// `ShortBlockWindow`.
    pub short_block_window: u32,
    /// The bank denom of USDC (asset 0).
    pub usdc_denom: String,
    /// The chain's bech32 prefix.
    pub hrp: String,
}

#[derive(Debug, Clone)]
struct ShortTermOrder {
    order: proto::Order,
}

#[derive(Debug, Clone)]
struct StatefulOrder {
    order: proto::Order,
}

/// What a block's transaction changes, applied when it commits.
#[derive(Debug, Clone)]
enum Effect {
    Place(OrderId, proto::Order),
    Cancel(OrderId),
    Collateral(SubaccountId, Decimal),
}

#[derive(Debug, Default)]
struct ClobState {
    short_term: BTreeMap<OrderId, ShortTermOrder>,
    /// Short-term cancels by order id: their `good_til_block`.
    short_cancels: BTreeMap<OrderId, u32>,
    /// Stateful orders in state (long-term on the book, conditional untriggered).
    stateful: BTreeMap<OrderId, StatefulOrder>,
    uncommitted_places: BTreeMap<OrderId, proto::Order>,
    uncommitted_cancels: BTreeMap<OrderId, u32>,
    staged: Vec<Effect>,
    height: u64,
}

/// dYdX's CLOB and sending modules behind the local node.
pub struct DydxModules {
    pub engine: Arc<DydxEngine>,
    pub params: ClobParams,
    state: Mutex<ClobState>,
}

fn usdc(quantums: u64) -> Decimal {
    Decimal::from(quantums) / Decimal::from(1_000_000u32)
}

impl DydxModules {
    pub fn new(engine: Arc<DydxEngine>, params: ClobParams) -> Self {
        Self {
            engine,
            params,
            state: Mutex::new(ClobState::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, ClobState> {
        lock(&self.state)
    }

    /// Whether a short-term order is live on the node (placed, not expired or cancelled).
    pub fn short_term_live(&self, id: &OrderId) -> bool {
        self.state().short_term.contains_key(id) && self.engine.is_open(id)
    }

    /// Whether a stateful order is in state.
    pub fn stateful_in_state(&self, id: &OrderId) -> bool {
        self.state().stateful.contains_key(id)
    }

    fn check_market(&self, id: &OrderId, o: &proto::Order) -> Result<(), ExecError> {
        let market = self.engine.markets.get(id.clob_pair_id).ok_or_else(|| {
            Clob::InvalidClob.err(format!("Clob {} is not a valid clob", id.clob_pair_id))
        })?;
        let spt = u64::from(market.subticks_per_tick.max(1));
        if !o.subticks.is_multiple_of(spt) {
            return Err(Clob::InvalidPlaceOrder.err(format!(
                "Order subticks {} must be a multiple of the ClobPair's SubticksPerTick {spt}",
                o.subticks
            )));
        }
        let step = market.step_base_quantums.max(1);
        if !o.quantums.is_multiple_of(step) {
            return Err(Clob::InvalidPlaceOrder.err(format!(
                "Order Quantums {} must be a multiple of the ClobPair's StepBaseQuantums {step}",
                o.quantums
            )));
        }
        if id.order_flags == FLAG_CONDITIONAL
            && !o.conditional_order_trigger_subticks.is_multiple_of(spt)
        {
            return Err(Clob::InvalidPlaceOrder.err(format!(
                "Conditional order trigger subticks {} must be a multiple of the ClobPair's SubticksPerTick {spt}",
                o.conditional_order_trigger_subticks
            )));
        }
        Ok(())
    }

    /// `validateGoodTilBlock` with `next` the next block's height.
    fn check_good_til_block(&self, gtb: u32, next: u64) -> Result<(), ExecError> {
        let gtb = u64::from(gtb);
        if gtb < next {
            return Err(Clob::HeightExceedsGoodTilBlock.err(format!(
                "GoodTilBlock {gtb} is less than the current blockHeight {next}"
            )));
        }
        let window = u64::from(self.params.short_block_window);
        if gtb > next + window {
            return Err(Clob::GoodTilBlockExceedsShortBlockWindow.err(format!(
                "The GoodTilBlock {gtb} exceeds the current blockHeight {next} plus ShortBlockWindow {window}"
            )));
        }
        Ok(())
    }

    fn check_good_til_block_time(&self, gtbt: u32, last: &BlockInfo) -> Result<(), ExecError> {
        let gtbt = u64::from(gtbt);
        if gtbt <= last.time {
            return Err(Clob::TimeExceedsGoodTilBlockTime.err(format!(
                "GoodTilBlockTime {gtbt} is less than the previous blockTime {}",
                last.time
            )));
        }
        let end = last.time + STATEFUL_ORDER_TIME_WINDOW_SECS;
        if gtbt > end {
            return Err(Clob::GoodTilBlockTimeExceedsStatefulOrderTimeWindow.err(format!(
                "GoodTilBlockTime {gtbt} exceeds the previous blockTime plus StatefulOrderTimeWindow {end}"
            )));
        }
        Ok(())
    }

    fn place_short_term(
        &self,
        st: &mut ClobState,
        id: &OrderId,
        o: &proto::Order,
        timeout_height: u64,
        last: &BlockInfo,
    ) -> Result<(), ExecError> {
        let gtb = o.good_til_block();
        if timeout_height > 0 && timeout_height < u64::from(gtb) {
            return Err(msgs_invalid_request(
                "timeout height (if non-zero) may not be less than `goodTilBlock` for a short-term place order",
            ));
        }
        self.check_market(id, o)?;
        self.check_good_til_block(gtb, last.height + 1)?;
        if let Some(cancel_gtb) = st.short_cancels.get(id)
            && *cancel_gtb >= gtb
        {
            return Err(Clob::OrderIsCanceled
                .err(format!("Order {id:?} is canceled until block {cancel_gtb}")));
        }
        if let Some(existing) = st.short_term.get(id) {
            if existing.order == *o {
                return Err(Clob::OrderReprocessed.err(format!("order {id:?}")));
            }
            if self.engine.fully_filled(id) {
                return Err(Clob::OrderFullyFilled.err(format!("order {id:?}")));
            }
            if existing.order.good_til_block() > gtb {
                return Err(Clob::InvalidReplacement.err(format!(
                    "the replacement's goodTilBlock {gtb} is lower than the existing order's {}",
                    existing.order.good_til_block()
                )));
            }
            self.engine.remove(id);
        }
        self.engine.place(id, o, last.height).map_err(|e| match e {
            super::engine::DydxEngineError::Engine(EngineError::WouldTake) => {
                Clob::PostOnlyWouldCrossMakerOrder.err(format!("order {id:?}"))
            }
            other => Clob::InvalidPlaceOrder.err(other.to_string()),
        })?;
        st.short_term
            .insert(id.clone(), ShortTermOrder { order: o.clone() });
        Ok(())
    }

    fn cancel_short_term(
        &self,
        st: &mut ClobState,
        m: &MsgCancelOrder,
        last: &BlockInfo,
    ) -> Result<(), ExecError> {
        let id = m.order_id.clone().unwrap_or_default();
        let gtb = m.good_til_block();
        self.check_good_til_block(gtb, last.height + 1)?;
        if let Some(existing) = st.short_cancels.get(&id)
            && *existing >= gtb
        {
            return Err(Clob::MemClobCancelAlreadyExists.err(format!(
                "existing cancel goodTilBlock {existing}, new {gtb}"
            )));
        }
        st.short_cancels.insert(id.clone(), gtb);
        let covered = st
            .short_term
            .get(&id)
            .is_some_and(|o| o.order.good_til_block() <= gtb);
        if covered {
            st.short_term.remove(&id);
            self.engine.remove(&id);
        }
        Ok(())
    }

    /// The checks a stateful placement passes when admitted.
    fn admit_stateful(
        &self,
        st: &ClobState,
        id: &OrderId,
        o: &proto::Order,
        last: &BlockInfo,
    ) -> Result<(), ExecError> {
        self.check_market(id, o)?;
        self.check_good_til_block_time(o.good_til_block_time(), last)?;
        if st.uncommitted_cancels.contains_key(id) {
            return Err(Clob::StatefulOrderPreviouslyCancelled.err(
                "An uncommitted stateful order cancellation with this OrderId already exists",
            ));
        }
        if st.uncommitted_places.contains_key(id) || st.stateful.contains_key(id) {
            return Err(Clob::StatefulOrderAlreadyExists.err(
                "A stateful order with this OrderId already exists and stateful order replacement is not supported",
            ));
        }
        Ok(())
    }

    fn admit_stateful_cancel(
        &self,
        st: &ClobState,
        m: &MsgCancelOrder,
        last: &BlockInfo,
    ) -> Result<(), ExecError> {
        let id = m.order_id.clone().unwrap_or_default();
        let gtbt = m.good_til_block_time();
        self.check_good_til_block_time(gtbt, last)?;
        if st.uncommitted_cancels.contains_key(&id) {
            return Err(Clob::StatefulOrderCancellationAlreadyExists.err(
                "An uncommitted stateful order cancellation with this OrderId already exists",
            ));
        }
        let existing = st
            .stateful
            .get(&id)
            .map(|s| &s.order)
            .or_else(|| st.uncommitted_places.get(&id))
            .ok_or_else(|| {
                Clob::StatefulOrderDoesNotExist.err(format!(
                    "Order Id to cancel does not exist. OrderId : {id:?}"
                ))
            })?;
        if gtbt < existing.good_til_block_time() {
            return Err(Clob::InvalidStatefulOrderCancellation
                .err("cancellation goodTilBlockTime less than stateful order goodTilBlockTime"));
        }
        Ok(())
    }

    fn apply(&self, st: &mut ClobState, effect: Effect) {
        match effect {
            Effect::Place(id, order) => {
                if id.order_flags != FLAG_CONDITIONAL
                    && let Err(e) = self.engine.place(&id, &order, st.height)
                {
                    tracing::warn!(?id, error = %e, "stateful order not placed in the engine");
                }
                st.stateful.insert(id, StatefulOrder { order });
            }
            Effect::Cancel(id) => {
                st.stateful.remove(&id);
                self.engine.remove(&id);
            }
            Effect::Collateral(sub, amount) => self.engine.add_collateral(&sub, amount),
        }
    }

    /// Collateral after the effects staged so far in this transaction.
    fn staged_collateral(&self, st: &ClobState, sub: &SubaccountId) -> Decimal {
        let staged: Decimal = st
            .staged
            .iter()
            .filter_map(|e| match e {
                Effect::Collateral(s, a) if s == sub => Some(*a),
                _ => None,
            })
            .sum();
        self.engine.collateral(sub) + staged
    }

    fn deliver_msg(
        &self,
        st: &mut ClobState,
        bank: &mut Balances,
        msg: DydxMsg,
        simulate: bool,
    ) -> Result<Vec<ContractEvent>, ExecError> {
        let denom = self.params.usdc_denom.clone();
        match msg {
            // short-term messages act when admitted and never reach a block
            DydxMsg::Place { id, .. }
            | DydxMsg::Cancel(MsgCancelOrder {
                order_id: Some(id), ..
            }) if id.is_short_term() => Ok(vec![]),
            DydxMsg::Place { id, order } => {
                if st.stateful.contains_key(&id)
                    || st
                        .staged
                        .iter()
                        .any(|e| matches!(e, Effect::Place(i, _) if *i == id))
                {
                    return Err(Clob::StatefulOrderAlreadyExists.err(format!("order {id:?}")));
                }
                if !simulate {
                    st.uncommitted_places.remove(&id);
                }
                st.staged.push(Effect::Place(id.clone(), order));
                Ok(vec![order_event("place_order", &id)])
            }
            DydxMsg::Cancel(m) => {
                let id = m.order_id.clone().unwrap_or_default();
                let existing = st.stateful.get(&id).ok_or_else(|| {
                    Clob::StatefulOrderDoesNotExist.err(format!(
                        "Order Id to cancel does not exist. OrderId : {id:?}"
                    ))
                })?;
                if m.good_til_block_time() < existing.order.good_til_block_time() {
                    return Err(Clob::InvalidStatefulOrderCancellation.err(
                        "cancellation goodTilBlockTime less than stateful order goodTilBlockTime",
                    ));
                }
                if !simulate {
                    st.uncommitted_cancels.remove(&id);
                }
                st.staged.push(Effect::Cancel(id.clone()));
                Ok(vec![order_event("cancel_order", &id)])
            }
            DydxMsg::Deposit(m) => {
                let to = m.recipient.unwrap_or_default();
                transfer(
                    bank,
                    &m.sender,
                    SUBACCOUNTS_MODULE,
                    &[Coin::new(u128::from(m.quantums), &denom)],
                )?;
                st.staged.push(Effect::Collateral(to, usdc(m.quantums)));
                Ok(vec![])
            }
            DydxMsg::Withdraw(m) => {
                let from = m.sender.unwrap_or_default();
                let amount = usdc(m.quantums);
                if self.staged_collateral(st, &from) < amount {
                    return Err(insufficient_funds(&format!(
                        "subaccount {}/{} has less than {amount} USDC",
                        from.owner, from.number
                    )));
                }
                transfer(
                    bank,
                    SUBACCOUNTS_MODULE,
                    &m.recipient,
                    &[Coin::new(u128::from(m.quantums), &denom)],
                )?;
                st.staged.push(Effect::Collateral(from, -amount));
                Ok(vec![])
            }
            DydxMsg::Transfer(t) => {
                let (from, to) = (
                    t.sender.unwrap_or_default(),
                    t.recipient.unwrap_or_default(),
                );
                let amount = usdc(t.amount);
                if self.staged_collateral(st, &from) < amount {
                    return Err(insufficient_funds(&format!(
                        "subaccount {}/{} has less than {amount} USDC",
                        from.owner, from.number
                    )));
                }
                st.staged.push(Effect::Collateral(from, -amount));
                st.staged.push(Effect::Collateral(to, amount));
                Ok(vec![])
            }
        }
    }
}

fn msgs_invalid_request(detail: &str) -> ExecError {
    super::errors::invalid_request(detail)
}

fn order_event(kind: &str, id: &OrderId) -> ContractEvent {
    let sub = id.subaccount_id.clone().unwrap_or_default();
    (
        kind.to_string(),
        vec![
            ("owner".into(), sub.owner),
            ("subaccount_number".into(), sub.number.to_string()),
            ("client_id".into(), id.client_id.to_string()),
            ("order_flags".into(), id.order_flags.to_string()),
            ("clob_pair_id".into(), id.clob_pair_id.to_string()),
        ],
    )
}

impl ModuleExecutor for DydxModules {
    fn handles(&self, type_url: &str) -> bool {
        HANDLED.contains(&type_url)
    }

    fn validate_basic(&self, msg: &Any) -> Result<String, ExecError> {
        DydxMsg::decode(msg, &self.params.hrp).map(|m| m.signer())
    }

    fn tx_rules(&self, msgs: &[TxMsg], _timeout_height: u64) -> Result<TxRules, ExecError> {
        msgs::tx_rules(msgs, &self.params.hrp)
    }

    fn check_extension(&self, option: &Any) -> Result<(), ExecError> {
        msgs::check_extension(option)
    }

    fn check_tx(&self, tx: &NodeTx, last: &BlockInfo) -> Result<(), ExecError> {
        let decoded = tx
            .modules()
            .map(|m| DydxMsg::decode(&m.any, &self.params.hrp))
            .collect::<Result<Vec<_>, _>>()?;
        let mut st = self.state();
        // short-term: one message, acting on the in-memory book now
        if let [m] = decoded.as_slice()
            && m.is_short_term()
        {
            return match m {
                DydxMsg::Place { id, order } => {
                    self.place_short_term(&mut st, id, order, tx.tx.timeout_height, last)
                }
                DydxMsg::Cancel(c) => self.cancel_short_term(&mut st, c, last),
                _ => Ok(()),
            };
        }
        // stateful: every message checked before any is recorded as uncommitted
        let mut places = vec![];
        let mut cancels = vec![];
        for m in &decoded {
            match m {
                DydxMsg::Place { id, order } => {
                    self.admit_stateful(&st, id, order, last)?;
                    if places.iter().any(|(i, _)| i == id) {
                        return Err(Clob::StatefulOrderAlreadyExists.err(format!("order {id:?}")));
                    }
                    places.push((id.clone(), order.clone()));
                }
                DydxMsg::Cancel(c) => {
                    self.admit_stateful_cancel(&st, c, last)?;
                    cancels.push((
                        c.order_id.clone().unwrap_or_default(),
                        c.good_til_block_time(),
                    ));
                }
                _ => {}
            }
        }
        st.uncommitted_places.extend(places);
        st.uncommitted_cancels.extend(cancels);
        Ok(())
    }

    fn deliver(
        &self,
        bank: &mut Balances,
        msg: &ModuleMsg,
        last: &BlockInfo,
        simulate: bool,
    ) -> Result<Vec<ContractEvent>, ExecError> {
        let m = DydxMsg::decode(&msg.any, &self.params.hrp)?;
        let mut st = self.state();
        st.height = last.height + 1;
        self.deliver_msg(&mut st, bank, m, simulate)
    }

    fn end_block(&self, block: &BlockInfo) {
        let mut st = self.state();
        let expired: Vec<OrderId> = st
            .short_term
            .iter()
            .filter(|(_, o)| u64::from(o.order.good_til_block()) <= block.height)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            st.short_term.remove(&id);
            self.engine.remove(&id);
        }
        st.short_cancels
            .retain(|_, gtb| u64::from(*gtb) > block.height);
        let expired: Vec<OrderId> = st
            .stateful
            .iter()
            .filter(|(_, o)| u64::from(o.order.good_til_block_time()) <= block.time)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            st.stateful.remove(&id);
            self.engine.remove(&id);
        }
        // this node's mempool empties every block: what was admitted and not delivered is gone
        st.uncommitted_places.clear();
        st.uncommitted_cancels.clear();
    }

    fn begin(&self) {
        self.state().staged.clear();
    }

    fn end(&self, commit: bool) {
        let mut st = self.state();
        let staged = std::mem::take(&mut st.staged);
        if commit {
            for e in staged {
                self.apply(&mut st, e);
            }
        }
    }
}
