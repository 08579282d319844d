//! Bulk import of retailers and contacts from another system: the rows it reads and what
//! became of each. [`AccessService::importer`](crate::AccessService::importer) runs it.
//!
//! An import is idempotent by external id: a row whose contact was imported before updates
//! it (or changes nothing), so running the same file twice leaves the same database. Each
//! row is written whole or not at all, in batches of [`IMPORT_BATCH_ROWS`] per transaction;
//! a row that cannot be imported is reported with its line and the rest go on.

use secrecy::SecretString;

use crate::input::InputError;
use crate::legacy::LegacyHashError;
use crate::store::import::ExternalIdError;

/// Rows written per transaction (fewer when a row must wait for an earlier one in the same
/// batch to be written first, e.g. two rows of one contact).
pub const IMPORT_BATCH_ROWS: usize = 500;

/// Imported hash schemes and costs (a scheme with its cost parameters, e.g. bcrypt at cost
/// 12) that may be in use at once. Every login pads to each (see the design notes), so an
/// import refuses a row that would bring one more ([`ImportRefusal::TooManyHashSettings`]).
pub const MAX_IMPORTED_HASH_SETTINGS: usize = 8;

/// One contact to import, as read from the source: every field untrusted, checked before any
/// work. Its `Debug` form does not show the password hash.
#[derive(Clone, Debug)]
pub struct ImportRow {
    /// The contact's id in the source system: what a re-run finds it by.
    pub external_id: String,
    /// Its retailer's id in the source system.
    pub retailer_external_id: String,
    /// The retailer's name (every row of one retailer must give the same).
    pub retailer_name: String,
    /// Username as typed.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Whether the contact may log in.
    pub login_enabled: bool,
    /// The password hash the source system keeps, in one of the formats
    /// [`LegacyHash::parse`](crate::legacy::LegacyHash::parse) reads; `None` for a contact to
    /// invite later ([`AccessService::invite_imported`](crate::AccessService::invite_imported)).
    pub password_hash: Option<SecretString>,
}

/// What an import did with a row it accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowChange {
    /// A new contact (and, if needed, its retailer) was created.
    Created,
    /// The contact existed and the row changed it.
    Updated,
    /// The contact existed and already matched the row.
    Unchanged,
}

/// Why an import refused a row. Nothing of a refused row was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportRefusal {
    /// A bad username, e-mail address, display or retailer name.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A bad external id.
    #[error("invalid {field}: {error}")]
    ExternalId {
        /// `external_id` or `retailer_external_id`.
        field: &'static str,
        /// What is wrong.
        error: ExternalIdError,
    },
    /// The password hash is malformed, of an unsupported format, or costs more than
    /// `SecurityPolicy::legacy_hashes` allows; it would never be run.
    #[error("password hash refused: {0}")]
    Hash(#[source] LegacyHashError),
    /// The username is, under normalisation, another contact's (an existing one or an earlier
    /// row's).
    #[error("the username is already another contact's")]
    UsernameTaken,
    /// An earlier row named the same retailer with another name.
    #[error("the retailer was named differently by an earlier row")]
    RetailerNameDiffers,
    /// The contact exists under another retailer; an import does not move contacts.
    #[error("the contact belongs to another retailer")]
    RetailerChanged,
    /// The contact exists under another username; an import does not rename contacts
    /// (`AccessService::update_username` does, within the staff budgets).
    #[error("the contact exists with another username")]
    UsernameChanged,
    /// The contact was removed; an import does not bring it back.
    #[error("the contact was removed")]
    Removed,
    /// The row's password hash differs from the one its contact was imported with (or the
    /// contact was imported without one). A hash comes in with its contact only: replacing
    /// it would be staff choosing a contact's password. The contact resets it instead.
    #[error("the contact exists with another password hash (or none); an import does not change passwords")]
    HashChanged,
    /// The row's external id appeared on an earlier row of this import.
    #[error("the external id appears on an earlier row")]
    RepeatedInFile,
    /// The hash's scheme and cost would be one more than [`MAX_IMPORTED_HASH_SETTINGS`] in
    /// use (every login pays for each).
    #[error("one more hash scheme and cost than the {max} allowed in use at once")]
    TooManyHashSettings {
        /// The limit.
        max: usize,
    },
    /// The contact kept changing while the row was written; run the import again.
    #[error("the contact was changed concurrently")]
    ChangedConcurrently,
    /// The row changes the e-mail address, but the notice to the previous address could not
    /// be sent (it is sent before anything is written), so nothing of the row was written.
    #[error("the notice of the e-mail change to the previous address could not be sent")]
    EmailNoticeFailed,
}

/// What became of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowOutcome {
    /// The row's line in the source, as its reader numbered it.
    pub line: u64,
    /// The row's external id, as given.
    pub external_id: String,
    /// What the import did, or why it refused the row.
    pub result: Result<RowChange, ImportRefusal>,
}

/// The outcome of a whole import: counts, and every refused row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Contacts created.
    pub created: u64,
    /// Contacts changed.
    pub updated: u64,
    /// Rows that changed nothing.
    pub unchanged: u64,
    /// Every refused row, in the order decided.
    pub refused: Vec<RowOutcome>,
}

impl ImportReport {
    /// Count `outcomes` in.
    pub fn add(&mut self, outcomes: impl IntoIterator<Item = RowOutcome>) {
        for outcome in outcomes {
            match outcome.result {
                Ok(RowChange::Created) => self.created += 1,
                Ok(RowChange::Updated) => self.updated += 1,
                Ok(RowChange::Unchanged) => self.unchanged += 1,
                Err(_) => self.refused.push(outcome),
            }
        }
    }
}
