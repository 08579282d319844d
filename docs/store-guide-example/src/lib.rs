//! A `customer_access::Store` on a key-value database: the store that
//! `docs/implementing-a-store.md` builds, step by step. The engine is a toy ([`kv::Kv`]); the
//! layout of keys, the decoy, the compare-and-swap and the audit events are what carry over
//! to Redis, etcd, FoundationDB or DynamoDB.
//!
//! Keys (ids zero-padded so key order is id order):
//!
//! | key | value |
//! | --- | --- |
//! | `retailer/{id}` | the name |
//! | `contact/{id}` | `ContactColumns` as JSON; id 0 is the decoy |
//! | `username/{key}` | the contact id: the unique index |
//! | `audit/{contact or "none"}/{seq}` | `AuditColumns` as JSON |
//! | `staff/{staff}/{retailer}` | empty: an assignment |
//! | `failures/{throttle key}` | `FailureColumns` as JSON |
//! | `device/{digest}` | `DeviceColumns` as JSON |
#![forbid(unsafe_code)]

pub mod kv;

use customer_access::store::columns::{AuditColumns, ContactColumns, DECOY_CONTACT_ID, DeviceColumns, FailureColumns};
use customer_access::store::{
    ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord, Revision,
    StoreError, StoreErrorKind, StoreResult, StoredHash, ThrottleKey, UsernameKey,
};
use customer_access::{AuditEvent, ContactId, Retailer, RetailerId, StaffId, Store};
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

fn contact_key(id: i64) -> String {
    format!("contact/{id:020}")
}

fn audit_key(contact: Option<i64>, seq: u64) -> String {
    contact.map_or_else(|| format!("audit/none/{seq:020}"), |c| format!("audit/{c:020}/{seq:020}"))
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

    fn audit_writes(&self, events: &[AuditEvent], contact: Option<ContactId>) -> Vec<(String, Option<Vec<u8>>)> {
        events
            .iter()
            .map(|e| {
                let columns = AuditColumns::from_event(e, contact);
                (audit_key(columns.contact_id, self.kv.next_number()), Some(json(&columns)))
            })
            .collect()
    }

    /// One attempt at [`Store::add_device`]: `Ok(false)` when the commit lost a race.
    fn try_add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<bool> {
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
        Ok(self.kv.commit(Txn { checks, writes }))
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
        self.kv.commit(Txn {
            checks: vec![],
            writes: vec![(format!("retailer/{id:020}"), Some(name.as_bytes().to_vec()))],
        });
        Ok(Retailer { id: RetailerId::new(id), name: name.to_owned() })
    }

    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        match self.kv.get(&format!("retailer/{:020}", id.get())) {
            (Some(name), _) if id.get() != DECOY_CONTACT_ID => {
                Ok(Retailer { id, name: String::from_utf8(name).map_err(corrupt)? })
            }
            _ => Err(err(StoreErrorKind::NotFound)),
        }
    }

    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        self.kv
            .scan("retailer/")
            .into_iter()
            .map(|(key, name)| {
                let id = key["retailer/".len()..].parse().map_err(corrupt)?;
                Ok(Retailer { id: RetailerId::new(id), name: String::from_utf8(name).map_err(corrupt)? })
            })
            .collect()
    }

    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        self.retailer(new.retailer).await?;
        let id = ContactId::new(i64::try_from(self.kv.next_number()).map_err(corrupt)?);
        let record = new.clone().into_record(id);
        let index = format!("username/{}", new.username_key.as_str());
        // The uniqueness check is part of the write: the index key must still be absent
        // (version 0) when the transaction commits. Checking first and writing after would
        // let two concurrent creates both pass (the kit's race checks catch that).
        let mut writes = vec![
            (contact_key(id.get()), Some(json(&ContactColumns::from_record(&record)))),
            (index.clone(), Some(id.get().to_string().into_bytes())),
        ];
        writes.extend(self.audit_writes(events, Some(id)));
        if !self.kv.commit(Txn { checks: vec![(index, 0)], writes }) {
            return Err(err(StoreErrorKind::Duplicate));
        }
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
        let mut checks = vec![(contact_key(id), version)];
        let mut writes = vec![(contact_key(id), Some(json(&columns)))];
        if columns.username_key != stored.username_key {
            let new_index = format!("username/{}", columns.username_key);
            if self.kv.get(&new_index).0.is_some() {
                return Err(err(StoreErrorKind::Duplicate));
            }
            checks.push((new_index.clone(), 0));
            writes.push((format!("username/{}", stored.username_key), None));
            writes.push((new_index, Some(id.to_string().into_bytes())));
        }
        writes.extend(self.audit_writes(events, None));
        if self.kv.commit(Txn { checks, writes }) {
            return Ok(());
        }
        // Lost: to a concurrent save of this contact (Conflict), or to another contact
        // taking the new username meanwhile (Duplicate).
        let still = self.kv.get(&contact_key(id)).1 == version;
        Err(err(if still { StoreErrorKind::Duplicate } else { StoreErrorKind::Conflict }))
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        // Events with no contact (a denied staff call) go under "none".
        self.kv.commit(Txn { checks: vec![], writes: self.audit_writes(events, None) });
        Ok(())
    }

    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        let prefix = format!("audit/{:020}/", contact.get());
        self.kv.scan(&prefix).iter().map(|(_, bytes)| parse::<AuditColumns>(bytes)?.into_event()).collect()
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
        for _ in 0..8 {
            if self.try_add_device(device, keep_per_contact)? {
                return Ok(());
            }
        }
        Err(err(StoreErrorKind::Unavailable))
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
}
