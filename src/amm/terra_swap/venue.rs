//! The `terra_swap` venue: a Terraswap pair on a Terra chain behind the [`Venue`] interface.
//! Quotes run the pair's exact math ([`super::math`]) on its pool read by smart query; swaps are
//! `swap` with funds (a native offer) or a CW20 `send` with a swap hook (a token offer), with the
//! quote's price as `belief_price` and the order's price bound as `max_spread` (checked locally
//! first: a breach is refused before anything is sent), sent through the chain layer's sender;
//! the fill is read from the pair's `wasm` event in the transaction's result.

mod adoption;
mod pair_choice;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::client::PairClient;
use super::kind::PairKind;
use super::math;
use super::msg::{Asset, AssetInfo, PairInfo};
pub use super::swap::{from_units, swap_msg, swap_of, to_units};
use crate::chain::ChainSpec;
use crate::chain::cosmos::fees::GasPrice;
use crate::chain::cosmos::sender::{CosmosSender, Signed};
use crate::chain::cosmos::{CosmosError, Msg};
use crate::core::{
    Asset as Sym, Balance, ClientOrderId, Fill, GasCost, MarketRules, Order, OrderRequest,
    OrderState, Pair, Quote, QuoteRequest, Side, VenueEvent,
};
use crate::venue::{
    DryRun, EventHub, EventReceiver, Execution, TxJournal, Venue, VenueError, VenueId, VenueKind,
    WireForm,
};

/// Gas a swap takes, for quotes (the sender simulates the real figure).
const SWAP_GAS: u64 = 300_000;

/// One side of a pair: the contract's asset and the token's decimals.
#[derive(Debug, Clone)]
struct Leg {
    info: AssetInfo,
    decimals: u8,
}

/// A pair resolved for a market: the contract, which of its assets is the base, and which
/// contract (so which math) it runs.
#[derive(Debug, Clone)]
struct Market {
    info: PairInfo,
    base: Leg,
    quote: Leg,
    kind: PairKind,
}

/// The reserves of a market, base first.
#[derive(Debug, Clone, Copy)]
struct Reserves {
    base: u128,
    quote: u128,
}

struct Tracked {
    order: Order,
    fills: Vec<Fill>,
}

pub struct TerraSwapVenue {
    id: VenueId,
    spec: ChainSpec,
    client: PairClient,
    factories: Vec<String>,
    named_pair: Option<String>,
    named: BTreeMap<String, String>,
    markets: Mutex<HashMap<Pair, Market>>,
    sender: Option<Arc<CosmosSender>>,
    address: Option<String>,
    default_max_spread: Decimal,
    gas_price: GasPrice,
    events: Arc<EventHub>,
    orders: Arc<Mutex<HashMap<ClientOrderId, Tracked>>>,
    /// Where swaps are recorded before their broadcast (attached by the strategy's runner).
    journal: Mutex<Option<Arc<dyn TxJournal>>>,
}

/// What [`TerraSwapVenue::new`] takes.
pub struct VenueParts {
    pub id: VenueId,
    pub spec: ChainSpec,
    pub client: PairClient,
    /// Every factory asked for a market's pairs (the deepest pool wins).
    pub factories: Vec<String>,
    /// `pair`: the contract that trades the market of its two assets.
    pub named_pair: Option<String>,
    pub named: BTreeMap<String, String>,
    pub sender: Option<CosmosSender>,
    pub address: Option<String>,
    pub default_max_spread: Decimal,
    pub gas_price: GasPrice,
}

fn chain_err(e: CosmosError) -> VenueError {
    match e {
        CosmosError::Lcd { .. } => VenueError::Network(e.to_string()),
        CosmosError::Invalid(_) | CosmosError::Decode { .. } => VenueError::Protocol(e.to_string()),
        _ => VenueError::Chain(e.to_string()),
    }
}

fn math_err(e: math::MathError) -> VenueError {
    match e {
        math::MathError::MaxSpread => VenueError::Rejected {
            code: Some("max_spread".into()),
            reason:
                "the swap would exceed its max_spread (price moved past the bound); nothing sent"
                    .into(),
        },
        other => VenueError::InsufficientLiquidity(other.to_string()),
    }
}

impl TerraSwapVenue {
    pub fn new(p: VenueParts) -> Self {
        Self {
            id: p.id,
            spec: p.spec,
            client: p.client,
            factories: p.factories,
            named_pair: p.named_pair,
            named: p.named,
            markets: Mutex::new(HashMap::new()),
            sender: p.sender.map(Arc::new),
            address: p.address,
            default_max_spread: p.default_max_spread,
            gas_price: p.gas_price,
            events: Arc::new(EventHub::new()),
            orders: Arc::new(Mutex::new(HashMap::new())),
            journal: Mutex::new(None),
        }
    }

