//! Checks of the failed-login state and recognised devices: the store duties behind the
//! login back-off (compare-and-swap, bounded state) and the device exemption, then the same
//! promises through the service (a burst verifies no more than the back-off allows; a
//! stranger cannot lock a known device out).

use std::sync::Arc;
use std::time::Duration;

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::store::{
    DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, StoreErrorKind, ThrottleKey,
};
use customer_access::{
    AccessService, ContactId, CredentialVersion, DeviceToken, LoginOutcome, ManualClock, RecordingMailer,
    SecurityPolicy, Staff, StaffId, Store,
};

use crate::checks::kind;
use crate::fixtures::{at, key, new_contact};

fn retention(max_entries: usize) -> FailureRetention {
    FailureRetention { forget_before: at(-1_000_000), max_entries }
}

fn failures(count: u32, ms: i64) -> LoginFailures {
    LoginFailures { count, last_failure_at: Some(at(ms)) }
}

fn throttle_key(username: &str) -> ThrottleKey {
    ThrottleKey::username(&key(username))
}

/// `swap_login_failures` is a compare-and-swap: it writes only from the expected state
/// (an absent entry is the default state), a cleared entry does not match, and clearing one
/// key leaves the others.
pub async fn login_failures_swap_and_clear<S: Store>(store: S) {
    let k = throttle_key("nobody-at-all");
    let none = LoginFailures::default();
    assert_eq!(store.login_failures(&k).await.unwrap(), none, "an unknown key has the default state");
    assert!(store.swap_login_failures(&k, none, failures(1, 1), retention(1000)).await.unwrap(), "insert from none");
    assert!(
        !store.swap_login_failures(&k, none, failures(1, 2), retention(1000)).await.unwrap(),
        "swap: an existing entry does not match the expected 'none'"
    );
    assert!(
        !store.swap_login_failures(&k, failures(7, 1), failures(8, 2), retention(1000)).await.unwrap(),
        "swap: a different expected count does not match"
    );
    assert!(store.swap_login_failures(&k, failures(1, 1), failures(2, 3), retention(1000)).await.unwrap());
    assert_eq!(store.login_failures(&k).await.unwrap(), failures(2, 3), "swap: the new state is stored exactly");
    let other = throttle_key("someone-else");
    store.swap_login_failures(&other, none, failures(1, 4), retention(1000)).await.unwrap();
    store.clear_login_failures(&k).await.unwrap();
    assert_eq!(store.login_failures(&k).await.unwrap(), none, "clear: the entry is gone");
    assert!(
        !store.swap_login_failures(&k, failures(2, 3), failures(3, 5), retention(1000)).await.unwrap(),
        "swap: a cleared entry does not match its old state (a reservation racing a clear must lose)"
    );
    assert_eq!(store.login_failures(&other).await.unwrap(), failures(1, 4), "clear: other keys stay");
    let device = ThrottleKey::device(&DeviceTokenDigest::from_hex("cd".repeat(32)));
    assert_eq!(store.login_failures(&device).await.unwrap(), none, "device keys are their own");
}

/// Of many concurrent swaps from one state exactly one succeeds, both for a new key and
/// for an existing one.
pub async fn concurrent_failure_swaps_have_one_winner<S: Store>(store: S) {
    let store = Arc::new(store);
    let k = throttle_key("target");
    let mut expected = LoginFailures::default();
    for round in 0..10u32 {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (store, k) = (Arc::clone(&store), k.clone());
                let new = failures(round + 1, i64::from(round) * 100 + i);
                tokio::spawn(async move { store.swap_login_failures(&k, expected, new, retention(1000)).await })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            wins += usize::from(t.await.unwrap().unwrap());
        }
        assert_eq!(wins, 1, "round {round}: exactly one of 16 concurrent swaps from one state succeeds");
        expected = store.login_failures(&k).await.unwrap();
        assert_eq!(expected.count, round + 1);
    }
}

/// Failed-login state stays bounded: forgotten entries go, and a spray of new keys keeps
/// about `max_entries`, dropping the oldest first.
pub async fn failure_state_is_bounded<S: Store>(store: S) {
    let none = LoginFailures::default();
    let old = throttle_key("forgotten");
    store.swap_login_failures(&old, none, failures(3, -2_000_000), retention(1000)).await.unwrap();
    let max = 20;
    for i in 0..300 {
        let k = throttle_key(&format!("spray{i}"));
        assert!(store.swap_login_failures(&k, none, failures(1, i), retention(max)).await.unwrap());
    }
    assert_eq!(store.login_failures(&old).await.unwrap(), none, "entries before forget_before are deleted");
    assert_eq!(
        store.login_failures(&throttle_key("spray0")).await.unwrap(),
        none,
        "beyond max_entries the oldest entries are dropped"
    );
    assert_eq!(store.login_failures(&throttle_key("spray299")).await.unwrap(), failures(1, 299), "the newest stay");
}

