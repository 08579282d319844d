//! A `customer_access::Store` on a key-value database: the store that
//! `docs/implementing-a-store.md` builds, step by step. The engine is a toy ([`kv::Kv`]); the
//! layout of keys, the decoy, the compare-and-swap and the audit chain are what carry over
//! to Redis, etcd, FoundationDB or DynamoDB.
//!
//! Keys (ids and sequence numbers zero-padded so key order is number order):
//!
//! | key | value |
//! | --- | --- |
//! | `retailer/{id}` | `RetailerColumns` as JSON: name, language, time zone |
//! | `contact/{id}` | `ContactColumns` as JSON; id 0 is the decoy |
//! | `username/{key}` | the contact id: the unique index |
//! | `audit/chain` | `ChainColumns` as JSON: head and base; every audited write is conditioned on its version |
//! | `audit/all/{seq}` | `AuditColumns` as JSON: the chain, which `verify_audit` walks |
//! | `audit/{scope}/{id}/{seq}` | a copy of that document per scope the event is in: `contact`, `retailer`, `staff`, `device` (id in hex) |
//! | `staff/{staff}/{retailer}` | empty: an assignment |
//! | `failures/{throttle key}` | `FailureColumns` as JSON |
//! | `device/{digest}` | `DeviceColumns` as JSON |
//! | `import/{retailer,contact}/{external id}` | the local id of an imported retailer or contact |
#![forbid(unsafe_code)]

mod import;
pub mod kv;

use customer_access::i18n::Preferences;
use customer_access::store::columns::{
    AuditColumns, ChainColumns, ContactColumns, DECOY_CONTACT_ID, DeviceColumns, FailureColumns, RetailerColumns,
};
use customer_access::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup};
use customer_access::store::{
    BudgetCheck, ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord,
    OverBudget, Revision, StoreError, StoreErrorKind, StoreResult, StoredHash, ThrottleKey, UsernameKey, device_of,
    staff_of,
};
use customer_access::{
    AuditEvent, AuditRecord, AuditScope, ChainEnds, ContactId, Retailer, RetailerId, StaffId, Store, Timestamp,
};
use kv::{Kv, Txn};

/// The store. Keep one per database (it holds the engine here; a client in real life).
#[derive(Debug)]
pub struct KvStore {
    kv: Kv,
}

fn err(kind: StoreErrorKind) -> StoreError {
    StoreError::new(kind)
}

fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::with_source(StoreErrorKind::Corrupt, e)
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Plain structs of integers, strings and options always serialise.
    serde_json::to_vec(value).unwrap_or_default()
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(corrupt)
}

fn retailer_key(id: i64) -> String {
    format!("retailer/{id:020}")
}

fn contact_key(id: i64) -> String {
    format!("contact/{id:020}")
}

/// The audit chain's ends: the one key every audited write conditions on.
const CHAIN: &str = "audit/chain";

/// Where `scope`'s events are kept, one key per event ending in its sequence number.
fn scope_prefix(scope: &AuditScope) -> StoreResult<String> {
    Ok(match scope {
        AuditScope::All => "audit/all/".to_owned(),
        AuditScope::Contact(id) => format!("audit/contact/{:020}/", id.get()),
        AuditScope::Retailer(id) => format!("audit/retailer/{:020}/", id.get()),
        AuditScope::Staff(id) => format!("audit/staff/{:020}/", id.get()),
        AuditScope::Device(id) => format!("audit/device/{}/", hex(id.as_str())),
        // `AuditScope` may gain variants (it is non-exhaustive): one this store keeps no
        // copies for cannot be read.
        _ => return Err(err(StoreErrorKind::Other)),
    })
}

/// Every key an audit event is stored under: its place in the chain, and a copy under each
/// scope it is in (the scopes `AuditScope::matches` finds it in), so that a page of any
/// scope is one range read.
fn audit_keys(record: &AuditRecord) -> StoreResult<Vec<String>> {
    let event = &record.event;
    let mut scopes = vec![AuditScope::All];
    scopes.extend(event.contact.map(AuditScope::Contact));
    scopes.extend(event.retailer.map(AuditScope::Retailer));
    scopes.extend(staff_of(&event.actor).map(AuditScope::Staff));
    scopes.extend(device_of(&event.actor).cloned().map(AuditScope::Device));
    scopes.iter().map(|scope| Ok(format!("{}{:020}", scope_prefix(scope)?, record.seq))).collect()
}

