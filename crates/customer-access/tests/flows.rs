//! Every rule of the design brief's flows, one test each, through the service.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use common::{HOUR, Harness, fast_policy, is_authenticated, is_invalid};
use customer_access::mailer::{MailErrorKind, MessageKind};
use customer_access::secrecy::SecretString;
use customer_access::{AuditKind, InputError, LoginOutcome, ResetOptions, SelfServiceOutcome, ServiceError, Store};

#[tokio::test]
async fn current_password_survives_a_self_service_reset() {
    let h = Harness::new().await;
    h.contact("anna").await;
    assert!(matches!(h.self_service("anna").await, SelfServiceOutcome::Sent));
    assert!(is_authenticated(&h.login("anna", &Harness::password_of("anna")).await));
}

#[tokio::test]
async fn a_new_reset_supersedes_the_older_temporary_password() {
    let h = Harness::new().await;
    h.contact("anna").await;
    h.self_service("anna").await;
    let first = h.last_temporary_password();
    h.self_service("anna").await;
    let second = h.last_temporary_password();
    assert_ne!(first, second);
    assert!(is_invalid(&h.login("anna", &first).await), "the older temporary password no longer works");
    assert!(matches!(h.login("anna", &second).await, LoginOutcome::PasswordChangeRequired { .. }));
}

#[tokio::test]
async fn the_temporary_password_never_authenticates_by_itself() {
    let h = Harness::new().await;
    h.invite("anna").await;
    let temp = h.last_temporary_password();
    for _ in 0..3 {
        let outcome = h.login("anna", &temp).await;
        assert!(matches!(outcome, LoginOutcome::PasswordChangeRequired { .. }), "{outcome:?}");
    }
}

#[tokio::test]
async fn temporary_password_expiry_is_exact_at_the_boundary() {
    let h = Harness::new().await;
    h.invite("anna").await;
    let temp = h.last_temporary_password();
    h.clock.advance(48 * HOUR - Duration::from_secs(1));
    assert!(matches!(h.login("anna", &temp).await, LoginOutcome::PasswordChangeRequired { .. }), "TTL - 1 s works");
    h.clock.advance(Duration::from_secs(1));
    let outcome = h.login("anna", &temp).await;
    assert!(matches!(outcome, LoginOutcome::TemporaryPasswordExpired { .. }), "at TTL it no longer works: {outcome:?}");
}

#[tokio::test]
async fn a_ticket_is_single_use() {
    let h = Harness::new().await;
    h.invite("anna").await;
    let ticket = h.ticket("anna", &h.last_temporary_password()).await;
    h.service.set_new_password(&ticket, &SecretString::from("plum-Kettle-42")).await.unwrap();
    let again = h.service.set_new_password(&ticket, &SecretString::from("plum-Kettle-43")).await;
    assert!(matches!(again, Err(ServiceError::InvalidTicket)), "{again:?}");
    assert!(is_authenticated(&h.login("anna", "plum-Kettle-42").await));
}

#[tokio::test]
async fn a_ticket_is_valid_for_minutes_not_hours() {
    let h = Harness::new().await;
    h.invite("anna").await;
    let temp = h.last_temporary_password();
    let ticket = h.ticket("anna", &temp).await;
    h.clock.advance(Duration::from_secs(10 * 60 - 1));
    let weak = h.service.set_new_password(&ticket, &SecretString::from("weak")).await;
    assert!(matches!(weak, Err(ServiceError::PasswordRejected(_))), "still valid at TTL - 1 s: {weak:?}");
    h.clock.advance(Duration::from_secs(1));
    let late = h.service.set_new_password(&ticket, &SecretString::from("plum-Kettle-42")).await;
    assert!(matches!(late, Err(ServiceError::InvalidTicket)), "expired at TTL: {late:?}");
    // Logging in with the temporary password again gives a fresh ticket.
    let fresh = h.ticket("anna", &temp).await;
    h.service.set_new_password(&fresh, &SecretString::from("plum-Kettle-42")).await.unwrap();
}

