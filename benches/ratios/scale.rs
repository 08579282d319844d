//! Benchmark 7: production size. The same operations on a database of 1,000 contacts (50
//! retailers, 10,000 audit events) and on one of 1,000,000 contacts (50,000 retailers,
//! 10,000,000 audit events), SQLite file and PostgreSQL, each as the ratio of the large
//! database's median to the small one's, measured alternately in one process.
//!
//! The large data is written by SQL that generates it inside the database (a recursive CTE
//! on SQLite, `generate_series` on PostgreSQL), not one invitation at a time: 20 contacts per
//! retailer, each with the same Argon2id hash of one password (the benchmark's test
//! parameters, so that a login's store work is not hidden behind hashing), ten audit events
//! per contact over two years (a fifth of them staff resets by 500 sales admins). The
//! generated events carry placeholder chain hashes: the chain's head is set after them, so
//! new events chain on, but `verify_audit` would stop at the generated part.
//!
//! `BENCH_SCALE_CONTACTS` sets the large size (default 1,000,000; `BENCH_QUICK=1` 100,000).

use std::time::{Duration, Instant};

use customer_access::policy::{Argon2Settings, SecurityPolicy};
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, AuditScope, Clock, ContactId, ContactQuery, ContactSearch, LoginOutcome, RecordingMailer,
    ResetOptions, RetailerId, SelfServiceOutcome, Staff, StaffId, Store, SystemClock,
};
use customer_access_postgres::{PostgresStore, SchemaName};
use customer_access_sql::Dialect as _;

use crate::report::{Row, quick};

/// Contacts per retailer in both databases.
const PER_RETAILER: i64 = 20;
/// Audit events per contact in both databases.
const EVENTS_PER_CONTACT: i64 = 10;
/// Sales admins whose staff resets fill the history.
const STAFF: i64 = 500;
/// The small database.
const SMALL: i64 = 1_000;
/// Distinct unknown usernames in the spray.
const SPRAY: i64 = 100_000;
/// The password every generated contact has.
const PASSWORD: &str = "Scale-Bench-2026";
/// The ratio every operation must stay within.
const LIMIT: f64 = 1.2;

type Service<S> = AccessService<S, RecordingMailer, SystemClock>;

fn policy() -> SecurityPolicy {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    policy
}

/// How a database generates rows: the SQL differences between SQLite and PostgreSQL.
struct Dialect {
    /// Table name prefix (`ca_` or `"schema".`), as the store's own dialect writes it.
    prefix: String,
    postgres: bool,
}

impl Dialect {
    /// `INSERT INTO {table} ({columns}) SELECT {select} FROM` the integers `from..=to` as `i`.
    fn generate(&self, table: &str, columns: &str, select: &str, from: i64, to: i64) -> String {
        let p = &self.prefix;
        if self.postgres {
            format!(
                "INSERT INTO {p}{table} ({columns}) SELECT {select} FROM generate_series({from}::bigint, {to}) AS s(i)"
            )
        } else {
            format!(
                "INSERT INTO {p}{table} ({columns}) WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s \
                 WHERE i < {to}) SELECT {select} FROM s"
            )
        }
    }

    /// A 64-digit hex text of `expr`, standing in for a chain hash.
    fn hex64(&self, expr: &str) -> String {
        if self.postgres { format!("lpad(to_hex({expr}), 64, '0')") } else { format!("printf('%064x', {expr})") }
    }

    fn boolean(&self, value: bool) -> &'static str {
        match (self.postgres, value) {
            (true, true) => "TRUE",
            (true, false) => "FALSE",
            (false, true) => "1",
            (false, false) => "0",
        }
    }
}

/// What a generated database holds.
#[derive(Clone, Copy)]
struct Size {
    contacts: i64,
}

impl Size {
    fn retailers(self) -> i64 {
        self.contacts / PER_RETAILER
    }
    fn events(self) -> i64 {
        self.contacts * EVENTS_PER_CONTACT
    }
}

