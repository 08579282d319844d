//! Building a service with more than the defaults.

use crate::clock::Clock;
use crate::error::ServiceError;
use crate::hashing::{HashPool, HashPoolOptions, Peppers};
use crate::mailer::Mailer;
use crate::message::MessageCatalog;
use crate::store::Store;
use customer_access_policy::SecurityPolicy;

use super::AccessService;

/// Builds an [`AccessService`]: [`AccessService::new`] with any of the policy, the e-mail
/// catalog and the pepper keys set. Start with [`AccessService::builder`].
///
/// ```
/// use customer_access::hashing::Peppers;
/// use customer_access::secrecy::SecretSlice;
/// use customer_access::{AccessService, MemoryStore, RecordingMailer, SecurityPolicy, SystemClock};
/// let key = SecretSlice::from(vec![42u8; 32]); // from the application's secret store
/// let service = AccessService::builder(MemoryStore::new(), RecordingMailer::new(), SystemClock)
///     .policy(SecurityPolicy::default())
///     .peppers(Peppers::current("2026a", key)?)
///     .build()?;
/// # let _ = service;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until built"]
pub struct ServiceBuilder<S, M, C> {
    store: S,
    mailer: M,
    clock: C,
    policy: SecurityPolicy,
    messages: MessageCatalog,
    peppers: Peppers,
}

impl<S: Store, M: Mailer, C: Clock> ServiceBuilder<S, M, C> {
    pub(super) fn new(store: S, mailer: M, clock: C) -> Self {
        Self {
            store,
            mailer,
            clock,
            policy: SecurityPolicy::default(),
            messages: MessageCatalog::shipped(),
            peppers: Peppers::none(),
        }
    }

    /// The security policy (default: [`SecurityPolicy::default`]).
    pub fn policy(mut self, policy: SecurityPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The e-mails (default: [`MessageCatalog::shipped`]).
    pub fn messages(mut self, messages: MessageCatalog) -> Self {
        self.messages = messages;
        self
    }

    /// The pepper keys (default: none). Call
    /// [`check_configuration`](AccessService::check_configuration) once the service is built
    /// to learn at start-up of a stored hash whose key is missing.
    pub fn peppers(mut self, peppers: Peppers) -> Self {
        self.peppers = peppers;
        self
    }

    /// Check the policy and the catalog, and start the hashing threads.
    ///
    /// # Errors
    /// [`ServiceError::Config`] for an invalid policy; [`ServiceError::Translation`] for a
    /// catalog that could send a broken e-mail; [`ServiceError::Hashing`] for Argon2 settings
    /// the `argon2` crate refuses.
    pub fn build(self) -> Result<AccessService<S, M, C>, ServiceError> {
        let Self { store, mailer, clock, policy, messages, peppers } = self;
        policy.check()?;
        for missing in messages.check()? {
            tracing::warn!(locale = %missing.locale, message = %missing.id, "message not translated; English is used");
        }
        let options = HashPoolOptions { legacy: policy.legacy_hashes, peppers };
        let hasher =
            HashPool::with_options(&policy.argon2, policy.max_concurrent_hashes, policy.hash_queue_depth, options)?;
        AccessService::assemble(store, mailer, clock, policy, messages, hasher)
    }
}

impl<S, M, C> std::fmt::Debug for ServiceBuilder<S, M, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBuilder").field("peppers", &self.peppers).finish_non_exhaustive()
    }
}
