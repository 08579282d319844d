//! Attacks on issue 13 items 3 (staff takeover through an e-mail change) and 4 (Argon2
//! parameter padding of failed logins), against 740324a.
//!
//! The six tests described below failed on 740324a, each showing a way around the property
//! it names, and pass since the fixes that followed the review (the hold re-checked on the
//! record a reset saves; a failed notice undoes a chain of changes back to the address the
//! hold protects and withdraws what is pending; every notice during a hold goes to that
//! address; the census flag cleared by a guard; no unpadded logins before the first census;
//! the census limited by parameter sets, not prefixes). The other tests are attacks that held.
//!
//! - `a_staff_reset_racing_an_email_change_is_held`: `staff_reset` checks the
//!   hold on the record it loaded, then hashes (Argon2, milliseconds) and saves with
//!   compare-and-swap; when an e-mail change lands in between, the CAS retry issues on the
//!   fresh record without checking the hold again and mails the temporary password to the
//!   new (the staff member's) address at once. One staff member, two concurrent requests.
//! - `a_reset_racing_a_change_whose_notice_fails_leaves_nothing_with_the_staff_member`:
//!   the same race with the notice failing: the undo restores the address but not the
//!   temporary password the reset already mailed; the previous address is never told.
//! - `a_failed_notice_undoes_a_chain_of_changes`: the undo after a failed
//!   notice only runs if the address is still the one the change set; a second change made
//!   while the first notice is in flight makes the undo a no-op, so the address changes,
//!   the previous address is never told, and after the hold the staff member resets alone.
//! - `a_cancelled_census_does_not_stop_padding`: `hash_padding` sets `taking`
//!   before awaiting the store and clears it only after; a login future dropped during the
//!   census (client disconnect, request timeout) leaves it set, so the census is never
//!   taken again and the padding stays whatever it was (empty at start-up).
//! - `logins_during_the_first_census_are_padded`: while the first census is
//!   being taken, other logins get the empty default census (no padding at all).
//! - `version_less_hashes_do_not_exhaust_the_census`: the census counts distinct PHC
//!   *prefixes* toward its limit of 8; a PHC string without `v=` has its salt in that
//!   "prefix", so 8 such hashes (imported data; not attacker-writable) hide every other
//!   parameter set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::hooked::{Call, Gate, Hooked, Hooks};
use common::{HOUR, Harness, fast_policy};
use customer_access::hashing::HashPool;
use customer_access::mailer::{MailError, MailErrorKind, MessageKind, OutgoingMessage};
use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::store::{StoreResult, StoredHash};
use customer_access::{
    AccessService, AuditKind, CENSUS_INTERVAL, Clock, ContactId, LoginOutcome, Mailer, ManualClock, MemoryStore,
    NewContact, RecordingMailer, ResetOptions, ServiceError, Staff, StaffId, Store, Timestamp,
};

const VICTIM: &str = "anna@shop.example";
const ATTACKER: &str = "mallory@evil.example";
const ATTACKER_2: &str = "mallory2@evil.example";

// ---------------------------------------------------------------------------------------
// a store that can hold a save that issues a temporary password, or the census query

/// Gates a memory store's calls pass: the save issuing a staff reset's temporary password,
/// the census query, and the clear of a successful login's failures (before it withdraws
/// the temporary password it saw).
#[derive(Clone, Debug, Default)]
struct StaffGates {
    issue_save: Gate,
    census: Gate,
    login_success: Gate,
}

impl Hooks for StaffGates {
    async fn before(&self, _: &MemoryStore, call: Call<'_>) -> StoreResult<()> {
        match call {
            Call::Save { events } if events.iter().any(|e| e.kind == AuditKind::StaffResetIssued) => {
                self.issue_save.pass().await;
            }
            Call::ClearLoginFailures => {
                self.login_success.pass().await;
            }
            Call::HashOutside => {
                self.census.pass().await;
            }
            _ => {}
        }
        Ok(())
    }
}

