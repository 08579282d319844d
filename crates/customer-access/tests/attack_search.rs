//! Attacks on issue 20's contact search and keyset pages (`AccessService::contacts_page`),
//! against 02da134.
//!
//! Failed on 02da134 (fixed since):
//!
//! - `a_one_contact_page_over_tombstones_takes_a_few_store_reads`: without a search the
//!   service reads the store `limit` rows at a time, so a page of one contact over a run of
//!   removed contacts costs one store round trip per tombstone (up to `CONTACT_SCAN_LIMIT`
//!   = 2000 round trips per call; with the trait's default `contacts_after`, as in the store
//!   guide's store, each of them reads the whole retailer). Any staff member of the retailer
//!   can repeat it; the bound the docs promise is on rows, not on queries.
//!
//! Pass (regression tests for defences that hold):
//!
//! - `a_foreign_retailer_is_refused_alike_whatever_a_search_would_find_there`
//! - `bad_page_sizes_are_refused_before_any_store_call`
//! - `a_cursor_from_another_retailer_shows_nothing_of_it`
//! - `removed_contacts_never_match_not_even_the_tombstone_text`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::hooked::{Call, Hooked, Hooks};
use common::{fast_policy, rep};
use customer_access::policy::Budget;
use customer_access::store::StoreResult;
use customer_access::{
    AccessService, AuditKind, AuditScope, ContactId, ContactQuery, ContactSearch, InputError, MAX_CONTACT_PAGE,
    ManualClock, MemoryStore, NewContact, RecordingMailer, RetailerId, ServiceError, Staff, StaffId, Store, Timestamp,
};

/// Records the name of every store call while armed.
#[derive(Clone, Debug, Default)]
struct Recorder {
    armed: Arc<AtomicBool>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start(&self) {
        self.calls.lock().unwrap().clear();
        self.armed.store(true, Ordering::SeqCst);
    }