#[tokio::test]
async fn a_rejected_password_lists_every_violation_and_keeps_the_ticket() {
    let h = Harness::new().await;
    h.invite("anna").await;
    let temp = h.last_temporary_password();
    let ticket = h.ticket("anna", &temp).await;
    let Err(ServiceError::PasswordRejected(v)) = h.service.set_new_password(&ticket, &SecretString::from("anna")).await
    else {
        panic!("weak password accepted");
    };
    let codes: Vec<_> = v.as_slice().iter().map(|v| v.code()).collect();
    assert_eq!(codes, ["too_short", "missing_digit", "same_as_username", "common_password"]);
    let Err(ServiceError::PasswordRejected(v)) =
        h.service.set_new_password(&ticket, &SecretString::from(temp.as_str())).await
    else {
        panic!("temporary password accepted as the new one");
    };
    assert!(v.contains_code("same_as_temporary_password"));
    h.service.set_new_password(&ticket, &SecretString::from("plum-Kettle-42")).await.unwrap();
}

#[tokio::test]
async fn a_password_change_removes_the_temporary_password_and_bumps_the_version() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let LoginOutcome::Authenticated { credential_version: before, .. } =
        h.login("anna", &Harness::password_of("anna")).await
    else {
        panic!()
    };
    h.self_service("anna").await;
    let temp = h.last_temporary_password();
    let changed = h
        .service
        .change_password(anna.id, &SecretString::from(Harness::password_of("anna")), &SecretString::from("new-Pass-77"))
        .await
        .unwrap();
    assert!(changed.credential_version > before);
    assert_eq!(h.service.credential_version(anna.id).await.unwrap(), changed.credential_version);
    assert!(is_invalid(&h.login("anna", &temp).await), "the pending temporary password was withdrawn");
    assert!(is_invalid(&h.login("anna", &Harness::password_of("anna")).await));
    assert!(is_authenticated(&h.login("anna", "new-Pass-77").await));
    let notice = h.mailer.last_message().unwrap();
    assert_eq!(notice.kind, MessageKind::PasswordChanged);
}

#[tokio::test]
async fn reset_requests_are_throttled_per_contact() {
    let h = Harness::new().await;
    h.contact("anna").await;
    h.contact("bert").await;
    let sent_before = h.mailer.messages().len();
    for _ in 0..3 {
        assert!(matches!(h.self_service("anna").await, SelfServiceOutcome::Sent));
    }
    assert!(matches!(h.self_service("anna").await, SelfServiceOutcome::Throttled));
    assert_eq!(h.mailer.messages().len(), sent_before + 3, "a throttled request sends nothing");
    assert!(matches!(h.self_service("bert").await, SelfServiceOutcome::Sent), "other contacts unaffected");
    h.clock.advance(HOUR);
    assert!(matches!(h.self_service("anna").await, SelfServiceOutcome::Sent), "the window passes");
    let anna = h.store.contact_by_username(&"anna".parse_key()).await.unwrap().unwrap();
    let log = h.store.audit_log(anna.contact.id).await.unwrap();
    assert!(log.iter().any(|e| e.kind == AuditKind::SelfServiceResetThrottled));
}

trait ParseKey {
    fn parse_key(&self) -> customer_access::store::UsernameKey;
}
impl ParseKey for str {
    fn parse_key(&self) -> customer_access::store::UsernameKey {
        customer_access::policy::UsernameRules::default().canonicalize(self).unwrap()
    }
}

#[tokio::test]
async fn failed_logins_back_off_exponentially_for_known_and_unknown_usernames() {
    let h = Harness::new().await;
    h.contact("anna").await;
    for username in ["anna", "nobody"] {
        for _ in 0..5 {
            assert!(is_invalid(&h.login(username, "wrong-Pass-1").await));
        }
        assert!(is_invalid(&h.login(username, "wrong-Pass-1").await), "6th failure still answered");
        let LoginOutcome::LockedOut { retry_after } = h.login(username, "wrong-Pass-1").await else {
            panic!("{username}: locked after 6 failures")
        };
        assert_eq!(retry_after, Duration::from_secs(1));
        h.clock.advance(retry_after);
        assert!(is_invalid(&h.login(username, "wrong-Pass-1").await));
        let LoginOutcome::LockedOut { retry_after } = h.login(username, "wrong-Pass-1").await else { panic!() };
        assert_eq!(retry_after, Duration::from_secs(2), "{username}: the delay doubles");
        if username == "anna" {
            let outcome = h.login("anna", &Harness::password_of("anna")).await;
            assert!(matches!(outcome, LoginOutcome::LockedOut { .. }), "the right password does not bypass a lockout");
        }
        h.clock.advance(retry_after);
    }
}

