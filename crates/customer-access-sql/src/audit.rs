//! The audit chain on SQL: appending under the chain's lock, budget counts, pages,
//! retention, and chaining rows written before the chain existed.
//!
//! The lock is the `audit_chain` table's one row, taken by a no-op `UPDATE ... RETURNING`
//! (a row lock on PostgreSQL, inside SQLite's write lock), after the contact row's
//! compare-and-swap: every writer takes the contact first and the chain second, so two
//! writers never wait on each other crosswise. Under READ COMMITTED each later statement
//! of the transaction sees every write committed before the lock was granted, which is what
//! makes the budget counts exact under concurrency.

use customer_access::store::columns::{AuditColumns, ChainColumns};
use customer_access::store::{BudgetCheck, OverBudget, StoreError, StoreErrorKind, StoreResult, device_of, staff_of};
use customer_access::{Actor, AuditEvent, AuditRecord, AuditScope, ChainEnds, ChainLink, ContactId, Timestamp};
use sqlx::{AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Transaction, Type};

use crate::errors::map;
use crate::rows::ReadColumns;
use crate::store::Attempt;
use crate::{Dialect, SqlStore, Statements};

type Db<D> = <D as Dialect>::Database;

/// Audit rows written by one INSERT (ten parameters each, well below every database's
/// limit on parameters per statement).
const AUDIT_ROWS_PER_INSERT: usize = 64;

/// A scope the store cannot filter on (a variant added after this crate was written).
#[derive(Debug, thiserror::Error)]
#[error("audit scope {0} is not supported by this store")]
struct UnsupportedScope(String);

fn scope_index(scope: &AuditScope) -> Result<usize, StoreError> {
    Statements::scope_index(scope)
        .ok_or_else(|| StoreError::with_source(StoreErrorKind::Other, UnsupportedScope(scope.to_string())))
}

/// A scope's value, bound as the type of its column.
enum ScopeValue {
    None,
    Id(i64),
    Text(String),
}

fn scope_value(scope: &AuditScope) -> ScopeValue {
    match scope {
        AuditScope::Contact(id) => ScopeValue::Id(id.get()),
        AuditScope::Retailer(id) => ScopeValue::Id(id.get()),
        AuditScope::Staff(id) => ScopeValue::Id(id.get()),
        AuditScope::Device(id) => ScopeValue::Text(id.as_str().to_owned()),
        _ => ScopeValue::None,
    }
}

