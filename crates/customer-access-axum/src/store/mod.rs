//! tower-sessions stores on the workspace's own sqlx pools (SQLite and PostgreSQL), so the
//! sessions live in the database the contacts do, survive restarts and are shared by every
//! instance. Each record is sealed: the row is found by a BLAKE2b digest of the session id and
//! the record encrypted (XChaCha20-Poly1305) under a key derived from the id, so the table
//! holds digests and ciphertext, never a session id, a change ticket or who is logged in.
//!
//! Why not `tower-sessions-sqlx-store`: it is built on sqlx 0.8 (the workspace is on 0.9), so
//! it would compile a second sqlx and open its own pools, and it stores session ids and
//! records in plaintext.

mod sealed;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresSessionStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteSessionStore;

/// How often [`ExpiredDeletion::delete_expired`](tower_sessions::ExpiredDeletion::delete_expired)
/// is worth running (a `tokio::spawn`ed loop is enough): expired rows are never loaded, so
/// this only bounds the table's size. Every visit that needs a CSRF token (the login page)
/// starts a session row, so without it a crawler grows the table by a row per visit.
pub const SUGGESTED_CLEANUP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The statements, written once: `$n` parameters work on both drivers.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
macro_rules! session_statements {
    ($store:ident, $pool:ty) => {
        #[async_trait::async_trait]
        impl tower_sessions::SessionStore for $store {
            async fn create(
                &self,
                record: &mut tower_sessions::session::Record,
            ) -> tower_sessions::session_store::Result<()> {
                // A new id until one is free: ids are 128 random bits, so this loops only
                // if the generator is broken; bounded all the same.
                for _ in 0..8 {
                    let sealed = super::sealed::seal(record)?;
                    let sql = format!(
                        "INSERT INTO {} (id, sealed, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
                        self.table
                    );
                    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&super::sealed::row_key(&record.id)[..])
                        .bind(sealed)
                        .bind(super::sealed::unix(record.expiry_date))
                        .execute(&self.pool)
                        .await
                        .map_err(super::backend)?;
                    if done.rows_affected() == 1 {
                        return Ok(());
                    }
                    record.id = tower_sessions::session::Id::default();
                }
                Err(tower_sessions::session_store::Error::Backend("no free session id after 8 tries".into()))
            }

            /// Updates the row only: a session deleted while a request held it (logged
            /// out, rotated away, ended as stale) stays deleted instead of coming back when
            /// that request saves.
            async fn save(
                &self,
                record: &tower_sessions::session::Record,
            ) -> tower_sessions::session_store::Result<()> {
                let sealed = super::sealed::seal(record)?;
                let sql = format!("UPDATE {} SET sealed = $2, expires_at = $3 WHERE id = $1", self.table);
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&super::sealed::row_key(&record.id)[..])
                    .bind(sealed)
                    .bind(super::sealed::unix(record.expiry_date))
                    .execute(&self.pool)
                    .await
                    .map_err(super::backend)?;
                Ok(())
            }

            async fn load(
                &self,
                id: &tower_sessions::session::Id,
            ) -> tower_sessions::session_store::Result<Option<tower_sessions::session::Record>> {
                let sql = format!("SELECT sealed FROM {} WHERE id = $1 AND expires_at > $2", self.table);
                let row: Option<(Vec<u8>,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&super::sealed::row_key(id)[..])
                    .bind(super::sealed::now())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(super::backend)?;
                Ok(row.and_then(|(sealed,)| {
                    let opened = super::sealed::open(id, &sealed);
                    if opened.is_none() {
                        tracing::warn!("a stored session record did not open under its id; treated as no session");
                    }
                    // The column is only an index for cleaning up; the sealed expiry is the
                    // one that counts (a column pushed forward by a table write revives
                    // nothing).
                    opened.filter(|record| record.expiry_date > time::OffsetDateTime::now_utc())
                }))
            }

            async fn delete(&self, id: &tower_sessions::session::Id) -> tower_sessions::session_store::Result<()> {
                let sql = format!("DELETE FROM {} WHERE id = $1", self.table);
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&super::sealed::row_key(id)[..])
                    .execute(&self.pool)
                    .await
                    .map_err(super::backend)?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl tower_sessions::ExpiredDeletion for $store {
            async fn delete_expired(&self) -> tower_sessions::session_store::Result<()> {
                let sql = format!("DELETE FROM {} WHERE expires_at <= $1", self.table);
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(super::sealed::now())
                    .execute(&self.pool)
                    .await
                    .map_err(super::backend)?;
                Ok(())
            }
        }

        impl $store {
            /// The pool the sessions are kept through.
            pub fn pool(&self) -> &$pool {
                &self.pool
            }

            /// How many session rows the table holds (expired ones included until
            /// [`delete_expired`](tower_sessions::ExpiredDeletion::delete_expired) runs).
            ///
            /// # Errors
            /// The database's error.
            pub async fn count(&self) -> Result<i64, sqlx::Error> {
                let sql = format!("SELECT COUNT(*) FROM {}", self.table);
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&self.pool).await?;
                Ok(n)
            }
        }
    };
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) use session_statements;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn backend(e: sqlx::Error) -> tower_sessions::session_store::Error {
    tower_sessions::session_store::Error::Backend(e.to_string())
}