/// Fill an empty, migrated store with `size`'s retailers, contacts and audit events and, with
/// `spray`, as many failed-login entries of distinct unknown usernames as the back-off tracks.
async fn generate<S: Store>(
    service: &Service<S>,
    exec: &impl Fn(String) -> futures_like::BoxFuture<'static>,
    spray: bool,
    dialect: &Dialect,
    size: Size,
) {
    let hash = service.hash_pool().hash(PASSWORD.as_bytes()).await.unwrap();
    let hash = hash.as_phc().replace('\'', "");
    let (n, r, e) = (size.contacts, size.retailers(), size.events());
    exec(dialect.generate("retailers", "id, name", "i, 'Retailer ' || i", 1, r)).await;
    let select = format!(
        "i, ((i - 1) / {PER_RETAILER}) + 1, 'user' || i, 'user' || i, 'user' || i || '@shop' || ((i - 1) / {PER_RETAILER} + 1) || '.example', \
         'Contact ' || i || ' Person', {t}, 1, 1, '{hash}', 0",
        t = dialect.boolean(true)
    );
    let columns = "id, retailer_id, username, username_key, email, display_name, login_enabled, revision, \
                   credential_version, password_hash, reset_window_count";
    // In slices, so no statement holds millions of rows in one transaction's memory.
    for from in (1..=n).step_by(200_000) {
        exec(dialect.generate("contacts", columns, &select, from, (from + 199_999).min(n))).await;
    }
    let now = SystemClock.now().unix_millis();
    let step = (2 * 365 * 24 * 3_600_000) / e;
    let c = format!("(((i - 1) % {n}) + 1)");
    let staff_event = "(i % 5 = 0)";
    let select = format!(
        "i, {prev}, {hash}, {now} - ({e} - i) * {step}, \
         CASE WHEN {staff_event} THEN 'sales_admin:' || ((i / 5) % {STAFF} + 1) ELSE 'contact:' || {c} END, \
         CASE WHEN {staff_event} THEN (i / 5) % {STAFF} + 1 ELSE NULL END, NULL, ({c} - 1) / {PER_RETAILER} + 1, {c}, \
         CASE WHEN {staff_event} THEN 'staff_reset_issued' WHEN i % 5 = 1 THEN 'change_ticket_issued' \
         WHEN i % 5 = 2 THEN 'password_set' WHEN i % 5 = 3 THEN 'self_service_reset_issued' ELSE 'password_changed' END",
        prev = dialect.hex64("i - 1"),
        hash = dialect.hex64("i"),
    );
    let columns = "seq, prev_hash, hash, at, actor, staff_id, device_id, retailer_id, contact_id, kind";
    for from in (1..=e).step_by(1_000_000) {
        exec(dialect.generate("audit", columns, &select, from, (from + 999_999).min(e))).await;
    }
    let p = &dialect.prefix;
    exec(format!("UPDATE {p}audit_chain SET head_seq = {e}, head_hash = {}", dialect.hex64(&e.to_string()))).await;
    if spray {
        // The spray: as many one-failure entries as the back-off tracks, all recent.
        let select = format!("'spray-{n}-' || i, 1, {now} - i");
        exec(dialect.generate("login_failures", "username_key, count, last_failure_at", &select, 1, SPRAY)).await;
    }
    if dialect.postgres {
        for table in ["retailers", "contacts"] {
            exec(format!(
                "SELECT setval(pg_get_serial_sequence('{p}{table}', 'id'), (SELECT max(id) FROM {p}{table}))"
            ))
            .await;
        }
        for table in ["retailers", "contacts", "audit", "login_failures"] {
            exec(format!("ANALYZE {p}{table}")).await;
        }
    } else {
        exec("ANALYZE".to_owned()).await;
    }
}

/// A tiny boxed-future alias, so `generate` can take either store's executor.
mod futures_like {
    pub type BoxFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
}

/// The operations, each run once on a sample `k` (distinct contacts and staff per sample).
#[derive(Clone, Copy, Debug)]
enum Op {
    Login,
    SelfServiceReset,
    StaffReset,
    ContactsPage,
    ContactSearch,
    AuditPage,
    FailedLoginUnderSpray,
}

