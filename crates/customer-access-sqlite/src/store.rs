//! [`Store`] for [`SqliteStore`]: every write is one transaction started with
//! `BEGIN IMMEDIATE` (the write lock is taken up front, so two writers queue on the busy
//! timeout instead of deadlocking on a lock upgrade), and compare-and-swap is a single
//! conditional `UPDATE ... WHERE id = ? AND revision = ?` checked by rows affected.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use customer_access::columns::{AuditColumns, ContactColumns, DECOY_CONTACT_ID, DeviceColumns, FailureColumns};
use customer_access::{
    AuditEvent, ContactId, ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures,
    NewContactRecord, Retailer, RetailerId, Revision, StaffId, Store, StoreError, StoreErrorKind, StoreResult,
    StoredHash, ThrottleKey, UsernameKey,
};
use sqlx::sqlite::{Sqlite, SqliteArguments};
use sqlx::{Row, Sqlite as Db, Transaction};

use crate::SqliteStore;
use crate::errors::map;
use crate::rows::{self, contact_columns};

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments>;

// `?1..?18` are the same contact fields, in the same order, in INSERT_CONTACT and
// UPDATE_CONTACT; `bind_fields` binds them.
const INSERT_CONTACT: &str = "INSERT INTO ca_contacts (username, username_key, email, display_name, login_enabled, \
     revision, credential_version, password_hash, temp_hash, temp_issued_at, temp_expires_at, temp_issued_by, \
     ticket_digest, ticket_expires_at, reset_window_started_at, reset_window_count, hold_previous_email, hold_until, \
     retailer_id) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) RETURNING id";

const UPDATE_CONTACT: &str = "UPDATE ca_contacts SET username = ?1, username_key = ?2, email = ?3, \
     display_name = ?4, login_enabled = ?5, revision = ?6, credential_version = ?7, password_hash = ?8, \
     temp_hash = ?9, temp_issued_at = ?10, temp_expires_at = ?11, temp_issued_by = ?12, ticket_digest = ?13, \
     ticket_expires_at = ?14, reset_window_started_at = ?15, reset_window_count = ?16, hold_previous_email = ?17, \
     hold_until = ?18 \
     WHERE id = ?19 AND revision = ?20 AND id <> 0";

// Id 0 is the decoy contact and its retailer (migration 0003): every query but the
// username lookup leaves them out, so they are invisible through the `Store` trait.
const CONTACT_BY_ID: &str = concat!("SELECT ", contact_columns!(), " FROM ca_contacts WHERE id = ?1 AND id <> 0");
const CONTACTS_OF_RETAILER: &str =
    concat!("SELECT ", contact_columns!(), " FROM ca_contacts WHERE retailer_id = ?1 AND id <> 0 ORDER BY id");
/// The contact with username key `?1`, or else the decoy row (key `?2`). Either way SQLite
/// probes the key index twice and reads one table row, so a miss costs what a hit does. The
/// key is returned as `?1`: on a hit that is the stored key, and on a miss the decoy's row
/// then carries a key of the probed length, so decoding and validating it costs the same too.
const CONTACT_BY_KEY: &str = concat!(
    "SELECT ",
    contact_columns!("?1 AS username_key"),
    " FROM ca_contacts WHERE username_key = \
     COALESCE((SELECT username_key FROM ca_contacts WHERE username_key = ?1), ?2)"
);

/// The decoy row's username key (see migration 0003).
static DECOY_KEY: LazyLock<String> = LazyLock::new(ContactColumns::decoy_username_key);

const INSERT_AUDIT: &str =
    "INSERT INTO ca_audit (at, actor, retailer_id, contact_id, kind) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Bind the contact fields `?1..?18` shared by INSERT_CONTACT and UPDATE_CONTACT.
fn bind_fields<'q>(q: Query<'q>, c: ContactColumns) -> Query<'q> {
    customer_access::bind_contact_fields!(q, c)
}

