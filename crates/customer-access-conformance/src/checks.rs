//! The checks. Each takes a fresh, empty store and panics with the broken contract clause.

use std::sync::Arc;

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::store::{Revision, StoreErrorKind};
use customer_access::{
    AccessService, Actor, AuditKind, LoginOutcome, RecordingMailer, SecurityPolicy, ServiceError, Staff, StaffId,
    Store, SystemClock,
};

use crate::fixtures::{at, changed, event, ipad, key, new_contact};

/// The kind of the error `result` must be. `#[track_caller]`: a failure points at the
/// assertion in the check, whose message says which rule it is.
#[track_caller]
pub(crate) fn kind<T: std::fmt::Debug>(result: Result<T, customer_access::store::StoreError>) -> StoreErrorKind {
    match result {
        Ok(v) => panic!("the store answered Ok({v:?}) where the contract requires an error"),
        Err(e) => e.kind(),
    }
}

/// Retailers get ids, read back, list in id order; unknown ids are `NotFound`.
pub async fn retailers_round_trip<S: Store>(store: S) {
    let a = store.create_retailer("Corner Shop").await.unwrap();
    let b = store.create_retailer("Bäckerei Müller & Söhne").await.unwrap();
    assert_ne!(a.id, b.id, "retailer ids are unique");
    assert_eq!(store.retailer(b.id).await.unwrap(), b, "retailer round trip");
    let all = store.retailers().await.unwrap();
    assert_eq!(all, vec![a.clone(), b.clone()], "retailers() lists every retailer in id order");
    let missing = customer_access::RetailerId::new(a.id.get().max(b.id.get()) + 1000);
    assert_eq!(kind(store.retailer(missing).await), StoreErrorKind::NotFound);
}

/// Contacts round-trip field for field, by id and by username key.
pub async fn contacts_round_trip<S: Store>(store: S) {
    let shop = store.create_retailer("Corner Shop").await.unwrap();
    let other = store.create_retailer("Other").await.unwrap();
    let new = new_contact(shop.id, "Anna.Berg");
    let created = store.create_contact(&new, &[]).await.unwrap();
    assert_eq!(created.contact.username, "Anna.Berg");
    assert_eq!(created.credentials, new.credentials, "credentials stored exactly as given");
    assert_eq!(store.contact(created.contact.id).await.unwrap(), created, "load by id returns what was stored");
    assert_eq!(store.contact_by_username(&key("anna.berg")).await.unwrap(), Some(created.clone()), "load by key");
    assert_eq!(store.contact_by_username(&key("nobody")).await.unwrap(), None, "unknown key is None");
    let second = store.create_contact(&new_contact(shop.id, "bert"), &[]).await.unwrap();
    store.create_contact(&new_contact(other.id, "carl"), &[]).await.unwrap();
    let listed = store.contacts_of_retailer(shop.id).await.unwrap();
    assert_eq!(listed, vec![created.clone(), second], "contacts_of_retailer: this retailer's, in id order");
    let missing = customer_access::ContactId::new(created.contact.id.get() + 1000);
    assert_eq!(kind(store.contact(missing).await), StoreErrorKind::NotFound);
    let bad_retailer = customer_access::RetailerId::new(other.id.get() + 1000);
    assert_eq!(
        kind(store.create_contact(&new_contact(bad_retailer, "dora"), &[]).await),
        StoreErrorKind::NotFound,
        "a contact needs an existing retailer"
    );
    // Timestamps keep millisecond precision.
    let t = created.credentials.temporary.unwrap();
    assert_eq!(t.expires_at, at(48 * 3_600_000));
}

/// One contact per canonical username, on insert and on rename; a refused write changes
/// nothing.
pub async fn usernames_unique_under_normalisation<S: Store>(store: S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    let anna = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap();
    for variant in ["ANNA", "Anna", "ＡＮＮＡ", "\u{1D2C}nna"] {
        assert_eq!(
            kind(store.create_contact(&new_contact(shop.id, variant), &[]).await),
            StoreErrorKind::Duplicate,
            "{variant:?} is the same username as \"anna\""
        );
    }
    let bert = store.create_contact(&new_contact(shop.id, "bert"), &[]).await.unwrap();
    let mut renamed = changed(&bert);
    renamed.contact.username = "Anna".to_owned();
    renamed.contact.username_key = key("Anna");
    assert_eq!(
        kind(store.save(bert.credentials.revision, &renamed, &[]).await),
        StoreErrorKind::Duplicate,
        "renaming onto a taken username"
    );
    assert_eq!(store.contact(bert.contact.id).await.unwrap(), bert, "a refused rename changes nothing");
    renamed.contact.username = "Bertram".to_owned();
    renamed.contact.username_key = key("Bertram");
    store.save(bert.credentials.revision, &renamed, &[]).await.unwrap();
    assert_eq!(store.contact_by_username(&key("bert")).await.unwrap(), None, "the old username is freed");
    assert_eq!(store.contact_by_username(&key("BERTRAM")).await.unwrap().map(|r| r.contact.id), Some(bert.contact.id));
    store.create_contact(&new_contact(shop.id, "bert"), &[]).await.expect("a freed username can be taken again");
    assert_eq!(store.contact(anna.contact.id).await.unwrap(), anna);
}

