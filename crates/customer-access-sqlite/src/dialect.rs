//! The SQLite [`Dialect`]: `ca_` tables, `BEGIN IMMEDIATE`, and SQLite's result codes.

use customer_access_sql::Dialect;
use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;

use crate::schema;

/// SQLite primary result codes that mean "someone else holds the lock; try later".
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
/// "The disk is full": the write was rolled back, and works again once space is freed
/// (PostgreSQL's `disk_full`, class 53, is unavailable too).
const SQLITE_FULL: i64 = 13;

/// SQLite's part of a [`SqliteStore`](crate::SqliteStore): tables named `ca_*` (so they can
/// share a file with an application's own), writes started with `BEGIN IMMEDIATE` (the
/// write lock up front, so two writers queue on the busy timeout instead of deadlocking on a
/// lock upgrade), and "busy", "locked" or "disk full" as unavailable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SqliteDialect;

impl Dialect for SqliteDialect {
    type Database = sqlx::Sqlite;
    const SCHEMA_VERSION: i64 = schema::SCHEMA_VERSION;
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

    fn table_prefix(&self) -> String {
        "ca_".to_owned()
    }

    fn is_unavailable(error: &dyn DatabaseError) -> bool {
        // Extended result codes carry the primary code in their low byte.
        let primary = error.code().and_then(|c| c.parse::<i64>().ok()).map(|c| c & 0xff);
        matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED | SQLITE_FULL))
    }

    /// Never: a busy database already waited [`BUSY_TIMEOUT`](crate::BUSY_TIMEOUT) for the
    /// lock, and SQLite has no serialization failures or deadlocks to retry.
    fn is_transient(_: &dyn DatabaseError) -> bool {
        false
    }

    fn migrator(&self, version: i64) -> Migrator {
        customer_access_sql::migrator(schema::MIGRATIONS, version, str::to_owned, "ca_schema_migrations")
    }
}