impl Op {
    const ALL: [Self; 7] = [
        Self::Login,
        Self::SelfServiceReset,
        Self::StaffReset,
        Self::ContactsPage,
        Self::ContactSearch,
        Self::AuditPage,
        Self::FailedLoginUnderSpray,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::SelfServiceReset => "self-service reset",
            Self::StaffReset => "staff reset",
            Self::ContactsPage => "one page of contacts (50)",
            Self::ContactSearch => "a contact search",
            Self::AuditPage => "one page of a retailer's audit events (50)",
            Self::FailedLoginUnderSpray => "failed login of an unknown username, failure table at its bound",
        }
    }

    async fn run<S: Store>(self, service: &Service<S>, size: Size, k: i64) {
        // Spread samples over the whole database, never the same contact twice.
        let contact = (k * 7_919) % size.contacts + 1;
        let retailer = RetailerId::new((contact - 1) / PER_RETAILER + 1);
        let admin = Staff::SalesAdmin { staff_id: StaffId::new(k % STAFF + 1) };
        let username = format!("user{contact}");
        match self {
            Self::Login => {
                let outcome = service.login(&username, &SecretString::from(PASSWORD)).await.unwrap();
                assert!(matches!(outcome, LoginOutcome::Authenticated { .. }), "{outcome:?}");
            }
            Self::SelfServiceReset => {
                let outcome = service.request_password_reset(&username).unwrap().run().await;
                assert!(matches!(outcome, SelfServiceOutcome::Sent), "{outcome:?}");
            }
            Self::StaffReset => {
                service.staff_reset(&admin, ContactId::new(contact), ResetOptions::default()).await.unwrap();
            }
            Self::ContactsPage => {
                let page = service.contacts_page(&admin, retailer, &ContactQuery::new(50)).await.unwrap();
                assert_eq!(i64::try_from(page.contacts.len()).unwrap(), PER_RETAILER);
            }
            Self::ContactSearch => {
                let search = ContactSearch::parse(&format!("contact {contact} ")).unwrap();
                let page =
                    service.contacts_page(&admin, retailer, &ContactQuery::new(50).matching(search)).await.unwrap();
                assert!(!page.contacts.is_empty());
            }
            Self::AuditPage => {
                let page = service.audit_page(&admin, &AuditScope::Retailer(retailer), None, 50).await.unwrap();
                assert!(!page.is_empty());
            }
            Self::FailedLoginUnderSpray => {
                let unknown = format!("sprayed-{}-{k}", size.contacts);
                let outcome = service.login(&unknown, &SecretString::from(PASSWORD)).await.unwrap();
                assert!(matches!(outcome, LoginOutcome::InvalidCredentials), "{outcome:?}");
            }
        }
    }
}

fn mean(samples: &[Duration]) -> f64 {
    samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Each operation `samples` times on both databases, alternating: one row per operation.
async fn compare<S: Store>(rows: &mut Vec<Row>, name: &str, small: &Service<S>, large: &Service<S>, big: Size) {
    let samples = if quick() { 60 } else { 200 };
    for op in Op::ALL {
        let (mut on_small, mut on_large) = (Vec::new(), Vec::new());
        for k in 0..samples {
            let started = Instant::now();
            op.run(small, Size { contacts: SMALL }, k).await;
            on_small.push(started.elapsed());
            let started = Instant::now();
            op.run(large, big, k).await;
            on_large.push(started.elapsed());
        }
        let (small_mean, large_mean) = (mean(&on_small), mean(&on_large));
        let (s, l) = (median(on_small), median(on_large));
        rows.push(Row::at_most(
            format!("7. {name}, {}: {} contacts / {SMALL}", op.name(), big.contacts),
            l.as_secs_f64() / s.as_secs_f64(),
            LIMIT,
            "<= 1.2",
            format!(
                "median {:.2} ms vs {:.2} ms; mean {:.2} ms vs {:.2} ms",
                l.as_secs_f64() * 1e3,
                s.as_secs_f64() * 1e3,
                large_mean * 1e3,
                small_mean * 1e3
            ),
        ));
    }
}

fn size_row(rows: &mut Vec<Row>, name: &str, big: Size, contact_bytes: f64, event_bytes: f64) {
    rows.push(Row::reference(
        format!("7. {name}, database size: bytes per contact / per audit event"),
        contact_bytes / event_bytes,
        format!(
            "{contact_bytes:.0} B per contact (with its retailer share), {event_bytes:.0} B per event, at {} contacts",
            big.contacts
        ),
    ));
}

/// The failed-login table after the spray and the run, against the bound it must keep.
fn bound_row(rows: &mut Vec<Row>, name: &str, tracked: i64) {
    let bound = policy().login_backoff.max_tracked_keys as f64;
    rows.push(Row::at_most(
        format!("7. {name}, failed-login entries after a {SPRAY}-username spray and the run / max_tracked_keys"),
        tracked as f64 / bound,
        1.001,
        "<= 1.001",
        format!("{tracked} entries, bound {bound:.0} (trimmed on every 64th new entry, so up to 64 over)"),
    ));
}

fn large_size() -> Size {
    let default = if quick() { 100_000 } else { 1_000_000 };
    let contacts = std::env::var("BENCH_SCALE_CONTACTS").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    Size { contacts: contacts.max(SMALL) }
}

/// A service on `store`, its empty database filled with `size` by SQL run on `pool`.
async fn filled<S, DB>(engine: &str, store: S, pool: sqlx::Pool<DB>, dialect: &Dialect, size: Size) -> Service<S>
where
    S: Store,
    DB: sqlx::Database,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'p> &'p sqlx::Pool<DB>: sqlx::Executor<'p, Database = DB>,
{
    let service = AccessService::new(store, RecordingMailer::new(), SystemClock, policy()).unwrap();
    let exec = move |sql: String| -> futures_like::BoxFuture<'static> {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
        })
    };
    let started = Instant::now();
    generate(&service, &exec, size.contacts > SMALL, dialect, size).await;
    eprintln!("{engine}: {} contacts generated in {:.0} s", size.contacts, started.elapsed().as_secs_f64());
    service
}

