//! What a bulk import asks of a store: external ids found again, a batch written whole or not
//! at all, and concurrent batches that agree on who created what.

use std::collections::BTreeSet;
use std::sync::Arc;

use customer_access::store::StoreErrorKind;
use customer_access::store::import::{
    ExternalId, ImportBatch, ImportRetailer, ImportedUpdate, NewImportedContact, NewImportedRetailer, RetailerRename,
};
use customer_access::{AuditEvent, AuditKind, RetailerId, Store};

use crate::fixtures::{event, ipad, key, new_contact};

fn ext(id: &str) -> ExternalId {
    ExternalId::parse(id).unwrap()
}

/// An event whose retailer and contact the store fills in.
fn unassigned(kind: AuditKind) -> AuditEvent {
    AuditEvent { retailer: None, ..event(None, RetailerId::new(0), kind, ipad(), 0) }
}

/// A batch creating retailer `retailer` and one contact of it per `(external id, username)`.
fn creating(retailer: &str, contacts: &[(&str, &str)]) -> ImportBatch {
    let mut batch = ImportBatch::default();
    batch.new_retailers.push(NewImportedRetailer {
        external_id: ext(retailer),
        name: format!("Shop {retailer}"),
        events: vec![unassigned(AuditKind::RetailerImported)],
    });
    for (external, username) in contacts {
        batch.new_contacts.push(NewImportedContact {
            external_id: ext(external),
            retailer: ImportRetailer::New(0),
            record: new_contact(RetailerId::new(0), username),
            events: vec![unassigned(AuditKind::ContactImported)],
        });
    }
    batch
}

/// A batch creates its retailers and contacts with their external ids and events (the new
/// ids filled in), all found again by `import_lookup`; an update and a rename apply as
/// compare-and-swap; unknown ids are simply not returned.
pub async fn import_batches_round_trip<S: Store>(store: S) {
    let empty = store.import_lookup(&[ext("R1")], &[ext("C1")], &[key("ana")]).await.unwrap();
    assert_eq!(empty, Default::default(), "nothing is found in an empty store");

    let applied = store.import_batch(&creating("R1", &[("C1", "ana"), ("C2", "bob")])).await.unwrap();
    assert_eq!((applied.retailers.len(), applied.contacts.len()), (1, 2), "one id per created row");
    let shop = applied.retailers[0];
    let found = store
        .import_lookup(&[ext("R1"), ext("R9")], &[ext("C1"), ext("C2"), ext("C9")], &[key("ana"), key("zed")])
        .await
        .unwrap();
    assert_eq!(found.retailers.len(), 1, "the retailer by its external id, the unknown one left out");
    assert_eq!((found.retailers[0].0.as_str(), found.retailers[0].1.id), ("R1", shop));
    assert_eq!(found.retailers[0].1.name, "Shop R1");
    let mut contacts: Vec<_> = found.contacts.iter().map(|(e, r)| (e.as_str().to_owned(), r.contact.id)).collect();
    contacts.sort();
    assert_eq!(contacts, vec![("C1".to_owned(), applied.contacts[0]), ("C2".to_owned(), applied.contacts[1])]);
    assert!(found.contacts.iter().all(|(_, r)| r.contact.retailer == shop), "contacts of the new retailer");
    assert_eq!(found.usernames, vec![(key("ana"), applied.contacts[0])], "the holder of a username key");

    let log = store.audit_log(applied.contacts[0]).await.unwrap();
    assert_eq!(log.len(), 1, "the contact's event, with its id filled in");
    assert_eq!((log[0].kind, log[0].retailer), (AuditKind::ContactImported, Some(shop)));
    assert_eq!(store.audit_chain().await.unwrap().head.seq, 3, "every event of the batch chained");

    let ana = found.contacts.iter().find(|(e, _)| e.as_str() == "C1").unwrap().1.clone();
    let mut changed = crate::fixtures::changed(&ana);
    changed.contact.display_name = "Ana B.".into();
    let update = |expected| ImportedUpdate {
        expected,
        record: changed.clone(),
        events: vec![event(Some(ana.contact.id), shop, AuditKind::ContactReimported, ipad(), 1)],
    };
    let rename = RetailerRename { id: shop, name: "Renamed".into(), events: vec![] };
    let batch = ImportBatch {
        updates: vec![update(ana.credentials.revision)],
        renamed_retailers: vec![rename.clone()],
        ..Default::default()
    };
    store.import_batch(&batch).await.unwrap();
    assert_eq!(store.contact(ana.contact.id).await.unwrap(), changed, "the update is stored field for field");
    assert_eq!(store.retailer(shop).await.unwrap().name, "Renamed");
    let stale = ImportBatch { updates: vec![update(ana.credentials.revision)], ..Default::default() };
    assert_eq!(
        store.import_batch(&stale).await.unwrap_err().kind(),
        StoreErrorKind::Conflict,
        "a stale revision is Conflict"
    );
}

