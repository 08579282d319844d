//! The storage conformance suite for `customer-access`.
//!
//! Every [`Store`] implementation runs the same checks: the in-memory store on every
//! `cargo test`, the SQLite and Postgres stores against real databases, and yours. One call
//! runs them all:
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() {
//! use customer_access::MemoryStore;
//! customer_access_conformance::run_all(|| async { MemoryStore::new() }).await;
//! # }
//! ```
//!
//! The factory must return a fresh, empty store each time it is called (a new file, a new
//! schema, ...). Checks spawn Tokio tasks to race each other, so call the suite from a
//! multi-threaded Tokio runtime to get real parallelism. A failed check panics with a
//! message naming the contract clause it broke, like any test assertion.
#![forbid(unsafe_code)]
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test suite reports failures by panicking"
)]

mod checks;
mod fixtures;
pub mod support;
mod throttle;
pub mod timing;

use std::future::Future;

use customer_access::Store;

pub use checks::*;
pub use throttle::*;

/// How many rounds the ticket-redemption race runs by default.
pub const DEFAULT_RACE_ROUNDS: usize = 100;

/// Run every check against fresh stores from `factory`.
pub async fn run_all<S, F, Fut>(factory: F)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    retailers_round_trip(factory().await).await;
    contacts_round_trip(factory().await).await;
    usernames_unique_under_normalisation(factory().await).await;
    save_is_compare_and_swap(factory().await).await;
    audit_is_atomic_with_the_record(factory().await).await;
    decoy_is_invisible(factory().await).await;
    retailer_scoping(factory().await).await;
    login_failures_swap_and_clear(factory().await).await;
    concurrent_saves_have_one_winner(factory().await).await;
    concurrent_failure_swaps_have_one_winner(factory().await).await;
    failure_state_is_bounded(factory().await).await;
    devices_round_trip_and_stay_bounded(factory().await).await;
    login_burst_verifies_at_most_the_allowed(factory().await).await;
    stranger_cannot_lock_out_a_known_device(factory().await).await;
    ticket_redemption_race(factory().await, DEFAULT_RACE_ROUNDS).await;
}
