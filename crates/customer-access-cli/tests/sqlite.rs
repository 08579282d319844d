//! `customer-access audit verify|anchor` against real SQLite files: exit status 0 for an
//! intact chain, 1 for each way of breaking it, 2 for what cannot be opened; the database
//! never created, migrated or changed by the tool.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Run, events, run};
use customer_access::Store;
use customer_access_sqlite::{SCHEMA_VERSION, SqliteStore};
use tempfile::TempDir;

/// A migrated database in a fresh directory, holding `count` chained events (seq 1..=count).
async fn seeded(count: i64) -> (TempDir, PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logins.db");
    let store = customer_access_sqlite::open(&path).await.unwrap();
    let shop = store.create_retailer("Shop").await.unwrap();
    store.append_audit(&events(shop.id, count)).await.unwrap();
    assert_eq!(store.audit_chain().await.unwrap().head.seq, u64::try_from(count).unwrap());
    (dir, path, store)
}

fn verify(path: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec!["audit".as_ref(), "verify".as_ref(), "--sqlite".as_ref(), path.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    run(args)
}

fn anchor(path: &Path) -> Run {
    run([OsStr::new("audit"), OsStr::new("anchor"), OsStr::new("--sqlite"), path.as_os_str()])
}

async fn exec(store: &SqliteStore, sql: &'static str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

#[tokio::test]
async fn an_intact_chain_exits_0_with_a_summary() {
    let (_dir, path, _store) = seeded(5).await;
    let r = verify(&path, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.lines().count(), 1, "one line: {r:?}");
    for part in ["intact", "5 events checked", "base 0", "head 5", "no anchor given"] {
        assert!(r.stdout.contains(part), "{part:?} in {r:?}");
    }
}

#[tokio::test]
async fn an_empty_log_is_intact() {
    let (_dir, path, _store) = seeded(0).await;
    let r = verify(&path, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("0 events checked"), "{r:?}");
}

#[tokio::test]
async fn an_altered_event_exits_1_naming_it() {
    let (_dir, path, store) = seeded(5).await;
    exec(&store, "UPDATE ca_audit SET kind = 'unlocked' WHERE seq = 2").await;
    let r = verify(&path, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("BROKEN") && r.stdout.contains("audit event 2 was changed"), "{r:?}");
}

#[tokio::test]
async fn a_removed_event_exits_1_naming_it() {
    let (_dir, path, store) = seeded(5).await;
    exec(&store, "DELETE FROM ca_audit WHERE seq = 3").await;
    let r = verify(&path, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("audit events 3 to 3 were removed"), "{r:?}");
}

#[tokio::test]
async fn a_row_inserted_outside_the_chain_exits_1() {
    // The walk goes by sequence number and cannot see a row without one; the schema refuses
    // such rows, so this is someone who dropped the trigger first. The tool reports it.
    let (_dir, path, store) = seeded(3).await;
    exec(&store, "DROP TRIGGER ca_audit_chained_insert").await;
    exec(&store, "INSERT INTO ca_audit (at, actor, kind) VALUES (1795828920000, 'system', 'unlocked')").await;
    let r = verify(&path, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("1 audit row(s) lie outside the chain"), "{r:?}");
    let r = anchor(&path);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""), "no anchor on a broken chain: {r:?}");
}

#[tokio::test]
async fn a_missing_file_exits_2_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    for r in [verify(&path, &[]), anchor(&path)] {
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains("no such file"), "{r:?}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing created: {left:?}");
}

#[tokio::test]
async fn a_file_that_is_no_customer_access_database_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database, but long enough to be read as a header of one\n".repeat(20)).unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    for path in [&text, &empty, &dir.path().to_owned()] {
        let r = verify(path, &[]);
        assert_eq!(r.code, 2, "{path:?}: {r:?}");
        assert!(r.stderr.starts_with("customer-access: "), "{r:?}");
    }
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0, "the empty file stays empty");
}