/// A batch with one bad part (a taken username, a taken external id, a stale revision, an
/// unknown retailer) writes nothing at all: no retailer, no contact, no external id, no event.
pub async fn import_batch_is_all_or_nothing<S: Store>(store: S) {
    let first = store.import_batch(&creating("R1", &[("C1", "ana")])).await.unwrap();
    let taken = store.create_contact(&new_contact(first.retailers[0], "bob"), &[]).await.unwrap();
    let before = (store.retailers().await.unwrap(), store.audit_chain().await.unwrap());

    let cases = [
        ("a username key already taken", creating("R2", &[("C2", "carl"), ("C3", "bob")]), StoreErrorKind::Duplicate),
        (
            "a contact external id already taken",
            creating("R2", &[("C2", "carl"), ("C1", "dora")]),
            StoreErrorKind::Duplicate,
        ),
        ("a retailer external id already taken", creating("R1", &[("C2", "carl")]), StoreErrorKind::Duplicate),
        ("two rows of one username", creating("R2", &[("C2", "carl"), ("C3", "Carl")]), StoreErrorKind::Duplicate),
    ];
    for (what, batch, kind) in cases {
        let error = store.import_batch(&batch).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{what}");
        assert_eq!(
            (store.retailers().await.unwrap(), store.audit_chain().await.unwrap()),
            before,
            "{what}: nothing written"
        );
        let found = store.import_lookup(&[ext("R2")], &[ext("C2"), ext("C3")], &[key("carl")]).await.unwrap();
        assert_eq!(found, Default::default(), "{what}: no external id or contact kept");
    }

    let mut stale = creating("R2", &[("C2", "carl")]);
    let mut changed = crate::fixtures::changed(&taken);
    changed.contact.display_name = "Bob B.".into();
    stale.updates.push(ImportedUpdate { expected: changed.credentials.revision, record: changed, events: vec![] });
    assert_eq!(store.import_batch(&stale).await.unwrap_err().kind(), StoreErrorKind::Conflict, "a stale update");
    assert_eq!(
        (store.retailers().await.unwrap(), store.audit_chain().await.unwrap()),
        before,
        "a stale update: nothing written"
    );

    let mut orphan = creating("R2", &[]);
    let mut row = creating("R3", &[("C4", "erin")]).new_contacts.remove(0);
    row.retailer = ImportRetailer::Existing(RetailerId::new(987_654));
    orphan.new_contacts.push(row);
    assert_eq!(store.import_batch(&orphan).await.unwrap_err().kind(), StoreErrorKind::NotFound, "an unknown retailer");
    assert_eq!(
        (store.retailers().await.unwrap(), store.audit_chain().await.unwrap()),
        before,
        "an unknown retailer: nothing written"
    );
}

/// Concurrent batches creating the same retailer and contacts (two import runs, or two
/// instances, started on one file): exactly one writes them, every other one is Duplicate
/// and writes nothing; the audit chain holds one batch's events.
pub async fn concurrent_imports_of_one_row_have_one_winner<S: Store>(store: S) {
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.import_batch(&creating("R1", &[("C1", "ana"), ("C2", "bob")])).await })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(e.kind(), StoreErrorKind::Duplicate, "a losing batch is Duplicate"),
        }
    }
    assert_eq!(won, 1, "exactly one batch wins");
    assert_eq!(store.retailers().await.unwrap().len(), 1, "one retailer");
    let found = store.import_lookup(&[ext("R1")], &[ext("C1"), ext("C2")], &[]).await.unwrap();
    let ids: BTreeSet<_> = found.contacts.iter().map(|(_, r)| r.contact.id).collect();
    assert_eq!(ids.len(), 2, "two contacts");
    assert_eq!(store.audit_chain().await.unwrap().head.seq, 3, "one batch's events");
}
