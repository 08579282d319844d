//! Issue 18 through the service: staff reset budgets per staff member, per iPad and per
//! retailer (sliding, refusals change nothing, are audited and alerted), who may read which
//! slice of the audit log, retention, and what an iPad user's events say.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{HOUR, Harness, rep};
use customer_access::{
    Actor, AuditKind, AuditScope, ContactId, DeviceId, InputError, MAX_AUDIT_PAGE, ResetOptions, ServiceError,
    StaffAlert, StaffId, Store,
};

/// The harness of these tests: see `Harness::with_budgets`.
async fn harness() -> Harness {
    Harness::with_budgets(3, 4, 5, &[7, 8]).await
}

async fn contacts(h: &Harness, n: usize) -> Vec<ContactId> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(h.invite(&format!("contact{i}")).await.id);
    }
    ids
}

fn refused_scope(result: Result<customer_access::StaffResetReceipt, ServiceError>) -> AuditScope {
    match result {
        Err(ServiceError::ResetBudgetExceeded { scope, .. }) => scope,
        other => panic!("expected ResetBudgetExceeded, got {other:?}"),
    }
}

#[tokio::test]
async fn each_budget_refuses_on_its_own_and_the_window_slides() {
    let h = harness().await;
    let ids = contacts(&h, 8).await;
    let alerts = Arc::new(Mutex::new(Vec::<StaffAlert>::new()));
    let sink = Arc::clone(&alerts);
    h.service.set_alert_hook(move |a| sink.lock().unwrap().push(a.clone()));

    // Device: three from ipad-a, the fourth refused.
    let a = rep(7, "ipad-a");
    for id in &ids[..3] {
        h.service.staff_reset(&a, *id, ResetOptions::default()).await.unwrap();
    }
    let scope = refused_scope(h.service.staff_reset(&a, ids[3], ResetOptions::default()).await);
    assert_eq!(scope, AuditScope::Device(DeviceId::parse("ipad-a").unwrap()));

    // Staff member: the same rep on another iPad has one more (4 per day), then no more.
    let b = rep(7, "ipad-b");
    h.service.staff_reset(&b, ids[3], ResetOptions::default()).await.unwrap();
    let scope = refused_scope(h.service.staff_reset(&b, ids[4], ResetOptions::default()).await);
    assert_eq!(scope, AuditScope::Staff(StaffId::new(7)));

    // Retailer: another rep gets one (5 per hour for the shop), then the shop is closed to all.
    let c = rep(8, "ipad-c");
    h.service.staff_reset(&c, ids[4], ResetOptions::default()).await.unwrap();
    let scope = refused_scope(h.service.staff_reset(&c, ids[5], ResetOptions::default()).await);
    assert_eq!(scope, AuditScope::Retailer(h.shop.id));
    let scope = refused_scope(h.service.staff_reset(&h.admin, ids[5], ResetOptions::revoking_current_password()).await);
    assert_eq!(scope, AuditScope::Retailer(h.shop.id), "sales admins too, and revoking resets count");

    assert_eq!(alerts.lock().unwrap().len(), 4, "every refusal reaches the hook");
    let first = alerts.lock().unwrap()[0].clone();
    assert_eq!((first.staff, first.contact, first.retailer), (a.clone(), ids[3], h.shop.id));

    // Just over an hour later the device and retailer windows have slid (an event exactly a
    // window old still counts); the staff member's day has not.
    h.clock.advance(HOUR + Duration::from_secs(1));
    h.service.staff_reset(&c, ids[5], ResetOptions::default()).await.unwrap();
    let scope = refused_scope(h.service.staff_reset(&a, ids[6], ResetOptions::default()).await);
    assert_eq!(scope, AuditScope::Staff(StaffId::new(7)));
    h.clock.advance(Duration::from_secs(86_400));
    h.service.staff_reset(&a, ids[6], ResetOptions::default()).await.unwrap();
}

#[tokio::test]
async fn a_refused_reset_changes_nothing_and_is_audited_under_the_rep_and_device() {
    let h = harness().await;
    let ids = contacts(&h, 4).await;
    let a = rep(7, "ipad-a");
    for id in &ids[..3] {
        h.service.staff_reset(&a, *id, ResetOptions::default()).await.unwrap();
    }
    let before = h.store.all_records().into_iter().find(|r| r.contact.id == ids[3]).unwrap();
    let sent = h.mailer.messages().len();
    refused_scope(h.service.staff_reset(&a, ids[3], ResetOptions::revoking_current_password()).await);
    let after = h.store.all_records().into_iter().find(|r| r.contact.id == ids[3]).unwrap();
    assert_eq!(after, before, "no temporary password stored, no password revoked");
    assert_eq!(h.mailer.messages().len(), sent, "nothing e-mailed");
    let last = h.service.audit_log(&h.admin, ids[3]).await.unwrap().pop().unwrap();
    assert_eq!(last.kind, AuditKind::ResetBudgetExceeded);
    assert_eq!(last.actor, Actor::Staff(a), "the event names the rep and the iPad");
    assert_eq!(last.retailer, Some(h.shop.id), "and the retailer they acted for");
}

