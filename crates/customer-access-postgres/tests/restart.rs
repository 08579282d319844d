//! Issue #20, faults: the database restarts (a fast shutdown, then a SIGKILL of every server
//! process) in the middle of concurrent logins, resets and password changes from two service
//! instances. Every call completes or fails with a typed `Unavailable` within its time
//! limit; afterwards no credential change is lost or applied twice, every audit event
//! matches its change, the audit chain verifies, and both instances work again without
//! being restarted.
//!
//! Runs on a throwaway cluster of its own (`common::cluster`), never the shared server.
//! The short form (one fast shutdown and one kill, about 20 s) runs on every `cargo test`
//! where PostgreSQL's server programs are installed; the full form repeats the cycle:
//! `CUSTOMER_ACCESS_FAULT_CYCLES=10 cargo test -p customer-access-postgres --test restart`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]
#![allow(clippy::disallowed_methods, reason = "the test measures how long calls take")]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use customer_access::policy::{Argon2Settings, Budget};
use customer_access::secrecy::SecretString;
use customer_access::store::StoreErrorKind;
use customer_access::{
    AccessService, AuditKind, ContactId, LoginOutcome, RecordingMailer, ResetOptions, SecurityPolicy, ServiceError,
    Staff, StaffId, Store, SystemClock,
};
use customer_access_conformance::support::contact_with_password;
use customer_access_postgres::{PostgresStore, SchemaName};
use sqlx::postgres::PgPoolOptions;

use common::cluster::Cluster;

type Service = AccessService<PostgresStore, RecordingMailer, SystemClock>;

/// Contacts worked on at once (one task each, alternating between the two instances).
const CONTACTS: usize = 8;
/// No call may take longer than this, however the database fails.
const CALL_LIMIT: Duration = Duration::from_secs(15);

fn policy() -> SecurityPolicy {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    // The run resets far more often than people do; budgets are not what it tests.
    let plenty = Budget::new(100_000, Duration::from_secs(3_600));
    policy.staff_reset_budgets.per_staff_member = plenty;
    policy.staff_reset_budgets.per_device = plenty;
    policy.staff_reset_budgets.per_retailer = plenty;
    policy
}

/// One instance: its own pool on the cluster. Connections are checked before use and an
/// acquire gives up after 2 s, so a call meets a down server with `Unavailable`, not a wait.
async fn instance(url: &str, schema: SchemaName) -> Service {
    let pool = PgPoolOptions::new()
        .max_connections(6)
        .acquire_timeout(Duration::from_secs(2))
        .test_before_acquire(true)
        .connect(url)
        .await
        .unwrap();
    let store = customer_access_postgres::from_pool(pool, schema).await.unwrap();
    AccessService::new(store, RecordingMailer::new(), SystemClock, policy()).unwrap()
}

/// What one contact's task did, and what it knows about the contact now.
#[derive(Debug, Default)]
struct Tally {
    password: String,
    first_version: i64,
    changes_applied: u32,
    resets_ok: u32,
    resets_unknown: u32,
    calls: u32,
    unavailable: u32,
    slowest: Duration,
}

/// A call's outcome, with anything but success or `Unavailable` a test failure.
fn unavailable<T: std::fmt::Debug>(what: &str, result: &Result<T, ServiceError>) -> bool {
    match result {
        Ok(_) => false,
        Err(ServiceError::Store(e)) if e.kind() == StoreErrorKind::Unavailable => true,
        Err(other) => panic!("{what}: neither done nor Unavailable: {other:?}"),
    }
}

/// `call`, failing the test if it runs past [`CALL_LIMIT`].
async fn timed<T>(tally: &mut Tally, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = tokio::time::timeout(CALL_LIMIT, call).await.expect("a call hung past its limit");
    tally.slowest = tally.slowest.max(started.elapsed());
    tally.calls += 1;
    out
}

/// The stored credential version of `contact`, read once the database answers again.
async fn stored_version(service: &Service, contact: ContactId) -> i64 {
    for _ in 0..120 {
        match service.store().contact(contact).await {
            Ok(record) => return record.credentials.credential_version.0,
            Err(e) if e.kind() == StoreErrorKind::Unavailable => tokio::time::sleep(Duration::from_millis(250)).await,
            Err(e) => panic!("reading the contact back: {e:?}"),
        }
    }
    panic!("the database did not come back within 30 s")
}

