//! A store wrapper that injects failures: every call is counted, and a chosen call (or every
//! save) fails with a chosen kind. Used to prove the service is all-or-nothing.

use customer_access::Timestamp;
use customer_access::store::{BudgetCheck, OverBudget};
use customer_access::{AuditRecord, AuditScope, ChainEnds};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use customer_access::store::{
    ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord, Revision,
    StoreError, StoreErrorKind, StoreResult, StoredHash, ThrottleKey, UsernameKey,
};
use customer_access::{AuditEvent, ContactId, MemoryStore, Retailer, RetailerId, StaffId, Store};

#[derive(Clone, Debug, Default)]
pub struct FaultyStore {
    pub inner: MemoryStore,
    calls: Arc<AtomicUsize>,
    saves: Arc<AtomicUsize>,
    /// Fail the call with this 1-based number (0: never).
    fail_call: Arc<AtomicUsize>,
    /// Fail every call from `fail_call` on, not just that one.
    persistent: Arc<std::sync::atomic::AtomicBool>,
    /// Every save loses its compare-and-swap.
    always_conflict: Arc<std::sync::atomic::AtomicBool>,
}

impl FaultyStore {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn saves(&self) -> usize {
        self.saves.load(Ordering::SeqCst)
    }

    /// Fail call number `k` from now (1-based), once or from then on.
    pub fn fail_at(&self, k: usize, persistent: bool) {
        self.fail_call.store(self.calls() + k, Ordering::SeqCst);
        self.persistent.store(persistent, Ordering::SeqCst);
    }

    pub fn heal(&self) {
        self.fail_call.store(0, Ordering::SeqCst);
        self.always_conflict.store(false, Ordering::SeqCst);
    }

    pub fn always_conflict(&self) {
        self.always_conflict.store(true, Ordering::SeqCst);
    }

    fn tick(&self) -> StoreResult<()> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let k = self.fail_call.load(Ordering::SeqCst);
        let hit = k != 0 && (n == k || (n > k && self.persistent.load(Ordering::SeqCst)));
        if hit { Err(StoreError::new(StoreErrorKind::Unavailable)) } else { Ok(()) }
    }
}

impl Store for FaultyStore {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        self.tick()?;
        self.inner.create_retailer(name).await
    }
    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        self.tick()?;
        self.inner.retailer(id).await
    }
    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        self.tick()?;
        self.inner.retailers().await
    }
    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        self.tick()?;
        self.inner.create_contact(new, events).await
    }
    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        self.tick()?;
        self.inner.contact(id).await
    }
    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        self.tick()?;
        self.inner.contact_by_username(key).await
    }
    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        self.tick()?;
        self.inner.contacts_of_retailer(retailer).await
    }
    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        self.tick()?;
        self.saves.fetch_add(1, Ordering::SeqCst);
        if self.always_conflict.load(Ordering::SeqCst) {
            return Err(StoreError::new(StoreErrorKind::Conflict));
        }
        self.inner.save(expected, record, events).await
    }
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        self.tick()?;
        self.inner.append_audit(events).await
    }
    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        self.tick()?;
        self.inner.audit_log(contact).await
    }
    async fn save_within_budgets(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> StoreResult<Result<(), OverBudget>> {
        self.tick()?;
        self.saves.fetch_add(1, Ordering::SeqCst);
        if self.always_conflict.load(Ordering::SeqCst) {
            return Err(StoreError::new(StoreErrorKind::Conflict));
        }
        self.inner.save_within_budgets(expected, record, events, budgets).await
    }
    async fn audit_page(&self, scope: &AuditScope, before: Option<u64>, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.tick()?;
        self.inner.audit_page(scope, before, limit).await
    }
    async fn audit_chain(&self) -> StoreResult<ChainEnds> {
        self.tick()?;
        self.inner.audit_chain().await
    }
    async fn prune_audit(&self, before: Timestamp) -> StoreResult<ChainEnds> {
        self.tick()?;
        self.inner.prune_audit(before).await
    }
    async fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> StoreResult<()> {
        self.tick()?;
        self.inner.assign_retailer(staff, retailer).await
    }
    async fn assigned_retailers(&self, staff: StaffId) -> StoreResult<Vec<RetailerId>> {
        self.tick()?;
        self.inner.assigned_retailers(staff).await
    }
    async fn login_failures(&self, key: &ThrottleKey) -> StoreResult<LoginFailures> {
        self.tick()?;
        self.inner.login_failures(key).await
    }
    async fn swap_login_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> StoreResult<bool> {
        self.tick()?;
        self.inner.swap_login_failures(key, expected, new, retention).await
    }
    async fn clear_login_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        self.tick()?;
        self.inner.clear_login_failures(key).await
    }
    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        self.tick()?;
        self.inner.add_device(device, keep_per_contact).await
    }
    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        self.tick()?;
        self.inner.hash_outside(prefixes).await
    }
    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        self.tick()?;
        self.inner.device(digest).await
    }
}
