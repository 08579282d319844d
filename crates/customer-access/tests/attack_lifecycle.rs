//! Attacks on issue 17 (the credential lifecycle: either secret, honest expiry, removal),
//! against 445d175.
//!
//! The three tests below failed on 445d175:
//!
//! - `a_login_racing_a_password_change_does_not_restore_the_old_password`: a login with the
//!   current password whose withdrawal of the temporary password loses its compare-and-swap
//!   to a password change reloads and stops, but returns the *reloaded* record, whose
//!   password is the new one; `upgrade_if_outdated` then sees that new hash, finds its
//!   parameters outdated (made by an instance with other Argon2 parameters, as during a
//!   rolling parameter change) and "upgrades" it to a hash of the password this login
//!   verified: the old one. The contact's new password silently stops working, and the old
//!   (perhaps compromised) one works again.
//! - `a_failed_notice_does_not_write_an_address_back_into_a_tombstone`: an e-mail change to
//!   the address tombstones carry, whose notice fails after the contact was removed, is
//!   "undone" on the tombstone: the contact's real address is written back into the row
//!   that was erased.
//! - `a_retried_removal_erases_the_failed_login_state`: when clearing the failed-login state
//!   fails after the tombstone was saved, the removal reports an error, and a retry does
//!   nothing (the tombstone no longer knows the username): the old username's failure state
//!   stays in the store for good.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use customer_access::store::{BudgetCheck, OverBudget};
use customer_access::{AuditRecord, AuditScope, ChainEnds};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fast_policy;
use common::faulty::FaultyStore;
use customer_access::mailer::{MailError, MailErrorKind, MessageKind, OutgoingMessage};
use customer_access::secrecy::{ExposeSecret, SecretString};
use customer_access::store::{
    ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord, Revision,
    StoreResult, StoredHash, ThrottleKey, UsernameKey,
};
use customer_access::{
    AccessService, AuditEvent, ContactId, LoginOutcome, Mailer, ManualClock, MemoryStore, NewContact, RecordingMailer,
    Retailer, RetailerId, ServiceError, Staff, StaffId, Store, Timestamp,
};

const VICTIM: &str = "anna@shop.example";

#[derive(Clone, Debug, Default)]
struct Gate {
    armed: Arc<AtomicBool>,
    held: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
}

impl Gate {
    fn arm(&self) {
        self.held.store(false, Ordering::SeqCst);
        self.release.store(false, Ordering::SeqCst);
        self.armed.store(true, Ordering::SeqCst);
    }
    async fn pass(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.held.store(true, Ordering::SeqCst);
            while !self.release.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
    async fn wait_held(&self) {
        while !self.held.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    fn release(&self) {
        self.release.store(true, Ordering::SeqCst);
    }
}

/// A memory store that can hold the next `clear_login_failures` (where a successful login
/// clears its failures, after verifying and before withdrawing the temporary password).
#[derive(Clone, Debug, Default)]
struct GatedStore {
    inner: MemoryStore,
    clear: Gate,
}

impl Store for GatedStore {
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
        self.clear.pass().await;
        self.inner.clear_login_failures(key).await
    }
    async fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> StoreResult<()> {
        self.inner.add_device(device, keep_per_contact).await
    }
    async fn device(&self, digest: &DeviceTokenDigest) -> StoreResult<Option<DeviceRecord>> {
        self.inner.device(digest).await
    }
    async fn hash_outside(&self, prefixes: &[String]) -> StoreResult<Option<StoredHash>> {
        self.inner.hash_outside(prefixes).await
    }
}

/// A mailer whose next e-mail-change notice hangs until released, then fails.
#[derive(Clone, Debug, Default)]
struct GatedMailer {
    inner: RecordingMailer,
    notice: Gate,
    fail_notices: Arc<Mutex<bool>>,
}

impl Mailer for GatedMailer {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        if message.kind == MessageKind::EmailChanged && *self.fail_notices.lock().unwrap() {
            self.notice.pass().await;
            return Err(MailError::new(MailErrorKind::Transient));
        }
        self.inner.send(message).await
    }
}

fn clock() -> ManualClock {
    ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000))
}

/// Invite "anna" (`anna@shop.example`) and set her password `anna-Pass-1`.
async fn anna<S: Store, M: Mailer, C: customer_access::Clock>(
    service: &AccessService<S, M, C>,
    admin: &Staff,
    last_temp: impl Fn() -> String,
) -> ContactId {
    let shop = service.create_retailer(admin, "Shop").await.unwrap();
    let new =
        NewContact { retailer: shop.id, username: "anna".into(), email: VICTIM.into(), display_name: "Anna".into() };
    let anna = service.invite(admin, &new).await.unwrap();
    let LoginOutcome::PasswordChangeRequired { ticket } =
        service.login("anna", &SecretString::from(last_temp())).await.unwrap()
    else {
        panic!("expected a ticket")
    };
    service.set_new_password(&ticket, &SecretString::from("anna-Pass-1")).await.unwrap();
    anna.id
}

