use super::*;
use crate::ids::{ContactId, RetailerId, StaffId};
use customer_access_policy::UsernameRules;

const PASSWORD: &str = "Kp7xQ2mZr9TbW4vN";
/// 2026-11-30 09:06 UTC: Monday 22:06 in Auckland.
const EXPIRY: Timestamp = Timestamp::from_unix_millis(1_796_029_560_000);

fn contact() -> Contact {
    Contact {
        id: ContactId::new(1),
        retailer: RetailerId::new(1),
        username: "Anna.Berg".into(),
        username_key: UsernameRules::default().canonicalize("Anna.Berg").unwrap(),
        email: EmailAddress::parse("anna@shop.example").unwrap(),
        display_name: "Anna <Berg> {{temporary_password}} {{username}}".into(),
        login_enabled: true,
        preferences: Preferences::default(),
    }
}

fn to(locale: &str, zone: &str) -> EffectivePreferences {
    EffectivePreferences { locale: locale.parse().unwrap(), time_zone: zone.parse().unwrap() }
}

fn secret(
    catalog: &MessageCatalog,
    kind: MessageKind,
    include_username: bool,
    to: &EffectivePreferences,
) -> OutgoingMessage {
    let c = contact();
    catalog.render_secret(
        &SecretMessage {
            contact: &c,
            temporary_password: PASSWORD,
            expires_at: EXPIRY,
            valid_for_hours: 48,
            include_username,
            kind,
        },
        to,
    )
}

fn every_message(catalog: &MessageCatalog, to: &EffectivePreferences) -> Vec<(OutgoingMessage, bool)> {
    let c = contact();
    let staff =
        Staff::IpadUser { staff_id: StaffId::new(7), device_id: crate::ids::DeviceId::parse("ipad-7").unwrap() };
    let new_email = EmailAddress::parse("anna.new@shop.example").unwrap();
    let mut all = Vec::new();
    for kind in [MessageKind::PasswordReset, MessageKind::Invitation] {
        for include_username in [false, true] {
            all.push((secret(catalog, kind, include_username, to), include_username));
        }
    }
    all.push((catalog.render_password_changed(&c, to), false));
    let notice = EmailChangeNotice { before: &c, new_email: &new_email, changed_at: EXPIRY, changed_by: &staff };
    all.push((catalog.render_email_changed(&notice, to), false));
    all
}

#[test]
fn the_shipped_catalog_passes_its_check_with_nothing_missing() {
    let catalog = MessageCatalog::shipped();
    let missing = catalog.check().unwrap();
    assert!(missing.is_empty(), "{missing:?}");
    let locales: Vec<&str> = catalog.translations().locales().map(Locale::as_str).collect();
    assert_eq!(locales, ["de", "en", "es", "fr", "nl"]);
}

#[test]
fn every_message_renders_in_every_shipped_locale() {
    let catalog = MessageCatalog::shipped();
    let english = every_message(&catalog, &to("en", "Pacific/Auckland"));
    for locale in ["en", "de", "fr", "es", "nl"] {
        let messages = every_message(&catalog, &to(locale, "Pacific/Auckland"));
        for ((m, with_username), (en, _)) in messages.iter().zip(&english) {
            let what = format!("{locale} {:?} username={with_username}", m.kind);
            assert_eq!(m.language.as_str(), locale, "{what}");
            assert!(!m.subject.is_empty() && !m.subject.contains('\n'), "{what}");
            if locale != "en" {
                assert_ne!(m.subject, en.subject, "{what}: subject not translated");
                assert_ne!(m.text_body(), en.text_body(), "{what}: body not translated");
            }
            for body in [m.text_body(), m.html_body()] {
                // The display name holds marker look-alikes: filled in as text, never expanded.
                let body = body.replace("{{temporary_password}} {{username}}", "");
                for leftover in ["{{", "}}", "{$", "{ $", "\u{2068}", "\u{2069}"] {
                    assert!(!body.contains(leftover), "{what}: leftover {leftover:?} in {body}");
                }
                let secret = matches!(m.kind, MessageKind::PasswordReset | MessageKind::Invitation);
                assert_eq!(body.matches(PASSWORD).count(), usize::from(secret), "{what}: {body}");
                assert_eq!(body.contains("Anna.Berg"), *with_username, "{what}: {body}");
                if secret || m.kind == MessageKind::EmailChanged {
                    assert!(
                        body.contains("22:06 NZDT") && body.contains("2026") && body.contains("30"),
                        "{what}: {body}"
                    );
                }
            }
            assert!(m.html_body().contains("Anna &lt;Berg&gt;"), "{what}");
            assert!(!format!("{m:?}").contains(PASSWORD));
        }
    }
}