#[tokio::test]
async fn a_password_change_clears_the_lockout_and_so_does_staff_unlock() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    for _ in 0..7 {
        h.login("anna", "wrong-Pass-1").await;
    }
    assert!(matches!(h.login("anna", "x-Pass-1").await, LoginOutcome::LockedOut { .. }));
    h.service.staff_reset(&h.admin, anna.id, ResetOptions::default()).await.unwrap();
    let temp = h.last_temporary_password();
    h.clock.advance(Duration::from_secs(16 * 60));
    let ticket = h.ticket("anna", &temp).await;
    h.service.set_new_password(&ticket, &SecretString::from("plum-Kettle-42")).await.unwrap();
    assert_eq!(
        h.store
            .login_failures(&customer_access::store::ThrottleKey::username(&"anna".parse_key()))
            .await
            .unwrap()
            .count,
        0,
        "cleared by the change"
    );

    for _ in 0..7 {
        h.login("anna", "wrong-Pass-1").await;
    }
    assert!(matches!(h.login("anna", "plum-Kettle-42").await, LoginOutcome::LockedOut { .. }));
    h.service.unlock(&h.admin, anna.id).await.unwrap();
    assert!(is_authenticated(&h.login("anna", "plum-Kettle-42").await));
}

#[tokio::test]
async fn staff_reset_can_revoke_the_current_password() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let before = h.service.credential_version(anna.id).await.unwrap();
    let receipt = h.service.staff_reset(&h.admin, anna.id, ResetOptions::revoking_current_password()).await.unwrap();
    assert!(!format!("{receipt:?}").contains(&h.last_temporary_password()));
    assert!(is_invalid(&h.login("anna", &Harness::password_of("anna")).await), "revoked");
    assert!(h.service.credential_version(anna.id).await.unwrap() > before, "sessions end");
    assert!(matches!(h.login("anna", &h.last_temporary_password()).await, LoginOutcome::PasswordChangeRequired { .. }));
}

#[tokio::test]
async fn mail_failure_withdraws_the_temporary_password() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    // Staff: a typed error; the password that was generated is not usable.
    h.mailer.fail_with(Some(MailErrorKind::Transient));
    let result = h.service.staff_reset(&h.admin, anna.id, ResetOptions::default()).await;
    let Err(ServiceError::Delivery(e)) = result else { panic!("{result:?}") };
    assert_eq!(e.kind(), MailErrorKind::Transient);
    let record = h.store.contact(anna.id).await.unwrap();
    assert!(record.credentials.temporary.is_none(), "no unsent temporary password is left behind");
    // Self-service: the requester's answer was given before; the background outcome says so.
    h.mailer.fail_with(Some(MailErrorKind::Permanent));
    assert!(matches!(h.self_service("anna").await, SelfServiceOutcome::DeliveryFailed(_)));
    assert!(h.store.contact(anna.id).await.unwrap().credentials.temporary.is_none());
    let log = h.store.audit_log(anna.id).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.kind == AuditKind::ResetEmailFailed).count(), 2, "each failure audited");
    h.mailer.fail_with(None);
    assert!(is_authenticated(&h.login("anna", &Harness::password_of("anna")).await), "current password unaffected");
}

