//! Issue 13 item 3: a staff member must not be able to take a contact's login over by
//! pointing its e-mail address at themselves and resetting. The previous address is told of
//! every staff address change at once, and for the hold that follows, a staff reset needs a
//! second staff member while a self-service reset goes to the previous address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use common::{HOUR, Harness, fast_policy};
use customer_access::mailer::{MailErrorKind, MessageKind, OutgoingMessage};
use customer_access::{AuditKind, ContactId, ResetOptions, ServiceError, Staff, StaffId, Store};
use proptest::prelude::*;

const ATTACKER: &str = "mallory@evil.example";

fn temporary_password(m: &OutgoingMessage) -> Option<String> {
    let line = m.text_body().lines().find_map(|l| l.strip_prefix("Temporary password: "))?;
    Some(line.trim().to_owned())
}

/// Does a temporary password e-mailed to `address` work for `contact` now? (Checked against
/// the stored hash, without logging in, so the check changes nothing.)
async fn holds_working_credential(h: &Harness, contact: ContactId, address: &str) -> bool {
    let record = h.store.all_records().into_iter().find(|r| r.contact.id == contact).unwrap();
    let now = customer_access::Clock::now(&h.clock);
    let Some(pending) = record.credentials.temporary.filter(|t| now < t.expires_at) else { return false };
    if !record.contact.login_enabled {
        return false;
    }
    for m in h.mailer.messages().iter().filter(|m| m.to.as_str() == address) {
        if let Some(pw) = temporary_password(m)
            && h.service.hash_pool().verify(pw.as_bytes(), Some(&pending.hash)).await.unwrap()
        {
            return true;
        }
    }
    false
}

fn notices_to(h: &Harness, address: &str) -> Vec<OutgoingMessage> {
    h.mailer
        .messages()
        .into_iter()
        .filter(|m| m.to.as_str() == address && m.kind == MessageKind::EmailChanged)
        .collect()
}

#[tokio::test]
async fn the_reviewed_takeover_sequence_is_refused_and_the_old_address_is_told() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let rep = h.ipad(7);
    h.service.store().assign_retailer(StaffId::new(7), h.shop.id).await.unwrap();
    // The rep points Anna's address at their own mailbox ...
    h.service.update_email(&rep, anna.id, ATTACKER).await.unwrap();
    let told = notices_to(&h, "anna@shop.example");
    assert_eq!(told.len(), 1, "the previous address is told at once");
    let body = told[0].text_body();
    assert!(body.contains("m***@e***.example"), "the new address, masked: {body}");
    assert!(!body.contains(ATTACKER), "never the whole new address");
    assert!(body.contains("staff member 7"), "who changed it: {body}");
    // ... and resets, revoking the current password: refused, nothing changes.
    let before = h.store.all_records();
    let refused = h.service.staff_reset(&rep, anna.id, ResetOptions::revoking_current_password()).await;
    assert!(matches!(refused, Err(ServiceError::SecondApprovalRequired { .. })), "{refused:?}");
    assert_eq!(h.store.all_records(), before, "a refused reset changes nothing");
    // Approving one's own reset (another device, same staff id) is no second approval.
    let same_person =
        Staff::IpadUser { staff_id: StaffId::new(7), device_id: customer_access::DeviceId::parse("ipad-2").unwrap() };
    let own = h.service.staff_reset(&rep, anna.id, ResetOptions::default().approved_by(same_person)).await;
    assert!(matches!(own, Err(ServiceError::SecondApprovalRequired { .. })), "{own:?}");
    // "Forgot your password" for Anna's username goes to the previous address, not the rep's.
    h.self_service("anna").await;
    let last = h.mailer.last_message().unwrap();
    assert_eq!(last.to.as_str(), "anna@shop.example", "during the hold a self-service reset goes to the old address");
    assert!(!holds_working_credential(&h, anna.id, ATTACKER).await);
    // A second staff member may approve: two people, audited under both names.
    let admin = h.admin.clone();
    h.service.staff_reset(&rep, anna.id, ResetOptions::default().approved_by(admin)).await.unwrap();
    assert_eq!(h.mailer.last_message().unwrap().to.as_str(), ATTACKER);
    let log = h.service.audit_log(&h.admin, anna.id).await.unwrap();
    assert!(log.iter().any(|e| e.kind == AuditKind::ResetApproved), "the approval is audited");
    // After the hold, the address is the contact's own again as far as resets go.
    h.clock.advance(fast_policy().staff_email_change_hold + Duration::from_secs(1));
    h.service.staff_reset(&rep, anna.id, ResetOptions::default()).await.unwrap();
}

#[tokio::test]
async fn a_failed_notice_undoes_the_change() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    h.mailer.fail_with(Some(MailErrorKind::Transient));
    let result = h.service.update_email(&h.admin, anna.id, ATTACKER).await;
    assert!(matches!(result, Err(ServiceError::Delivery(_))), "{result:?}");
    h.mailer.fail_with(None);
    let record = h.store.all_records().into_iter().find(|r| r.contact.id == anna.id).unwrap();
    assert_eq!(record.contact.email.as_str(), "anna@shop.example", "the address is back");
    let hold = record.credentials.email_hold.expect("the hold stays, naming the original address");
    assert_eq!(hold.previous.as_str(), "anna@shop.example");
    let log = h.service.audit_log(&h.admin, anna.id).await.unwrap();
    assert!(log.iter().any(|e| e.kind == AuditKind::EmailChangeNoticeFailed));
}

