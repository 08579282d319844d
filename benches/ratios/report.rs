//! The result table, run-length settings and process measurements shared by every benchmark.

use std::time::Duration;

/// One line of the result table: a ratio against a baseline, its target and the raw figures.
pub struct Row {
    pub name: String,
    pub ratio: f64,
    pub target: &'static str,
    pub ok: bool,
    pub detail: String,
    /// Shown for context, judged against nothing.
    pub reference: bool,
}

impl Row {
    /// A ratio that must stay at or below `limit`.
    pub fn at_most(name: impl Into<String>, ratio: f64, limit: f64, target: &'static str, detail: String) -> Self {
        Self { name: name.into(), ratio, target, ok: ratio <= limit, detail, reference: false }
    }

    /// A ratio that must reach at least `limit`.
    pub fn at_least(name: impl Into<String>, ratio: f64, limit: f64, target: &'static str, detail: String) -> Self {
        Self { name: name.into(), ratio, target, ok: ratio >= limit, detail, reference: false }
    }

    /// Context for reading other rows (what the hardware alone reaches): no target.
    pub fn reference(name: impl Into<String>, ratio: f64, detail: String) -> Self {
        Self { name: name.into(), ratio, target: "-", ok: true, detail, reference: true }
    }

    /// A comparison that could not run here (a server is missing); reported, never hidden.
    pub fn skipped(name: impl Into<String>, target: &'static str, why: String) -> Self {
        Self {
            name: name.into(),
            ratio: f64::NAN,
            target,
            ok: false,
            detail: format!("not run: {why}"),
            reference: false,
        }
    }
}

/// Print the table in the Markdown form `benches/README.md` records.
pub fn print(rows: &[Row]) {
    println!("\n| benchmark | ratio | target | verdict | measured |\n| --- | --- | --- | --- | --- |");
    for r in rows {
        let verdict = match (r.reference, r.ratio.is_nan(), r.ok) {
            (true, _, _) => "reference",
            (false, true, _) => "not run",
            (false, false, true) => "met",
            (false, false, false) => "**missed**",
        };
        println!("| {} | {:.2} | {} | {} | {} |", r.name, r.ratio, r.target, verdict, r.detail);
    }
}

/// `BENCH_QUICK=1`: short windows and few rounds, for a run of a few minutes.
pub fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v != "0")
}

/// Which benchmarks to run: `BENCH_ONLY=2,5` selects by number; unset, all of them.
pub fn selected() -> impl Fn(u32) -> bool {
    let only: Option<Vec<u32>> =
        std::env::var("BENCH_ONLY").ok().map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    move |n| only.as_ref().is_none_or(|only| only.contains(&n))
}

/// `quick` rounds in a quick run, else `full`.
pub fn rounds(quick_rounds: u32, full: u32) -> u32 {
    if quick() { quick_rounds } else { full }
}

/// How long each throughput window lasts.
pub fn window() -> Duration {
    Duration::from_secs(if quick() { 1 } else { 3 })
}

/// Mean milliseconds per operation.
pub fn per_op_ms(total: Duration, ops: u32) -> f64 {
    total.as_secs_f64() * 1e3 / f64::from(ops)
}

/// Peak resident set size of this process so far, in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU seconds used so far by this process's threads whose name starts with `prefix`, and
/// by all the others (Linux `/proc/self/task/*/stat`, in clock ticks of 10 ms).
pub fn cpu_seconds_by_thread(prefix: &str) -> (f64, f64) {
    const TICKS_PER_SECOND: f64 = 100.0;
    let (mut matching, mut other) = (0.0, 0.0);
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return (f64::NAN, f64::NAN);
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        // `pid (comm) state ...`: comm may hold spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // After comm: state is field 0, utime field 11, stime field 12.
        let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
        if comm.starts_with(prefix) {
            matching += ticks / TICKS_PER_SECOND;
        } else {
            other += ticks / TICKS_PER_SECOND;
        }
    }
    (matching, other)
}
