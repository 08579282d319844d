//! The audit chain in a SQLite file: tampering with plain SQL is caught, rows written before
//! the chain existed are chained on upgrade, and a store reopened on the file continues it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access::{
    Actor, AuditEvent, AuditKind, AuditScope, DeviceId, Staff, StaffId, Store, Timestamp, verify_audit,
};
use customer_access_conformance::tamper::{Sql, tampering_is_caught};
use customer_access_sqlite::SqliteStore;
use sqlx::AssertSqlSafe;

fn sql_on(store: &SqliteStore) -> Sql {
    let pool = store.pool().clone();
    Box::new(move |text: String| {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query(AssertSqlSafe(text)).execute(&pool).await.unwrap();
        })
    })
}

#[tokio::test]
async fn tampering_with_plain_sql_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    let fresh = || async {
        let path = dir.path().join(format!("t{}.db", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
        let store = customer_access_sqlite::open(path).await.unwrap();
        let sql = sql_on(&store);
        (store, sql)
    };
    tampering_is_caught(fresh, "ca_audit", "ca_audit_chain").await;
}

/// A file from before the chain (schema 5) keeps its audit rows: opening it with this
/// version chains them, oldest first, fills in the staff and device columns, and later
/// events continue the chain.
#[tokio::test]
async fn rows_from_before_the_chain_are_chained_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let old = customer_access_sqlite::open_unmigrated(&path).await.unwrap();
    old.migrate_to(5).await.unwrap();
    for (i, actor) in ["sales_admin:5", "ipad_user:7:ipad-1", "system"].iter().enumerate() {
        sqlx::query(
            "INSERT INTO ca_audit (at, actor, retailer_id, contact_id, kind) VALUES ($1, $2, NULL, NULL, 'unlocked')",
        )
        .bind(1_000 + i64::try_from(i).unwrap())
        .bind(*actor)
        .execute(old.pool())
        .await
        .unwrap();
    }
    old.close().await;

    let store = customer_access_sqlite::open(&path).await.unwrap();
    let ends = store.audit_chain().await.unwrap();
    assert_eq!(ends.head.seq, 3, "every old row got its place");
    let verified = verify_audit(&store, None).await.unwrap();
    assert_eq!(verified.events, 3);
    let by_device = store.audit_page(&AuditScope::Device(DeviceId::parse("ipad-1").unwrap()), None, 10).await.unwrap();
    assert_eq!(by_device.len(), 1, "the device column was filled in from the actor");
    assert_eq!(by_device[0].seq, 2, "in the order they were written");
    let by_staff = store.audit_page(&AuditScope::Staff(StaffId::new(5)), None, 10).await.unwrap();
    assert_eq!(by_staff.len(), 1);

    let admin = Actor::Staff(Staff::SalesAdmin { staff_id: StaffId::new(5) });
    let event = AuditEvent {
        at: Timestamp::from_unix_millis(2_000),
        actor: admin,
        retailer: None,
        contact: None,
        kind: AuditKind::Unlocked,
    };
    store.append_audit(&[event]).await.unwrap();
    store.close().await;
    let reopened = customer_access_sqlite::open(&path).await.unwrap();
    assert_eq!(verify_audit(&reopened, None).await.unwrap().events, 4, "reopening continues the same chain");
}

/// A row without its place in the chain is refused by the schema: nothing can add events
/// verification would not see, or that a later upgrade would adopt.
#[tokio::test]
async fn unchained_rows_are_refused() {
    let store = customer_access_sqlite::in_memory().await.unwrap();
    let insert = sqlx::query("INSERT INTO ca_audit (at, actor, kind) VALUES (1, 'system', 'unlocked')")
        .execute(store.pool())
        .await;
    assert!(insert.unwrap_err().to_string().contains("must be chained"));
    store
        .append_audit(&[AuditEvent {
            at: Timestamp::from_unix_millis(1),
            actor: Actor::System,
            retailer: None,
            contact: None,
            kind: AuditKind::Unlocked,
        }])
        .await
        .unwrap();
    let unlink = sqlx::query("UPDATE ca_audit SET seq = NULL").execute(store.pool()).await;
    assert!(unlink.unwrap_err().to_string().contains("must be chained"));
}

/// Even with the trigger dropped (someone with DDL rights), a row added after the upgrade
/// without a place in the chain is not adopted when the store opens again: only rows from
/// before the chain are.
#[tokio::test]
async fn rows_added_after_the_upgrade_are_never_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let store = customer_access_sqlite::open(&path).await.unwrap();
    sqlx::query("DROP TRIGGER ca_audit_chained_insert").execute(store.pool()).await.unwrap();
    sqlx::query("INSERT INTO ca_audit (at, actor, kind) VALUES (1, 'system', 'unlocked')")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let reopened = customer_access_sqlite::open(&path).await.unwrap();
    assert_eq!(reopened.audit_chain().await.unwrap().head.seq, 0, "the planted row was not chained");
}
