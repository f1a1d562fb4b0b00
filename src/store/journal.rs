//! The journal proper. Every write is one SQLite transaction in WAL mode with `synchronous=FULL`, so a
//! process killed at any point leaves either the whole record or none of it.
//!
//! A `Journal` is a cheap handle: clones share one connection (behind a mutex), so a venue can record
//! a transaction synchronously before broadcasting it while the strategy holds the journal too.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

use super::exposure::{add, mul};
use super::scope::RunScope;
use crate::core::{
    Balance, ClientOrderId, Fill, OrderRequest, OrderState, OrderType, TimeInForce, TxInfo,
};

/// A run of a strategy (or of a single command).
pub type RunId = i64;

/// What can go wrong with the journal.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("journal database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create or protect the journal path {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("order {0} is already in the journal")]
    DuplicateOrder(ClientOrderId),
    #[error("order {0} is not in the journal")]
    UnknownOrder(String),
    #[error("order {id}: illegal transition {from} -> {to}")]
    IllegalTransition {
        id: String,
        from: OrderState,
        to: OrderState,
    },
    #[error(
        "{venue} trade {trade_id} is already recorded for order {recorded}, and now reported for \
         order {new}: the venue reuses trade ids (is this the same exchange account as before?)"
    )]
    FillIdConflict {
        venue: String,
        trade_id: String,
        recorded: String,
        new: String,
    },
    #[error("order {id}: fill {trade_id} would exceed the order amount")]
    Overfill { id: String, trade_id: String },
    #[error("run {0} is not in the journal")]
    UnknownRun(RunId),
    #[error("run {run} has already ended ({outcome})")]
    RunEnded { run: RunId, outcome: String },
    #[error("corrupt journal row: {0}")]
    Corrupt(String),
    #[error("arithmetic overflow in the journal: {0}")]
    Overflow(String),
    #[error("{what} {value} does not fit the journal's integer column")]
    OutOfRange { what: &'static str, value: u64 },
}

/// A `u64` as SQLite's `i64`, or an error naming the value.
fn to_i64(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { what, value })
}

/// An `i64` column read back as `u64`, or a corrupt-row error.
pub(super) fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is negative")))
}

/// An order as the journal holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalOrder {
    pub run_id: RunId,
    pub venue: String,
    pub request: OrderRequest,
    pub state: OrderState,
    pub venue_order_id: Option<String>,
    pub filled: Decimal,
    pub filled_quote: Decimal,
    pub reason: Option<String>,
}

/// Creates the database file 0600 if it is missing, and makes it owner-only if it exists.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map_err(io)?;
    restrict(path)
}

/// Makes an existing journal file owner-only (a journal created by an older sluice was 0644).
fn restrict(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| StoreError::Io {
                path: path.display().to_string(),
                source,
            },
        )?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The journal: one SQLite file. Clones share the connection.
#[derive(Clone)]
pub struct Journal {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").finish_non_exhaustive()
    }
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    label TEXT NOT NULL,
    config TEXT NOT NULL,
    outcome TEXT,
    scope TEXT
);
CREATE TABLE IF NOT EXISTS orders (
    client_id TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    venue TEXT NOT NULL,
    pair TEXT NOT NULL,
    side TEXT NOT NULL,
    order_type TEXT NOT NULL,
    amount TEXT NOT NULL,
    price TEXT,
    time_in_force TEXT NOT NULL,
    deadline INTEGER,
    state TEXT NOT NULL,
    venue_order_id TEXT,
    filled TEXT NOT NULL,
    filled_quote TEXT NOT NULL,
    reason TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_state ON orders(state);
CREATE TABLE IF NOT EXISTS order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES orders(client_id),
    state TEXT NOT NULL,
    reason TEXT,
    at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fills (
    venue TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    client_id TEXT,
    venue_order_id TEXT,
    pair TEXT NOT NULL,
    side TEXT NOT NULL,
    price TEXT NOT NULL,
    amount TEXT NOT NULL,
    fee_asset TEXT NOT NULL,
    fee_amount TEXT NOT NULL,
    is_maker INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    PRIMARY KEY (venue, trade_id)
);
CREATE TABLE IF NOT EXISTS transactions (
    hash TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    chain TEXT NOT NULL,
    sender TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    client_id TEXT,
    status TEXT NOT NULL,
    gas_used INTEGER,
    effective_gas_price TEXT,
    fee_native TEXT,
    native_asset TEXT NOT NULL,
    block INTEGER,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS balances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    venue TEXT NOT NULL,
    asset TEXT NOT NULL,
    total TEXT NOT NULL,
    available TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
"#;

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(super) fn dec(s: &str, what: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what} {s:?}: {e}")))
}

fn order_type_str(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "limit",
        OrderType::LimitMaker => "limit_maker",
        OrderType::Market => "market",
        OrderType::Swap => "swap",
    }
}

