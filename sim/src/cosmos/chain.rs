//! The local chain's state: accounts (number, sequence, public key), bank balances, the mempool,
//! blocks and transaction results; transaction checking (CheckTx), simulation and execution
//! (a block's DeliverTx). Codes and logs are the Cosmos SDK's (`sdkerrors`). Messages that are
//! neither bank nor CosmWasm go to the app's [`ModuleExecutor`], which also sets per transaction
//! whether the sequence is checked, fees are charged and the transaction goes into a block.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use sluice::chain::cosmos::fees::GasPrice;
use sluice::chain::cosmos::tx::tx_hash;
use sluice::chain::cosmos::{Coin, Msg};

use sluice::wallet::keys::cosmos_address;

use super::modules::{BlockInfo, ModuleExecutor, NoModules, NodeTx, TxMsg, decode_node_tx};

#[path = "chain_ante.rs"]
mod ante;

/// A failed message: the SDK code and log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    pub code: u32,
    pub codespace: String,
    pub log: String,
}

impl ExecError {
    pub fn sdk(code: u32, log: impl Into<String>) -> Self {
        Self {
            code,
            codespace: "sdk".into(),
            log: log.into(),
        }
    }
}

/// Bank balances by address and denom.
pub type Balances = BTreeMap<String, BTreeMap<String, u128>>;

/// Moves `coins` from `from` to `to`, all or nothing.
pub fn transfer(
    bank: &mut Balances,
    from: &str,
    to: &str,
    coins: &[Coin],
) -> Result<(), ExecError> {
    for c in coins {
        let have = bank
            .get(from)
            .and_then(|b| b.get(&c.denom))
            .copied()
            .unwrap_or(0);
        if have < c.amount {
            return Err(ExecError::sdk(
                5,
                format!(
                    "spendable balance {have}{} is smaller than {c}: insufficient funds",
                    c.denom
                ),
            ));
        }
    }
    for c in coins {
        *bank
            .entry(from.into())
            .or_default()
            .entry(c.denom.clone())
            .or_default() -= c.amount;
        *bank
            .entry(to.into())
            .or_default()
            .entry(c.denom.clone())
            .or_default() += c.amount;
    }
    Ok(())
}

/// An event a contract emits: its type and attributes.
pub type ContractEvent = (String, Vec<(String, String)>);

/// CosmWasm contracts behind the node (see [`super::contracts`] for the Terraswap ones). The
/// node's bank is the only record of native coins: contracts read and move them in the `bank`
/// they are given. Everything `execute` changes between [`begin`](Self::begin) and
/// [`end`](Self::end)`(false)` is undone (a failed transaction, a simulation).
pub trait ContractExecutor: Send + Sync {
    /// A smart query's answer (JSON bytes), over the current `bank`.
    fn query(&self, bank: &Balances, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ExecError>;
    /// Executes `msg` with `funds` already moved from `sender` to `contract` in `bank`; returns
    /// the events it emits (`wasm`, transfers, …) as `(type, attributes)`.
    fn execute(
        &self,
        bank: &mut Balances,
        sender: &str,
        contract: &str,
        msg: &[u8],
        funds: &[Coin],
        simulate: bool,
    ) -> Result<Vec<ContractEvent>, ExecError>;
    /// A transaction (or a simulation) starts.
    fn begin(&self) {}
    /// The transaction ends: its contract changes are kept (`commit`) or undone.
    fn end(&self, _commit: bool) {}
}

/// No contracts: every query and execution fails as the chain's would for an unknown address.
pub struct NoContracts;

impl ContractExecutor for NoContracts {
    fn query(&self, _bank: &Balances, contract: &str, _msg: &[u8]) -> Result<Vec<u8>, ExecError> {
        Err(ExecError {
            code: 2,
            codespace: "wasm".into(),
            log: format!("no such contract: {contract}"),
        })
    }