/// `save` writes only when the stored revision is the expected one.
pub async fn save_is_compare_and_swap<S: Store>(store: S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    let rec = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap();
    let next = changed(&rec);
    store.save(rec.credentials.revision, &next, &[]).await.unwrap();
    assert_eq!(store.contact(rec.contact.id).await.unwrap(), next, "a successful save stores the record exactly");
    let mut stale = changed(&rec);
    stale.contact.display_name = "stale".to_owned();
    assert_eq!(
        kind(store.save(rec.credentials.revision, &stale, &[]).await),
        StoreErrorKind::Conflict,
        "a save with a stale revision is a Conflict"
    );
    assert_eq!(store.contact(rec.contact.id).await.unwrap(), next, "a lost compare-and-swap writes nothing");
    let mut ghost = changed(&next);
    ghost.contact.id = customer_access::ContactId::new(rec.contact.id.get() + 1000);
    assert_eq!(kind(store.save(next.credentials.revision, &ghost, &[]).await), StoreErrorKind::NotFound);
    let mut moved = changed(&next);
    moved.contact.retailer = customer_access::RetailerId::new(shop.id.get() + 1000);
    store.save(next.credentials.revision, &moved, &[]).await.unwrap();
    assert_eq!(store.contact(rec.contact.id).await.unwrap().contact.retailer, shop.id, "save never moves a contact");
}

/// Audit events are written with the record or not at all, and read back in order.
pub async fn audit_is_atomic_with_the_record<S: Store>(store: S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    let admin = Actor::Staff(Staff::SalesAdmin { staff_id: StaffId::new(5) });
    let invited = event(None, shop.id, AuditKind::ContactInvited, admin.clone(), 0);
    let rec = store.create_contact(&new_contact(shop.id, "anna"), &[invited]).await.unwrap();
    let id = rec.contact.id;
    let log = store.audit_log(id).await.unwrap();
    assert_eq!(log.len(), 1, "create_contact appends its events");
    assert_eq!(log[0].contact, Some(id), "create_contact fills in the new contact's id");
    assert_eq!(log[0].actor, admin);

    let e1 = event(Some(id), shop.id, AuditKind::StaffResetIssued, ipad(), 1);
    let e2 = event(Some(id), shop.id, AuditKind::PasswordRevoked, ipad(), 1);
    store.save(rec.credentials.revision, &changed(&rec), &[e1.clone(), e2.clone()]).await.unwrap();
    let lost = event(Some(id), shop.id, AuditKind::PasswordSet, Actor::Contact(id), 2);
    assert!(store.save(rec.credentials.revision, &changed(&rec), &[lost]).await.is_err());
    let extra = event(Some(id), shop.id, AuditKind::Unlocked, Actor::System, 3);
    store.append_audit(std::slice::from_ref(&extra)).await.unwrap();
    let other = store.create_contact(&new_contact(shop.id, "bert"), &[]).await.unwrap();
    store.append_audit(&[event(Some(other.contact.id), shop.id, AuditKind::Unlocked, Actor::System, 4)]).await.unwrap();

    let log = store.audit_log(id).await.unwrap();
    let kinds: Vec<_> = log.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [AuditKind::ContactInvited, AuditKind::StaffResetIssued, AuditKind::PasswordRevoked, AuditKind::Unlocked],
        "events of a lost save are not written; others in order; only this contact's"
    );
    assert_eq!(log[1], e1, "audit events round-trip field for field");
    assert_eq!(log[3], extra);
}

