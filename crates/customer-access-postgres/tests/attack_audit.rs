//! Attacks on the audit chain on PostgreSQL with several instances on one schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use customer_access::{Store, verify_audit};
use sqlx::AssertSqlSafe;

/// Attack (or plain bad luck in a rolling deploy): two instances open a schema that was just
/// upgraded to the chain while it still holds audit rows from before it. Each instance's
/// `migrate()` chains the old rows (`chain_unchained`), but it reads the unchained rows
/// *before* taking the chain's lock and updates them by id without checking they are still
/// unchained. Here a third session holds the chain's lock (as any audited write in progress
/// does) while both instances start, so both read the same three old rows; the first chains
/// them as 1..3, the second then renumbers the same rows 4..6. Expected: the old rows are
/// chained once and the chain verifies (head 3, three events).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_upgrading_together_chain_the_old_rows_once() {
    let Some(setup) = common::pool(4).await else { return };
    let schemas = common::Schemas::default();
    let schema = schemas.fresh();
    let old = customer_access_sql::SqlStore::new(
        setup.clone(),
        customer_access_postgres::PostgresDialect::new(schema.clone()),
    );
    old.migrate_to(5).await.unwrap();
    for (i, actor) in ["sales_admin:5", "ipad_user:7:ipad-1", "system"].iter().enumerate() {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO \"{schema}\".audit (at, actor, retailer_id, contact_id, kind) VALUES ($1, $2, NULL, NULL, \
             'unlocked')"
        )))
        .bind(1_000 + i64::try_from(i).unwrap())
        .bind(*actor)
        .execute(&setup)
        .await
        .unwrap();
    }
    // The schema upgrade itself (the SQL of migration 6), without chaining the old rows yet.
    old.migrate_to(6).await.unwrap();

    // An audited write in progress elsewhere holds the chain's lock.
    let mut holder = setup.begin().await.unwrap();
    sqlx::query(AssertSqlSafe(format!("UPDATE \"{schema}\".audit_chain SET head_seq = head_seq WHERE id = 1")))
        .execute(&mut *holder)
        .await
        .unwrap();

    let starts: Vec<_> = (0..2)
        .map(|_| {
            let schema = schema.clone();
            tokio::spawn(async move {
                let pool = common::pool(2).await.unwrap();
                customer_access_postgres::from_pool(pool, schema).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    holder.commit().await.unwrap();
    for start in starts {
        start.await.unwrap().unwrap();
    }

    let store = customer_access_postgres::from_pool(setup.clone(), schema).await.unwrap();
    let ends = store.audit_chain().await.unwrap();
    let verified = verify_audit(&store, None).await;
    assert!(
        matches!(&verified, Ok(v) if v.events == 3 && ends.head.seq == 3),
        "two instances starting together chained the old rows twice: head {}, verification {verified:?}",
        ends.head.seq
    );
    schemas.drop_all(&setup).await;
}
