//! The whole conformance kit, one test per check: `cargo test` names every check that fails
//! and the contract clause it broke.

use kv_customer_store::KvStore;

customer_access_conformance::conformance_tests!(store = || async { KvStore::new() });

/// The timing check in its one-store form (known usernames against the same characters
/// rearranged); 2,000 samples per class for a test run, 100,000 for a release
/// (`CUSTOMER_ACCESS_TIMING_SAMPLES`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_username_timing_leak() {
    let samples = customer_access_conformance::timing::samples_from_env(2_000);
    let report = customer_access_conformance::timing::enumeration_timing_in_one_store(KvStore::new(), samples).await;
    assert!(report.max_abs_t() < 5.0, "timing differs between known and unknown usernames: {report:?}");
}
