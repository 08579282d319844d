//! Stores and mailers chosen at run time, and shared ones.
//!
//! [`Store`] and [`Mailer`] use `impl Future` methods, so they are not object safe and the
//! service is generic over them. An application that picks its backend from configuration
//! wraps it in a [`BoxStore`] / [`BoxMailer`] (a boxed [`DynStore`] / [`DynMailer`], which
//! every `Store` / `Mailer` is), and builds one service type for all backends. Shared
//! handles work too: `Arc<S>` and `&'static S` are stores, `Arc<M>` and `&'static M` mailers.
//!
//! ```
//! use std::sync::Arc;
//! use customer_access::{AccessService, BoxMailer, BoxStore, MemoryStore, RecordingMailer, SecurityPolicy, SystemClock};
//!
//! /// The backend named in the configuration (here only the in-memory one).
//! fn store_from_config(name: &str) -> Option<BoxStore> {
//!     match name {
//!         "memory" => Some(BoxStore::new(Arc::new(MemoryStore::new()))),
//!         _ => None, // e.g. BoxStore::new(customer_access_sqlite::open(path).await?)
//!     }
//! }
//! # let mut policy = SecurityPolicy::default();
//! # policy.argon2 = customer_access::policy::Argon2Settings::danger_insecure_for_tests();
//! let store = store_from_config("memory").unwrap();
//! let service: AccessService<BoxStore, BoxMailer, SystemClock> =
//!     AccessService::new(store, BoxMailer::new(RecordingMailer::new()), SystemClock, policy).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use customer_access_policy::UsernameKey;

use crate::audit::{AuditEvent, AuditRecord, AuditScope, BudgetCheck, ChainEnds, OverBudget};
use crate::clock::Timestamp;
use crate::credential::{ContactRecord, Revision, StoredHash};
use crate::device::{DeviceRecord, DeviceTokenDigest};
use crate::domain::Retailer;
use crate::ids::{ContactId, RetailerId, StaffId};
use crate::mailer::{MailError, Mailer, OutgoingMessage};
use crate::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup};
use crate::store::{FailureRetention, LoginFailures, NewContactRecord, Preferences, Store, StoreResult, ThrottleKey};

/// A boxed, `Send` future borrowing for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Every `Store` method once, with `$lt` standing for the lifetime of the borrowed
/// arguments: `'a` in [`DynStore`], `'_` where the trait's own elided lifetimes must match.
macro_rules! with_store_methods {
    ($callback:ident, $lt:lifetime) => {
        $callback! {
            create_retailer(name: &$lt str) -> Retailer;
            retailer(id: RetailerId) -> Retailer;
            retailers() -> Vec<Retailer>;
            set_retailer_preferences(
                id: RetailerId,
                preferences: &$lt Preferences,
                events: &$lt [AuditEvent]
            ) -> Retailer;
            create_contact(new: &$lt NewContactRecord, events: &$lt [AuditEvent]) -> ContactRecord;
            contact(id: ContactId) -> ContactRecord;
            contact_by_username(key: &$lt UsernameKey) -> Option<ContactRecord>;
            contacts_of_retailer(retailer: RetailerId) -> Vec<ContactRecord>;
            contacts_after(retailer: RetailerId, after: Option<ContactId>, limit: u32) -> Vec<ContactRecord>;
            save(expected: Revision, record: &$lt ContactRecord, events: &$lt [AuditEvent]) -> ();
            append_audit(events: &$lt [AuditEvent]) -> ();
            audit_log(contact: ContactId) -> Vec<AuditEvent>;
            save_within_budgets(
                expected: Revision,
                record: &$lt ContactRecord,
                events: &$lt [AuditEvent],
                budgets: &$lt [BudgetCheck]
            ) -> Result<(), OverBudget>;
            audit_page(scope: &$lt AuditScope, before: Option<u64>, limit: u32) -> Vec<AuditRecord>;
            audit_chain() -> ChainEnds;
            prune_audit(before: Timestamp) -> ChainEnds;
            assign_retailer(staff: StaffId, retailer: RetailerId) -> ();
            assigned_retailers(staff: StaffId) -> Vec<RetailerId>;
            login_failures(key: &$lt ThrottleKey) -> LoginFailures;
            swap_login_failures(
                key: &$lt ThrottleKey,
                expected: LoginFailures,
                new: LoginFailures,
                retention: FailureRetention
            ) -> bool;
            clear_login_failures(key: &$lt ThrottleKey) -> ();
            add_device(device: &$lt DeviceRecord, keep_per_contact: u32) -> ();
            hash_outside(prefixes: &$lt [String]) -> Option<StoredHash>;
            device(digest: &$lt DeviceTokenDigest) -> Option<DeviceRecord>;
            import_lookup(
                retailers: &$lt [ExternalId],
                contacts: &$lt [ExternalId],
                usernames: &$lt [UsernameKey]
            ) -> ImportLookup;
            import_batch(batch: &$lt ImportBatch) -> ImportApplied;
        }
    };
}

