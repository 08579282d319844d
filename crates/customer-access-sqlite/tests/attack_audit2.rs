//! Second attack pass on issue 18's review fixes: the end of the verification walk, on a
//! SQLite file edited with plain DML by someone with write access to the database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::time::Duration;

use customer_access::policy::Argon2Settings;
use customer_access::{
    AccessService, AuditBreak, ManualClock, NewContact, RecordingMailer, SecurityPolicy, Staff, StaffId, Timestamp,
    VerifyError,
};
use customer_access_sqlite::SqliteStore;
use sqlx::AssertSqlSafe;

type Service = AccessService<SqliteStore, RecordingMailer, ManualClock>;

async fn sql(service: &Service, text: impl Into<String>) {
    sqlx::query(AssertSqlSafe(text.into())).execute(service.store().pool()).await.unwrap();
}

/// Attack: after retention kept its base event, delete the events right after the base
/// (the oldest events retention has not reached yet: say, the evening's resets), leaving the
/// base row and the chain's ends alone. Verification does fail, but it names the wrong
/// break: `Base` ("the oldest kept event does not follow the chain's base"), although the
/// oldest kept event *is* the recorded base, intact, and what happened is that the events
/// after it were removed (the walk finds `Missing`, then the end-of-walk classification
/// overwrites it because it only accepts the base when it arrives in sequence).
/// Expected: `Missing { first: base + 1, last }` naming exactly the removed events, as the
/// same deletion is named everywhere else in the chain.
#[tokio::test]
async fn events_deleted_just_after_the_kept_base_are_reported_missing() {
    let dir = tempfile::tempdir().unwrap();
    let store = customer_access_sqlite::open(dir.path().join("a.db")).await.unwrap();
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let service = AccessService::new(store, RecordingMailer::new(), clock.clone(), policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let invite = |i: usize| NewContact {
        retailer: shop.id,
        username: format!("contact{i}"),
        email: format!("c{i}@shop.example"),
        display_name: "C".to_owned(),
        preferences: Default::default(),
    };
    for i in 0..3 {
        service.invite(&admin, &invite(i)).await.unwrap();
    }
    let window = service.policy().staff_reset_budgets.longest_window();
    clock.advance(window + Duration::from_secs(3600));
    for i in 3..8 {
        service.invite(&admin, &invite(i)).await.unwrap();
        clock.advance(Duration::from_secs(60));
    }
    let base = service.prune_audit(window).await.unwrap().link.seq;
    assert!(base > 0, "precondition: retention moved the base");
    service.verify_audit(None).await.expect("precondition: the pruned log verifies");

    sql(&service, format!("DELETE FROM ca_audit WHERE seq IN ({}, {})", base + 1, base + 2)).await;
    let verified = service.verify_audit(None).await;
    assert!(
        matches!(
            verified,
            Err(VerifyError::Broken(AuditBreak::Missing { first, last })) if first == base + 1 && last == base + 2
        ),
        "events {} and {} after the intact base {base} were deleted; verification said {verified:?}",
        base + 1,
        base + 2
    );
}
