//! Attacks on the audit chain in a SQLite file by someone with write access to the database
//! (plain DML only: no DDL, no dropped triggers), checked with the service's own
//! `verify_audit`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::time::Duration;

use customer_access::policy::{Argon2Settings, Budget};
use customer_access::{
    AccessService, AuditBreak, AuditKind, AuditScope, ContactId, DeviceId, ManualClock, NewContact, RecordingMailer,
    ResetOptions, SecurityPolicy, Staff, StaffId, Store, Timestamp, VerifyError,
};
use customer_access_sqlite::SqliteStore;
use sqlx::AssertSqlSafe;

type Service = AccessService<SqliteStore, RecordingMailer, ManualClock>;

struct Setup {
    service: Service,
    admin: Staff,
    rep: Staff,
    contacts: Vec<ContactId>,
    _dir: tempfile::TempDir,
}

/// A SQLite file with a shop of `n` contacts; iPad user 7 (`ipad-a`) manages it; budgets of
/// 2 per iPad per hour, 30 per staff member per day, 20 per retailer per hour.
async fn setup(n: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = customer_access_sqlite::open(dir.path().join("a.db")).await.unwrap();
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    policy.staff_reset_budgets.per_device = Budget::new(2, Duration::from_secs(3600));
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let service = AccessService::new(store, RecordingMailer::new(), clock, policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let rep = Staff::IpadUser { staff_id: StaffId::new(7), device_id: DeviceId::parse("ipad-a").unwrap() };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    service.store().assign_retailer(StaffId::new(7), shop.id).await.unwrap();
    let mut contacts = Vec::new();
    for i in 0..n {
        let new = NewContact {
            retailer: shop.id,
            username: format!("contact{i}"),
            email: format!("c{i}@shop.example"),
            display_name: "C".to_owned(),
            preferences: Default::default(),
        };
        contacts.push(service.invite(&admin, &new).await.unwrap().id);
    }
    Setup { service, admin, rep, contacts, _dir: dir }
}

async fn sql(service: &Service, text: impl Into<String>) {
    sqlx::query(AssertSqlSafe(text.into())).execute(service.store().pool()).await.unwrap();
}

async fn hash_at(service: &Service, seq: u64) -> String {
    let row = service.store().audit_page(&AuditScope::All, Some(seq + 1), 1).await.unwrap().remove(0);
    assert_eq!(row.seq, seq);
    row.hash.to_string()
}

/// Attack: hide which rep and which iPad issued resets by rewriting the `staff_id` and
/// `device_id` columns (copies of the actor that the chain's hash does not cover). The
/// staff and device slices of the log no longer show the resets, and the budgets, which
/// count those columns, forget them: the rep gets fresh resets. Expected: `verify_audit`
/// reports the rows as altered.
#[tokio::test]
async fn rewritten_staff_and_device_columns_are_caught_by_verification() {
    let s = setup(3).await;
    for id in &s.contacts[..2] {
        s.service.staff_reset(&s.rep, *id, ResetOptions::default()).await.unwrap();
    }
    sql(&s.service, "UPDATE ca_audit SET staff_id = 999, device_id = 'elsewhere' WHERE staff_id = 7").await;
    let by_rep = s.service.audit_page(&s.admin, &AuditScope::Staff(StaffId::new(7)), None, 100).await.unwrap();
    assert!(by_rep.is_empty(), "precondition: the rep's slice is now empty");
    let third = s.service.staff_reset(&s.rep, s.contacts[2], ResetOptions::default()).await;
    let verified = s.service.verify_audit(None).await;
    assert!(
        matches!(verified, Err(VerifyError::Broken(AuditBreak::Altered { .. }))),
        "the rows were edited but the chain verifies ({verified:?}); meanwhile a third reset from the iPad \
         with a budget of 2 returned {third:?}"
    );
}

/// Attack: forge an event at sequence number i64::MAX. `verify_audit` pages with
/// `seq < i64::MAX` when it starts from the newest, so it never reads that row, while the
/// contact's audit log (`audit_log`) shows the forged event. Expected: verification
/// reports it (an event beyond the head).
#[tokio::test]
async fn a_row_at_the_largest_sequence_number_is_seen_by_verification() {
    let s = setup(1).await;
    let victim = s.contacts[0];
    let zeros = "0".repeat(64);
    sql(
        &s.service,
        format!(
            "INSERT INTO ca_audit (seq, prev_hash, hash, at, actor, staff_id, device_id, retailer_id, contact_id, kind) \
             VALUES ({}, '{zeros}', '{zeros}', 1795828920000, 'contact:{}', NULL, NULL, 1, {}, 'password_set')",
            i64::MAX,
            victim.get(),
            victim.get()
        ),
    )
    .await;
    let log = s.service.audit_log(&s.admin, victim).await.unwrap();
    assert!(log.iter().any(|e| e.kind == AuditKind::PasswordSet), "precondition: the forged event is shown");
    let verified = s.service.verify_audit(None).await;
    assert!(
        matches!(verified, Err(VerifyError::Broken(AuditBreak::BeyondHead { .. }))),
        "a forged event outside the chain is shown to staff, and the chain verifies: {verified:?}"
    );
}

/// Attack: the same with a text sequence number (SQLite keeps 'x' in an INTEGER column, and
/// the trigger only refuses NULL). Text sorts after every integer, so `seq < ?` never
/// matches it and verification never reads it; the budget counts do (`count(*)` decodes
/// nothing): a forged `staff_reset_issued` for the iPad uses up its budget. Expected:
/// refused by the schema, or reported by verification.
#[tokio::test]
async fn a_row_with_a_text_sequence_number_is_seen_by_verification() {
    let s = setup(1).await;
    let zeros = "0".repeat(64);
    let inserted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO ca_audit (seq, prev_hash, hash, at, actor, staff_id, device_id, retailer_id, contact_id, kind) \
         VALUES ('x', '{zeros}', '{zeros}', 1795828920000, 'ipad_user:7:ipad-a', 7, 'ipad-a', 1, NULL, \
         'staff_reset_issued'), ('y', '{zeros}', '{zeros}', 1795828920000, 'ipad_user:7:ipad-a', 7, 'ipad-a', 1, \
         NULL, 'staff_reset_issued')"
    )))
    .execute(s.service.store().pool())
    .await;
    if inserted.is_err() {
        return; // refused by the schema: safe
    }
    let refused = s.service.staff_reset(&s.rep, s.contacts[0], ResetOptions::default()).await;
    let verified = s.service.verify_audit(None).await;
    assert!(
        matches!(verified, Err(VerifyError::Broken(_))),
        "rows outside the chain are invisible to verification ({verified:?}) but counted by the budget: {refused:?}"
    );
}