    /// What the records and fills of this venue's swaps need (the signing account's).
    fn ledger(&self) -> Result<adoption::Ledger, VenueError> {
        Ok(adoption::Ledger {
            venue: self.id.to_string(),
            chain: self
                .id
                .chain
                .clone()
                .unwrap_or_else(|| self.spec.name.clone()),
            from: self.address.clone().unwrap_or_default(),
            native: Sym::new(&self.spec.native.symbol)?,
            native_decimals: self.spec.native.decimals,
            native_denom: self.spec.native.denom.clone(),
            journal: self
                .journal
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        })
    }

    fn leg(&self, symbol: &Sym) -> Result<Leg, VenueError> {
        let t = self.spec.token(symbol.as_str()).ok_or_else(|| {
            VenueError::InvalidRequest(format!(
                "{symbol} is not a token of chain {}",
                self.spec.name
            ))
        })?;
        let info = match (&t.denom, &t.address) {
            (Some(d), _) => AssetInfo::native(d),
            (None, Some(a)) => AssetInfo::token(a),
            (None, None) => {
                return Err(VenueError::Protocol(format!(
                    "{symbol}: no denom or address"
                )));
            }
        };
        Ok(Leg {
            info,
            decimals: t.decimals,
        })
    }

    async fn market(&self, pair: &Pair) -> Result<Market, VenueError> {
        if let Some(m) = self
            .markets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(pair)
        {
            return Ok(m.clone());
        }
        let (base, quote) = (self.leg(&pair.base)?, self.leg(&pair.quote)?);
        let (info, factory) = self.choose_pair(pair, &base, &quote).await?;
        if !info.asset_infos.contains(&base.info) || !info.asset_infos.contains(&quote.info) {
            return Err(VenueError::Protocol(format!(
                "pair {} does not hold {pair}",
                info.contract_addr
            )));
        }
        let kind = self.kind_of(&info, factory).await?;
        let m = Market {
            info,
            base,
            quote,
            kind,
        };
        self.markets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(pair.clone(), m.clone());
        Ok(m)
    }

    async fn reserves(&self, m: &Market) -> Result<Reserves, VenueError> {
        let (base, quote) = self
            .pool_of(&m.info.contract_addr, &m.base, &m.quote)
            .await?;
        Ok(Reserves { base, quote })
    }

    fn gas_cost(&self) -> Result<GasCost, VenueError> {
        let fee = self.gas_price.fee(SWAP_GAS).map_err(chain_err)?;
        Ok(GasCost {
            gas_units: SWAP_GAS,
            native_asset: Sym::new(&self.spec.native.symbol)?,
            native_amount: from_units(fee.amount, self.spec.native.decimals)?,
            quote_amount: None,
        })
    }

    fn sender(&self) -> Result<&Arc<CosmosSender>, VenueError> {
        self.sender.as_ref().ok_or_else(|| {
            VenueError::Auth(format!("{}: no wallet configured to sign swaps", self.id))
        })
    }

    fn publish_order(&self, order: &Order) {
        self.events.publish(VenueEvent::Order {
            client_id: order.request.client_id.clone(),
            venue_order_id: order.venue_order_id.clone(),
            state: order.state,
            reason: order.reason.clone(),
        });
    }
}

/// A swap ready to send.
struct Plan {
    msg: Msg,
}

impl TerraSwapVenue {
    async fn plan(&self, order: &OrderRequest, m: &Market, me: &str) -> Result<Plan, VenueError> {
        let r = self.reserves(m).await?;
        let base_units = to_units(order.amount, m.base.decimals)?;
        if base_units == 0 {
            return Err(VenueError::InvalidRequest("amount rounds to zero".into()));
        }
        // (offer leg, ask leg, offer units, offer pool, ask pool)
        let (offer_leg, ask_leg, offer, op, ap) = match order.side {
            Side::Sell => (&m.base, &m.quote, base_units, r.base, r.quote),
            Side::Buy => {
                let rev = m
                    .kind
                    .reverse_simulate(r.quote, r.base, base_units)
                    .map_err(math_err)?;
                (&m.quote, &m.base, rev.offer_amount, r.quote, r.base)
            }
        };
        let out = m.kind.simulate(op, ap, offer).map_err(math_err)?;
        if out.return_amount == 0 {
            return Err(VenueError::InsufficientLiquidity(
                "the swap returns nothing".into(),
            ));
        }
        // The least the order accepts, in ask units.
        let min_return = match order.price {
            None => None,
            Some(p) => {
                let min = match order.side {
                    // quote received ≥ amount × price
                    Side::Sell => order.amount * p,
                    // base received ≥ quote paid / price
                    Side::Buy => from_units(offer, m.quote.decimals)? / p,
                };
                Some(to_units(min, ask_leg.decimals)?)
            }
        };
        let bounds = m
            .kind
            .bounds(
                offer,
                &out,
                (offer_leg.decimals, ask_leg.decimals),
                min_return,
                self.default_max_spread,
            )
            .map_err(math_err)?;
        let offer_asset = Asset {
            info: offer_leg.info.clone(),
            amount: offer,
        };
        Ok(Plan {
            msg: swap_msg(
                me,
                &m.info.contract_addr,
                &offer_asset,
                Some(bounds.belief_price),
                Some(bounds.max_spread),
            )?,
        })
    }
}

