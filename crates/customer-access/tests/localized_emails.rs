//! E-mails in the contact's language and time zone, through the service: daylight-saving
//! boundaries, the retailer's and the service's defaults, who may set preferences, and a
//! catalog that could send a broken e-mail refused at start-up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use common::{Harness, fast_policy, rep};
use customer_access::i18n::{Locale, Preferences, TimeZoneName};
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, AuditKind, LoginOutcome, ManualClock, MemoryStore, MessageCatalog, NewContact, RecordingMailer,
    ResetOptions, ServiceError, StaffId, Store, Timestamp,
};

fn prefs(locale: &str, zone: &str) -> Preferences {
    Preferences::new(locale.parse().unwrap(), zone.parse().unwrap())
}

fn at(rfc3339: &str) -> Timestamp {
    let seconds = match rfc3339 {
        "2026-10-23T09:00Z" => 1_792_746_000,
        "2026-09-25T20:00Z" => 1_790_366_400,
        "2027-04-02T12:00Z" => 1_806_667_200,
        other => panic!("no fixture for {other}"),
    };
    Timestamp::from_unix_millis(seconds * 1000)
}

/// Reset `username`'s password at `now` and return the e-mail's text.
async fn reset_at(h: &Harness, username: &str, preferences: Preferences, now: Timestamp) -> String {
    h.clock.set(now);
    let new = NewContact {
        retailer: h.shop.id,
        username: username.to_owned(),
        email: format!("{username}@shop.example"),
        display_name: "Kim".to_owned(),
        preferences,
    };
    let contact = h.service.invite(&h.admin, &new).await.unwrap();
    h.service.staff_reset(&h.admin, contact.id, ResetOptions::default()).await.unwrap();
    let mail = h.mailer.last_message().unwrap();
    mail.text_body().to_owned()
}

/// A 48-hour expiry that crosses a change of the clocks shows the wall time after the change
/// (adding 48 hours to the local time of issue would be an hour off), with the zone's name
/// after the change.
#[tokio::test]
async fn expiries_across_daylight_saving_changes_show_the_local_time_after_the_change() {
    let h = Harness::new().await;
    // Berlin leaves summer time on 25 October 2026 (03:00 CEST becomes 02:00 CET): issued
    // Friday 11:00 CEST, valid until Sunday 10:00 CET.
    let text = reset_at(&h, "berlin.en", prefs("en", "Europe/Berlin"), at("2026-10-23T09:00Z")).await;
    assert!(text.contains("until Sunday 25 October 2026, 10:00 CET."), "{text}");
    let text = reset_at(&h, "berlin.de", prefs("de", "Europe/Berlin"), at("2026-10-23T09:00Z")).await;
    assert!(text.contains("bis Sonntag, 25. Oktober 2026, 10:00 CET"), "{text}");
    // Auckland starts summer time on 27 September 2026 (02:00 NZST becomes 03:00 NZDT):
    // issued Saturday 08:00 NZST, valid until Monday 09:00 NZDT.
    let text = reset_at(&h, "auckland.spring", prefs("en", "Pacific/Auckland"), at("2026-09-25T20:00Z")).await;
    assert!(text.contains("until Monday 28 September 2026, 09:00 NZDT."), "{text}");
    // ... and leaves it on 4 April 2027 (03:00 NZDT becomes 02:00 NZST): issued Saturday
    // 01:00 NZDT, valid until Monday 00:00 NZST.
    let text = reset_at(&h, "auckland.autumn", prefs("nl", "Pacific/Auckland"), at("2027-04-02T12:00Z")).await;
    assert!(text.contains("maandag 5 april 2027, 00:00 NZST"), "{text}");
}

/// A German e-mail's temporary password logs in: no invisible characters travel with it.
#[tokio::test]
async fn a_translated_temporary_password_logs_in() {
    let h = Harness::new().await;
    let text = reset_at(&h, "jonas", prefs("de", "Europe/Berlin"), at("2026-10-23T09:00Z")).await;
    let temporary = h.last_temporary_password();
    assert_eq!(text.matches(temporary.as_str()).count(), 1, "{text}");
    assert!(temporary.chars().all(|c| c.is_ascii_alphanumeric()), "{temporary:?}");
    let outcome = h.service.login("jonas", &SecretString::from(temporary)).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::PasswordChangeRequired { .. }));
}