#[tokio::test]
async fn ipad_users_read_only_their_own_slices_of_the_log() {
    let h = harness().await;
    let ids = contacts(&h, 1).await;
    let a = rep(7, "ipad-a");
    h.service.staff_reset(&a, ids[0], ResetOptions::default()).await.unwrap();
    let other = h.service.create_retailer(&h.admin, "Elsewhere").await.unwrap();

    for scope in [
        AuditScope::Contact(ids[0]),
        AuditScope::Retailer(h.shop.id),
        AuditScope::Staff(StaffId::new(7)),
        AuditScope::Device(DeviceId::parse("ipad-a").unwrap()),
    ] {
        let page = h.service.audit_page(&a, &scope, None, 10).await.unwrap();
        assert!(!page.is_empty(), "{scope}: the rep's own slice");
    }
    for scope in [
        AuditScope::All,
        AuditScope::Retailer(other.id),
        AuditScope::Staff(StaffId::new(8)),
        AuditScope::Device(DeviceId::parse("ipad-b").unwrap()),
    ] {
        let denied = h.service.audit_page(&a, &scope, None, 10).await;
        assert!(matches!(denied, Err(ServiceError::Forbidden)), "{scope}: {denied:?}");
    }
    let denials = h.service.audit_page(&h.admin, &AuditScope::Staff(StaffId::new(7)), None, 100).await.unwrap();
    let denials = denials.iter().filter(|r| r.event.kind == AuditKind::AccessDenied).count();
    assert_eq!(denials, 4, "every refused read is audited");
    for limit in [0, MAX_AUDIT_PAGE + 1] {
        let bad = h.service.audit_page(&h.admin, &AuditScope::All, None, limit).await;
        assert!(matches!(bad, Err(ServiceError::Input(InputError::PageSize { .. }))), "{bad:?}");
    }
}

#[tokio::test]
async fn retention_keeps_the_budget_windows_and_anchors_the_new_base() {
    let h = harness().await;
    let ids = contacts(&h, 2).await;
    h.service.staff_reset(&h.admin, ids[0], ResetOptions::default()).await.unwrap();
    let short = h.service.prune_audit(HOUR).await;
    assert!(matches!(short, Err(ServiceError::Input(InputError::RetentionTooShort { min_secs: 86_400 }))), "{short:?}");
    let head_before = h.service.audit_anchor().await.unwrap();

    h.clock.advance(Duration::from_secs(10 * 86_400));
    h.service.staff_reset(&h.admin, ids[1], ResetOptions::default()).await.unwrap();
    let anchor = h.service.prune_audit(Duration::from_secs(7 * 86_400)).await.unwrap();
    assert_eq!(anchor.link, head_before.link, "everything up to the old head went; it is the base now");
    let verified = h.service.verify_audit(Some(&anchor)).await.unwrap();
    assert_eq!(verified.anchor, customer_access::AnchorCheck::Matched);
    assert!(verified.events > 0, "the newer events stay");
}

/// Verification runs while the application writes and retention prunes: events appended
/// after it read the chain's ends, and the oldest removed under it, are not breaks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verification_while_writing_and_pruning_reports_no_break() {
    let h = harness().await;
    let ids = contacts(&h, 1).await;
    let store = h.store.clone();
    let writer = tokio::spawn(async move {
        for i in 0..3000i64 {
            let event = customer_access::AuditEvent {
                at: customer_access::Timestamp::from_unix_millis(i),
                actor: Actor::System,
                retailer: None,
                contact: Some(ids[0]),
                kind: AuditKind::Unlocked,
            };
            store.append_audit(&[event]).await.unwrap();
            if i % 300 == 0 {
                store.prune_audit(customer_access::Timestamp::from_unix_millis(i - 100)).await.unwrap();
            }
            tokio::task::yield_now().await;
        }
    });
    let mut walks = 0;
    while !writer.is_finished() {
        h.service.verify_audit(None).await.unwrap_or_else(|e| panic!("walk {walks}: {e}"));
        walks += 1;
    }
    writer.await.unwrap();
    assert!(walks > 1, "the walks overlapped the writes");
}
