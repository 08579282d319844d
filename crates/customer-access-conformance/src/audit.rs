//! What the tamper-evident audit log asks of a store: one unbroken chain however many
//! writers append at once, keyset pages per scope, retention that keeps the chain
//! verifiable, and staff reset budgets counted inside the reset's own write.

use std::sync::Arc;

use customer_access::policy::{Argon2Settings, Budget};
use customer_access::store::BudgetCheck;
use customer_access::{
    AccessService, Actor, AnchorCheck, AuditKind, AuditRecord, AuditScope, ChainLink, ContactId, DeviceId, ManualClock,
    NewContact, RecordingMailer, ResetOptions, SecurityPolicy, ServiceError, Staff, StaffId, Store, Timestamp,
    verify_audit,
};

use crate::fixtures::{at, changed, event, ipad, new_contact};

/// Concurrent writers in the chain and budget checks.
const WRITERS: usize = 20;

/// Every event in `scope`, newest first, read in pages of `size`.
async fn all_pages<S: Store>(store: &S, scope: &AuditScope, size: u32) -> Vec<AuditRecord> {
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let page = store.audit_page(scope, before, size).await.unwrap();
        assert!(page.len() <= size as usize, "a page holds at most `limit` events");
        assert!(page.windows(2).all(|w| w[0].seq > w[1].seq), "a page is newest first");
        let Some(last) = page.last() else { break };
        before = Some(last.seq);
        all.extend(page);
    }
    all
}

/// Concurrent `save`, `append_audit` and `create_contact` calls, each with events, leave one
/// chain: sequence numbers 1..=n without gaps, each linked to the one before, the head on
/// the newest, and `verify_audit` satisfied.
pub async fn audit_chain_stays_one_line_under_concurrency<S: Store>(store: S) {
    let store = Arc::new(store);
    let shop = store.create_retailer("Shop").await.unwrap();
    let mut contacts = Vec::new();
    for i in 0..WRITERS {
        contacts.push(store.create_contact(&new_contact(shop.id, &format!("chain{i}")), &[]).await.unwrap());
    }
    let tasks: Vec<_> = contacts
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let id = Some(record.contact.id);
                let e = |kind, ms| event(id, shop.id, kind, ipad(), ms);
                match i % 3 {
                    0 => {
                        let events = [e(AuditKind::StaffResetIssued, 1), e(AuditKind::ResetEmailSent, 2)];
                        store.save(record.credentials.revision, &changed(&record), &events).await.unwrap();
                    }
                    1 => store.append_audit(&[e(AuditKind::AccessDenied, 3), e(AuditKind::Unlocked, 4)]).await.unwrap(),
                    _ => {
                        let new = new_contact(shop.id, &format!("late{i}"));
                        let events =
                            [event(None, shop.id, AuditKind::ContactInvited, ipad(), 5), e(AuditKind::Unlocked, 6)];
                        store.create_contact(&new, &events).await.unwrap();
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let expected = (WRITERS * 2) as u64;
    let ends = store.audit_chain().await.unwrap();
    assert_eq!(ends.base, ChainLink::GENESIS, "nothing was pruned");
    assert_eq!(ends.head.seq, expected, "every event has its place: {ends:?}");
    let all = all_pages(&*store, &AuditScope::All, 7).await;
    let seqs: Vec<u64> = all.iter().rev().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=expected).collect::<Vec<_>>(), "sequence numbers 1..=n, no gaps");
    assert_eq!(all[0].link(), ends.head, "the head is the newest event");
    let verified = verify_audit(&*store, None).await.unwrap_or_else(|e| panic!("the chain is intact: {e}"));
    assert_eq!(verified.events, expected);
    let invited: Vec<_> = all.iter().filter(|r| r.event.kind == AuditKind::ContactInvited).collect();
    assert!(invited.iter().all(|r| r.event.contact.is_some()), "create_contact fills the new id in before chaining");
}

