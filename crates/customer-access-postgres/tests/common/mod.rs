//! Connecting to the test server: `CUSTOMER_ACCESS_PG_URL` (default the local server,
//! database `test`, user `postgres`). Without a server the tests say so loudly and skip;
//! with `CUSTOMER_ACCESS_REQUIRE_PG=1` (set by `.ci/run`) a missing server is a failure.
//! Every store gets a schema of its own, so runs never see each other's rows.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use customer_access_postgres::{PostgresStore, SchemaName};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn url() -> String {
    std::env::var("CUSTOMER_ACCESS_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A pool to the test server, or `None` (after a loud message) when there is none and it
/// is not required.
pub async fn pool(max_connections: u32) -> Option<PgPool> {
    let url = url();
    let options = PgPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(5));
    match options.connect(&url).await {
        Ok(pool) => Some(pool),
        Err(e) if std::env::var("CUSTOMER_ACCESS_REQUIRE_PG").as_deref() == Ok("1") => {
            panic!("PostgreSQL required (CUSTOMER_ACCESS_REQUIRE_PG=1) but unreachable at {url}: {e}")
        }
        Err(e) => {
            eprintln!(
                "\n*** SKIPPED: no PostgreSQL at {url} ({e}). Set CUSTOMER_ACCESS_PG_URL, or CUSTOMER_ACCESS_REQUIRE_PG=1 to fail instead. ***\n"
            );
            None
        }
    }
}

/// The schemas one test created; [`Schemas::drop_all`] removes exactly those (tests in one
/// binary run in parallel, so a test must never drop another's).
#[derive(Default)]
pub struct Schemas(std::sync::Mutex<Vec<SchemaName>>);

impl Schemas {
    /// A fresh schema name, unique to this process and call.
    pub fn fresh(&self) -> SchemaName {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().map(|d| d.subsec_nanos()).unwrap_or(0);
        let name = format!("ca_test_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let schema = SchemaName::parse(&name).unwrap();
        self.0.lock().unwrap().push(schema.clone());
        schema
    }

    /// A migrated store in a fresh schema.
    pub async fn store(&self, pool: &PgPool) -> PostgresStore {
        customer_access_postgres::from_pool(pool.clone(), self.fresh()).await.unwrap()
    }

    /// Drop every schema made through `self`.
    pub async fn drop_all(&self, pool: &PgPool) {
        let schemas = std::mem::take(&mut *self.0.lock().unwrap());
        for schema in schemas {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")))
                .execute(pool)
                .await
                .unwrap();
        }
    }
}
pub mod cluster;
