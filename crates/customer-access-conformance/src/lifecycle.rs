//! What the credential lifecycle asks of a store: a withdrawn temporary password stays
//! withdrawn, an expired one is kept for the expiry notice, and a removed contact's row stays
//! as a tombstone under a reserved username key (so its audit trail keeps its subject) while
//! the username it had is free.

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::store::UsernameKey;
use customer_access::{
    AccessService, AuditKind, LoginOutcome, ManualClock, RecordingMailer, SecurityPolicy, Staff, StaffId, Store,
    Timestamp,
};

use crate::support::contact_with_password;

/// A service on `store` with fast hashing and a clock the check moves.
fn service<S: Store>(store: S) -> AccessService<S, RecordingMailer, ManualClock> {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    AccessService::new(store, RecordingMailer::new(), clock, policy).unwrap()
}

/// Through the service: a login with the current password withdraws the e-mailed temporary
/// password for good, and a temporary password that expired is kept and named as expired.
pub async fn either_secret_and_honest_expiry<S: Store>(store: S) {
    let service = service(store);
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let password = SecretString::from("anna-Pass-1");
    let anna = contact_with_password(&service, &admin, shop.id, "anna", &password).await;

    service.request_password_reset("anna").unwrap().run().await;
    let temporary = service.mailer().last_temporary_password().unwrap();
    assert!(matches!(service.login("anna", &password).await.unwrap(), LoginOutcome::Authenticated { .. }));
    let stored = service.store().contact(anna.id).await.unwrap();
    assert!(stored.credentials.temporary.is_none(), "the withdrawal is saved");
    assert!(matches!(service.login("anna", &temporary).await.unwrap(), LoginOutcome::InvalidCredentials));

    service.request_password_reset("anna").unwrap().run().await;
    let temporary = service.mailer().last_temporary_password().unwrap();
    service.clock().advance(service.policy().temporary_password_ttl);
    let outcome = service.login("anna", &temporary).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::TemporaryPasswordExpired { .. }), "{outcome:?}");
}

/// Through the service: a removed contact's row round-trips as a tombstone, is found by no
/// username, keeps its audit trail, and frees its username for a new contact, whose own
/// removal later gets a tombstone key of its own.
pub async fn removal_frees_the_username_and_keeps_the_audit<S: Store>(store: S) {
    let service = service(store);
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let password = SecretString::from("anna-Pass-1");
    let anna = contact_with_password(&service, &admin, shop.id, "anna", &password).await;

    service.remove_contact(&admin, anna.id).await.unwrap();
    let stored = service.store().contact(anna.id).await.unwrap();
    assert!(stored.contact.is_removed(), "the tombstone reads back as removed: {:?}", stored.contact);
    assert!(stored.credentials.password.is_none() && stored.credentials.temporary.is_none(), "no secret is kept");
    let key = UsernameKey::from_stored("anna").unwrap();
    assert!(service.store().contact_by_username(&key).await.unwrap().is_none(), "its username finds nothing");

    let again = contact_with_password(&service, &admin, shop.id, "anna", &password).await;
    assert_ne!(again.id, anna.id, "the username is free for a new contact");
    let outcome = service.login("anna", &password).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::Authenticated { contact, .. } if contact == again.id), "{outcome:?}");

    let trail = service.store().audit_log(anna.id).await.unwrap();
    let kinds: Vec<AuditKind> = trail.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.first(), Some(&AuditKind::ContactInvited), "the trail keeps its start: {kinds:?}");
    assert_eq!(kinds.last(), Some(&AuditKind::ContactRemoved), "and its end: {kinds:?}");

    service.remove_contact(&admin, again.id).await.unwrap();
    assert!(service.store().contact(again.id).await.unwrap().contact.is_removed(), "two tombstones never collide");
}