    fn execute(
        &self,
        _bank: &mut Balances,
        _sender: &str,
        contract: &str,
        _msg: &[u8],
        _funds: &[Coin],
        _simulate: bool,
    ) -> Result<Vec<ContractEvent>, ExecError> {
        self.query(&Balances::new(), contract, b"").map(|_| vec![])
    }
}

#[derive(Debug, Clone)]
pub struct ChainConfig {
    pub chain_id: String,
    pub hrp: String,
    pub min_gas_price: GasPrice,
    /// Terra Classic's tax rate; `None` for no tax.
    pub tax_rate: Option<Decimal>,
    pub block_time: std::time::Duration,
}

impl ChainConfig {
    /// phoenix-1's parameters (0.015uluna, no tax), blocks every 200 ms.
    pub fn terra() -> Self {
        Self {
            chain_id: "phoenix-1".into(),
            hrp: "terra".into(),
            min_gas_price: GasPrice {
                amount: Decimal::new(15, 3),
                denom: "uluna".into(),
            },
            tax_rate: None,
            block_time: std::time::Duration::from_millis(200),
        }
    }

    /// columbus-5's parameters (28.325uluna, tax 0.5 %), blocks every 200 ms.
    pub fn terra_classic() -> Self {
        Self {
            chain_id: "columbus-5".into(),
            min_gas_price: GasPrice {
                amount: Decimal::new(28325, 3),
                denom: "uluna".into(),
            },
            tax_rate: Some(Decimal::new(5, 3)),
            ..Self::terra()
        }
    }
}

/// Faults for the next requests (each counts down as it fires).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Before the next N broadcasts, another transaction of the signer "lands": its sequence moves
    /// up by one, so the broadcast meets a sequence mismatch.
    pub bump_sequence: u32,
    /// The next N accepted transactions are answered code 0 and never included.
    pub drop_txs: u32,
    /// The next N requests of any kind are answered `502` with an HTML page.
    pub error_pages: u32,
    /// The next N broadcasts are processed, then answered after this long.
    pub slow_broadcasts: u32,
    pub slow_delay: std::time::Duration,
    /// No blocks while set (a stalled chain).
    pub halt: bool,
}

#[derive(Debug, Clone)]
struct Account {
    number: u64,
    sequence: u64,
}

struct Pending {
    hash: String,
    tx: NodeTx,
    signer: String,
    gas_used: u64,
    fee: Vec<Coin>,
    /// Whether the gas limit applies.
    metered: bool,
}

/// The chain state behind the node.
pub struct LocalChain {
    pub cfg: ChainConfig,
    pub height: u64,
    accounts: BTreeMap<String, Account>,
    next_number: u64,
    pub bank: Balances,
    mempool: Vec<Pending>,
    results: HashMap<String, Value>,
    /// Every transaction hash received by broadcast, in order (rejected ones too).
    pub broadcast_log: Vec<String>,
    pub faults: Faults,
    contracts: Arc<dyn ContractExecutor>,
    modules: Arc<dyn ModuleExecutor>,
    /// The last block's time, Unix seconds.
    pub block_time: u64,
    /// Further minimum gas prices: a fee meeting any one of these (or the configured one) is
    /// enough, as the SDK's `IsAnyGTE` check accepts.
    pub alt_gas_prices: Vec<GasPrice>,
}

impl LocalChain {
    pub fn new(cfg: ChainConfig, contracts: Arc<dyn ContractExecutor>) -> Self {
        Self::with_modules(cfg, contracts, Arc::new(NoModules))
    }

    /// A chain whose other messages go to `modules`.
    pub fn with_modules(
        cfg: ChainConfig,
        contracts: Arc<dyn ContractExecutor>,
        modules: Arc<dyn ModuleExecutor>,
    ) -> Self {
        Self {
            cfg,
            height: 1,
            accounts: BTreeMap::new(),
            next_number: 1,
            bank: Balances::new(),
            mempool: vec![],
            results: HashMap::new(),
            broadcast_log: vec![],
            faults: Faults::default(),
            contracts,
            modules,
            block_time: unix_now(),
            alt_gas_prices: vec![],
        }
    }

    /// The last committed block.
    pub fn last_block(&self) -> BlockInfo {
        BlockInfo {
            height: self.height,
            time: self.block_time,
        }
    }

