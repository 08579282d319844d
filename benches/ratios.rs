//! Performance as ratios against baselines run in the same process, so they hold on a
//! noisy machine. `cargo bench -p customer-access-benches` runs the full form;
//! `BENCH_QUICK=1` a short one. Prints a table of ratio, target and verdict.
//!
//! 1. hashing: the pool (reused per-worker memory) vs `PasswordHasher::hash_password_with_salt`
//!    (a fresh 19 MiB allocation per hash) on a worker thread, default parameters;
//! 2. login throughput with 1, 2 and 64 callers against the ideal (workers x single-thread
//!    verification rate / 2 verifications per login), and peak RSS with 64 callers;
//! 3. service overhead: a login on SQLite vs the two bare verifications it costs;
//! 4. a compare-and-swap save with its audit row on SQLite vs the same SQL run by hand;
//! 5. overload: 10,000 concurrent logins against 2 workers; rejections' 99th percentile.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    missing_docs,
    reason = "a benchmark binary: measuring wall time is the point"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, HashPool, LoginOutcome, MemoryStore, NewContact, RecordingMailer, SecurityPolicy, ServiceError,
    Staff, StaffId, Store, SystemClock,
};
use customer_access_sqlite::SqliteStore;

struct Row {
    name: String,
    ratio: f64,
    target: &'static str,
    ok: bool,
    detail: String,
}

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v != "0")
}

/// Peak resident set size of this process since the last reset, in MiB (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

fn reset_peak_rss() {
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// Benchmark 1: per-hash time, pool vs fresh allocation, alternating rounds so drift hits
/// both.
async fn hashing(rows: &mut Vec<Row>) -> f64 {
    use argon2::PasswordHasher;
    let settings = customer_access::policy::Argon2Settings::default();
    let pool = HashPool::new(&settings, 1, 64).unwrap();
    let rounds = if quick() { 5 } else { 20 };
    let per_round = 4;
    let (mut pooled, mut fresh) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..per_round {
            pool.hash(b"correct horse battery 7").await.unwrap();
        }
        pooled += start.elapsed();
        let start = Instant::now();
        std::thread::spawn(move || {
            let argon = argon2::Argon2::default();
            for _ in 0..per_round {
                argon.hash_password_with_salt(b"correct horse battery 7", b"bench-salt-16byt").unwrap();
            }
        })
        .join()
        .unwrap();
        fresh += start.elapsed();
    }
    let n = f64::from(rounds * per_round);
    let (pool_ms, fresh_ms) = (pooled.as_secs_f64() * 1e3 / n, fresh.as_secs_f64() * 1e3 / n);
    rows.push(Row {
        name: "1. hash: pool / plain hash_password_with_salt (default params)".into(),
        ratio: pool_ms / fresh_ms,
        target: "<= 1.0",
        ok: pool_ms <= fresh_ms * 1.02,
        detail: format!("{pool_ms:.1} ms vs {fresh_ms:.1} ms per hash"),
    });
    pool_ms
}