#[tokio::test]
async fn ipad_users_manage_only_their_assigned_retailers() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let rep = h.ipad(50);
    let before = h.store.contact(anna.id).await.unwrap();
    let denied = h.service.staff_reset(&rep, anna.id, ResetOptions::default()).await;
    assert!(matches!(denied, Err(ServiceError::Forbidden)), "{denied:?}");
    assert!(matches!(h.service.update_email(&rep, anna.id, "x@y.example").await, Err(ServiceError::Forbidden)));
    assert!(matches!(h.service.list_contacts(&rep, h.shop.id).await, Err(ServiceError::Forbidden)));
    assert_eq!(h.store.contact(anna.id).await.unwrap(), before, "a denial changes nothing");
    let denials =
        h.store.audit_log(anna.id).await.unwrap().iter().filter(|e| e.kind == AuditKind::AccessDenied).count();
    assert_eq!(denials, 2, "denials are audited");
    assert!(h.service.manageable_retailers(&rep).await.unwrap().is_empty());

    h.store.assign_retailer(customer_access::StaffId::new(50), h.shop.id).await.unwrap();
    h.service.staff_reset(&rep, anna.id, ResetOptions::default()).await.unwrap();
    assert_eq!(h.service.list_contacts(&rep, h.shop.id).await.unwrap().len(), 1);
    assert_eq!(h.service.manageable_retailers(&rep).await.unwrap(), vec![h.shop.clone()]);
    let log = h.service.audit_log(&rep, anna.id).await.unwrap();
    let last = log.iter().rev().find(|e| e.kind == AuditKind::StaffResetIssued).unwrap();
    assert_eq!(last.actor, customer_access::Actor::Staff(rep.clone()), "the audit names the iPad user and device");
}

#[tokio::test]
async fn staff_edits_withdraw_pending_secrets() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    h.contact("bert").await;
    // After the e-mail change the address is on hold: a second sales admin approves.
    let second = customer_access::Staff::SalesAdmin { staff_id: customer_access::StaffId::new(2) };
    for edit in 0..3 {
        h.service.staff_reset(&h.admin, anna.id, ResetOptions::default().approved_by(second.clone())).await.unwrap();
        let temp = h.last_temporary_password();
        let username = h.store.contact(anna.id).await.unwrap().contact.username;
        match edit {
            0 => drop(h.service.update_email(&h.admin, anna.id, "anna.new@shop.example").await.unwrap()),
            1 => drop(h.service.update_username(&h.admin, anna.id, "Anna.B").await.unwrap()),
            _ => drop(h.service.set_login_enabled(&h.admin, anna.id, false).await.unwrap()),
        }
        let username = if edit == 1 { "anna.b".to_owned() } else { username };
        assert!(is_invalid(&h.login(&username, &temp).await), "edit {edit} withdrew the temporary password");
    }
    assert!(is_invalid(&h.login("anna.b", &Harness::password_of("anna")).await), "disabled login refuses");
    let again = h.service.staff_reset(&h.admin, anna.id, ResetOptions::default()).await;
    assert!(matches!(again, Err(ServiceError::LoginDisabled)));
    h.service.set_login_enabled(&h.admin, anna.id, true).await.unwrap();
    assert!(is_authenticated(&h.login("ANNA.B", &Harness::password_of("anna")).await));
    let taken = h.service.update_username(&h.admin, anna.id, "BERT").await;
    assert!(matches!(taken, Err(ServiceError::UsernameTaken)), "{taken:?}");
    let kinds: Vec<_> = h.service.audit_log(&h.admin, anna.id).await.unwrap().iter().map(|e| e.kind).collect();
    for k in [AuditKind::EmailChanged, AuditKind::UsernameChanged, AuditKind::LoginDisabled, AuditKind::LoginEnabled] {
        assert!(kinds.contains(&k), "{k} audited");
    }
}

#[tokio::test]
async fn the_username_goes_into_the_email_only_when_configured() {
    let h = Harness::new().await;
    h.contact("anna").await;
    h.self_service("anna").await;
    assert!(!h.mailer.last_message().unwrap().text_body().contains("anna"));
    let mut policy = fast_policy();
    policy.include_username_in_reset_email = true;
    let h = Harness::with_policy(policy).await;
    h.contact("anna").await;
    h.self_service("anna").await;
    assert!(h.mailer.last_message().unwrap().text_body().contains("Username: anna"));
}

