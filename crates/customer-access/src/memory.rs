//! [`MemoryStore`]: a complete [`Store`] in memory, for tests and prototypes. It passes the
//! conformance suite; it keeps nothing across restarts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use customer_access_policy::UsernameKey;

use crate::audit::{AuditEvent, AuditRecord, AuditScope, BudgetCheck, ChainEnds, OverBudget};
use crate::clock::Timestamp;
use crate::credential::{ContactRecord, Revision, StoredHash};
use crate::device::{DeviceRecord, DeviceTokenDigest};
use crate::domain::Retailer;
use crate::i18n::Preferences;
use crate::ids::{ContactId, RetailerId, StaffId};
use crate::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup, ImportRetailer};
use crate::store::{
    FailureRetention, LoginFailures, NewContactRecord, Store, StoreError, StoreErrorKind, StoreResult, ThrottleKey,
};

/// An in-memory store. Clones share the same data.
#[derive(Clone, Debug)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// Cloned on a username miss so a miss costs what a hit does (see
    /// [`ContactColumns::decoy`](crate::store::columns::ContactColumns::decoy)).
    decoy: Option<ContactRecord>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self { state: Arc::default(), decoy: crate::store::columns::ContactColumns::decoy().into_record().ok() }
    }
}

#[derive(Debug, Default)]
struct State {
    retailers: BTreeMap<RetailerId, Retailer>,
    contacts: BTreeMap<ContactId, ContactRecord>,
    by_key: HashMap<UsernameKey, ContactId>,
    /// The kept audit records, oldest first, and the chain's ends.
    audit: Vec<AuditRecord>,
    chain: ChainEnds,
    assignments: BTreeSet<(StaffId, RetailerId)>,
    failures: HashMap<ThrottleKey, LoginFailures>,
    /// Recognised devices in insertion order (the order breaks `issued_at` ties).
    devices: Vec<DeviceRecord>,
    /// External ids of imported retailers and contacts.
    imported_retailers: HashMap<ExternalId, RetailerId>,
    imported_contacts: HashMap<ExternalId, ContactId>,
    next_id: i64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every mutation below completes before the guard drops, so a poisoned lock still
        // guards consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every audit event, oldest first (for tests that scan the whole log).
    pub fn all_audit_events(&self) -> Vec<AuditEvent> {
        self.lock().audit.iter().map(|r| r.event.clone()).collect()
    }

    /// Every failed-login entry, sorted by key (for tests that compare stored state).
    pub fn all_login_failures(&self) -> Vec<(ThrottleKey, LoginFailures)> {
        let mut all: Vec<_> = self.lock().failures.iter().map(|(k, f)| (k.clone(), *f)).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Every contact record (for tests that scan the stored state).
    pub fn all_records(&self) -> Vec<ContactRecord> {
        self.lock().contacts.values().cloned().collect()
    }
}

fn not_found() -> StoreError {
    StoreError::new(StoreErrorKind::NotFound)
}

impl State {
    fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Chain `events` after the head (under the store's one lock, which is the chain's).
    fn append(&mut self, events: impl IntoIterator<Item = AuditEvent>) {
        let (records, head) = self.chain.head.extend(events);
        self.audit.extend(records);
        self.chain.head = head;
    }

    /// The index of the first check in `budgets` without room.
    fn over_budget(&self, budgets: &[BudgetCheck]) -> Option<OverBudget> {
        budgets
            .iter()
            .position(|check| {
                let used = self.audit.iter().rev().filter(|r| check.counts(&r.event)).count();
                used >= check.limit as usize
            })
            .map(|check| OverBudget { check })
    }