type GatedStore = Hooked<StaffGates>;

// ---------------------------------------------------------------------------------------
// a mailer whose notice to one address hangs until released, then fails

#[derive(Clone, Debug, Default)]
struct GatedMailer {
    inner: RecordingMailer,
    hang_notice_to: Arc<Mutex<Option<String>>>,
    notice: Gate,
}

impl Mailer for GatedMailer {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        let target = self.hang_notice_to.lock().unwrap().clone();
        if message.kind == MessageKind::EmailChanged && target.as_deref() == Some(message.to.as_str()) {
            self.notice.pass().await;
            return Err(MailError::new(MailErrorKind::Transient));
        }
        self.inner.send(message).await
    }
}

type Gated = AccessService<GatedStore, GatedMailer, ManualClock>;

struct Setup {
    service: Gated,
    store: GatedStore,
    mailer: GatedMailer,
    clock: ManualClock,
    admin: Staff,
    rep: Staff,
    anna: ContactId,
}

/// "anna" (password `anna-Pass-1`, address `anna@shop.example`) at a shop the iPad user 7
/// (`rep`) is assigned to.
async fn setup() -> Setup {
    let store = GatedStore::default();
    let mailer = GatedMailer::default();
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let service = AccessService::new(store.clone(), mailer.clone(), clock.clone(), fast_policy()).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let new = NewContact {
        retailer: shop.id,
        username: "anna".into(),
        email: VICTIM.into(),
        display_name: "Anna".into(),
        preferences: Default::default(),
    };
    let anna = service.invite(&admin, &new).await.unwrap();
    let temp = mailer.inner.last_temporary_password().unwrap();
    let temp = customer_access::secrecy::ExposeSecret::expose_secret(&temp).to_owned();
    let LoginOutcome::PasswordChangeRequired { ticket } =
        service.login("anna", &SecretString::from(temp.as_str())).await.unwrap()
    else {
        panic!("expected a ticket")
    };
    service.set_new_password(&ticket, &SecretString::from("anna-Pass-1")).await.unwrap();
    let rep =
        Staff::IpadUser { staff_id: StaffId::new(7), device_id: customer_access::DeviceId::parse("ipad-1").unwrap() };
    store.assign_retailer(StaffId::new(7), shop.id).await.unwrap();
    Setup { service, store, mailer, clock, admin, rep, anna: anna.id }
}

fn temporary_password(m: &OutgoingMessage) -> Option<String> {
    let line = m.text_body().lines().find_map(|l| l.strip_prefix("Temporary password: "))?;
    Some(line.trim().to_owned())
}

/// A temporary password mailed to `address` that works for `contact` now.
async fn working_temporary(s: &Setup, contact: ContactId, address: &str) -> Option<String> {
    let record = s.store.inner.all_records().into_iter().find(|r| r.contact.id == contact).unwrap();
    let now = s.clock.now();
    let pending = record.credentials.temporary.filter(|t| now < t.expires_at)?;
    if !record.contact.login_enabled {
        return None;
    }
    for m in s.mailer.inner.messages().iter().filter(|m| m.to.as_str() == address) {
        if let Some(pw) = temporary_password(m)
            && s.service.hash_pool().verify(pw.as_bytes(), Some(&pending.hash)).await.unwrap()
        {
            return Some(pw);
        }
    }
    None
}

fn notices_to(s: &Setup, address: &str) -> Vec<OutgoingMessage> {
    s.mailer
        .inner
        .messages()
        .into_iter()
        .filter(|m| m.to.as_str() == address && m.kind == MessageKind::EmailChanged)
        .collect()
}

