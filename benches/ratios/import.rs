//! Benchmark 6: bulk import, SQLite file and PostgreSQL.
//!
//! - Without hashes: 100,000 contacts (20,000 in the quick form) streamed through the
//!   importer, against the same number of contacts created one transaction each with
//!   `Store::create_contact` and its audit event (what importing by invitation would cost
//!   the store, without the hashing), measured on a sample of 2,000. The absolute rate is
//!   the "contacts per second" figure.
//! - Memory stays flat: the process's peak RSS after the whole run over its peak after the
//!   first tenth (the rows are generated one at a time, as a file reader gives them).
//! - With hashes: each row's bcrypt hash is wrapped in Argon2id at the default parameters,
//!   so the rate is the hashing pool's; measured on 2,000 rows (400 quick) against the
//!   pool's bare hash rate with as many callers as workers, in the same process. 100,000
//!   rows take 100,000 / that rate (the rate is flat in the row count: rows are streamed).

use std::time::Instant;

use customer_access::import::ImportRow;
use customer_access::secrecy::SecretString;
use customer_access::store::NewContactRecord;
use customer_access::{
    AccessService, Actor, AuditEvent, AuditKind, RecordingMailer, SecurityPolicy, Staff, StaffId, Store, SystemClock,
};
use customer_access_postgres::SchemaName;

use crate::report::{Row, peak_rss_mib, quick};

/// bcrypt (cost 5), as Python's bcrypt writes it.
const BCRYPT: &str = "$2b$05$AFY/f.q27nomBYI4.icG3.Ld5jxVKY9W8zfxMe7h/FPbLfdTKtCiq";

fn row(i: usize, tag: &str, hashed: bool) -> ImportRow {
    let r = i / 50;
    ImportRow {
        external_id: format!("{tag}-C-{i}"),
        retailer_external_id: format!("{tag}-R-{r}"),
        retailer_name: format!("Retailer {r}"),
        username: format!("{tag}user{i}"),
        email: format!("user{i}@shop{r}.example"),
        display_name: format!("Contact {i}"),
        login_enabled: true,
        password_hash: hashed.then(|| SecretString::from(BCRYPT)),
    }
}

type Service<S> = AccessService<S, RecordingMailer, SystemClock>;

/// Import `count` generated rows; rows per second, and the peak RSS after the first tenth.
async fn import_rate<S: Store>(service: &Service<S>, count: usize, tag: &str, hashed: bool) -> (f64, Option<f64>) {
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let mut importer = service.importer(&admin).await.unwrap();
    let (mut created, mut early_peak) = (0, None);
    let started = Instant::now();
    for i in 0..count {
        created += importer.push(i as u64 + 2, row(i, tag, hashed)).await.unwrap().len();
        if i + 1 == count / 10 {
            early_peak = peak_rss_mib();
        }
    }
    created += importer.finish().await.unwrap().len();
    assert_eq!(created, count, "every row decided");
    (count as f64 / started.elapsed().as_secs_f64(), early_peak)
}

/// Contacts created one transaction each, with their audit event: rows per second.
async fn one_by_one_rate<S: Store>(store: &S, count: usize, tag: &str) -> f64 {
    let shop = store.create_retailer("One by one").await.unwrap();
    let policy = SecurityPolicy::default();
    let started = Instant::now();
    for i in 0..count {
        let r = row(i, tag, false);
        let new = NewContactRecord {
            retailer: shop.id,
            username: r.username.clone(),
            username_key: policy.username.canonicalize(&r.username).unwrap(),
            email: customer_access::EmailAddress::parse(&r.email).unwrap(),
            display_name: r.display_name,
            login_enabled: true,
            preferences: Default::default(),
            credentials: customer_access::store::Credentials::empty(),
        };
        let event = AuditEvent {
            at: customer_access::Timestamp::from_unix_millis(1_795_828_920_000),
            actor: Actor::Staff(Staff::SalesAdmin { staff_id: StaffId::new(1) }),
            retailer: Some(shop.id),
            contact: None,
            kind: AuditKind::ContactImported,
        };
        store.create_contact(&new, &[event]).await.unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}

/// The pool's bare hash rate with one caller per worker: hashes per second.
async fn bare_hash_rate<S: Store>(service: &Service<S>, count: usize) -> f64 {
    let pool = service.hash_pool().clone();
    let workers = pool.workers();
    let started = Instant::now();
    let callers: Vec<_> = (0..workers)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for _ in 0..count / workers {
                    pool.hash(b"bare hash baseline").await.unwrap();
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    (count / workers * workers) as f64 / started.elapsed().as_secs_f64()
}

async fn measure<S: Store + Clone>(rows: &mut Vec<Row>, store: S, name: &str) {
    let (plain, sample, hashed) = if quick() { (20_000, 500, 400) } else { (100_000, 2_000, 2_000) };
    let service =
        AccessService::new(store.clone(), RecordingMailer::new(), SystemClock, SecurityPolicy::default()).unwrap();
    let baseline = one_by_one_rate(&store, sample, "one").await;
    let (rate, early_peak) = import_rate(&service, plain, "plain", false).await;
    rows.push(Row::at_least(
        format!("6. import without hashes, {name}: {plain} contacts / one create_contact per transaction"),
        rate / baseline,
        3.0,
        ">= 3",
        format!("{rate:.0} contacts/s vs {baseline:.0}/s"),
    ));
    if let (Some(early), Some(late)) = (early_peak, peak_rss_mib()) {
        rows.push(Row::at_most(
            format!("6. import memory, {name}: peak RSS after {plain} rows / after the first tenth"),
            late / early,
            1.25,
            "<= 1.25",
            format!("{late:.0} MiB vs {early:.0} MiB"),
        ));
    }
    let bare = bare_hash_rate(&service, hashed.min(400)).await;
    let (rate, _) = import_rate(&service, hashed, "hashed", true).await;
    rows.push(Row::at_least(
        format!("6. import with bcrypt hashes, {name}: rows wrapped in Argon2id / bare Argon2id hashes"),
        rate / bare,
        0.85,
        ">= 0.85",
        format!("{rate:.1} contacts/s vs {bare:.1} hashes/s; 100,000 rows in {:.0} min", 100_000.0 / rate / 60.0),
    ));
}

pub async fn run(rows: &mut Vec<Row>) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = customer_access_sqlite::open(dir.path().join("import.db")).await.unwrap();
    measure(rows, sqlite, "SQLite file").await;

    let url = std::env::var("CUSTOMER_ACCESS_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = SchemaName::parse(&format!("ca_bench_import_{}", std::process::id())).unwrap();
    match customer_access_postgres::connect(&url, schema.clone()).await {
        Ok(pg) => {
            measure(rows, pg.clone(), "PostgreSQL").await;
            let drop = format!("DROP SCHEMA \"{}\" CASCADE", schema.as_str());
            sqlx::query(sqlx::AssertSqlSafe(drop)).execute(pg.pool()).await.unwrap();
        }
        Err(e) => rows.push(Row::skipped("6. import, PostgreSQL", ">= 3", e.to_string())),
    }
}
