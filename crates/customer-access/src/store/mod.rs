//! For store implementors: the storage contract and every type a [`Store`] reads and writes.
//!
//! Implement [`Store`] for your database and run `customer-access-conformance` against it to
//! know it is right; [`columns`] gives the flat, validated row shapes SQL and document stores
//! share. Applications need none of this beyond naming a store (`S: Store`).
//!
//! The service computes every state change in pure code; a store only persists it, atomically.
//! Every method is `async` (`impl Future + Send`), usable from any runtime. Implementors may
//! write `async fn`.

use std::fmt;
use std::future::Future;

use crate::audit::{AuditEvent, AuditRecord, AuditScope};
use crate::clock::Timestamp;
use crate::domain::Retailer;
pub use crate::i18n::Preferences;
use crate::ids::{ContactId, RetailerId, StaffId};
use crate::input::EmailAddress;
use import::{ExternalId, ImportApplied, ImportBatch, ImportLookup};
pub mod columns;
pub mod import;

pub use crate::actor::ActorDecodeError;
use crate::audit::ChainEnds;
pub use crate::audit::{BudgetCheck, OverBudget, UnknownAuditKind, device_of, staff_of};
pub use crate::credential::{
    ContactRecord, CredentialVersion, Credentials, EmailHold, ResetWindow, Revision, StoredHash, TemporaryCredential,
    TicketDigest, TicketRecord,
};
pub use crate::device::{DeviceRecord, DeviceTokenDigest};
pub use crate::erased::{BoxFuture, DynStore};
pub use crate::kinded::{ErrorKind, KindError};
pub use customer_access_policy::UsernameKey;

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
    /// Language and time zone (each may be unset).
    pub preferences: Preferences,
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
                preferences: self.preferences,
            },
            credentials: self.credentials,
        }
    }
}

/// Failed-login state for one [`ThrottleKey`]. The default (count 0, no failure) is also the
/// state of a key with no stored entry.
///
/// The service charges an attempt *before* verifying it (see
/// [`Store::swap_login_failures`]), so `count` counts attempts reserved, and a success
/// clears the entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginFailures {
    /// Consecutive attempts charged and not yet forgotten or cleared.
    pub count: u32,
    /// When the latest one was charged.
    pub last_failure_at: Option<Timestamp>,
}

impl LoginFailures {
    /// Is this the state of a key with no stored entry?
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.last_failure_at.is_none()
    }
}

/// What failed-login state is kept under: a normalised username (known or not), or a
/// recognised device of one contact (see [`DeviceToken`](crate::DeviceToken)), so that a
/// stranger's guesses against a username do not lock out the owner's devices.
///
/// Its text form is what stores keep: a username key as it is, a device as `device:` and
/// its digest. A username key can never contain `:`, so the two never collide.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThrottleKey(String);

impl ThrottleKey {
    /// The key for attempts on `username` without a recognised device.
    pub fn username(username: &UsernameKey) -> Self {
        Self(username.as_str().to_owned())
    }

    /// The key for attempts from one recognised device.
    pub fn device(device: &DeviceTokenDigest) -> Self {
        Self(format!("device:{}", device.as_hex()))
    }

