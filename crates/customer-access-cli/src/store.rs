//! Opening a store to read it only: never created, never migrated, never narrowed.
//!
//! The drivers' `open` and `connect` migrate, and migrating is a write: a tool that checks a
//! database must not change it. Migrating would also chain audit rows found without a place
//! in the chain (as an upgrade from a schema before the chain does), which would turn a row
//! inserted by hand into a verified one. So the stores here are built on read-only pools
//! (SQLite `mode=ro`; PostgreSQL `default_transaction_read_only`), and the schema's version
//! is checked instead of brought up to date.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use customer_access::store::StoreError;
use customer_access::{AuditAnchor, AuditBreak, AuditVerification, Timestamp, VerifyError, cut_anchor, verify_audit};
use customer_access_postgres::{PostgresDialect, PostgresStore, SchemaName};
use customer_access_sql::{Dialect, SqlStore};
use customer_access_sqlite::{SqliteDialect, SqliteStore};
use sqlx::migrate::{Migrate, MigrateError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Database, Executor, IntoArguments, Pool};

/// How long to wait for a PostgreSQL connection before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The store named on the command line.
#[derive(Debug)]
pub(crate) enum Target {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A schema on a PostgreSQL server.
    Postgres {
        /// The server's URL.
        url: String,
        /// The schema holding the tables.
        schema: SchemaName,
    },
}

impl fmt::Display for Target {
    /// The store for messages; never the URL, which may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres { schema, .. } => write!(f, "PostgreSQL schema {schema}"),
        }
    }
}

/// Why a store could not be opened or read: the message for standard error.
#[derive(Debug)]
pub(crate) struct Unreadable(pub(crate) String);

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `error` and each of its sources, skipping a source whose text the message already holds.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// What walking the chain found.
#[derive(Debug)]
pub(crate) enum Walk {
    /// The chain is intact.
    Intact(AuditVerification),
    /// The chain is broken; the oldest break.
    Broken(AuditBreak),
}

/// A store opened read-only, on either database.
#[derive(Debug)]
pub(crate) enum Opened {
    /// On SQLite.
    Sqlite(SqliteStore),
    /// On PostgreSQL.
    Postgres(PostgresStore),
}

impl Opened {
    /// Open `target` read-only and check that its schema is the one this tool knows.
    pub(crate) async fn open(target: &Target) -> Result<Self, Unreadable> {
        let opened = match target {
            Target::Sqlite(path) => Self::Sqlite(open_sqlite(path).await?),
            Target::Postgres { url, schema } => Self::Postgres(connect_postgres(url, schema.clone()).await?),
        };
        let checked = match &opened {
            Self::Sqlite(store) => check_schema(store).await,
            Self::Postgres(store) => check_schema(store).await,
        };
        if let Err(e) = checked {
            opened.close().await;
            return Err(Unreadable(format!("{target}: {e}")));
        }
        Ok(opened)
    }

    /// Walk the chain (see [`verify_audit`], which tells the application's writes and
    /// retention during the walk from tampering).
    pub(crate) async fn walk(&self, anchor: Option<&AuditAnchor>) -> Result<Walk, VerifyError> {
        match self.verify(anchor).await {
            Ok(verified) => Ok(Walk::Intact(verified)),
            Err(VerifyError::Broken(at)) => Ok(Walk::Broken(at)),
            Err(e) => Err(e),
        }
    }

    async fn verify(&self, anchor: Option<&AuditAnchor>) -> Result<AuditVerification, VerifyError> {
        match self {
            Self::Sqlite(store) => verify_audit(store, anchor).await,
            Self::Postgres(store) => verify_audit(store, anchor).await,
        }
    }

    /// An anchor for the current head (see [`cut_anchor`]).
    pub(crate) async fn cut_anchor(&self, now: Timestamp) -> Result<AuditAnchor, StoreError> {
        match self {
            Self::Sqlite(store) => cut_anchor(store, now).await,
            Self::Postgres(store) => cut_anchor(store, now).await,
        }
    }

