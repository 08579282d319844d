//! Races for one canonical username: a store that checks uniqueness before its write
//! instead of in it (a read, then an insert) passes every sequential check but lets two
//! contacts share a username. These checks make the race happen.

use std::sync::Arc;

use customer_access::Store;
use customer_access::store::StoreErrorKind;

use crate::fixtures::{changed, key, new_contact};

/// Concurrent writers per round.
const WRITERS: usize = 8;
/// Rounds, each with a fresh username.
const ROUNDS: usize = 10;

/// Of concurrent `create_contact` calls for one canonical username (written in different
/// forms), exactly one succeeds; every other is `Duplicate`, and one contact has the name.
pub async fn concurrent_creates_of_one_username_have_one_winner<S: Store>(store: S) {
    let store = Arc::new(store);
    let shop = store.create_retailer("Shop").await.unwrap();
    for round in 0..ROUNDS {
        let forms = [format!("racer{round}"), format!("RACER{round}"), format!("Racer{round}")];
        let tasks: Vec<_> = (0..WRITERS)
            .map(|i| {
                let store = Arc::clone(&store);
                let new = new_contact(shop.id, &forms[i % forms.len()]);
                tokio::spawn(async move { store.create_contact(&new, &[]).await.map_err(|e| e.kind()) })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => wins += 1,
                Err(StoreErrorKind::Duplicate) => {}
                Err(other) => panic!("round {round}: a losing create must be Duplicate, got {other:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: {wins} of {WRITERS} concurrent creates of one username succeeded");
        let named = store.contacts_of_retailer(shop.id).await.unwrap();
        let holders = named.iter().filter(|r| r.contact.username_key == key(&forms[0])).count();
        assert_eq!(holders, 1, "round {round}: one contact holds the username");
    }
}

/// Of concurrent renames of different contacts onto one canonical username, exactly one
/// succeeds; every other is `Duplicate` and leaves its contact unchanged.
pub async fn concurrent_renames_to_one_username_have_one_winner<S: Store>(store: S) {
    let store = Arc::new(store);
    let shop = store.create_retailer("Shop").await.unwrap();
    let mut contacts = Vec::new();
    for i in 0..WRITERS {
        contacts.push(store.create_contact(&new_contact(shop.id, &format!("person{i}")), &[]).await.unwrap());
    }
    for round in 0..ROUNDS {
        let target = format!("wanted{round}");
        let mut current = Vec::new();
        for c in &contacts {
            current.push(store.contact(c.contact.id).await.unwrap());
        }
        let tasks: Vec<_> = current
            .iter()
            .map(|record| {
                let store = Arc::clone(&store);
                let mut next = changed(record);
                next.contact.username = target.to_uppercase();
                next.contact.username_key = key(&target);
                let expected = record.credentials.revision;
                let id = record.contact.id;
                tokio::spawn(async move { (id, store.save(expected, &next, &[]).await.map_err(|e| e.kind())) })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            let (id, result) = t.await.unwrap();
            match result {
                Ok(()) => wins += 1,
                Err(StoreErrorKind::Duplicate) => {
                    let before = current.iter().find(|r| r.contact.id == id).unwrap();
                    assert_eq!(
                        &store.contact(id).await.unwrap(),
                        before,
                        "round {round}: a refused rename writes nothing"
                    );
                }
                Err(other) => panic!("round {round}: a losing rename must be Duplicate, got {other:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: {wins} of {WRITERS} concurrent renames onto one username succeeded");
        let holder = store.contact_by_username(&key(&target)).await.unwrap();
        assert!(holder.is_some(), "round {round}: the winner holds the username");
    }
}