/// Pages per scope hold exactly the scope's events, newest first, and `before` continues
/// where the last page ended; `audit_log` agrees with the contact scope.
pub async fn audit_pages_by_scope<S: Store>(store: S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    let other = store.create_retailer("Other").await.unwrap();
    let anna = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap().contact.id;
    let bob = store.create_contact(&new_contact(other.id, "bob"), &[]).await.unwrap().contact.id;
    let admin = Actor::Staff(Staff::SalesAdmin { staff_id: StaffId::new(5) });
    let second_ipad =
        Actor::Staff(Staff::IpadUser { staff_id: StaffId::new(77), device_id: DeviceId::parse("ipad-8").unwrap() });
    let mut written = Vec::new();
    for i in 0..12i64 {
        let (contact, retailer) = if i % 2 == 0 { (anna, shop.id) } else { (bob, other.id) };
        let actor = match i % 3 {
            0 => ipad(),
            1 => admin.clone(),
            _ => second_ipad.clone(),
        };
        let e = event(Some(contact), retailer, AuditKind::Unlocked, actor, i);
        store.append_audit(std::slice::from_ref(&e)).await.unwrap();
        written.push(e);
    }
    let scopes = [
        AuditScope::All,
        AuditScope::Contact(anna),
        AuditScope::Retailer(other.id),
        AuditScope::Staff(StaffId::new(77)),
        AuditScope::Staff(StaffId::new(5)),
        AuditScope::Device(DeviceId::parse("ipad-7:B").unwrap()),
        AuditScope::Device(DeviceId::parse("ipad-8").unwrap()),
        AuditScope::Contact(ContactId::new(999)),
    ];
    for scope in &scopes {
        let read: Vec<_> = all_pages(&store, scope, 3).await.into_iter().map(|r| r.event).collect();
        let mut expected: Vec<_> = written.iter().filter(|e| scope.matches(e)).cloned().collect();
        expected.reverse();
        assert_eq!(read, expected, "scope {scope}: exactly its events, newest first");
    }
    let newest_two = store.audit_page(&AuditScope::All, None, 2).await.unwrap();
    let next = store.audit_page(&AuditScope::All, Some(newest_two[1].seq), 1).await.unwrap();
    assert_eq!(next[0].seq, newest_two[1].seq - 1, "`before` is exclusive");
    let log = store.audit_log(anna).await.unwrap();
    let expected: Vec<_> = written.iter().filter(|e| e.contact == Some(anna)).cloned().collect();
    assert_eq!(log, expected, "audit_log is the contact's events, oldest first");
}

/// Retention keeps the last event stamped before the cut as the base, removes the older
/// ones, keeps the chain verifiable, and removes nothing when nothing else is that old.
pub async fn audit_retention_keeps_the_chain_verifiable<S: Store>(store: S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    let anna = store.create_contact(&new_contact(shop.id, "anna"), &[]).await.unwrap().contact.id;
    for ms in [0, 10, 20, 30, 40] {
        store.append_audit(&[event(Some(anna), shop.id, AuditKind::Unlocked, ipad(), ms)]).await.unwrap();
    }
    let before = store.audit_chain().await.unwrap();
    let old_anchor = customer_access::AuditAnchor { link: ChainLink { seq: 1, ..before.head }, cut_at: at(0) };
    let third = store.audit_page(&AuditScope::All, Some(4), 1).await.unwrap().remove(0);

    let unchanged = store.prune_audit(at(-1)).await.unwrap();
    assert_eq!(unchanged, before, "nothing is that old: nothing removed");

    let ends = store.prune_audit(at(25)).await.unwrap();
    assert_eq!(ends.base, third.link(), "the last event before the cut (stamped 20) is the base");
    assert_eq!(ends.head, before.head, "the head stays");
    assert_eq!(store.audit_chain().await.unwrap(), ends);
    let kept: Vec<u64> = all_pages(&store, &AuditScope::All, 10).await.iter().map(|r| r.seq).collect();
    assert_eq!(kept, vec![5, 4, 3], "events stamped 30 and 40 stay, and the base (20) is kept");
    let verified = verify_audit(&store, None).await.unwrap_or_else(|e| panic!("still verifiable: {e}"));
    assert_eq!(verified.events, 3);
    assert_eq!(verified.base_at, Some(at(20)), "the base's time, vouched for by the chain");
    let anchored = verify_audit(&store, Some(&old_anchor)).await.unwrap();
    assert_eq!(anchored.anchor, AnchorCheck::BeforeBase, "an anchor older than the base proves nothing now");

    store.append_audit(&[event(Some(anna), shop.id, AuditKind::Unlocked, ipad(), 50)]).await.unwrap();
    let all = store.prune_audit(at(1_000)).await.unwrap();
    assert_eq!(all.base, all.head, "pruning everything keeps the newest event as the base");
    let left = store.audit_page(&AuditScope::All, None, 10).await.unwrap();
    assert_eq!(left.iter().map(|r| r.link()).collect::<Vec<_>>(), vec![all.head], "and only it");
    verify_audit(&store, None).await.unwrap();
}