fn device(digest: u8, contact: ContactId, issued_ms: i64, expires_ms: i64) -> DeviceRecord {
    DeviceRecord {
        digest: DeviceTokenDigest::from_hex(format!("{digest:02x}").repeat(32)),
        contact,
        credential_version: CredentialVersion(3),
        issued_at: at(issued_ms),
        expires_at: at(expires_ms),
    }
}

/// Devices round-trip, digests are unique, a contact keeps only its newest
/// `keep_per_contact` unexpired devices, and a device needs an existing contact.
pub async fn devices_round_trip_and_stay_bounded<S: Store>(store: S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    let anna = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap().contact.id;
    let bert = store.create_contact(&new_contact(shop.id, "bert"), &[]).await.unwrap().contact.id;
    let first = device(1, anna, 0, 10_000);
    store.add_device(&first, 3).await.unwrap();
    assert_eq!(store.device(&first.digest).await.unwrap(), Some(first.clone()), "device round trip");
    assert_eq!(store.device(&device(99, anna, 0, 1).digest).await.unwrap(), None, "unknown digest is None");
    assert_eq!(kind(store.add_device(&first, 3).await), StoreErrorKind::Duplicate, "digests are unique");
    let missing = ContactId::new(bert.get() + 1000);
    assert_eq!(kind(store.add_device(&device(2, missing, 0, 1), 3).await), StoreErrorKind::NotFound);
    store.add_device(&device(9, bert, 0, 10_000), 3).await.unwrap();
    for n in 3..=6u8 {
        store.add_device(&device(n, anna, i64::from(n), 10_000), 3).await.unwrap();
    }
    for (n, kept) in [(1, false), (3, false), (4, true), (5, true), (6, true), (9, true)] {
        let found = store.device(&device(n, anna, 0, 0).digest).await.unwrap().is_some();
        assert_eq!(found, kept, "device {n}: a contact keeps its 3 newest; others' devices are untouched");
    }
    store.add_device(&device(7, anna, 20_000, 30_000), 3).await.unwrap();
    assert_eq!(store.device(&device(4, anna, 0, 0).digest).await.unwrap(), None, "expired devices are dropped");
}

fn service<S: Store>(store: S) -> (AccessService<S, RecordingMailer, ManualClock>, ManualClock) {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    policy.max_concurrent_hashes = 4;
    policy.hash_queue_depth = 1000;
    let clock = ManualClock::new(at(0));
    (AccessService::new(store, RecordingMailer::new(), clock.clone(), policy).unwrap(), clock)
}

/// Through the service: a burst of 100 concurrent wrong logins for one username gets no more
/// attempts verified than the back-off allows in one instant (`free_attempts + 1`); with
/// the right password among them, no more than twice that (its success refunds the
/// reservations made before it); and after a success the owner is not locked out.
pub async fn login_burst_verifies_at_most_the_allowed<S: Store>(store: S) {
    let (service, clock) = service(store);
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let right = SecretString::from("plum-Kettle-42");
    crate::support::contact_with_password(&service, &admin, shop.id, "anna", &right).await;
    let allowed = u64::from(service.policy().login_backoff.free_attempts) + 1;
    for (round, right_one) in [(0, None), (1, Some(50))] {
        clock.advance(Duration::from_secs(3600));
        let before = service.hash_operations();
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let service = service.clone();
                let password =
                    if Some(i) == right_one { "plum-Kettle-42".to_owned() } else { format!("wrong-guess-{round}-{i}") };
                tokio::spawn(
                    async move { service.login("anna", &SecretString::from(password.as_str())).await.unwrap() },
                )
            })
            .collect();
        let mut locked = 0;
        for t in tasks {
            locked += usize::from(matches!(t.await.unwrap(), LoginOutcome::LockedOut { .. }));
        }
        // Each verified attempt costs two verifications; a success adds a device token but
        // no hash.
        let verified = (service.hash_operations() - before) / 2;
        let limit = if right_one.is_some() { 2 * allowed } else { allowed };
        assert!(verified <= limit, "a burst of 100 had {verified} attempts verified; the back-off allows {limit}");
        assert_eq!(locked as u64, 100 - verified, "every attempt not verified was answered LockedOut");
    }
    // A success clears the reservations: the owner logs in again at once.
    clock.advance(Duration::from_secs(3600));
    assert!(matches!(service.login("anna", &right).await.unwrap(), LoginOutcome::Authenticated { .. }));
    for i in 0..3 {
        service.login("anna", &SecretString::from(format!("typo-{i}"))).await.unwrap();
    }
    let after = service.login("anna", &right).await.unwrap();
    assert!(matches!(after, LoginOutcome::Authenticated { .. }), "typos then success: not locked out");
    assert_eq!(
        service.store().login_failures(&throttle_key("anna")).await.unwrap(),
        LoginFailures::default(),
        "a success leaves no failures behind"
    );
}

