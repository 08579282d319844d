//! Attacks on issue 18 through the service (memory store): staff reset budgets bypassed by
//! other operations that hand out a temporary password, and iPad users reading more of the
//! audit log than their retailers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use common::{Harness, rep};
use customer_access::{
    AuditKind, AuditScope, Clock, ContactId, DeviceId, NewContact, ResetOptions, ServiceError, StaffId, Store,
};

/// The harness of these tests: see `Harness::with_budgets`.
async fn harness() -> Harness {
    Harness::with_budgets(2, 2, 20, &[7]).await
}

/// Attack: a rep whose reset budget is used up (a stolen iPad) keeps taking over logins by
/// removing a contact and inviting its username again with an address the rep reads.
/// Unlike a staff reset, whose temporary password goes to the contact's own address, this
/// delivers a working first password for the victim's username to the rep, needs no second
/// approval (there is no e-mail change, so no hold) and is counted by no budget.
/// Expected: once the rep's budget is used up, handing a removed contact's username to a
/// new address is refused too (invitations of a freed username count as resets, or have a
/// budget of their own), and no temporary password reaches the rep's mailbox.
#[tokio::test]
async fn removing_and_reinviting_a_username_does_not_escape_the_reset_budget() {
    let h = harness().await;
    let mut victims = Vec::new();
    for i in 0..5 {
        victims.push((format!("victim{i}"), h.contact(&format!("victim{i}")).await.id));
    }
    let thief = rep(7, "ipad-lost");
    for (_, id) in &victims[..2] {
        h.service.staff_reset(&thief, *id, ResetOptions::default()).await.unwrap();
    }
    let refused = h.service.staff_reset(&thief, victims[2].1, ResetOptions::default()).await;
    assert!(matches!(refused, Err(ServiceError::ResetBudgetExceeded { .. })), "precondition: budget used up");

    let mut handed_over = Vec::new();
    for (username, id) in &victims[2..] {
        // Refused now: a removal counts against the same budgets as a reset.
        let removal = h.service.remove_contact(&thief, *id).await;
        assert!(matches!(removal, Ok(()) | Err(ServiceError::ResetBudgetExceeded { .. })), "{removal:?}");
        let again = NewContact {
            retailer: h.shop.id,
            username: username.clone(),
            email: "thief@evil.example".to_owned(),
            display_name: "Valued Contact".to_owned(),
            preferences: Default::default(),
        };
        if h.service.invite(&thief, &again).await.is_ok() {
            handed_over.push(username.clone());
        }
    }
    let to_thief = h.mailer.messages().iter().filter(|m| m.to.as_str() == "thief@evil.example").count();
    assert!(
        handed_over.is_empty() && to_thief == 0,
        "past its reset budget the iPad still took over {handed_over:?} ({to_thief} temporary passwords mailed to the rep)"
    );
}

/// Attack: iPads change hands. Rep 8 (assigned only to another retailer) is given the iPad
/// rep 7 used at the shop, and reads the device's slice of the log, which `audit_page`
/// allows for "their own device". Expected: an iPad user sees no event of a retailer they
/// may not manage (Forbidden, or those events left out).
#[tokio::test]
async fn a_shared_ipad_does_not_show_another_reps_retailers() {
    let h = harness().await;
    let elsewhere = h.service.create_retailer(&h.admin, "Elsewhere").await.unwrap();
    h.service.store().assign_retailer(StaffId::new(8), elsewhere.id).await.unwrap();
    let victim = h.contact("shopcontact").await.id;
    h.service.staff_reset(&rep(7, "ipad-shared"), victim, ResetOptions::default()).await.unwrap();

    let reader = rep(8, "ipad-shared");
    let device = AuditScope::Device(DeviceId::parse("ipad-shared").unwrap());
    if let Ok(page) = h.service.audit_page(&reader, &device, None, 100).await {
        let foreign: Vec<_> = page.iter().filter(|r| r.event.retailer == Some(h.shop.id)).collect();
        assert!(foreign.is_empty(), "rep 8 read the shop's events through the device: {foreign:?}");
    }
}

