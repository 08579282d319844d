//! The kit's own check of its race checks: a store that checks username uniqueness by a
//! read before its write, instead of in the write, passes the sequential checks but must
//! fail the concurrent ones, and the failure must name the check and its clause.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access::Timestamp;
use customer_access::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup};
use customer_access::store::{BudgetCheck, OverBudget, Preferences};
use customer_access::{AuditRecord, AuditScope, ChainEnds};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use customer_access::store::{
    ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord, Revision,
    StoreError, StoreErrorKind, StoreResult, StoredHash, ThrottleKey, UsernameKey,
};
use customer_access::{AuditEvent, ContactId, MemoryStore, Retailer, RetailerId, StaffId, Store};

/// A memory store whose uniqueness check is a read before the write, as in a key-value
/// store with a hand-kept secondary index and no constraint: `create_contact` and renaming
/// `save`s look the username up in the index, wait a moment, then write. The inner store
/// holds each contact under a private key of its own, so only this index decides.
#[derive(Debug, Default)]
struct CheckThenWrite {
    inner: MemoryStore,
    index: Mutex<Index>,
}

#[derive(Debug, Default)]
struct Index {
    by_key: HashMap<UsernameKey, ContactId>,
    key_of: HashMap<ContactId, UsernameKey>,
    private_of: HashMap<ContactId, UsernameKey>,
    writes: usize,
}

impl CheckThenWrite {
    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap()
    }

    /// The racy part: look, then (after a moment) write.
    async fn taken(&self, key: &UsernameKey) -> bool {
        let taken = self.index().by_key.contains_key(key);
        tokio::time::sleep(Duration::from_millis(2)).await;
        taken
    }

    fn private_key(&self) -> UsernameKey {
        let mut index = self.index();
        index.writes += 1;
        UsernameKey::from_stored(&format!("private-{}", index.writes)).unwrap()
    }

    fn public(&self, mut record: ContactRecord) -> ContactRecord {
        if let Some(key) = self.index().key_of.get(&record.contact.id) {
            record.contact.username_key = key.clone();
        }
        record
    }

    fn remember(&self, id: ContactId, key: &UsernameKey, private: UsernameKey) {
        let mut index = self.index();
        if let Some(old) = index.key_of.insert(id, key.clone())
            && index.by_key.get(&old) == Some(&id)
        {
            index.by_key.remove(&old);
        }
        index.by_key.insert(key.clone(), id);
        index.private_of.insert(id, private);
    }
}

