//! Issue 17: the credential lifecycle. Either secret works until the first use of one
//! withdraws the other, and a recently expired temporary password is named as such to its
//! holder only, at the cost of every other failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use common::{HOUR, Harness, fast_policy, is_authenticated, is_invalid};
use customer_access::secrecy::SecretString;
use customer_access::{Actor, AuditKind, LoginOutcome, ResetOptions, ServiceError, Timestamp};

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn a_login_with_the_current_password_withdraws_the_emailed_one() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    h.self_service("anna").await;
    let temp = h.last_temporary_password();
    assert!(is_authenticated(&h.login("anna", &Harness::password_of("anna")).await));
    assert!(is_invalid(&h.login("anna", &temp).await), "a mailbox read later opens nothing");
    let log = h.service.audit_log(&h.admin, anna.id).await.unwrap();
    let withdrawn = log.last().unwrap();
    assert_eq!((withdrawn.kind, &withdrawn.actor), (AuditKind::TemporaryPasswordWithdrawn, &Actor::Contact(anna.id)));
    let record = h.store.all_records().into_iter().find(|r| r.contact.id == anna.id).unwrap();
    assert!(record.credentials.temporary.is_none() && record.credentials.ticket.is_none());
}

#[tokio::test]
async fn the_current_password_also_withdraws_a_ticket_from_the_temporary_one() {
    let h = Harness::new().await;
    h.contact("anna").await;
    h.self_service("anna").await;
    let ticket = h.ticket("anna", &h.last_temporary_password()).await;
    let version = match h.login("anna", &Harness::password_of("anna")).await {
        LoginOutcome::Authenticated { credential_version, .. } => credential_version,
        other => panic!("{other:?}"),
    };
    let redeemed = h.service.set_new_password(&ticket, &SecretString::from("brand-New-Pass-9")).await;
    assert!(matches!(redeemed, Err(ServiceError::InvalidTicket)), "{redeemed:?}");
    let again = h.login("anna", &Harness::password_of("anna")).await;
    assert!(
        matches!(again, LoginOutcome::Authenticated { credential_version, .. } if credential_version == version),
        "withdrawing the e-mailed secret ends no session: {again:?}"
    );
}

#[tokio::test]
async fn the_temporary_password_replaces_the_current_one_only_when_the_change_succeeds() {
    let h = Harness::new().await;
    h.contact("anna").await;
    h.self_service("anna").await;
    let ticket = h.ticket("anna", &h.last_temporary_password()).await;
    assert!(is_authenticated(&h.login("anna", &Harness::password_of("anna")).await), "still works before the change");
    h.self_service("anna").await;
    let ticket_b = h.ticket("anna", &h.last_temporary_password()).await;
    drop(ticket);
    h.service.set_new_password(&ticket_b, &SecretString::from("brand-New-Pass-9")).await.unwrap();
    assert!(is_invalid(&h.login("anna", &Harness::password_of("anna")).await), "the old password is replaced");
    assert!(is_authenticated(&h.login("anna", "brand-New-Pass-9").await));
}

#[tokio::test]
async fn a_revoking_staff_reset_keeps_todays_behaviour() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    h.service.staff_reset(&h.admin, anna.id, ResetOptions::revoking_current_password()).await.unwrap();
    let temp = h.last_temporary_password();
    assert!(is_invalid(&h.login("anna", &Harness::password_of("anna")).await), "the revoked password is gone");
    assert!(matches!(h.login("anna", &temp).await, LoginOutcome::PasswordChangeRequired { .. }));
}

#[tokio::test]
async fn an_expired_temporary_password_is_named_to_its_holder_for_the_notice_period() {
    let h = Harness::new().await;
    h.contact("anna").await;
    h.self_service("anna").await;
    let temp = h.last_temporary_password();
    let issued = customer_access::Clock::now(&h.clock);
    h.clock.advance(48 * HOUR);
    let expired_at = Timestamp::from_unix_millis(issued.unix_millis() + 48 * 3_600_000);
    let outcome = h.login("anna", &temp).await;
    assert!(
        matches!(outcome, LoginOutcome::TemporaryPasswordExpired { expired_at: at } if at == expired_at),
        "{outcome:?}"
    );
    assert!(is_invalid(&h.login("anna", "Wrong-Pass-42").await), "anyone else gets the one answer");
    h.clock.advance(30 * DAY - Duration::from_millis(1));
    assert!(matches!(h.login("anna", &temp).await, LoginOutcome::TemporaryPasswordExpired { .. }));
    h.clock.advance(Duration::from_millis(1));
    assert!(is_invalid(&h.login("anna", &temp).await), "after the notice period, the one answer");
    assert!(is_authenticated(&h.login("anna", &Harness::password_of("anna")).await));
    let record = h.store.all_records().into_iter().next().unwrap();
    assert!(record.credentials.temporary.is_none(), "the next login with the password erased the old hash");
}

