//! Pepper keys (issue #16): held by the application, named in every hash made with them,
//! rotated by re-hashing at the next login, and a missing key is a configuration error, not
//! a failed login.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use common::{Harness, fast_policy, is_authenticated, is_invalid};
use customer_access::hashing::{HashError, Peppers};
use customer_access::secrecy::{SecretSlice, SecretString};
use customer_access::store::StoredHash;
use customer_access::{AccessService, AuditKind, LoginOutcome, ServiceError, Store};

type Service =
    AccessService<customer_access::MemoryStore, customer_access::RecordingMailer, customer_access::ManualClock>;

fn key(byte: u8) -> SecretSlice<u8> {
    SecretSlice::from(vec![byte; 32])
}

/// A second service on the harness's store, clock and mailer, with `peppers`.
fn service_with(h: &Harness, peppers: Peppers) -> Service {
    AccessService::builder(h.store.clone(), h.mailer.clone(), h.clock.clone())
        .policy(fast_policy())
        .peppers(peppers)
        .build()
        .unwrap()
}

async fn stored(h: &Harness, username: &str) -> StoredHash {
    let key = h.service.policy().username.canonicalize(username).unwrap();
    h.store.contact_by_username(&key).await.unwrap().unwrap().credentials.password.unwrap()
}

async fn login(service: &Service, username: &str, password: &str) -> Result<LoginOutcome, ServiceError> {
    service.login(username, &SecretString::from(password)).await
}

fn names_key(hash: &StoredHash, id: &str) -> bool {
    use base64ct::{Base64Unpadded, Encoding};
    hash.as_phc().contains(&format!(",keyid={}$", Base64Unpadded::encode_string(id.as_bytes())))
}

#[tokio::test]
async fn a_peppered_hash_names_its_key_and_verifies_only_with_it() {
    let h = Harness::new().await;
    h.contact("anna").await;
    let peppered = service_with(&h, Peppers::current("2026a", key(1)).unwrap());
    // The unpeppered hash is re-made with the key at the next login.
    assert!(is_authenticated(&login(&peppered, "anna", "anna-Pass-1").await.unwrap()));
    let hash = stored(&h, "anna").await;
    assert!(names_key(&hash, "2026a"), "{hash:?}");
    assert!(is_authenticated(&login(&peppered, "anna", "anna-Pass-1").await.unwrap()));
    // The stolen hash with the right password but without the key: no verification at all.
    let no_key = h.service.hash_pool().verify(b"anna-Pass-1".as_slice(), Some(&hash)).await;
    assert!(matches!(no_key, Err(HashError::UnknownPepper(ref id)) if id == "2026a"), "{no_key:?}");
    // A wrong key under the same name verifies nothing.
    let wrong_key = service_with(&h, Peppers::current("2026a", key(2)).unwrap());
    assert!(!wrong_key.hash_pool().verify(b"anna-Pass-1".as_slice(), Some(&hash)).await.unwrap());
    assert!(is_invalid(&login(&wrong_key, "anna", "anna-Pass-1").await.unwrap()));
}

#[tokio::test]
async fn a_new_key_rehashes_at_the_next_login_and_the_old_one_can_then_retire() {
    let h = Harness::new().await;
    h.contact("anna").await;
    h.contact("ben").await;
    let first = service_with(&h, Peppers::current("2026a", key(1)).unwrap());
    for name in ["anna", "ben"] {
        assert!(is_authenticated(&login(&first, name, &Harness::password_of(name)).await.unwrap()));
    }
    let rotated = service_with(&h, Peppers::current("2026b", key(2)).unwrap().with_retired("2026a", key(1)).unwrap());
    rotated.check_configuration().await.unwrap();
    assert!(is_authenticated(&login(&rotated, "anna", "anna-Pass-1").await.unwrap()));
    assert!(names_key(&stored(&h, "anna").await, "2026b"), "re-made with the current key");
    assert!(names_key(&stored(&h, "ben").await, "2026a"), "ben has not logged in yet");
    let upgrades = h.store.all_audit_events().iter().filter(|e| e.kind == AuditKind::PasswordHashUpgraded).count();
    // anna and ben from no key to 2026a, then anna from 2026a to 2026b.
    assert_eq!(upgrades, 3, "every login under a new key upgrades once");
    // Without the retired key, ben's hash cannot be checked: a start-up error, named.
    let retired_too_early = service_with(&h, Peppers::current("2026b", key(2)).unwrap());
    let refused = retired_too_early.check_configuration().await;
    assert!(
        matches!(refused, Err(ServiceError::Hashing(HashError::UnknownPepper(ref id))) if id == "2026a"),
        "{refused:?}"
    );
    // Once ben has logged in under the new key, the old one can go.
    assert!(is_authenticated(&login(&rotated, "ben", "ben-Pass-1").await.unwrap()));
    h.clock.advance(customer_access::CENSUS_INTERVAL);
    retired_too_early.check_configuration().await.unwrap();
    assert!(is_authenticated(&login(&retired_too_early, "ben", "ben-Pass-1").await.unwrap()));
}