async fn populated<S: Store>(
    store: S,
    workers: usize,
    queue: usize,
    users: usize,
) -> AccessService<S, RecordingMailer, SystemClock> {
    let mut policy = SecurityPolicy::default();
    policy.max_concurrent_hashes = workers;
    policy.hash_queue_depth = queue;
    let mailer = RecordingMailer::new();
    let service = AccessService::new(store, mailer.clone(), SystemClock, policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Bench Shop").await.unwrap();
    for i in 0..users {
        let username = format!("bench{i:03}");
        let new = NewContact {
            retailer: shop.id,
            username: username.clone(),
            email: format!("{username}@shop.example"),
            display_name: "Bench".into(),
        };
        service.invite(&admin, &new).await.unwrap();
        let temp = mailer.last_temporary_password().unwrap();
        let LoginOutcome::PasswordChangeRequired { ticket } = service.login(&username, &temp).await.unwrap() else {
            panic!()
        };
        service
            .set_new_password(&secret(ticket.expose_secret()), &secret(&format!("{username}-Pass-1")))
            .await
            .unwrap();
    }
    service
}

/// Benchmark 2: logins per second with `callers` concurrent callers starting logins for
/// `window`, divided by the time until the last one finished (in-flight logins count).
async fn throughput<S: Store>(
    service: &AccessService<S, RecordingMailer, SystemClock>,
    callers: usize,
    window: Duration,
) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + window;
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let (service, done) = (service.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                let username = format!("bench{:03}", c % 64);
                let password = secret(&format!("{username}-Pass-1"));
                while Instant::now() < deadline {
                    match service.login(&username, &password).await {
                        Ok(LoginOutcome::Authenticated { .. }) => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(ServiceError::Overloaded) => tokio::task::yield_now().await,
                        other => panic!("{other:?}"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --benches` runs this binary with test arguments: only compile then.
    if std::env::args().any(|a| a == "--bench") || std::env::var("BENCH_QUICK").is_ok() {
        run().await;
    } else {
        println!("ratios: run with `cargo bench -p customer-access-benches` (BENCH_QUICK=1 for a short run)");
    }
}

async fn run() {
    let mut rows = Vec::new();
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let window = Duration::from_secs(if quick() { 3 } else { 10 });
    let verify_ms = hashing(&mut rows).await;

    // 2. Throughput vs ideal on each store; peak RSS with 64 callers while only the
    // memory-store service (and its workers) is alive.
    let ideal_per_worker = 1000.0 / verify_ms / 2.0;
    let budget = cores as f64 * 19.0 + 32.0;
    let memory = populated(MemoryStore::new(), cores, 128, 64).await;
    for callers in [1, 2, 64] {
        reset_peak_rss();
        let rate = throughput(&memory, callers, window).await;
        push_throughput(&mut rows, "memory", callers, rate, ideal_per_worker * callers.min(cores) as f64);
        if callers == 64 {
            let rss = peak_rss_mib().unwrap_or(f64::NAN);
            rows.push(Row {
                name: "2. peak RSS of the process, 64 callers / (workers x m + 32 MiB)".into(),
                ratio: rss / budget,
                target: "<= 1.0",
                ok: rss <= budget,
                detail: format!("{rss:.0} MiB vs {budget:.0} MiB"),
            });
        }
    }
    drop(memory);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = populated(SqliteStore::open(dir.path().join("bench.db")).await.unwrap(), cores, 128, 64).await;
    for callers in [1, 2, 64] {
        let rate = throughput(&sqlite, callers, window).await;
        push_throughput(&mut rows, "SQLite", callers, rate, ideal_per_worker * callers.min(cores) as f64);
    }

    // 3. Service overhead on SQLite: one login vs its two bare verifications.
    let n = if quick() { 10 } else { 40 };
    let password = secret("bench000-Pass-1");
    let (mut login, mut bare) = (Duration::ZERO, Duration::ZERO);
    let pool = HashPool::new(&customer_access::policy::Argon2Settings::default(), 1, 8).unwrap();
    let stored = pool.hash(b"bench000-Pass-1").await.unwrap();
    for _ in 0..n {
        let start = Instant::now();
        sqlite.login("bench000", &password).await.unwrap();
        login += start.elapsed();
        let start = Instant::now();
        pool.verify(b"bench000-Pass-1", Some(&stored)).await.unwrap();
        pool.verify(b"bench000-Pass-1", None).await.unwrap();
        bare += start.elapsed();
    }
    rows.push(Row {
        name: "3. login on SQLite / its two bare verifications".into(),
        ratio: login.as_secs_f64() / bare.as_secs_f64(),
        target: "<= 1.05",
        ok: login.as_secs_f64() / bare.as_secs_f64() <= 1.05,
        detail: format!(
            "{:.1} ms vs {:.1} ms",
            login.as_secs_f64() * 1e3 / f64::from(n),
            bare.as_secs_f64() * 1e3 / f64::from(n)
        ),
    });

    // 4. Compare-and-swap save with one audit row vs the same statements by hand (SQLite).
    rows.push(cas_save(&sqlite).await);

    // 5. Overload: 10,000 concurrent logins against 2 workers.
    drop(sqlite);
    let overloaded = populated(MemoryStore::new(), 2, 64, 1).await;
    reset_peak_rss();
    let before = peak_rss_mib().unwrap_or(f64::NAN);
    let tasks: Vec<_> = (0..10_000)
        .map(|_| {
            let s = overloaded.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let r = s.login("bench000", &secret("bench000-Pass-1")).await;
                (matches!(r, Err(ServiceError::Overloaded)), start.elapsed())
            })
        })
        .collect();
    let mut rejected = Vec::new();
    for t in tasks {
        let (was_rejected, took) = t.await.unwrap();
        if was_rejected {
            rejected.push(took);
        }
    }
    rejected.sort();
    let p99 = rejected.get(rejected.len() * 99 / 100).copied().unwrap_or_default();
    let rss = peak_rss_mib().unwrap_or(f64::NAN);
    rows.push(Row {
        name: "5. overload: rejection p99 / 1 ms (10,000 logins, 2 workers)".into(),
        ratio: p99.as_secs_f64() * 1e3,
        target: "< 1.0",
        ok: p99 < Duration::from_millis(1),
        detail: format!("{} rejected, p99 {:.3} ms", rejected.len(), p99.as_secs_f64() * 1e3),
    });
    rows.push(Row {
        name: "5. overload: peak RSS growth with 10,000 callers / 32 MiB".into(),
        ratio: (rss - before) / 32.0,
        target: "<= 1.0",
        ok: rss - before <= 32.0,
        detail: format!("{before:.0} MiB before, {rss:.0} MiB peak (the 10,000 tasks' own futures included)"),
    });

    println!("\n| benchmark | ratio | target | verdict | measured |\n| --- | --- | --- | --- | --- |");
    for r in &rows {
        println!(
            "| {} | {:.2} | {} | {} | {} |",
            r.name,
            r.ratio,
            r.target,
            if r.ok { "met" } else { "**missed**" },
            r.detail
        );
    }
}

fn push_throughput(rows: &mut Vec<Row>, store: &str, callers: usize, rate: f64, ideal: f64) {
    rows.push(Row {
        name: format!("2. login throughput, {callers} caller(s), {store} / ideal"),
        ratio: rate / ideal,
        target: ">= 0.9",
        ok: rate / ideal >= 0.9,
        detail: format!("{rate:.1}/s vs ideal {ideal:.1}/s"),
    });
}

async fn cas_save(store: &AccessService<SqliteStore, RecordingMailer, SystemClock>) -> Row {
    use customer_access::{AuditEvent, AuditKind};
    let s = store.store();
    let key = customer_access::UsernameKey::from_stored("bench001").unwrap();
    let mut record = s.contact_by_username(&key).await.unwrap().unwrap();
    let n = if quick() { 200 } else { 1000 };
    let (mut via_store, mut by_hand) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..n {
        let mut next = record.clone();
        next.credentials.revision = record.credentials.revision.next();
        let event = AuditEvent {
            at: customer_access::Timestamp::from_unix_millis(0),
            actor: customer_access::Actor::System,
            retailer: Some(record.contact.retailer),
            contact: Some(record.contact.id),
            kind: AuditKind::Unlocked,
        };
        let start = Instant::now();
        s.save(record.credentials.revision, &next, std::slice::from_ref(&event)).await.unwrap();
        via_store += start.elapsed();
        record = next;
        // The same statements by hand: the conditional UPDATE of every column, one audit INSERT.
        let mut next = record.clone();
        next.credentials.revision = record.credentials.revision.next();
        let c = customer_access::columns::ContactColumns::from_record(&next);
        let start = Instant::now();
        let mut tx = s.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query(
            "UPDATE ca_contacts SET username = ?1, username_key = ?2, email = ?3, display_name = ?4, \
             login_enabled = ?5, revision = ?6, credential_version = ?7, password_hash = ?8, temp_hash = ?9, \
             temp_issued_at = ?10, temp_expires_at = ?11, temp_issued_by = ?12, ticket_digest = ?13, \
             ticket_expires_at = ?14, reset_window_started_at = ?15, reset_window_count = ?16 \
             WHERE id = ?17 AND revision = ?18",
        )
        .bind(c.username)
        .bind(c.username_key)
        .bind(c.email)
        .bind(c.display_name)
        .bind(c.login_enabled)
        .bind(c.revision)
        .bind(c.credential_version)
        .bind(c.password_hash)
        .bind(c.temp_hash)
        .bind(c.temp_issued_at)
        .bind(c.temp_expires_at)
        .bind(c.temp_issued_by)
        .bind(c.ticket_digest)
        .bind(c.ticket_expires_at)
        .bind(c.reset_window_started_at)
        .bind(c.reset_window_count)
        .bind(c.id)
        .bind(record.credentials.revision.0)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query("INSERT INTO ca_audit (at, actor, retailer_id, contact_id, kind) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(0i64)
            .bind("system")
            .bind(record.contact.retailer.get())
            .bind(record.contact.id.get())
            .bind("unlocked")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        by_hand += start.elapsed();
        record = next;
    }
    let ratio = via_store.as_secs_f64() / by_hand.as_secs_f64();
    Row {
        name: "4. CAS save + audit row, SQLite file / same SQL by hand".into(),
        ratio,
        target: "<= 1.3",
        ok: ratio <= 1.3,
        detail: format!(
            "{:.3} ms vs {:.3} ms",
            via_store.as_secs_f64() * 1e3 / f64::from(n),
            by_hand.as_secs_f64() * 1e3 / f64::from(n)
        ),
    }
}