/// Without preferences of its own a contact gets its retailer's; without those, the
/// service's defaults; a contact who asks for a regional variant without a translation of its
/// own gets its language.
#[tokio::test]
async fn defaults_go_contact_then_retailer_then_service() {
    let catalog = MessageCatalog::shipped()
        .with_default_locale("fr".parse().unwrap())
        .with_default_time_zone("Europe/Paris".parse().unwrap());
    let clock = ManualClock::new(at("2026-10-23T09:00Z"));
    let (store, mailer) = (MemoryStore::new(), RecordingMailer::new());
    let service = AccessService::with_messages(store, mailer.clone(), clock, fast_policy(), catalog).unwrap();
    let admin = customer_access::Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let plain = service.create_retailer(&admin, "Plain").await.unwrap();
    let dutch = service.create_retailer(&admin, "Dutch").await.unwrap();
    service.set_retailer_preferences(&admin, dutch.id, prefs("nl", "Europe/Amsterdam")).await.unwrap();
    let invite = |retailer, username: &str, preferences| NewContact {
        retailer,
        username: username.to_owned(),
        email: format!("{username}@shop.example"),
        display_name: "Kim".to_owned(),
        preferences,
    };
    let cases = [
        (invite(plain.id, "service.default", Preferences::default()), "fr", "dimanche 25 octobre 2026, 10:00 CET"),
        (invite(dutch.id, "retailer.default", Preferences::default()), "nl", "zondag 25 oktober 2026, 10:00 CET"),
        (
            invite(
                dutch.id,
                "zone.only",
                Preferences { locale: None, time_zone: Some("Pacific/Auckland".parse().unwrap()) },
            ),
            "nl",
            "zondag 25 oktober 2026, 22:00 NZDT",
        ),
        (
            invite(dutch.id, "regional", prefs("es-MX", "America/Mexico_City")),
            "es",
            "domingo 25 de octubre de 2026, 03:00 CST",
        ),
    ];
    for (new, locale, expiry) in cases {
        let contact = service.invite(&admin, &new).await.unwrap();
        let mail = mailer.last_message().unwrap();
        assert_eq!(mail.language.as_str(), locale, "{}", new.username);
        assert!(mail.text_body().contains(expiry), "{}: {}", new.username, mail.text_body());
        assert_eq!(service.preferences_of(contact.id).await.unwrap().locale.as_str(), locale);
    }
}

/// Preferences are staff operations like any other: an iPad user outside the retailer is
/// refused and audited; the contact sets its own, audited; a removed contact cannot.
#[tokio::test]
async fn who_may_set_preferences() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let outsider = rep(70, "ipad-70");
    let refused = h.service.set_contact_preferences(&outsider, anna.id, prefs("de", "Europe/Berlin")).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden)), "{refused:?}");
    let refused = h.service.set_retailer_preferences(&outsider, h.shop.id, prefs("de", "Europe/Berlin")).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden)), "{refused:?}");
    assert_eq!(h.store.contact(anna.id).await.unwrap().contact.preferences, Preferences::default(), "unchanged");
    assert_eq!(h.store.retailer(h.shop.id).await.unwrap().preferences, Preferences::default(), "unchanged");

    h.store.assign_retailer(StaffId::new(70), h.shop.id).await.unwrap();
    h.service.set_contact_preferences(&outsider, anna.id, prefs("de", "Europe/Berlin")).await.unwrap();
    h.service.set_own_preferences(anna.id, prefs("es", "Europe/Madrid")).await.unwrap();
    let log = h.service.audit_log(&h.admin, anna.id).await.unwrap();
    let kinds: Vec<AuditKind> = log.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == AuditKind::PreferencesChanged).count(), 2, "{kinds:?}");
    // The login stands: preferences are not credentials.
    let version = h.service.credential_version(anna.id).await.unwrap();
    h.service.set_own_preferences(anna.id, prefs("nl", "Europe/Amsterdam")).await.unwrap();
    assert_eq!(h.service.credential_version(anna.id).await.unwrap(), version);

    h.service.remove_contact(&h.admin, anna.id).await.unwrap();
    let gone = h.service.set_own_preferences(anna.id, prefs("fr", "Europe/Paris")).await;
    assert!(matches!(gone, Err(ServiceError::ContactNotFound)), "{gone:?}");
    let bad = h
        .service
        .set_retailer_preferences(&h.admin, customer_access::RetailerId::new(999), Preferences::default())
        .await;
    assert!(matches!(bad, Err(ServiceError::RetailerNotFound)), "{bad:?}");
}

/// A catalog that could send a broken e-mail never gets a service started; a locale with
/// gaps does, in English where it has none.
#[tokio::test]
async fn a_broken_catalog_is_refused_at_start_up() {
    let broken = MessageCatalog::shipped()
        .with_translation(&"de".parse().unwrap(), "reset-password = Ihr Passwort liegt bei.")
        .unwrap();
    let built = AccessService::with_messages(
        MemoryStore::new(),
        RecordingMailer::new(),
        ManualClock::new(at("2026-10-23T09:00Z")),
        fast_policy(),
        broken,
    );
    let Err(ServiceError::Translation(e)) = built else { panic!("a catalog without the password was accepted") };
    assert!(e.to_string().contains("reset-password"), "{e}");

    let partial = MessageCatalog::shipped()
        .with_translation(&"it".parse().unwrap(), "greeting = Ciao { $display_name },")
        .unwrap();
    assert!(partial.check().unwrap().iter().any(|m| m.locale == "it".parse::<Locale>().unwrap()));
    let zone: TimeZoneName = "Europe/Rome".parse().unwrap();
    let service = AccessService::with_messages(
        MemoryStore::new(),
        RecordingMailer::new(),
        ManualClock::new(at("2026-10-23T09:00Z")),
        fast_policy(),
        partial.with_default_locale("it".parse().unwrap()).with_default_time_zone(zone),
    )
    .unwrap();
    assert_eq!(service.messages().translations().locales().count(), 6);
}
