//! Bulk import (`Store::import_lookup`, `Store::import_batch`): external ids are two more
//! indexes, `import/retailer/{external id}` and `import/contact/{external id}` holding the
//! local id, and a batch is one transaction like every other write: each index key it adds
//! must still be absent at commit, each record it changes unchanged since read.

use std::collections::HashSet;

use customer_access::store::columns::{ContactColumns, DECOY_CONTACT_ID, RetailerColumns};
use customer_access::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup, ImportRetailer};
use customer_access::store::{StoreErrorKind, StoreResult, UsernameKey};
use customer_access::{ContactId, Retailer, RetailerId};

use crate::kv::Txn;
use crate::{KvStore, contact_key, corrupt, err, json, parse, retailer_key, unbudgeted};

fn import_key(kind: &str, external: &ExternalId) -> String {
    format!("import/{kind}/{}", external.as_str())
}

impl KvStore {
    fn imported_id(&self, kind: &str, external: &ExternalId) -> StoreResult<Option<i64>> {
        match self.kv.get(&import_key(kind, external)) {
            (Some(id), _) => Ok(Some(String::from_utf8(id).map_err(corrupt)?.parse().map_err(corrupt)?)),
            (None, _) => Ok(None),
        }
    }

    pub(crate) fn lookup(
        &self,
        retailers: &[ExternalId],
        contacts: &[ExternalId],
        usernames: &[UsernameKey],
    ) -> StoreResult<ImportLookup> {
        let mut found = ImportLookup::default();
        for external in retailers {
            if let Some(id) = self.imported_id("retailer", external)?
                && let (Some(document), _) = self.kv.get(&retailer_key(id))
            {
                found.retailers.push((external.clone(), parse::<RetailerColumns>(&document)?.into_retailer()?));
            }
        }
        for external in contacts {
            if let Some(id) = self.imported_id("contact", external)?
                && let Some((columns, _)) = self.record_at(id)?
            {
                found.contacts.push((external.clone(), columns.into_record()?));
            }
        }
        for key in usernames {
            if let (Some(id), _) = self.kv.get(&format!("username/{}", key.as_str())) {
                let id: i64 = String::from_utf8(id).map_err(corrupt)?.parse().map_err(corrupt)?;
                found.usernames.push((key.clone(), ContactId::new(id)));
            }
        }
        Ok(found)
    }

    /// One attempt at the batch: `Ok(None)` when the commit lost a race.
    pub(crate) fn try_import(&self, batch: &ImportBatch) -> StoreResult<Option<ImportApplied>> {
        let mut txn = Txn::default();
        let mut applied = ImportApplied::default();
        // A key this batch adds must be absent now and at commit (version 0), and not added
        // twice by the batch itself.
        let mut added = HashSet::new();
        let mut add = |txn: &mut Txn, key: String, value: Vec<u8>| -> StoreResult<()> {
            if self.kv.get(&key).0.is_some() || !added.insert(key.clone()) {
                return Err(err(StoreErrorKind::Duplicate));
            }
            txn.checks.push((key.clone(), 0));
            txn.writes.push((key, Some(value)));
            Ok(())
        };
        for new in &batch.new_retailers {
            let id = i64::try_from(self.kv.next_number()).map_err(corrupt)?;
            add(&mut txn, import_key("retailer", &new.external_id), id.to_string().into_bytes())?;
            let retailer =
                Retailer { id: RetailerId::new(id), name: new.name.clone(), preferences: Default::default() };
            txn.writes.push((retailer_key(id), Some(json(&RetailerColumns::from_retailer(&retailer)))));
            applied.retailers.push(retailer.id);
        }
        for rename in &batch.renamed_retailers {
            let key = retailer_key(rename.id.get());
            let (Some(document), version) = self.kv.get(&key) else { return Err(err(StoreErrorKind::NotFound)) };
            let mut retailer = parse::<RetailerColumns>(&document)?.into_retailer()?;
            retailer.name.clone_from(&rename.name);
            txn.checks.push((key.clone(), version));
            txn.writes.push((key, Some(json(&RetailerColumns::from_retailer(&retailer)))));
        }
        for new in &batch.new_contacts {
            let retailer =
                batch.retailer_id(new.retailer, &applied.retailers).ok_or_else(|| err(StoreErrorKind::NotFound))?;
            if let ImportRetailer::Existing(id) = new.retailer {
                let key = retailer_key(id.get());
                let (Some(_), version) = self.kv.get(&key) else { return Err(err(StoreErrorKind::NotFound)) };
                if id.get() == DECOY_CONTACT_ID {
                    return Err(err(StoreErrorKind::NotFound));
                }
                txn.checks.push((key, version));
            }
            let id = ContactId::new(i64::try_from(self.kv.next_number()).map_err(corrupt)?);
            let mut record = new.record.clone();
            record.retailer = retailer;
            let record = record.into_record(id);
            add(
                &mut txn,
                format!("username/{}", record.contact.username_key.as_str()),
                id.get().to_string().into_bytes(),
            )?;
            add(&mut txn, import_key("contact", &new.external_id), id.get().to_string().into_bytes())?;
            txn.writes.push((contact_key(id.get()), Some(json(&ContactColumns::from_record(&record)))));
            applied.contacts.push(id);
        }
        for update in &batch.updates {
            let id = update.record.contact.id.get();
            let Some((stored, version)) = self.record_at(id)?.filter(|_| id != DECOY_CONTACT_ID) else {
                return Err(err(StoreErrorKind::NotFound));
            };
            if stored.revision != update.expected.0 {
                return Err(err(StoreErrorKind::Conflict));
            }
            let mut columns = ContactColumns::from_record(&update.record);
            columns.retailer_id = stored.retailer_id;
            if columns.username_key != stored.username_key {
                add(&mut txn, format!("username/{}", columns.username_key), id.to_string().into_bytes())?;
                txn.writes.push((format!("username/{}", stored.username_key), None));
            }
            txn.checks.push((contact_key(id), version));
            txn.writes.push((contact_key(id), Some(json(&columns))));
        }
        let events = batch.events_with_ids(&applied.retailers, &applied.contacts);
        self.append_chained(&mut txn, &events, None, &[])?.map_err(unbudgeted)?;
        Ok(self.kv.commit(txn).then_some(applied))
    }
}