    /// [`Store::import_batch`]: every check first, then every write, in one critical section.
    fn import(&mut self, batch: &ImportBatch) -> StoreResult<ImportApplied> {
        let duplicate = || StoreError::new(StoreErrorKind::Duplicate);
        let mut keys = std::collections::HashSet::new();
        let mut external = std::collections::HashSet::new();
        for new in &batch.new_retailers {
            if self.imported_retailers.contains_key(&new.external_id) || !external.insert(&new.external_id) {
                return Err(duplicate());
            }
        }
        for rename in &batch.renamed_retailers {
            self.retailers.get(&rename.id).ok_or_else(not_found)?;
        }
        external.clear();
        for new in &batch.new_contacts {
            if let ImportRetailer::Existing(id) = new.retailer {
                self.retailers.get(&id).ok_or_else(not_found)?;
            }
            let key = &new.record.username_key;
            if self.by_key.contains_key(key) || !keys.insert(key) {
                return Err(duplicate());
            }
            if self.imported_contacts.contains_key(&new.external_id) || !external.insert(&new.external_id) {
                return Err(duplicate());
            }
        }
        for update in &batch.updates {
            let stored = self.contacts.get(&update.record.contact.id).ok_or_else(not_found)?;
            if stored.credentials.revision != update.expected {
                return Err(StoreError::new(StoreErrorKind::Conflict));
            }
            let key = &update.record.contact.username_key;
            let taken = self.by_key.get(key).is_some_and(|holder| *holder != update.record.contact.id);
            if taken || (*key != stored.contact.username_key && !keys.insert(key)) {
                return Err(duplicate());
            }
        }
        let mut applied = ImportApplied::default();
        for new in &batch.new_retailers {
            let id = RetailerId::new(self.next_id());
            self.retailers.insert(id, Retailer { id, name: new.name.clone(), preferences: Preferences::default() });
            self.imported_retailers.insert(new.external_id.clone(), id);
            applied.retailers.push(id);
        }
        for rename in &batch.renamed_retailers {
            if let Some(retailer) = self.retailers.get_mut(&rename.id) {
                retailer.name.clone_from(&rename.name);
            }
        }
        for new in &batch.new_contacts {
            let id = ContactId::new(self.next_id());
            let mut record = new.record.clone();
            record.retailer = batch.retailer_id(new.retailer, &applied.retailers).ok_or_else(not_found)?;
            self.by_key.insert(record.username_key.clone(), id);
            self.contacts.insert(id, record.into_record(id));
            self.imported_contacts.insert(new.external_id.clone(), id);
            applied.contacts.push(id);
        }
        for update in &batch.updates {
            let id = update.record.contact.id;
            let mut record = update.record.clone();
            if let Some(stored) = self.contacts.get(&id) {
                record.contact.retailer = stored.contact.retailer;
                let old_key = stored.contact.username_key.clone();
                self.by_key.remove(&old_key);
            }
            self.by_key.insert(record.contact.username_key.clone(), id);
            self.contacts.insert(id, record);
        }
        let events = batch.events_with_ids(&applied.retailers, &applied.contacts);
        self.append(events);
        Ok(applied)
    }

