//! What languages and time zones ask of a store: contacts and retailers keep them exactly,
//! and the e-mails the service writes from them are in the contact's language and time.

use customer_access::i18n::{Locale, Preferences, TimeZoneName};
use customer_access::policy::Argon2Settings;
use customer_access::store::StoreErrorKind;
use customer_access::{
    AccessService, AuditKind, AuditScope, ManualClock, NewContact, RecordingMailer, ResetOptions, RetailerId,
    SecurityPolicy, Staff, StaffId, Store, Timestamp, verify_audit,
};

use crate::fixtures::{event, ipad, new_contact};

fn prefs(locale: &str, zone: &str) -> Preferences {
    Preferences::new(locale.parse::<Locale>().unwrap(), zone.parse::<TimeZoneName>().unwrap())
}

/// A contact's locale and time zone round-trip through create, save and every read, set or
/// unset; a retailer's are replaced with their audit event in one write, read back by
/// `retailer` and `retailers`, and an unknown retailer is `NotFound` with nothing written.
pub async fn preferences_round_trip<S: Store>(store: S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    assert_eq!(shop.preferences, Preferences::default(), "a new retailer has no preferences");
    let created = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap();
    let expected = prefs("de-CH", "Europe/Zurich");
    assert_eq!(created.contact.preferences, expected);
    assert_eq!(store.contact(created.contact.id).await.unwrap().contact.preferences, expected, "as created");
    let by_name = store.contact_by_username(&created.contact.username_key).await.unwrap().unwrap();
    assert_eq!(by_name.contact.preferences, expected, "by username");

    for next in [
        Preferences { locale: Some("nl-BE".parse().unwrap()), time_zone: None },
        Preferences { locale: None, time_zone: Some("Pacific/Auckland".parse().unwrap()) },
        Preferences::default(),
    ] {
        let current = store.contact(created.contact.id).await.unwrap();
        let mut changed = crate::fixtures::changed(&current);
        changed.contact.preferences = next.clone();
        store.save(current.credentials.revision, &changed, &[]).await.unwrap();
        let loaded = store.contact(created.contact.id).await.unwrap();
        assert_eq!(loaded.contact.preferences, next, "saved preferences are loaded field for field");
        let listed = store.contacts_of_retailer(shop.id).await.unwrap();
        assert_eq!(listed[0].contact.preferences, next, "and listed");
    }

    let before = store.audit_chain().await.unwrap();
    let set = prefs("fr", "Europe/Paris");
    let audit = event(None, shop.id, AuditKind::RetailerPreferencesChanged, ipad(), 0);
    let saved = store.set_retailer_preferences(shop.id, &set, std::slice::from_ref(&audit)).await.unwrap();
    assert_eq!((saved.id, saved.name.as_str(), &saved.preferences), (shop.id, "Shop", &set));
    assert_eq!(store.retailer(shop.id).await.unwrap().preferences, set, "retailer() reads them");
    assert_eq!(store.retailers().await.unwrap()[0].preferences, set, "retailers() reads them");
    let after = store.audit_chain().await.unwrap();
    assert_eq!(after.head.seq, before.head.seq + 1, "the change and its event are one write");
    let cleared = store.set_retailer_preferences(shop.id, &Preferences::default(), &[]).await.unwrap();
    assert_eq!(cleared.preferences, Preferences::default(), "unset again");

    let unknown = store.set_retailer_preferences(RetailerId::new(987_654), &set, &[audit]).await.unwrap_err();
    assert_eq!(unknown.kind(), StoreErrorKind::NotFound, "an unknown retailer is NotFound");
    assert_eq!(store.audit_chain().await.unwrap(), after, "and its event was not written");
    verify_audit(&store, None).await.unwrap();
}

/// Through the service: an invitation is written in the contact's language with the expiry
/// on its clock; a contact without preferences gets its retailer's; staff and the contact
/// change them, audited.
pub async fn emails_follow_the_contact_then_the_retailer<S: Store>(store: S) {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    // 2026-10-23 09:00 UTC: the 48-hour expiry falls after Berlin leaves summer time.
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_792_746_000_000));
    let service = AccessService::new(store, RecordingMailer::new(), clock, policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let shop = service.set_retailer_preferences(&admin, shop.id, prefs("nl", "Europe/Amsterdam")).await.unwrap();
    assert_eq!(shop.preferences, prefs("nl", "Europe/Amsterdam"));

    let invite = |name: &str, preferences: Preferences| NewContact {
        retailer: shop.id,
        username: name.to_owned(),
        email: format!("{name}@shop.example"),
        display_name: name.to_owned(),
        preferences,
    };
    let anna = service.invite(&admin, &invite("anna", prefs("de", "Europe/Berlin"))).await.unwrap();
    let mail = service.mailer().last_message().unwrap();
    assert_eq!(mail.language.as_str(), "de");
    assert!(mail.text_body().contains("Sonntag, 25. Oktober 2026, 10:00 CET"), "{}", mail.text_body());
    let store = service.store();
    assert_eq!(store.contact(anna.id).await.unwrap().contact.preferences, prefs("de", "Europe/Berlin"));

    service.invite(&admin, &invite("bram", Preferences::default())).await.unwrap();
    let mail = service.mailer().last_message().unwrap();
    assert_eq!(mail.language.as_str(), "nl", "the retailer's language");
    assert!(mail.text_body().contains("zondag 25 oktober 2026, 10:00 CET"), "{}", mail.text_body());

    let later = service.set_contact_preferences(&admin, anna.id, prefs("fr", "Pacific/Auckland")).await.unwrap();
    assert_eq!(later.preferences, prefs("fr", "Pacific/Auckland"));
    service.staff_reset(&admin, anna.id, ResetOptions::default()).await.unwrap();
    let mail = service.mailer().last_message().unwrap();
    assert!(mail.text_body().contains("dimanche 25 octobre 2026, 22:00 NZDT"), "{}", mail.text_body());
    let own = service.set_own_preferences(anna.id, prefs("es", "Europe/Madrid")).await.unwrap();
    assert_eq!(service.preferences_of(anna.id).await.unwrap().locale, own.preferences.locale.unwrap());
    let events = store.audit_page(&AuditScope::Contact(anna.id), None, 50).await.unwrap();
    let changes = events.iter().filter(|r| r.event.kind == AuditKind::PreferencesChanged).count();
    assert_eq!(changes, 2, "staff's change and the contact's own are audited");
    verify_audit(store, None).await.unwrap();
}