    /// A key read back from storage.
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text form that stores keep.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How much failed-login state a store keeps (see [`Store::swap_login_failures`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureRetention {
    /// Entries whose latest failure is before this may be deleted: they no longer throttle.
    pub forget_before: Timestamp,
    /// Keep at most about this many entries, dropping those with the fewest failures first
    /// and, among equals, the oldest latest failure: a spray of one-guess usernames cannot
    /// evict an entry that is locking someone out. A store may overshoot by a small
    /// constant while it amortises the trimming.
    pub max_entries: usize,
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

impl ErrorKind for StoreErrorKind {
    fn describe(self) -> &'static str {
        match self {
            Self::NotFound => "not found",
            Self::Conflict => "concurrent update (compare-and-swap lost)",
            Self::Duplicate => "username already taken",
            Self::Unavailable => "store unavailable",
            Self::Corrupt => "stored data is corrupt",
            Self::Other => "store error",
        }
    }
}

/// A storage failure: a [`StoreErrorKind`] the service acts on, and the driver's error as
/// the source.
pub type StoreError = KindError<StoreErrorKind>;

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
/// - **Compare-and-swap failure counters.** [`swap_login_failures`](Self::swap_login_failures)
///   writes only if the stored state is still the expected one: of N concurrent swaps from
///   the same state exactly one succeeds. The service reserves every login attempt this way
///   before verifying it, so no burst and no number of instances gets more guesses verified
///   than the back-off allows.
/// - **One audit chain.** Every appended event is chained after the current head
///   ([`ChainLink::next`](crate::ChainLink::next)) and the head moves to it, in the same atomic write as the change
///   it records, under one lock: concurrent writers, in any number of instances, still
///   produce one chain with sequence numbers 1, 2, 3, ... and no gaps. Store the
///   [`AuditRecord`] as it is; never rewrite one.
/// - **Budgets in the write.** [`save_within_budgets`](Self::save_within_budgets) counts its
///   checks' events after taking the chain's lock, so of N concurrent budgeted saves no more
///   succeed than the budget allows.
/// - **Errors by kind.** Map your driver's errors into [`StoreErrorKind`]s, keeping the
///   driver error as the source; never panic on a database failure.
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Insert a retailer and return it with its new id.
    fn create_retailer(&self, name: &str) -> impl Future<Output = StoreResult<Retailer>> + Send;

    /// One retailer; [`StoreErrorKind::NotFound`] if absent.
    fn retailer(&self, id: RetailerId) -> impl Future<Output = StoreResult<Retailer>> + Send;

    /// Every retailer, ordered by id.
    fn retailers(&self) -> impl Future<Output = StoreResult<Vec<Retailer>>> + Send;

    /// Replace a retailer's [`Preferences`] and append `events`, atomically, and return the
    /// retailer as stored; [`StoreErrorKind::NotFound`] (nothing written) if it does not
    /// exist.
    fn set_retailer_preferences(
        &self,
        id: RetailerId,
        preferences: &Preferences,
        events: &[AuditEvent],
    ) -> impl Future<Output = StoreResult<Retailer>> + Send;

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
    /// [`ContactColumns::decoy`](crate::store::columns::ContactColumns::decoy) when nothing matches
    /// (SQLite keeps it as a real row, read by the same index path as a hit).
    /// `customer_access_conformance::timing` measures it.
    fn contact_by_username(&self, key: &UsernameKey)
    -> impl Future<Output = StoreResult<Option<ContactRecord>>> + Send;

    /// A retailer's contacts, ordered by id; empty if it has none or does not exist.
    fn contacts_of_retailer(
        &self,
        retailer: RetailerId,
    ) -> impl Future<Output = StoreResult<Vec<ContactRecord>>> + Send;

    /// One keyset page of a retailer's contacts: at most `limit` of them whose id is above
    /// `after` (from the first when `None`), ordered by id, removed contacts' tombstones
    /// included (the service leaves them out). Empty if there are none or the retailer does
    /// not exist.
    ///
    /// A page should cost the same wherever it starts and however many contacts other
    /// retailers have: the bundled SQL stores read it from an index on `(retailer_id, id)`.
    /// The default reads every contact of the retailer with
    /// [`contacts_of_retailer`](Self::contacts_of_retailer) and keeps the page: correct, but
    /// its cost grows with the retailer, so override it in a store that holds large
    /// retailers.
    fn contacts_after(
        &self,
        retailer: RetailerId,
        after: Option<ContactId>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<ContactRecord>>> + Send {
        async move {
            let mut all = self.contacts_of_retailer(retailer).await?;
            all.sort_by_key(|r| r.contact.id);
            Ok(all
                .into_iter()
                .filter(|r| after.is_none_or(|after| r.contact.id > after))
                .take(limit as usize)
                .collect())
        }
    }

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

    /// [`save`](Self::save), only if every check in `budgets` has room: fewer than
    /// `check.limit` stored events count against it ([`BudgetCheck::counts`]), counted in the
    /// same atomic write, under the chain's lock. Otherwise write nothing and return
    /// `Ok(Err(OverBudget))` naming the first check without room. Conflict and NotFound as
    /// for `save` (checked first).
    fn save_within_budgets(
        &self,
        expected: Revision,
        record: &ContactRecord,
        events: &[AuditEvent],
        budgets: &[BudgetCheck],
    ) -> impl Future<Output = StoreResult<Result<(), OverBudget>>> + Send;

    /// One page of the audit log: the events in `scope` whose sequence number is below
    /// `before` (every one when `None`), newest first, at most `limit`. Pass the last
    /// record's `seq` as `before` for the next page (keyset pagination: a page costs the
    /// same wherever it starts).
    fn audit_page(
        &self,
        scope: &AuditScope,
        before: Option<u64>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<AuditRecord>>> + Send;

    /// The chain's base and head ([`ChainEnds::default`] for a new store).
    fn audit_chain(&self) -> impl Future<Output = StoreResult<ChainEnds>> + Send;

    /// Retention: of the events before the oldest one stamped at or after `before` (every
    /// event if there is none), keep the newest as the chain's new base and delete the rest,
    /// atomically under the chain's lock. The base event stays stored, so its time is
    /// vouched for by the chain that follows it. Returns the new ends. Deletes nothing when
    /// no event but the current base is that old.
    fn prune_audit(&self, before: Timestamp) -> impl Future<Output = StoreResult<ChainEnds>> + Send;

    /// Allow an iPad user to manage a retailer (idempotent).
    fn assign_retailer(&self, staff: StaffId, retailer: RetailerId) -> impl Future<Output = StoreResult<()>> + Send;

    /// The retailers an iPad user may manage, ordered by id.
    fn assigned_retailers(&self, staff: StaffId) -> impl Future<Output = StoreResult<Vec<RetailerId>>> + Send;

    /// Failed-login state for `key` ([`LoginFailures::default`] if none is stored).
    fn login_failures(&self, key: &ThrottleKey) -> impl Future<Output = StoreResult<LoginFailures>> + Send;

    /// Replace the failed-login state of `key` with `new` if it is still `expected`, as one
    /// atomic compare-and-swap, and report whether it did. `expected` equal to
    /// [`LoginFailures::default`] means "no entry": the swap inserts one unless another
    /// writer already did. A cleared (deleted) entry does not match a non-empty `expected`.
    ///
    /// The store keeps the state bounded by `retention`: entries whose latest failure is
    /// before `retention.forget_before` may be deleted, and at most about
    /// `retention.max_entries` are kept (fewest failures, then oldest, dropped first), so a
    /// spray of random usernames cannot grow it without bound.
    fn swap_login_failures(
        &self,
        key: &ThrottleKey,
        expected: LoginFailures,
        new: LoginFailures,
        retention: FailureRetention,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Forget the failures for `key` (successful login, password change, staff unlock).
    fn clear_login_failures(&self, key: &ThrottleKey) -> impl Future<Output = StoreResult<()>> + Send;

    /// Keep a recognised device. Then delete the same contact's devices that are expired at
    /// `device.issued_at`, and all but its `keep_per_contact` newest (by `issued_at`, then
    /// insertion order), so a contact's list stays bounded. [`StoreErrorKind::NotFound`] if
    /// the contact does not exist; [`StoreErrorKind::Duplicate`] if the digest is taken.
    fn add_device(&self, device: &DeviceRecord, keep_per_contact: u32) -> impl Future<Output = StoreResult<()>> + Send;

    /// One stored hash, a contact's password or pending temporary password (never the
    /// decoy's), whose text starts with none of `prefixes`; `None` when every stored hash
    /// starts with one of them.
    ///
    /// The service calls this a few times every few minutes to learn which hash parameter
    /// sets are in use ([`StoredHash::phc_prefix`](crate::store::StoredHash::phc_prefix)), so that
    /// a failed login can cost the same for every username while hashes made with other
    /// parameters exist. A full scan is fine.
    fn hash_outside(&self, prefixes: &[String]) -> impl Future<Output = StoreResult<Option<StoredHash>>> + Send;

    /// The device stored under `digest`, if any (expired or not: the service decides).
    fn device(&self, digest: &DeviceTokenDigest) -> impl Future<Output = StoreResult<Option<DeviceRecord>>> + Send;

    /// What exists of one import batch: the retailers and contacts imported before under
    /// `retailers` and `contacts` (their external ids), and the contacts holding one of
    /// `usernames`. Only what exists is returned; ids that match nothing are left out.
    fn import_lookup(
        &self,
        retailers: &[ExternalId],
        contacts: &[ExternalId],
        usernames: &[UsernameKey],
    ) -> impl Future<Output = StoreResult<ImportLookup>> + Send;

    /// Write one import batch atomically: create its retailers and contacts (keeping their
    /// external ids), rename retailers, apply its compare-and-swap updates, and append every
    /// event ([`ImportBatch::events_with_ids`]), all or nothing.
    /// [`StoreErrorKind::Duplicate`] if a username key or external id is taken,
    /// [`StoreErrorKind::Conflict`] if an update's stored revision is not its `expected`,
    /// [`StoreErrorKind::NotFound`] if an existing retailer or contact it names is gone.
    fn import_batch(&self, batch: &ImportBatch) -> impl Future<Output = StoreResult<ImportApplied>> + Send;
}