#[test]
fn the_expiry_reads_as_each_locale_writes_a_date() {
    let catalog = MessageCatalog::shipped();
    let auckland: TimeZoneName = "Pacific/Auckland".parse().unwrap();
    let expected = [
        ("en", "Monday 30 November 2026, 22:06 NZDT"),
        ("de", "Montag, 30. November 2026, 22:06 NZDT"),
        ("fr", "lundi 30 novembre 2026, 22:06 NZDT"),
        ("es", "lunes 30 de noviembre de 2026, 22:06 NZDT"),
        ("nl", "maandag 30 november 2026, 22:06 NZDT"),
    ];
    for (locale, text) in expected {
        assert_eq!(catalog.date_time(&locale.parse().unwrap(), &auckland, EXPIRY), text);
    }
}

#[test]
fn plural_rules_follow_the_locale() {
    let catalog = MessageCatalog::shipped();
    let hours = |locale: &str, n: i64| {
        let args = MessageArgs::new().number("hours", n);
        catalog.translations().format(&locale.parse().unwrap(), "valid-for", &args).unwrap()
    };
    assert_eq!(hours("en", 1), "1 hour");
    assert_eq!(hours("en", 48), "48 hours");
    assert_eq!(hours("de", 1), "1 Stunde");
    assert_eq!(hours("de", 48), "48 Stunden");
    // French counts 0 and 1 as singular.
    assert_eq!(hours("fr", 0), "0 heure");
    assert_eq!(hours("nl", 2), "2 uur");
}

#[test]
fn the_username_line_appears_only_when_configured() {
    let catalog = MessageCatalog::shipped();
    let m = secret(&catalog, MessageKind::PasswordReset, true, &to("en", "UTC"));
    assert!(m.text_body().contains("Username: Anna.Berg\n"));
    assert!(m.html_body().contains("<code class=\"username\">Anna.Berg</code>"));
    assert!(m.html_body().contains(&format!("<code class=\"temporary-password\">{PASSWORD}</code>")));
}

#[test]
fn a_deployment_overrides_one_message_and_adds_a_locale() {
    let catalog = MessageCatalog::shipped()
        .with_translation(&"de".parse().unwrap(), "reset-subject = Ihr neues Passwort für Muster AG")
        .unwrap()
        .with_translation(&"it".parse().unwrap(), "reset-subject = La tua password temporanea")
        .unwrap();
    let missing = catalog.check().unwrap();
    assert!(!missing.is_empty() && missing.iter().all(|m| m.locale.as_str() == "it"));
    let de = secret(&catalog, MessageKind::PasswordReset, false, &to("de", "Europe/Berlin"));
    assert_eq!(de.subject, "Ihr neues Passwort für Muster AG");
    assert!(de.text_body().contains("Vorläufiges Passwort") || de.text_body().contains("vorläufiges Passwort"));
    let it = secret(&catalog, MessageKind::PasswordReset, false, &to("it", "Europe/Rome"));
    assert_eq!(it.subject, "La tua password temporanea");
    assert!(it.text_body().contains("Temporary password: "), "English fills the gaps");
}

