//! The whole conformance suite against the real server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_store_conforms() {
    let Some(pool) = common::pool(16).await else { return };
    let schemas = common::Schemas::default();
    customer_access_conformance::run_all(|| schemas.store(&pool)).await;
    schemas.drop_all(&pool).await;
}