#[tokio::test]
async fn a_missing_key_fails_every_login_alike_not_as_a_wrong_password() {
    let h = Harness::new().await;
    h.contact("anna").await;
    let peppered = service_with(&h, Peppers::current("2026a", key(1)).unwrap());
    assert!(is_authenticated(&login(&peppered, "anna", "anna-Pass-1").await.unwrap()));
    // A deployment that forgot its key: every username gets the same configuration error,
    // so the answers do not tell which usernames have peppered hashes.
    let forgot = service_with(&h, Peppers::none());
    for (username, password) in [("anna", "anna-Pass-1"), ("anna", "Wrong-Pass-42"), ("nobody", "Wrong-Pass-42")] {
        let outcome = login(&forgot, username, password).await;
        assert!(
            matches!(outcome, Err(ServiceError::Hashing(HashError::UnknownPepper(ref id))) if id == "2026a"),
            "{username}: {outcome:?}"
        );
    }
    // A password change on the same instance: the same error, nothing charged either.
    let anna =
        h.store.contact_by_username(&h.service.policy().username.canonicalize("anna").unwrap()).await.unwrap().unwrap();
    for _ in 0..6 {
        let changed = forgot
            .change_password(
                anna.contact.id,
                &SecretString::from("Wrong-Pass-42"),
                &SecretString::from("Fresh-Start-2026"),
            )
            .await;
        assert!(matches!(changed, Err(ServiceError::Hashing(HashError::UnknownPepper(_)))), "{changed:?}");
    }
    // Nothing was charged for those refusals: with the key back, anna logs in at once.
    assert!(is_authenticated(&login(&peppered, "anna", "anna-Pass-1").await.unwrap()));
}

#[tokio::test]
async fn peppered_and_plain_hashes_cost_the_same_failed_login() {
    let h = Harness::new().await;
    h.contact("plain").await;
    h.contact("peppered").await;
    let service = service_with(&h, Peppers::current("2026a", key(1)).unwrap());
    assert!(is_authenticated(&login(&service, "peppered", "peppered-Pass-1").await.unwrap()));
    h.clock.advance(customer_access::CENSUS_INTERVAL);
    let mut costs = Vec::new();
    for username in ["nobody", "plain", "peppered"] {
        login(&service, username, "Wrong-Pass-42").await.unwrap();
        let before = service.hash_operations();
        assert!(is_invalid(&login(&service, username, "Wrong-Pass-42").await.unwrap()));
        costs.push(service.hash_operations() - before);
    }
    // A key changes no cost: one parameter set, two verifications, whatever the username.
    assert_eq!(costs, [2, 2, 2]);
}

#[test]
fn keys_and_ids_are_checked_when_given() {
    use customer_access::hashing::PepperError;
    assert_eq!(Peppers::current("", key(1)).unwrap_err(), PepperError::BadId);
    assert_eq!(Peppers::current("toolong-9", key(1)).unwrap_err(), PepperError::BadId);
    assert_eq!(Peppers::current("a b", key(1)).unwrap_err(), PepperError::BadId);
    assert_eq!(Peppers::current("k", SecretSlice::from(vec![1u8; 31])).unwrap_err(), PepperError::BadKeyLength(31));
    assert_eq!(Peppers::current("k", SecretSlice::from(vec![1u8; 65])).unwrap_err(), PepperError::BadKeyLength(65));
    let twice = Peppers::current("k", key(1)).unwrap().with_retired("k", key(2));
    assert!(matches!(twice, Err(PepperError::DuplicateId(_))));
    let debug = format!("{:?}", Peppers::current("k", key(0xAB)).unwrap());
    assert!(!debug.contains("171") && !debug.to_lowercase().contains("ab, "), "{debug}");
}