#[test]
fn catalogs_that_could_send_a_broken_email_are_refused() {
    let broken = [
        ("en", "reset-password = Your password is ready."),
        ("de", "reset-password = { $temporary_password } / { $temporary_password }"),
        ("fr", "reset-intro = Bonjour { $username }"),
        ("es", "greeting = Hola { $temporary_password }"),
        ("nl", "reset-validity = Geldig voor { valid-for }."),
        ("de", "date-time = { $day }.{ $month }.{ $year }"),
        ("en", "reset-subject = Password for { $display_name }"),
        ("en", "reset-subject = Two\n    lines"),
        ("en", "reset-intro = { $no_such_variable }"),
        ("en", "reset-intro = { no-such-message }"),
        ("en", "email-changed-body = Your address changed."),
        // Shown for other hour counts than the sample's: the tree says so.
        (
            "en",
            "reset-password = { $hours ->\n    [24] { $temporary_password } { $temporary_password }\n   *[other] { $temporary_password }\n}",
        ),
        ("de", "reset-intro = { $hours ->\n    [24] { $username }\n   *[other] Hallo\n}"),
        ("fr", "reset-intro = Rappel : { reset-password }"),
        ("es", "-marca = Tienda\ngreeting = Hola { -marca($temporary_password) }"),
        ("nl", "reset-username = { $username } { $username }"),
        ("en", "reset-password = { NUMBER($temporary_password) }"),
        // A marker spelled by the translation itself.
        ("en", "reset-intro = { \"{\" }{ \"{\" }temporary_password{ \"}\" }{ \"}\" }"),
        ("en", "reset-intro = { \"\\u007B\\u007B\" }username{ \"\\u007D\\u007D\" }"),
        ("de", "-klammer = { \"{{\" }\nreset-intro = { -klammer }temporary_password"),
        // The date parts are the date-time message's own: elsewhere they would show the
        // start-up sample, not the expiry.
        ("en", "reset-validity = It is valid until { date-time }."),
        ("en", "reset-validity = Until { $expires_at } ({ weekday })."),
        ("en", "invitation-validity = Until { $expires_at }, a { $weekday }."),
        ("en", "greeting = Hello { $staff_id },"),
        ("en", "reset-intro = { $changed_by }"),
        ("en", "reset-intro = { $hours ->\n    [24] { $weekday }\n   *[other] Hello\n}"),
        (
            "en",
            "a = { b }\nb = { c }\nc = { d }\nd = { e }\ne = { f }\nf = { g }\ng = { h }\nh = { i }\ni = { j }\nj = x\nreset-intro = { a }",
        ),
        ("en", "greeting = Hello, valid until { $expires_at }"),
        // Every e-mail must show its expiry and change, whatever the hour count.
        ("en", "reset-validity = { $hours ->\n    [48] Until { $expires_at }.\n   *[other] Soon.\n}"),
        ("de", "email-changed-body = { $new_email ->\n   *[x] Am { $changed_at } an { $new_email }.\n}"),
        // A date-time must show every part on every weekday, not only the sampled Monday.
        (
            "en",
            "date-time = { $weekday ->\n    [1] { $day } { month } { $year }, { $hour }:{ $minute } { $zone }\n   *[other] { $day } { month } { $year } { $zone }\n}",
        ),
        ("de", "date-time = { $day }. { $day }. { month } { $year }, { $hour }:{ $minute } { $zone }"),
        // One line whatever the hour count, in subjects and in anything a subject shows.
        (
            "en",
            "reset-subject = { $hours ->\n    [48] Your temporary password\n   *[other]\n        Your temporary\n        password\n}",
        ),
        (
            "en",
            "reset-subject = { $hours ->\n    [48] Your temporary password\n   *[other] Your{ \"\\u000A\" }password\n}",
        ),
        (
            "en",
            "reset-subject = Valid for { valid-for }\nvalid-for = { $hours ->\n   *[other]\n        { $hours }\n        hours\n}",
        ),
        ("en", "month = { $month ->\n   *[other]\n        Nov\n        ember\n}"),
        ("en", "changed-by-sales-rep = your rep{ \"\\u000D\" }{ $staff_id }"),
    ];
    for (locale, source) in broken {
        // Refused when added (a brace-making literal) or when checked (everything else).
        let refused = match MessageCatalog::shipped().with_translation(&locale.parse().unwrap(), source) {
            Err(TranslationError::Message { .. }) => true,
            Err(other) => panic!("{locale}: {source}: refused for the wrong reason: {other}"),
            Ok(catalog) => catalog.check().is_err(),
        };
        assert!(refused, "accepted {locale}: {source}");
    }
    assert!(matches!(
        MessageCatalog::shipped().with_translation(&Locale::english(), "reset-intro = { $"),
        Err(TranslationError::Syntax { .. })
    ));
}