    /// Credits `coins` to `address`, creating its account.
    pub fn fund(&mut self, address: &str, coins: &[Coin]) {
        self.ensure_account(address);
        for c in coins {
            *self
                .bank
                .entry(address.into())
                .or_default()
                .entry(c.denom.clone())
                .or_default() += c.amount;
        }
    }

    fn ensure_account(&mut self, address: &str) {
        if !self.accounts.contains_key(address) {
            self.accounts.insert(
                address.into(),
                Account {
                    number: self.next_number,
                    sequence: 0,
                },
            );
            self.next_number += 1;
        }
    }

    pub fn balance(&self, address: &str, denom: &str) -> u128 {
        self.bank
            .get(address)
            .and_then(|b| b.get(denom))
            .copied()
            .unwrap_or(0)
    }

    /// `(account_number, sequence)`.
    pub fn account(&self, address: &str) -> Option<(u64, u64)> {
        self.accounts.get(address).map(|a| (a.number, a.sequence))
    }

    /// How many of `broadcast_log` were this hash.
    pub fn times_broadcast(&self, hash: &str) -> usize {
        self.broadcast_log.iter().filter(|h| *h == hash).count()
    }

    /// Transactions included in blocks so far.
    pub fn included(&self) -> usize {
        self.results.len()
    }

