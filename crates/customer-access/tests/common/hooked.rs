//! The one forwarding store the fault and attack tests share: a memory store whose every
//! call first passes the test's [`Hooks`] (to hold it at a [`Gate`], fail it, count it, or
//! run another instance's work just before it), so each test writes only what it changes.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use customer_access::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup};
use customer_access::store::{
    BudgetCheck, ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord,
    OverBudget, Preferences, Revision, StoreResult, StoredHash, ThrottleKey, UsernameKey,
};
use customer_access::{
    AuditEvent, AuditRecord, AuditScope, ChainEnds, ContactId, MemoryStore, Retailer, RetailerId, StaffId, Store,
    Timestamp,
};

/// The store call about to run, with what hooks look at.
#[derive(Clone, Copy, Debug)]
pub enum Call<'a> {
    CreateRetailer,
    Retailer,
    Retailers,
    SetRetailerPreferences,
    CreateContact,
    Contact,
    ContactByUsername,
    ContactsOfRetailer,
    /// `save` or `save_within_budgets`, with the events it appends.
    Save {
        events: &'a [AuditEvent],
    },
    AppendAudit,
    AuditLog,
    AuditPage,
    AuditChain,
    PruneAudit,
    AssignRetailer,
    AssignedRetailers,
    LoginFailures,
    SwapLoginFailures,
    ClearLoginFailures,
    AddDevice,
    Device,
    HashOutside,
    ImportLookup,
    ImportBatch,
}

/// What a test does before a call reaches the memory store; an error is the call's answer.
pub trait Hooks: Send + Sync + std::fmt::Debug + 'static {
    fn before(&self, inner: &MemoryStore, call: Call<'_>) -> impl Future<Output = StoreResult<()>> + Send;
}

/// A memory store behind `H` (which it dereferences to, so a test reaches its gates and
/// counters as the store's own).
#[derive(Clone, Debug, Default)]
pub struct Hooked<H> {
    pub inner: MemoryStore,
    pub hooks: H,
}

impl<H> Deref for Hooked<H> {
    type Target = H;
    fn deref(&self) -> &H {
        &self.hooks
    }
}

/// Hold one call until released.
#[derive(Clone, Debug, Default)]
pub struct Gate {
    armed: Arc<AtomicBool>,
    held: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
}

impl Gate {
    pub fn arm(&self) {
        self.held.store(false, Ordering::SeqCst);
        self.release.store(false, Ordering::SeqCst);
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Hold here if armed (once). Returns whether it held.
    pub async fn pass(&self) -> bool {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.held.store(true, Ordering::SeqCst);
            while !self.release.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            return true;
        }
        false
    }

