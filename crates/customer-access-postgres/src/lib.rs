//! PostgreSQL [`Store`](customer_access::Store) for `customer-access`: for deployments where
//! several application instances share one database.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use customer_access_postgres::SchemaName;
//!
//! let store = customer_access_postgres::connect("postgres://app@db/shop", SchemaName::default_schema()).await?;
//! # Ok(()) }
//! ```
//!
//! - **Tables in their own schema** (default `customer_access`, see [`SchemaName`]), so they
//!   live beside an application's own. Migrations ship inside the crate and run on connect,
//!   under sqlx's advisory lock, so instances starting together do not race.
//! - **Correctness by compare-and-swap**, not by in-process state: every instance can serve
//!   every request. Failed-login counters are compare-and-swapped in the database, so
//!   throttling holds across instances. Write transactions run at READ COMMITTED whatever
//!   the server's default isolation level, the level that compare-and-swap relies on.
//! - **Case-insensitive uniqueness** comes from the core's canonical username key (a plain
//!   `UNIQUE` column), the same rule as every other store, not from collations.
//! - **Errors by kind**: unique violation -> `Duplicate`; connection loss, admin shutdown,
//!   a lock not granted within `lock_timeout`, exhausted retries -> `Unavailable`; never a
//!   panic. Serialization failures and deadlocks (SQLSTATE 40001, 40P01) are retried up to
//!   [`MAX_TRANSIENT_ATTEMPTS`] times.
//! - Timestamps are `BIGINT` milliseconds, secrets only as hashes and digests, every value a
//!   bound parameter (the validated schema name is the only text formatted into SQL).
//! - **One store logic for every database**: the statements and decisions are
//!   `customer-access-sql`'s; this crate adds the PostgreSQL [dialect](PostgresDialect), the
//!   schema and the migrations.
#![forbid(unsafe_code)]

mod dialect;
mod schema;

use customer_access_sql::SqlStore;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub use customer_access_sql::{MAX_TRANSIENT_ATTEMPTS, OpenError};
pub use dialect::PostgresDialect;
pub use schema::{InvalidSchemaName, SCHEMA_VERSION, SchemaName};

/// A [`customer_access::Store`] on PostgreSQL. Cheap to clone (the pool is shared). Open one
/// with [`connect`] or [`from_pool`].
pub type PostgresStore = SqlStore<PostgresDialect>;

/// Connect to `url` with a default pool (10 connections) and migrate `schema`.
///
/// # Errors
/// [`OpenError`] if the server is unreachable or the schema cannot be migrated.
pub async fn connect(url: &str, schema: SchemaName) -> Result<PostgresStore, OpenError> {
    let pool =
        PgPoolOptions::new().max_connections(10).connect(url).await.map_err(|e| OpenError::Connect(Box::new(e)))?;
    from_pool(pool, schema).await
}

/// Use an existing pool (shared with the application) and migrate `schema`.
///
/// # Errors
/// [`OpenError::Migrate`] if the schema cannot be migrated.
pub async fn from_pool(pool: PgPool, schema: SchemaName) -> Result<PostgresStore, OpenError> {
    let store = SqlStore::new(pool, PostgresDialect::new(schema));
    store.migrate().await?;
    Ok(store)
}