/// `save_within_budgets` counts inside the write: of concurrent budgeted saves (one per
/// contact) against a budget of 5, exactly 5 succeed, the rest write nothing and name the
/// exhausted check; events outside the window or the scope do not count.
pub async fn budgets_hold_under_concurrency<S: Store>(store: S) {
    let store = Arc::new(store);
    let shop = store.create_retailer("Shop").await.unwrap();
    let mut contacts = Vec::new();
    for i in 0..WRITERS {
        contacts.push(store.create_contact(&new_contact(shop.id, &format!("budget{i}")), &[]).await.unwrap());
    }
    // Outside the window, and another device's: neither counts.
    let other =
        Actor::Staff(Staff::IpadUser { staff_id: StaffId::new(9), device_id: DeviceId::parse("ipad-9").unwrap() });
    store.append_audit(&[event(None, shop.id, AuditKind::StaffResetIssued, ipad(), -10_000)]).await.unwrap();
    store.append_audit(&[event(None, shop.id, AuditKind::StaffResetIssued, other, 0)]).await.unwrap();
    let device = AuditScope::Device(DeviceId::parse("ipad-7:B").unwrap());
    let checks = [
        BudgetCheck::new(AuditScope::Retailer(shop.id), &[AuditKind::StaffResetIssued], at(-1), 100),
        BudgetCheck::new(device, &[AuditKind::StaffResetIssued, AuditKind::ContactRemoved], at(-1), 5),
    ];
    let tasks: Vec<_> = contacts
        .into_iter()
        .map(|record| {
            let store = Arc::clone(&store);
            let checks = checks.clone();
            tokio::spawn(async move {
                let events = [event(Some(record.contact.id), shop.id, AuditKind::StaffResetIssued, ipad(), 1)];
                let next = changed(&record);
                let result = store.save_within_budgets(record.credentials.revision, &next, &events, &checks).await;
                (record, result.unwrap())
            })
        })
        .collect();
    let mut saved = 0;
    for t in tasks {
        let (record, result) = t.await.unwrap();
        let stored = store.contact(record.contact.id).await.unwrap();
        match result {
            Ok(()) => {
                saved += 1;
                assert_eq!(stored.credentials.revision, record.credentials.revision.next());
            }
            Err(over) => {
                assert_eq!(over.check, 1, "the device's budget is the exhausted one");
                assert_eq!(stored, record, "a refused save writes nothing");
            }
        }
    }
    assert_eq!(saved, 5, "{saved} of {WRITERS} concurrent saves passed a budget of 5");
    let issued = all_pages(&*store, &AuditScope::All, 100).await;
    let issued = issued.iter().filter(|r| r.event.kind == AuditKind::StaffResetIssued).count();
    assert_eq!(issued, 5 + 2, "only the admitted saves' events were written");
    verify_audit(&*store, None).await.unwrap();
}

/// Through the service: 20 concurrent staff resets from one iPad against a device budget
/// of 5 give exactly 5 resets; the other 15 are `ResetBudgetExceeded`, audited, and
/// reported to the alert hook.
pub async fn staff_reset_budget_through_the_service<S: Store>(store: S) {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    policy.staff_reset_budgets.per_device = Budget::new(5, std::time::Duration::from_secs(3600));
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let service = AccessService::new(store, RecordingMailer::new(), clock, policy).unwrap();
    let alerts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&alerts);
    service.set_alert_hook(move |alert| sink.lock().unwrap().push(alert.clone()));
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let rep = Staff::IpadUser { staff_id: StaffId::new(77), device_id: DeviceId::parse("ipad-7").unwrap() };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    service.store().assign_retailer(StaffId::new(77), shop.id).await.unwrap();
    let mut contacts = Vec::new();
    for i in 0..WRITERS {
        let new = NewContact {
            retailer: shop.id,
            username: format!("reset{i}"),
            email: format!("reset{i}@shop.example"),
            display_name: "Reset".to_owned(),
            preferences: Default::default(),
        };
        contacts.push(service.invite(&admin, &new).await.unwrap().id);
    }
    let tasks: Vec<_> = contacts
        .iter()
        .map(|&contact| {
            let (service, rep) = (service.clone(), rep.clone());
            tokio::spawn(async move { service.staff_reset(&rep, contact, ResetOptions::default()).await })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(ServiceError::ResetBudgetExceeded { scope: AuditScope::Device(_), max: 5, .. }) => refused += 1,
            Err(other) => panic!("a reset beyond the budget must be ResetBudgetExceeded, got {other:?}"),
        }
    }
    assert_eq!((ok, refused), (5, WRITERS - 5), "exactly the budget of resets went through");
    let events = all_pages(service.store(), &AuditScope::Device(DeviceId::parse("ipad-7").unwrap()), 100).await;
    let count = |kind| events.iter().filter(|r| r.event.kind == kind).count();
    assert_eq!(count(AuditKind::StaffResetIssued), 5);
    assert_eq!(count(AuditKind::ResetBudgetExceeded), WRITERS - 5, "every refusal is audited");
    assert_eq!(alerts.lock().unwrap().len(), WRITERS - 5, "and reported to the hook");
    verify_audit(service.store(), None).await.unwrap();
}