    pub async fn wait_held(&self) {
        while !self.held.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub fn release(&self) {
        self.release.store(true, Ordering::SeqCst);
    }
}

impl<H: Hooks> Store for Hooked<H> {
    async fn create_retailer(&self, name: &str) -> StoreResult<Retailer> {
        self.hooks.before(&self.inner, Call::CreateRetailer).await?;
        self.inner.create_retailer(name).await
    }
    async fn retailer(&self, id: RetailerId) -> StoreResult<Retailer> {
        self.hooks.before(&self.inner, Call::Retailer).await?;
        self.inner.retailer(id).await
    }
    async fn retailers(&self) -> StoreResult<Vec<Retailer>> {
        self.hooks.before(&self.inner, Call::Retailers).await?;
        self.inner.retailers().await
    }
    async fn set_retailer_preferences(
        &self,
        id: RetailerId,
        preferences: &Preferences,
        events: &[AuditEvent],
    ) -> StoreResult<Retailer> {
        self.hooks.before(&self.inner, Call::SetRetailerPreferences).await?;
        self.inner.set_retailer_preferences(id, preferences, events).await
    }
    async fn create_contact(&self, new: &NewContactRecord, events: &[AuditEvent]) -> StoreResult<ContactRecord> {
        self.hooks.before(&self.inner, Call::CreateContact).await?;
        self.inner.create_contact(new, events).await
    }
    async fn contact(&self, id: ContactId) -> StoreResult<ContactRecord> {
        self.hooks.before(&self.inner, Call::Contact).await?;
        self.inner.contact(id).await
    }
    async fn contact_by_username(&self, key: &UsernameKey) -> StoreResult<Option<ContactRecord>> {
        self.hooks.before(&self.inner, Call::ContactByUsername).await?;
        self.inner.contact_by_username(key).await
    }
    async fn contacts_of_retailer(&self, retailer: RetailerId) -> StoreResult<Vec<ContactRecord>> {
        self.hooks.before(&self.inner, Call::ContactsOfRetailer).await?;
        self.inner.contacts_of_retailer(retailer).await
    }
    async fn save(&self, expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> StoreResult<()> {
        self.hooks.before(&self.inner, Call::Save { events }).await?;
        self.inner.save(expected, record, events).await
    }
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        self.hooks.before(&self.inner, Call::AppendAudit).await?;
        self.inner.append_audit(events).await
    }
    async fn audit_log(&self, contact: ContactId) -> StoreResult<Vec<AuditEvent>> {
        self.hooks.before(&self.inner, Call::AuditLog).await?;
        self.inner.audit_log(contact).await
    }
    async fn save_within_budgets(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> StoreResult<Result<(), OverBudget>> {
        self.hooks.before(&self.inner, Call::Save { events }).await?;
        self.inner.save_within_budgets(expected, record, events, budgets).await
    }
    async fn audit_page(&self, scope: &AuditScope, before: Option<u64>, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.hooks.before(&self.inner, Call::AuditPage).await?;
        self.inner.audit_page(scope, before, limit).await
    }
    async fn audit_chain(&self) -> StoreResult<ChainEnds> {
        self.hooks.before(&self.inner, Call::AuditChain).await?;
        self.inner.audit_chain().await
    }
    async fn prune_audit(&self, before: Timestamp) -> StoreResult<ChainEnds> {
        self.hooks.before(&self.inner, Call::PruneAudit).await?;
        self.inner.prune_audit(before).await
    }
    async fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> StoreResult<()> {
        self.hooks.before(&self.inner, Call::AssignRetailer).await?;
        self.inner.assign_retailer(staff, retailer).await
    }
    async fn assigned_retailers(&self, staff: StaffId) -> StoreResult<Vec<RetailerId>> {
        self.hooks.before(&self.inner, Call::AssignedRetailers).await?;
        self.inner.assigned_retailers(staff).await
    }
    async fn login_failures(&self, key: &ThrottleKey) -> StoreResult<LoginFailures> {
        self.hooks.before(&self.inner, Call::LoginFailures).await?;
        self.inner.login_failures(key).await
    }
    async fn swap_login_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> StoreResult<bool> {
        self.hooks.before(&self.inner, Call::SwapLoginFailures).await?;
        self.inner.swap_login_failures(key, expected, new, retention).await
    }
    async fn clear_login_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        self.hooks.before(&self.inner, Call::ClearLoginFailures).await?;
        self.inner.clear_login_failures(key).await
    }
    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        self.hooks.before(&self.inner, Call::AddDevice).await?;
        self.inner.add_device(device, keep_per_contact).await
    }
    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        self.hooks.before(&self.inner, Call::HashOutside).await?;
        self.inner.hash_outside(prefixes).await
    }
    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        self.hooks.before(&self.inner, Call::Device).await?;
        self.inner.device(digest).await
    }
    async fn import_lookup(
        &self,
        retailers: &[ExternalId],
        contacts: &[ExternalId],
        usernames: &[UsernameKey],
    ) -> StoreResult<ImportLookup> {
        self.hooks.before(&self.inner, Call::ImportLookup).await?;
        self.inner.import_lookup(retailers, contacts, usernames).await
    }
    async fn import_batch(&self, batch: &ImportBatch) -> StoreResult<ImportApplied> {
        self.hooks.before(&self.inner, Call::ImportBatch).await?;
        self.inner.import_batch(batch).await
    }
}