fn audit_record(bytes: &[u8]) -> StoreResult<AuditRecord> {
    parse::<AuditColumns>(bytes)?.into_record()
}

/// A device id as it goes into a key. Device ids may contain `/`: the keys of `ipad/1`
/// would fall under the prefix of `ipad`, and its events into `ipad`'s pages. Hex cannot.
fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// What becomes of an `OverBudget` from a write that had no budgets: it cannot happen, and
/// should it ever, an error is better than a panic.
fn unbudgeted(over: OverBudget) -> StoreError {
    StoreError::with_source(StoreErrorKind::Other, over)
}

/// How many times a write that lost a race is tried before its caller gets `Unavailable`.
/// Every lost commit means another writer's commit went through, so the store as a whole
/// always moves on; the bound only keeps one unlucky caller from spinning through a long
/// burst on the audit chain. (A real client also waits a little, with jitter, in between.)
const ATTEMPTS: usize = 64;

/// Run `attempt` (reads, then one conditional commit) until it commits. It returns
/// `Ok(None)` when its commit lost a race; the next attempt reads afresh, and its reads say
/// whether the race was lost for good (`Conflict`, `Duplicate`) or only to a writer that
/// moved the audit chain's head, after which it simply chains after the new head.
fn until_committed<T>(mut attempt: impl FnMut() -> StoreResult<Option<T>>) -> StoreResult<T> {
    for _ in 0..ATTEMPTS {
        if let Some(done) = attempt()? {
            return Ok(done);
        }
    }
    Err(err(StoreErrorKind::Unavailable))
}

impl Default for KvStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KvStore {
    /// A store on a new, empty database, with the decoy in place.
    pub fn new() -> Self {
        let kv = Kv::default();
        // The decoy lives as a real value at id 0, read when a username is unknown, so a
        // miss does the same two reads and one decode as a hit. No index entry points at it.
        let decoy =
            Txn { checks: vec![], writes: vec![(contact_key(DECOY_CONTACT_ID), Some(json(&ContactColumns::decoy())))] };
        kv.commit(decoy);
        Self { kv }
    }

    fn record_at(&self, id: i64) -> StoreResult<Option<(ContactColumns, u64)>> {
        match self.kv.get(&contact_key(id)) {
            (Some(bytes), version) => Ok(Some((parse(&bytes)?, version))),
            (None, _) => Ok(None),
        }
    }

    /// The audit chain's ends, and the version they were read at: 0 while the key is absent,
    /// before the first event, when the chain is `ChainEnds::default()`.
    fn chain(&self) -> StoreResult<(ChainEnds, u64)> {
        match self.kv.get(CHAIN) {
            (Some(bytes), version) => Ok((parse::<ChainColumns>(&bytes)?.into_ends()?, version)),
            (None, version) => Ok((ChainEnds::default(), version)),
        }
    }

    /// Take the audit chain's lock for `txn` and return the chain's ends. The lock is a
    /// condition, not a wait: `txn` commits only if the chain key still has the version read
    /// here. Every write that appends or prunes events rewrites that key, so of two writers
    /// that read the same head exactly one commits; the other's commit fails and it starts
    /// over from the new head. That is how concurrent writers, in any number of processes,
    /// still make one chain 1, 2, 3, ... without gaps.
    fn lock_chain(&self, txn: &mut Txn) -> StoreResult<ChainEnds> {
        let (ends, version) = self.chain()?;
        txn.checks.push((CHAIN.to_owned(), version));
        Ok(ends)
    }