    /// How many audit rows have no place in the chain (no sequence number). The chain's walk
    /// cannot see them; the schema refuses them, so one found was planted with that guard
    /// removed (or an upgrade stopped before chaining the rows from before the chain).
    pub(crate) async fn unchained(&self) -> Result<usize, sqlx::Error> {
        match self {
            Self::Sqlite(store) => unchained_rows(store.pool(), &store.statements().outside_chain).await,
            Self::Postgres(store) => unchained_rows(store.pool(), &store.statements().outside_chain).await,
        }
    }

    /// Close the pool.
    pub(crate) async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

/// Open an existing SQLite file read-only. A missing file is an error, not a new database: a
/// mistyped path must not "verify" an empty log.
async fn open_sqlite(path: &Path) -> Result<SqliteStore, Unreadable> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(Unreadable(format!("{shown}: not a file"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Unreadable(format!("{shown}: no such file (a database is never created here)")));
        }
        Err(e) => return Err(Unreadable(format!("{shown}: {e}"))),
    }
    // `create_if_missing(false)` as well: the file may vanish between the check and the open.
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .read_only(true)
        .busy_timeout(customer_access_sqlite::BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| Unreadable(format!("{shown}: cannot open: {}", describe(&e))))?;
    Ok(SqliteStore::new(pool, SqliteDialect))
}

/// Connect to PostgreSQL with every transaction read-only.
async fn connect_postgres(url: &str, schema: SchemaName) -> Result<PostgresStore, Unreadable> {
    // The URL is not repeated in messages: it may hold a password.
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| Unreadable(format!("--postgres is not a usable PostgreSQL URL: {}", describe(&e))))?
        .options([("default_transaction_read_only", "on")])
        .application_name("customer-access-cli");
    let pool =
        PgPoolOptions::new().max_connections(1).acquire_timeout(CONNECT_TIMEOUT).connect_with(options).await.map_err(
            |e| match e {
                // sqlx keeps retrying a refused connection until the timeout, then says only this.
                sqlx::Error::PoolTimedOut => Unreadable(format!(
                    "cannot connect to PostgreSQL: no connection within {} s (is the server up and reachable?)",
                    CONNECT_TIMEOUT.as_secs()
                )),
                e => Unreadable(format!("cannot connect to PostgreSQL: {}", describe(&e))),
            },
        )?;
    Ok(PostgresStore::new(pool, PostgresDialect::new(schema)))
}

/// Is the store's schema at the version this tool was built for? Read from the migrations
/// table, without running a migration.
async fn check_schema<D: Dialect>(store: &SqlStore<D>) -> Result<(), String>
where
    <D::Database as Database>::Connection: Migrate,
{
    let known = D::SCHEMA_VERSION;
    let table = store.dialect().migrator(known).table_name;
    let read = async {
        let mut conn = store.pool().acquire().await?;
        let applied = conn.list_applied_migrations(&table).await?;
        Ok::<_, MigrateError>(applied.iter().map(|m| m.version).max())
    };
    match read.await {
        Err(e) => {
            // Only reading here: not sqlx's "while executing migrations" for a failed query.
            let cause = match e {
                MigrateError::Execute(e) => describe(&e),
                e => describe(&e),
            };
            Err(format!("cannot read the schema version (is this a customer-access database?): {cause}"))
        }
        Ok(None) => Err("no schema migrations recorded: not a customer-access database".to_owned()),
        Ok(Some(v)) if v < known => Err(format!(
            "schema version {v} is older than this tool's ({known}); opening the database with the \
             application migrates it (this tool never does)"
        )),
        Ok(Some(v)) if v > known => {
            Err(format!("schema version {v} is newer than this tool's ({known}); use the application's version"))
        }
        Ok(Some(_)) => Ok(()),
    }
}

/// Rows returned by `sql`, the store's own query for rows without a sequence number.
async fn unchained_rows<DB: Database>(pool: &Pool<DB>, sql: &Arc<str>) -> Result<usize, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
{
    Ok(sqlx::query(AssertSqlSafe(Arc::clone(sql))).fetch_all(pool).await?.len())
}