fn tif_str(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
    }
}

/// Brings a journal written by an earlier version up to the current schema.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let has_scope = conn
        .prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'scope'")?
        .exists([])?;
    if !has_scope {
        // Runs from before scopes keep NULL: they cannot be attributed to a config.
        conn.execute_batch("ALTER TABLE runs ADD COLUMN scope TEXT")?;
    }
    super::perp_journal::create_tables(conn)?;
    Ok(())
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`. A folder it creates is private (0700);
    /// the database and its `-wal`/`-shm` companions are created owner-only (0600).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            super::lock::create_private_dir(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        // SQLite creates the `-wal` and `-shm` files with the database file's permissions: the
        // database is made owner-only before SQLite opens it (and an older one is narrowed).
        create_private_file(path)?;
        let journal = Self::init(Connection::open(path)?)?;
        for suffix in ["-wal", "-shm"] {
            let mut companion = path.as_os_str().to_owned();
            companion.push(suffix);
            let companion = std::path::PathBuf::from(companion);
            if companion.exists() {
                restrict(&companion)?;
            }
        }
        Ok(journal)
    }

    /// A journal in memory (tests, dry runs).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The connection, for one synchronous piece of work (never held across an await).
    pub(crate) fn db(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (each write is a transaction).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a run with no scope; `config` is stored as given. Such a run cannot be attributed to
    /// a config by a later start: production code uses [`Journal::start_scoped_run`].
    pub fn start_run(&self, label: &str, config: &str) -> Result<RunId, StoreError> {
        let conn = self.db();
        conn.execute(
            "INSERT INTO runs (started_ms, label, config) VALUES (?1, ?2, ?3)",
            params![now_ms(), label, config],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Starts a run that journals what it trades (`scope`); `config` is stored as given (the
    /// caller strips secrets and endpoints first).
    pub fn start_scoped_run(
        &self,
        label: &str,
        config: &str,
        scope: &RunScope,
    ) -> Result<RunId, StoreError> {
        let json = serde_json::to_string(scope)
            .map_err(|e| StoreError::Corrupt(format!("run scope not serializable: {e}")))?;
        let conn = self.db();
        conn.execute(
            "INSERT INTO runs (started_ms, label, config, scope) VALUES (?1, ?2, ?3, ?4)",
            params![now_ms(), label, config, json],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// What `run` trades; `None` for a run journaled without a scope (it cannot be attributed).
    /// A run that does not exist is an error.
    pub fn run_scope(&self, run: RunId) -> Result<Option<RunScope>, StoreError> {
        let conn = self.db();
        let row: Option<Option<String>> = conn
            .query_row("SELECT scope FROM runs WHERE id = ?1", [run], |r| r.get(0))
            .optional()?;
        match row {
            None => Err(StoreError::UnknownRun(run)),
            Some(None) => Ok(None),
            Some(Some(json)) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("run {run} scope: {e}"))),
        }
    }

    /// `None` while `run` is unfinished, else its outcome; a run that does not exist is an error.
    pub fn run_end(&self, run: RunId) -> Result<Option<String>, StoreError> {
        let conn = self.db();
        let row: Option<(Option<i64>, Option<String>)> = conn
            .query_row(
                "SELECT ended_ms, outcome FROM runs WHERE id = ?1",
                [run],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => Err(StoreError::UnknownRun(run)),
            Some((None, _)) => Ok(None),
            Some((Some(_), outcome)) => Ok(Some(outcome.unwrap_or_default())),
        }
    }

    pub fn end_run(&self, run: RunId, outcome: &str) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE runs SET ended_ms = ?1, outcome = ?2 WHERE id = ?3",
            params![now_ms(), outcome, run],
        )?;
        Ok(())
    }

    /// Records an order intent, state `PendingSubmit`, with its first event (one transaction). Call
    /// this **before** sending the order.
    pub fn record_intent(
        &self,
        run: RunId,
        venue: &str,
        order: &OrderRequest,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let r = tx.execute(
            "INSERT INTO orders (client_id, run_id, venue, pair, side, order_type, amount, price, time_in_force,
                 deadline, state, filled, filled_quote, created_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '0', '0', ?12, ?12)",
            params![
                order.client_id.as_str(),
                run,
                venue,
                order.pair.to_string(),
                order.side.as_str(),
                order_type_str(order.order_type),
                order.amount.to_string(),
                order.price.map(|p| p.to_string()),
                tif_str(order.time_in_force),
                order.deadline.map(|d| to_i64(d, "deadline")).transpose()?,
                OrderState::PendingSubmit.as_str(),
                now,
            ],
        );
        match r {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::DuplicateOrder(order.client_id.clone()))
            }
            Err(e) => Err(e.into()),
            Ok(_) => {
                tx.execute(
                    "INSERT INTO order_events (client_id, state, at_ms) VALUES (?1, ?2, ?3)",
                    params![
                        order.client_id.as_str(),
                        OrderState::PendingSubmit.as_str(),
                        now
                    ],
                )?;
                tx.commit()?;
                Ok(())
            }
        }
    }

    /// Records a state change after checking it against the order state machine. Re-recording the
    /// current state is a no-op (events can repeat), except where the state machine allows a
    /// self-transition.
    pub fn record_state(
        &self,
        client_id: &ClientOrderId,
        to: OrderState,
        venue_order_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let from: String = tx
            .query_row(
                "SELECT state FROM orders WHERE client_id = ?1",
                [client_id.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownOrder(client_id.to_string()))?;
        let from = OrderState::parse(&from)
            .ok_or_else(|| StoreError::Corrupt(format!("order state {from:?}")))?;
        if from == to && !from.can_transition_to(to) {
            return Ok(());
        }
        // A cancel confirmation can arrive after the last fill already completed the order.
        if from == OrderState::Filled && to == OrderState::Cancelled {
            return Ok(());
        }
        if !from.can_transition_to(to) {
            return Err(StoreError::IllegalTransition {
                id: client_id.to_string(),
                from,
                to,
            });
        }
        let now = now_ms();
        tx.execute(
            "UPDATE orders SET state = ?1, venue_order_id = COALESCE(?2, venue_order_id),
                 reason = COALESCE(?3, reason), updated_ms = ?4 WHERE client_id = ?5",
            params![to.as_str(), venue_order_id, reason, now, client_id.as_str()],
        )?;
        tx.execute(
            "INSERT INTO order_events (client_id, state, reason, at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![client_id.as_str(), to.as_str(), reason, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records a fill once: returns `false` if (venue, trade id) was already recorded. The fill and the
    /// order's filled amounts and state are written in one transaction. A fill of a journaled order
    /// belongs to that order's run (`run` is used for fills of orders the journal does not hold).
    pub fn record_fill(&self, run: RunId, fill: &Fill) -> Result<bool, StoreError> {
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO fills (venue, trade_id, run_id, client_id, venue_order_id, pair, side, price,
                 amount, fee_asset, fee_amount, is_maker, ts_ms)
             VALUES (?1, ?2, COALESCE((SELECT run_id FROM orders WHERE client_id = ?4), ?3),
                 ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                fill.venue,
                fill.trade_id,
                run,
                fill.client_id.as_ref().map(ClientOrderId::as_str),
                fill.venue_order_id,
                fill.pair.to_string(),
                fill.side.as_str(),
                fill.price.to_string(),
                fill.amount.to_string(),
                fill.fee_asset.as_str(),
                fill.fee_amount.to_string(),
                fill.is_maker,
                to_i64(fill.timestamp_ms, "fill timestamp")?,
            ],
        )?;
        if inserted == 0 {
            // The same trade seen again (stream and poll both report it) is expected. The same id on
            // another order is not: the venue reused an id the journal already holds, and ignoring it
            // would silently lose this order's fill.
            let existing: Option<String> = tx.query_row(
                "SELECT client_id FROM fills WHERE venue = ?1 AND trade_id = ?2",
                params![fill.venue, fill.trade_id],
                |r| r.get(0),
            )?;
            let new = fill.client_id.as_ref().map(ClientOrderId::as_str);
            if existing.is_some() && new.is_some() && existing.as_deref() != new {
                return Err(StoreError::FillIdConflict {
                    venue: fill.venue.clone(),
                    trade_id: fill.trade_id.clone(),
                    recorded: existing.unwrap_or_default(),
                    new: new.unwrap_or_default().to_string(),
                });
            }
            return Ok(false);
        }
        if let Some(cid) = &fill.client_id {
            let row: Option<(String, String, String, String)> = tx
                .query_row(
                    "SELECT amount, filled, filled_quote, state FROM orders WHERE client_id = ?1",
                    [cid.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            if let Some((amount, filled, filled_quote, state)) = row {
                let amount = dec(&amount, "amount")?;
                let what = format!("order {cid}: fill {}", fill.trade_id);
                let filled = add(dec(&filled, "filled")?, fill.amount, &what)?;
                let notional = mul(fill.price, fill.amount, &what)?;
                let filled_quote = add(dec(&filled_quote, "filled_quote")?, notional, &what)?;
                if filled > amount {
                    return Err(StoreError::Overfill {
                        id: cid.to_string(),
                        trade_id: fill.trade_id.clone(),
                    });
                }
                let from = OrderState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("order state {state:?}")))?;
                let to = if filled == amount {
                    OrderState::Filled
                } else {
                    OrderState::PartiallyFilled
                };
                // A late fill on a cancelled order counts; it completes the order if it fills it.
                // (Overfilling is refused above whatever the state.)
                let next = match from {
                    OrderState::Cancelled if to == OrderState::PartiallyFilled => {
                        OrderState::Cancelled
                    }
                    OrderState::Cancelled => OrderState::Filled,
                    // The venue reported the order filled before all its fills were recorded (a
                    // report can carry the final state with the first of several fills): the
                    // missing fills still count, and the order stays filled.
                    OrderState::Filled => OrderState::Filled,
                    f if f.can_transition_to(to) => to,
                    f => {
                        return Err(StoreError::IllegalTransition {
                            id: cid.to_string(),
                            from: f,
                            to,
                        });
                    }
                };
                let now = now_ms();
                tx.execute(
                    "UPDATE orders SET filled = ?1, filled_quote = ?2, state = ?3, updated_ms = ?4 WHERE client_id = ?5",
                    params![filled.to_string(), filled_quote.to_string(), next.as_str(), now, cid.as_str()],
                )?;
                if next != from || next == OrderState::PartiallyFilled {
                    tx.execute(
                        "INSERT INTO order_events (client_id, state, reason, at_ms) VALUES (?1, ?2, ?3, ?4)",
                        params![cid.as_str(), next.as_str(), format!("fill {}", fill.trade_id), now],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// Inserts or updates a transaction (by hash). A late "pending" never overwrites a final status
    /// (the record made before the broadcast can be re-reported after the outcome is known).
    pub fn record_tx(&self, run: RunId, tx: &TxInfo) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO transactions (hash, run_id, chain, sender, nonce, client_id, status, gas_used,
                 effective_gas_price, fee_native, native_asset, block, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT(hash) DO UPDATE SET status = excluded.status, gas_used = excluded.gas_used,
                 effective_gas_price = excluded.effective_gas_price, fee_native = excluded.fee_native,
                 block = excluded.block, updated_ms = excluded.updated_ms,
                 client_id = COALESCE(transactions.client_id, excluded.client_id)
             WHERE excluded.status != 'pending' OR transactions.status IN ('pending', 'dropped')",
            params![
                tx.hash,
                run,
                tx.chain,
                tx.from,
                to_i64(tx.nonce, "nonce")?,
                tx.client_id.as_ref().map(ClientOrderId::as_str),
                tx.status.as_str(),
                tx.gas_used.map(|g| to_i64(g, "gas used")).transpose()?,
                tx.effective_gas_price,
                tx.fee_native.map(|f| f.to_string()),
                tx.native_asset,
                tx.block.map(|b| to_i64(b, "block")).transpose()?,
                now_ms(),
            ],
        )?;
        Ok(())
    }

    pub fn record_balance(&self, run: RunId, venue: &str, b: &Balance) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO balances (run_id, venue, asset, total, available, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![run, venue, b.asset.as_str(), b.total.to_string(), b.available.to_string(), now_ms()],
        )?;
        Ok(())
    }
}