    /// Make `txn` append `events` (a missing contact id filled in with `contact`) to the
    /// audit chain, once every check in `budgets` has room; otherwise leave the events out
    /// and name the first check without room (the caller then commits nothing).
    fn append_chained(
        &self,
        txn: &mut Txn,
        events: &[AuditEvent],
        contact: Option<ContactId>,
        budgets: &[BudgetCheck],
    ) -> StoreResult<Result<(), OverBudget>> {
        // A write that appends nothing and counts nothing need not contend for the chain.
        if events.is_empty() && budgets.is_empty() {
            return Ok(Ok(()));
        }
        let mut ends = self.lock_chain(txn)?;
        // Budgets are counted after the chain was read, inside the same attempt: an event
        // that counts and commits after that read has moved the chain, so this commit fails
        // and the next attempt counts it. Counted before the read, a concurrent reset could
        // slip in between and a burst would get more than the budget.
        for (check, budget) in budgets.iter().enumerate() {
            if !self.has_room(budget)? {
                return Ok(Err(OverBudget { check }));
            }
        }
        let filled = events.iter().cloned().map(|mut e| {
            e.contact = e.contact.or(contact);
            e
        });
        let (records, head) = ends.head.extend(filled);
        for record in &records {
            // Stored as it is: never rewrite a record, or its hash no longer matches.
            let document = json(&AuditColumns::from_record(record));
            for key in audit_keys(record)? {
                txn.writes.push((key, Some(document.clone())));
            }
        }
        ends.head = head;
        txn.writes.push((CHAIN.to_owned(), Some(json(&ChainColumns::from_ends(&ends)))));
        Ok(Ok(()))
    }

    /// Does `check` have room: fewer than `check.limit` stored events that count against it?
    /// This reads every event of the scope; a large store keeps its copies ordered by time
    /// too (or a sorted set per scope) and reads only the window.
    fn has_room(&self, check: &BudgetCheck) -> StoreResult<bool> {
        let mut used = 0;
        for (_, bytes) in self.kv.scan(&scope_prefix(&check.scope)?) {
            if check.counts(&audit_record(&bytes)?.event) {
                used += 1;
                if used >= check.limit {
                    return Ok(false);
                }
            }
        }
        Ok(used < check.limit)
    }