async fn insert_events(
    tx: &mut Transaction<'static, Db>,
    events: &[AuditEvent],
    contact: Option<ContactId>,
) -> StoreResult<()> {
    for e in events {
        let a = AuditColumns::from_event(e, contact);
        sqlx::query(INSERT_AUDIT)
            .bind(a.at)
            .bind(a.actor)
            .bind(a.retailer_id)
            .bind(a.contact_id)
            .bind(a.kind)
            .execute(&mut **tx)
            .await
            .map_err(map)?;
    }
    Ok(())
}

impl SqliteStore {
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Db>> {
        self.pool().begin_with("BEGIN IMMEDIATE").await.map_err(map)
    }
}

impl Store for SqliteStore {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        let id: i64 = sqlx::query_scalar("INSERT INTO ca_retailers (name) VALUES (?1) RETURNING id")
            .bind(name)
            .fetch_one(self.pool())
            .await
            .map_err(map)?;
        Ok(Retailer { id: RetailerId::new(id), name: name.to_owned() })
    }

    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        let name: String = sqlx::query_scalar("SELECT name FROM ca_retailers WHERE id = ?1 AND id <> 0")
            .bind(id.get())
            .fetch_one(self.pool())
            .await
            .map_err(map)?;
        Ok(Retailer { id, name })
    }

    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        let rows = sqlx::query("SELECT id, name FROM ca_retailers WHERE id <> 0 ORDER BY id")
            .fetch_all(self.pool())
            .await
            .map_err(map)?;
        rows.iter()
            .map(|r| {
                Ok(Retailer {
                    id: RetailerId::new(r.try_get("id").map_err(map)?),
                    name: r.try_get("name").map_err(map)?,
                })
            })
            .collect()
    }

    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        refuse_decoy_retailer(new.retailer)?;
        let columns = ContactColumns::from_record(&new.clone().into_record(ContactId::new(0)));
        let mut tx = self.begin_write().await?;
        let id: i64 = bind_fields(sqlx::query(INSERT_CONTACT), columns)
            .bind(new.retailer.get())
            .fetch_one(&mut *tx)
            .await
            .map_err(map)?
            .try_get(0)
            .map_err(map)?;
        let id = ContactId::new(id);
        insert_events(&mut tx, events, Some(id)).await?;
        tx.commit().await.map_err(map)?;
        Ok(new.clone().into_record(id))
    }

    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        let row = sqlx::query(CONTACT_BY_ID).bind(id.get()).fetch_one(self.pool()).await.map_err(map)?;
        rows::record(&row)
    }

    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        let row = sqlx::query(CONTACT_BY_KEY)
            .bind(key.as_str())
            .bind(DECOY_KEY.as_str())
            .fetch_one(self.pool())
            .await
            .map_err(map)?;
        rows::columns(&row)?.into_found_record()
    }

    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        let found = sqlx::query(CONTACTS_OF_RETAILER).bind(retailer.get()).fetch_all(self.pool()).await.map_err(map)?;
        found.iter().map(rows::record).collect()
    }

    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        let id = record.contact.id.get();
        let mut tx = self.begin_write().await?;
        let updated = bind_fields(sqlx::query(UPDATE_CONTACT), ContactColumns::from_record(record))
            .bind(id)
            .bind(expected.0)
            .execute(&mut *tx)
            .await
            .map_err(map)?
            .rows_affected();
        if updated == 0 {
            let exists = sqlx::query("SELECT 1 FROM ca_contacts WHERE id = ?1 AND id <> 0")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map)?
                .is_some();
            tx.rollback().await.map_err(map)?;
            let kind = if exists { StoreErrorKind::Conflict } else { StoreErrorKind::NotFound };
            return Err(StoreError::new(kind));
        }
        insert_events(&mut tx, events, None).await?;
        tx.commit().await.map_err(map)
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        insert_events(&mut tx, events, None).await?;
        tx.commit().await.map_err(map)
    }

    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        let found = sqlx::query(
            "SELECT at, actor, retailer_id, contact_id, kind FROM ca_audit WHERE contact_id = ?1 ORDER BY id",
        )
        .bind(contact.get())
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        found.iter().map(rows::audit_event).collect()
    }

    async fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> StoreResult<()> {
        refuse_decoy_retailer(retailer)?;
        sqlx::query("INSERT INTO ca_staff_retailers (staff_id, retailer_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
            .bind(staff.get())
            .bind(retailer.get())
            .execute(self.pool())
            .await
            .map_err(map)?;
        Ok(())
    }

    async fn assigned_retailers(&self, staff: StaffId) -> StoreResult<Vec<RetailerId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT retailer_id FROM ca_staff_retailers WHERE staff_id = ?1 ORDER BY retailer_id")
                .bind(staff.get())
                .fetch_all(self.pool())
                .await
                .map_err(map)?;
        Ok(ids.into_iter().map(RetailerId::new).collect())
    }

    async fn login_failures(&self, key: &ThrottleKey) -> StoreResult<LoginFailures> {
        let row = sqlx::query("SELECT count, last_failure_at FROM ca_login_failures WHERE username_key = ?1")
            .bind(key.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(map)?;
        row.as_ref().map_or(Ok(LoginFailures::default()), failures)
    }

    async fn swap_login_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> StoreResult<bool> {
        let FailureColumns { count, last_failure_at: at } = FailureColumns::from_failures(&new);
        let mut tx = self.begin_write().await?;
        let swapped = if expected.is_empty() {
            prune_failures(&mut tx, retention).await?;
            sqlx::query(
                "INSERT INTO ca_login_failures (username_key, count, last_failure_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (username_key) DO NOTHING",
            )
            .bind(key.as_str())
            .bind(count)
            .bind(at)
            .execute(&mut *tx)
            .await
        } else {
            let FailureColumns { count: old_count, last_failure_at: old_at } = FailureColumns::from_failures(&expected);
            sqlx::query(
                "UPDATE ca_login_failures SET count = ?2, last_failure_at = ?3 \
                 WHERE username_key = ?1 AND count = ?4 AND last_failure_at = ?5",
            )
            .bind(key.as_str())
            .bind(count)
            .bind(at)
            .bind(old_count)
            .bind(old_at)
            .execute(&mut *tx)
            .await
        }
        .map_err(map)?
        .rows_affected()
            == 1;
        tx.commit().await.map_err(map)?;
        Ok(swapped)
    }

    async fn clear_login_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        sqlx::query("DELETE FROM ca_login_failures WHERE username_key = ?1")
            .bind(key.as_str())
            .execute(self.pool())
            .await
            .map_err(map)?;
        Ok(())
    }

    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        if device.contact.get() == DECOY_CONTACT_ID {
            return Err(StoreError::new(StoreErrorKind::NotFound));
        }
        let columns = DeviceColumns::from_record(device);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO ca_devices (digest, contact_id, credential_version, issued_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&columns.digest)
        .bind(columns.contact_id)
        .bind(columns.credential_version)
        .bind(columns.issued_at)
        .bind(columns.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        sqlx::query(
            "DELETE FROM ca_devices WHERE contact_id = ?1 AND (expires_at <= ?2 OR seq NOT IN \
             (SELECT seq FROM ca_devices WHERE contact_id = ?1 ORDER BY issued_at DESC, seq DESC LIMIT ?3))",
        )
        .bind(device.contact.get())
        .bind(device.issued_at.unix_millis())
        .bind(i64::from(keep_per_contact))
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        tx.commit().await.map_err(map)
    }

    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        // Only placeholders are formatted into the text; every prefix is bound.
        let conditions: String =
            (1..=prefixes.len()).map(|i| format!(" AND substr(h, 1, length(?{i})) <> ?{i}")).collect();
        let sql = format!(
            "SELECT h FROM (SELECT password_hash AS h FROM ca_contacts WHERE id <> 0 \
             UNION ALL SELECT temp_hash FROM ca_contacts WHERE id <> 0) WHERE h IS NOT NULL{conditions} LIMIT 1"
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for prefix in prefixes {
            query = query.bind(prefix.as_str());
        }
        Ok(query.fetch_optional(self.pool()).await.map_err(map)?.map(StoredHash::from_phc))
    }

    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        let row = sqlx::query(
            "SELECT digest, contact_id, credential_version, issued_at, expires_at FROM ca_devices WHERE digest = ?1",
        )
        .bind(digest.as_hex())
        .fetch_optional(self.pool())
        .await
        .map_err(map)?;
        row.map(|r| {
            Ok(DeviceColumns {
                digest: r.try_get(0).map_err(map)?,
                contact_id: r.try_get(1).map_err(map)?,
                credential_version: r.try_get(2).map_err(map)?,
                issued_at: r.try_get(3).map_err(map)?,
                expires_at: r.try_get(4).map_err(map)?,
            }
            .into_record())
        })
        .transpose()
    }
}

