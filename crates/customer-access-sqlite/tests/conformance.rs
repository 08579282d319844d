//! The whole conformance suite on real database files, each store with a pool of several
//! connections so the races really run concurrently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::sync::atomic::{AtomicUsize, Ordering};

use customer_access_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    customer_access_conformance::run_all(|| {
        let path = dir.path().join(format!("conformance-{}.db", n.fetch_add(1, Ordering::SeqCst)));
        async move {
            let store = SqliteStore::open(&path).await.unwrap();
            assert!(path.exists(), "a real file on disk");
            store
        }
    })
    .await;
}
