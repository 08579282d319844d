//! SQLite [`Store`](customer_access::Store) for `customer-access`: the embedded default for
//! one machine.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use customer_access::{AccessService, RecordingMailer, SecurityPolicy, SystemClock};
//!
//! let store = customer_access_sqlite::open("customer-access.db").await?; // creates and migrates
//! let service = AccessService::new(store, RecordingMailer::new(), SystemClock, SecurityPolicy::default())?;
//! # Ok(()) }
//! ```
//!
//! # Settings, and why
//! - **WAL journal**: readers never block the writer, and a crash leaves the file consistent.
//! - **`synchronous = FULL`**: every commit is on disk before it returns. A password change
//!   that was confirmed to the user must survive a power cut; the cost is one `fsync` per
//!   write, and successful logins do not write.
//! - **Busy timeout 5 s**: concurrent writers (several pool connections, several processes)
//!   wait for the lock instead of failing; past it the error is
//!   [`StoreErrorKind::Unavailable`](customer_access::store::StoreErrorKind::Unavailable).
//! - **Foreign keys on**: a contact cannot point at a missing retailer.
//! - **Writes start with `BEGIN IMMEDIATE`**, so two writers never deadlock on a lock upgrade.
//! - **A full disk is [`Unavailable`](customer_access::store::StoreErrorKind::Unavailable)**
//!   (`SQLITE_FULL`): the write is rolled back whole, reads go on, and writes work again once
//!   space is freed. A connection that SQLite's own rollback left out of step with sqlx is
//!   closed rather than reused (`tests/disk_full.rs` fills a small tmpfs mid-write).
//! - **Owner-only files** (unix): [`open`] creates the database file with mode
//!   `0600` before SQLite opens it, so its `-wal`, `-shm` and `-journal` files get that mode
//!   too, and removes group and other permissions from an existing file and its companions.
//!   They hold every password hash, which other local users must not read.
//!
//! Driver: sqlx with bundled SQLite (no system library needed), shared with the Postgres
//! store. Every statement and decision of the store is `customer-access-sql`'s, written once
//! for both; this crate adds the SQLite [dialect](SqliteDialect), the settings above and the
//! migrations. Timestamps are `INTEGER` milliseconds, so comparisons are exact. No table holds a
//! secret in plaintext: passwords and temporary passwords are Argon2id PHC hashes, change
//! tickets BLAKE2b digests. No query is built from input: every value is a bound parameter.
//!
//! `:memory:` databases work ([`open_with`]) but vanish with the pool; use a
//! file for anything but throwaway tests.
#![forbid(unsafe_code)]

mod dialect;
mod files;
mod schema;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use customer_access_sql::SqlStore;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use customer_access_sql::OpenError;
pub use dialect::SqliteDialect;
pub use schema::SCHEMA_VERSION;

/// How long a connection waits for another writer's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections in the default pool: one writer at a time, the rest read concurrently (WAL).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

/// A [`customer_access::Store`] on a SQLite database. Cheap to clone (the pool is shared).
/// Open one with [`open`].
pub type SqliteStore = SqlStore<SqliteDialect>;

/// Open (creating if missing) the database file at `path` with the settings above, and
/// apply pending migrations.
///
/// On unix a missing file is created with mode `0600`, and an existing one, with its
/// `-wal`, `-shm` and `-journal` files, loses any group and other permissions.
///
/// # Errors
/// [`OpenError`] if the file cannot be created, narrowed to its owner, opened or migrated.
pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, OpenError> {
    files::create_private(path.as_ref()).map_err(|e| OpenError::Connect(Box::new(e)))?;
    open_with(options(path), SqlitePoolOptions::new().max_connections(DEFAULT_MAX_CONNECTIONS)).await
}

/// The connect options [`open`] uses, for callers that want to adjust them.
pub fn options(path: impl AsRef<Path>) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
}

/// Open with your own connect and pool options, then migrate.
///
/// A database file that exists, and its `-wal`, `-shm` and `-journal` files, lose any
/// group and other permissions (unix), before connecting and again before migrating. A
/// file that SQLite creates here, though, starts with the umask's mode (usually `0644`)
/// until then: create new databases with [`open`], or under a `077` umask.
///
/// # Errors
/// [`OpenError`] if the database cannot be narrowed to its owner, opened or migrated.
pub async fn open_with(options: SqliteConnectOptions, pool: SqlitePoolOptions) -> Result<SqliteStore, OpenError> {
    let narrow = |path: &Path| files::narrow(path).map_err(|e| OpenError::Connect(Box::new(e)));
    let path = options.get_filename().to_owned();
    narrow(&path)?;
    let pool =
        recycle_stuck_transactions(pool).connect_with(options).await.map_err(|e| OpenError::Connect(Box::new(e)))?;
    // Again: SQLite may have just created the file (and its WAL) with the umask's mode.
    narrow(&path)?;
    let store = SqlStore::new(pool, SqliteDialect);
    store.migrate().await?;
    Ok(store)
}

/// `pool`, closing instead of reusing a connection that sqlx still counts as inside a
/// transaction when it is next acquired.
///
/// After some errors (a full disk: `SQLITE_FULL`) SQLite rolls the transaction back by
/// itself; sqlx does not notice, its `ROLLBACK` then fails, and it keeps counting the
/// connection as inside a transaction for good, so every later `BEGIN IMMEDIATE` on it fails
/// (`InvalidSavePointStatement`). A ping first lets a rollback still queued on the
/// connection run; a connection still counted inside a transaction after that is dropped
/// from the pool, and the pool opens a fresh one. Replaces any `before_acquire` hook the
/// caller set.
fn recycle_stuck_transactions(pool: SqlitePoolOptions) -> SqlitePoolOptions {
    pool.before_acquire(|conn, _meta| {
        Box::pin(async move {
            if !conn.is_in_transaction() {
                return Ok(true);
            }
            conn.ping().await?;
            Ok(!conn.is_in_transaction())
        })
    })
}

/// A throwaway in-memory database (one connection, gone when the store is dropped).
///
/// # Errors
/// [`OpenError`] if SQLite cannot be initialised.
pub async fn in_memory() -> Result<SqliteStore, OpenError> {
    let options = SqliteConnectOptions::from_str("sqlite::memory:")
        .map_err(|e| OpenError::Connect(Box::new(e)))?
        .foreign_keys(true);
    open_with(options, SqlitePoolOptions::new().max_connections(1)).await
}

/// Open a database file without migrating (for upgrade tests).
#[doc(hidden)]
pub async fn open_unmigrated(path: impl AsRef<Path>) -> Result<SqliteStore, OpenError> {
    files::create_private(path.as_ref()).map_err(|e| OpenError::Connect(Box::new(e)))?;
    let pool = SqlitePoolOptions::new()
        .max_connections(DEFAULT_MAX_CONNECTIONS)
        .connect_with(options(path))
        .await
        .map_err(|e| OpenError::Connect(Box::new(e)))?;
    Ok(SqlStore::new(pool, SqliteDialect))
}