#[async_trait]
impl Venue for TerraSwapVenue {
    fn id(&self) -> &VenueId {
        &self.id
    }

    fn kind(&self) -> VenueKind {
        VenueKind::Amm
    }

    fn execution(&self) -> Execution {
        Execution::SwapMinOut
    }

    async fn markets(&self) -> Result<Vec<MarketRules>, VenueError> {
        let known: Vec<Pair> = self
            .markets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        let mut out = Vec::new();
        for pair in known {
            let m = self.market(&pair).await?;
            let fee = m.kind.commission().to_decimal().ok_or_else(|| {
                VenueError::Protocol(format!("{}: commission out of range", m.info.contract_addr))
            })?;
            out.push(MarketRules {
                pair: pair.clone(),
                venue_symbol: m.info.contract_addr.clone(),
                tick_size: Decimal::ZERO,
                step_size: Decimal::new(1, m.base.decimals.into()),
                min_size: Decimal::new(1, m.base.decimals.into()),
                max_size: None,
                min_notional: Decimal::ZERO,
                maker_fee: fee,
                taker_fee: fee,
            });
        }
        Ok(out)
    }

    async fn quote(&self, req: &QuoteRequest) -> Result<Quote, VenueError> {
        let m = self.market(&req.pair).await?;
        let r = self.reserves(&m).await?;
        let units = to_units(req.base_amount, m.base.decimals)?;
        if units == 0 {
            return Err(VenueError::InvalidRequest("amount rounds to zero".into()));
        }
        let (quote_units, fee_asset, fee_units, base_after, quote_after) = match req.side {
            Side::Sell => {
                let s = m.kind.simulate(r.base, r.quote, units).map_err(math_err)?;
                (
                    s.return_amount,
                    &req.pair.quote,
                    s.commission_amount,
                    r.base + units,
                    r.quote - s.return_amount,
                )
            }
            Side::Buy => {
                let s = m
                    .kind
                    .reverse_simulate(r.quote, r.base, units)
                    .map_err(math_err)?;
                (
                    s.offer_amount,
                    &req.pair.base,
                    s.commission_amount,
                    r.base - units,
                    r.quote + s.offer_amount,
                )
            }
        };
        let quote_amount = from_units(quote_units, m.quote.decimals)?;
        let fee_dec = if *fee_asset == req.pair.base {
            m.base.decimals
        } else {
            m.quote.decimals
        };
        let pool_price = |b: u128, q: u128| -> Result<Decimal, VenueError> {
            let b = from_units(b, m.base.decimals)?;
            let q = from_units(q, m.quote.decimals)?;
            q.checked_div(b)
                .ok_or_else(|| VenueError::InsufficientLiquidity("empty pool".into()))
        };
        Ok(Quote {
            venue: self.id.to_string(),
            pair: req.pair.clone(),
            side: req.side,
            base_amount: req.base_amount,
            quote_amount,
            average_price: quote_amount / req.base_amount,
            worst_price: pool_price(base_after, quote_after)?,
            fee_asset: fee_asset.clone(),
            fee_amount: from_units(fee_units, fee_dec)?,
            gas: Some(self.gas_cost()?),
        })
    }

    async fn balances(&self) -> Result<Vec<Balance>, VenueError> {
        let me = self
            .address
            .as_deref()
            .ok_or_else(|| VenueError::Auth(format!("{}: no wallet configured", self.id)))?;
        let bank = self.client.lcd().balances(me).await.map_err(chain_err)?;
        let mut out = Vec::new();
        for t in &self.spec.tokens {
            let units = match (&t.denom, &t.address) {
                (Some(d), _) => bank.iter().find(|c| &c.denom == d).map_or(0, |c| c.amount),
                (None, Some(a)) => self.client.cw20_balance(a, me).await.map_err(chain_err)?,
                (None, None) => continue,
            };
            let amount = from_units(units, t.decimals)?;
            out.push(Balance::new(Sym::new(&t.symbol)?, amount, amount));
        }
        Ok(out)
    }

