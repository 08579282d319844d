//! The timing check on the memory store, in a test binary of its own so no other test runs
//! beside it and adds noise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access::MemoryStore;

/// Known and unknown usernames take the same time to fail a login and to get the "Forgot
/// your password" answer. `CUSTOMER_ACCESS_TIMING_SAMPLES=100000` runs the full check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_has_no_username_timing_leak() {
    let samples = customer_access_conformance::timing::samples_from_env(2_000);
    let report =
        customer_access_conformance::timing::enumeration_timing(MemoryStore::new(), MemoryStore::new(), samples).await;
    println!("memory store timing: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs between known and unknown usernames: {report:?}");
    // Contacts whose hash has other parameters than the current ones (issue 13 item 4).
    let report =
        customer_access_conformance::timing::enumeration_timing_with_other_parameters(MemoryStore::new(), samples)
            .await;
    println!("memory store timing, other hash parameters: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs for contacts with other hash parameters: {report:?}");
    // Contacts holding a recently expired temporary password, whose hash a login verifies
    // (issue 17): a wrong password still costs what an unknown username's does.
    let report =
        customer_access_conformance::timing::enumeration_timing_with_expired_temporaries(MemoryStore::new(), samples)
            .await;
    println!("memory store timing, expired temporary passwords: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs for contacts with an expired temporary password: {report:?}");
    // Removed contacts (issue 17): their usernames cost what never-seen ones do.
    let report =
        customer_access_conformance::timing::enumeration_timing_with_removed_contacts(MemoryStore::new(), samples)
            .await;
    println!("memory store timing, removed contacts: {report:?}");
    assert!(report.max_abs_t() < 5.0, "timing differs for removed contacts: {report:?}");
    // Hashes imported from another system (issue 16): imported, native and unknown usernames
    // fail a login in the same time.
    let reports =
        customer_access_conformance::timing::enumeration_timing_with_imported_hashes(MemoryStore::new(), samples).await;
    println!("memory store timing, imported hashes (imported, native): {reports:?}");
    // Failed logins only: the "Forgot your password" answer reads nothing from the store, so
    // stored hashes cannot change it (the checks above compare it), and after this
    // variant's seconds of legacy hashing its microseconds are the noisiest figure here.
    for report in reports {
        assert!(report.login_t < 5.0, "failed logins differ while imported hashes exist: {reports:?}");
    }
}
