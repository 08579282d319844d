//! Known and unknown usernames take the same time to fail a login and to get the "Forgot
//! your password" answer, on a SQLite file. `CUSTOMER_ACCESS_TIMING_SAMPLES=100000` runs the
//! full check (see docs/threat-model.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access_conformance::timing::{
    enumeration_timing_in_one_store, enumeration_timing_with_expired_temporaries,
    enumeration_timing_with_imported_hashes, enumeration_timing_with_other_parameters,
    enumeration_timing_with_removed_contacts, samples_from_env,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_has_no_username_timing_leak() {
    // One database file: two files would differ in disk and checkpoint timing of their own.
    let dir = tempfile::tempdir().unwrap();
    let store = customer_access_sqlite::open(dir.path().join("timing.db")).await.unwrap();
    let report = enumeration_timing_in_one_store(store, samples_from_env(2_000)).await;
    println!("sqlite store timing: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs between known and unknown usernames: {report:?}");
    // Issue 13 item 4, in the same test so the two never run side by side: contacts whose
    // hash has other parameters (an older parameter set, an import) fail a login in the
    // same time as unknown usernames.
    let store = customer_access_sqlite::open(dir.path().join("timing-params.db")).await.unwrap();
    let report = enumeration_timing_with_other_parameters(store, samples_from_env(2_000)).await;
    println!("sqlite store timing, other hash parameters: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs for contacts with other hash parameters: {report:?}");
    // Contacts holding a recently expired temporary password (issue 17).
    let store = customer_access_sqlite::open(dir.path().join("timing-expired.db")).await.unwrap();
    let report = enumeration_timing_with_expired_temporaries(store, samples_from_env(2_000)).await;
    println!("sqlite store timing, expired temporary passwords: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs for contacts with an expired temporary password: {report:?}");
    // Removed contacts (issue 17): their usernames cost what never-seen ones do.
    let store = customer_access_sqlite::open(dir.path().join("timing-removed.db")).await.unwrap();
    let report = enumeration_timing_with_removed_contacts(store, samples_from_env(2_000)).await;
    println!("sqlite store timing, removed contacts: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs for removed contacts: {report:?}");
    // Hashes imported from another system (issue 16): imported, native and unknown usernames
    // fail a login in the same time.
    let store = customer_access_sqlite::open(dir.path().join("timing-imported.db")).await.unwrap();
    let reports = enumeration_timing_with_imported_hashes(store, samples_from_env(2_000)).await;
    println!("sqlite store timing, imported hashes (imported, native): {reports:?}");
    // Failed logins only: the "Forgot your password" answer reads nothing from the store, so
    // stored hashes cannot change it (the checks above compare it), and after this
    // variant's seconds of legacy hashing its microseconds are the noisiest figure here.
    for report in reports {
        assert!(report.login_t < 5.0, "failed logins differ while imported hashes exist: {reports:?}");
    }
}
