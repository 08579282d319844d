//! [`MemoryStore`]: a complete [`Store`] in memory, for tests and prototypes. It passes the
//! conformance suite; it keeps nothing across restarts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use customer_access_policy::UsernameKey;

use crate::audit::AuditEvent;
use crate::credential::{ContactRecord, Revision, StoredHash};
use crate::device::{DeviceRecord, DeviceTokenDigest};
use crate::domain::Retailer;
use crate::ids::{ContactId, RetailerId, StaffId};
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
    audit: Vec<AuditEvent>,
    assignments: BTreeSet<(StaffId, RetailerId)>,
    failures: HashMap<ThrottleKey, LoginFailures>,
    /// Recognised devices in insertion order (the order breaks `issued_at` ties).
    devices: Vec<DeviceRecord>,
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
        self.lock().audit.clone()
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
}

impl Store for MemoryStore {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        let mut s = self.lock();
        let retailer = Retailer { id: RetailerId::new(s.next_id()), name: name.to_owned() };
        s.retailers.insert(retailer.id, retailer.clone());
        Ok(retailer)
    }

    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        self.lock().retailers.get(&id).cloned().ok_or_else(not_found)
    }

    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        Ok(self.lock().retailers.values().cloned().collect())
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
        s.audit.extend(events.iter().cloned().map(|mut e| {
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

    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        let mut s = self.lock();
        let id = record.contact.id;
        let stored = s.contacts.get(&id).ok_or_else(not_found)?;
        if stored.credentials.revision != expected {
            return Err(StoreError::new(StoreErrorKind::Conflict));
        }
        let old_key = stored.contact.username_key.clone();
        let retailer = stored.contact.retailer;
        let new_key = &record.contact.username_key;
        if *new_key != old_key && s.by_key.contains_key(new_key) {
            return Err(StoreError::new(StoreErrorKind::Duplicate));
        }
        let mut record = record.clone();
        record.contact.retailer = retailer;
        s.by_key.remove(&old_key);
        s.by_key.insert(new_key.clone(), id);
        s.contacts.insert(id, record);
        s.audit.extend_from_slice(events);
        Ok(())
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        self.lock().audit.extend_from_slice(events);
        Ok(())
    }

    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        Ok(self.lock().audit.iter().filter(|e| e.contact == Some(contact)).cloned().collect())
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
}