macro_rules! dyn_store_trait {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        /// The object-safe form of [`Store`]: the same methods, returning boxed futures.
        /// Every `Store` is a `DynStore`; [`BoxStore`] turns one back into a `Store`.
        pub trait DynStore: Send + Sync + fmt::Debug + 'static {
            $(
                #[doc = concat!("[`Store::", stringify!($name), "`], boxed.")]
                fn $name<'a>(&'a self, $($arg: $ty),*) -> BoxFuture<'a, StoreResult<$out>>;
            )*
        }

        impl<S: Store> DynStore for S {
            $(
                fn $name<'a>(&'a self, $($arg: $ty),*) -> BoxFuture<'a, StoreResult<$out>> {
                    Box::pin(Store::$name(self, $($arg),*))
                }
            )*
        }
    };
}
with_store_methods!(dyn_store_trait, 'a);

macro_rules! forward_store {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl Store for BoxStore {
            $(async fn $name(&self, $($arg: $ty),*) -> StoreResult<$out> { DynStore::$name(&*self.0, $($arg),*).await })*
        }

        impl<S: Store> Store for Arc<S> {
            $(async fn $name(&self, $($arg: $ty),*) -> StoreResult<$out> { S::$name(self, $($arg),*).await })*
        }

        impl<S: Store> Store for &'static S {
            $(async fn $name(&self, $($arg: $ty),*) -> StoreResult<$out> { S::$name(self, $($arg),*).await })*
        }
    };
}
with_store_methods!(forward_store, '_);

/// A store chosen at run time: any [`Store`] behind a box.
#[derive(Debug)]
pub struct BoxStore(Box<dyn DynStore>);

impl BoxStore {
    /// Box `store`.
    pub fn new(store: impl Store) -> Self {
        Self(Box::new(store))
    }
}

/// The object-safe form of [`Mailer`]. Every `Mailer` is one; [`BoxMailer`] turns one back.
pub trait DynMailer: Send + Sync + fmt::Debug + 'static {
    /// [`Mailer::send`], boxed.
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> BoxFuture<'a, Result<(), MailError>>;
}

impl<M: Mailer> DynMailer for M {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(Mailer::send(self, message))
    }
}

/// A mailer chosen at run time: any [`Mailer`] behind a box.
#[derive(Debug)]
pub struct BoxMailer(Box<dyn DynMailer>);

impl BoxMailer {
    /// Box `mailer`.
    pub fn new(mailer: impl Mailer) -> Self {
        Self(Box::new(mailer))
    }
}

impl Mailer for BoxMailer {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        DynMailer::send(&*self.0, message).await
    }
}

impl<M: Mailer> Mailer for Arc<M> {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        M::send(self, message).await
    }
}

impl<M: Mailer> Mailer for &'static M {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        M::send(self, message).await
    }
}
