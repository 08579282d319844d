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

mod audit;
mod checks;
mod directory;
mod fixtures;
mod import;
mod lifecycle;
mod preferences;
mod races;
pub mod suite;
pub mod support;
pub mod tamper;
mod throttle;
pub mod timing;

use std::future::Future;

use customer_access::Store;

pub use audit::*;
pub use checks::*;
pub use directory::*;
pub use import::*;
pub use lifecycle::*;
pub use preferences::*;
pub use races::*;
pub use suite::{CHECKS, CheckFailure};
pub use throttle::*;

/// How many rounds the ticket-redemption race runs by default.
pub const DEFAULT_RACE_ROUNDS: usize = 100;

/// [`ticket_redemption_race`] with [`DEFAULT_RACE_ROUNDS`] rounds.
pub async fn ticket_redemption_races<S: Store>(store: S) {
    ticket_redemption_race(store, DEFAULT_RACE_ROUNDS).await;
}

/// Run every check against fresh stores from `factory`, each in a task of its own, and panic
/// at the end with every failure, each naming its check and the contract clause it broke.
/// (For one test per check, use [`conformance_tests!`].)
pub async fn run_all<S, F, Fut>(factory: F)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let mut failures: Vec<CheckFailure> = Vec::new();
    crate::__with_checks!(__run_checks!(factory, failures));
    if !failures.is_empty() {
        let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
        panic!("{} of {} conformance checks failed:\n\n{}", failures.len(), CHECKS.len(), report.join("\n\n"));
    }
}
