//! What differs between databases, and nothing else.

use std::fmt;

use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;

/// One database's share of a [`SqlStore`](crate::SqlStore): where its tables are, how a
/// write transaction starts, what its error codes mean, and its migrations.
///
/// Every statement's logic (the compare-and-swap save and its `Conflict`/`NotFound`
/// decision, failed-login counting and pruning, audit rows, staff assignments, devices, the
/// decoy row) lives in this crate, written once; the statements use `$1`-style numbered
/// parameters, which both SQLite and PostgreSQL accept.
pub trait Dialect: Clone + fmt::Debug + Send + Sync + 'static {
    /// The sqlx database type.
    type Database: sqlx::Database;

    /// The newest schema version the dialect's migrations reach.
    const SCHEMA_VERSION: i64;

    /// The statement that starts a write transaction. SQLite needs `BEGIN IMMEDIATE`, so that
    /// a transaction holding a read lock never waits to upgrade it (a deadlock); PostgreSQL
    /// takes row locks as it goes and names READ COMMITTED, the isolation level whose
    /// re-check of a waiting writer's WHERE the compare-and-swaps rely on, rather than inherit
    /// the server's default.
    const BEGIN_WRITE: &'static str;

    /// Text put before each table's name (`retailers`, `contacts`, `staff_retailers`,
    /// `audit`, `login_failures`, `devices`): a prefix such as `ca_`, or a quoted schema such
    /// as `"customer_access".`. It is the only text formatted into SQL, so it must be
    /// validated, never taken from input.
    fn table_prefix(&self) -> String;

    /// Does this error mean the database is unreachable, busy or out of resources, so that
    /// nothing was written and trying again later may work?
    fn is_unavailable(error: &dyn DatabaseError) -> bool;

    /// May the same transaction succeed if it runs again at once (a serialization failure, a
    /// deadlock)? Such transactions are retried up to
    /// [`MAX_TRANSIENT_ATTEMPTS`](crate::MAX_TRANSIENT_ATTEMPTS) times in all.
    fn is_transient(error: &dyn DatabaseError) -> bool;

    /// A migrator holding the dialect's migrations up to and including `version`.
    fn migrator(&self, version: i64) -> Migrator;
}
