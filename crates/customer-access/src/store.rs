//! The storage contract. Implement [`Store`] for your database; run
//! `customer-access-conformance` against it to know it is right.
//!
//! The service computes every state change in pure code; a store only persists it, atomically.
//! Every method is `async` (`impl Future + Send`), usable from any runtime. Implementors may
//! write `async fn`.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;

use customer_access_policy::UsernameKey;

use crate::audit::AuditEvent;
use crate::clock::Timestamp;
use crate::credential::{ContactRecord, Credentials, Revision};
use crate::domain::Retailer;
use crate::ids::{ContactId, RetailerId, StaffId};
use crate::input::EmailAddress;

/// A contact to insert: everything but the id, which the store assigns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewContactRecord {
    /// The retailer; must exist.
    pub retailer: RetailerId,
    /// Username as typed.
    pub username: String,
    /// Its canonical key; must be unique in the store.
    pub username_key: UsernameKey,
    /// E-mail address.
    pub email: EmailAddress,
    /// Display name.
    pub display_name: String,
    /// Whether login is enabled.
    pub login_enabled: bool,
    /// Initial credentials (revision 0).
    pub credentials: Credentials,
}

impl NewContactRecord {
    /// The record this becomes once the store assigned `id`.
    pub fn into_record(self, id: ContactId) -> ContactRecord {
        ContactRecord {
            contact: crate::domain::Contact {
                id,
                retailer: self.retailer,
                username: self.username,
                username_key: self.username_key,
                email: self.email,
                display_name: self.display_name,
                login_enabled: self.login_enabled,
            },
            credentials: self.credentials,
        }
    }
}

/// Failed-login state for one normalised username, whether or not a contact has it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginFailures {
    /// Consecutive failures not yet forgotten.
    pub count: u32,
    /// When the latest one happened.
    pub last_failure_at: Option<Timestamp>,
}

/// What kind of storage failure happened: decides what the caller can do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The retailer or contact does not exist.
    NotFound,
    /// Compare-and-swap lost: the stored revision is not the expected one. Reload and retry.
    Conflict,
    /// A unique key (the normalised username) is already taken.
    Duplicate,
    /// The database is unreachable, busy, or the connection dropped. Nothing was written;
    /// retrying later may work.
    Unavailable,
    /// Stored data could not be decoded (corrupt row, unknown code, bad schema).
    Corrupt,
    /// Anything else.
    Other,
}

/// A storage failure: a kind the service acts on, and the driver's error as the source.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl StoreError {
    /// An error of `kind` without a source.
    pub fn new(kind: StoreErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// An error of `kind` caused by `source` (kept for the error chain).
    pub fn with_source(kind: StoreErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { kind, source: Some(source.into()) }
    }

    /// The kind.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            StoreErrorKind::NotFound => "not found",
            StoreErrorKind::Conflict => "concurrent update (compare-and-swap lost)",
            StoreErrorKind::Duplicate => "username already taken",
            StoreErrorKind::Unavailable => "store unavailable",
            StoreErrorKind::Corrupt => "stored data is corrupt",
            StoreErrorKind::Other => "store error",
        })
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistence for retailers, contacts, credentials, failed-login state and the audit log.
///
/// # Contract
/// - **Atomic saves with compare-and-swap.** [`save`](Self::save) writes the whole record
///   and appends its audit events in one atomic write, only if the stored revision equals
///   `expected`; otherwise it writes nothing and returns [`StoreErrorKind::Conflict`].
///   Two concurrent saves with the same `expected` never both succeed.
/// - **Unique usernames.** No two contacts share a `username_key`; inserting or saving a
///   taken key returns [`StoreErrorKind::Duplicate`] and writes nothing.
/// - **Exact round trips.** What is saved is what is loaded, field for field (timestamps to
///   the millisecond).
/// - **Atomic failure counters.** [`record_login_failure`](Self::record_login_failure) is a
///   single atomic read-modify-write: N concurrent calls add exactly N.
/// - **Errors by kind.** Map your driver's errors into [`StoreErrorKind`]s, keeping the
///   driver error as the source; never panic on a database failure.
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Insert a retailer and return it with its new id.
    fn create_retailer(&self, name: &str) -> impl Future<Output = StoreResult<Retailer>> + Send;

    /// One retailer; [`StoreErrorKind::NotFound`] if absent.
    fn retailer(&self, id: RetailerId) -> impl Future<Output = StoreResult<Retailer>> + Send;

    /// Every retailer, ordered by id.
    fn retailers(&self) -> impl Future<Output = StoreResult<Vec<Retailer>>> + Send;

    /// Insert a contact with its credentials and append `events` (with the new contact's id
    /// filled in where an event's `contact` is `None`), atomically.
    /// [`StoreErrorKind::Duplicate`] if the username key is taken,
    /// [`StoreErrorKind::NotFound`] if the retailer does not exist.
    fn create_contact(
        &self,
        new: &NewContactRecord,
        events: &[AuditEvent],
    ) -> impl Future<Output = StoreResult<ContactRecord>> + Send;

    /// One contact with its credentials; [`StoreErrorKind::NotFound`] if absent.
    fn contact(&self, id: ContactId) -> impl Future<Output = StoreResult<ContactRecord>> + Send;

    /// The contact whose canonical username is `key`, if any.
    ///
    /// A miss should cost what a hit costs, or response times reveal which usernames exist:
    /// the bundled stores read and decode
    /// [`ContactColumns::decoy`](crate::columns::ContactColumns::decoy) when nothing matches
    /// (SQLite keeps it as a real row, read by the same index path as a hit).
    /// `customer_access_conformance::timing` measures it.
    fn contact_by_username(&self, key: &UsernameKey)
    -> impl Future<Output = StoreResult<Option<ContactRecord>>> + Send;

    /// A retailer's contacts, ordered by id; empty if it has none or does not exist.
    fn contacts_of_retailer(
        &self,
        retailer: RetailerId,
    ) -> impl Future<Output = StoreResult<Vec<ContactRecord>>> + Send;

    /// Replace the record whose id is `record.contact.id` if its stored revision is
    /// `expected`, and append `events`, atomically (see the contract above). The retailer of
    /// a contact never changes through `save`.
    fn save(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Append events that go with no record change (denied access, throttled requests).
    fn append_audit(&self, events: &[AuditEvent]) -> impl Future<Output = StoreResult<()>> + Send;

    /// A contact's audit events, oldest first.
    fn audit_log(&self, contact: ContactId) -> impl Future<Output = StoreResult<Vec<AuditEvent>>> + Send;

    /// Allow an iPad user to manage a retailer (idempotent).
    fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> impl Future<Output = StoreResult<()>> + Send;

    /// The retailers an iPad user may manage, ordered by id.
    fn assigned_retailers(&self, staff: StaffId) -> impl Future<Output = StoreResult<Vec<RetailerId>>> + Send;

    /// Failed-login state for `key` (zero if none is stored).
    fn login_failures(&self, key: &UsernameKey) -> impl Future<Output = StoreResult<LoginFailures>> + Send;

    /// Atomically count one more failure for `key` at `now` and return the new state. If the
    /// stored latest failure is before `forget_before`, the count restarts at 1. A store may
    /// delete entries whose latest failure is before `forget_before` (keeps the table bounded).
    fn record_login_failure(
        &self,
        key: &UsernameKey,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> impl Future<Output = StoreResult<LoginFailures>> + Send;

    /// Forget the failures for `key` (successful login, password change, staff unlock).
    fn clear_login_failures(&self, key: &UsernameKey) -> impl Future<Output = StoreResult<()>> + Send;
}