/// Through the service: a stranger who locks a username out does not lock out the owner's
/// recognised device; the device is throttled on its own; a password change, disabling and
/// "log out everywhere" end the device.
pub async fn stranger_cannot_lock_out_a_known_device<S: Store>(store: S) {
    let (service, clock) = service(store);
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let right = SecretString::from("plum-Kettle-42");
    let anna = crate::support::contact_with_password(&service, &admin, shop.id, "anna", &right).await;
    let LoginOutcome::Authenticated { device: Some(token), .. } = service.login("anna", &right).await.unwrap() else {
        panic!("a successful login without a token returns a new device token")
    };
    let token = DeviceToken::parse(token.expose_secret()).unwrap();
    for i in 0..20 {
        service.login("anna", &SecretString::from(format!("stranger-{i}"))).await.unwrap();
    }
    let stranger = service.login("anna", &right).await.unwrap();
    assert!(matches!(stranger, LoginOutcome::LockedOut { .. }), "the username is locked for attempts without a device");
    let owner = service.login_from_device("anna", &right, Some(&token)).await.unwrap();
    assert!(
        matches!(owner, LoginOutcome::Authenticated { device: None, .. }),
        "the owner's recognised device logs in (and keeps its token): {owner:?}"
    );
    // The device is throttled on its own.
    for i in 0..6 {
        service.login_from_device("anna", &SecretString::from(format!("slip-{i}")), Some(&token)).await.unwrap();
    }
    let slipped = service.login_from_device("anna", &right, Some(&token)).await.unwrap();
    assert!(matches!(slipped, LoginOutcome::LockedOut { .. }), "failures from the device lock the device");
    // Another contact's token does not move attempts off this username's key.
    clock.advance(Duration::from_secs(3600));
    service.unlock(&admin, anna.id).await.unwrap();
    // Credential changes end the device: log out everywhere...
    service.log_out_everywhere(anna.id).await.unwrap();
    for i in 0..20 {
        service.login("anna", &SecretString::from(format!("stranger-again-{i}"))).await.unwrap();
    }
    let ended = service.login_from_device("anna", &right, Some(&token)).await.unwrap();
    assert!(matches!(ended, LoginOutcome::LockedOut { .. }), "after 'log out everywhere' the token is not recognised");
    // ... and a new device after the unlock is ended by disabling the login.
    service.unlock(&admin, anna.id).await.unwrap();
    let LoginOutcome::Authenticated { device: Some(second), .. } = service.login("anna", &right).await.unwrap() else {
        panic!("a new device token after the unlock")
    };
    service.set_login_enabled(&admin, anna.id, false).await.unwrap();
    service.set_login_enabled(&admin, anna.id, true).await.unwrap();
    for i in 0..20 {
        service.login("anna", &SecretString::from(format!("stranger-third-{i}"))).await.unwrap();
    }
    let ended = service.login_from_device("anna", &right, Some(&second)).await.unwrap();
    assert!(matches!(ended, LoginOutcome::LockedOut { .. }), "after disabling the token is not recognised");
}

/// `hash_outside` finds a stored hash (a password or a pending temporary password) whose
/// text starts with none of the given prefixes, and never the decoy's.
pub async fn hash_census_finds_other_parameters<S: Store>(store: S) {
    use customer_access::store::StoredHash;
    const CURRENT: &str = "$argon2id$v=19$m=19456,t=2,p=1$";
    let nothing = ["$nothing-starts-like-this$".to_owned()];
    assert_eq!(store.hash_outside(&nothing).await.unwrap(), None, "an empty store has no hash (the decoy is not one)");
    let shop = store.create_retailer("Shop").await.unwrap();
    let anna = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap();
    assert_eq!(
        store.hash_outside(&[CURRENT.to_owned()]).await.unwrap(),
        None,
        "the fixture's password and temporary hashes share the current prefix"
    );
    assert!(store.hash_outside(&nothing).await.unwrap().is_some(), "a stored hash outside the prefixes is found");
    let old = StoredHash::from_phc("$argon2id$v=19$m=65536,t=3,p=1$b2xkc2FsdA$b2xk");
    let mut next = anna.clone();
    next.credentials.revision = anna.credentials.revision.next();
    next.credentials.temporary.as_mut().unwrap().hash = old.clone();
    store.save(anna.credentials.revision, &next, &[]).await.unwrap();
    assert_eq!(
        store.hash_outside(&[CURRENT.to_owned()]).await.unwrap(),
        Some(old.clone()),
        "a pending temporary password's hash counts too"
    );
    let both = [CURRENT.to_owned(), old.phc_prefix().to_owned()];
    assert_eq!(store.hash_outside(&both).await.unwrap(), None, "every prefix given is excluded");
}
