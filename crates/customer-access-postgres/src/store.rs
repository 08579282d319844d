//! [`Store`] for [`PostgresStore`]. Compare-and-swap is one conditional
//! `UPDATE ... WHERE id = $1 AND revision = $2` checked by rows affected, inside a
//! transaction with the audit rows (READ COMMITTED: a concurrent writer of the same row waits
//! for the first to commit, then sees the new revision and updates nothing). Serialization
//! failures and deadlocks are retried a bounded number of times.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use customer_access::columns::{AuditColumns, ContactColumns, DeviceColumns, FailureColumns};
use customer_access::{
    AuditEvent, ContactId, ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures,
    NewContactRecord, Retailer, RetailerId, Revision, StaffId, Store, StoreError, StoreErrorKind, StoreResult,
    StoredHash, ThrottleKey, UsernameKey,
};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};

use crate::PostgresStore;
use crate::errors::{is_retryable, map};
use crate::rows;

/// Attempts for a write that hits a serialization failure or deadlock (SQLSTATE 40001/40P01).
pub const MAX_TRANSIENT_ATTEMPTS: usize = 3;

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

fn query(sql: &str) -> Query<'_> {
    sqlx::query(AssertSqlSafe(sql))
}

/// Bind the contact fields `$1..$18` shared by the INSERT and the UPDATE.
fn bind_fields(q: Query<'_>, c: ContactColumns) -> Query<'_> {
    customer_access::bind_contact_fields!(q, c)
}

/// Run `attempt` again after a serialization failure or deadlock, at most
/// [`MAX_TRANSIENT_ATTEMPTS`] times in all.
async fn retrying<T, F, Fut>(mut attempt: F) -> StoreResult<T>
where
    F: FnMut() -> Fut + Send,
    Fut: Future<Output = Result<T, Attempt>> + Send,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(Attempt::Sql(e)) if is_retryable(&e) && tries < MAX_TRANSIENT_ATTEMPTS => {
                tracing::debug!(error = %e, "retrying a transaction after a serialization failure or deadlock");
            }
            Err(Attempt::Sql(e)) => return Err(map(e)),
            Err(Attempt::Store(e)) => return Err(e),
        }
    }
}

/// Why one attempt failed: a driver error (maybe retryable) or a decided store error.
enum Attempt {
    Sql(sqlx::Error),
    Store(StoreError),
}

impl From<sqlx::Error> for Attempt {
    fn from(e: sqlx::Error) -> Self {
        Self::Sql(e)
    }
}