/// Attack: retention forged by hand. Delete every event but the newest (here: the last
/// minutes' invitations and resets, well inside every budget window and any retention) and
/// move the chain's base to the last deleted event, as `prune_audit` would. Even against an
/// anchor cut at the head just before, this verifies as intact and `Matched`. Expected:
/// deleting events younger than the retention the service allows is reported (for
/// instance: keep the base event's row, whose `at` the anchored chain vouches for, and
/// check it is older than the longest budget window).
#[tokio::test]
async fn young_events_deleted_as_if_pruned_are_caught_against_the_newest_anchor() {
    let s = setup(3).await;
    for id in &s.contacts[..2] {
        s.service.staff_reset(&s.rep, *id, ResetOptions::default()).await.unwrap();
    }
    let anchor = s.service.audit_anchor().await.unwrap();
    let head = anchor.link.seq;
    let base_hash = hash_at(&s.service, head - 1).await;
    sql(&s.service, format!("DELETE FROM ca_audit WHERE seq < {head}")).await;
    sql(&s.service, format!("UPDATE ca_audit_chain SET base_seq = {}, base_hash = '{base_hash}'", head - 1)).await;
    let after = s.service.staff_reset(&s.rep, s.contacts[2], ResetOptions::default()).await;
    let verified = s.service.verify_audit(Some(&anchor)).await;
    assert!(
        verified.is_err(),
        "{} events of the last minutes deleted, verification says {verified:?}; the iPad's spent budget came back: \
         {after:?}",
        head - 1
    );
}

/// Attack: the same forged retention, past the anchor the operator holds (cut a moment
/// earlier). Verification answers `Ok` with `AnchorCheck::BeforeBase`, so the anchor proves
/// nothing and nothing is reported. Expected: an error (a base beyond an anchor that is
/// younger than the shortest allowed retention cannot come from `prune_audit`).
#[tokio::test]
async fn an_anchor_overtaken_by_a_forged_base_is_not_reported_as_intact() {
    let s = setup(3).await;
    let anchor = s.service.audit_anchor().await.unwrap();
    s.service.staff_reset(&s.rep, s.contacts[0], ResetOptions::default()).await.unwrap();
    s.service.staff_reset(&s.admin, s.contacts[1], ResetOptions::default()).await.unwrap();
    let head = s.service.audit_anchor().await.unwrap().link.seq;
    let base_hash = hash_at(&s.service, head - 1).await;
    sql(&s.service, format!("DELETE FROM ca_audit WHERE seq < {head}")).await;
    sql(&s.service, format!("UPDATE ca_audit_chain SET base_seq = {}, base_hash = '{base_hash}'", head - 1)).await;
    let verified = s.service.verify_audit(Some(&anchor)).await;
    assert!(verified.is_err(), "every event but the newest deleted, verification says {verified:?}");
}

/// Attack: make one event unreadable (an unknown kind). Verification failed as a store error
/// that named no event. Expected: verification names the edited event (`Altered { seq: 3 }`)
/// like any other edit; pages holding the row answer `Corrupt` (never a log with the row
/// silently left out).
#[tokio::test]
async fn an_event_with_an_unknown_kind_is_named_as_altered() {
    let s = setup(2).await;
    sql(&s.service, "UPDATE ca_audit SET kind = 'nothing_happened' WHERE seq = 3").await;
    let verified = s.service.verify_audit(None).await;
    assert!(
        matches!(verified, Err(VerifyError::Broken(AuditBreak::Altered { seq: 3 }))),
        "an edited row is reported as {verified:?}"
    );
    // Readers of a page holding the row get a typed Corrupt error rather than a log with the
    // row silently left out: an edited log is not shown as if it were whole.
    let page = s.service.audit_page(&s.admin, &AuditScope::All, None, 10).await;
    assert!(
        matches!(&page, Err(customer_access::ServiceError::Store(e)) if e.kind() == customer_access::store::StoreErrorKind::Corrupt),
        "{page:?}"
    );
}
