//! Retailers and their contacts.

use customer_access_policy::UsernameKey;

use crate::i18n::Preferences;
use crate::ids::{ContactId, RetailerId};
use crate::input::EmailAddress;

/// A customer company. Has many contacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retailer {
    /// Assigned by the store.
    pub id: RetailerId,
    /// Company name, as shown to staff.
    pub name: String,
    /// Language and time zone for its contacts who have none of their own.
    pub preferences: Preferences,
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
    /// The language and time zone of its e-mails and pages (unset: the retailer's).
    pub preferences: Preferences,
}

/// The username key a removed contact's row keeps: `removed.<id>` filled with `.` to this
/// many characters. Longer than any policy lets a username be (`SecurityPolicy::check` caps
/// them at 256), so no contact can ever take it, and unique per contact, so the username the
/// contact had is free again.
const REMOVED_KEY_LEN: usize = 260;
const REMOVED_KEY_PREFIX: &str = "removed.";

impl Contact {
    /// Has staff removed this contact (see `AccessService::remove_contact`)? Its row stays
    /// as a tombstone for the audit trail: no personal data, no secrets, login disabled, and
    /// a reserved username key.
    pub fn is_removed(&self) -> bool {
        let key = self.username_key.as_str();
        key.len() == REMOVED_KEY_LEN && key.starts_with(REMOVED_KEY_PREFIX)
    }
}

/// The reserved username key of removed contact `id`.
pub(crate) fn removed_key(id: ContactId) -> UsernameKey {
    let key = format!("{:.<width$}", format!("{REMOVED_KEY_PREFIX}{}", id.get()), width = REMOVED_KEY_LEN);
    // Only characters of the username alphabet, starting with a letter, of a length
    // `from_stored` accepts: it cannot fail.
    UsernameKey::from_stored(&key).unwrap_or_else(|_| unreachable!("a removed contact's key is canonical"))
}
