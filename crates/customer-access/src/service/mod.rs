//! [`AccessService`]: every flow of the design brief, generic over a [`Store`], a [`Mailer`]
//! and a [`Clock`].

mod audit;
mod budget;
mod builder;
mod census;
mod directory;
mod import;
mod login;
mod password;
mod preferences;
mod reset;
mod staff;
mod throttle;

use std::sync::Arc;

use customer_access_policy::{SecurityPolicy, normalize_password};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::actor::{Actor, Staff};
use crate::audit::{AuditEvent, AuditKind};
use crate::clock::Clock;
use crate::credential::ContactRecord;
use crate::error::ServiceError;
use crate::hashing::HashPool;
use crate::ids::{ContactId, RetailerId};
use crate::input::InputError;
use crate::mailer::Mailer;
use crate::message::MessageCatalog;
use crate::state::Transition;
use crate::store::{Store, StoreErrorKind};

pub use audit::MAX_AUDIT_PAGE;
pub use budget::StaffAlert;
pub use builder::ServiceBuilder;
pub use census::CENSUS_INTERVAL;
pub use import::Importer;
pub use login::LoginOutcome;
pub use password::PasswordChanged;
pub use reset::{PendingReset, ResetOptions, SelfServiceOutcome, StaffResetReceipt};
pub use staff::NewContact;

/// Saves that lose a compare-and-swap are retried this many times in all, then reported as
/// [`ServiceError::Conflict`].
pub const MAX_SAVE_ATTEMPTS: usize = 4;

/// The service: every flow (resets, logins, password changes, staff management).
///
/// Cheap to clone (one `Arc`); clones share the store, mailer, clock and hashing pool.
pub struct AccessService<S, M, C> {
    inner: Arc<Inner<S, M, C>>,
}

struct Inner<S, M, C> {
    store: S,
    mailer: M,
    clock: C,
    policy: SecurityPolicy,
    messages: MessageCatalog,
    hasher: HashPool,
    /// Stands in for the record of an unknown username during login (see `login`).
    decoy: ContactRecord,
    /// Hash parameter sets in use, which every login is padded to.
    census: census::CensusCell,
    /// Where refused staff resets are reported (see `set_alert_hook`).
    alerts: budget::AlertHook,
}

impl<S, M, C> Clone for AccessService<S, M, C> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<S: std::fmt::Debug, M: std::fmt::Debug, C: std::fmt::Debug> std::fmt::Debug for AccessService<S, M, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessService")
            .field("store", &self.inner.store)
            .field("mailer", &self.inner.mailer)
            .field("clock", &self.inner.clock)
            .field("hasher", &self.inner.hasher)
            .finish_non_exhaustive()
    }
}

/// What to do after computing a change from the freshly loaded record.
#[allow(clippy::large_enum_variant, reason = "built once per save attempt and consumed at once")]
pub(crate) enum Step<T> {
    /// Save this transition; on success return the value.
    Save(Transition, T),
    /// Nothing to save; return the value.
    Stop(T),
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// Build a service with the shipped e-mails ([`MessageCatalog::shipped`]). Starts the
    /// hashing threads.
    ///
    /// # Errors
    /// [`ServiceError::Config`] if `policy` fails [`SecurityPolicy::check`].
    pub fn new(store: S, mailer: M, clock: C, policy: SecurityPolicy) -> Result<Self, ServiceError> {
        Self::with_messages(store, mailer, clock, policy, MessageCatalog::shipped())
    }

    /// Build a service with your own e-mail catalog (added locales, overridden messages,
    /// default language and time zone). The catalog is checked first
    /// ([`MessageCatalog::check`]); messages a locale lacks are logged as warnings, once,
    /// here, and render in English.
    ///
    /// # Errors
    /// [`ServiceError::Config`] for an invalid policy; [`ServiceError::Translation`] for a
    /// catalog that could send a broken e-mail.
    pub fn with_messages(
        store: S,
        mailer: M,
        clock: C,
        policy: SecurityPolicy,
        messages: MessageCatalog,
    ) -> Result<Self, ServiceError> {
        Self::builder(store, mailer, clock).policy(policy).messages(messages).build()
    }