/// Log in with `temporary` and set a password of the attacker's choosing: true if it worked.
async fn take_over(s: &Setup, username: &str, temporary: &str) -> bool {
    let Ok(LoginOutcome::PasswordChangeRequired { ticket }) =
        s.service.login(username, &SecretString::from(temporary)).await
    else {
        return false;
    };
    s.service.set_new_password(&ticket, &SecretString::from("Mallory-Owns-9")).await.is_ok()
        && matches!(
            s.service.login(username, &SecretString::from("Mallory-Owns-9")).await,
            Ok(LoginOutcome::Authenticated { .. })
        )
}

// ---------------------------------------------------------------------------------------
// A. staff takeover

/// One staff member fires a reset and an address change at once. The reset passes the hold
/// check on the record it loaded (no hold yet), hashes the temporary password, loses its
/// compare-and-swap to the address change, reloads, and issues on the changed record without
/// checking the hold again: the temporary password goes to the staff member's mailbox at
/// the moment the previous address is told, not after the hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reset_racing_an_email_change_is_held() {
    let s = setup().await;
    s.store.issue_save.arm();
    let reset = {
        let (service, rep, anna) = (s.service.clone(), s.rep.clone(), s.anna);
        tokio::spawn(async move { service.staff_reset(&rep, anna, ResetOptions::revoking_current_password()).await })
    };
    // The reset has checked the hold and hashed; its save is about to run.
    s.store.issue_save.wait_held().await;
    s.service.update_email(&s.rep, s.anna, ATTACKER).await.unwrap();
    s.store.issue_save.release();
    let answer = reset.await.unwrap();
    let stolen = working_temporary(&s, s.anna, ATTACKER).await;
    let owned = match &stolen {
        Some(pw) => take_over(&s, "anna", pw).await,
        None => false,
    };
    assert!(
        stolen.is_none(),
        "staff_reset answered {answer:?} and mailed a working temporary password to the staff member's \
         address with no second approval, inside the hold (set a password with it: {owned})"
    );
}

/// The same race, with the notice to the previous address failing: the undo restores the
/// address, but not the temporary password the racing reset already mailed to the staff
/// member. The previous address is never told, the audit shows the change undone, and the
/// staff member holds a working temporary password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_racing_a_change_whose_notice_fails_leaves_nothing_with_the_staff_member() {
    let s = setup().await;
    *s.mailer.hang_notice_to.lock().unwrap() = Some(VICTIM.to_owned());
    s.mailer.notice.arm();
    s.store.issue_save.arm();
    let reset = {
        let (service, rep, anna) = (s.service.clone(), s.rep.clone(), s.anna);
        tokio::spawn(async move { service.staff_reset(&rep, anna, ResetOptions::default()).await })
    };
    s.store.issue_save.wait_held().await;
    let change = {
        let (service, rep, anna) = (s.service.clone(), s.rep.clone(), s.anna);
        tokio::spawn(async move { service.update_email(&rep, anna, ATTACKER).await })
    };
    s.mailer.notice.wait_held().await; // the change is saved, its notice in flight
    s.store.issue_save.release();
    let reset = reset.await.unwrap();
    s.mailer.notice.release();
    let change = change.await.unwrap();
    let stolen = working_temporary(&s, s.anna, ATTACKER).await;
    let told = notices_to(&s, VICTIM).len();
    let record = s.store.inner.all_records().into_iter().find(|r| r.contact.id == s.anna).unwrap();
    assert!(
        stolen.is_none(),
        "reset {reset:?}, change {change:?}: address back to {}, {told} notices to {VICTIM}, yet a working \
         temporary password sits in {ATTACKER}",
        record.contact.email.as_str()
    );
}

