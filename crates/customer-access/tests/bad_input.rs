//! The bad-input catalogue: every public entry point of the service, fed empty, 1 MiB, NUL,
//! control characters, CR/LF, unnormalised and confusable Unicode, and ids that do not exist.
//! Each gets its typed error, nothing stored changes, and input refused for its form costs no
//! hash operation at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use common::Harness;
use customer_access::secrecy::SecretString;
use customer_access::{
    ContactId, InputError, LoginOutcome, NewContact, ResetOptions, RetailerId, ServiceError, TextProblem,
};

const MIB: usize = 1 << 20;

/// The hostile strings, with a label.
fn inputs() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("1 MiB", "a".repeat(MIB)),
        ("NUL", "an\0na".into()),
        ("control", "an\u{7}na".into()),
        ("CR/LF", "anna\r\nBcc: all@evil.example".into()),
        ("confusable", "\u{430}nna".into()), // Cyrillic a
        ("dotless i", "adm\u{131}n".into()),
        ("line separator", "an\u{2028}na".into()),
    ]
}

fn input_error(r: &Result<impl std::fmt::Debug, ServiceError>) -> bool {
    matches!(r, Err(ServiceError::Input(_)))
}

/// Everything stored, as comparable text.
fn snapshot(h: &Harness) -> String {
    format!("{:?}|{:?}|{:?}", h.store.all_records(), h.store.all_audit_events(), h.store.all_login_failures())
}

#[tokio::test]
async fn every_entry_point_refuses_hostile_input_without_changing_anything() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let good = Harness::password_of("anna");
    h.service.staff_reset(&h.admin, anna.id, ResetOptions::default()).await.unwrap();
    let temp = h.last_temporary_password();
    let ticket = h.ticket("anna", &temp).await;
    let admin = h.admin.clone();

    for (label, bad) in inputs() {
        let before = snapshot(&h);
        let ops = h.service.hash_operations();
        let mut results: Vec<(&str, bool)> = Vec::new();
        let s = &h.service;
        let new = |username: &str, email: &str, name: &str| NewContact {
            retailer: h.shop.id,
            username: username.to_owned(),
            email: email.to_owned(),
            display_name: name.to_owned(),
            preferences: Default::default(),
        };

        // Usernames: typed input errors (the confusable and dotless ones included).
        results.push(("login username", input_error(&s.login(&bad, &SecretString::from(good.as_str())).await)));
        results.push(("forgot-password username", s.request_password_reset(&bad).is_err()));
        results.push(("invite username", input_error(&s.invite(&admin, &new(&bad, "x@shop.example", "X")).await)));
        results.push(("update username", input_error(&s.update_username(&admin, anna.id, &bad).await)));
        // E-mail addresses and names.
        results.push(("invite e-mail", input_error(&s.invite(&admin, &new("newbie", &bad, "X")).await)));
        results.push(("update e-mail", input_error(&s.update_email(&admin, anna.id, &bad).await)));
        let name_refused = matches!(label, "empty" | "1 MiB" | "NUL" | "control" | "CR/LF" | "line separator");
        if name_refused {
            results.push(("invite name", input_error(&s.invite(&admin, &new("newbie", "x@shop.example", &bad)).await)));
            results.push(("retailer name", input_error(&s.create_retailer(&admin, &bad).await)));
        }
        // Passwords at login and as the current password: refused before hashing when no
        // policy-conforming password can look like this.
        if matches!(label, "empty" | "1 MiB" | "NUL" | "control" | "CR/LF") {
            results.push(("login password", input_error(&s.login("anna", &SecretString::from(bad.as_str())).await)));
            results.push((
                "current password",
                input_error(
                    &s.change_password(
                        anna.id,
                        &SecretString::from(bad.as_str()),
                        &SecretString::from("Plum-Kettle-42"),
                    )
                    .await,
                ),
            ));
        }
        // New passwords: every violation as typed codes; the ticket stays valid.
        let new_pw = s.set_new_password(&ticket, &SecretString::from(bad.as_str())).await;
        results.push(("new password (ticket)", matches!(new_pw, Err(ServiceError::PasswordRejected(_)))));
        let changed =
            s.change_password(anna.id, &SecretString::from(good.as_str()), &SecretString::from(bad.as_str())).await;
        results.push(("new password (change)", matches!(changed, Err(ServiceError::PasswordRejected(_)))));
        // Tickets.
        let t = s.set_new_password(&SecretString::from(bad.as_str()), &SecretString::from("Plum-Kettle-42")).await;
        results.push(("ticket", matches!(t, Err(ServiceError::InvalidTicket))));

        for (entry, ok) in &results {
            assert!(ok, "{label}: {entry} was not refused with its typed error");
        }
        assert_eq!(snapshot(&h), before, "{label}: something stored changed");
        if label == "1 MiB" {
            assert_eq!(h.service.hash_operations(), ops, "an oversized input costs no hash operation");
        }
    }

    // Unnormalised forms of a valid username are the same username, not an error.
    let outcome = h.login("ＡＮＮＡ", &good).await;
    assert!(matches!(outcome, LoginOutcome::Authenticated { .. }), "{outcome:?}");

    // Ids that do not exist.
    let before = snapshot(&h);
    let ghost = ContactId::new(999_999);
    let nowhere = RetailerId::new(999_999);
    let s = &h.service;
    assert!(matches!(s.staff_reset(&admin, ghost, ResetOptions::default()).await, Err(ServiceError::ContactNotFound)));
    assert!(matches!(s.set_login_enabled(&admin, ghost, false).await, Err(ServiceError::ContactNotFound)));
    assert!(matches!(s.unlock(&admin, ghost).await, Err(ServiceError::ContactNotFound)));
    assert!(matches!(s.audit_log(&admin, ghost).await, Err(ServiceError::ContactNotFound)));
    assert!(matches!(s.update_email(&admin, ghost, "x@shop.example").await, Err(ServiceError::ContactNotFound)));
    assert!(matches!(s.credential_version(ghost).await, Err(ServiceError::ContactNotFound)));
    assert!(matches!(
        s.change_password(ghost, &SecretString::from(good.as_str()), &SecretString::from("Plum-Kettle-42")).await,
        Err(ServiceError::ContactNotFound)
    ));
    assert!(matches!(s.list_contacts(&admin, nowhere).await, Err(ServiceError::RetailerNotFound)));
    let orphan = NewContact {
        retailer: nowhere,
        username: "orphan".into(),
        email: "orphan@shop.example".into(),
        display_name: "Orphan".into(),
        preferences: Default::default(),
    };
    assert!(matches!(s.invite(&admin, &orphan).await, Err(ServiceError::RetailerNotFound)));
    let forged = format!("999999.{}", "A".repeat(43));
    assert!(matches!(
        s.set_new_password(&SecretString::from(forged.as_str()), &SecretString::from("Plum-Kettle-42")).await,
        Err(ServiceError::InvalidTicket)
    ));
    assert_eq!(snapshot(&h), before, "invalid ids change nothing");

    // The refusals name the problem.
    let e = s.invite(&admin, &NewContact { display_name: "A\r\nB".into(), ..orphan }).await.unwrap_err();
    assert!(matches!(e, ServiceError::Input(InputError::Text { problem: TextProblem::ControlCharacter, .. })), "{e:?}");
    assert!(e.to_string().contains("control characters"), "{e}");
}
