//! [`SqlStore`]: the [`Store`] contract on any [`Dialect`].
//!
//! Compare-and-swap is one conditional `UPDATE ... WHERE id = $19 AND revision = $20
//! RETURNING id`, in a write transaction with the audit rows: no row back means the revision
//! moved (`Conflict`) or the contact is gone (`NotFound`). A concurrent writer of the same
//! row waits for the first to commit (SQLite's write lock; PostgreSQL's row lock, after which
//! READ COMMITTED re-checks the WHERE against the new revision and updates nothing).
//! Transactions that fail transiently (the dialect decides) run again, a bounded number of
//! times.

use std::future::Future;
use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use customer_access::i18n::Preferences;
use customer_access::store::columns::{ContactColumns, DECOY_CONTACT_ID, DeviceColumns, FailureColumns};
use customer_access::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup};
use customer_access::store::{
    BudgetCheck, ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord,
    OverBudget, Revision, StoreError, StoreErrorKind, StoreResult, StoredHash, ThrottleKey, UsernameKey,
};
use customer_access::{
    AuditEvent, AuditRecord, AuditScope, ChainEnds, ContactId, Retailer, RetailerId, StaffId, Store, Timestamp,
};
use sqlx::migrate::Migrate;
use sqlx::{AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Transaction, Type};

use crate::errors::{OpenError, is_transient, map};
use crate::rows::{BindContact, ReadColumns};
use crate::{Dialect, Statements};

/// Attempts in all for a transaction that fails transiently (see [`Dialect::is_transient`]).
pub const MAX_TRANSIENT_ATTEMPTS: usize = 3;

/// The decoy row's username key (see [`ContactColumns::decoy_username_key`]).
static DECOY_KEY: LazyLock<String> = LazyLock::new(ContactColumns::decoy_username_key);

/// A [`Store`] on a SQL database: a sqlx pool, the [`Dialect`] of its database, and the
/// statements built for it. Cheap to clone (the pool is shared).
///
/// The driver crates name it for their database (`customer_access_sqlite::SqliteStore`,
/// `customer_access_postgres::PostgresStore`) and open it with their settings.
#[derive(Debug)]
pub struct SqlStore<D: Dialect> {
    pool: Pool<D::Database>,
    dialect: D,
    sql: Arc<Statements>,
    /// New failure entries this store (and its clones) inserted: every [`TRIM_EVERY`]th
    /// trims the table. Per store, not per process: with a process-wide count, two stores
    /// taking turns left every trim to one of them and the other's table grew unbounded.
    failure_inserts: Arc<AtomicU64>,
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            dialect: self.dialect.clone(),
            sql: Arc::clone(&self.sql),
            failure_inserts: Arc::clone(&self.failure_inserts),
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    /// A store on `pool`, whose tables the dialect places. It does not migrate: see
    /// [`migrate`](Self::migrate), or open through the driver crate, which does.
    pub fn new(pool: Pool<D::Database>, dialect: D) -> Self {
        let sql = Arc::new(Statements::new(&dialect.table_prefix()));
        Self { pool, dialect, sql, failure_inserts: Arc::new(AtomicU64::new(0)) }
    }

    /// The connection pool (to run your own queries beside the store's tables).
    pub fn pool(&self) -> &Pool<D::Database> {
        &self.pool
    }

    /// The dialect, with its settings (e.g. the PostgreSQL schema).
    pub fn dialect(&self) -> &D {
        &self.dialect
    }

    /// The statements this store runs.
    pub fn statements(&self) -> &Statements {
        &self.sql
    }