async fn sqlite(rows: &mut Vec<Row>, big: Size) {
    let dir = tempfile::tempdir().unwrap();
    let mut services = Vec::new();
    for (file, size) in [("small.db", Size { contacts: SMALL }), ("large.db", big)] {
        let store = customer_access_sqlite::open(dir.path().join(file)).await.unwrap();
        let dialect = Dialect { prefix: store.dialect().table_prefix(), postgres: false };
        let pool = store.pool().clone();
        services.push(filled("SQLite", store, pool, &dialect, size).await);
    }
    compare(rows, "SQLite file", &services[0], &services[1], big).await;
    let pool = services[1].store().pool().clone();
    let tracked: i64 = sqlx::query_scalar("SELECT count(*) FROM ca_login_failures").fetch_one(&pool).await.unwrap();
    bound_row(rows, "SQLite file", tracked);
    let bytes = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let sql = format!(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'ca_{table}%' OR name LIKE 'sqlite_autoindex_ca_{table}%'"
            );
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.map(|b| b as f64)
        }
    };
    match (bytes("contacts").await, bytes("retailers").await, bytes("audit").await) {
        (Ok(c), Ok(r), Ok(a)) => {
            size_row(rows, "SQLite file", big, (c + r) / big.contacts as f64, a / big.events() as f64);
        }
        _ => {
            let file = std::fs::metadata(dir.path().join("large.db")).map(|m| m.len() as f64).unwrap_or(f64::NAN);
            let per_row = file / (big.contacts + big.events()) as f64;
            size_row(rows, "SQLite file (whole file / rows)", big, per_row, per_row);
        }
    }
}

async fn postgres(rows: &mut Vec<Row>, big: Size) {
    let url = std::env::var("CUSTOMER_ACCESS_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let mut services: Vec<Service<PostgresStore>> = Vec::new();
    let mut schemas = Vec::new();
    for (tag, size) in [("small", Size { contacts: SMALL }), ("large", big)] {
        let schema = SchemaName::parse(&format!("ca_bench_scale_{tag}_{}", std::process::id())).unwrap();
        let store = match customer_access_postgres::connect(&url, schema.clone()).await {
            Ok(store) => store,
            Err(e) => {
                rows.push(Row::skipped("7. scale, PostgreSQL", "<= 1.2", e.to_string()));
                return;
            }
        };
        let dialect = Dialect { prefix: store.dialect().table_prefix(), postgres: true };
        let pool = store.pool().clone();
        services.push(filled("PostgreSQL", store, pool, &dialect, size).await);
        schemas.push(schema);
    }
    compare(rows, "PostgreSQL", &services[0], &services[1], big).await;
    let pool = services[1].store().pool().clone();
    let schema = schemas[1].as_str().to_owned();
    let count = format!("SELECT count(*) FROM \"{schema}\".login_failures");
    let tracked: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).fetch_one(&pool).await.unwrap();
    bound_row(rows, "PostgreSQL", tracked);
    let bytes = |table: &str| {
        let sql = format!("SELECT pg_total_relation_size('\"{schema}\".{table}')");
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.unwrap() as f64 }
    };
    let (c, r, a) = (bytes("contacts").await, bytes("retailers").await, bytes("audit").await);
    size_row(rows, "PostgreSQL", big, (c + r) / big.contacts as f64, a / big.events() as f64);
    for schema in schemas {
        let drop = format!("DROP SCHEMA \"{}\" CASCADE", schema.as_str());
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await.unwrap();
    }
}

pub async fn run(rows: &mut Vec<Row>) {
    let big = large_size();
    sqlite(rows, big).await;
    postgres(rows, big).await;
}
