//! Benchmark 4: a compare-and-swap save with one audit row through the store vs the same
//! statements run by hand (one transaction: the conditional UPDATE of every column, the
//! audit chain's lock, one chained audit INSERT, the head's update), on a SQLite file and on
//! PostgreSQL, alternating; and the cost of the chain itself: the store's save vs the save as
//! it was before the chain (the UPDATE and a plain audit INSERT into a table of the old
//! shape, by hand). No password hashing is involved.

use std::time::{Duration, Instant};

use customer_access::store::columns::ContactColumns;
use customer_access::store::{ContactRecord, UsernameKey};
use customer_access::{Actor, AuditEvent, AuditKind, ChainLink, Store, Timestamp};
use customer_access_postgres::SchemaName;
use sqlx::Row as _;

use crate::report::{Row, per_op_ms, rounds};
use crate::service::populated;

/// Bind an audit row's five event columns, in statement order.
macro_rules! bind_audit {
    ($q:expr, $event:expr) => {
        $q.bind($event.at.unix_millis())
            .bind($event.actor.encode())
            .bind($event.retailer.map(|r| r.get()))
            .bind($event.contact.map(|c| c.get()))
            .bind($event.kind.code())
    };
}

/// The chained save by hand: lock the chain's row, chain the event after the head, insert
/// it with its place, move the head.
macro_rules! chained_audit {
    ($tx:expr, $sql:expr, $event:expr) => {{
        let head = sqlx::query(sqlx::AssertSqlSafe($sql.lock.as_str())).fetch_one(&mut *$tx).await.unwrap();
        let link = ChainLink {
            seq: u64::try_from(head.get::<i64, _>("head_seq")).unwrap(),
            hash: head.get::<String, _>("head_hash").parse().unwrap(),
        };
        let record = link.next($event.clone());
        let q = sqlx::query(sqlx::AssertSqlSafe($sql.insert.as_str()))
            .bind(i64::try_from(record.seq).unwrap())
            .bind(record.prev.to_string())
            .bind(record.hash.to_string());
        bind_audit!(q, $event).execute(&mut *$tx).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe($sql.head.as_str()))
            .bind(i64::try_from(record.seq).unwrap())
            .bind(record.hash.to_string())
            .execute(&mut *$tx)
            .await
            .unwrap();
    }};
}

const TARGET: &str = "<= 1.3";
const LIMIT: f64 = 1.3;
/// The chain adds a row lock, a read and an update of the head to every audited write, and
/// three columns to each row: allowed to cost up to half again a save without it.
const CHAIN_TARGET: &str = "<= 1.5";
const CHAIN_LIMIT: f64 = 1.5;

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

/// The chain's statements, written independently of the store.
struct ChainSql {
    lock: String,
    insert: String,
    head: String,
}

