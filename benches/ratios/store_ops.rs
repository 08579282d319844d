//! Benchmark 4: a compare-and-swap save with one audit row through the store vs the same
//! statements run by hand (one transaction: the conditional UPDATE of every column, one
//! audit INSERT), on a SQLite file and on PostgreSQL, alternating. No hashing is involved.

use std::time::{Duration, Instant};

use customer_access::store::columns::ContactColumns;
use customer_access::store::{ContactRecord, UsernameKey};
use customer_access::{Actor, AuditEvent, AuditKind, Store, Timestamp};
use customer_access_postgres::SchemaName;

use crate::report::{Row, per_op_ms, rounds};
use crate::service::populated;

/// Bind an audit row's five columns, in statement order.
macro_rules! bind_audit {
    ($q:expr, $event:expr) => {
        $q.bind($event.at.unix_millis())
            .bind($event.actor.encode())
            .bind($event.retailer.map(|r| r.get()))
            .bind($event.contact.map(|c| c.get()))
            .bind($event.kind.code())
    };
}

const TARGET: &str = "<= 1.3";
const LIMIT: f64 = 1.3;

/// The statements `save` runs, written here independently of the store (whose copy is
/// built by `customer-access-sql`), for tables named `{prefix}contacts` and `{prefix}audit`.
/// Both databases take `$n` parameters.
fn update_sql(prefix: &str) -> String {
    format!(
        "UPDATE {prefix}contacts SET username = $1, username_key = $2, email = $3, display_name = $4, \
         login_enabled = $5, revision = $6, credential_version = $7, password_hash = $8, temp_hash = $9, \
         temp_issued_at = $10, temp_expires_at = $11, temp_issued_by = $12, ticket_digest = $13, \
         ticket_expires_at = $14, reset_window_started_at = $15, reset_window_count = $16, \
         hold_previous_email = $17, hold_until = $18 WHERE id = $19 AND revision = $20"
    )
}

fn audit_sql(prefix: &str) -> String {
    format!("INSERT INTO {prefix}audit (at, actor, retailer_id, contact_id, kind) VALUES ($1, $2, $3, $4, $5)")
}

/// Bind the 18 contact fields, the id and the expected revision, in statement order (a
/// macro, as sqlx's query types differ per database).
macro_rules! bind_update {
    ($q:expr, $c:expr, $expected:expr) => {{
        let c: ContactColumns = $c;
        $q.bind(c.username)
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
            .bind(c.hold_previous_email)
            .bind(c.hold_until)
            .bind(c.id)
            .bind($expected)
    }};
}

pub async fn run(rows: &mut Vec<Row>) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = customer_access_sqlite::open(dir.path().join("cas.db")).await.unwrap();
    let record = seeded(sqlite.clone()).await;
    let pool = sqlite.pool().clone();
    let (update, audit) = (update_sql("ca_"), audit_sql("ca_"));
    let by_hand = async |c: ContactColumns, expected: i64, event: &AuditEvent| {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let q = sqlx::query(sqlx::AssertSqlSafe(update.as_str()));
        let updated = bind_update!(q, c, expected).execute(&mut *tx).await.unwrap().rows_affected();
        assert_eq!(updated, 1);
        bind_audit!(sqlx::query(sqlx::AssertSqlSafe(audit.as_str())), event).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    };
    rows.push(compare("4. CAS save + audit row, SQLite file / same SQL by hand", &sqlite, record, by_hand).await);

    let url = std::env::var("CUSTOMER_ACCESS_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = SchemaName::parse(&format!("ca_bench_{}", std::process::id())).unwrap();
    let pg = match customer_access_postgres::connect(&url, schema.clone()).await {
        Ok(pg) => pg,
        Err(e) => {
            rows.push(Row::skipped("4. CAS save + audit row, PostgreSQL / same SQL by hand", TARGET, e.to_string()));
            return;
        }
    };
    let record = seeded(pg.clone()).await;
    let pool = pg.pool().clone();
    let prefix = format!("\"{}\".", schema.as_str());
    let (update, audit) = (update_sql(&prefix), audit_sql(&prefix));
    let by_hand = async |c: ContactColumns, expected: i64, event: &AuditEvent| {
        let mut tx = pool.begin().await.unwrap();
        let q = sqlx::query(sqlx::AssertSqlSafe(update.as_str()));
        let updated = bind_update!(q, c, expected).execute(&mut *tx).await.unwrap().rows_affected();
        assert_eq!(updated, 1);
        bind_audit!(sqlx::query(sqlx::AssertSqlSafe(audit.as_str())), event).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    };
    rows.push(compare("4. CAS save + audit row, PostgreSQL / same SQL by hand", &pg, record, by_hand).await);
    let drop_schema = format!("DROP SCHEMA \"{}\" CASCADE", schema.as_str());
    sqlx::query(sqlx::AssertSqlSafe(drop_schema)).execute(pg.pool()).await.unwrap();
}

/// One contact in `store`, made by the service (so the row is a real one).
async fn seeded<S: Store>(store: S) -> ContactRecord {
    let service = populated(store, 1, 8, 1).await;
    let key = UsernameKey::from_stored("bench000").unwrap();
    service.store().contact_by_username(&key).await.unwrap().unwrap()
}

/// Alternate a store `save` and the by-hand statements, each advancing the revision by one.
async fn compare<S: Store>(
    name: &str,
    store: &S,
    mut record: ContactRecord,
    by_hand: impl AsyncFn(ContactColumns, i64, &AuditEvent),
) -> Row {
    let n = rounds(200, 1000);
    let (mut via_store, mut hand) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..n {
        let event = AuditEvent {
            at: Timestamp::from_unix_millis(0),
            actor: Actor::System,
            retailer: Some(record.contact.retailer),
            contact: Some(record.contact.id),
            kind: AuditKind::Unlocked,
        };
        let next = advanced(&record);
        let start = Instant::now();
        store.save(record.credentials.revision, &next, std::slice::from_ref(&event)).await.unwrap();
        via_store += start.elapsed();
        record = next;
        let next = advanced(&record);
        let columns = ContactColumns::from_record(&next);
        let start = Instant::now();
        by_hand(columns, record.credentials.revision.0, &event).await;
        hand += start.elapsed();
        record = next;
    }
    let (store_ms, hand_ms) = (per_op_ms(via_store, n), per_op_ms(hand, n));
    Row::at_most(name, store_ms / hand_ms, LIMIT, TARGET, format!("{store_ms:.3} ms vs {hand_ms:.3} ms"))
}

fn advanced(record: &ContactRecord) -> ContactRecord {
    let mut next = record.clone();
    next.credentials.revision = record.credentials.revision.next();
    next
}