    /// Close every connection, waiting for them to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Why one attempt at a transaction failed: a driver error (maybe transient) or a decided
/// store error.
pub(crate) enum Attempt {
    Sql(sqlx::Error),
    Store(StoreError),
}

impl From<sqlx::Error> for Attempt {
    fn from(e: sqlx::Error) -> Self {
        Self::Sql(e)
    }
}

/// The stored decoy row differs from [`ContactColumns::decoy`].
#[derive(Debug, thiserror::Error)]
#[error("the stored decoy contact (id 0) differs from customer_access::store::columns::ContactColumns::decoy")]
struct DecoyAltered;

/// Trimming to `max_entries` reads the whole age index, so it runs on one new entry in this
/// many; the table overshoots the cap by at most this many rows per store instance.
const TRIM_EVERY: u64 = 64;

/// The decoy's retailer and contact rows satisfy foreign keys and the username lookup, but
/// they are no retailer or contact: nothing may reference them.
pub(crate) fn refuse_decoy(id: i64) -> StoreResult<()> {
    if id == DECOY_CONTACT_ID {
        return Err(StoreError::new(StoreErrorKind::NotFound));
    }
    Ok(())
}

/// Shorthand for the database of a dialect.
type Db<D> = <D as Dialect>::Database;

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut <Db<D> as Database>::Connection: Executor<'c, Database = Db<D>>,
    <Db<D> as Database>::Arguments: IntoArguments<Db<D>>,
    for<'r> &'r str: ColumnIndex<<Db<D> as Database>::Row>,
    for<'e> i64: Encode<'e, Db<D>> + Decode<'e, Db<D>> + Type<Db<D>>,
    for<'e> Option<i64>: Encode<'e, Db<D>>,
    for<'e> String: Encode<'e, Db<D>> + Decode<'e, Db<D>> + Type<Db<D>>,
    for<'e> Option<String>: Encode<'e, Db<D>>,
    for<'e> bool: Encode<'e, Db<D>> + Decode<'e, Db<D>> + Type<Db<D>>,
{
    /// Bring the schema to the dialect's newest version (idempotent; the driver crates'
    /// constructors call it), then check the decoy row and chain any audit rows an older
    /// schema wrote before the audit chain existed. Migrations run under sqlx's lock, so
    /// instances starting together do not race.
    ///
    /// # Errors
    /// [`OpenError::Migrate`] when the database holds a newer schema, or when its decoy row is
    /// not the core's [`ContactColumns::decoy`] (an unknown username would then cost
    /// something else than a known one).
    pub async fn migrate(&self) -> Result<(), OpenError>
    where
        <Db<D> as Database>::Connection: Migrate,
    {
        self.migrate_to(D::SCHEMA_VERSION).await?;
        self.verify_decoy().await?;
        Self::retrying(|| self.chain_unchained()).await.map_err(|e| OpenError::Migrate(Box::new(e)))
    }

    /// Apply migrations up to `version` only (for upgrade tests).
    #[doc(hidden)]
    pub async fn migrate_to(&self, version: i64) -> Result<(), OpenError>
    where
        <Db<D> as Database>::Connection: Migrate,
    {
        self.dialect.migrator(version).run(&self.pool).await.map_err(|e| OpenError::Migrate(Box::new(e)))
    }

    /// Is the stored decoy row, read as a lookup of its own key reads it, the core's decoy?
    async fn verify_decoy(&self) -> Result<(), OpenError> {
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| OpenError::Migrate(e);
        let row = Self::query(&self.sql.contact_by_key)
            .bind(DECOY_KEY.clone())
            .bind(DECOY_KEY.clone())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| failed(Box::new(e)))?;
        let stored = row.contact().map_err(|e| failed(Box::new(e)))?;
        let expected = ContactColumns { username_key: DECOY_KEY.clone(), ..ContactColumns::decoy() };
        if stored == expected { Ok(()) } else { Err(failed(Box::new(DecoyAltered))) }
    }

