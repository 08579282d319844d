//! Staff finding a contact among many: keyset pages of a retailer's contacts, with search.

use crate::actor::Staff;
use crate::clock::Clock;
use crate::directory::{CONTACT_SCAN_LIMIT, ContactPage, ContactQuery, MAX_CONTACT_PAGE};
use crate::error::ServiceError;
use crate::ids::RetailerId;
use crate::input::InputError;
use crate::mailer::Mailer;
use crate::store::Store;

use super::AccessService;

/// How many contacts a page reads from the store at a time (at least).
const SEARCH_CHUNK: u32 = 250;

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// One page of a retailer's contacts in id order, optionally only those whose name,
    /// username or e-mail address contains a search text (ignoring case): how staff pick the
    /// right contact among many. Removed contacts never appear.
    ///
    /// Sales admins list any retailer; an iPad user only the retailers they manage (any
    /// other is [`Forbidden`](ServiceError::Forbidden) and audited, before anything of the
    /// retailer is read, so a search never tells them about contacts outside their
    /// retailers, not even whether one matches). A call reads at most
    /// [`CONTACT_SCAN_LIMIT`] contacts; continue with [`ContactPage::next`].
    ///
    /// ```
    /// # use customer_access::*;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let mut policy = SecurityPolicy::default();
    /// # policy.argon2 = policy::Argon2Settings::danger_insecure_for_tests();
    /// # let service = AccessService::new(MemoryStore::new(), RecordingMailer::new(), SystemClock, policy).unwrap();
    /// let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    /// let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    /// for (username, name) in [("anna", "Anna Berg"), ("bosse", "Bo Lind"), ("cleo", "Cleo Bergström")] {
    ///     let new = NewContact {
    ///         retailer: shop.id,
    ///         username: username.into(),
    ///         email: format!("{username}@shop.example"),
    ///         display_name: name.into(),
    ///         preferences: Default::default(),
    ///     };
    ///     service.invite(&admin, &new).await.unwrap();
    /// }
    /// let query = ContactQuery::new(10).matching(ContactSearch::parse("BERG").unwrap());
    /// let page = service.contacts_page(&admin, shop.id, &query).await.unwrap();
    /// let names: Vec<_> = page.contacts.iter().map(|c| c.display_name.as_str()).collect();
    /// assert_eq!(names, ["Anna Berg", "Cleo Bergström"]);
    /// assert_eq!(page.next, None);
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`InputError::PageSize`] unless `1 <= query.limit <= MAX_CONTACT_PAGE`, and
    /// [`InputError::PageCursor`] for a negative `query.after` (both before any read); [`ServiceError::Forbidden`]; [`ServiceError::RetailerNotFound`]; store
    /// failures.
    #[tracing::instrument(skip_all, name = "contacts_page", fields(retailer = %retailer))]
    pub async fn contacts_page(
        &self,
        staff: &Staff,
        retailer: RetailerId,
        query: &ContactQuery,
    ) -> Result<ContactPage, ServiceError> {
        if !(1..=MAX_CONTACT_PAGE).contains(&query.limit) {
            return Err(InputError::PageSize { max: MAX_CONTACT_PAGE }.into());
        }
        if query.after.is_some_and(|id| id.get() < 0) {
            return Err(InputError::PageCursor.into());
        }
        self.authorize(staff, retailer, None).await?;
        self.require_retailer(retailer).await?;
        let wanted = query.limit as usize;
        // Never fewer rows a read than a search reads: a small page behind many removed
        // contacts must not cost one store read per removed contact.
        let chunk = query.limit.max(SEARCH_CHUNK);
        let mut contacts = Vec::with_capacity(wanted);
        let mut cursor = query.after;
        let mut read = 0u32;
        loop {
            // The last read of a call stops at the scan limit exactly.
            let chunk = chunk.min(CONTACT_SCAN_LIMIT - read);
            let rows = self.inner.store.contacts_after(retailer, cursor, chunk).await?;
            let last_chunk = rows.len() < chunk as usize;
            let count = rows.len();
            for (i, record) in rows.into_iter().enumerate() {
                cursor = Some(record.contact.id);
                read += 1;
                let contact = record.contact;
                if contact.is_removed() || query.search.as_ref().is_some_and(|s| !s.matches(&contact)) {
                    continue;
                }
                contacts.push(contact);
                if contacts.len() == wanted {
                    let end = last_chunk && i + 1 == count;
                    return Ok(ContactPage { contacts, next: if end { None } else { cursor } });
                }
            }
            if last_chunk {
                return Ok(ContactPage { contacts, next: None });
            }
            if read >= CONTACT_SCAN_LIMIT {
                return Ok(ContactPage { contacts, next: cursor });
            }
        }
    }
}