impl PostgresStore {
    async fn insert_events(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        events: &[AuditEvent],
        contact: Option<ContactId>,
    ) -> Result<(), sqlx::Error> {
        for e in events {
            let a = AuditColumns::from_event(e, contact);
            query(&self.sql.insert_audit)
                .bind(a.at)
                .bind(a.actor)
                .bind(a.retailer_id)
                .bind(a.contact_id)
                .bind(a.kind)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    async fn try_create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> Result<ContactId, Attempt> {
        let columns = ContactColumns::from_record(&new.clone().into_record(ContactId::new(0)));
        let mut tx = self.pool().begin().await?;
        let id: i64 = bind_fields(query(&self.sql.insert_contact), columns)
            .bind(new.retailer.get())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        self.insert_events(&mut tx, events, Some(ContactId::new(id))).await?;
        tx.commit().await?;
        Ok(ContactId::new(id))
    }

    async fn try_save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> Result<(), Attempt> {
        let id = record.contact.id.get();
        let mut tx = self.pool().begin().await?;
        let updated = bind_fields(query(&self.sql.update_contact), ContactColumns::from_record(record))
            .bind(id)
            .bind(expected.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            let exists = query(&self.sql.contact_exists).bind(id).fetch_optional(&mut *tx).await?.is_some();
            tx.rollback().await?;
            let kind = if exists { StoreErrorKind::Conflict } else { StoreErrorKind::NotFound };
            return Err(Attempt::Store(StoreError::new(kind)));
        }
        self.insert_events(&mut tx, events, None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn try_append_audit(&self, events: &[AuditEvent]) -> Result<(), Attempt> {
        let mut tx = self.pool().begin().await?;
        self.insert_events(&mut tx, events, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn failures(row: &PgRow) -> StoreResult<LoginFailures> {
    customer_access::columns::login_failures(row.try_get(0).map_err(map)?, row.try_get(1).map_err(map)?)
}

impl Store for PostgresStore {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        let id: i64 = query(&self.sql.insert_retailer)
            .bind(name)
            .fetch_one(self.pool())
            .await
            .and_then(|r| r.try_get(0))
            .map_err(map)?;
        Ok(Retailer { id: RetailerId::new(id), name: name.to_owned() })
    }

    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        let row = query(&self.sql.retailer).bind(id.get()).fetch_one(self.pool()).await.map_err(map)?;
        Ok(Retailer { id, name: row.try_get(0).map_err(map)? })
    }

    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        let found = query(&self.sql.retailers).fetch_all(self.pool()).await.map_err(map)?;
        found
            .iter()
            .map(|r| Ok(Retailer { id: RetailerId::new(r.try_get(0).map_err(map)?), name: r.try_get(1).map_err(map)? }))
            .collect()
    }

    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        let id = retrying(|| self.try_create_contact(new, events)).await?;
        Ok(new.clone().into_record(id))
    }

    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        let row = query(&self.sql.contact_by_id).bind(id.get()).fetch_one(self.pool()).await.map_err(map)?;
        rows::record(&row)
    }

    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        let decoy = ContactColumns::decoy();
        let query = query(&self.sql.contact_by_key).bind(key.as_str()).bind(decoy.id).bind(decoy.retailer_id);
        let row = bind_fields(query, decoy).fetch_one(self.pool()).await.map_err(map)?;
        rows::columns(&row)?.into_found_record()
    }

    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        let found =
            query(&self.sql.contacts_of_retailer).bind(retailer.get()).fetch_all(self.pool()).await.map_err(map)?;
        found.iter().map(rows::record).collect()
    }

    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        retrying(|| self.try_save(expected, record, events)).await
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        retrying(|| self.try_append_audit(events)).await
    }

    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        let found = query(&self.sql.audit_log).bind(contact.get()).fetch_all(self.pool()).await.map_err(map)?;
        found.iter().map(rows::audit_event).collect()
    }

    async fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> StoreResult<()> {
        query(&self.sql.assign).bind(staff.get()).bind(retailer.get()).execute(self.pool()).await.map_err(map)?;
        Ok(())
    }

    async fn assigned_retailers(&self, staff: StaffId) -> StoreResult<Vec<RetailerId>> {
        let found = query(&self.sql.assigned).bind(staff.get()).fetch_all(self.pool()).await.map_err(map)?;
        found.iter().map(|r| r.try_get(0).map(RetailerId::new).map_err(map)).collect()
    }

    async fn login_failures(&self, key: &ThrottleKey) -> StoreResult<LoginFailures> {
        let row = query(&self.sql.failures).bind(key.as_str()).fetch_optional(self.pool()).await.map_err(map)?;
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
        // One statement each way, atomic on its own: the UPDATE's WHERE is re-checked
        // against the newest row version after waiting for a concurrent writer (READ
        // COMMITTED), and the INSERT of a key another writer inserted first does nothing.
        let done = if expected.is_empty() {
            self.prune_failures(retention).await?;
            query(&self.sql.insert_failures).bind(key.as_str()).bind(count).bind(at).execute(self.pool()).await
        } else {
            let FailureColumns { count: old_count, last_failure_at: old_at } = FailureColumns::from_failures(&expected);
            query(&self.sql.swap_failures)
                .bind(key.as_str())
                .bind(count)
                .bind(at)
                .bind(old_count)
                .bind(old_at)
                .execute(self.pool())
                .await
        };
        Ok(done.map_err(map)?.rows_affected() == 1)
    }

    async fn clear_login_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        query(&self.sql.clear_failures).bind(key.as_str()).execute(self.pool()).await.map_err(map)?;
        Ok(())
    }

    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        retrying(|| self.try_add_device(device, keep_per_contact)).await
    }

    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        // Only the checked schema name and placeholders are formatted into the text; every
        // prefix is bound.
        let conditions: String = (1..=prefixes.len()).map(|i| format!(" AND left(h, length(${i})) <> ${i}")).collect();
        let schema = self.schema().as_str();
        let sql = format!(
            r#"SELECT h FROM (SELECT password_hash AS h FROM "{schema}".contacts
               UNION ALL SELECT temp_hash FROM "{schema}".contacts) AS hashes WHERE h IS NOT NULL{conditions} LIMIT 1"#
        );
        let mut query = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for prefix in prefixes {
            query = query.bind(prefix.as_str());
        }
        Ok(query.fetch_optional(self.pool()).await.map_err(map)?.map(StoredHash::from_phc))
    }

    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        let row = query(&self.sql.device).bind(digest.as_hex()).fetch_optional(self.pool()).await.map_err(map)?;
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

/// New failure entries inserted, in this process: every [`TRIM_EVERY`]th one trims the table.
static FAILURE_INSERTS: AtomicU64 = AtomicU64::new(0);
/// Trimming to `max_entries` reads the whole age index, so it runs on one insert in this
/// many; the table overshoots the cap by at most this many rows per process.
const TRIM_EVERY: u64 = 64;

impl PostgresStore {
    /// Delete forgotten failure entries (an index range on their age), and on every
    /// [`TRIM_EVERY`]th new entry all but the `max_entries` newest.
    async fn prune_failures(&self, retention: FailureRetention) -> StoreResult<()> {
        query(&self.sql.prune_failures)
            .bind(retention.forget_before.unix_millis())
            .execute(self.pool())
            .await
            .map_err(map)?;
        if FAILURE_INSERTS.fetch_add(1, Ordering::Relaxed).is_multiple_of(TRIM_EVERY) {
            let keep = i64::try_from(retention.max_entries.saturating_sub(1)).unwrap_or(i64::MAX);
            query(&self.sql.trim_failures).bind(keep).execute(self.pool()).await.map_err(map)?;
        }
        Ok(())
    }

    async fn try_add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> Result<(), Attempt> {
        let columns = DeviceColumns::from_record(device);
        let mut tx = self.pool().begin().await?;
        query(&self.sql.insert_device)
            .bind(&columns.digest)
            .bind(columns.contact_id)
            .bind(columns.credential_version)
            .bind(columns.issued_at)
            .bind(columns.expires_at)
            .execute(&mut *tx)
            .await?;
        query(&self.sql.trim_devices)
            .bind(device.contact.get())
            .bind(device.issued_at.unix_millis())
            .bind(i64::from(keep_per_contact))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