/// New entries inserted, in this process: every [`TRIM_EVERY`]th one trims the table.
static FAILURE_INSERTS: AtomicU64 = AtomicU64::new(0);
/// Trimming to `max_entries` reads the whole age index, so it runs on one insert in this
/// many; the table overshoots the cap by at most this many rows per process.
const TRIM_EVERY: u64 = 64;

/// Delete forgotten failure entries (an index range on their age), and on every
/// [`TRIM_EVERY`]th new entry all but the `max_entries` newest.
async fn prune_failures(tx: &mut Transaction<'static, Db>, retention: FailureRetention) -> StoreResult<()> {
    sqlx::query("DELETE FROM ca_login_failures WHERE last_failure_at < ?1")
        .bind(retention.forget_before.unix_millis())
        .execute(&mut **tx)
        .await
        .map_err(map)?;
    if FAILURE_INSERTS.fetch_add(1, Ordering::Relaxed).is_multiple_of(TRIM_EVERY) {
        let keep = i64::try_from(retention.max_entries.saturating_sub(1)).unwrap_or(i64::MAX);
        sqlx::query(
            "DELETE FROM ca_login_failures WHERE username_key IN (SELECT username_key FROM ca_login_failures \
             ORDER BY count DESC, last_failure_at DESC, username_key LIMIT -1 OFFSET ?1)",
        )
        .bind(keep)
        .execute(&mut **tx)
        .await
        .map_err(map)?;
    }
    Ok(())
}