#[tokio::test]
async fn the_notice_can_be_turned_off_and_never_reaches_a_disabled_login() {
    let mut policy = fast_policy();
    policy.expired_temporary_notice = Duration::ZERO;
    let h = Harness::with_policy(policy).await;
    h.contact("anna").await;
    h.self_service("anna").await;
    let temp = h.last_temporary_password();
    h.clock.advance(49 * HOUR);
    assert!(is_invalid(&h.login("anna", &temp).await), "turned off");

    let h = Harness::new().await;
    let bob = h.contact("bob").await;
    h.self_service("bob").await;
    let temp = h.last_temporary_password();
    h.clock.advance(49 * HOUR);
    h.service.set_login_enabled(&h.admin, bob.id, false).await.unwrap();
    assert!(is_invalid(&h.login("bob", &temp).await), "a disabled login learns nothing");
}

#[tokio::test]
async fn every_failed_login_costs_two_verifications_with_or_without_an_expired_temporary() {
    let h = Harness::new().await;
    h.contact("anna").await;
    h.contact("bob").await;
    h.self_service("anna").await;
    let temp = h.last_temporary_password();
    h.clock.advance(49 * HOUR);
    let cost = async |username: &str, password: &str| {
        let before = h.service.hash_operations();
        let outcome = h.login(username, password).await;
        (h.service.hash_operations() - before, outcome)
    };
    let (expired_wrong, o1) = cost("anna", "Wrong-Pass-42").await;
    let (plain_wrong, o2) = cost("bob", "Wrong-Pass-42").await;
    let (unknown, o3) = cost("nobody", "Wrong-Pass-42").await;
    let (expired_right, o4) = cost("anna", &temp).await;
    assert!(is_invalid(&o1) && is_invalid(&o2) && is_invalid(&o3), "{o1:?} {o2:?} {o3:?}");
    assert!(matches!(o4, LoginOutcome::TemporaryPasswordExpired { .. }), "{o4:?}");
    assert_eq!([expired_wrong, plain_wrong, unknown, expired_right], [2, 2, 2, 2]);
}

#[tokio::test]
async fn an_expired_temporary_password_stays_charged_against_the_backoff() {
    let mut policy = fast_policy();
    policy.login_backoff.free_attempts = 2;
    let h = Harness::with_policy(policy).await;
    h.contact("anna").await;
    h.self_service("anna").await;
    let temp = h.last_temporary_password();
    h.clock.advance(49 * HOUR);
    // As many attempts as any wrong password gets (the free ones and one more), then none.
    for _ in 0..3 {
        assert!(matches!(h.login("anna", &temp).await, LoginOutcome::TemporaryPasswordExpired { .. }));
    }
    let third = h.login("anna", &temp).await;
    assert!(matches!(third, LoginOutcome::LockedOut { .. }), "it opens nothing: {third:?}");
}

/// Part 3: removing a contact.
mod removal {
    use super::*;
    use customer_access::store::{ThrottleKey, UsernameKey};
    use customer_access::{StaffId, Store};