    fn stop(&self) -> Vec<String> {
        self.armed.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

impl Hooks for Recorder {
    async fn before(&self, _: &MemoryStore, call: Call<'_>) -> StoreResult<()> {
        if self.armed.load(Ordering::SeqCst) {
            // `Save` carries its events; the name is enough here.
            let name = format!("{call:?}");
            let name = name.split([' ', '{', '(']).next().unwrap_or_default().to_owned();
            self.calls.lock().unwrap().push(name);
        }
        Ok(())
    }
}

type Recorded = Hooked<Recorder>;
type Service = AccessService<Recorded, RecordingMailer, ManualClock>;

struct Setup {
    service: Service,
    store: Recorded,
    admin: Staff,
}

fn setup() -> Setup {
    let store = Recorded::default();
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let mut policy = fast_policy();
    // Room for the many invitations the set-ups make (the budgets are not under attack here).
    policy.staff_reset_budgets.per_device = Budget::new(10_000, common::HOUR);
    policy.staff_reset_budgets.per_staff_member = Budget::new(10_000, common::HOUR);
    policy.staff_reset_budgets.per_retailer = Budget::new(10_000, common::HOUR);
    let service = AccessService::new(store.clone(), RecordingMailer::new(), clock.clone(), policy).unwrap();
    Setup { service, store, admin: Staff::SalesAdmin { staff_id: StaffId::new(1) } }
}

impl Setup {
    async fn invite(&self, retailer: RetailerId, username: &str, name: &str) -> ContactId {
        let new = NewContact {
            retailer,
            username: username.into(),
            email: format!("{username}@shop.example"),
            display_name: name.into(),
            preferences: Default::default(),
        };
        self.service.invite(&self.admin, &new).await.unwrap().id
    }

    async fn denials(&self) -> usize {
        let events = self.store.inner.audit_page(&AuditScope::All, None, 10_000).await.unwrap();
        events.iter().filter(|r| r.event.kind == AuditKind::AccessDenied).count()
    }
}

/// Failed on 02da134 (fixed since). A retailer whose first 300 contacts were removed, then one live
/// contact: a page of one costs a store round trip per tombstone.
#[tokio::test]
async fn a_one_contact_page_over_tombstones_takes_a_few_store_reads() {
    let s = setup();
    let shop = s.service.create_retailer(&s.admin, "Shop").await.unwrap();
    for i in 0..300 {
        let id = s.invite(shop.id, &format!("gone{i}"), &format!("Gone {i}")).await;
        s.service.remove_contact(&s.admin, id).await.unwrap();
    }
    s.invite(shop.id, "zed", "Zed Live").await;
    let rep = rep(7, "ipad-7:A");
    s.store.inner.assign_retailer(rep.staff_id(), shop.id).await.unwrap();

    s.store.start();
    let page = s.service.contacts_page(&rep, shop.id, &ContactQuery::new(1)).await.unwrap();
    let calls = s.store.stop();
    assert_eq!(page.contacts.iter().map(|c| c.username.as_str()).collect::<Vec<_>>(), ["zed"]);
    // Each `contacts_after` of this store is one `contacts_of_retailer` (the trait's default).
    let page_reads = calls.iter().filter(|c| *c == "ContactsOfRetailer").count();
    // A search reads 250 rows a time: at most 8 reads for CONTACT_SCAN_LIMIT rows. A page
    // without a search should not cost more round trips than a search does.
    assert!(
        page_reads <= 10,
        "a one-contact page over 300 tombstones took {page_reads} store reads (each of the whole retailer \
         with the default contacts_after): a cheap request to make the store do up to 2000 queries"
    );
}

/// Passes. An iPad user asking for a retailer outside theirs gets the same audited
/// `Forbidden` after the same store calls whether the retailer exists, is large, has a
/// contact matching the search, or does not exist at all.
#[tokio::test]
async fn a_foreign_retailer_is_refused_alike_whatever_a_search_would_find_there() {
    let s = setup();
    let mine = s.service.create_retailer(&s.admin, "Mine").await.unwrap();
    let small = s.service.create_retailer(&s.admin, "Small foreign").await.unwrap();
    let large = s.service.create_retailer(&s.admin, "Large foreign").await.unwrap();
    s.invite(mine.id, "own", "Own Contact").await;
    s.invite(small.id, "secret-berg", "Secret Berg").await;
    for i in 0..30 {
        s.invite(large.id, &format!("berg{i}"), &format!("Berg {i}")).await;
    }
    let nowhere = RetailerId::new(large.id.get() + 1_000);
    let rep = rep(7, "ipad-7:A");
    s.store.inner.assign_retailer(rep.staff_id(), mine.id).await.unwrap();

    let berg = ContactQuery::new(10).matching(ContactSearch::parse("berg").unwrap());
    let nobody = ContactQuery::new(10).matching(ContactSearch::parse("zz-nobody").unwrap());
    let plain = ContactQuery::new(MAX_CONTACT_PAGE);
    let mut seen = Vec::new();
    for (retailer, query) in [
        (small.id, &berg),
        (small.id, &nobody),
        (large.id, &berg),
        (large.id, &plain),
        (nowhere, &berg),
        (nowhere, &plain),
        (RetailerId::new(0), &berg),
        (RetailerId::new(-1), &berg),
    ] {
        let before = s.denials().await;
        s.store.start();
        let result = s.service.contacts_page(&rep, retailer, query).await;
        let calls = s.store.stop();
        assert!(matches!(result, Err(ServiceError::Forbidden)), "{retailer}: {result:?}");
        assert_eq!(s.denials().await, before + 1, "{retailer}: every denial is audited");
        seen.push(calls);
    }
    assert!(seen.iter().all(|c| *c == seen[0]), "the same store calls for every refused retailer: {seen:?}");
    assert_eq!(seen[0], ["AssignedRetailers", "AppendAudit"], "nothing of the retailer is read");
}

/// Passes. A page size outside `1..=MAX_CONTACT_PAGE`, or a negative cursor, is a typed
/// error before any store call (no authorisation read, no audit, nothing of the retailer).
#[tokio::test]
async fn bad_page_sizes_are_refused_before_any_store_call() {
    let s = setup();
    let shop = s.service.create_retailer(&s.admin, "Shop").await.unwrap();
    let rep = rep(7, "ipad-7:A");
    for staff in [&s.admin, &rep] {
        for limit in [0, MAX_CONTACT_PAGE + 1, u32::MAX] {
            let mut query = ContactQuery::new(1).matching(ContactSearch::parse("a").unwrap());
            query.limit = limit;
            s.store.start();
            let result = s.service.contacts_page(staff, shop.id, &query).await;
            let calls = s.store.stop();
            assert!(
                matches!(result, Err(ServiceError::Input(InputError::PageSize { max: MAX_CONTACT_PAGE }))),
                "{limit}: {result:?}"
            );
            assert!(calls.is_empty(), "{limit}: no store call before the size is checked: {calls:?}");
        }
        // A negative cursor (no page returns one) likewise; it would reach below the decoy.
        let query = ContactQuery::new(10).after(Some(customer_access::ContactId::new(-1)));
        s.store.start();
        let result = s.service.contacts_page(staff, shop.id, &query).await;
        let calls = s.store.stop();
        assert!(matches!(result, Err(ServiceError::Input(InputError::PageCursor))), "{result:?}");
        assert!(calls.is_empty(), "no store call before the cursor is checked: {calls:?}");
    }
}

/// Passes. A cursor naming another retailer's contact (or an id nobody has, or a removed
/// contact's) starts the page at that id in the caller's own retailer and shows nothing
/// of the other retailer: the answer is the same as for any id in the same gap.
#[tokio::test]
async fn a_cursor_from_another_retailer_shows_nothing_of_it() {
    let s = setup();
    let mine = s.service.create_retailer(&s.admin, "Mine").await.unwrap();
    let foreign = s.service.create_retailer(&s.admin, "Foreign").await.unwrap();
    let a = s.invite(mine.id, "own-a", "Own A").await;
    let theirs = s.invite(foreign.id, "their-berg", "Their Berg").await;
    let gone = s.invite(foreign.id, "gone-berg", "Gone Berg").await;
    s.service.remove_contact(&s.admin, gone).await.unwrap();
    let b = s.invite(mine.id, "own-berg", "Own Berg").await;
    let rep = rep(7, "ipad-7:A");
    s.store.inner.assign_retailer(rep.staff_id(), mine.id).await.unwrap();

    for search in [None, Some(ContactSearch::parse("berg").unwrap())] {
        let mut answers = Vec::new();
        for cursor in [a, theirs, gone, ContactId::new(b.get() - 1)] {
            let mut query = ContactQuery::new(5).after(Some(cursor));
            query.search.clone_from(&search);
            let page = s.service.contacts_page(&rep, mine.id, &query).await.unwrap();
            assert!(page.contacts.iter().all(|c| c.retailer == mine.id), "{page:?}");
            answers.push(page);
        }
        assert!(answers.iter().all(|p| *p == answers[0]), "a foreign cursor tells nothing: {answers:?}");
        assert_eq!(answers[0].contacts.iter().map(|c| c.id).collect::<Vec<_>>(), [b]);
    }
}

/// Passes. A removed contact's tombstone is never listed, whatever the search: not its
/// former name, nor the reserved text tombstones carry instead.
#[tokio::test]
async fn removed_contacts_never_match_not_even_the_tombstone_text() {
    let s = setup();
    let shop = s.service.create_retailer(&s.admin, "Shop").await.unwrap();
    let gone = s.invite(shop.id, "gone-anna", "Anna Gone").await;
    s.service.remove_contact(&s.admin, gone).await.unwrap();
    s.invite(shop.id, "bosse", "Bo Live").await;
    for text in ["anna", "gone", "removed", "removed@removed.invalid", ".invalid", "@", "."] {
        let query = ContactQuery::new(MAX_CONTACT_PAGE).matching(ContactSearch::parse(text).unwrap());
        let page = s.service.contacts_page(&s.admin, shop.id, &query).await.unwrap();
        assert!(page.contacts.iter().all(|c| c.id != gone && !c.is_removed()), "{text}: {page:?}");
    }
    let all = s.service.contacts_page(&s.admin, shop.id, &ContactQuery::new(MAX_CONTACT_PAGE)).await.unwrap();
    assert_eq!(all.contacts.iter().map(|c| c.username.as_str()).collect::<Vec<_>>(), ["bosse"]);
}
