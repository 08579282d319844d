//! Attack review of the bulk import (issue #16) over SQLite: two service instances on two
//! pools over one database file import the same file at once, with e-mail changes among the
//! rows, and the result must be what one import would have left.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access::import::ImportRow;
use customer_access::policy::Argon2Settings;
use customer_access::{AccessService, ManualClock, RecordingMailer, SecurityPolicy, Staff, StaffId, Store, Timestamp};
use customer_access_sqlite::SqliteStore;

type Service = AccessService<SqliteStore, RecordingMailer, ManualClock>;

fn policy() -> SecurityPolicy {
    let mut p = SecurityPolicy::default();
    p.argon2 = Argon2Settings::danger_insecure_for_tests();
    p
}

fn row(i: usize, email_domain: &str) -> ImportRow {
    ImportRow {
        external_id: format!("C-{i}"),
        retailer_external_id: format!("R-{}", i % 7),
        retailer_name: format!("Shop {}", i % 7),
        username: format!("user{i}"),
        email: format!("user{i}@{email_domain}"),
        display_name: format!("Contact {i}"),
        login_enabled: true,
        password_hash: None,
    }
}

fn lines(rows: impl IntoIterator<Item = ImportRow>) -> Vec<(u64, ImportRow)> {
    rows.into_iter().enumerate().map(|(i, r)| (i as u64 + 2, r)).collect()
}

/// The same 1,200-row file imported by two instances at once, then a changed file (every
/// third row with a new address) by both at once: every contact created once with its
/// external id, every changed contact's previous address told, the audit chain whole, and a third run
/// changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_importing_one_file_at_once_leave_what_one_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("import.db");
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let mailer = RecordingMailer::new();
    let a: Service =
        AccessService::new(customer_access_sqlite::open(&path).await.unwrap(), mailer.clone(), clock.clone(), policy())
            .unwrap();
    let b: Service =
        AccessService::new(customer_access_sqlite::open(&path).await.unwrap(), mailer.clone(), clock.clone(), policy())
            .unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    const N: usize = 1200;

    let file = || lines((0..N).map(|i| row(i, "example.com")));
    let (ra, rb) = tokio::join!(a.import(&admin, file()), b.import(&admin, file()));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(ra.refused.is_empty() && rb.refused.is_empty(), "{:?} {:?}", ra.refused.first(), rb.refused.first());
    assert_eq!(ra.created + rb.created, N as u64, "each contact created once: {ra:?} {rb:?}");
    assert_eq!(ra.unchanged + rb.unchanged, N as u64, "and found by the other: {ra:?} {rb:?}");

    let changed = || lines((0..N).map(|i| row(i, if i % 3 == 0 { "moved.example" } else { "example.com" })));
    let (ra, rb) = tokio::join!(a.import(&admin, changed()), b.import(&admin, changed()));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(ra.refused.is_empty() && rb.refused.is_empty(), "{:?} {:?}", ra.refused.first(), rb.refused.first());
    assert_eq!(ra.updated + rb.updated, (N / 3) as u64, "each change applied once: {ra:?} {rb:?}");
    // Notices go out before the write, so an instance that loses the race has told the
    // previous address too: each changed contact's previous address hears once or twice
    // (once per instance), and no other address hears anything.
    let mut told = std::collections::HashMap::new();
    for message in mailer.messages() {
        *told.entry(message.to.as_str().to_owned()).or_insert(0) += 1;
    }
    assert_eq!(told.len(), N / 3, "every changed contact's previous address, and only those");
    assert!(told.iter().all(|(to, n)| to.ends_with("@example.com") && (1..=2).contains(n)), "{told:?}");

    let retailers = a.store().retailers().await.unwrap();
    assert_eq!(retailers.len(), 7, "each retailer created once");
    let mut contacts = 0;
    for r in &retailers {
        contacts += a.store().contacts_of_retailer(r.id).await.unwrap().len();
    }
    assert_eq!(contacts, N);
    a.verify_audit(None).await.unwrap();
    let third = a.import(&admin, changed()).await.unwrap();
    assert_eq!(third.unchanged, N as u64, "{third:?}");
}