/// The decoy (id 0, username key `ContactColumns::decoy_username_key`) is never a contact or
/// a retailer, whether or not the store keeps it as a row.
pub async fn decoy_is_invisible<S: Store>(store: S) {
    use customer_access::store::columns::{ContactColumns, DECOY_CONTACT_ID};
    use customer_access::store::{DeviceRecord, DeviceTokenDigest, UsernameKey};
    use customer_access::{ContactId, CredentialVersion, RetailerId};
    let shop = store.create_retailer("Shop").await.unwrap();
    let anna = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap();
    let (decoy_contact, decoy_retailer) = (ContactId::new(DECOY_CONTACT_ID), RetailerId::new(DECOY_CONTACT_ID));
    let decoy_key = UsernameKey::from_stored(&ContactColumns::decoy_username_key()).unwrap();
    assert_eq!(store.contact_by_username(&decoy_key).await.unwrap(), None, "the decoy key finds no contact");
    assert_eq!(kind(store.contact(decoy_contact).await), StoreErrorKind::NotFound, "no contact has the decoy id");
    assert_eq!(kind(store.retailer(decoy_retailer).await), StoreErrorKind::NotFound, "no retailer has the decoy id");
    assert_eq!(store.retailers().await.unwrap(), vec![shop.clone()], "retailers() lists no decoy");
    assert!(store.contacts_of_retailer(decoy_retailer).await.unwrap().is_empty(), "the decoy retailer has none");
    assert_eq!(store.audit_log(decoy_contact).await.unwrap(), vec![], "the decoy has no audit trail");
    assert_eq!(
        kind(store.create_contact(&new_contact(decoy_retailer, "dora"), &[]).await),
        StoreErrorKind::NotFound,
        "no contact can join the decoy retailer"
    );
    let staff = StaffId::new(7);
    assert_eq!(kind(store.assign_retailer(staff, decoy_retailer).await), StoreErrorKind::NotFound);
    assert!(store.assigned_retailers(staff).await.unwrap().is_empty(), "no staff is assigned the decoy retailer");
    // A store that keeps the decoy as a row satisfies a device's foreign key with it: the
    // refusal must be the store's own.
    let device = DeviceRecord {
        digest: DeviceTokenDigest::from_hex("0d".repeat(32)),
        contact: decoy_contact,
        credential_version: CredentialVersion(0),
        issued_at: at(0),
        expires_at: at(10_000),
    };
    assert_eq!(kind(store.add_device(&device, 3).await), StoreErrorKind::NotFound, "no device joins the decoy");
    assert_eq!(store.device(&device.digest).await.unwrap(), None, "the refused device was not stored");
    let mut ghost = changed(&anna);
    ghost.contact.id = decoy_contact;
    for revision in [Revision(0), anna.credentials.revision] {
        assert_eq!(kind(store.save(revision, &ghost, &[]).await), StoreErrorKind::NotFound, "the decoy is unwritable");
    }
    assert_eq!(store.contact_by_username(&key("anna")).await.unwrap(), Some(anna), "contacts are unaffected");
}

/// iPad users see exactly the retailers assigned to them.
pub async fn retailer_scoping<S: Store>(store: S) {
    let a = store.create_retailer("A").await.unwrap();
    let b = store.create_retailer("B").await.unwrap();
    let c = store.create_retailer("C").await.unwrap();
    let rep = StaffId::new(10);
    assert!(store.assigned_retailers(rep).await.unwrap().is_empty());
    store.assign_retailer(rep, c.id).await.unwrap();
    store.assign_retailer(rep, a.id).await.unwrap();
    store.assign_retailer(rep, a.id).await.unwrap();
    store.assign_retailer(StaffId::new(11), b.id).await.unwrap();
    assert_eq!(store.assigned_retailers(rep).await.unwrap(), vec![a.id, c.id], "assigned, in id order, no duplicates");
    assert_eq!(store.assigned_retailers(StaffId::new(11)).await.unwrap(), vec![b.id]);
}

/// Of many concurrent saves from one revision exactly one succeeds; the rest are Conflicts.
pub async fn concurrent_saves_have_one_winner<S: Store>(store: S) {
    let store = Arc::new(store);
    let shop = store.create_retailer("Shop").await.unwrap();
    let rec = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap();
    for round in 0..20 {
        let current = store.contact(rec.contact.id).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = Arc::clone(&store);
                let mut next = changed(&current);
                next.contact.display_name = format!("writer {i}");
                let expected = current.credentials.revision;
                tokio::spawn(async move { store.save(expected, &next, &[]).await.map_err(|e| e.kind()) })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => wins += 1,
                Err(StoreErrorKind::Conflict) => {}
                Err(other) => {
                    panic!("round {round}: a losing save must be a Conflict, got {other:?}")
                }
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one concurrent save wins");
        let stored = store.contact(rec.contact.id).await.unwrap();
        assert_eq!(stored.credentials.revision, Revision(current.credentials.revision.0 + 1));
    }
}

/// Through the service: N tasks redeem one change ticket at once; exactly one sets its
/// password, every other gets `InvalidTicket`, and only the winner's password works.
pub async fn ticket_redemption_race<S: Store>(store: S, rounds: usize) {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    policy.max_concurrent_hashes = 4;
    let service = AccessService::new(store, RecordingMailer::new(), SystemClock, policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Race Shop").await.unwrap();
    for round in 0..rounds {
        let username = format!("racer{round}");
        let (contact, ticket) = crate::support::invite_to_change_ticket(&service, &admin, shop.id, &username).await;
        let ticket = ticket.expose_secret().to_owned();
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let service = service.clone();
                let ticket = SecretString::from(ticket.clone());
                tokio::spawn(async move {
                    let password = format!("winner-{i}-Plum42");
                    let result = service.set_new_password(&ticket, &SecretString::from(password.clone())).await;
                    (password, result)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                (password, Ok(_)) => winners.push(password),
                (_, Err(ServiceError::InvalidTicket)) => {}
                (_, Err(other)) => panic!("round {round}: a losing redemption must be InvalidTicket, got {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one redemption of a ticket succeeds");
        let outcome = service.login(&username, &SecretString::from(winners[0].clone())).await.unwrap();
        assert!(matches!(outcome, LoginOutcome::Authenticated { .. }), "round {round}: the winner's password works");
        let sets = service
            .store()
            .audit_log(contact.id)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.kind == AuditKind::PasswordSet)
            .count();
        assert_eq!(sets, 1, "round {round}: one PasswordSet event");
    }
}