impl Store for CheckThenWrite {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        self.inner.create_retailer(name).await
    }
    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        self.inner.retailer(id).await
    }
    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        self.inner.retailers().await
    }
    async fn set_retailer_preferences(
        &self,
        id: RetailerId,
        preferences: &Preferences,
        events: &[AuditEvent],
    ) -> StoreResult<Retailer> {
        self.inner.set_retailer_preferences(id, preferences, events).await
    }
    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        if self.taken(&new.username_key).await {
            return Err(StoreError::new(StoreErrorKind::Duplicate));
        }
        let private = self.private_key();
        let mut stored = new.clone();
        stored.username_key = private.clone();
        let created = self.inner.create_contact(&stored, events).await?;
        self.remember(created.contact.id, &new.username_key, private);
        Ok(self.public(created))
    }
    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        Ok(self.public(self.inner.contact(id).await?))
    }
    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        let id = self.index().by_key.get(key).copied();
        match id {
            Some(id) => Ok(Some(self.contact(id).await?)),
            None => Ok(None),
        }
    }
    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        Ok(self.inner.contacts_of_retailer(retailer).await?.into_iter().map(|r| self.public(r)).collect())
    }
    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        let id = record.contact.id;
        let current = self.index().key_of.get(&id).cloned();
        let renamed = current.as_ref() != Some(&record.contact.username_key);
        if renamed && self.taken(&record.contact.username_key).await {
            return Err(StoreError::new(StoreErrorKind::Duplicate));
        }
        let private = self.index().private_of.get(&id).cloned();
        let Some(private) = private else { return Err(StoreError::new(StoreErrorKind::NotFound)) };
        let mut stored = record.clone();
        stored.contact.username_key = private.clone();
        self.inner.save(expected, &stored, events).await?;
        self.remember(id, &record.contact.username_key, private);
        Ok(())
    }
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        self.inner.append_audit(events).await
    }
    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        self.inner.audit_log(contact).await
    }
    async fn save_within_budgets(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> StoreResult<Result<(), OverBudget>> {
        self.inner.save_within_budgets(expected, record, events, budgets).await
    }
    async fn audit_page(&self, scope: &AuditScope, before: Option<u64>, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.inner.audit_page(scope, before, limit).await
    }
    async fn audit_chain(&self) -> StoreResult<ChainEnds> {
        self.inner.audit_chain().await
    }
    async fn prune_audit(&self, before: Timestamp) -> StoreResult<ChainEnds> {
        self.inner.prune_audit(before).await
    }
    async fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> StoreResult<()> {
        self.inner.assign_retailer(staff, retailer).await
    }
    async fn assigned_retailers(&self, staff: StaffId) -> StoreResult<Vec<RetailerId>> {
        self.inner.assigned_retailers(staff).await
    }
    async fn login_failures(&self, key: &ThrottleKey) -> StoreResult<LoginFailures> {
        self.inner.login_failures(key).await
    }
    async fn swap_login_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> StoreResult<bool> {
        self.inner.swap_login_failures(key, expected, new, retention).await
    }
    async fn clear_login_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        self.inner.clear_login_failures(key).await
    }
    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        self.inner.add_device(device, keep_per_contact).await
    }
    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        self.inner.hash_outside(prefixes).await
    }
    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        self.inner.device(digest).await
    }
    async fn import_lookup(
        &self,
        retailers: &[ExternalId],
        contacts: &[ExternalId],
        usernames: &[UsernameKey],
    ) -> StoreResult<ImportLookup> {
        self.inner.import_lookup(retailers, contacts, usernames).await
    }
    async fn import_batch(&self, batch: &ImportBatch) -> StoreResult<ImportApplied> {
        self.inner.import_batch(batch).await
    }
}

async fn failure_of<F: std::future::Future<Output = ()> + Send + 'static>(
    check: &'static str,
    future: F,
) -> customer_access_conformance::CheckFailure {
    let clause = customer_access_conformance::CHECKS.iter().find(|(name, _)| *name == check).unwrap().1;
    customer_access_conformance::suite::run_check(check, clause, future)
        .await
        .expect_err("a store that checks uniqueness before writing must fail this check")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_check_then_write_store_fails_the_create_race_by_name() {
    let failure = failure_of(
        "concurrent_creates_of_one_username_have_one_winner",
        customer_access_conformance::concurrent_creates_of_one_username_have_one_winner(CheckThenWrite::default()),
    )
    .await;
    let shown = failure.to_string();
    assert!(shown.contains("concurrent_creates_of_one_username_have_one_winner"), "{shown}");
    assert!(shown.contains("Unique usernames under concurrency"), "the clause: {shown}");
    assert!(shown.contains("concurrent creates of one username succeeded"), "what it saw: {shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_check_then_write_store_fails_the_rename_race_by_name() {
    let failure = failure_of(
        "concurrent_renames_to_one_username_have_one_winner",
        customer_access_conformance::concurrent_renames_to_one_username_have_one_winner(CheckThenWrite::default()),
    )
    .await;
    assert!(failure.to_string().contains("concurrent renames onto one username succeeded"), "{failure}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_store_passes_the_sequential_uniqueness_check() {
    // What made the race checks necessary: without concurrency the flaw does not show.
    customer_access_conformance::suite::run_check(
        "usernames_unique_under_normalisation",
        "",
        customer_access_conformance::usernames_unique_under_normalisation(CheckThenWrite::default()),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_all_reports_every_failure_with_its_clause() {
    let result = tokio::spawn(customer_access_conformance::run_all(|| async { CheckThenWrite::default() })).await;
    let payload = result.expect_err("run_all fails on a broken store").into_panic();
    let report = payload.downcast_ref::<String>().unwrap();
    assert!(report.contains("conformance checks failed"), "{report}");
    for check in
        ["concurrent_creates_of_one_username_have_one_winner", "concurrent_renames_to_one_username_have_one_winner"]
    {
        assert!(report.contains(check), "{check} is reported: {report}");
    }
}
