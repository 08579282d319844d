//! Bulk import on SQL: what exists of a batch (three keyed reads), and the batch written in
//! one write transaction, rows first and the audit chain last (the order every write takes
//! its locks in).

use customer_access::store::columns::ContactColumns;
use customer_access::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup};
use customer_access::store::{StoreError, StoreErrorKind, StoreResult, UsernameKey};
use customer_access::{ContactId, RetailerId};
use sqlx::{AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};

use crate::errors::map;
use crate::rows::{BindContact, ReadColumns};
use crate::store::{Attempt, refuse_decoy};
use crate::{Dialect, SqlStore};

type Db<D> = <D as Dialect>::Database;

/// Contacts written by one INSERT (21 parameters each).
const CONTACTS_PER_INSERT: usize = 64;
/// External ids written by one INSERT (three parameters each).
const IMPORT_IDS_PER_INSERT: usize = 256;

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
    Db<D>: sqlx::database::HasStatementCache,
{
    /// [`Store::import_lookup`](customer_access::Store::import_lookup). The reads are not
    /// prepared once and cached: PostgreSQL would soon keep one generic plan for them, made
    /// while the tables were small (a scan), and each batch of a large import would then
    /// read every row imported before it. Planned each time, they use the indexes.
    pub(crate) async fn read_import_lookup(
        &self,
        retailers: &[ExternalId],
        contacts: &[ExternalId],
        usernames: &[UsernameKey],
    ) -> StoreResult<ImportLookup> {
        let mut found = ImportLookup::default();
        if !retailers.is_empty() {
            let mut query =
                sqlx::query(AssertSqlSafe(self.statements().imported_retailers(retailers.len()))).persistent(false);
            for id in retailers {
                query = query.bind(id.as_str().to_owned());
            }
            for row in query.fetch_all(self.pool()).await.map_err(map::<D>)? {
                let external = external_id(&row)?;
                found.retailers.push((external, row.retailer().map_err(map::<D>)?.into_retailer()?));
            }
        }
        if !contacts.is_empty() {
            let mut query =
                sqlx::query(AssertSqlSafe(self.statements().imported_contacts(contacts.len()))).persistent(false);
            for id in contacts {
                query = query.bind(id.as_str().to_owned());
            }
            for row in query.fetch_all(self.pool()).await.map_err(map::<D>)? {
                let external = external_id(&row)?;
                found.contacts.push((external, row.contact().map_err(map::<D>)?.into_record()?));
            }
        }
        if !usernames.is_empty() {
            let mut query =
                sqlx::query(AssertSqlSafe(self.statements().username_holders(usernames.len()))).persistent(false);
            for key in usernames {
                query = query.bind(key.as_str().to_owned());
            }
            for row in query.fetch_all(self.pool()).await.map_err(map::<D>)? {
                let key: String = row.try_get("username_key").map_err(map::<D>)?;
                let id: i64 = row.try_get("id").map_err(map::<D>)?;
                let key =
                    UsernameKey::from_stored(&key).map_err(|e| StoreError::with_source(StoreErrorKind::Corrupt, e))?;
                found.usernames.push((key, ContactId::new(id)));
            }
        }
        Ok(found)
    }

    /// One attempt at [`Store::import_batch`](customer_access::Store::import_batch).
    pub(crate) async fn try_import_batch(&self, batch: &ImportBatch) -> Result<ImportApplied, Attempt> {
        let sql = self.statements();
        let mut applied = ImportApplied::default();
        let mut kept: Vec<(&'static str, &ExternalId, i64)> = Vec::new();
        let mut tx = self.begin().await?;
        for new in &batch.new_retailers {
            let row = Self::query(&sql.insert_retailer).bind(new.name.clone()).fetch_one(&mut *tx).await?;
            let id: i64 = row.try_get("id")?;
            kept.push(("retailer", &new.external_id, id));
            applied.retailers.push(RetailerId::new(id));
        }
        for rename in &batch.renamed_retailers {
            let renamed = Self::query(&sql.rename_retailer)
                .bind(rename.name.clone())
                .bind(rename.id.get())
                .fetch_optional(&mut *tx)
                .await?;
            if renamed.is_none() {
                return Err(Attempt::Store(StoreError::new(StoreErrorKind::NotFound)));
            }
        }
        // Many contacts per statement (a round trip each on PostgreSQL): the new ids come
        // back with their username keys, which are unique.
        for chunk in batch.new_contacts.chunks(CONTACTS_PER_INSERT) {
            let mut query = sqlx::query(AssertSqlSafe(sql.insert_contacts(chunk.len())));
            for new in chunk {
                let retailer = batch
                    .retailer_id(new.retailer, &applied.retailers)
                    .ok_or_else(|| StoreError::new(StoreErrorKind::NotFound))
                    .and_then(|r| refuse_decoy(r.get()).map(|()| r))
                    .map_err(Attempt::Store)?;
                let mut record = new.record.clone();
                record.retailer = retailer;
                query = query
                    .bind_contact(ContactColumns::from_record(&record.into_record(ContactId::new(0))))
                    .bind(retailer.get());
            }
            let mut ids = std::collections::HashMap::new();
            for row in query.fetch_all(&mut *tx).await? {
                ids.insert(row.try_get::<String, _>("username_key")?, row.try_get::<i64, _>("id")?);
            }
            for new in chunk {
                let id = ids
                    .get(new.record.username_key.as_str())
                    .copied()
                    .ok_or_else(|| Attempt::Store(StoreError::new(StoreErrorKind::Corrupt)))?;
                kept.push(("contact", &new.external_id, id));
                applied.contacts.push(ContactId::new(id));
            }
        }
        for update in &batch.updates {
            let id = update.record.contact.id.get();
            let updated = Self::query(&sql.update_contact)
                .bind_contact(ContactColumns::from_record(&update.record))
                .bind(id)
                .bind(update.expected.0)
                .fetch_optional(&mut *tx)
                .await?;
            if updated.is_none() {
                let exists = Self::query(&sql.contact_exists).bind(id).fetch_optional(&mut *tx).await?.is_some();
                let kind = if exists { StoreErrorKind::Conflict } else { StoreErrorKind::NotFound };
                return Err(Attempt::Store(StoreError::new(kind)));
            }
        }
        for chunk in kept.chunks(IMPORT_IDS_PER_INSERT) {
            let mut query = sqlx::query(AssertSqlSafe(sql.insert_import_ids(chunk.len())));
            for (kind, external, id) in chunk {
                query = query.bind((*kind).to_owned()).bind(external.as_str().to_owned()).bind(*id);
            }
            query.execute(&mut *tx).await?;
        }
        let events = batch.events_with_ids(&applied.retailers, &applied.contacts);
        self.append_chained(&mut tx, &events, None, &[])
            .await?
            .map_err(|over| Attempt::Store(StoreError::with_source(StoreErrorKind::Other, over)))?;
        tx.commit().await?;
        Ok(applied)
    }
}

/// The `external_id` column, checked as the core checks it.
fn external_id<R: Row>(row: &R) -> StoreResult<ExternalId>
where
    for<'r> &'r str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let text: String = row.try_get("external_id").map_err(|e| StoreError::with_source(StoreErrorKind::Corrupt, e))?;
    ExternalId::parse(&text).map_err(|e| StoreError::with_source(StoreErrorKind::Corrupt, e))
}
