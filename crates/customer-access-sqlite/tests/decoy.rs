//! The decoy row that makes an unknown username cost what a known one does: read by the same
//! index path as a hit, and checked against the core's decoy on every open.

use customer_access::store::columns::ContactColumns;
use customer_access_sql::OpenError;
use sqlx::{AssertSqlSafe, Row};

/// A hit and a miss must take the same path: two probes of the key index and one table
/// row, never a scan.
#[tokio::test]
async fn a_lookup_probes_the_key_index_twice_and_never_scans() {
    let store = customer_access_sqlite::in_memory().await.unwrap();
    let plan = format!("EXPLAIN QUERY PLAN {}", store.statements().contact_by_key);
    // `EXPLAIN QUERY PLAN` rows are (id, parent, notused, detail).
    let details: Vec<String> = sqlx::query(AssertSqlSafe(plan))
        .bind("anna")
        .bind(ContactColumns::decoy_username_key())
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(3))
        .collect();
    let probes = details.iter().filter(|d| d.starts_with("SEARCH ca_contacts USING") && d.contains("INDEX")).count();
    assert_eq!(probes, 2, "{details:?}");
    assert!(!details.iter().any(|d| d.starts_with("SCAN")), "{details:?}");
}

#[tokio::test]
async fn a_miss_reads_the_decoy_under_the_probed_key() {
    let store = customer_access_sqlite::in_memory().await.unwrap();
    let row = sqlx::query(AssertSqlSafe(store.statements().contact_by_key.clone()))
        .bind("nobody")
        .bind(ContactColumns::decoy_username_key())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>("id"), 0);
    assert_eq!(row.get::<String, _>("username_key"), "nobody");
}

#[tokio::test]
async fn an_altered_decoy_row_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decoy.db");
    let store = customer_access_sqlite::open(&path).await.unwrap();
    sqlx::query(
        "UPDATE ca_contacts SET password_hash = '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g' WHERE id = 0",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    let reopened = customer_access_sqlite::open(&path).await;
    assert!(matches!(reopened, Err(OpenError::Migrate(_))), "{reopened:?}");
}
