//! Retailers and their contacts.

use customer_access_policy::UsernameKey;

use crate::ids::{ContactId, RetailerId};
use crate::input::EmailAddress;

/// A customer company. Has many contacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retailer {
    /// Assigned by the store.
    pub id: RetailerId,
    /// Company name, as shown to staff.
    pub name: String,
}

/// One person at a retailer who logs in to the website.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// Assigned by the store.
    pub id: ContactId,
    /// The retailer this contact belongs to.
    pub retailer: RetailerId,
    /// The username as the contact or staff typed it (shown back to people).
    pub username: String,
    /// The canonical form of `username`: unique per store, and the only form ever looked up.
    pub username_key: UsernameKey,
    /// Where reset e-mails go.
    pub email: EmailAddress,
    /// The contact's name, as shown in e-mails and to staff.
    pub display_name: String,
    /// Whether the contact may log in at all.
    pub login_enabled: bool,
}
