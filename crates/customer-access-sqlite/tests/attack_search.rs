//! Attack on issue 20's `Store::contacts_after` (SQL stores), against 02da134.
//!
//! Failed on 02da134 (fixed since): `a_negative_cursor_does_not_list_the_decoy`. The SQL reads
//! `id > $2` with `$2 = after.map_or(0, ..)`, relying on "ids are positive"; a cursor below
//! zero (the service passes any `ContactId` it is given, the portal any `after=` number)
//! lists the decoy row (contact 0 of retailer 0), which the store contract says is never
//! listed. The service does not reach it today only because `require_retailer` refuses
//! retailer 0; the store method itself is open.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access::{ContactId, RetailerId, Store};

#[tokio::test]
async fn a_negative_cursor_does_not_list_the_decoy() {
    let store = customer_access_sqlite::in_memory().await.unwrap();
    let decoy = RetailerId::new(0);
    assert!(store.contacts_after(decoy, None, 10).await.unwrap().is_empty(), "holds with no cursor");
    let listed = store.contacts_after(decoy, Some(ContactId::new(-1)), 10).await;
    assert!(
        matches!(&listed, Ok(rows) if rows.is_empty()),
        "the decoy row is never listed, whatever the cursor: {listed:?}"
    );
}