fn seq_param(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

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
    /// Take the chain's lock; its ends as they are now.
    async fn lock_chain(&self, tx: &mut Transaction<'static, Db<D>>) -> Result<ChainEnds, Attempt> {
        let row = Self::query(&self.statements().lock_chain).fetch_one(&mut **tx).await?;
        row.chain()?.into_ends().map_err(Attempt::Store)
    }

    /// In `tx`: take the chain's lock, check `budgets`, then chain `events` (a missing
    /// contact id filled in with `contact`) after the head and move the head. Writes nothing
    /// and names the first exhausted check when a budget has no room.
    pub(crate) async fn append_chained(
        &self,
        tx: &mut Transaction<'static, Db<D>>,
        events: &[AuditEvent],
        contact: Option<ContactId>,
        budgets: &[BudgetCheck],
    ) -> Result<Result<(), OverBudget>, Attempt> {
        if events.is_empty() && budgets.is_empty() {
            return Ok(Ok(()));
        }
        let ends = self.lock_chain(tx).await?;
        for (check, budget) in budgets.iter().enumerate() {
            if self.count(tx, budget).await? >= i64::from(budget.limit) {
                return Ok(Err(OverBudget { check }));
            }
        }
        let filled = events.iter().cloned().map(|mut e| {
            e.contact = e.contact.or(contact);
            e
        });
        let (records, head) = ends.head.extend(filled);
        // Many rows per statement: an import appends one event per contact.
        for chunk in records.chunks(AUDIT_ROWS_PER_INSERT) {
            let sql = if chunk.len() == 1 {
                std::sync::Arc::clone(&self.statements().insert_audit)
            } else {
                self.statements().insert_audit_rows(chunk.len()).into()
            };
            let mut query = Self::query(&sql);
            for record in chunk {
                let a = AuditColumns::from_record(record);
                query = query
                    .bind(a.seq)
                    .bind(a.prev_hash)
                    .bind(a.hash)
                    .bind(a.at)
                    .bind(a.actor)
                    .bind(a.staff_id)
                    .bind(a.device_id)
                    .bind(a.retailer_id)
                    .bind(a.contact_id)
                    .bind(a.kind);
            }
            query.execute(&mut **tx).await?;
        }
        Self::query(&self.statements().set_head)
            .bind(seq_param(head.seq))
            .bind(head.hash.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(Ok(()))
    }

    /// Stored events counting against `check`.
    async fn count(&self, tx: &mut Transaction<'static, Db<D>>, check: &BudgetCheck) -> Result<i64, Attempt> {
        if check.kinds.is_empty() {
            return Ok(0);
        }
        let scope = scope_index(&check.scope).map_err(Attempt::Store)?;
        let sql = self.statements().count_budget(scope, check.kinds.len());
        let query = sqlx::query(AssertSqlSafe(sql)).bind(check.since.unix_millis());
        let mut query = match scope_value(&check.scope) {
            ScopeValue::None => query,
            ScopeValue::Id(id) => query.bind(id),
            ScopeValue::Text(text) => query.bind(text),
        };
        for kind in &check.kinds {
            query = query.bind(kind.code().to_owned());
        }
        let row = query.fetch_one(&mut **tx).await?;
        Ok(sqlx::Row::try_get(&row, "n")?)
    }

    pub(crate) async fn read_audit_page(
        &self,
        scope: &AuditScope,
        before: Option<u64>,
        limit: u32,
    ) -> StoreResult<Vec<AuditRecord>> {
        let sql = &self.statements().audit_page[scope_index(scope)?];
        // Inclusive bound: `before - 1`, or every row for the newest page.
        let query = Self::query(sql).bind(before.map_or(i64::MAX, |b| seq_param(b).saturating_sub(1)));
        let query = match scope_value(scope) {
            ScopeValue::None => query,
            ScopeValue::Id(id) => query.bind(id),
            ScopeValue::Text(text) => query.bind(text),
        };
        let rows = query.bind(i64::from(limit)).fetch_all(self.pool()).await.map_err(map::<D>)?;
        rows.iter().map(|r| r.audit().map_err(map::<D>)?.into_record()).collect()
    }

    pub(crate) async fn read_chain(&self) -> StoreResult<ChainEnds> {
        let row = Self::query(&self.statements().chain).fetch_one(self.pool()).await.map_err(map::<D>)?;
        row.chain().map_err(map::<D>)?.into_ends()
    }

    /// Retention (see `Store::prune_audit`), in one transaction under the chain's lock.
    pub(crate) async fn try_prune_audit(&self, before: Timestamp) -> Result<ChainEnds, Attempt> {
        let mut tx = self.begin().await?;
        let mut ends = self.lock_chain(&mut tx).await?;
        let row =
            Self::query(&self.statements().first_seq_since).bind(before.unix_millis()).fetch_one(&mut *tx).await?;
        let first_kept: Option<i64> = sqlx::Row::try_get(&row, "seq")?;
        let cut = first_kept.map_or(seq_param(ends.head.seq), |s| s - 1);
        if cut <= seq_param(ends.base.seq) {
            tx.rollback().await?;
            return Ok(ends);
        }
        // The last event before the cut becomes the base and stays; older ones go.
        let row = Self::query(&self.statements().audit_hash_at).bind(cut).fetch_optional(&mut *tx).await?;
        let Some(row) = row else {
            // The event to become the base is missing: the chain is broken there, and
            // verification must still see it so. Remove nothing.
            tx.rollback().await?;
            return Err(Attempt::Store(StoreError::new(StoreErrorKind::Corrupt)));
        };
        let hash: String = sqlx::Row::try_get(&row, "hash")?;
        let base = ChainColumns { base_seq: cut, base_hash: hash, ..ChainColumns::from_ends(&ends) }
            .into_ends()
            .map_err(Attempt::Store)?
            .base;
        Self::query(&self.statements().prune_audit).bind(cut).execute(&mut *tx).await?;
        Self::query(&self.statements().set_base)
            .bind(seq_param(base.seq))
            .bind(base.hash.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        ends.base = base;
        Ok(ends)
    }

    /// Chain the rows an older schema wrote without a place in the chain, oldest first,
    /// after the head (a schema upgrade: they are chained as they are found).
    pub(crate) async fn chain_unchained(&self) -> Result<(), Attempt> {
        let mut tx = self.begin().await?;
        // The lock first: instances opening an upgraded database together must not both read
        // the same rows as unchained and chain them twice.
        let mut head = self.lock_chain(&mut tx).await?.head;
        let rows = Self::query(&self.statements().unchained_audit).fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(());
        }
        for row in &rows {
            let id: i64 = sqlx::Row::try_get(row, "id")?;
            let actor: String = sqlx::Row::try_get(row, "actor")?;
            let decoded = Actor::decode(&actor).ok();
            // Placeholders for what the chain fills in; the copies of the actor as it says.
            let legacy = AuditColumns {
                seq: 1,
                prev_hash: ChainLink::GENESIS.hash.to_string(),
                hash: ChainLink::GENESIS.hash.to_string(),
                at: sqlx::Row::try_get(row, "at")?,
                actor,
                staff_id: decoded.as_ref().and_then(staff_of).map(|s| s.get()),
                device_id: decoded.as_ref().and_then(device_of).map(|d| d.as_str().to_owned()),
                retailer_id: sqlx::Row::try_get(row, "retailer_id")?,
                contact_id: sqlx::Row::try_get(row, "contact_id")?,
                kind: sqlx::Row::try_get(row, "kind")?,
            };
            let record = head.next(legacy.into_record().map_err(Attempt::Store)?.event);
            head = record.link();
            let a = AuditColumns::from_record(&record);
            Self::query(&self.statements().chain_audit_row)
                .bind(a.seq)
                .bind(a.prev_hash)
                .bind(a.hash)
                .bind(a.staff_id)
                .bind(a.device_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Self::query(&self.statements().set_head)
            .bind(seq_param(head.seq))
            .bind(head.hash.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
