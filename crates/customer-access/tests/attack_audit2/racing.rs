//! A memory store that runs retention (another instance's `prune_audit`) just before a
//! chosen `audit_page` call: retention racing a verification walk, deterministically.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use customer_access::store::{
    BudgetCheck, ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord,
    OverBudget, Revision, StoreResult, StoredHash, ThrottleKey, UsernameKey,
};
use customer_access::{
    AuditEvent, AuditRecord, AuditScope, ChainEnds, ContactId, MemoryStore, Retailer, RetailerId, StaffId, Store,
    Timestamp,
};

#[derive(Clone, Debug, Default)]
pub struct RacingStore {
    pub inner: MemoryStore,
    pages: Arc<AtomicUsize>,
    prune_at_page: Arc<Mutex<Option<(usize, Timestamp)>>>,
}

impl RacingStore {
    /// Prune everything before `before` just before the `k`-th `audit_page` call from now.
    pub fn prune_before_page(&self, k: usize, before: Timestamp) {
        let now = self.pages.load(Ordering::SeqCst);
        *self.prune_at_page.lock().unwrap() = Some((now + k, before));
    }
}

impl Store for RacingStore {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        self.inner.create_retailer(name).await
    }
    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        self.inner.retailer(id).await
    }
    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        self.inner.retailers().await
    }
    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        self.inner.create_contact(new, events).await
    }
    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        self.inner.contact(id).await
    }
    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        self.inner.contact_by_username(key).await
    }
    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        self.inner.contacts_of_retailer(retailer).await
    }
    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        self.inner.save(expected, record, events).await
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
        let n = self.pages.fetch_add(1, Ordering::SeqCst) + 1;
        let armed = *self.prune_at_page.lock().unwrap();
        if let Some((k, before_ts)) = armed.filter(|(k, _)| *k == n) {
            let _ = k;
            self.inner.prune_audit(before_ts).await?;
        }
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
}
