//! Sessions in the SQLite file the contacts live in.

use sqlx::SqlitePool;

/// A tower-sessions store in an SQLite database, on a pool of the workspace's sqlx (for
/// example the contact store's own, `store.pool()`). Call [`migrate`](Self::migrate) once at
/// start-up.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use customer_access_axum::store::SqliteSessionStore;
/// let dir = tempfile::tempdir().unwrap();
/// let store = customer_access_sqlite::open(dir.path().join("shop.db")).await.unwrap();
/// let sessions = SqliteSessionStore::new(store.pool().clone());
/// sessions.migrate().await.unwrap();
/// assert_eq!(sessions.count().await.unwrap(), 0);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct SqliteSessionStore {
    pool: SqlitePool,
    table: &'static str,
}

impl SqliteSessionStore {
    /// Sessions in table `customer_access_sessions` of `pool`'s database.
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool, table: "customer_access_sessions" }
    }

    /// Create the table and its expiry index if they do not exist (idempotent).
    ///
    /// # Errors
    /// The database's error.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS customer_access_sessions (
                id BLOB PRIMARY KEY NOT NULL,
                sealed BLOB NOT NULL,
                expires_at INTEGER NOT NULL
            ) WITHOUT ROWID",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "CREATE INDEX IF NOT EXISTS customer_access_sessions_expiry ON customer_access_sessions (expires_at)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}

super::session_statements!(SqliteSessionStore, SqlitePool);