    pub(crate) fn query(sql: &Arc<str>) -> sqlx::query::Query<'static, Db<D>, <Db<D> as Database>::Arguments> {
        sqlx::query(AssertSqlSafe(Arc::clone(sql)))
    }

    /// Start a write transaction (see [`Dialect::BEGIN_WRITE`]).
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Db<D>>, sqlx::Error> {
        self.pool.begin_with(D::BEGIN_WRITE).await
    }

    /// Run `attempt` (one transaction) again after a transient failure, at most
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
                Err(Attempt::Sql(e)) if is_transient::<D>(&e) && tries < MAX_TRANSIENT_ATTEMPTS => {
                    tracing::debug!(error = %e, "running a transaction again after a transient failure");
                }
                Err(Attempt::Sql(e)) => return Err(map::<D>(e)),
                Err(Attempt::Store(e)) => return Err(e),
            }
        }
    }

    /// Chain `events` in `tx` with no budget to check.
    async fn append(
        &self,
        tx: &mut Transaction<'static, Db<D>>,
        events: &[AuditEvent],
        contact: Option<ContactId>,
    ) -> Result<(), Attempt> {
        self.append_chained(tx, events, contact, &[])
            .await?
            .map_err(|over| Attempt::Store(StoreError::with_source(StoreErrorKind::Other, over)))
    }

    async fn try_create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> Result<ContactId, Attempt> {
        let columns = ContactColumns::from_record(&new.clone().into_record(ContactId::new(0)));
        let mut tx = self.begin().await?;
        let row = Self::query(&self.sql.insert_contact)
            .bind_contact(columns)
            .bind(new.retailer.get())
            .fetch_one(&mut *tx)
            .await?;
        let id = ContactId::new(sqlx::Row::try_get(&row, "id")?);
        self.append(&mut tx, events, Some(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn try_set_retailer_preferences(
        &self,
        id: RetailerId,
        preferences: &Preferences,
        events: &[AuditEvent],
    ) -> Result<Retailer, Attempt> {
        let mut tx = self.begin().await?;
        let row = Self::query(&self.sql.set_retailer_preferences)
            .bind(preferences.locale.as_ref().map(|l| l.as_str().to_owned()))
            .bind(preferences.time_zone.as_ref().map(|z| z.as_str().to_owned()))
            .bind(id.get())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(Attempt::Store(StoreError::new(StoreErrorKind::NotFound)));
        };
        let retailer = row.retailer()?.into_retailer().map_err(Attempt::Store)?;
        // Retailer row first, chain second: the order every write takes its locks in.
        self.append(&mut tx, events, None).await?;
        tx.commit().await?;
        Ok(retailer)
    }

    async fn try_save(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> Result<Result<(), OverBudget>, Attempt> {
        let id = record.contact.id.get();
        let mut tx = self.begin().await?;
        let updated = Self::query(&self.sql.update_contact)
            .bind_contact(ContactColumns::from_record(record))
            .bind(id)
            .bind(expected.0)
            .fetch_optional(&mut *tx)
            .await?;
        if updated.is_none() {
            let exists = Self::query(&self.sql.contact_exists).bind(id).fetch_optional(&mut *tx).await?.is_some();
            tx.rollback().await?;
            let kind = if exists { StoreErrorKind::Conflict } else { StoreErrorKind::NotFound };
            return Err(Attempt::Store(StoreError::new(kind)));
        }
        if let Err(over) = self.append_chained(&mut tx, events, None, budgets).await? {
            tx.rollback().await?;
            return Ok(Err(over));
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn try_append_audit(&self, events: &[AuditEvent]) -> Result<(), Attempt> {
        let mut tx = self.begin().await?;
        self.append(&mut tx, events, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One compare-and-swap of a failure entry, with the pruning of forgotten entries that
    /// a new entry brings, in one transaction.
    async fn try_swap_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> Result<bool, Attempt> {
        let FailureColumns { count, last_failure_at: at } = FailureColumns::from_failures(&new);
        let mut tx = self.begin().await?;
        let swapped = if expected.is_empty() {
            self.prune_failures(&mut tx, retention).await?;
            Self::query(&self.sql.insert_failures)
                .bind(key.as_str().to_owned())
                .bind(count)
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?
        } else {
            let FailureColumns { count: old_count, last_failure_at: old_at } = FailureColumns::from_failures(&expected);
            Self::query(&self.sql.swap_failures)
                .bind(key.as_str().to_owned())
                .bind(count)
                .bind(at)
                .bind(old_count)
                .bind(old_at)
                .fetch_optional(&mut *tx)
                .await?
        }
        .is_some();
        tx.commit().await?;
        Ok(swapped)
    }

    /// Delete forgotten failure entries (an index range on their age), and on every
    /// [`TRIM_EVERY`]th new entry all but the `max_entries` that throttle most.
    async fn prune_failures(
        &self,
        tx: &mut Transaction<'static, Db<D>>,
        retention: FailureRetention,
    ) -> Result<(), sqlx::Error> {
        Self::query(&self.sql.prune_failures).bind(retention.forget_before.unix_millis()).execute(&mut **tx).await?;
        if self.failure_inserts.fetch_add(1, Ordering::Relaxed).is_multiple_of(TRIM_EVERY) {
            let keep = i64::try_from(retention.max_entries.saturating_sub(1)).unwrap_or(i64::MAX);
            Self::query(&self.sql.trim_failures).bind(keep).bind(i64::MAX).execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn try_add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> Result<(), Attempt> {
        let c = DeviceColumns::from_record(device);
        let mut tx = self.begin().await?;
        Self::query(&self.sql.insert_device)
            .bind(c.digest)
            .bind(c.contact_id)
            .bind(c.credential_version)
            .bind(c.issued_at)
            .bind(c.expires_at)
            .execute(&mut *tx)
            .await?;
        Self::query(&self.sql.trim_devices)
            .bind(c.contact_id)
            .bind(c.issued_at)
            .bind(i64::from(keep_per_contact))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    fn contact_record(row: &<Db<D> as Database>::Row) -> StoreResult<ContactRecord> {
        row.contact().map_err(map::<D>)?.into_record()
    }
}

impl<D: Dialect> Store for SqlStore<D>
where
    for<'c> &'c mut <Db<D> as Database>::Connection: Executor<'c, Database = Db<D>>,
    <Db<D> as Database>::Arguments: IntoArguments<Db<D>>,
    for<'r> &'r str: ColumnIndex<<Db<D> as Database>::Row>,
    for<'e> i64: Encode<'e, Db<D>> + Decode<'e, Db<D>> + Type<Db<D>>,
    for<'e> Option<i64>: Encode<'e, Db<D>>,
    for<'e> String: Encode<'e, Db<D>> + Decode<'e, Db<D>> + Type<Db<D>>,
    for<'e> Option<String>: Encode<'e, Db<D>>,
    for<'e> bool: Encode<'e, Db<D>> + Decode<'e, Db<D>> + Type<Db<D>>,
    Db<D>: sqlx::database::HasStatementCache,
{
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        let row = Self::query(&self.sql.insert_retailer)
            .bind(name.to_owned())
            .fetch_one(&self.pool)
            .await
            .map_err(map::<D>)?;
        let id: i64 = sqlx::Row::try_get(&row, "id").map_err(map::<D>)?;
        Ok(Retailer { id: RetailerId::new(id), name: name.to_owned(), preferences: Preferences::default() })
    }

    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        let row = Self::query(&self.sql.retailer).bind(id.get()).fetch_one(&self.pool).await.map_err(map::<D>)?;
        row.retailer().map_err(map::<D>)?.into_retailer()
    }

    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        let rows = Self::query(&self.sql.retailers).fetch_all(&self.pool).await.map_err(map::<D>)?;
        rows.iter().map(|r| r.retailer().map_err(map::<D>)?.into_retailer()).collect()
    }

    async fn set_retailer_preferences(
        &self,
        id: RetailerId,
        preferences: &Preferences,
        events: &[AuditEvent],
    ) -> StoreResult<Retailer> {
        Self::retrying(|| self.try_set_retailer_preferences(id, preferences, events)).await
    }

    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        refuse_decoy(new.retailer.get())?;
        let id = Self::retrying(|| self.try_create_contact(new, events)).await?;
        Ok(new.clone().into_record(id))
    }

    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        let row = Self::query(&self.sql.contact_by_id).bind(id.get()).fetch_one(&self.pool).await.map_err(map::<D>)?;
        Self::contact_record(&row)
    }

    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        let row = Self::query(&self.sql.contact_by_key)
            .bind(key.as_str().to_owned())
            .bind(DECOY_KEY.clone())
            .fetch_one(&self.pool)
            .await
            .map_err(map::<D>)?;
        row.contact().map_err(map::<D>)?.into_found_record()
    }

    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        let rows = Self::query(&self.sql.contacts_of_retailer)
            .bind(retailer.get())
            .fetch_all(&self.pool)
            .await
            .map_err(map::<D>)?;
        rows.iter().map(Self::contact_record).collect()
    }

    async fn contacts_after(
        &self,
        retailer: RetailerId,
        after: Option<ContactId>,
        limit: u32,
    ) -> StoreResult<Vec<ContactRecord>> {
        // Ids are positive and the decoy's is 0, so "after 0" is the first page without it;
        // a negative cursor must not reach the decoy either.
        let rows = Self::query(&self.sql.contacts_after)
            .bind(retailer.get())
            .bind(after.map_or(0, ContactId::get).max(0))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map::<D>)?;
        rows.iter().map(Self::contact_record).collect()
    }

    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        Self::retrying(|| self.try_save(expected, record, events, &[]))
            .await?
            .map_err(|over| StoreError::with_source(StoreErrorKind::Other, over))
    }

    async fn save_within_budgets(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> StoreResult<Result<(), OverBudget>> {
        Self::retrying(|| self.try_save(expected, record, events, budgets)).await
    }

    async fn audit_page(&self, scope: &AuditScope, before: Option<u64>, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.read_audit_page(scope, before, limit).await
    }

    async fn audit_chain(&self) -> StoreResult<ChainEnds> {
        self.read_chain().await
    }

    async fn prune_audit(&self, before: Timestamp) -> StoreResult<ChainEnds> {
        Self::retrying(|| self.try_prune_audit(before)).await
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        Self::retrying(|| self.try_append_audit(events)).await
    }

    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        let rows =
            Self::query(&self.sql.audit_log).bind(contact.get()).fetch_all(&self.pool).await.map_err(map::<D>)?;
        rows.iter().map(|r| Ok(r.audit().map_err(map::<D>)?.into_record()?.event)).collect()
    }

    async fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> StoreResult<()> {
        refuse_decoy(retailer.get())?;
        Self::query(&self.sql.assign)
            .bind(staff.get())
            .bind(retailer.get())
            .execute(&self.pool)
            .await
            .map_err(map::<D>)?;
        Ok(())
    }

    async fn assigned_retailers(&self, staff: StaffId) -> StoreResult<Vec<RetailerId>> {
        let rows = Self::query(&self.sql.assigned).bind(staff.get()).fetch_all(&self.pool).await.map_err(map::<D>)?;
        rows.iter().map(|r| sqlx::Row::try_get(r, "retailer_id").map(RetailerId::new).map_err(map::<D>)).collect()
    }

    async fn login_failures(&self, key: &ThrottleKey) -> StoreResult<LoginFailures> {
        let row = Self::query(&self.sql.failures)
            .bind(key.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(map::<D>)?;
        match row {
            Some(row) => row.failures().map_err(map::<D>)?.into_failures(),
            None => Ok(LoginFailures::default()),
        }
    }

    async fn swap_login_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> StoreResult<bool> {
        Self::retrying(|| self.try_swap_failures(key, expected, new, retention)).await
    }

    async fn clear_login_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        Self::query(&self.sql.clear_failures)
            .bind(key.as_str().to_owned())
            .execute(&self.pool)
            .await
            .map_err(map::<D>)?;
        Ok(())
    }

    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        refuse_decoy(device.contact.get())?;
        Self::retrying(|| self.try_add_device(device, keep_per_contact)).await
    }

    async fn import_lookup(
        &self,
        retailers: &[ExternalId],
        contacts: &[ExternalId],
        usernames: &[UsernameKey],
    ) -> StoreResult<ImportLookup> {
        self.read_import_lookup(retailers, contacts, usernames).await
    }

    async fn import_batch(&self, batch: &ImportBatch) -> StoreResult<ImportApplied> {
        Self::retrying(|| self.try_import_batch(batch)).await
    }

    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        let mut query = sqlx::query(AssertSqlSafe(self.sql.hash_outside(prefixes.len())));
        for prefix in prefixes {
            query = query.bind(prefix.clone());
        }
        let row = query.fetch_optional(&self.pool).await.map_err(map::<D>)?;
        row.map(|r| sqlx::Row::try_get::<String, _>(&r, "h").map(StoredHash::from_phc).map_err(map::<D>)).transpose()
    }

    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        let row = Self::query(&self.sql.device)
            .bind(digest.as_hex().to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(map::<D>)?;
        row.map(|r| r.device().map(DeviceColumns::into_record).map_err(map::<D>)).transpose()
    }
}