fn chain_sql(prefix: &str) -> ChainSql {
    ChainSql {
        lock: format!("UPDATE {prefix}audit_chain SET head_seq = head_seq WHERE id = 1 RETURNING head_seq, head_hash"),
        // The staff and device columns stay NULL: the event's actor is the system.
        insert: format!(
            "INSERT INTO {prefix}audit (seq, prev_hash, hash, at, actor, retailer_id, contact_id, kind) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ),
        head: format!("UPDATE {prefix}audit_chain SET head_seq = $1, head_hash = $2 WHERE id = 1"),
    }
}

/// The audit table as it was before the chain (schema 5), beside the store's, and its INSERT.
fn plain_audit(prefix: &str) -> (String, String, String) {
    let table = format!("{prefix}audit_before_chain");
    let id = if prefix.starts_with('"') { "BIGSERIAL PRIMARY KEY" } else { "INTEGER PRIMARY KEY AUTOINCREMENT" };
    let create = format!(
        "CREATE TABLE {table} (id {id}, at BIGINT NOT NULL, actor TEXT NOT NULL, retailer_id BIGINT, \
         contact_id BIGINT, kind TEXT NOT NULL)"
    );
    let index = format!(
        "CREATE INDEX {}_by_contact ON {table} (contact_id, id)",
        if prefix.starts_with('"') { "audit_before_chain".to_owned() } else { table.clone() }
    );
    let insert = format!("INSERT INTO {table} (at, actor, retailer_id, contact_id, kind) VALUES ($1, $2, $3, $4, $5)");
    (create, index, insert)
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
    let (update, chain) = (update_sql("ca_"), chain_sql("ca_"));
    let (create, index, plain) = plain_audit("ca_");
    sqlx::query(sqlx::AssertSqlSafe(create)).execute(&pool).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(index)).execute(&pool).await.unwrap();
    let by_hand = async |c: ContactColumns, expected: i64, event: &AuditEvent| {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let q = sqlx::query(sqlx::AssertSqlSafe(update.as_str()));
        let updated = bind_update!(q, c, expected).execute(&mut *tx).await.unwrap().rows_affected();
        assert_eq!(updated, 1);
        chained_audit!(tx, chain, event);
        tx.commit().await.unwrap();
    };
    let before_chain = async |c: ContactColumns, expected: i64, event: &AuditEvent| {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let q = sqlx::query(sqlx::AssertSqlSafe(update.as_str()));
        let updated = bind_update!(q, c, expected).execute(&mut *tx).await.unwrap().rows_affected();
        assert_eq!(updated, 1);
        bind_audit!(sqlx::query(sqlx::AssertSqlSafe(plain.as_str())), event).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    };
    let name = "4. CAS save + chained audit row, SQLite file / same SQL by hand";
    let (row, record) = compare(name, TARGET, LIMIT, &sqlite, record, by_hand).await;
    rows.push(row);
    let name = "4. audit chain's cost: CAS save + chained row, SQLite file / the save before the chain";
    rows.push(compare(name, CHAIN_TARGET, CHAIN_LIMIT, &sqlite, record, before_chain).await.0);

    let url = std::env::var("CUSTOMER_ACCESS_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = SchemaName::parse(&format!("ca_bench_{}", std::process::id())).unwrap();
    let pg = match customer_access_postgres::connect(&url, schema.clone()).await {
        Ok(pg) => pg,
        Err(e) => {
            for name in [
                "4. CAS save + chained audit row, PostgreSQL / same SQL by hand",
                "4. audit chain's cost: CAS save + chained row, PostgreSQL / the save before the chain",
            ] {
                rows.push(Row::skipped(name, TARGET, e.to_string()));
            }
            return;
        }
    };
    let record = seeded(pg.clone()).await;
    let pool = pg.pool().clone();
    let prefix = format!("\"{}\".", schema.as_str());
    let (update, chain) = (update_sql(&prefix), chain_sql(&prefix));
    let (create, index, plain) = plain_audit(&prefix);
    sqlx::query(sqlx::AssertSqlSafe(create)).execute(&pool).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(index)).execute(&pool).await.unwrap();
    let by_hand = async |c: ContactColumns, expected: i64, event: &AuditEvent| {
        let mut tx = pool.begin().await.unwrap();
        let q = sqlx::query(sqlx::AssertSqlSafe(update.as_str()));
        let updated = bind_update!(q, c, expected).execute(&mut *tx).await.unwrap().rows_affected();
        assert_eq!(updated, 1);
        chained_audit!(tx, chain, event);
        tx.commit().await.unwrap();
    };
    let before_chain = async |c: ContactColumns, expected: i64, event: &AuditEvent| {
        let mut tx = pool.begin().await.unwrap();
        let q = sqlx::query(sqlx::AssertSqlSafe(update.as_str()));
        let updated = bind_update!(q, c, expected).execute(&mut *tx).await.unwrap().rows_affected();
        assert_eq!(updated, 1);
        bind_audit!(sqlx::query(sqlx::AssertSqlSafe(plain.as_str())), event).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    };
    let name = "4. CAS save + chained audit row, PostgreSQL / same SQL by hand";
    let (row, record) = compare(name, TARGET, LIMIT, &pg, record, by_hand).await;
    rows.push(row);
    let name = "4. audit chain's cost: CAS save + chained row, PostgreSQL / the save before the chain";
    rows.push(compare(name, CHAIN_TARGET, CHAIN_LIMIT, &pg, record, before_chain).await.0);
    let drop_schema = format!("DROP SCHEMA \"{}\" CASCADE", schema.as_str());
    sqlx::query(sqlx::AssertSqlSafe(drop_schema)).execute(pg.pool()).await.unwrap();
}

/// One contact in `store`, made by the service (so the row is a real one).
async fn seeded<S: Store>(store: S) -> ContactRecord {
    let service = populated(store, 1, 8, 1).await;
    let key = UsernameKey::from_stored("bench000").unwrap();
    service.store().contact_by_username(&key).await.unwrap().unwrap()
}

/// Alternate a store `save` and the by-hand statements, each advancing the revision by one;
/// returns the row and the record as last saved.
async fn compare<S: Store>(
    name: &str,
    target: &'static str,
    limit: f64,
    store: &S,
    mut record: ContactRecord,
    by_hand: impl AsyncFn(ContactColumns, i64, &AuditEvent),
) -> (Row, ContactRecord) {
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
    (Row::at_most(name, store_ms / hand_ms, limit, target, format!("{store_ms:.3} ms vs {hand_ms:.3} ms")), record)
}

fn advanced(record: &ContactRecord) -> ContactRecord {
    let mut next = record.clone();
    next.credentials.revision = record.credentials.revision.next();
    next
}
