//! The PostgreSQL [`Dialect`]: tables in a schema, and PostgreSQL's SQLSTATEs.

use customer_access_sql::Dialect;
use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;

use crate::schema::{self, SchemaName};

/// SQLSTATEs after which the same transaction, run again, may succeed.
const SERIALIZATION_FAILURE: &str = "40001";
const DEADLOCK_DETECTED: &str = "40P01";
/// A lock was not granted within the server's `lock_timeout`: the statement, and its
/// transaction, wrote nothing, and trying again later may work (SQLite's "busy").
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// PostgreSQL's part of a [`PostgresStore`](crate::PostgresStore): the tables in their own
/// [schema](SchemaName), write transactions at READ COMMITTED whatever the server's default
/// (row locks order concurrent writers), lost connections, shutdowns, exhausted resources
/// and lock timeouts as unavailable, and serialization failures and deadlocks retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresDialect {
    schema: SchemaName,
}

impl PostgresDialect {
    /// The dialect for tables in `schema`.
    pub fn new(schema: SchemaName) -> Self {
        Self { schema }
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &SchemaName {
        &self.schema
    }
}

impl Dialect for PostgresDialect {
    type Database = sqlx::Postgres;
    const SCHEMA_VERSION: i64 = schema::SCHEMA_VERSION;
    /// READ COMMITTED named, not inherited: every compare-and-swap is one statement whose
    /// WHERE a writer re-checks against the committed row after waiting for its lock, which
    /// is READ COMMITTED's behaviour. A server whose `default_transaction_isolation` is
    /// REPEATABLE READ or SERIALIZABLE (set per database or role) would answer such waits,
    /// and the predicate locks of the failure pruning, with serialization failures instead,
    /// which under a burst outlast the retries and fail logins as `Unavailable`.
    const BEGIN_WRITE: &'static str = "BEGIN ISOLATION LEVEL READ COMMITTED";

    fn table_prefix(&self) -> String {
        // A checked identifier (SchemaName::parse), so quoting it is enough.
        format!("\"{}\".", self.schema)
    }

    fn is_unavailable(error: &dyn DatabaseError) -> bool {
        let code = error.code().unwrap_or_default();
        code.starts_with("08") // connection exception
            || code.starts_with("57P") // admin shutdown, crash shutdown, cannot connect now
            || code.starts_with("53") // insufficient resources
            || code == LOCK_NOT_AVAILABLE // busy: a row lock not granted within lock_timeout
            || Self::is_transient(error) // still failing after the retries
    }

    fn is_transient(error: &dyn DatabaseError) -> bool {
        matches!(error.code().as_deref(), Some(SERIALIZATION_FAILURE | DEADLOCK_DETECTED))
    }

    fn migrator(&self, version: i64) -> Migrator {
        let schema = &self.schema;
        let table = format!("\"{schema}\".schema_migrations");
        let mut migrator =
            customer_access_sql::migrator(schema::MIGRATIONS, version, |sql| schema::qualify(sql, schema), table);
        migrator.create_schema(schema.as_str().to_owned());
        migrator
    }
}