    /// One attempt at [`Store::create_contact`]: `Ok(None)` when the commit lost a race.
    fn try_create_contact(&self, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<Option<()>> {
        let id = record.contact.id;
        let index = format!("username/{}", record.contact.username_key.as_str());
        if self.kv.get(&index).0.is_some() {
            return Err(err(StoreErrorKind::Duplicate));
        }
        // The uniqueness check is part of the write: the index key must still be absent
        // (version 0) when the transaction commits. Checking first and writing after would
        // let two concurrent creates both pass (the kit's race checks catch that); the read
        // above only spares a commit that would fail, and tells a retry why the last one did.
        let mut txn = Txn {
            checks: vec![(index.clone(), 0)],
            writes: vec![
                (contact_key(id.get()), Some(json(&ContactColumns::from_record(record)))),
                (index, Some(id.get().to_string().into_bytes())),
            ],
        };
        self.append_chained(&mut txn, events, Some(id), &[])?.map_err(unbudgeted)?;
        Ok(self.kv.commit(txn).then_some(()))
    }

    /// One attempt at [`Store::set_retailer_preferences`]: the retailer's document and the
    /// events in one transaction, conditioned on both being unchanged since read.
    fn try_set_retailer_preferences(
        &self,
        id: RetailerId,
        preferences: &Preferences,
        events: &[AuditEvent],
    ) -> StoreResult<Option<Retailer>> {
        let key = retailer_key(id.get());
        let (Some(document), version) = self.kv.get(&key) else {
            return Err(err(StoreErrorKind::NotFound));
        };
        if id.get() == DECOY_CONTACT_ID {
            return Err(err(StoreErrorKind::NotFound));
        }
        let mut retailer = parse::<RetailerColumns>(&document)?.into_retailer()?;
        retailer.preferences = preferences.clone();
        let mut txn = Txn {
            checks: vec![(key.clone(), version)],
            writes: vec![(key, Some(json(&RetailerColumns::from_retailer(&retailer))))],
        };
        self.append_chained(&mut txn, events, None, &[])?.map_err(unbudgeted)?;
        Ok(self.kv.commit(txn).then_some(retailer))
    }

    /// One attempt at [`Store::save_within_budgets`] (and [`Store::save`], with no budgets):
    /// `Ok(None)` when the commit lost a race.
    fn try_save(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> StoreResult<Option<Result<(), OverBudget>>> {
        let id = record.contact.id.get();
        let Some((stored, version)) = self.record_at(id)?.filter(|_| id != DECOY_CONTACT_ID) else {
            return Err(err(StoreErrorKind::NotFound));
        };
        if stored.revision != expected.0 {
            return Err(err(StoreErrorKind::Conflict));
        }
        let mut columns = ContactColumns::from_record(record);
        columns.retailer_id = stored.retailer_id; // a save never moves a contact
        // Compare-and-swap: the transaction holds only if the contact is unchanged since
        // the read above; a rename also needs the new index key to be absent.
        let mut txn =
            Txn { checks: vec![(contact_key(id), version)], writes: vec![(contact_key(id), Some(json(&columns)))] };
        if columns.username_key != stored.username_key {
            let new_index = format!("username/{}", columns.username_key);
            if self.kv.get(&new_index).0.is_some() {
                return Err(err(StoreErrorKind::Duplicate));
            }
            txn.checks.push((new_index.clone(), 0));
            txn.writes.push((format!("username/{}", stored.username_key), None));
            txn.writes.push((new_index, Some(id.to_string().into_bytes())));
        }
        if let Err(over) = self.append_chained(&mut txn, events, None, budgets)? {
            return Ok(Some(Err(over)));
        }
        // A failed commit lost to a concurrent save of this contact, to another contact taking
        // the new username, or to a writer that moved the chain's head: the next attempt's
        // reads tell which (Conflict, Duplicate, or a new head to chain after).
        Ok(self.kv.commit(txn).then_some(Ok(())))
    }

    /// One attempt at [`Store::prune_audit`]: `Ok(None)` when the commit lost a race.
    fn try_prune_audit(&self, before: Timestamp) -> StoreResult<Option<ChainEnds>> {
        let mut txn = Txn::default();
        let mut ends = self.lock_chain(&mut txn)?;
        // Oldest first, up to the first event stamped at or after `before`: the last of those
        // becomes the base and stays (its time is vouched for by the chain after it); every
        // copy of the older ones goes.
        let mut old = Vec::new();
        for (_, bytes) in self.kv.scan(&scope_prefix(&AuditScope::All)?) {
            let record = audit_record(&bytes)?;
            if record.event.at >= before {
                break;
            }
            old.push(record);
        }
        let previous_base = ends.base;
        if let Some(base) = old.pop() {
            ends.base = base.link();
        }
        for record in &old {
            txn.writes.extend(audit_keys(record)?.into_iter().map(|key| (key, None)));
        }
        if ends.base != previous_base {
            txn.writes.push((CHAIN.to_owned(), Some(json(&ChainColumns::from_ends(&ends)))));
        }
        // Committed even with nothing to delete: the check alone confirms that the ends
        // returned are still the chain's.
        Ok(self.kv.commit(txn).then_some(ends))
    }

    /// One attempt at [`Store::add_device`]: `Ok(None)` when the commit lost a race.
    fn try_add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<Option<()>> {
        let contact = device.contact.get();
        let Some((_, version)) = self.record_at(contact)?.filter(|_| contact != DECOY_CONTACT_ID) else {
            return Err(err(StoreErrorKind::NotFound));
        };
        let key = format!("device/{}", device.digest.as_hex());
        if self.kv.get(&key).0.is_some() {
            return Err(err(StoreErrorKind::Duplicate));
        }
        let checks = vec![(key.clone(), 0), (contact_key(contact), version)];
        let mut writes = vec![(key, Some(json(&DeviceColumns::from_record(device))))];
        // Trim this contact's devices: expired ones, and all but the newest.
        let mut mine = Vec::new();
        for (k, bytes) in self.kv.scan("device/") {
            let d: DeviceColumns = parse(&bytes)?;
            if d.contact_id == contact {
                mine.push((d.issued_at, d.expires_at, k));
            }
        }
        let issued = device.issued_at.unix_millis();
        mine.retain(|(_, expires, k)| {
            let live = *expires > issued;
            if !live {
                writes.push((k.clone(), None));
            }
            live
        });
        mine.sort();
        let keep = usize::try_from(keep_per_contact).unwrap_or(usize::MAX).saturating_sub(1);
        let excess = mine.len().saturating_sub(keep);
        writes.extend(mine.into_iter().take(excess).map(|(_, _, k)| (k, None)));
        Ok(self.kv.commit(Txn { checks, writes }).then_some(()))
    }

    /// Delete forgotten failure entries, then the weakest beyond `max_entries`. A real
    /// database does this its own way: a TTL per key (Redis `EXPIRE`) and a sorted set.
    fn trim_failures(&self, retention: FailureRetention) -> StoreResult<()> {
        let mut entries = Vec::new();
        for (key, bytes) in self.kv.scan("failures/") {
            let f: FailureColumns = parse(&bytes)?;
            entries.push((f.count, f.last_failure_at, key));
        }
        let forget = retention.forget_before.unix_millis();
        let mut doomed: Vec<String> = entries.iter().filter(|e| e.1 < forget).map(|e| e.2.clone()).collect();
        entries.retain(|e| e.1 >= forget);
        if entries.len() >= retention.max_entries {
            entries.sort();
            let excess = entries.len() + 1 - retention.max_entries;
            doomed.extend(entries.into_iter().take(excess).map(|e| e.2));
        }
        self.kv.commit(Txn { checks: vec![], writes: doomed.into_iter().map(|k| (k, None)).collect() });
        Ok(())
    }
}

impl Store for KvStore {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        let id = i64::try_from(self.kv.next_number()).map_err(corrupt)?;
        let retailer = Retailer { id: RetailerId::new(id), name: name.to_owned(), preferences: Preferences::default() };
        let document = json(&RetailerColumns::from_retailer(&retailer));
        self.kv.commit(Txn { checks: vec![], writes: vec![(retailer_key(id), Some(document))] });
        Ok(retailer)
    }

    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        match self.kv.get(&retailer_key(id.get())) {
            (Some(document), _) if id.get() != DECOY_CONTACT_ID => parse::<RetailerColumns>(&document)?.into_retailer(),
            _ => Err(err(StoreErrorKind::NotFound)),
        }
    }

    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        self.kv
            .scan("retailer/")
            .into_iter()
            .map(|(_, document)| parse::<RetailerColumns>(&document)?.into_retailer())
            .collect()
    }

    async fn set_retailer_preferences(
        &self,
        id: RetailerId,
        preferences: &Preferences,
        events: &[AuditEvent],
    ) -> StoreResult<Retailer> {
        until_committed(|| self.try_set_retailer_preferences(id, preferences, events))
    }

    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        self.retailer(new.retailer).await?;
        let id = ContactId::new(i64::try_from(self.kv.next_number()).map_err(corrupt)?);
        let record = new.clone().into_record(id);
        until_committed(|| self.try_create_contact(&record, events))?;
        Ok(record)
    }

    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        match self.record_at(id.get())? {
            Some((columns, _)) if id.get() != DECOY_CONTACT_ID => columns.into_record(),
            _ => Err(err(StoreErrorKind::NotFound)),
        }
    }

    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        let id = match self.kv.get(&format!("username/{}", key.as_str())) {
            (Some(id), _) => String::from_utf8(id).map_err(corrupt)?.parse().map_err(corrupt)?,
            (None, _) => DECOY_CONTACT_ID,
        };
        let (columns, _) = self.record_at(id)?.ok_or_else(|| err(StoreErrorKind::Corrupt))?;
        columns.into_found_record()
    }

    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        let mut found = Vec::new();
        for (_, bytes) in self.kv.scan("contact/") {
            let columns: ContactColumns = parse(&bytes)?;
            if columns.retailer_id == retailer.get() && columns.id != DECOY_CONTACT_ID {
                found.push(columns.into_record()?);
            }
        }
        Ok(found)
    }

    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        until_committed(|| self.try_save(expected, record, events, &[]))?.map_err(unbudgeted)
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        // Events with no contact (a denied staff call) are chained like any other.
        until_committed(|| {
            let mut txn = Txn::default();
            self.append_chained(&mut txn, events, None, &[])?.map_err(unbudgeted)?;
            Ok(self.kv.commit(txn).then_some(()))
        })
    }

    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        let prefix = scope_prefix(&AuditScope::Contact(contact))?;
        self.kv.scan(&prefix).iter().map(|(_, bytes)| Ok(audit_record(bytes)?.event)).collect()
    }

    async fn save_within_budgets(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> StoreResult<Result<(), OverBudget>> {
        until_committed(|| self.try_save(expected, record, events, budgets))
    }

    async fn audit_page(&self, scope: &AuditScope, before: Option<u64>, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        // Keyset pagination: read back from just below `before`'s key, so a page costs the
        // same wherever it starts.
        let prefix = scope_prefix(scope)?;
        let below = format!("{prefix}{:020}", before.unwrap_or(u64::MAX));
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        self.kv.scan_back(&prefix, &below, limit).iter().map(|(_, bytes)| audit_record(bytes)).collect()
    }

    async fn audit_chain(&self) -> StoreResult<ChainEnds> {
        Ok(self.chain()?.0)
    }

    async fn prune_audit(&self, before: Timestamp) -> StoreResult<ChainEnds> {
        until_committed(|| self.try_prune_audit(before))
    }

    async fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> StoreResult<()> {
        self.retailer(retailer).await?;
        let key = format!("staff/{:020}/{:020}", staff.get(), retailer.get());
        self.kv.commit(Txn { checks: vec![], writes: vec![(key, Some(Vec::new()))] });
        Ok(())
    }

    async fn assigned_retailers(&self, staff: StaffId) -> StoreResult<Vec<RetailerId>> {
        let prefix = format!("staff/{:020}/", staff.get());
        self.kv
            .scan(&prefix)
            .into_iter()
            .map(|(key, _)| Ok(RetailerId::new(key[prefix.len()..].parse().map_err(corrupt)?)))
            .collect()
    }

    async fn login_failures(&self, key: &ThrottleKey) -> StoreResult<LoginFailures> {
        match self.kv.get(&format!("failures/{}", key.as_str())) {
            (Some(bytes), _) => parse::<FailureColumns>(&bytes)?.into_failures(),
            (None, _) => Ok(LoginFailures::default()),
        }
    }

    async fn swap_login_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> StoreResult<bool> {
        let full = format!("failures/{}", key.as_str());
        let (bytes, version) = self.kv.get(&full);
        let current = match bytes {
            Some(bytes) => parse::<FailureColumns>(&bytes)?.into_failures()?,
            None => LoginFailures::default(),
        };
        if current != expected {
            return Ok(false);
        }
        if expected.is_empty() {
            self.trim_failures(retention)?;
        }
        let write = (full.clone(), Some(json(&FailureColumns::from_failures(&new))));
        Ok(self.kv.commit(Txn { checks: vec![(full, version)], writes: vec![write] }))
    }

    async fn clear_login_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        self.kv.commit(Txn { checks: vec![], writes: vec![(format!("failures/{}", key.as_str()), None)] });
        Ok(())
    }

    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        // A commit lost to a concurrent change of the same contact is simply tried again.
        until_committed(|| self.try_add_device(device, keep_per_contact))
    }

    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        for (_, bytes) in self.kv.scan("contact/") {
            let c: ContactColumns = parse(&bytes)?;
            if c.id == DECOY_CONTACT_ID {
                continue;
            }
            let outside = |h: &String| !prefixes.iter().any(|p| h.starts_with(p.as_str()));
            if let Some(h) = c.password_hash.iter().chain(c.temp_hash.iter()).find(|h| outside(h)) {
                return Ok(Some(StoredHash::from_phc(h.clone())));
            }
        }
        Ok(None)
    }

    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        match self.kv.get(&format!("device/{}", digest.as_hex())) {
            (Some(bytes), _) => Ok(Some(parse::<DeviceColumns>(&bytes)?.into_record())),
            (None, _) => Ok(None),
        }
    }

    async fn import_lookup(
        &self,
        retailers: &[ExternalId],
        contacts: &[ExternalId],
        usernames: &[UsernameKey],
    ) -> StoreResult<ImportLookup> {
        self.lookup(retailers, contacts, usernames)
    }

    async fn import_batch(&self, batch: &ImportBatch) -> StoreResult<ImportApplied> {
        until_committed(|| self.try_import(batch))
    }
}