#[derive(Clone, Debug)]
enum Op {
    EmailToAttacker,
    EmailToOther,
    EmailBack,
    StaffReset { revoke: bool },
    SelfService,
    Rename,
    Disable,
    Enable,
    Unlock,
    Wait { hours: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::EmailToAttacker),
        1 => Just(Op::EmailToOther),
        1 => Just(Op::EmailBack),
        3 => any::<bool>().prop_map(|revoke| Op::StaffReset { revoke }),
        2 => Just(Op::SelfService),
        1 => Just(Op::Rename),
        1 => Just(Op::Disable),
        1 => Just(Op::Enable),
        1 => Just(Op::Unlock),
        2 => (0u8..=80).prop_map(|hours| Op::Wait { hours }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// No sequence of one staff member's allowed operations ends with that staff member
    /// holding a working credential for the contact unless the contact's original address
    /// was told of an address change at least the hold period earlier.
    #[test]
    fn one_staff_member_cannot_take_a_login_over(ops in proptest::collection::vec(op(), 1..12)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(async {
            let h = Harness::new().await;
            let anna = h.contact("anna").await;
            let rep = h.ipad(7);
            h.service.store().assign_retailer(StaffId::new(7), h.shop.id).await.unwrap();
            let hold = fast_policy().staff_email_change_hold;
            let mut first_told: Option<customer_access::Timestamp> = None;
            let mut name = 0;
            for op in &ops {
                let now = customer_access::Clock::now(&h.clock);
                // Every answer is allowed; what matters is the state it leaves.
                let _ = match op {
                    Op::EmailToAttacker => h.service.update_email(&rep, anna.id, ATTACKER).await.map(drop),
                    Op::EmailToOther => h.service.update_email(&rep, anna.id, "other@shop.example").await.map(drop),
                    Op::EmailBack => h.service.update_email(&rep, anna.id, "anna@shop.example").await.map(drop),
                    Op::StaffReset { revoke } => {
                        let options = if *revoke { ResetOptions::revoking_current_password() } else { ResetOptions::default() };
                        h.service.staff_reset(&rep, anna.id, options).await.map(drop)
                    }
                    Op::SelfService => {
                        let username = h.store.all_records().into_iter().find(|r| r.contact.id == anna.id).unwrap().contact.username;
                        h.self_service(&username).await;
                        Ok(())
                    }
                    Op::Rename => {
                        name += 1;
                        h.service.update_username(&rep, anna.id, &format!("anna{name}")).await.map(drop)
                    }
                    Op::Disable => h.service.set_login_enabled(&rep, anna.id, false).await.map(drop),
                    Op::Enable => h.service.set_login_enabled(&rep, anna.id, true).await.map(drop),
                    Op::Unlock => h.service.unlock(&rep, anna.id).await,
                    Op::Wait { hours } => {
                        h.clock.advance(HOUR * u32::from(*hours));
                        Ok(())
                    }
                };
                if first_told.is_none() && !notices_to(&h, "anna@shop.example").is_empty() {
                    first_told = Some(now);
                }
                if holds_working_credential(&h, anna.id, ATTACKER).await {
                    let told = first_told.expect("the original address was told before the staff member held a credential");
                    let now = customer_access::Clock::now(&h.clock);
                    assert!(now >= told.plus(hold), "a credential reached the staff member within the hold: {ops:?}");
                }
            }
        });
    }
}

#[tokio::test]
async fn staff_cannot_tell_missing_contacts_from_contacts_outside_their_scope() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let outsider = h.ipad(9); // assigned to no retailer
    let missing = ContactId::new(anna.id.get() + 1000);
    for id in [anna.id, missing] {
        let reset = h.service.staff_reset(&outsider, id, ResetOptions::default()).await;
        assert!(matches!(reset, Err(ServiceError::Forbidden)), "{id}: {reset:?}");
        let email = h.service.update_email(&outsider, id, "x@shop.example").await;
        assert!(matches!(email, Err(ServiceError::Forbidden)), "{id}: {email:?}");
        assert!(matches!(h.service.unlock(&outsider, id).await, Err(ServiceError::Forbidden)));
        assert!(matches!(h.service.audit_log(&outsider, id).await, Err(ServiceError::Forbidden)));
    }
    let denied = h.store.all_audit_events().iter().filter(|e| e.kind == AuditKind::AccessDenied).count();
    assert_eq!(denied, 8, "every denial audited, existing or not");
    // A sales admin, who may see every contact, is told the truth.
    let admin = h.service.staff_reset(&h.admin, missing, ResetOptions::default()).await;
    assert!(matches!(admin, Err(ServiceError::ContactNotFound)), "{admin:?}");
}

#[tokio::test]
async fn an_ipad_user_refused_a_retailer_is_audited() {
    let h = Harness::new().await;
    let refused = h.service.create_retailer(&h.ipad(7), "Rogue Shop").await;
    assert!(matches!(refused, Err(ServiceError::Forbidden)));
    let denied: Vec<_> = h.store.all_audit_events().into_iter().filter(|e| e.kind == AuditKind::AccessDenied).collect();
    assert_eq!(denied.len(), 1, "the refusal is audited");
    assert_eq!(denied[0].actor, customer_access::Actor::Staff(h.ipad(7)));
}

#[tokio::test]
async fn a_username_change_ends_sessions() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let before = h.service.credential_version(anna.id).await.unwrap();
    h.service.update_username(&h.admin, anna.id, "anna.b").await.unwrap();
    assert_ne!(h.service.credential_version(anna.id).await.unwrap(), before, "a username change bumps the version");
}