    #[tokio::test]
    async fn a_removed_contact_cannot_log_in_and_keeps_no_personal_data_or_secrets() {
        let h = Harness::new().await;
        let anna = h.contact("anna").await;
        let version = h.service.credential_version(anna.id).await.unwrap();
        h.self_service("anna").await;
        let temp = h.last_temporary_password();
        let ticket = h.ticket("anna", &temp).await;
        h.login("anna", "Wrong-Pass-42").await;
        let key = UsernameKey::from_stored("anna").unwrap();
        assert_eq!(h.store.login_failures(&ThrottleKey::username(&key)).await.unwrap().count, 1);

        h.service.remove_contact(&h.admin, anna.id).await.unwrap();
        assert_eq!(h.store.login_failures(&ThrottleKey::username(&key)).await.unwrap().count, 0, "failures erased");

        assert!(is_invalid(&h.login("anna", &Harness::password_of("anna")).await), "the password opens nothing");
        assert!(is_invalid(&h.login("anna", &temp).await), "nor the e-mailed one");
        let redeemed = h.service.set_new_password(&ticket, &SecretString::from("brand-New-Pass-9")).await;
        assert!(matches!(redeemed, Err(ServiceError::InvalidTicket)), "nor its ticket: {redeemed:?}");
        assert_ne!(h.service.credential_version(anna.id).await.unwrap(), version, "every session ends");
        let record = h.store.all_records().into_iter().find(|r| r.contact.id == anna.id).unwrap();
        let c = &record.contact;
        assert!(c.is_removed() && !c.login_enabled);
        assert!(c.username.is_empty() && c.display_name.is_empty() && !c.username_key.as_str().contains("anna"));
        assert!(!c.email.as_str().contains("anna"), "{}", c.email.as_str());
        let k = &record.credentials;
        assert!(k.password.is_none() && k.temporary.is_none() && k.ticket.is_none() && k.email_hold.is_none());
    }

    #[tokio::test]
    async fn the_username_is_free_again_and_the_audit_trail_stays() {
        let h = Harness::new().await;
        let anna = h.contact("anna").await;
        h.service.remove_contact(&h.admin, anna.id).await.unwrap();
        let again = h.contact("Anna").await;
        assert_ne!(again.id, anna.id);
        assert!(is_authenticated(&h.login("anna", &Harness::password_of("Anna")).await), "the new contact logs in");
        let log = h.service.audit_log(&h.admin, anna.id).await.unwrap();
        assert_eq!(log.first().unwrap().kind, AuditKind::ContactInvited, "the trail keeps its start");
        let removed = log.last().unwrap();
        assert_eq!((removed.kind, &removed.actor), (AuditKind::ContactRemoved, &Actor::Staff(h.admin.clone())));
        let listed = h.service.list_contacts(&h.admin, h.shop.id).await.unwrap();
        assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), vec![again.id], "the removed one is not listed");
    }

    #[tokio::test]
    async fn removal_is_idempotent_and_a_removed_contact_takes_no_staff_edits() {
        let h = Harness::new().await;
        let anna = h.contact("anna").await;
        h.service.remove_contact(&h.admin, anna.id).await.unwrap();
        let events = h.service.audit_log(&h.admin, anna.id).await.unwrap().len();
        h.service.remove_contact(&h.admin, anna.id).await.unwrap();
        assert_eq!(h.service.audit_log(&h.admin, anna.id).await.unwrap().len(), events, "nothing happens twice");
        let gone = |r: Result<_, ServiceError>| matches!(r, Err(ServiceError::ContactNotFound));
        assert!(gone(h.service.staff_reset(&h.admin, anna.id, ResetOptions::default()).await.map(drop)));
        assert!(gone(h.service.update_email(&h.admin, anna.id, "anna@elsewhere.example").await.map(drop)));
        assert!(gone(h.service.update_username(&h.admin, anna.id, "anna2").await.map(drop)));
        assert!(gone(h.service.set_login_enabled(&h.admin, anna.id, true).await.map(drop)));
        assert!(gone(h.service.unlock(&h.admin, anna.id).await));
        assert!(h.mailer.messages().iter().all(|m| !m.to.as_str().contains("removed")), "nothing is sent to it");
    }

    #[tokio::test]
    async fn only_sales_admins_and_the_retailers_ipad_users_remove() {
        let h = Harness::new().await;
        let anna = h.contact("anna").await;
        let stranger = h.ipad(7);
        let denied = h.service.remove_contact(&stranger, anna.id).await;
        assert!(matches!(denied, Err(ServiceError::Forbidden)), "{denied:?}");
        assert!(is_authenticated(&h.login("anna", &Harness::password_of("anna")).await), "nothing changed");
        let log = h.service.audit_log(&h.admin, anna.id).await.unwrap();
        assert_eq!(log.last().unwrap().kind, AuditKind::AccessDenied, "the refusal is audited");
        h.store.assign_retailer(StaffId::new(7), h.shop.id).await.unwrap();
        h.service.remove_contact(&stranger, anna.id).await.unwrap();
        let missing = h.service.remove_contact(&h.admin, customer_access::ContactId::new(999)).await;
        assert!(matches!(missing, Err(ServiceError::ContactNotFound)), "{missing:?}");
    }
}