#[tokio::test]
async fn an_older_schema_exits_2_and_is_not_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let old = customer_access_sqlite::open_unmigrated(&path).await.unwrap();
    old.migrate_to(SCHEMA_VERSION - 1).await.unwrap();
    let version = || async {
        let v: i64 =
            sqlx::query_scalar("SELECT max(version) FROM ca_schema_migrations").fetch_one(old.pool()).await.unwrap();
        v
    };
    let r = verify(&path, &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("older than this tool's"), "{r:?}");
    assert_eq!(version().await, SCHEMA_VERSION - 1, "the tool never migrates");
}

#[tokio::test]
async fn verifying_leaves_the_database_file_as_it_was() {
    let (_dir, path, store) = seeded(4).await;
    store.close().await;
    let before = std::fs::read(&path).unwrap();
    assert_eq!(verify(&path, &[]).code, 0);
    assert_eq!(anchor(&path).code, 0);
    assert!(std::fs::read(&path).unwrap() == before, "not one byte changed");
}

#[tokio::test]
async fn an_anchor_round_trips_into_verify() {
    let (dir, path, store) = seeded(5).await;
    let cut = anchor(&path);
    assert_eq!(cut.code, 0, "{cut:?}");
    let line = cut.stdout.trim_end();
    assert_eq!(cut.stdout.lines().count(), 1, "only the anchor on stdout: {cut:?}");
    assert!(line.starts_with("customer-access-audit-anchor v1 5 "), "{cut:?}");

    let r = verify(&path, &["--anchor", line]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("anchor at 5 matched"), "{r:?}");

    // Events appended after the anchor are fine; the anchor still matches its event.
    let shop = store.create_retailer("Later").await.unwrap();
    store.append_audit(&common::events(shop.id, 2)).await.unwrap();
    let file = dir.path().join("anchors.txt");
    std::fs::write(&file, format!("customer-access-audit-anchor v1 1 {} 1\n{line}\n\n", "0".repeat(64))).unwrap();
    let r = verify(&path, &["--anchor-file", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "the last line is used: {r:?}");
    assert!(r.stdout.contains("7 events checked") && r.stdout.contains("anchor at 5 matched"), "{r:?}");
}

#[tokio::test]
async fn a_head_cut_back_passes_alone_but_fails_against_an_earlier_anchor() {
    let (_dir, path, store) = seeded(5).await;
    let cut = anchor(&path);
    assert_eq!(cut.code, 0, "{cut:?}");
    let line = cut.stdout.trim_end().to_owned();

    // Cut events 4 and 5 off and move the head back onto event 3: a consistent shorter chain.
    exec(&store, "DELETE FROM ca_audit WHERE seq > 3").await;
    exec(
        &store,
        "UPDATE ca_audit_chain SET head_seq = 3, head_hash = (SELECT hash FROM ca_audit WHERE seq = 3) WHERE id = 1",
    )
    .await;

    let alone = verify(&path, &[]);
    assert_eq!(alone.code, 0, "without an anchor the cut cannot be seen: {alone:?}");
    assert!(alone.stdout.contains("head 3"), "{alone:?}");
    let anchored = verify(&path, &["--anchor", &line]);
    assert_eq!(anchored.code, 1, "{anchored:?}");
    assert!(anchored.stdout.contains("the chain ends at 3, before the anchor at 5"), "{anchored:?}");
}

#[tokio::test]
async fn a_rewritten_chain_fails_against_an_anchor() {
    let (_dir, path, store) = seeded(3).await;
    let line = anchor(&path).stdout.trim_end().to_owned();
    // An anchor naming another hash at the same place: as if the chain had been rebuilt.
    let forged = line.replacen(
        &line.split(' ').nth(3).unwrap().to_owned(),
        "1111111111111111111111111111111111111111111111111111111111111111",
        1,
    );
    let r = verify(&path, &["--anchor", &forged]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("audit event 3 differs from the anchor"), "{r:?}");
    drop(store);
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let (dir, path, _store) = seeded(1).await;
    let p = path.to_str().unwrap();
    let missing_anchor_file = dir.path().join("none.txt");
    let empty_anchor_file = dir.path().join("empty.txt");
    std::fs::write(&empty_anchor_file, "\n\n").unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["audit"],
        vec!["audit", "verify"],
        vec!["audit", "verify", "--sqlite", p, "--postgres", "postgres://x@127.0.0.1/db", "--schema", "s"],
        vec!["audit", "verify", "--postgres", "postgres://x@127.0.0.1/db"],
        vec!["audit", "verify", "--postgres", "postgres://x@127.0.0.1/db", "--schema", "Not-A-Schema"],
        vec!["audit", "verify", "--sqlite", p, "--anchor", "not an anchor"],
        vec!["audit", "verify", "--sqlite", p, "--anchor", "a", "--anchor-file", "b"],
        vec!["audit", "verify", "--sqlite", p, "--anchor-file", missing_anchor_file.to_str().unwrap()],
        vec!["audit", "verify", "--sqlite", p, "--anchor-file", empty_anchor_file.to_str().unwrap()],
        vec!["audit", "anchor", "--sqlite", p, "--anchor", "a"],
    ];
    for args in cases {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(!r.stderr.is_empty(), "{args:?}: {r:?}");
    }
}

