//! Second attack pass on issue 18's review fixes, through the service (memory store):
//! budgets escaped by another way of freeing a username, a refused removal that still
//! changes something, retention's base judged with one host's clock, and an anchor reported
//! matched after retention raced the walk.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use common::{Harness, rep};
use customer_access::{
    AccessService, AuditBreak, Clock, ManualClock, NewContact, ResetOptions, ServiceError, Store, VerifyError,
};

/// The harness of these tests: see `Harness::with_budgets`.
async fn harness() -> Harness {
    Harness::with_budgets(2, 2, 20, &[7]).await
}

/// Attack: the first review made removals count against the reset budgets because "a
/// removal frees the username for an invitation to any address, so removing and inviting
/// again is a reset by other means". Renaming frees the username just as well, and
/// `update_username` is in no budget: a rep whose budget is used up (a stolen iPad) renames
/// the victim's login, invites the victim's old username with an address the rep reads,
/// and receives a working temporary password for it, as often as it likes.
/// Expected: past the budget, handing a contact's username to a new address by renaming
/// and inviting is refused like removing and inviting is (a username change counts against
/// the same budgets, or an invitation of a recently freed username does), and no temporary
/// password reaches the rep's mailbox.
#[tokio::test]
async fn renaming_and_reinviting_a_username_does_not_escape_the_reset_budget() {
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
    let removal = h.service.remove_contact(&thief, victims[2].1).await;
    assert!(matches!(removal, Err(ServiceError::ResetBudgetExceeded { .. })), "precondition: removal refused");

    let mut handed_over = Vec::new();
    for (username, id) in &victims[2..] {
        let renamed = h.service.update_username(&thief, *id, &format!("{username}-old")).await;
        assert!(matches!(renamed, Ok(_) | Err(ServiceError::ResetBudgetExceeded { .. })), "{renamed:?}");
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
        "past its reset budget the iPad renamed and re-invited {handed_over:?} ({to_thief} temporary passwords \
         mailed to the rep)"
    );
}

/// False alarm on an untouched log: two instances share the store and the one that prunes
/// runs one second ahead of the one that verifies; the verifier checks the log within that
/// second after the prune (the skew is how long the false alarm lasts). Retention keeps exactly the longest budget window, the minimum it allows, and
/// picks as base the last event before "newest event (stamped by the fast instance) minus
/// `keep`"; the verifying instance then calls that base younger than "its now minus the
/// window" and reports `BaseTooRecent` ("recent events were deleted") although nobody
/// touched the log. Expected: `verify_audit` on an untouched, legitimately pruned log
/// succeeds whatever instance pruned it (for instance: judge the base against the newest
/// event's time as well as the verifier's clock, as retention does, or allow for skew).
#[tokio::test]
async fn retention_by_a_slightly_fast_instance_is_not_reported_as_deleted_events() {
    let h = harness().await;
    let window = h.service.policy().staff_reset_budgets.longest_window();
    let fast = ManualClock::new(h.clock.now());
    fast.advance(Duration::from_secs(1));
    let pruner = AccessService::new(h.store.clone(), h.mailer.clone(), fast.clone(), *h.service.policy()).unwrap();

    // Events a few hundred milliseconds apart, stamped by the verifying instance.
    for i in 0..4 {
        h.contact(&format!("early{i}")).await;
        h.clock.advance(Duration::from_millis(300));
    }
    // Just under a window after the last of them (half a second under, on the verifying
    // instance's clock), the fast instance writes the newest event and prunes, keeping one
    // window; the verifying instance checks the log straight after.
    h.clock.advance(window - Duration::from_millis(800));
    fast.advance(window + Duration::from_millis(400));
    pruner.create_retailer(&h.admin, "Late").await.unwrap();
    pruner.prune_audit(window).await.unwrap();

    let verified = h.service.verify_audit(None).await;
    assert!(
        !matches!(verified, Err(VerifyError::Broken(AuditBreak::BaseTooRecent { .. }))),
        "an untouched log pruned by an instance one second ahead is reported as having had recent events \
         deleted: {verified:?}"
    );
    verified.unwrap();
}