    /// The compare-and-swap of [`Store::save`], and the budgets of
    /// [`Store::save_within_budgets`], in one critical section.
    fn save(
        &mut self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> StoreResult<Result<(), OverBudget>> {
        let id = record.contact.id;
        let stored = self.contacts.get(&id).ok_or_else(not_found)?;
        if stored.credentials.revision != expected {
            return Err(StoreError::new(StoreErrorKind::Conflict));
        }
        let old_key = stored.contact.username_key.clone();
        let retailer = stored.contact.retailer;
        let new_key = &record.contact.username_key;
        if *new_key != old_key && self.by_key.contains_key(new_key) {
            return Err(StoreError::new(StoreErrorKind::Duplicate));
        }
        if let Some(over) = self.over_budget(budgets) {
            return Ok(Err(over));
        }
        let mut record = record.clone();
        record.contact.retailer = retailer;
        self.by_key.remove(&old_key);
        self.by_key.insert(new_key.clone(), id);
        self.contacts.insert(id, record);
        self.append(events.iter().cloned());
        Ok(Ok(()))
    }
}

impl Store for MemoryStore {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        let mut s = self.lock();
        let retailer =
            Retailer { id: RetailerId::new(s.next_id()), name: name.to_owned(), preferences: Preferences::default() };
        s.retailers.insert(retailer.id, retailer.clone());
        Ok(retailer)
    }

    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        self.lock().retailers.get(&id).cloned().ok_or_else(not_found)
    }

    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        Ok(self.lock().retailers.values().cloned().collect())
    }

    async fn set_retailer_preferences(
        &self,
        id: RetailerId,
        preferences: &Preferences,
        events: &[AuditEvent],
    ) -> StoreResult<Retailer> {
        let mut s = self.lock();
        let retailer = s.retailers.get_mut(&id).ok_or_else(not_found)?;
        retailer.preferences = preferences.clone();
        let retailer = retailer.clone();
        s.append(events.iter().cloned());
        Ok(retailer)
    }

    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        let mut s = self.lock();
        if !s.retailers.contains_key(&new.retailer) {
            return Err(not_found());
        }
        if s.by_key.contains_key(&new.username_key) {
            return Err(StoreError::new(StoreErrorKind::Duplicate));
        }
        let id = ContactId::new(s.next_id());
        let record = new.clone().into_record(id);
        s.by_key.insert(new.username_key.clone(), id);
        s.contacts.insert(id, record.clone());
        s.append(events.iter().cloned().map(|mut e| {
            e.contact.get_or_insert(id);
            e
        }));
        Ok(record)
    }

    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        self.lock().contacts.get(&id).cloned().ok_or_else(not_found)
    }

    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        // A miss probes both maps and clones a record too, so it costs what a hit does.
        let s = self.lock();
        let id = s.by_key.get(key).copied().unwrap_or(ContactId::new(crate::store::columns::DECOY_CONTACT_ID));
        let found = s.contacts.get(&id).or(self.decoy.as_ref()).cloned();
        Ok(found.filter(|r| r.contact.id.get() != crate::store::columns::DECOY_CONTACT_ID))
    }

    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        Ok(self.lock().contacts.values().filter(|r| r.contact.retailer == retailer).cloned().collect())
    }

    async fn contacts_after(
        &self,
        retailer: RetailerId,
        after: Option<ContactId>,
        limit: u32,
    ) -> StoreResult<Vec<ContactRecord>> {
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let s = self.lock();
        let page = s.contacts.range((from, Bound::Unbounded)).map(|(_, r)| r);
        Ok(page.filter(|r| r.contact.retailer == retailer).take(limit as usize).cloned().collect())
    }

    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        self.lock().save(expected, record, events, &[]).map(|_| ())
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        self.lock().append(events.iter().cloned());
        Ok(())
    }

    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        Ok(self.lock().audit.iter().filter(|r| r.event.contact == Some(contact)).map(|r| r.event.clone()).collect())
    }

    async fn save_within_budgets(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> StoreResult<Result<(), OverBudget>> {
        self.lock().save(expected, record, events, budgets)
    }

    async fn audit_page(&self, scope: &AuditScope, before: Option<u64>, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        let s = self.lock();
        let before = before.unwrap_or(u64::MAX);
        Ok(s.audit
            .iter()
            .rev()
            .filter(|r| r.seq < before && scope.matches(&r.event))
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn audit_chain(&self) -> StoreResult<ChainEnds> {
        Ok(self.lock().chain)
    }

    async fn prune_audit(&self, before: Timestamp) -> StoreResult<ChainEnds> {
        let mut s = self.lock();
        // The last event stamped before `before` becomes the base and stays; older ones go.
        let cut = s.audit.iter().position(|r| r.event.at >= before).unwrap_or(s.audit.len());
        if let Some(base) = cut.checked_sub(1) {
            let link = s.audit[base].link();
            if link != s.chain.base {
                s.audit.drain(..base);
                s.chain.base = link;
            }
        }
        Ok(s.chain)
    }

    async fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> StoreResult<()> {
        let mut s = self.lock();
        if !s.retailers.contains_key(&retailer) {
            return Err(not_found());
        }
        s.assignments.insert((staff, retailer));
        Ok(())
    }

    async fn assigned_retailers(&self, staff: StaffId) -> StoreResult<Vec<RetailerId>> {
        Ok(self.lock().assignments.iter().filter(|(s, _)| *s == staff).map(|(_, r)| *r).collect())
    }

    async fn login_failures(&self, key: &ThrottleKey) -> StoreResult<LoginFailures> {
        Ok(self.lock().failures.get(key).copied().unwrap_or_default())
    }

    async fn swap_login_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> StoreResult<bool> {
        let mut s = self.lock();
        if s.failures.get(key).copied().unwrap_or_default() != expected {
            return Ok(false);
        }
        if expected.is_empty() && s.failures.len() >= retention.max_entries {
            s.failures.retain(|_, f| f.last_failure_at.is_some_and(|t| t >= retention.forget_before));
            while s.failures.len() >= retention.max_entries.max(1) {
                // Fewest failures first, then oldest: a spray of one-guess usernames cannot
                // evict an entry that is locking someone out.
                let weakest =
                    s.failures.iter().min_by_key(|(_, f)| (f.count, f.last_failure_at)).map(|(k, _)| k.clone());
                let Some(oldest) = weakest else {
                    break;
                };
                s.failures.remove(&oldest);
            }
        }
        s.failures.insert(key.clone(), new);
        Ok(true)
    }

    async fn clear_login_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        self.lock().failures.remove(key);
        Ok(())
    }

    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        let mut s = self.lock();
        if !s.contacts.contains_key(&device.contact) {
            return Err(not_found());
        }
        if s.devices.iter().any(|d| d.digest == device.digest) {
            return Err(StoreError::new(StoreErrorKind::Duplicate));
        }
        s.devices.push(device.clone());
        s.devices.retain(|d| d.contact != device.contact || d.expires_at > device.issued_at);
        let mine: Vec<usize> = (0..s.devices.len()).filter(|&i| s.devices[i].contact == device.contact).collect();
        let keep = usize::try_from(keep_per_contact).unwrap_or(usize::MAX);
        if mine.len() > keep {
            // Newest by issue time, ties by insertion order: a stable sort keeps that order.
            let mut by_age = mine;
            by_age.sort_by_key(|&i| s.devices[i].issued_at);
            let drop: BTreeSet<usize> = by_age[..by_age.len() - keep].iter().copied().collect();
            let mut index = 0;
            s.devices.retain(|_| {
                index += 1;
                !drop.contains(&(index - 1))
            });
        }
        Ok(())
    }

    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        let s = self.lock();
        let mut hashes = s.contacts.values().flat_map(|r| {
            let c = &r.credentials;
            c.password.iter().chain(c.temporary.as_ref().map(|t| &t.hash))
        });
        Ok(hashes.find(|h| !prefixes.iter().any(|p| h.as_phc().starts_with(p.as_str()))).cloned())
    }

    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        Ok(self.lock().devices.iter().find(|d| d.digest == *digest).cloned())
    }

    async fn import_lookup(
        &self,
        retailers: &[ExternalId],
        contacts: &[ExternalId],
        usernames: &[UsernameKey],
    ) -> StoreResult<ImportLookup> {
        let s = self.lock();
        let retailers = retailers
            .iter()
            .filter_map(|e| {
                let id = s.imported_retailers.get(e)?;
                Some((e.clone(), s.retailers.get(id)?.clone()))
            })
            .collect();
        let contacts = contacts
            .iter()
            .filter_map(|e| {
                let id = s.imported_contacts.get(e)?;
                Some((e.clone(), s.contacts.get(id)?.clone()))
            })
            .collect();
        let usernames = usernames.iter().filter_map(|k| Some((k.clone(), *s.by_key.get(k)?))).collect();
        Ok(ImportLookup { retailers, contacts, usernames })
    }

    async fn import_batch(&self, batch: &ImportBatch) -> StoreResult<ImportApplied> {
        self.lock().import(batch)
    }
}
