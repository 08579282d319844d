//! Known and unknown usernames take the same time to fail a login and to get the "Forgot
//! your password" answer, on a SQLite file. `CUSTOMER_ACCESS_TIMING_SAMPLES=100000` runs the
//! full check (see docs/threat-model.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access_conformance::timing::{enumeration_timing, samples_from_env};
use customer_access_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_has_no_username_timing_leak() {
    let dir = tempfile::tempdir().unwrap();
    let with = SqliteStore::open(dir.path().join("with.db")).await.unwrap();
    let without = SqliteStore::open(dir.path().join("without.db")).await.unwrap();
    let report = enumeration_timing(with, without, samples_from_env(2_000)).await;
    println!("sqlite store timing: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs between known and unknown usernames: {report:?}");
}
