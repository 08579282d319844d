//! The whole conformance suite on real database files, one test per check, each store with
//! a pool of several connections so the races really run concurrently. Each check's file
//! lives in a temporary directory of its own, removed after the check, pass or fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access_sqlite::SqliteStore;

async fn setup() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conformance.db");
    let store = customer_access_sqlite::open(&path).await.unwrap();
    assert!(path.exists(), "a real file on disk");
    (store, dir)
}

async fn teardown(dir: tempfile::TempDir) {
    dir.close().unwrap();
}

customer_access_conformance::conformance_tests!(setup = setup, teardown = teardown);
