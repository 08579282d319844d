//! What a store reads and writes for a bulk import (see
//! [`AccessService::importer`](crate::AccessService::importer)): the ids records have in the
//! system they come from, what of a batch already exists, and the batch to write atomically.

use std::fmt;

use customer_access_policy::UsernameKey;

use crate::audit::AuditEvent;
use crate::credential::{ContactRecord, Revision};
use crate::domain::Retailer;
use crate::ids::{ContactId, RetailerId};
use crate::store::NewContactRecord;

/// Longest external id, in bytes.
pub const MAX_EXTERNAL_ID_BYTES: usize = 128;

/// The id a retailer or contact has in the system it is imported from: what makes an import
/// idempotent (a re-run finds the rows it wrote by it). One line of 1 to
/// [`MAX_EXTERNAL_ID_BYTES`] bytes, no control characters, no surrounding whitespace.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalId(String);

/// Why an external id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExternalIdError {
    /// Empty.
    #[error("empty")]
    Empty,
    /// Longer than [`MAX_EXTERNAL_ID_BYTES`].
    #[error("longer than {MAX_EXTERNAL_ID_BYTES} bytes")]
    TooLong,
    /// A control character, or whitespace at either end.
    #[error("contains a control character or surrounding whitespace")]
    Malformed,
}

impl ExternalId {
    /// Check `raw` and keep it as it is.
    ///
    /// # Errors
    /// [`ExternalIdError`] saying what is wrong.
    ///
    /// ```
    /// use customer_access::store::import::ExternalId;
    /// assert_eq!(ExternalId::parse("C-1001").unwrap().as_str(), "C-1001");
    /// assert!(ExternalId::parse(" C-1001").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, ExternalIdError> {
        if raw.is_empty() {
            return Err(ExternalIdError::Empty);
        }
        if raw.len() > MAX_EXTERNAL_ID_BYTES {
            return Err(ExternalIdError::TooLong);
        }
        if raw.trim() != raw || raw.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
            return Err(ExternalIdError::Malformed);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExternalId({:?})", self.0)
    }
}

/// What already exists of one batch, as [`Store::import_lookup`](crate::Store::import_lookup)
/// finds it. Each list holds only what was found, in any order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportLookup {
    /// Retailers imported before under one of the asked external ids.
    pub retailers: Vec<(ExternalId, Retailer)>,
    /// Contacts imported before under one of the asked external ids (removed ones too: their
    /// tombstones keep the id, so an import never brings a removed contact back).
    pub contacts: Vec<(ExternalId, ContactRecord)>,
    /// The contacts holding one of the asked username keys, imported or not.
    pub usernames: Vec<(UsernameKey, ContactId)>,
}

/// The retailer of a contact an import creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportRetailer {
    /// A retailer that exists.
    Existing(RetailerId),
    /// The retailer at this index of [`ImportBatch::new_retailers`], created in the same
    /// write.
    New(usize),
}

/// A retailer an import creates, with its external id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewImportedRetailer {
    /// Its id in the system it comes from; must not be taken.
    pub external_id: ExternalId,
    /// Its name.
    pub name: String,
    /// Events to append; a `retailer` left `None` is the new retailer's id.
    pub events: Vec<AuditEvent>,
}

/// A retailer whose name an import changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetailerRename {
    /// The retailer; must exist.
    pub id: RetailerId,
    /// Its new name.
    pub name: String,
    /// Events to append.
    pub events: Vec<AuditEvent>,
}

/// A contact an import creates, with its external id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewImportedContact {
    /// Its id in the system it comes from; must not be taken.
    pub external_id: ExternalId,
    /// Its retailer (`record.retailer` is not read).
    pub retailer: ImportRetailer,
    /// The contact and its credentials.
    pub record: NewContactRecord,
    /// Events to append; a `retailer` or `contact` left `None` is the new one's id.
    pub events: Vec<AuditEvent>,
}

/// A contact an import changes: a compare-and-swap like [`Store::save`](crate::Store::save).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedUpdate {
    /// The revision the change was computed from.
    pub expected: Revision,
    /// The new record (revision already bumped).
    pub record: ContactRecord,
    /// Events to append.
    pub events: Vec<AuditEvent>,
}

/// One batch of an import, written by [`Store::import_batch`](crate::Store::import_batch)
/// all at once or not at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportBatch {
    /// Retailers to create.
    pub new_retailers: Vec<NewImportedRetailer>,
    /// Retailers to rename.
    pub renamed_retailers: Vec<RetailerRename>,
    /// Contacts to create.
    pub new_contacts: Vec<NewImportedContact>,
    /// Contacts to change.
    pub updates: Vec<ImportedUpdate>,
}

impl ImportBatch {
    /// Does the batch write nothing?
    pub fn is_empty(&self) -> bool {
        self.new_retailers.is_empty()
            && self.renamed_retailers.is_empty()
            && self.new_contacts.is_empty()
            && self.updates.is_empty()
    }

    /// Every event of the batch in the order a store appends them (retailers created,
    /// renamed, contacts created, changed), with the new ids filled in: `retailers[i]` is the
    /// id given to `new_retailers[i]`, `contacts[i]` to `new_contacts[i]`. Stores call this
    /// after inserting, so every implementation chains the same events.
    pub fn events_with_ids(&self, retailers: &[RetailerId], contacts: &[ContactId]) -> Vec<AuditEvent> {
        let mut all = Vec::new();
        for (new, id) in self.new_retailers.iter().zip(retailers) {
            all.extend(new.events.iter().cloned().map(|mut e| {
                e.retailer.get_or_insert(*id);
                e
            }));
        }
        for rename in &self.renamed_retailers {
            all.extend(rename.events.iter().cloned());
        }
        for (new, id) in self.new_contacts.iter().zip(contacts) {
            let retailer = self.retailer_id(new.retailer, retailers);
            all.extend(new.events.iter().cloned().map(|mut e| {
                if let Some(retailer) = retailer {
                    e.retailer.get_or_insert(retailer);
                }
                e.contact.get_or_insert(*id);
                e
            }));
        }
        for update in &self.updates {
            all.extend(update.events.iter().cloned());
        }
        all
    }

    /// The id of `retailer`, given the ids assigned to the batch's new retailers.
    pub fn retailer_id(&self, retailer: ImportRetailer, assigned: &[RetailerId]) -> Option<RetailerId> {
        match retailer {
            ImportRetailer::Existing(id) => Some(id),
            ImportRetailer::New(i) => assigned.get(i).copied(),
        }
    }
}

/// The ids [`Store::import_batch`](crate::Store::import_batch) assigned, in batch order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportApplied {
    /// One per [`ImportBatch::new_retailers`].
    pub retailers: Vec<RetailerId>,
    /// One per [`ImportBatch::new_contacts`].
    pub contacts: Vec<ContactId>,
}
