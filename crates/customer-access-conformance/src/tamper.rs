//! Tampering with a SQL store's audit rows behind its back, as someone with write access to
//! the database would, and checking that [`verify_audit`] catches each change.
//!
//! For SQL stores only: the checks need a way to run plain SQL ([`Sql`]) and the names of
//! the `audit` and `audit_chain` tables. Each scenario runs on a fresh store.

use std::future::Future;
use std::pin::Pin;

use customer_access::{
    AuditAnchor, AuditBreak, AuditKind, AuditScope, ChainLink, Store, VerifyError, cut_anchor, verify_audit,
};

use crate::fixtures::{at, event, ipad, new_contact};

/// Runs one SQL statement (no parameters, no result) on the store's database; panics on
/// failure.
pub type Sql = Box<dyn Fn(String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Events each scenario writes before tampering (sequence numbers 1..=6).
const EVENTS: u64 = 6;

async fn populate<S: Store>(store: &S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    let anna = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap().contact.id;
    for i in 0..EVENTS {
        let kind = if i % 2 == 0 { AuditKind::StaffResetIssued } else { AuditKind::ResetEmailSent };
        store.append_audit(&[event(Some(anna), shop.id, kind, ipad(), i64::try_from(i).unwrap())]).await.unwrap();
    }
}

async fn broken<S: Store>(store: &S, anchor: Option<&AuditAnchor>) -> AuditBreak {
    match verify_audit(store, anchor).await {
        Err(VerifyError::Broken(b)) => b,
        other => panic!("the tampering must be caught, got {other:?}"),
    }
}

/// Every way of tampering the issue names: an edited row, a deleted row, the oldest rows
/// deleted, a row slipped in beyond the head, two rows swapped,
/// an edit whose row hash was recomputed, the newest rows cut off with the head moved back,
/// and the whole chain rebuilt. `fresh` makes an empty store and its [`Sql`]; `audit` and
/// `chain` are the tables' full names (e.g. `ca_audit`, `"schema".audit_chain`).
///
/// # Panics
/// When a tampering goes unnoticed or is named wrongly.
pub async fn tampering_is_caught<S, F, Fut>(fresh: F, audit: &str, chain: &str)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = (S, Sql)>,
{
    // An edited row.
    let (store, sql) = fresh().await;
    populate(&store).await;
    verify_audit(&store, None).await.expect("an untouched chain verifies");
    sql(format!("UPDATE {audit} SET kind = 'unlocked' WHERE seq = 3")).await;
    assert_eq!(broken(&store, None).await, AuditBreak::Altered { seq: 3 });

    // A deleted row.
    let (store, sql) = fresh().await;
    populate(&store).await;
    sql(format!("DELETE FROM {audit} WHERE seq = 4")).await;
    assert_eq!(broken(&store, None).await, AuditBreak::Missing { first: 4, last: 4 });

    // The oldest rows deleted, the base left alone.
    let (store, sql) = fresh().await;
    populate(&store).await;
    sql(format!("DELETE FROM {audit} WHERE seq <= 2")).await;
    assert_eq!(broken(&store, None).await, AuditBreak::Missing { first: 1, last: 2 });

    // A row slipped in beyond the head, the head left alone.
    let (store, sql) = fresh().await;
    populate(&store).await;
    let head = store.audit_chain().await.unwrap().head;
    let extra = head.next(event(None, customer_access::RetailerId::new(1), AuditKind::Unlocked, ipad(), 9));
    sql(format!(
        "INSERT INTO {audit} (seq, prev_hash, hash, at, actor, staff_id, device_id, retailer_id, kind) \
         VALUES ({}, '{}', '{}', {}, '{}', 77, 'ipad-7:B', 1, 'unlocked')",
        extra.seq,
        extra.prev,
        extra.hash,
        extra.event.at.unix_millis(),
        extra.event.actor.encode()
    ))
    .await;
    assert_eq!(broken(&store, None).await, AuditBreak::BeyondHead { seq: EVENTS + 1 });

    // Two rows swapped (their places exchanged).
    let (store, sql) = fresh().await;
    populate(&store).await;
    sql(format!("UPDATE {audit} SET seq = 1000000 WHERE seq = 2")).await;
    sql(format!("UPDATE {audit} SET seq = 2 WHERE seq = 3")).await;
    sql(format!("UPDATE {audit} SET seq = 3 WHERE seq = 1000000")).await;
    assert_eq!(broken(&store, None).await, AuditBreak::Altered { seq: 2 });

    // An edit whose row hash was recomputed: the next row's link gives it away.
    let (store, sql) = fresh().await;
    populate(&store).await;
    let row = store.audit_page(&AuditScope::All, Some(4), 1).await.unwrap().remove(0);
    let mut edited = row.event.clone();
    edited.kind = AuditKind::Unlocked;
    let forged = ChainLink { seq: row.seq - 1, hash: row.prev }.next(edited);
    sql(format!("UPDATE {audit} SET kind = 'unlocked', hash = '{}' WHERE seq = 3", forged.hash)).await;
    assert_eq!(broken(&store, None).await, AuditBreak::Altered { seq: 3 });

    // The newest rows cut off and the head moved back: only an anchor shows it.
    let (store, sql) = fresh().await;
    populate(&store).await;
    let anchor = cut_anchor(&store, at(100)).await.unwrap();
    let fourth = store.audit_page(&AuditScope::All, Some(5), 1).await.unwrap().remove(0);
    sql(format!("DELETE FROM {audit} WHERE seq > 4")).await;
    sql(format!("UPDATE {chain} SET head_seq = 4, head_hash = '{}'", fourth.hash)).await;
    verify_audit(&store, None).await.expect("a clean cut is consistent on its own");
    assert_eq!(broken(&store, Some(&anchor)).await, AuditBreak::Truncated { head_seq: 4, anchor_seq: EVENTS });

    // The whole chain rebuilt around an edit: consistent on its own, but not with the anchor.
    let (store, sql) = fresh().await;
    populate(&store).await;
    let anchor = cut_anchor(&store, at(100)).await.unwrap();
    let mut rows = store.audit_page(&AuditScope::All, None, 100).await.unwrap();
    rows.reverse();
    rows[1].event.kind = AuditKind::Unlocked;
    let (forged, head) = ChainLink::GENESIS.extend(rows.into_iter().map(|r| r.event));
    for r in &forged {
        sql(format!(
            "UPDATE {audit} SET kind = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
            r.event.kind.code(),
            r.prev,
            r.hash,
            r.seq
        ))
        .await;
    }
    sql(format!("UPDATE {chain} SET head_hash = '{}'", head.hash)).await;
    verify_audit(&store, None).await.expect("a full rebuild is consistent on its own (why anchors exist)");
    assert_eq!(broken(&store, Some(&anchor)).await, AuditBreak::AnchorMismatch { seq: EVENTS });
}
