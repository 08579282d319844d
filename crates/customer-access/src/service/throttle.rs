//! Login throttling: every attempt is reserved in the store *before* its password is
//! verified, with compare-and-swap, so that however many requests arrive at once and however
//! many service instances share the store, no more attempts are verified per window than
//! the back-off allows. A success clears the key (a refund of every reservation), so the
//! owner is never left locked out by their own successful login.

use std::time::Duration;

use crate::clock::Clock;
use crate::error::ServiceError;
use crate::mailer::Mailer;
use crate::state::{charge_attempt, lockout_remaining};
use crate::store::{FailureRetention, Store, ThrottleKey};

use super::AccessService;

/// Compare-and-swap rounds before a reservation gives up. Each lost round means another
/// attempt on the same key was reserved meanwhile, so a request that loses this often is
/// part of a burst: it is refused like a locked-out one (fail closed), never verified.
const MAX_RESERVE_ROUNDS: usize = 16;

/// May an attempt be verified?
#[derive(Debug)]
pub(super) enum Admission {
    /// Reserved: verify it, and on success clear the key.
    Reserved,
    /// Refused for this long; nothing is verified.
    Locked(Duration),
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// Reserve one attempt under `key`, or say how long to wait.
    pub(super) async fn reserve_attempt(&self, key: &ThrottleKey) -> Result<Admission, ServiceError> {
        let backoff = &self.inner.policy.login_backoff;
        let store = &self.inner.store;
        for _ in 0..MAX_RESERVE_ROUNDS {
            let now = self.now();
            let current = store.login_failures(key).await?;
            if let Some(wait) = lockout_remaining(&current, now, backoff) {
                return Ok(Admission::Locked(wait));
            }
            let charged = charge_attempt(&current, now, backoff);
            let retention = self.failure_retention();
            if store.swap_login_failures(key, current, charged, retention).await? {
                return Ok(Admission::Reserved);
            }
        }
        tracing::info!("login refused: reservation contended");
        Ok(Admission::Locked(backoff.base_delay.max(Duration::from_secs(1))))
    }

    /// How long and how many failure entries the store keeps, as of now.
    pub(super) fn failure_retention(&self) -> FailureRetention {
        let backoff = &self.inner.policy.login_backoff;
        FailureRetention {
            forget_before: self.now().minus(backoff.forget_after),
            max_entries: backoff.max_tracked_keys,
        }
    }

    /// A verified success: refund every reservation under `key`.
    pub(super) async fn clear_attempts(&self, key: &ThrottleKey) -> Result<(), ServiceError> {
        Ok(self.inner.store.clear_login_failures(key).await?)
    }
}