    pub fn query(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ExecError> {
        self.contracts.query(&self.bank, contract, msg)
    }

    /// `/simulate`: the checks without the signature, then the messages on a copy of the bank.
    pub fn simulate(&self, tx_bytes: &[u8]) -> Result<u64, ExecError> {
        let (tx, signer, gas, _) = self.check(tx_bytes, false)?;
        let mut bank = self.bank.clone();
        self.contracts.begin();
        self.modules.begin();
        let outcome = self.run_msgs(&mut bank, &signer, &tx.msgs, true);
        self.modules.end(false);
        self.contracts.end(false);
        outcome?;
        Ok(gas)
    }

    /// A sync broadcast: `(txhash, Ok(()) | Err(code…))`. Accepted transactions pay their fee
    /// and use their sequence now (as CheckTx's state does), have their admission effects
    /// ([`ModuleExecutor::check_tx`]) and are executed in the next block, unless their rules say
    /// they are executed on admission only.
    pub fn broadcast(&mut self, tx_bytes: &[u8]) -> (String, Result<(), ExecError>) {
        let hash = tx_hash(tx_bytes);
        self.broadcast_log.push(hash.clone());
        if self.results.contains_key(&hash) || self.mempool.iter().any(|p| p.hash == hash) {
            return (hash, Err(ExecError::sdk(19, "tx already exists in cache")));
        }
        if self.faults.bump_sequence > 0
            && let Ok(tx) = decode_node_tx(tx_bytes, self.modules.as_ref())
            && let Ok(pk) = <[u8; 33]>::try_from(tx.tx.pubkey.as_slice())
            && let Ok(addr) = cosmos_address(&pk, &self.cfg.hrp)
            && let Some(acc) = self.accounts.get_mut(&addr)
        {
            self.faults.bump_sequence -= 1;
            acc.sequence += 1;
        }
        let (tx, signer, gas_used, rules) = match self.check(tx_bytes, true) {
            Ok(x) => x,
            Err(e) => return (hash, Err(e)),
        };
        if self.faults.drop_txs > 0 {
            self.faults.drop_txs -= 1;
            return (hash, Ok(()));
        }
        if let Err(e) = self.modules.check_tx(&tx, &self.last_block()) {
            return (hash, Err(e));
        }
        if rules.sequence
            && let Some(acc) = self.accounts.get_mut(&signer)
        {
            acc.sequence += 1;
        }
        if rules.admission_only {
            return (hash, Ok(()));
        }
        let fee = if rules.fees {
            tx.tx.fee.clone()
        } else {
            vec![]
        };
        let _ = transfer(&mut self.bank, &signer, "fee_collector", &fee);
        self.mempool.push(Pending {
            hash: hash.clone(),
            tx,
            signer,
            gas_used,
            fee,
            metered: rules.fees,
        });
        (hash, Ok(()))
    }

    fn run_msgs(
        &self,
        bank: &mut Balances,
        signer: &str,
        msgs: &[TxMsg],
        simulate: bool,
    ) -> Result<Vec<Value>, ExecError> {
        let mut events = vec![];
        let last = self.last_block();
        for (i, m) in msgs.iter().enumerate() {
            events.push(event(
                "message",
                &[
                    ("action", m.type_url()),
                    ("sender", signer),
                    ("msg_index", &i.to_string()),
                ],
            ));
            let m = match m {
                TxMsg::Known(m) => m,
                TxMsg::Module(m) => {
                    for (kind, attrs) in self.modules.deliver(bank, m, &last, simulate)? {
                        let attrs: Vec<(&str, &str)> = attrs
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        events.push(event(&kind, &attrs));
                    }
                    continue;
                }
            };
            match m {
                Msg::Send { from, to, amount } => {
                    transfer(bank, from, to, amount)?;
                    let amt = coins_str(amount);
                    events.push(event("coin_spent", &[("spender", from), ("amount", &amt)]));
                    events.push(event(
                        "coin_received",
                        &[("receiver", to), ("amount", &amt)],
                    ));
                    events.push(event(
                        "transfer",
                        &[("recipient", to), ("sender", from), ("amount", &amt)],
                    ));
                }
                Msg::Execute {
                    sender,
                    contract,
                    msg,
                    funds,
                } => {
                    transfer(bank, sender, contract, funds)?;
                    for (kind, attrs) in self
                        .contracts
                        .execute(bank, sender, contract, msg, funds, simulate)?
                    {
                        let attrs: Vec<(&str, &str)> = attrs
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        events.push(event(&kind, &attrs));
                    }
                }
                Msg::Swap { .. } => {
                    return Err(ExecError {
                        code: 1,
                        codespace: "market".into(),
                        log: "market swaps are disabled on this chain".into(),
                    });
                }
            }
        }
        Ok(events)
    }

    /// Makes a block of the mempool.
    pub fn produce_block(&mut self) {
        if self.faults.halt {
            return;
        }
        self.height += 1;
        let block = BlockInfo {
            height: self.height,
            time: unix_now().max(self.block_time),
        };
        for p in std::mem::take(&mut self.mempool) {
            let mut bank = self.bank.clone();
            let mut events = vec![
                event(
                    "tx",
                    &[("fee", &coins_str(&p.fee)), ("fee_payer", &p.signer)],
                ),
                event(
                    "tx",
                    &[("acc_seq", &format!("{}/{}", p.signer, p.tx.tx.sequence))],
                ),
            ];
            let outcome = if p.metered && p.tx.tx.gas_limit < p.gas_used {
                Err(ExecError::sdk(
                    11,
                    format!(
                        "out of gas; gasWanted: {}, gasUsed: {}: out of gas",
                        p.tx.tx.gas_limit, p.gas_used
                    ),
                ))
            } else {
                self.contracts.begin();
                self.modules.begin();
                let outcome = self.run_msgs(&mut bank, &p.signer, &p.tx.msgs, false);
                self.modules.end(outcome.is_ok());
                self.contracts.end(outcome.is_ok());
                outcome
            };
            let (code, codespace, log) = match outcome {
                Ok(evs) => {
                    self.bank = bank;
                    events.extend(evs);
                    (0, String::new(), String::new())
                }
                Err(e) => (e.code, e.codespace, e.log),
            };
            self.results.insert(
                p.hash.clone(),
                json!({
                    "txhash": p.hash, "height": self.height.to_string(), "code": code,
                    "codespace": codespace, "raw_log": log,
                    "gas_wanted": p.tx.tx.gas_limit.to_string(), "gas_used": p.gas_used.to_string(),
                    "events": events,
                }),
            );
        }
        self.block_time = block.time;
        self.modules.end_block(&block);
    }

    /// A transaction's result in a block (`tx_response`).
    pub fn tx_result(&self, hash: &str) -> Option<&Value> {
        self.results.get(&hash.to_ascii_uppercase())
    }
}

fn event(kind: &str, attrs: &[(&str, &str)]) -> Value {
    json!({"type": kind, "attributes": attrs.iter().map(|(k, v)| json!({"key": k, "value": v, "index": true})).collect::<Vec<_>>()})
}

fn coins_str(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
