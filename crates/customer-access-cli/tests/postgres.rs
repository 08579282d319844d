//! `customer-access audit verify|anchor --postgres` against the real server
//! (`CUSTOMER_ACCESS_PG_URL`, default the local one, database `test`), each run in a schema
//! of its own, dropped afterwards. Without a server the test says so loudly and skips; with
//! `CUSTOMER_ACCESS_REQUIRE_PG=1` (set by `.ci/run`) a missing server is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use common::{Run, events, run};
use customer_access::Store;
use customer_access_postgres::SchemaName;
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, PgPool};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn url() -> String {
    std::env::var("CUSTOMER_ACCESS_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A pool to the test server, or `None` (after a loud message) when there is none and it is
/// not required.
async fn pool() -> Option<PgPool> {
    let url = url();
    let options = PgPoolOptions::new().max_connections(2).acquire_timeout(Duration::from_secs(5));
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

/// A schema name unique to this process and call.
fn fresh_schema(tag: &str) -> SchemaName {
    let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().map(|d| d.subsec_nanos()).unwrap_or(0);
    SchemaName::parse(&format!("ca_cli_{tag}_{}_{nanos}", std::process::id())).unwrap()
}

fn pg(command: &str, schema: &SchemaName, extra: &[&str]) -> Run {
    let url = url();
    let mut args = vec!["audit", command, "--postgres", &url, "--schema", schema.as_str()];
    args.extend(extra);
    run(args)
}

async fn exec(pool: &PgPool, sql: String) {
    sqlx::query(AssertSqlSafe(sql)).execute(pool).await.unwrap();
}

#[tokio::test]
async fn verify_exits_0_when_intact_and_1_when_an_event_was_altered() {
    let Some(pool) = pool().await else { return };
    let schema = fresh_schema("verify");
    let store = customer_access_postgres::from_pool(pool.clone(), schema.clone()).await.unwrap();
    let shop = store.create_retailer("Shop").await.unwrap();
    store.append_audit(&events(shop.id, 5)).await.unwrap();

    // Every run first, then the schema dropped, then the assertions: a failure leaves no schema.
    let intact = pg("verify", &schema, &[]);
    let cut = pg("anchor", &schema, &[]);
    let anchored = pg("verify", &schema, &["--anchor", cut.stdout.trim_end()]);
    exec(&pool, format!("UPDATE \"{schema}\".audit SET kind = 'unlocked' WHERE seq = 2")).await;
    let altered = pg("verify", &schema, &[]);
    let refused = pg("anchor", &schema, &[]);
    exec(&pool, format!("DROP SCHEMA \"{schema}\" CASCADE")).await;

    assert_eq!(intact.code, 0, "{intact:?}");
    assert!(intact.stdout.contains("5 events checked") && intact.stdout.contains("head 5"), "{intact:?}");
    assert_eq!(cut.code, 0, "{cut:?}");
    assert!(cut.stdout.starts_with("customer-access-audit-anchor v1 5 "), "{cut:?}");
    assert_eq!(anchored.code, 0, "{anchored:?}");
    assert!(anchored.stdout.contains("anchor at 5 matched"), "{anchored:?}");
    assert_eq!(altered.code, 1, "{altered:?}");
    assert!(altered.stdout.contains("audit event 2 was changed"), "{altered:?}");
    assert_eq!((refused.code, refused.stdout.as_str()), (1, ""), "{refused:?}");
}

#[tokio::test]
async fn a_missing_schema_exits_2_and_is_not_created() {
    let Some(pool) = pool().await else { return };
    let schema = fresh_schema("missing");
    let r = pg("verify", &schema, &[]);
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
        .bind(schema.as_str())
        .fetch_one(&pool)
        .await
        .unwrap();
    if exists {
        exec(&pool, format!("DROP SCHEMA \"{schema}\" CASCADE")).await;
    }
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains(&format!("PostgreSQL schema {schema}")), "{r:?}");
    assert!(!exists, "the tool never migrates, so never creates the schema");
}

#[tokio::test]
async fn an_unreachable_server_exits_2_without_echoing_the_url() {
    // Port 1 on loopback: refused at once. The password must not reach the output.
    let r = run([
        "audit",
        "verify",
        "--postgres",
        "postgres://someone:s3cret-pw@127.0.0.1:1/test",
        "--schema",
        "customer_access",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("cannot connect to PostgreSQL"), "{r:?}");
    assert!(!r.output().contains("s3cret-pw"), "{r:?}");
}
