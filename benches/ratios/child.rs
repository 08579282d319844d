//! Peak-memory scenarios, each in a child process of its own (this binary, re-run with
//! `CUSTOMER_ACCESS_BENCH_CHILD` set), so that the peak RSS counts only what the scenario
//! holds: nothing left over from earlier benchmarks, the whole process included (binary,
//! runtime, hashing memory and callers' futures).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use customer_access::{MemoryStore, ServiceError};

use crate::report::{peak_rss_mib, window};
use crate::service::{logins_during, password_of, populated};

/// Names the scenario a child process runs.
pub const CHILD_VAR: &str = "CUSTOMER_ACCESS_BENCH_CHILD";
/// A child prints its figures on one line starting with this, as `name=value` pairs.
const RESULT_PREFIX: &str = "bench-child-result:";
/// Concurrent callers of the overload scenario.
pub const OVERLOAD_CALLERS: usize = 10_000;

/// Run `scenario` in a child process and return its figures.
pub fn measure(scenario: &str, workers: usize) -> HashMap<String, f64> {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--bench")
        .env(CHILD_VAR, scenario)
        .env("CUSTOMER_ACCESS_BENCH_WORKERS", workers.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child {scenario} failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    let line = stdout.lines().find_map(|l| l.strip_prefix(RESULT_PREFIX)).expect("the child reports a result line");
    line.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
        .collect()
}

/// The child's side: run `scenario`, print its figures.
pub async fn run(scenario: &str) {
    let workers = std::env::var("CUSTOMER_ACCESS_BENCH_WORKERS").ok().and_then(|w| w.parse().ok()).unwrap_or(2);
    let figures = match scenario {
        "callers64" => callers64(workers).await,
        "overload" => overload(workers).await,
        other => panic!("unknown child scenario {other}"),
    };
    let pairs: Vec<String> = figures.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("{RESULT_PREFIX} {}", pairs.join(" "));
}

/// 64 callers logging in for one window against the memory store.
async fn callers64(workers: usize) -> Vec<(&'static str, f64)> {
    let service = populated(MemoryStore::new(), workers, 128, 64).await;
    let rate = logins_during(&service, 64, window() * 3).await.rate();
    vec![("rate", rate), ("peak_rss_mib", peak_rss_mib().unwrap_or(f64::NAN))]
}

/// 10,000 concurrent logins against `workers` hashing threads with a queue of 64: each
/// caller is a task that reports its outcome and ends (nothing holds a finished caller).
async fn overload(workers: usize) -> Vec<(&'static str, f64)> {
    let service = populated(MemoryStore::new(), workers, 64, 1).await;
    let future_bytes = std::mem::size_of_val(&service.login("bench000", &password_of("bench000")));
    let (report, mut results) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..OVERLOAD_CALLERS {
        let (service, report) = (service.clone(), report.clone());
        tokio::spawn(async move {
            let start = Instant::now();
            let outcome = service.login("bench000", &password_of("bench000")).await;
            let rejected = matches!(outcome, Err(ServiceError::Overloaded));
            let _ = report.send((rejected, start.elapsed()));
        });
    }
    drop(report);
    let mut rejections: Vec<Duration> = Vec::new();
    let mut served = 0_u32;
    while let Some((rejected, took)) = results.recv().await {
        if rejected {
            rejections.push(took);
        } else {
            served += 1;
        }
    }
    rejections.sort();
    let p99 = rejections.get(rejections.len() * 99 / 100).copied().unwrap_or_default();
    vec![
        ("rejected", rejections.len() as f64),
        ("served", f64::from(served)),
        ("p99_ms", p99.as_secs_f64() * 1e3),
        ("future_bytes", future_bytes as f64),
        ("peak_rss_mib", peak_rss_mib().unwrap_or(f64::NAN)),
    ]
}