    /// Build a service step by step: policy, e-mails, pepper keys ([`ServiceBuilder`]).
    pub fn builder(store: S, mailer: M, clock: C) -> ServiceBuilder<S, M, C> {
        ServiceBuilder::new(store, mailer, clock)
    }

    /// The service around checked parts.
    fn assemble(
        store: S,
        mailer: M,
        clock: C,
        policy: SecurityPolicy,
        messages: MessageCatalog,
        hasher: HashPool,
    ) -> Result<Self, ServiceError> {
        let decoy = crate::store::columns::ContactColumns::decoy().into_record().map_err(ServiceError::Store)?;
        let census = census::CensusCell::default();
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                mailer,
                clock,
                policy,
                messages,
                hasher,
                decoy,
                census,
                alerts: budget::AlertHook::default(),
            }),
        })
    }

    /// The e-mail catalog (its translations also list the locales a contact may choose).
    pub fn messages(&self) -> &MessageCatalog {
        &self.inner.messages
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The mailer.
    pub fn mailer(&self) -> &M {
        &self.inner.mailer
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.inner.clock
    }

    /// The security policy in force.
    pub fn policy(&self) -> &SecurityPolicy {
        &self.inner.policy
    }

    /// The hashing pool (shared by every clone of this service): for metrics, and for
    /// benchmarks that compare a login with its bare verifications on the same workers.
    pub fn hash_pool(&self) -> &HashPool {
        &self.inner.hasher
    }

    /// Argon2 computations done so far (for metrics and for tests that check that unknown
    /// and known usernames cost the same).
    pub fn hash_operations(&self) -> u64 {
        self.inner.hasher.operations()
    }

    fn now(&self) -> crate::clock::Timestamp {
        self.inner.clock.now()
    }

    /// Refuse a password that no policy-conforming password can be (empty, over-long, or
    /// with control characters while the policy refuses them) before any work; otherwise
    /// its NFKC form, the form that is hashed.
    fn normalized(&self, password: &SecretString) -> Result<Zeroizing<String>, InputError> {
        let raw = password.expose_secret();
        let policy = &self.inner.policy.password;
        if policy.is_too_long(raw) {
            return Err(InputError::PasswordTooLong { max: policy.max_length });
        }
        if raw.is_empty() {
            return Err(InputError::PasswordEmpty);
        }
        if policy.reject_control_characters && raw.chars().any(char::is_control) {
            return Err(InputError::PasswordControlCharacter);
        }
        Ok(normalize_password(raw))
    }

    async fn load(&self, id: ContactId) -> Result<ContactRecord, ServiceError> {
        self.inner.store.contact(id).await.map_err(|e| match e.kind() {
            StoreErrorKind::NotFound => ServiceError::ContactNotFound,
            _ => e.into(),
        })
    }

    async fn require_retailer(&self, id: RetailerId) -> Result<(), ServiceError> {
        self.inner.store.retailer(id).await.map(drop).map_err(|e| match e.kind() {
            StoreErrorKind::NotFound => ServiceError::RetailerNotFound,
            _ => e.into(),
        })
    }

    /// Load a contact for a staff operation, authorising first in effect: an iPad user gets
    /// the same audited [`ServiceError::Forbidden`] for a contact outside their retailers and
    /// for an id no contact has, after the same store reads, so ids outside their scope tell
    /// them nothing. Sales admins, who may manage every retailer, are told
    /// [`ServiceError::ContactNotFound`].
    async fn load_for_staff(&self, staff: &Staff, contact: ContactId) -> Result<ContactRecord, ServiceError> {
        let record = self.load_for_staff_even_removed(staff, contact).await?;
        if record.contact.is_removed() {
            // Authorised for its retailer: saying it is gone tells nothing new.
            return Err(ServiceError::ContactNotFound);
        }
        Ok(record)
    }

    /// [`load_for_staff`](Self::load_for_staff), but a removed contact's tombstone too (for
    /// its audit trail, and to remove it again).
    async fn load_for_staff_even_removed(
        &self,
        staff: &Staff,
        contact: ContactId,
    ) -> Result<ContactRecord, ServiceError> {
        match self.inner.store.contact(contact).await {
            Ok(record) => {
                self.authorize(staff, record.contact.retailer, Some(contact)).await?;
                Ok(record)
            }
            Err(e) if e.kind() == StoreErrorKind::NotFound => match staff {
                Staff::SalesAdmin { .. } => Err(ServiceError::ContactNotFound),
                Staff::IpadUser { staff_id, .. } => {
                    // The same reads and write as a denial of an existing contact.
                    self.inner.store.assigned_retailers(*staff_id).await?;
                    self.deny(staff, None, Some(contact)).await
                }
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Staff authorisation: sales admins manage every retailer, iPad users their assigned
    /// ones. A denial is audited and changes nothing else.
    async fn authorize(
        &self,
        staff: &Staff,
        retailer: RetailerId,
        contact: Option<ContactId>,
    ) -> Result<(), ServiceError> {
        let allowed = match staff {
            Staff::SalesAdmin { .. } => true,
            Staff::IpadUser { staff_id, .. } => {
                self.inner.store.assigned_retailers(*staff_id).await?.contains(&retailer)
            }
        };
        if allowed {
            return Ok(());
        }
        self.deny(staff, Some(retailer), contact).await
    }

    /// Audit a denied staff access and answer [`ServiceError::Forbidden`].
    async fn deny<T>(
        &self,
        staff: &Staff,
        retailer: Option<RetailerId>,
        contact: Option<ContactId>,
    ) -> Result<T, ServiceError> {
        tracing::warn!(staff = %staff.staff_id(), "staff access denied");
        let event = AuditEvent {
            at: self.now(),
            actor: Actor::Staff(staff.clone()),
            retailer,
            contact,
            kind: AuditKind::AccessDenied,
        };
        self.inner.store.append_audit(&[event]).await?;
        Err(ServiceError::Forbidden)
    }

    /// Compute a change from the current record and save it with compare-and-swap,
    /// reloading and recomputing after a lost race, at most [`MAX_SAVE_ATTEMPTS`] times.
    async fn update<T>(
        &self,
        record: ContactRecord,
        step: impl FnMut(&ContactRecord) -> Result<Step<T>, ServiceError> + Send,
    ) -> Result<T, ServiceError> {
        self.update_within(record, &budget::Budgets::none(), step).await
    }

    /// [`update`](Self::update), each save only within `budgets` (checked by the store in
    /// the same write): [`ServiceError::ResetBudgetExceeded`] when one has no room.
    async fn update_within<T>(
        &self,
        mut record: ContactRecord,
        budgets: &budget::Budgets,
        mut step: impl FnMut(&ContactRecord) -> Result<Step<T>, ServiceError> + Send,
    ) -> Result<T, ServiceError> {
        for _ in 0..MAX_SAVE_ATTEMPTS {
            let (transition, value) = match step(&record)? {
                Step::Stop(value) => return Ok(value),
                Step::Save(transition, value) => (transition, value),
            };
            let expected = record.credentials.revision;
            let saved = if budgets.is_empty() {
                self.inner.store.save(expected, &transition.record, &transition.events).await.map(Ok)
            } else {
                let checks = budgets.checks();
                self.inner.store.save_within_budgets(expected, &transition.record, &transition.events, checks).await
            };
            match saved {
                Ok(Ok(())) => return Ok(value),
                Ok(Err(over)) => return Err(budgets.refusal(over)),
                Err(e) if e.kind() == StoreErrorKind::Conflict => {
                    tracing::debug!(contact = %record.contact.id, "compare-and-swap lost; reloading");
                    record = self.load(record.contact.id).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict)
    }
}
