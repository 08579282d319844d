//! Sessions in the PostgreSQL schema the contacts live in, shared by every instance.

use customer_access_postgres::SchemaName;
use sqlx::PgPool;

/// A tower-sessions store in a PostgreSQL database, table `sessions` of the given schema (by
/// default the store's own, `customer_access`). Call [`migrate`](Self::migrate) once at
/// start-up; several instances may do so at once.
#[derive(Clone, Debug)]
pub struct PostgresSessionStore {
    pool: PgPool,
    schema: SchemaName,
    table: String,
}

/// Serialises concurrent [`PostgresSessionStore::migrate`] calls of several instances
/// (`CREATE TABLE IF NOT EXISTS` alone races on the catalog).
const MIGRATION_LOCK: i64 = 0x6361_7365_7373_0001;

impl PostgresSessionStore {
    /// Sessions in `schema.sessions` of `pool`'s database.
    pub fn new(pool: PgPool, schema: SchemaName) -> Self {
        let table = format!("\"{}\".sessions", schema.as_str());
        Self { pool, schema, table }
    }

    /// Create the schema, the table and its expiry index if they do not exist (idempotent,
    /// safe to run from several instances at once).
    ///
    /// # Errors
    /// The database's error.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let schema = self.schema.as_str();
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *tx).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))).execute(&mut *tx).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE IF NOT EXISTS {} (id BYTEA PRIMARY KEY, sealed BYTEA NOT NULL, expires_at BIGINT NOT NULL)",
            self.table
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE INDEX IF NOT EXISTS sessions_expiry ON {} (expires_at)",
            self.table
        )))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}

super::session_statements!(PostgresSessionStore, PgPool);
