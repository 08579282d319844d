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

use std::sync::{Arc, Mutex};

use common::fast_policy;
use common::faulty::FaultyStore;
use common::hooked::{Call, Gate, Hooked, Hooks};
use customer_access::mailer::{MailError, MailErrorKind, MessageKind, OutgoingMessage};
use customer_access::secrecy::{ExposeSecret, SecretString};
use customer_access::store::{StoreResult, ThrottleKey, UsernameKey};
use customer_access::{
    AccessService, ContactId, LoginOutcome, Mailer, ManualClock, MemoryStore, NewContact, RecordingMailer,
    ServiceError, Staff, StaffId, Store, Timestamp,
};

const VICTIM: &str = "anna@shop.example";

/// Holds the next `clear_login_failures` (where a successful login clears its failures,
/// after verifying and before withdrawing the temporary password).
#[derive(Clone, Debug, Default)]
struct ClearGate {
    clear: Gate,
}

impl Hooks for ClearGate {
    async fn before(&self, _: &MemoryStore, call: Call<'_>) -> StoreResult<()> {
        if let Call::ClearLoginFailures = call {
            self.clear.pass().await;
        }
        Ok(())
    }
}

type GatedStore = Hooked<ClearGate>;

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
    let new = NewContact {
        retailer: shop.id,
        username: "anna".into(),
        email: VICTIM.into(),
        display_name: "Anna".into(),
        preferences: Default::default(),
    };
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