/// Attack: contact-id enumeration across retailers. An iPad user gets the same audited
/// `Forbidden` for a contact outside their retailers and for an id no contact has (the
/// threat model's claim, `takeover.rs::staff_cannot_tell_missing_contacts_from_contacts_outside_their_scope`).
/// But the rep may read their own slice of the log (`AuditScope::Staff`), and the denial
/// events there carry the probed contact's real retailer for an existing contact and none
/// for a missing one: probe, then read your own events. Expected: the two denials look the
/// same in anything the rep can read.
#[tokio::test]
async fn an_ipad_users_own_log_does_not_tell_missing_contacts_from_foreign_ones() {
    let h = harness().await;
    let elsewhere = h.service.create_retailer(&h.admin, "Elsewhere").await.unwrap();
    let foreign = h
        .service
        .invite(
            &h.admin,
            &NewContact {
                retailer: elsewhere.id,
                username: "foreign".to_owned(),
                email: "foreign@elsewhere.example".to_owned(),
                display_name: "F".to_owned(),
                preferences: Default::default(),
            },
        )
        .await
        .unwrap()
        .id;
    let missing = ContactId::new(foreign.get() + 1000);
    let prober = rep(7, "ipad-a");
    for id in [foreign, missing] {
        let answer = h.service.staff_reset(&prober, id, ResetOptions::default()).await;
        assert!(matches!(answer, Err(ServiceError::Forbidden)), "precondition: same answer for both");
    }

    let own = h.service.audit_page(&prober, &AuditScope::Staff(StaffId::new(7)), None, 100).await.unwrap();
    let denial = |id: ContactId| {
        own.iter()
            .find(|r| r.event.kind == AuditKind::AccessDenied && r.event.contact == Some(id))
            .map(|r| r.event.retailer)
    };
    assert_eq!(
        denial(foreign),
        denial(missing),
        "the rep's own log tells an existing contact of another retailer (and which retailer) from a missing id"
    );
}

/// Attack on the log's accuracy with the approval path: while an address is on hold, a
/// reset approved by a second staff member but refused by the budget leaves a
/// `reset_approved` event (appended on its own, before the budgeted write) for a reset that
/// never happened. Expected: the approval is recorded in the reset's own atomic write, so a
/// refused reset leaves no approval behind.
#[tokio::test]
async fn a_reset_refused_by_the_budget_leaves_no_approval_behind() {
    let h = harness().await;
    h.service.store().assign_retailer(StaffId::new(8), h.shop.id).await.unwrap();
    let a = h.contact("first").await.id;
    let b = h.contact("second").await.id;
    let held = h.contact("held").await.id;
    let requester = rep(7, "ipad-a");
    for id in [a, b] {
        h.service.staff_reset(&requester, id, ResetOptions::default()).await.unwrap();
    }
    h.service.update_email(&h.admin, held, "new@shop.example").await.unwrap();
    let refused = h.service.staff_reset(&requester, held, ResetOptions::default().approved_by(rep(8, "ipad-b"))).await;
    assert!(matches!(refused, Err(ServiceError::ResetBudgetExceeded { .. })), "{refused:?}");
    let log = h.service.audit_log(&h.admin, held).await.unwrap();
    let approvals = log.iter().filter(|e| e.kind == AuditKind::ResetApproved).count();
    assert_eq!(approvals, 0, "the log says a reset was approved, but none was issued: {log:#?}");
}

/// Attack (or a badly set clock): retention run from a host whose clock is ahead. The store
/// removes "every event before the oldest one stamped at or after `before`, all of them if
/// there is none", with `before` from the pruning host's clock only, so a prune whose clock
/// runs two days ahead, asked to keep the longest budget window (one day), removes the whole
/// log: the resets of the last minutes go, every budget starts again from zero, and the
/// chain still verifies from the new base. Expected: retention never removes events younger
/// than `keep` measured against the log itself (for instance: `before` capped at the newest
/// event's `at` minus `keep`), so the rep's spent budget stays spent.
#[tokio::test]
async fn retention_from_a_clock_ahead_does_not_forget_the_budgets() {
    let h = harness().await;
    let ids = [h.contact("one").await.id, h.contact("two").await.id, h.contact("three").await.id];
    let thief = rep(7, "ipad-lost");
    for id in &ids[..2] {
        h.service.staff_reset(&thief, *id, ResetOptions::default()).await.unwrap();
    }
    let ahead = customer_access::ManualClock::new(h.clock.now());
    ahead.advance(Duration::from_secs(2 * 86_400));
    let pruner =
        customer_access::AccessService::new(h.store.clone(), h.mailer.clone(), ahead, *h.service.policy()).unwrap();
    pruner.prune_audit(Duration::from_secs(86_400)).await.unwrap();
    let third = h.service.staff_reset(&thief, ids[2], ResetOptions::default()).await;
    assert!(
        matches!(third, Err(ServiceError::ResetBudgetExceeded { .. })),
        "a prune from a clock two days ahead erased the last minutes' resets; the spent budget came back: {third:?}"
    );
}