/// The undo after a failed notice only restores the address if it is still the one the
/// change set. A second change by the same staff member while the first notice is in
/// flight (slow or failing mail server) makes the undo a no-op: the address stays the staff
/// member's, the previous address is never told, and once the hold has run the staff member
/// resets alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_notice_undoes_a_chain_of_changes() {
    let s = setup().await;
    *s.mailer.hang_notice_to.lock().unwrap() = Some(VICTIM.to_owned());
    s.mailer.notice.arm();
    let first = {
        let (service, rep, anna) = (s.service.clone(), s.rep.clone(), s.anna);
        tokio::spawn(async move { service.update_email(&rep, anna, ATTACKER).await })
    };
    s.mailer.notice.wait_held().await; // the notice to anna@ is in flight
    // The second change's notice goes to the address the hold protects (before the fix it
    // went to the first change's address, the staff member's own); that notice fails too,
    // so the second change may be refused: either way the previous address must win.
    let _ = s.service.update_email(&s.rep, s.anna, ATTACKER_2).await;
    s.mailer.notice.release();
    let first = first.await.unwrap();
    assert!(matches!(first, Err(ServiceError::Delivery(_))), "{first:?}");
    *s.mailer.hang_notice_to.lock().unwrap() = None;

    let record = s.store.inner.all_records().into_iter().find(|r| r.contact.id == s.anna).unwrap();
    let address = record.contact.email.as_str().to_owned();
    s.clock.advance(fast_policy().staff_email_change_hold);
    let reset = s.service.staff_reset(&s.rep, s.anna, ResetOptions::revoking_current_password()).await;
    let stolen = working_temporary(&s, s.anna, ATTACKER_2).await;
    let told = notices_to(&s, VICTIM).len();
    assert!(
        told > 0 || stolen.is_none(),
        "the notice to {VICTIM} failed but the change stood (address now {address}); {told} notices reached \
         {VICTIM}; after the hold a lone staff reset ({reset:?}) mailed a working temporary password to {ATTACKER_2}"
    );
}

/// Held: the notice for a change during a running hold goes to the address before *that*
/// change (the staff member's own), but the hold keeps naming the original address, the
/// original address was told of the first change, and resets stay held for the whole
/// extended hold.
#[tokio::test]
async fn changing_twice_keeps_the_original_address_on_hold() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let rep = h.ipad(7);
    h.service.store().assign_retailer(StaffId::new(7), h.shop.id).await.unwrap();
    h.service.update_email(&rep, anna.id, ATTACKER).await.unwrap();
    h.clock.advance(71 * HOUR);
    h.service.update_email(&rep, anna.id, ATTACKER_2).await.unwrap();
    h.service.update_email(&rep, anna.id, ATTACKER).await.unwrap();
    h.clock.advance(2 * HOUR); // past the first hold, inside the extended one
    let r = h.service.staff_reset(&rep, anna.id, ResetOptions::default()).await;
    assert!(matches!(r, Err(ServiceError::SecondApprovalRequired { .. })), "{r:?}");
    h.self_service("anna").await;
    assert_eq!(h.mailer.last_message().unwrap().to.as_str(), VICTIM);
    // The whole recording: what reached the attacker's mailboxes is notices only.
    for m in h.mailer.messages() {
        if m.to.as_str() != VICTIM {
            assert_eq!(m.kind, MessageKind::EmailChanged, "{m:?}");
            assert!(temporary_password(&m).is_none());
        }
    }
}

/// Held: the approver must be another staff id (a SalesAdmin variant with the rep's id is
/// refused) and allowed for the retailer (an unassigned iPad user is refused and audited).
#[tokio::test]
async fn approvers_must_be_another_person_allowed_for_the_retailer() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let rep = h.ipad(7);
    h.service.store().assign_retailer(StaffId::new(7), h.shop.id).await.unwrap();
    h.service.update_email(&rep, anna.id, ATTACKER).await.unwrap();
    let me_as_admin = Staff::SalesAdmin { staff_id: StaffId::new(7) };
    let r = h.service.staff_reset(&rep, anna.id, ResetOptions::default().approved_by(me_as_admin)).await;
    assert!(matches!(r, Err(ServiceError::SecondApprovalRequired { .. })), "{r:?}");
    let outsider = h.ipad(8);
    let r = h.service.staff_reset(&rep, anna.id, ResetOptions::default().approved_by(outsider)).await;
    assert!(matches!(r, Err(ServiceError::Forbidden)), "{r:?}");
    // The hold boundary is exclusive: one millisecond before it, still held; at it, not.
    h.clock.advance(fast_policy().staff_email_change_hold - Duration::from_millis(1));
    let r = h.service.staff_reset(&rep, anna.id, ResetOptions::default()).await;
    assert!(matches!(r, Err(ServiceError::SecondApprovalRequired { .. })), "{r:?}");
    // Disabling and re-enabling does not end the hold.
    h.service.set_login_enabled(&rep, anna.id, false).await.unwrap();
    h.service.set_login_enabled(&rep, anna.id, true).await.unwrap();
    let r = h.service.staff_reset(&rep, anna.id, ResetOptions::default()).await;
    assert!(matches!(r, Err(ServiceError::SecondApprovalRequired { .. })), "{r:?}");
}

