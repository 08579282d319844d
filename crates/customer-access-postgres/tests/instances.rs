//! Several application instances (separate pools) on one database: ticket races, a login
//! burst that the shared back-off holds, schema isolation, upgrades, and connection loss mid-operation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::store::{StoreErrorKind, ThrottleKey, UsernameKey};
use customer_access::{
    AccessService, LoginOutcome, NewContact, RecordingMailer, SecurityPolicy, ServiceError, Staff, StaffId, Store,
    SystemClock,
};
use customer_access_conformance::support::invite_to_change_ticket;
use customer_access_postgres::{PostgresStore, SCHEMA_VERSION};

type Service = AccessService<PostgresStore, RecordingMailer, SystemClock>;

fn service(store: PostgresStore, mailer: &RecordingMailer) -> Service {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    AccessService::new(store, mailer.clone(), SystemClock, policy).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_race_to_redeem_one_ticket_200_rounds() {
    let Some(setup) = common::pool(4).await else { return };
    let schemas = common::Schemas::default();
    let schema = schemas.fresh();
    let first = customer_access_postgres::from_pool(common::pool(4).await.unwrap(), schema.clone()).await.unwrap();
    let second = customer_access_postgres::from_pool(common::pool(4).await.unwrap(), schema).await.unwrap();
    let mailer = RecordingMailer::new();
    let (a, b) = (service(first, &mailer), service(second, &mailer));
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = a.create_retailer(&admin, "Shop").await.unwrap();
    for round in 0..200 {
        let username = format!("racer{round}");
        let (_, ticket) = invite_to_change_ticket(&a, &admin, shop.id, &username).await;
        let t = ticket.expose_secret().to_owned();
        let (ra, rb) = tokio::join!(
            tokio::spawn({
                let (a, t) = (a.clone(), t.clone());
                async move {
                    a.set_new_password(&SecretString::from(t.as_str()), &SecretString::from("Instance-A-42")).await
                }
            }),
            tokio::spawn({
                let b = b.clone();
                async move {
                    b.set_new_password(&SecretString::from(t.as_str()), &SecretString::from("Instance-B-42")).await
                }
            }),
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        for r in [&ra, &rb] {
            assert!(r.is_ok() || matches!(r, Err(ServiceError::InvalidTicket)), "round {round}: {r:?}");
        }
        assert!(ra.is_ok() ^ rb.is_ok(), "round {round}: exactly one instance wins");
        let winner = if ra.is_ok() { "Instance-A-42" } else { "Instance-B-42" };
        assert!(matches!(
            a.login(&username, &SecretString::from(winner)).await.unwrap(),
            LoginOutcome::Authenticated { .. }
        ));
    }
    schemas.drop_all(&setup).await;
}

/// Issue 13: a burst of 100 concurrent wrong guesses for one username, split over two
/// service instances (each with its own pool) on one schema, gets at most `free_attempts + 1`
/// attempts verified: each is reserved in the shared table before it is verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_verify_no_more_of_a_burst_than_the_backoff_allows() {
    let Some(setup) = common::pool(4).await else { return };
    let schemas = common::Schemas::default();
    let schema = schemas.fresh();
    let first = customer_access_postgres::from_pool(common::pool(8).await.unwrap(), schema.clone()).await.unwrap();
    let second = customer_access_postgres::from_pool(common::pool(8).await.unwrap(), schema).await.unwrap();
    let mailer = RecordingMailer::new();
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    policy.hash_queue_depth = 1000;
    let a = AccessService::new(first, mailer.clone(), SystemClock, policy).unwrap();
    let b = AccessService::new(second, mailer.clone(), SystemClock, policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = a.create_retailer(&admin, "Shop").await.unwrap();
    let right = SecretString::from("plum-Kettle-42");
    customer_access_conformance::support::contact_with_password(&a, &admin, shop.id, "anna", &right).await;
    let before = a.hash_operations() + b.hash_operations();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let service = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { service.login("anna", &SecretString::from(format!("wrong-{i}"))).await.unwrap() })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let verified = (a.hash_operations() + b.hash_operations() - before) / 2;
    let allowed = u64::from(policy.login_backoff.free_attempts) + 1;
    assert!(verified <= allowed, "two instances verified {verified} of a burst of 100; the back-off allows {allowed}");
    let key = ThrottleKey::username(&UsernameKey::from_stored("anna").unwrap());
    assert_eq!(u64::from(a.store().login_failures(&key).await.unwrap().count), verified, "one reservation each");
    schemas.drop_all(&setup).await;
}

#[tokio::test]
async fn schemas_isolate_runs_and_upgrade_from_the_previous_version() {
    let Some(pool) = common::pool(4).await else { return };
    let schemas = common::Schemas::default();
    let a = schemas.store(&pool).await;
    let b = schemas.store(&pool).await;
    a.create_retailer("Only in A").await.unwrap();
    assert!(b.retailers().await.unwrap().is_empty(), "another schema sees nothing");

    let old = customer_access_sql::SqlStore::new(
        pool.clone(),
        customer_access_postgres::PostgresDialect::new(schemas.fresh()),
    );
    old.migrate_to(SCHEMA_VERSION - 1).await.unwrap();
    let shop = old.create_retailer("Before upgrade").await.unwrap();
    let upgraded = customer_access_postgres::from_pool(pool.clone(), old.dialect().schema().clone()).await.unwrap();
    assert_eq!(upgraded.retailer(shop.id).await.unwrap(), shop, "data survives the upgrade");
    upgraded.migrate().await.unwrap();
    schemas.drop_all(&pool).await;
}

/// A save blocked inside its transaction has its connection killed by
/// `pg_terminate_backend`: it fails with `Unavailable`, nothing of it is stored, and the store
/// works again afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_connection_fails_cleanly_and_stores_nothing() {
    let Some(admin_pool) = common::pool(4).await else { return };
    let schemas = common::Schemas::default();
    let store = customer_access_postgres::from_pool(common::pool(1).await.unwrap(), schemas.fresh()).await.unwrap();
    let mailer = RecordingMailer::new();
    let service = service(store.clone(), &mailer);
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let new = NewContact {
        retailer: shop.id,
        username: "anna".into(),
        email: "anna@shop.example".into(),
        display_name: "Anna".into(),
        preferences: Default::default(),
    };
    let anna = service.invite(&admin, &new).await.unwrap();
    let before = store.contact(anna.id).await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(store.pool()).await.unwrap();

    // Hold the contact's row lock so the store's UPDATE waits mid-transaction.
    let mut blocker = admin_pool.begin().await.unwrap();
    let lock = format!("SELECT id FROM \"{}\".contacts WHERE id = $1 FOR UPDATE", store.dialect().schema());
    sqlx::query(sqlx::AssertSqlSafe(lock)).bind(anna.id.get()).execute(&mut *blocker).await.unwrap();
    let pending = tokio::spawn({
        let service = service.clone();
        async move { service.update_email(&admin, anna.id, "new@shop.example").await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed: bool =
        sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(pid).fetch_one(&admin_pool).await.unwrap();
    assert!(killed);
    blocker.rollback().await.unwrap();

    let result = pending.await.unwrap();
    let Err(ServiceError::Store(e)) = &result else { panic!("expected a store error, got {result:?}") };
    assert_eq!(e.kind(), StoreErrorKind::Unavailable, "{e:?}");
    assert_eq!(store.contact(anna.id).await.unwrap(), before, "all or nothing: nothing of the save is stored");
    let log = store.audit_log(anna.id).await.unwrap();
    assert!(log.iter().all(|e| e.kind != customer_access::AuditKind::EmailChanged), "no audit row of the failed save");
    service.update_email(&Staff::SalesAdmin { staff_id: StaffId::new(1) }, anna.id, "new@shop.example").await.unwrap();
    schemas.drop_all(&admin_pool).await;
}

/// A miss reads the stored decoy (id 0) under the probed key, by the statement a hit runs;
/// an altered decoy row is refused when the schema is opened again.
#[tokio::test]
async fn a_miss_reads_the_stored_decoy() {
    let Some(pool) = common::pool(2).await else { return };
    let schemas = common::Schemas::default();
    let store = schemas.store(&pool).await;
    let row = sqlx::query(sqlx::AssertSqlSafe(store.statements().contact_by_key.clone()))
        .bind("nobody")
        .bind(customer_access::store::columns::ContactColumns::decoy_username_key())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(sqlx::Row::get::<i64, _>(&row, "id"), 0);
    assert_eq!(sqlx::Row::get::<String, _>(&row, "username_key"), "nobody");

    let schema = store.dialect().schema().clone();
    let alter = format!("UPDATE \"{schema}\".contacts SET display_name = 'Changed' WHERE id = 0");
    sqlx::query(sqlx::AssertSqlSafe(alter)).execute(&pool).await.unwrap();
    let reopened = customer_access_postgres::from_pool(pool.clone(), schema).await;
    assert!(matches!(reopened, Err(customer_access_postgres::OpenError::Migrate(_))), "{reopened:?}");
    schemas.drop_all(&pool).await;
}

/// The store's compare-and-swap reasoning is READ COMMITTED's (a writer that waited for a
/// row lock re-checks its WHERE against the committed row), and it must not depend on the
/// server's `default_transaction_isolation`. With SERIALIZABLE as the default (a DBA's
/// choice per database or role), a burst of reservations on one username beside a spray of
/// new ones (whose insert prunes the table) used to fail some swaps with `Unavailable` once
/// their three attempts had all hit serialization failures: logins answering errors under
/// load. Every swap must answer, one per state winning.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_serializable_server_default_does_not_fail_a_burst_of_swaps() {
    use std::sync::Arc;

    use customer_access::Timestamp;
    use customer_access::store::{FailureRetention, LoginFailures};
    use sqlx::Executor;

    let Some(setup) = common::pool(2).await else { return };
    let serializable = || async {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .after_connect(|c, _| {
                Box::pin(
                    async move { c.execute("SET default_transaction_isolation = 'serializable'").await.map(|_| ()) },
                )
            })
            .connect(&common::url())
            .await
            .unwrap()
    };
    let schemas = common::Schemas::default();
    let schema = schemas.fresh();
    let a = Arc::new(customer_access_postgres::from_pool(serializable().await, schema.clone()).await.unwrap());
    let b = Arc::new(customer_access_postgres::from_pool(serializable().await, schema).await.unwrap());
    let failures = |count: u32, ms: i64| LoginFailures {
        count,
        last_failure_at: Some(Timestamp::from_unix_millis(1_795_828_920_000 + ms)),
    };
    let retention = FailureRetention { forget_before: Timestamp::from_unix_millis(0), max_entries: 100_000 };
    let target = ThrottleKey::username(&UsernameKey::from_stored("anna").unwrap());
    let mut expected = LoginFailures::default();
    let mut errors = Vec::new();
    for round in 0..100u32 {
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let store = if i % 2 == 0 { Arc::clone(&a) } else { Arc::clone(&b) };
                let (target, spray) = (target.clone(), ThrottleKey::from_stored(format!("spray{round}x{i}")));
                let new = failures(round + 1, i64::from(round));
                tokio::spawn(async move {
                    let sprayed = store.swap_login_failures(&spray, LoginFailures::default(), new, retention).await;
                    let swapped = store.swap_login_failures(&target, expected, new, retention).await;
                    (sprayed, swapped)
                })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            let (sprayed, swapped) = t.await.unwrap();
            for result in [&sprayed, &swapped] {
                if let Err(e) = result {
                    errors.push(format!("round {round}: {:?}", e.kind()));
                }
            }
            wins += usize::from(swapped.unwrap_or(false));
        }
        assert!(wins <= 1, "round {round}: {wins} swaps from one state won");
        expected = a.login_failures(&target).await.unwrap();
    }
    schemas.drop_all(&setup).await;
    assert!(errors.is_empty(), "{} swaps failed, e.g. {:?}", errors.len(), &errors[..errors.len().min(3)]);
}

/// PostgreSQL's "busy": a write that waited for a row lock longer than the server's
/// `lock_timeout` fails with SQLSTATE 55P03, nothing of it written, and trying again later
/// may work. That is `Unavailable`, as a SQLite writer past its busy timeout is, not `Other`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_timeout_is_unavailable() {
    use customer_access::Timestamp;
    use customer_access::store::{FailureRetention, LoginFailures};
    use sqlx::Executor;

    let Some(admin_pool) = common::pool(2).await else { return };
    let impatient = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .after_connect(|c, _| Box::pin(async move { c.execute("SET lock_timeout = '200ms'").await.map(|_| ()) }))
        .connect(&common::url())
        .await
        .unwrap();
    let schemas = common::Schemas::default();
    let store = customer_access_postgres::from_pool(impatient, schemas.fresh()).await.unwrap();
    let schema = store.dialect().schema().clone();
    let key = ThrottleKey::username(&UsernameKey::from_stored("anna").unwrap());
    let at = |ms| LoginFailures { count: 1, last_failure_at: Some(Timestamp::from_unix_millis(ms)) };
    let retention = FailureRetention { forget_before: Timestamp::from_unix_millis(0), max_entries: 1000 };
    assert!(store.swap_login_failures(&key, LoginFailures::default(), at(1), retention).await.unwrap());

    let mut blocker = admin_pool.begin().await.unwrap();
    let lock = format!("SELECT count FROM \"{schema}\".login_failures WHERE username_key = $1 FOR UPDATE");
    sqlx::query(sqlx::AssertSqlSafe(lock)).bind(key.as_str()).execute(&mut *blocker).await.unwrap();
    let next = LoginFailures { count: 2, ..at(2) };
    let err = store.swap_login_failures(&key, at(1), next, retention).await.unwrap_err();
    blocker.rollback().await.unwrap();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err:?}");
    assert_eq!(store.login_failures(&key).await.unwrap(), at(1), "nothing of it was written");
    assert!(store.swap_login_failures(&key, at(1), next, retention).await.unwrap(), "and later it works");
    schemas.drop_all(&admin_pool).await;
}
