//! Finding a contact among many: a retailer's contacts a page at a time, optionally narrowed
//! by a search on name, username or e-mail (see `AccessService::contacts_page`).
//!
//! Pages are keyset pages (the next one starts after the last id seen), so a page costs the
//! same wherever it starts and however many contacts the store holds. A search reads the
//! retailer's contacts in id order and keeps the matching ones, at most
//! [`CONTACT_SCAN_LIMIT`] per call, so one call's cost is bounded even for a retailer with
//! tens of thousands of contacts: a sparse search returns a short page with a cursor to go
//! on from.

use crate::domain::Contact;
use crate::ids::ContactId;
use crate::input::{InputError, check_text};

/// The largest page `AccessService::contacts_page` returns.
pub const MAX_CONTACT_PAGE: u32 = 200;

/// The most contacts one `AccessService::contacts_page` call reads from the store. A search
/// that has not filled its page by then returns what it found with
/// [`ContactPage::next`] set, so no call's cost grows with the retailer.
pub const CONTACT_SCAN_LIMIT: u32 = 2_000;

/// The longest search text, in bytes.
pub const MAX_SEARCH_LEN: usize = 100;

/// A search text, checked and folded on construction: it matches a contact whose display
/// name, username or e-mail address contains it, ignoring case.
///
/// ```
/// use customer_access::ContactSearch;
/// let search = ContactSearch::parse(" Berg ").unwrap();
/// assert_eq!(search.as_str(), "berg");
/// assert!(ContactSearch::parse("").is_err());
/// assert!(ContactSearch::parse("a\nb").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContactSearch(String);

impl ContactSearch {
    /// Check and fold a search text: surrounding whitespace is dropped and letters are
    /// lower-cased (Unicode rules, like the fields it is compared with).
    ///
    /// # Errors
    /// [`InputError::Text`] (field `"search"`) for an empty text, one longer than
    /// [`MAX_SEARCH_LEN`] bytes, or one holding a control character.
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        check_text("search", raw, MAX_SEARCH_LEN)?;
        Ok(Self(raw.trim().to_lowercase()))
    }

    /// The folded text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Does `contact`'s display name, username or e-mail address contain this text,
    /// ignoring case?
    pub fn matches(&self, contact: &Contact) -> bool {
        [contact.display_name.as_str(), contact.username.as_str(), contact.email.as_str()]
            .iter()
            .any(|field| field.to_lowercase().contains(&self.0))
    }
}

/// Which contacts of a retailer to list: a page size, where to start, and an optional
/// search.
///
/// ```
/// use customer_access::{ContactQuery, ContactSearch};
/// let first = ContactQuery::new(50);
/// let matching = ContactQuery::new(20).matching(ContactSearch::parse("berg").unwrap());
/// # let _ = (first, matching);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContactQuery {
    /// At most this many contacts (`1..=MAX_CONTACT_PAGE`).
    pub limit: u32,
    /// Start after this contact id (the previous page's [`ContactPage::next`]); from the
    /// first contact when `None`.
    pub after: Option<ContactId>,
    /// Only contacts matching this; every contact when `None`.
    pub search: Option<ContactSearch>,
}

impl ContactQuery {
    /// The first page of at most `limit` contacts, no search.
    pub fn new(limit: u32) -> Self {
        Self { limit, after: None, search: None }
    }

    /// The same query, continuing after `cursor` (a [`ContactPage::next`]).
    #[must_use]
    pub fn after(mut self, cursor: Option<ContactId>) -> Self {
        self.after = cursor;
        self
    }

    /// The same query, keeping only contacts that match `search`.
    #[must_use]
    pub fn matching(mut self, search: ContactSearch) -> Self {
        self.search = Some(search);
        self
    }
}

/// One page of a retailer's contacts, in id order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContactPage {
    /// The contacts of this page (removed contacts never appear).
    pub contacts: Vec<Contact>,
    /// Where the next page starts (pass it to [`ContactQuery::after`]); `None` when the
    /// retailer's last contact was read. A page may be short, even empty, and still have a
    /// `next`: a search stops after [`CONTACT_SCAN_LIMIT`] contacts read.
    pub next: Option<ContactId>,
}