/// Held: a self-service reset racing the address change still goes to the previous address
/// (its recipient is computed from the record it saved).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_service_reset_racing_an_email_change_goes_to_the_old_address() {
    for _ in 0..20 {
        let s = setup().await;
        let pending = s.service.request_password_reset("anna").unwrap();
        let run = tokio::spawn(pending.run());
        s.service.update_email(&s.rep, s.anna, ATTACKER).await.unwrap();
        run.await.unwrap();
        assert!(working_temporary(&s, s.anna, ATTACKER).await.is_none());
    }
}

// ---------------------------------------------------------------------------------------
// B. parameter padding

/// A hash of `password` made with other (costlier) parameters.
async fn hash_with(memory_kib: u32, iterations: u32, password: &str) -> StoredHash {
    let mut settings = Argon2Settings::danger_insecure_for_tests();
    settings.memory_kib = memory_kib;
    settings.iterations = iterations;
    HashPool::new(&settings, 1, 4).unwrap().hash(password.as_bytes()).await.unwrap()
}

async fn set_password_hash(store: &MemoryStore, contact: ContactId, hash: StoredHash) {
    let record = store.all_records().into_iter().find(|r| r.contact.id == contact).unwrap();
    let mut next = record.clone();
    next.credentials.revision = record.credentials.revision.next();
    next.credentials.password = Some(hash);
    store.save(record.credentials.revision, &next, &[]).await.unwrap();
}

/// Hash operations of one failed login.
async fn ops_of_failed_login<S: Store>(service: &AccessService<S, GatedMailer, ManualClock>, username: &str) -> u64 {
    let before = service.hash_operations();
    let o = service.login(username, &SecretString::from("wrong-Guess-1")).await.unwrap();
    assert!(matches!(o, LoginOutcome::InvalidCredentials), "{o:?}");
    service.hash_operations() - before
}

#[allow(clippy::disallowed_methods, reason = "measuring wall time is the point")]
async fn time_of_failed_logins<S: Store>(
    service: &AccessService<S, GatedMailer, ManualClock>,
    username: &str,
) -> Duration {
    let start = Instant::now();
    for _ in 0..3 {
        let _ = service.login(username, &SecretString::from("wrong-Guess-1")).await.unwrap();
    }
    start.elapsed()
}

/// Held (control): with a contact hashed under other parameters, a census taken normally
/// pads an unknown username's login to both sets: 2 verifications x 2 sets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn census_pads_unknown_usernames_to_older_parameters() {
    let s = setup().await;
    set_password_hash(&s.store.inner, s.anna, hash_with(1024, 4, "anna-Pass-1").await).await;
    s.clock.advance(CENSUS_INTERVAL);
    assert_eq!(ops_of_failed_login(&s.service, "nobody").await, 4);
    assert_eq!(ops_of_failed_login(&s.service, "anna").await, 4);
}