#[tokio::test]
async fn outdated_hashes_are_upgraded_on_login() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let mut stronger = fast_policy();
    stronger.argon2.memory_kib = 128;
    let upgraded =
        customer_access::AccessService::new(h.store.clone(), h.mailer.clone(), h.clock.clone(), stronger).unwrap();
    let before = h.store.contact(anna.id).await.unwrap().credentials;
    let outcome = upgraded.login("anna", &SecretString::from(Harness::password_of("anna"))).await.unwrap();
    assert!(is_authenticated(&outcome));
    let after = h.store.contact(anna.id).await.unwrap().credentials;
    assert!(after.password.unwrap().as_phc().contains("m=128,"), "re-hashed with the new parameters");
    assert_eq!(after.credential_version, before.credential_version, "same password: sessions survive");
    assert!(is_authenticated(
        &upgraded.login("anna", &SecretString::from(Harness::password_of("anna"))).await.unwrap()
    ));
}

#[tokio::test]
async fn bad_input_is_refused_before_any_hashing() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let ops = h.service.hash_operations();
    let huge = "a1".repeat(1 << 19);
    assert!(matches!(
        h.service.login("anna", &SecretString::from(huge.as_str())).await,
        Err(ServiceError::Input(InputError::PasswordTooLong { max: 128 }))
    ));
    assert!(matches!(
        h.service.login("an\r\nna", &SecretString::from("x")).await,
        Err(ServiceError::Input(InputError::Username(_)))
    ));
    assert!(h.service.request_password_reset("").is_err());
    assert!(h.service.request_password_reset(&"a".repeat(1 << 20)).is_err());
    let ticket = h
        .ticket("anna", &{
            h.service.staff_reset(&h.admin, anna.id, ResetOptions::default()).await.unwrap();
            h.last_temporary_password()
        })
        .await;
    let ops = h.service.hash_operations().max(ops);
    let rejected = h.service.set_new_password(&ticket, &SecretString::from(huge.as_str())).await;
    assert!(matches!(rejected, Err(ServiceError::PasswordRejected(v)) if v.contains_code("too_long")));
    assert!(matches!(
        h.service.set_new_password(&SecretString::from("7.garbage"), &SecretString::from("x")).await,
        Err(ServiceError::InvalidTicket)
    ));
    assert_eq!(h.service.hash_operations(), ops, "no hash work for refused input");
    let bad = customer_access::NewContact {
        retailer: h.shop.id,
        username: "carl".into(),
        email: "carl@shop.example\r\nBcc: all@evil.example".into(),
        display_name: "Carl".into(),
        preferences: Default::default(),
    };
    assert!(matches!(h.service.invite(&h.admin, &bad).await, Err(ServiceError::Input(InputError::Email(_)))));
    assert_eq!(h.store.all_records().len(), 1, "nothing stored");
}

#[tokio::test]
async fn a_full_hashing_queue_answers_overloaded() {
    let mut policy = common::fast_policy();
    policy.argon2 = customer_access::policy::Argon2Settings::default();
    policy.max_concurrent_hashes = 1;
    policy.hash_queue_depth = 1;
    let h = Harness::with_policy(policy).await;
    let results = futures_like_join((0..8).map(|i| {
        let s = h.service.clone();
        async move { s.login(&format!("user{i}"), &SecretString::from("wrong-Pass-1")).await }
    }))
    .await;
    assert!(results.iter().any(|r| matches!(r, Err(ServiceError::Overloaded))), "{results:?}");
    assert!(results.iter().any(|r| matches!(r, Ok(LoginOutcome::InvalidCredentials))));
}

/// Every caller waiting for the hashing pool holds a login future: its size is memory per
/// waiting caller (benchmark 5 runs 10,000 of them), so rare branches are boxed.
#[tokio::test]
async fn a_waiting_login_holds_little_memory() {
    let h = Harness::new().await;
    let password = SecretString::from("wrong-Pass-1");
    let size = std::mem::size_of_val(&h.service.login("anna", &password));
    assert!(size <= 2048, "a login future is {size} bytes");
}

async fn futures_like_join<F: std::future::Future + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
