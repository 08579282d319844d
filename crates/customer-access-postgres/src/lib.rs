//! PostgreSQL [`Store`](customer_access::Store) for `customer-access`: for deployments where
//! several application instances share one database.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use customer_access_postgres::{PostgresStore, SchemaName};
//!
//! let store = PostgresStore::connect("postgres://app@db/shop", SchemaName::default_schema()).await?;
//! # Ok(()) }
//! ```
//!
//! - **Tables in their own schema** (default `customer_access`, see [`SchemaName`]), so they
//!   live beside an application's own. Migrations ship inside the crate and run on connect,
//!   under sqlx's advisory lock, so instances starting together do not race.
//! - **Correctness by compare-and-swap**, not by in-process state: every instance can serve
//!   every request. Failed-login counters are single atomic upserts, so throttling holds
//!   across instances.
//! - **Case-insensitive uniqueness** comes from the core's canonical username key (a plain
//!   `UNIQUE` column), the same rule as every other store, not from collations.
//! - **Errors by kind**: unique violation -> `Duplicate`; connection loss, admin shutdown,
//!   exhausted retries -> `Unavailable`; never a panic. Serialization failures and deadlocks
//!   (SQLSTATE 40001, 40P01) are retried up to [`MAX_TRANSIENT_ATTEMPTS`] times.
//! - Timestamps are `BIGINT` milliseconds, secrets only as hashes and digests, every value a
//!   bound parameter (the validated schema name is the only text formatted into SQL).
#![forbid(unsafe_code)]

mod errors;
mod rows;
mod schema;
mod store;

use std::sync::Arc;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub use schema::{InvalidSchemaName, SCHEMA_VERSION, SchemaName};
pub use store::MAX_TRANSIENT_ATTEMPTS;

/// A [`customer_access::Store`] on PostgreSQL. Cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    schema: SchemaName,
    sql: Arc<schema::Statements>,
}

/// Connecting or migrating failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The server could not be reached or refused the connection.
    #[error("could not connect to PostgreSQL")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The schema could not be brought up to date (or is newer than this crate knows).
    #[error("could not migrate the PostgreSQL schema")]
    Migrate(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl PostgresStore {
    /// Connect to `url` with a default pool (10 connections) and migrate `schema`.
    ///
    /// # Errors
    /// [`OpenError`] if the server is unreachable or the schema cannot be migrated.
    pub async fn connect(url: &str, schema: SchemaName) -> Result<Self, OpenError> {
        let pool =
            PgPoolOptions::new().max_connections(10).connect(url).await.map_err(|e| OpenError::Connect(Box::new(e)))?;
        Self::from_pool(pool, schema).await
    }

    /// Use an existing pool (shared with the application) and migrate `schema`.
    ///
    /// # Errors
    /// [`OpenError::Migrate`] if the schema cannot be migrated.
    pub async fn from_pool(pool: PgPool, schema: SchemaName) -> Result<Self, OpenError> {
        let store = Self::from_pool_unmigrated(pool, schema);
        store.migrate().await?;
        Ok(store)
    }

    /// Use a pool without migrating (for upgrade tests).
    #[doc(hidden)]
    pub fn from_pool_unmigrated(pool: PgPool, schema: SchemaName) -> Self {
        let sql = Arc::new(schema::Statements::new(&schema));
        Self { pool, schema, sql }
    }

    /// Bring the schema to [`SCHEMA_VERSION`] (idempotent).
    ///
    /// # Errors
    /// [`OpenError::Migrate`], e.g. when the database holds a newer schema.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        self.migrate_to(SCHEMA_VERSION).await
    }

    /// Apply migrations up to `version` only (for upgrade tests).
    #[doc(hidden)]
    pub async fn migrate_to(&self, version: i64) -> Result<(), OpenError> {
        schema::migrator_up_to(&self.schema, version).run(&self.pool).await.map_err(|e| OpenError::Migrate(Box::new(e)))
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &SchemaName {
        &self.schema
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