/// One contact's life during the run: log in, change the password, have staff reset it,
/// over and over, on alternating instances. A change that failed with `Unavailable` may
/// or may not have been committed: the credential version read back afterwards says which.
async fn work(
    instances: [Service; 2],
    contact: ContactId,
    username: String,
    first: String,
    stop: Arc<AtomicBool>,
) -> Tally {
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let mut tally = Tally { password: first, ..Tally::default() };
    let mut version = stored_version(&instances[0], contact).await;
    tally.first_version = version;
    let mut round = 0usize;
    while !stop.load(Ordering::SeqCst) {
        let service = &instances[round % 2];
        round += 1;
        let current = SecretString::from(tally.password.as_str());
        let login = timed(&mut tally, service.login(&username, &current)).await;
        if unavailable("login", &login) {
            tally.unavailable += 1;
        } else {
            let outcome = login.unwrap();
            assert!(
                matches!(outcome, LoginOutcome::Authenticated { .. }),
                "{username}: the password it has: {outcome:?}"
            );
        }

        let next = format!("Changed-{round}-{}", contact.get());
        let changed =
            timed(&mut tally, service.change_password(contact, &current, &SecretString::from(next.as_str()))).await;
        let ambiguous = unavailable("change_password", &changed);
        if ambiguous {
            tally.unavailable += 1;
        }
        let now = stored_version(service, contact).await;
        let applied = now != version;
        assert!(
            applied || ambiguous,
            "{username}: change_password answered Ok but the credential version stayed {version}"
        );
        if applied {
            assert_eq!(now, version + 1, "{username}: one change moves the version by one");
            tally.changes_applied += 1;
            tally.password = next;
        }

        let reset = timed(&mut tally, service.staff_reset(&admin, contact, ResetOptions::default())).await;
        if unavailable("staff_reset", &reset) {
            tally.unavailable += 1;
            tally.resets_unknown += 1;
        } else {
            tally.resets_ok += 1;
        }
        version = stored_version(service, contact).await;
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_restarts_lose_and_double_nothing() {
    let Some(cluster) = Cluster::start_new() else { return };
    let cycles: usize = std::env::var("CUSTOMER_ACCESS_FAULT_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let schema = SchemaName::parse("restart_test").unwrap();
    let a = instance(&cluster.url(), schema.clone()).await;
    let b = instance(&cluster.url(), schema).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = a.create_retailer(&admin, "Shop").await.unwrap();
    let mut contacts = Vec::new();
    for i in 0..CONTACTS {
        let username = format!("contact-{i}");
        let password = format!("First-Pass-{i}");
        let contact =
            contact_with_password(&a, &admin, shop.id, &username, &SecretString::from(password.as_str())).await;
        contacts.push((contact.id, username, password));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = contacts
        .iter()
        .map(|(id, username, password)| {
            let instances = [a.clone(), b.clone()];
            tokio::spawn(work(instances, *id, username.clone(), password.clone(), Arc::clone(&stop)))
        })
        .collect();

    // The faults, while the tasks run: a fast shutdown, then a kill, each followed by a
    // start after the server was down for a while.
    let cluster = Arc::new(cluster);
    for _ in 0..cycles {
        for fault in [Cluster::stop_fast as fn(&Cluster), Cluster::kill] {
            tokio::time::sleep(Duration::from_secs(2)).await;
            control(&cluster, fault).await;
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            control(&cluster, Cluster::start).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    let mut tallies = BTreeMap::new();
    for (task, (id, username, _)) in tasks.into_iter().zip(&contacts) {
        let tally = task.await.unwrap_or_else(|e| panic!("{username}'s task failed: {e}\n{}", cluster.log()));
        tallies.insert(*id, (username.clone(), tally));
    }

    // Both instances work again, unrestarted, and every contact has exactly the password
    // its task last saw applied: no change lost.
    for (i, (id, (username, tally))) in tallies.iter().enumerate() {
        let service = if i % 2 == 0 { &a } else { &b };
        let outcome = service.login(username, &SecretString::from(tally.password.as_str())).await.unwrap();
        assert!(matches!(outcome, LoginOutcome::Authenticated { .. }), "{username} ({id}): {outcome:?}");
    }
    // Every audit event matches its change: one `password_changed` per applied change (none
    // twice, none missing), and one `staff_reset_issued` per reset that answered Ok, plus at
    // most the ones whose answer was lost.
    for (id, (username, tally)) in &tallies {
        let log = a.store().audit_log(*id).await.unwrap();
        let count = |kind: AuditKind| u32::try_from(log.iter().filter(|e| e.kind == kind).count()).unwrap();
        assert_eq!(count(AuditKind::PasswordChanged), tally.changes_applied, "{username}: {tally:?}");
        let resets = count(AuditKind::StaffResetIssued);
        assert!(
            (tally.resets_ok..=tally.resets_ok + tally.resets_unknown).contains(&resets),
            "{username}: {resets} reset events for {tally:?}"
        );
        let version = a.store().contact(*id).await.unwrap().credentials.credential_version.0;
        assert_eq!(version, tally.first_version + i64::from(tally.changes_applied), "{username}: {tally:?}");
    }
    let verified = a.verify_audit(None).await;
    assert!(verified.is_ok(), "the audit chain verifies after the faults: {verified:?}");

    let calls: u32 = tallies.values().map(|(_, t)| t.calls).sum();
    let unavailable: u32 = tallies.values().map(|(_, t)| t.unavailable).sum();
    let applied: u32 = tallies.values().map(|(_, t)| t.changes_applied).sum();
    let slowest = tallies.values().map(|(_, t)| t.slowest).max().unwrap_or_default();
    eprintln!(
        "{cycles} fault cycle(s): {calls} calls, {unavailable} Unavailable, {applied} password changes applied, slowest call {slowest:?}"
    );
    assert!(unavailable > 0, "the faults must have been met by some call (else the test proves nothing)");
    assert!(applied as usize > CONTACTS, "work went on around the faults");
}

/// Run a blocking cluster operation off the runtime's workers.
async fn control(cluster: &Arc<Cluster>, operation: fn(&Cluster)) {
    let cluster = Arc::clone(cluster);
    tokio::task::spawn_blocking(move || operation(&cluster)).await.unwrap();
}