/// A login future dropped while it takes the census (client disconnect, a request timeout)
/// leaves `taking` set: no census is ever taken again, and the padding stays what it was.
/// Here the census before had only the current parameters, so once a contact's hash has
/// other (costlier) parameters, an unknown username's failed login costs 2 cheap
/// verifications and the contact's a costly one: the contact can be told apart by time,
/// for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_census_does_not_stop_padding() {
    let s = setup().await; // its logins took a census: the current parameters only
    set_password_hash(&s.store.inner, s.anna, hash_with(4096, 8, "anna-Pass-1").await).await;
    s.clock.advance(CENSUS_INTERVAL);
    s.store.census.arm();
    let dropped =
        tokio::time::timeout(Duration::from_millis(200), s.service.login("someone", &SecretString::from("x-Guess-1")))
            .await;
    assert!(dropped.is_err(), "the login was still taking the census when it was dropped");
    s.store.census.release();
    s.clock.advance(10 * CENSUS_INTERVAL);
    let unknown_ops = ops_of_failed_login(&s.service, "nobody").await;
    let unknown = time_of_failed_logins(&s.service, "nobody").await;
    let known = time_of_failed_logins(&s.service, "anna").await;
    assert_eq!(
        unknown_ops, 4,
        "no census was taken again after the cancelled one: an unknown username costs {unknown_ops} \
         verifications, not 2 x 2 sets; 3 failed logins took {unknown:?} (unknown) vs {known:?} (anna)"
    );
}

/// While the first census of a service is being taken (one store query per set found),
/// concurrent logins get the empty default census: no padding at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_during_the_first_census_are_padded() {
    // A service whose store already holds a contact hashed under other parameters.
    let s = setup().await;
    set_password_hash(&s.store.inner, s.anna, hash_with(1024, 4, "anna-Pass-1").await).await;
    let fresh = AccessService::new(s.store.clone(), s.mailer.clone(), s.clock.clone(), fast_policy()).unwrap();
    s.store.census.arm();
    let first = {
        let fresh = fresh.clone();
        tokio::spawn(async move { fresh.login("someone", &SecretString::from("x-Guess-1")).await })
    };
    s.store.census.wait_held().await;
    let ops = ops_of_failed_login(&fresh, "nobody").await;
    s.store.census.release();
    first.await.unwrap().unwrap();
    assert_eq!(ops, 4, "a login during the first census was padded to no parameter set ({ops} verifications)");
}

/// The census counts distinct PHC *prefixes* toward its limit of 8 sets. A valid PHC string
/// without `v=` (the version is optional; such hashes verify) has its salt inside that
/// "prefix", so eight of them use up the census and any other parameter set is missed.
/// (Stored hashes are not attacker-writable: this needs imported data.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_less_hashes_do_not_exhaust_the_census() {
    let s = setup().await;
    let shop = s.store.inner.retailers().await.unwrap()[0].id;
    for i in 0..8 {
        let name = format!("legacy{i}");
        let new = NewContact {
            retailer: shop,
            username: name.clone(),
            email: format!("{name}@shop.example"),
            display_name: "Legacy".into(),
            preferences: Default::default(),
        };
        let c = s.service.invite(&s.admin, &new).await.unwrap();
        let h = hash_with(64, 1, &format!("{name}-Pass-1")).await;
        let versionless = StoredHash::from_phc(h.as_phc().replacen("$v=19", "", 1));
        assert!(s.service.hash_pool().verify(format!("{name}-Pass-1").as_bytes(), Some(&versionless)).await.unwrap());
        set_password_hash(&s.store.inner, c.id, versionless).await;
    }
    // The contact hashed under other parameters comes after them.
    let new = NewContact {
        retailer: shop,
        username: "bert".into(),
        email: "bert@shop.example".into(),
        display_name: "Bert".into(),
        preferences: Default::default(),
    };
    let bert = s.service.invite(&s.admin, &new).await.unwrap();
    set_password_hash(&s.store.inner, bert.id, hash_with(1024, 4, "bert-Pass-1").await).await;
    // (The invitations' temporary hashes have the current parameters: excluded.)
    s.clock.advance(CENSUS_INTERVAL);
    let ops = ops_of_failed_login(&s.service, "nobody").await;
    assert_eq!(ops, 4, "the census missed bert's parameter set: an unknown username costs {ops} verifications");
}