/// The decoy's retailer row satisfies foreign keys, but it is no retailer: nothing may
/// reference it.
fn refuse_decoy_retailer(retailer: RetailerId) -> StoreResult<()> {
    if retailer.get() == DECOY_CONTACT_ID {
        return Err(StoreError::new(StoreErrorKind::NotFound));
    }
    Ok(())
}

fn failures(row: &sqlx::sqlite::SqliteRow) -> StoreResult<LoginFailures> {
    customer_access::columns::login_failures(row.try_get(0).map_err(map)?, row.try_get(1).map_err(map)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_stored_decoy_is_the_core_decoy() {
        let store = SqliteStore::in_memory().await.unwrap();
        let sql = concat!("SELECT ", contact_columns!(), " FROM ca_contacts WHERE id = 0");
        let row = sqlx::query(sql).fetch_one(store.pool()).await.unwrap();
        let stored = rows::columns(&row).unwrap();
        assert_eq!(stored.username_key, ContactColumns::decoy_username_key(), "stored under the unreachable key");
        let expected = ContactColumns { username_key: stored.username_key.clone(), ..ContactColumns::decoy() };
        assert_eq!(stored, expected, "migration 0003 matches the core's decoy");
        let missed = sqlx::query(CONTACT_BY_KEY).bind("nobody").bind(DECOY_KEY.as_str()).fetch_one(store.pool()).await;
        let missed = rows::columns(&missed.unwrap()).unwrap();
        assert_eq!((missed.id, missed.username_key.as_str()), (DECOY_CONTACT_ID, "nobody"), "a miss reads the decoy");
    }

    /// A hit and a miss must take the same path: two probes of the key index and one table
    /// row, never a scan.
    #[tokio::test]
    async fn a_lookup_probes_the_key_index_twice_and_never_scans() {
        let store = SqliteStore::in_memory().await.unwrap();
        // `EXPLAIN QUERY PLAN` rows are (id, parent, notused, detail).
        let details: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {CONTACT_BY_KEY}")))
            .bind("anna")
            .bind(DECOY_KEY.as_str())
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(3))
            .collect();
        let probes =
            details.iter().filter(|d| d.starts_with("SEARCH ca_contacts USING") && d.contains("INDEX")).count();
        assert_eq!(probes, 2, "{details:?}");
        assert!(!details.iter().any(|d| d.starts_with("SCAN")), "{details:?}");
    }
}
