//! The memory store passes the whole suite.

use customer_access::MemoryStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_conforms() {
    customer_access_conformance::run_all(|| async { MemoryStore::new() }).await;
}