/// Two instances on one store during a rolling Argon2 parameter change: `new` hashes with
/// the new parameters, `old` still with the previous ones. Anna forgot her password and set a
/// new one with the e-mailed temporary password (through `old`), while a login with her old
/// password (hers on another device, or whoever knows it) was being verified on `new`. The
/// password change must stand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_racing_a_password_change_does_not_restore_the_old_password() {
    let store = GatedStore::default();
    let mailer = RecordingMailer::new();
    let clock = clock();
    let new = AccessService::new(store.clone(), mailer.clone(), clock.clone(), fast_policy()).unwrap();
    let mut previous = fast_policy();
    previous.argon2.iterations += 1;
    let old = AccessService::new(store.clone(), mailer.clone(), clock, previous).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let last_temp = || mailer.last_temporary_password().unwrap().expose_secret().to_owned();
    anna(&new, &admin, last_temp).await;

    old.request_password_reset("anna").unwrap().run().await;
    let LoginOutcome::PasswordChangeRequired { ticket } =
        old.login("anna", &SecretString::from(last_temp())).await.unwrap()
    else {
        panic!("expected a ticket")
    };
    // The login with the old password is verified; it is about to withdraw what it saw.
    store.clear.arm();
    let login = {
        let new = new.clone();
        tokio::spawn(async move { new.login("anna", &SecretString::from("anna-Pass-1")).await })
    };
    store.clear.wait_held().await;
    old.set_new_password(&ticket, &SecretString::from("brand-New-Pass-9")).await.unwrap();
    store.clear.release();
    let raced = login.await.unwrap().unwrap();

    let fresh = new.login("anna", &SecretString::from("brand-New-Pass-9")).await.unwrap();
    let stale = new.login("anna", &SecretString::from("anna-Pass-1")).await.unwrap();
    assert!(
        matches!(fresh, LoginOutcome::Authenticated { .. }) && matches!(stale, LoginOutcome::InvalidCredentials),
        "the racing login ({raced:?}) replaced the new password by the old one: new password {fresh:?}, \
         old password {stale:?}"
    );
}

/// Staff change Anna's address to the one tombstones carry, the notice to her address hangs,
/// she is removed meanwhile, then the notice fails: the undo must not write her address back
/// into the erased row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_notice_does_not_write_an_address_back_into_a_tombstone() {
    let store = MemoryStore::new();
    let mailer = GatedMailer::default();
    let service = AccessService::new(store.clone(), mailer.clone(), clock(), fast_policy()).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let last_temp = || mailer.inner.last_temporary_password().unwrap().expose_secret().to_owned();
    let anna = anna(&service, &admin, last_temp).await;

    *mailer.fail_notices.lock().unwrap() = true;
    mailer.notice.arm();
    let change = {
        let (service, admin) = (service.clone(), admin.clone());
        tokio::spawn(async move { service.update_email(&admin, anna, "removed@removed.invalid").await })
    };
    mailer.notice.wait_held().await;
    service.remove_contact(&admin, anna).await.unwrap();
    mailer.notice.release();
    let answer = change.await.unwrap();
    assert!(matches!(answer, Err(ServiceError::Delivery(_))), "{answer:?}");

    let record = store.all_records().into_iter().find(|r| r.contact.id == anna).unwrap();
    assert!(record.contact.is_removed());
    assert!(
        !record.contact.email.as_str().contains("anna"),
        "the tombstone holds the removed contact's address again: {}",
        record.contact.email.as_str()
    );
}

/// One store call of the removal fails (whichever: on 445d175, the one that clears the old
/// username's failed-login state after the tombstone is saved); staff retry the removal (it
/// answered an error). The retry must finish the erasure.
#[tokio::test]
async fn a_retried_removal_erases_the_failed_login_state() {
    for k in 1..=6 {
        let store = FaultyStore::default();
        let mailer = RecordingMailer::new();
        let service = AccessService::new(store.clone(), mailer.clone(), clock(), fast_policy()).unwrap();
        let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
        let last_temp = || mailer.last_temporary_password().unwrap().expose_secret().to_owned();
        let anna = anna(&service, &admin, last_temp).await;
        service.login("anna", &SecretString::from("Wrong-Pass-42")).await.unwrap();
        let key = ThrottleKey::username(&UsernameKey::from_stored("anna").unwrap());
        assert_eq!(store.inner.login_failures(&key).await.unwrap().count, 1);

        store.fail_at(k, false);
        let first = service.remove_contact(&admin, anna).await;
        store.heal();
        let retried = service.remove_contact(&admin, anna).await;
        assert!(retried.is_ok(), "{retried:?}");
        assert!(store.inner.contact(anna).await.unwrap().contact.is_removed());
        assert_eq!(
            store.inner.login_failures(&key).await.unwrap().count,
            0,
            "store call {k} failing: the old username's failure state outlives the removal (first attempt \
             answered {first:?}, the retry {retried:?})"
        );
    }
}