/// Held: after a census, failed logins cost the same number of verifications whatever the
/// username's record holds, except that an unusable stored hash adds one job that fails at
/// parse (counted by `hash_operations`, free in time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn padded_failed_logins_cost_the_same_for_every_class() {
    let h = Harness::new().await;
    let _anna = h.contact("anna").await;
    let old = h.contact("olde").await;
    set_password_hash(&h.store, old.id, hash_with(1024, 4, "olde-Pass-1").await).await;
    let off = h.contact("offf").await;
    h.service.set_login_enabled(&h.admin, off.id, false).await.unwrap();
    let bad = h.contact("bad").await;
    set_password_hash(&h.store, bad.id, StoredHash::from_phc("$argon2id$v=19$m=64,t=1,p=1")).await;
    let huge = h.contact("huge").await;
    set_password_hash(
        &h.store,
        huge.id,
        StoredHash::from_phc(
            "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
        ),
    )
    .await;
    // A pending temporary password under other parameters.
    let temp = h.contact("temp").await;
    h.service.staff_reset(&h.admin, temp.id, ResetOptions::default()).await.unwrap();
    let record = h.store.all_records().into_iter().find(|r| r.contact.id == temp.id).unwrap();
    let mut next = record.clone();
    next.credentials.revision = record.credentials.revision.next();
    next.credentials.temporary.as_mut().unwrap().hash = hash_with(512, 2, "whatever-1").await;
    h.store.save(record.credentials.revision, &next, &[]).await.unwrap();
    h.clock.advance(CENSUS_INTERVAL);
    let ops = |name: &'static str| {
        let service = h.service.clone();
        async move {
            let before = service.hash_operations();
            let o = service.login(name, &SecretString::from("wrong-Guess-1")).await.unwrap();
            assert!(matches!(o, LoginOutcome::InvalidCredentials), "{name}: {o:?}");
            service.hash_operations() - before
        }
    };
    let unknown = ops("nobody").await;
    assert_eq!(unknown, 2 * 3, "three sets in use: current, olde's, temp's");
    for name in ["anna", "olde", "offf", "temp"] {
        assert_eq!(ops(name).await, unknown, "{name}");
    }
    for name in ["bad", "huge"] {
        assert_eq!(ops(name).await, unknown + 1, "{name}: one more job, failing at parse");
    }
}

/// Issue 17: a login with the current password withdraws the temporary password it saw, not
/// one a staff reset issued while the login was being verified (the contact was just told a
/// new one is on its way).
#[tokio::test]
async fn a_login_withdraws_only_the_temporary_password_it_saw() {
    let s = setup().await;
    s.service.request_password_reset("anna").unwrap().run().await;
    s.store.login_success.arm();
    let service = s.service.clone();
    let login = tokio::spawn(async move { service.login("anna", &SecretString::from("anna-Pass-1")).await });
    s.store.login_success.wait_held().await;
    s.service.staff_reset(&s.admin, s.anna, ResetOptions::default()).await.unwrap();
    let fresh = working_temporary_text(&s);
    s.store.login_success.release();
    assert!(matches!(login.await.unwrap().unwrap(), LoginOutcome::Authenticated { .. }));
    let outcome = s.service.login("anna", &SecretString::from(fresh.as_str())).await.unwrap();
    assert!(
        matches!(outcome, LoginOutcome::PasswordChangeRequired { .. }),
        "the staff reset's password works: {outcome:?}"
    );
}

/// The temporary password in the newest e-mail.
fn working_temporary_text(s: &Setup) -> String {
    let sent = s.mailer.inner.last_temporary_password().unwrap();
    customer_access::secrecy::ExposeSecret::expose_secret(&sent).to_owned()
}