#[test]
fn help_exits_0_for_every_command() {
    for (args, mention) in [
        (vec!["--help"], "audit"),
        (vec!["audit", "--help"], "anchor"),
        (vec!["audit", "verify", "--help"], "--anchor-file"),
        (vec!["audit", "anchor", "--help"], "--postgres"),
    ] {
        let r = run(&args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        assert!(r.stdout.contains(mention), "{args:?}: {r:?}");
    }
}

#[tokio::test]
async fn a_log_being_written_is_not_reported_broken_but_a_real_break_is() {
    // The application keeps appending while verify and anchor run. An event committed between
    // reading the chain's ends and reading the newest page lies beyond the head that was read;
    // that is no break, and neither verify nor anchor may say so.
    let (_dir, path, store) = seeded(600).await;
    let shop = store.create_retailer("Busy").await.unwrap();
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (store, writing) = (store.clone(), Arc::clone(&writing));
        tokio::spawn(async move {
            while writing.load(Ordering::Relaxed) {
                store.append_audit(&events(shop.id, 1)).await.unwrap();
            }
        })
    };
    let runs = |count| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || (0..count).flat_map(|_| [verify(&path, &[]), anchor(&path)]).collect())
    };
    let live: Vec<Run> = runs(10).await.unwrap();
    // A row planted far beyond the head stays a break however the head moves meanwhile.
    exec(
        &store,
        "INSERT INTO ca_audit (seq, prev_hash, hash, at, actor, retailer_id, contact_id, kind, staff_id, device_id) \
         SELECT 1000000, prev_hash, hash, at, actor, retailer_id, contact_id, kind, staff_id, device_id \
         FROM ca_audit WHERE seq = 5",
    )
    .await;
    let planted: Vec<Run> = runs(3).await.unwrap();
    writing.store(false, Ordering::Relaxed);
    writer.await.unwrap();
    for r in &live {
        assert_eq!(r.code, 0, "{r:?}");
    }
    for r in &planted {
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.output().contains("audit event 1000000 lies beyond the chain's head"), "{r:?}");
    }
}

#[tokio::test]
async fn recent_events_deleted_as_if_pruned_exit_1() {
    let (_dir, path, store) = seeded(0).await;
    let now = customer_access::Clock::now(&customer_access::SystemClock);
    let fresh: Vec<_> = common::events(customer_access::RetailerId::new(1), 5)
        .into_iter()
        .map(|e| customer_access::AuditEvent { at: now, ..e })
        .collect();
    store.append_audit(&fresh).await.unwrap();
    // Delete events 1 to 3 and make event 4 the base, as retention would, but moments after
    // they were written.
    exec(&store, "DELETE FROM ca_audit WHERE seq < 4").await;
    exec(
        &store,
        "UPDATE ca_audit_chain SET base_seq = 4, base_hash = (SELECT hash FROM ca_audit WHERE seq = 4) WHERE id = 1",
    )
    .await;
    let r = verify(&path, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("younger than the retention allows"), "{r:?}");
    let r = verify(&path, &["--retention-hours", "0"]);
    assert_eq!(r.code, 0, "with no retention claimed the chain itself is consistent: {r:?}");
}