/// Attack on "past a budget the staff call gets a typed error, nothing changes": a removal
/// refused by the budget has already cleared the contact's failed-login count (the removal
/// clears it before its budgeted save, and does not restore it when the save is refused).
/// A rep whose budget is used up (a stolen iPad) lifts a contact's lockout as often as it
/// likes through refused removals while someone guesses the password, and the log shows
/// only refused removals, never an `unlocked` event as `unlock` would write.
/// Expected: a removal the budget refuses leaves the contact's failed-login count as it was.
#[tokio::test]
async fn a_removal_refused_by_the_budget_leaves_the_lockout_alone() {
    use customer_access::store::ThrottleKey;
    let h = harness().await;
    let victim = h.contact("victim").await.id;
    let others = [h.contact("other0").await.id, h.contact("other1").await.id];
    for _ in 0..3 {
        h.login("victim", "wrong-guess").await;
    }
    let key = ThrottleKey::username(&h.store.contact(victim).await.unwrap().contact.username_key);
    let before = h.store.login_failures(&key).await.unwrap();
    assert!(before.count > 0, "precondition: failed logins charged");

    let thief = rep(7, "ipad-lost");
    for id in others {
        h.service.staff_reset(&thief, id, ResetOptions::default()).await.unwrap();
    }
    let removal = h.service.remove_contact(&thief, victim).await;
    assert!(matches!(removal, Err(ServiceError::ResetBudgetExceeded { .. })), "precondition: {removal:?}");
    let after = h.store.login_failures(&key).await.unwrap();
    assert_eq!(after, before, "a removal refused by the budget cleared the victim's failed-login count");
}

#[path = "attack_audit2/racing.rs"]
mod racing;

/// Misreport while retention races a verification walk (another instance prunes during the
/// walk, which the fix explicitly supports). The anchor given lies above the chain's base
/// when the walk starts, but below what has not been walked yet; retention then moves the
/// base past it and removes the anchored event before the walk gets there. The walk accepts
/// the moved base, and reports the anchor `Matched` ("the chain still holds the anchored
/// event unchanged") although the anchored event was never compared with anything and is no
/// longer stored. Someone with write access who rewrote the chain from below the anchor can
/// stage such a "retention" (delete up to a new base, move the base) during a walk and get
/// a `Matched` instead of the `BeforeBase` ("proves nothing") that the same state gives to
/// the next walk. Expected: an anchor whose event the walk did not compare is never
/// reported `Matched` (here: `BeforeBase`, since the final base lies past it).
#[tokio::test]
async fn an_anchor_retention_removed_during_the_walk_is_not_reported_matched() {
    use customer_access::{Actor, AnchorCheck, AuditEvent, AuditKind, Timestamp, cut_anchor, verify_audit};
    let store = racing::RacingStore::default();
    let t0 = 1_795_828_920_000_i64;
    let event = |ms: i64| AuditEvent {
        at: Timestamp::from_unix_millis(ms),
        actor: Actor::System,
        retailer: None,
        contact: None,
        kind: AuditKind::Unlocked,
    };
    for i in 0..50 {
        store.inner.append_audit(&[event(t0 + i)]).await.unwrap();
    }
    let anchor = cut_anchor(&store.inner, Timestamp::from_unix_millis(t0 + 50)).await.unwrap();
    assert_eq!(anchor.link.seq, 50);
    for i in 50..600 {
        store.inner.append_audit(&[event(t0 + i)]).await.unwrap();
    }
    for _ in 0..10 {
        store.inner.append_audit(&[event(t0 + 3 * 86_400_000)]).await.unwrap();
    }
    // The walk reads 610..99 in its first page; retention (base: event 599) runs before the
    // second.
    store.prune_before_page(2, Timestamp::from_unix_millis(t0 + 599));
    let verified = verify_audit(&store, Some(&anchor)).await.unwrap();
    assert_eq!(store.inner.audit_chain().await.unwrap().base.seq, 599, "precondition: retention ran mid-walk");
    assert_ne!(
        verified.anchor,
        AnchorCheck::Matched,
        "anchor 50 was never compared (retention removed it during the walk; the base is now 599), yet it is \
         reported as matched: {verified:?}"
    );
}
