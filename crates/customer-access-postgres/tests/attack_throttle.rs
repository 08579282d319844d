//! Attack on the login back-off over Postgres (issue #13, commit ee8d833): two instances
//! with separate pools on one schema, one frozen ManualClock (every reservation at the same
//! millisecond), 200 concurrent guesses. Held against ee8d833.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, LoginOutcome, ManualClock, RecordingMailer, SecurityPolicy, Staff, StaffId, Timestamp,
};
use customer_access_conformance::support::contact_with_password;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_same_millisecond_burst_postgres() {
    let Some(_setup) = common::pool(4).await else { return };
    let schemas = common::Schemas::default();
    let schema = schemas.fresh();
    let first = customer_access_postgres::from_pool(common::pool(8).await.unwrap(), schema.clone()).await.unwrap();
    let second = customer_access_postgres::from_pool(common::pool(8).await.unwrap(), schema).await.unwrap();
    let mut p = SecurityPolicy::default();
    p.argon2 = Argon2Settings::danger_insecure_for_tests();
    p.hash_queue_depth = 10_000;
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let mailer = RecordingMailer::new();
    let a = AccessService::new(first, mailer.clone(), clock.clone(), p).unwrap();
    let b = AccessService::new(second, mailer, clock.clone(), p).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = a.create_retailer(&admin, "Shop").await.unwrap();
    contact_with_password(&a, &admin, shop.id, "anna", &SecretString::from("anna-Pass-1")).await;
    clock.advance(Duration::from_secs(3600));
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { s.login("anna", &SecretString::from(format!("guess-Pass-{i}"))).await.unwrap() })
        })
        .collect();
    let mut verified = 0;
    for h in handles {
        if matches!(h.await.unwrap(), LoginOutcome::InvalidCredentials) {
            verified += 1;
        }
    }
    schemas.drop_all(&_setup).await;
    assert!(verified <= p.login_backoff.free_attempts as usize + 1, "verified {verified} of 200");
}