    async fn submit(&self, order: OrderRequest) -> Result<ClientOrderId, VenueError> {
        order.check_shape()?;
        let id = order.client_id.clone();
        let already = || VenueError::InvalidRequest(format!("order {id} was already submitted"));
        // an id this process tracks is never sent again (checked first, and again on insert)
        if self.tracked_order(&id).is_some() {
            return Err(already());
        }
        let sender = self.sender()?.clone();
        let m = self.market(&order.pair).await?;
        let plan = self.plan(&order, &m, sender.address()).await?;
        let mut tracked = Order::new(order.clone());
        tracked.transition(OrderState::Open)?;
        match self
            .orders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id.clone())
        {
            Entry::Occupied(_) => return Err(already()),
            Entry::Vacant(slot) => {
                self.publish_order(&tracked);
                slot.insert(Tracked {
                    order: tracked,
                    fills: vec![],
                });
            }
        }
        let (orders, events) = (self.orders.clone(), self.events.clone());
        let ledger = self.ledger()?;
        let client_id = id.clone();
        tokio::spawn(async move {
            let record = |signed: &Signed| ledger.record_signed(&id, signed);
            let outcome = sender
                .send_recorded(std::slice::from_ref(&plan.msg), id.as_str(), &record)
                .await;
            let settled = ledger.settle(&order, &m, outcome);
            let mut guard = orders.lock().unwrap_or_else(|p| p.into_inner());
            let Some(t) = guard.get_mut(&id) else { return };
            t.order.venue_order_id = settled.txhash.clone();
            t.order.reason = settled.reason.clone();
            if let Some(f) = &settled.fill {
                let _ = t.order.apply_fill(f);
                t.fills.push(f.clone());
            }
            let _ = t.order.transition(settled.state);
            if let Some(f) = settled.fill {
                events.publish(VenueEvent::Fill(f));
            }
            events.publish(VenueEvent::Order {
                client_id: id.clone(),
                venue_order_id: t.order.venue_order_id.clone(),
                state: t.order.state,
                reason: t.order.reason.clone(),
            });
        });
        Ok(client_id)
    }

    /// The swap's transaction built and signed exactly as [`Venue::submit`] sends it (the same
    /// plan, message, memo, gas by simulation and fee), at the account's current sequence, not
    /// broadcast: the sequence is not used up.
    async fn dry_run(&self, order: OrderRequest) -> Result<DryRun, VenueError> {
        order.check_shape()?;
        let sender = self.sender()?;
        let m = self.market(&order.pair).await?;
        let plan = self.plan(&order, &m, sender.address()).await?;
        let (signed, params) = sender
            .sign_only(std::slice::from_ref(&plan.msg), order.client_id.as_str())
            .await
            .map_err(chain_err)?;
        Ok(DryRun {
            venue: self.id.to_string(),
            wire: WireForm::CosmosTx {
                tx_bytes: signed.tx_bytes_base64(),
                txhash: signed.txhash,
                from: sender.address().to_string(),
                account_number: params.account_number,
                sequence: params.sequence,
            },
        })
    }

    async fn cancel(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        Err(VenueError::NotSupported(format!(
            "{}: a swap cannot be cancelled once sent ({id})",
            self.id
        )))
    }

    /// The order as this process tracks it; an order sent before a restart (or left `Unknown`)
    /// is looked up from the journal's records of its transactions ([`adoption`]).
    async fn order_status(&self, order: &OrderRequest) -> Result<Order, VenueError> {
        let known = self.tracked_order(&order.client_id);
        if let Some(o) = &known
            && o.state != OrderState::Unknown
        {
            return Ok(o.clone());
        }
        match self.adopt(order).await? {
            Some(t) => {
                let o = t.order.clone();
                self.orders
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(order.client_id.clone(), t);
                Ok(o)
            }
            None => known.ok_or_else(|| VenueError::UnknownOrder(order.client_id.clone())),
        }
    }

    async fn order_fills(&self, order: &OrderRequest) -> Result<Vec<Fill>, VenueError> {
        self.order_status(order).await?;
        let g = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        g.get(&order.client_id)
            .map(|t| t.fills.clone())
            .ok_or_else(|| VenueError::UnknownOrder(order.client_id.clone()))
    }

    fn attach_tx_journal(&self, journal: Arc<dyn TxJournal>) -> bool {
        *self.journal.lock().unwrap_or_else(|p| p.into_inner()) = Some(journal);
        self.sender.is_some()
    }

    async fn reconcile_transactions(&self) -> Result<usize, VenueError> {
        self.reconcile_records().await
    }

    fn tracked_order(&self, id: &ClientOrderId) -> Option<Order> {
        let g = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        g.get(id).map(|t| t.order.clone())
    }

    fn events(&self) -> EventReceiver {
        self.events.subscribe()
    }

    async fn start(&self, pairs: &[Pair]) -> Result<(), VenueError> {
        for p in pairs {
            self.market(p).await?;
        }
        Ok(())
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
