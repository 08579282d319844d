//! Performance as ratios against baselines run in the same process (or, for peak memory,
//! in a child process of its own), so they hold on a noisy machine.
//! `cargo bench -p customer-access-benches` runs the full form; `BENCH_QUICK=1` a short
//! one; `BENCH_ONLY=3,4` only those benchmarks (and what they are measured against). Prints
//! a table of ratio, target and verdict; `benches/README.md` records it.
//!
//! 1. [`hashing`]: hash and verify, the pool vs libargon2 (C) and the `argon2` crate's
//!    fresh-allocation path;
//! 2. [`service`], [`child`]: login throughput with 1, 2 and 64 callers against the ideal,
//!    and peak RSS with 64 callers;
//! 3. [`service`]: a login on SQLite vs the two bare verifications it costs;
//! 4. [`store_ops`]: a compare-and-swap save with its audit row vs the same SQL by hand,
//!    SQLite and PostgreSQL;
//! 5. [`child`]: overload, 10,000 concurrent logins against a pool of 2;
//! 6. [`import`]: bulk import into SQLite and PostgreSQL, with and without hashes, and its
//!    memory;
//! 7. [`scale`]: operations on 1,000,000 contacts and 10,000,000 audit events against the
//!    same on 1,000 contacts, SQLite and PostgreSQL, and the database size per row;
//! 8. [`web`]: a logged-in request through `customer-access-axum`'s layer vs the same behind
//!    sessions alone, SQLite and PostgreSQL, and the layer's added cost vs one verification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    missing_docs,
    unreachable_pub,
    reason = "a benchmark binary: measuring wall time is the point"
)]

mod child;
mod hashing;
mod import;
mod report;
mod scale;
mod service;
mod store_ops;
mod web;

use report::Row;

/// Argon2 memory per worker at the default parameters, in MiB (m = 19456 KiB).
const M_MIB: f64 = 19.0;
/// What the memory target allows beyond the workers' hashing memory.
const SLACK_MIB: f64 = 32.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(scenario) = std::env::var(child::CHILD_VAR) {
        child::run(&scenario).await;
    } else if std::env::args().any(|a| a == "--bench") || std::env::var("BENCH_QUICK").is_ok() {
        run().await;
    } else {
        // `cargo test --benches` runs this binary with test arguments: compiling is the test.
        println!("ratios: run with `cargo bench -p customer-access-benches` (BENCH_QUICK=1 for a short run)");
    }
}

async fn run() {
    let mut rows = Vec::new();
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let selected = report::selected();
    if selected(1) {
        hashing::run(&mut rows).await;
    }
    if selected(2) || selected(3) {
        service::run(&mut rows, workers).await;
    }
    if selected(2) {
        rows.push(callers64_memory(workers));
    }
    if selected(4) {
        store_ops::run(&mut rows).await;
    }
    if selected(5) {
        rows.extend(overload());
    }
    if selected(6) {
        import::run(&mut rows).await;
    }
    if selected(7) {
        scale::run(&mut rows).await;
    }
    if selected(8) {
        web::run(&mut rows).await;
    }
    report::print(&rows);
}

/// Benchmark 2, memory part: the whole process's peak RSS with 64 callers.
fn callers64_memory(workers: usize) -> Row {
    let figures = child::measure("callers64", workers);
    let (rss, budget) = (figures["peak_rss_mib"], workers as f64 * M_MIB + SLACK_MIB);
    Row::at_most(
        "2. peak RSS of a process serving 64 callers / (workers x m + 32 MiB)",
        rss / budget,
        1.0,
        "<= 1.0",
        format!("{rss:.0} MiB vs {budget:.0} MiB ({:.1} logins/s)", figures["rate"]),
    )
}

/// Benchmark 5: 10,000 concurrent logins against a pool of 2 workers with a queue of 64.
fn overload() -> [Row; 2] {
    const WORKERS: usize = 2;
    let f = child::measure("overload", WORKERS);
    let (rss, budget) = (f["peak_rss_mib"], WORKERS as f64 * M_MIB + SLACK_MIB);
    [
        Row::at_most(
            format!("5. overload: rejection p99 in ms ({} logins, pool of 2, queue 64)", child::OVERLOAD_CALLERS),
            f["p99_ms"],
            1.0,
            "< 1 ms",
            format!("p99 {:.3} ms; {} rejected, {} served", f["p99_ms"], f["rejected"], f["served"]),
        ),
        Row::at_most(
            "5. overload: peak RSS of the process / (workers x m + 32 MiB)",
            rss / budget,
            1.0,
            "<= 1.0",
            format!("{rss:.0} MiB vs {budget:.0} MiB; a waiting login holds a {} B future", f["future_bytes"]),
        ),
    ]
}
