//! Finding a contact among many: keyset pages of a retailer's contacts from the store, and
//! the service's search over them, which must never reach outside the staff member's
//! retailers.

use customer_access::policy::Argon2Settings;
use customer_access::{
    AccessService, ContactId, ContactPage, ContactQuery, ContactSearch, NewContact, RecordingMailer, RetailerId,
    SecurityPolicy, ServiceError, Staff, StaffId, Store, SystemClock,
};

use crate::fixtures::new_contact;

/// `contacts_after` pages through exactly one retailer's contacts in id order, each page
/// starting after the id it is given, at most `limit` long.
pub async fn contacts_page_by_keyset<S: Store>(store: S) {
    let shop = store.create_retailer("Shop").await.unwrap();
    let other = store.create_retailer("Other").await.unwrap();
    let mut expected = Vec::new();
    for i in 0..7 {
        expected.push(store.create_contact(&new_contact(shop.id, &format!("shop-{i}")), &[]).await.unwrap());
        // Interleaved ids: another retailer's contacts sit between this one's.
        store.create_contact(&new_contact(other.id, &format!("other-{i}")), &[]).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after: Option<ContactId> = None;
    loop {
        let page = store.contacts_after(shop.id, after, 3).await.unwrap();
        assert!(page.len() <= 3, "contacts_after: at most `limit` contacts, got {}", page.len());
        let Some(last) = page.last() else { break };
        after = Some(last.contact.id);
        seen.extend(page);
    }
    assert_eq!(seen, expected, "contacts_after: every contact of the retailer once, in id order, none of another's");
    let first = store.contacts_after(shop.id, None, 1).await.unwrap();
    assert_eq!(first, expected[..1], "contacts_after(None): from the first contact");
    let middle = expected[3].contact.id;
    let rest = store.contacts_after(shop.id, Some(middle), 100).await.unwrap();
    assert_eq!(rest, expected[4..], "contacts_after: strictly after the given id");
    let nowhere = RetailerId::new(other.id.get() + 1000);
    assert!(store.contacts_after(nowhere, None, 10).await.unwrap().is_empty(), "an unknown retailer has none");
    let decoy = RetailerId::new(0);
    assert!(store.contacts_after(decoy, None, 10).await.unwrap().is_empty(), "the decoy is never listed");
}

/// Through the service: a search finds contacts by name, username or e-mail, ignoring case,
/// page by page; removed contacts never appear; an iPad user searching a retailer they do
/// not manage is refused exactly alike whether anything there would match, and a search in
/// their own retailer never returns another retailer's contacts.
pub async fn contact_search_stays_in_scope<S: Store>(store: S) {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    let service = AccessService::new(store, RecordingMailer::new(), SystemClock, policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let foreign = service.create_retailer(&admin, "Foreign").await.unwrap();
    let people = [
        ("anna", "Anna Berg", "anna@shop.example"),
        ("bosse", "Bo Lind", "bo.bergman@shop.example"),
        ("cleo", "Cleo Ström", "cleo@shop.example"),
        ("dan", "Dan Åberg", "dan@shop.example"),
        ("BERGIT", "Eva Holm", "eva@shop.example"),
        ("fia", "Fia Öst", "fia@shop.example"),
    ];
    let mut ids = Vec::new();
    for (username, name, email) in people {
        ids.push(invite(&service, &admin, shop.id, username, name, email).await);
    }
    invite(&service, &admin, foreign.id, "berg-foreign", "Berg Foreign", "berg@foreign.example").await;
    service.remove_contact(&admin, ids[0]).await.unwrap();

    // "BERG" in a name (Berg is removed), an e-mail, a name with "Å", a username.
    let berg = ContactSearch::parse("BERG").unwrap();
    let all = pages(&service, &admin, shop.id, ContactQuery::new(2).matching(berg.clone())).await;
    let found: Vec<_> = all.iter().map(|c| c.username.as_str()).collect();
    assert_eq!(found, ["bosse", "dan", "BERGIT"], "search: name, username or e-mail, any case, removed left out");
    let strom = ContactSearch::parse("ström").unwrap();
    let page = service.contacts_page(&admin, shop.id, &ContactQuery::new(10).matching(strom)).await.unwrap();
    assert_eq!(page.contacts.len(), 1, "search: non-ASCII letters match");
    let everyone = pages(&service, &admin, shop.id, ContactQuery::new(4)).await;
    assert_eq!(everyone.len(), 5, "no search: every contact but the removed one");
    assert!(everyone.iter().all(|c| c.retailer == shop.id), "only the retailer's own contacts");

    // An iPad user who manages `shop` only.
    let rep =
        Staff::IpadUser { staff_id: StaffId::new(7), device_id: customer_access::DeviceId::parse("ipad-7:B").unwrap() };
    service.store().assign_retailer(rep.staff_id(), shop.id).await.unwrap();
    let mine = pages(&service, &rep, shop.id, ContactQuery::new(50).matching(berg.clone())).await;
    assert!(mine.iter().all(|c| c.retailer == shop.id), "an iPad user's search stays in their retailers");
    let matching = ContactQuery::new(50).matching(berg);
    let not_matching = ContactQuery::new(50).matching(ContactSearch::parse("zzz-nobody").unwrap());
    let nowhere = RetailerId::new(foreign.id.get() + 1000);
    for (retailer, query) in [(foreign.id, &matching), (foreign.id, &not_matching), (nowhere, &matching)] {
        let refused = service.contacts_page(&rep, retailer, query).await;
        assert!(
            matches!(refused, Err(ServiceError::Forbidden)),
            "a search outside an iPad user's retailers is Forbidden whatever it would find: {refused:?}"
        );
    }
    let oversized =
        service.contacts_page(&admin, shop.id, &ContactQuery::new(customer_access::MAX_CONTACT_PAGE + 1)).await;
    assert!(matches!(oversized, Err(ServiceError::Input(_))), "a page size over the maximum is refused: {oversized:?}");
}

async fn invite<S: Store>(
    service: &AccessService<S, RecordingMailer, SystemClock>,
    admin: &Staff,
    retailer: RetailerId,
    username: &str,
    display_name: &str,
    email: &str,
) -> ContactId {
    let new = NewContact {
        retailer,
        username: username.into(),
        email: email.into(),
        display_name: display_name.into(),
        preferences: Default::default(),
    };
    service.invite(admin, &new).await.unwrap().id
}

/// Every page of `query`, followed to the end.
async fn pages<S: Store>(
    service: &AccessService<S, RecordingMailer, SystemClock>,
    staff: &Staff,
    retailer: RetailerId,
    mut query: ContactQuery,
) -> Vec<customer_access::Contact> {
    let mut all = Vec::new();
    loop {
        let ContactPage { contacts, next, .. } = service.contacts_page(staff, retailer, &query).await.unwrap();
        assert!(contacts.len() <= query.limit as usize, "a page holds at most `limit` contacts");
        all.extend(contacts);
        match next {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return all,
        }
    }
}
