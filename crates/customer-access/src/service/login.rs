//! Login with username and password.

use std::time::Duration;

use secrecy::SecretString;

use crate::clock::Clock;
use crate::credential::{ContactRecord, CredentialVersion, StoredHash};
use crate::error::ServiceError;
use crate::hashing::HashError;
use crate::ids::ContactId;
use crate::input::InputError;
use crate::mailer::Mailer;
use crate::state::{issue_ticket, lockout_remaining, pending_temporary, upgrade_hash};
use crate::store::Store;
use crate::ticket::ChangeTicket;

use super::{AccessService, Step};

/// The answer to a login attempt.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginOutcome {
    /// The current password matched. Keep `credential_version` in the session and end the
    /// session when [`AccessService::credential_version`] no longer returns it.
    Authenticated {
        /// Who logged in.
        contact: ContactId,
        /// The credential version at login.
        credential_version: CredentialVersion,
    },
    /// The temporary password matched: send the user to "set a new password" with this
    /// ticket (it does not log them in). It works once, for minutes.
    PasswordChangeRequired {
        /// Redeem with [`AccessService::set_new_password`].
        ticket: ChangeTicket,
    },
    /// Unknown username, wrong password, expired temporary password or disabled login: one
    /// answer for all, so that none of them can be told apart.
    InvalidCredentials,
    /// Too many failed attempts for this username (known or not); try again after this long.
    LockedOut {
        /// How long to wait.
        retry_after: Duration,
    },
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// Log in with username and password.
    ///
    /// Every attempt that reaches the password check costs exactly two Argon2
    /// verifications (against the current password and the pending temporary password, a
    /// dummy hash standing in for whichever is missing), so an unknown username, a disabled
    /// login and a known one cannot be told apart by time. The two run in parallel on the
    /// hashing pool (one queue slot), so on an idle pool with two or more workers a login
    /// takes about one verification's time. Failures are counted per normalised username,
    /// known or not, so a lockout reveals nothing either.
    ///
    /// # Errors
    /// [`ServiceError::Input`] for a malformed username or an over-long password (refused
    /// before any hashing); [`ServiceError::Overloaded`] when hashing is saturated; store
    /// failures.
    #[tracing::instrument(skip_all, name = "login")]
    pub async fn login(&self, username: &str, password: &SecretString) -> Result<LoginOutcome, ServiceError> {
        let policy = &self.inner.policy;
        let key = policy.username.canonicalize(username).map_err(InputError::Username)?;
        let candidate = self.normalized(password)?;
        let store = &self.inner.store;
        let now = self.now();
        let failures = store.login_failures(&key).await?;
        if let Some(retry_after) = lockout_remaining(&failures, now, &policy.login_backoff) {
            tracing::info!("login refused: locked out");
            return Ok(LoginOutcome::LockedOut { retry_after });
        }
        // An unknown username continues with a decoy record shaped like a real one, so the
        // same work (clones, drops, two verifications) is done either way.
        let found = store.contact_by_username(&key).await?;
        let exists = found.is_some();
        let record = found.unwrap_or_else(|| self.inner.decoy.clone());
        let usable = exists && record.contact.login_enabled;
        let current = record.credentials.password.as_ref().filter(|_| usable);
        let temporary = pending_temporary(&record, now).map(|t| t.hash.clone()).filter(|_| usable);
        // Both verifications run in parallel: a login takes one verification's time on an
        // idle pool, and the work stays two verifications whatever the username.
        let (current_ok, temporary_ok) =
            self.inner.hasher.verify_pair(candidate.as_bytes(), current, temporary.as_ref()).await?;
        let (current_ok, temporary_ok) = (usable_or_false(current_ok)?, usable_or_false(temporary_ok)?);
        let usable = usable.then_some(record);

        match (usable, current_ok, temporary_ok) {
            (Some(record), true, _) => {
                if failures.count > 0 {
                    store.clear_login_failures(&key).await?;
                }
                let version = record.credentials.credential_version;
                let contact = record.contact.id;
                // Boxed, like the ticket branch: rare paths whose futures (a whole
                // compare-and-swap save) would otherwise enlarge every waiting login's.
                Box::pin(self.upgrade_if_outdated(record, candidate.as_bytes())).await;
                tracing::info!(contact = %contact, "login succeeded");
                Ok(LoginOutcome::Authenticated { contact, credential_version: version })
            }
            (Some(record), false, true) => Box::pin(self.issue_change_ticket(record, temporary)).await,
            _ => {
                let forget_before = now.minus(policy.login_backoff.forget_after);
                store.record_login_failure(&key, now, forget_before).await?;
                tracing::info!("login failed");
                Ok(LoginOutcome::InvalidCredentials)
            }
        }
    }

    /// The contact's current credential version: an application compares it with the one
    /// stored in a session and ends the session when they differ.
    ///
    /// # Errors
    /// [`ServiceError::ContactNotFound`], store failures.
    pub async fn credential_version(&self, contact: ContactId) -> Result<CredentialVersion, ServiceError> {
        Ok(self.load(contact).await?.credentials.credential_version)
    }

    /// Verify, treating an unusable stored hash as a mismatch (logged, never shown).
    pub(super) async fn verify_or_false(
        &self,
        candidate: &[u8],
        stored: Option<&StoredHash>,
    ) -> Result<bool, ServiceError> {
        usable_or_false(self.inner.hasher.verify(candidate, stored).await)
    }

    async fn issue_change_ticket(
        &self,
        record: ContactRecord,
        issued: Option<StoredHash>,
    ) -> Result<LoginOutcome, ServiceError> {
        let now = self.now();
        let ttl = self.inner.policy.change_ticket_ttl;
        let outcome = self
            .update(record, |current| {
                // After a lost race, the temporary password must still be the one that matched.
                let still = pending_temporary(current, now).map(|t| &t.hash) == issued.as_ref();
                if !still || !current.contact.login_enabled {
                    return Ok(Step::Stop(LoginOutcome::InvalidCredentials));
                }
                let ticket = ChangeTicket::generate(current.contact.id);
                let transition = issue_ticket(current, ticket.digest(), now, ttl);
                Ok(Step::Save(transition, LoginOutcome::PasswordChangeRequired { ticket }))
            })
            .await?;
        tracing::info!("login with temporary password: change required");
        Ok(outcome)
    }

    /// Re-hash with the current parameters after a successful login. Best effort: a failure
    /// here must not fail the login.
    async fn upgrade_if_outdated(&self, record: ContactRecord, candidate: &[u8]) {
        let Some(stored) = record.credentials.password.clone() else {
            return;
        };
        if !self.inner.hasher.needs_rehash(&stored) {
            return;
        }
        let now = self.now();
        let result = async {
            let fresh = self.inner.hasher.hash(candidate).await?;
            self.update(record, |current| {
                if current.credentials.password.as_ref() != Some(&stored) {
                    return Ok(Step::Stop(()));
                }
                Ok(Step::Save(upgrade_hash(current, fresh.clone(), now), ()))
            })
            .await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not upgrade an outdated password hash");
        }
    }
}

/// A verification's answer, with an unusable stored hash counted as a mismatch (logged,
/// never shown): a tampered row must not lock its owner out with an error page.
fn usable_or_false(result: Result<bool, HashError>) -> Result<bool, ServiceError> {
    match result {
        Ok(matched) => Ok(matched),
        Err(e @ (HashError::Malformed | HashError::ParamsTooLarge)) => {
            tracing::error!(error = %e, "stored password hash unusable");
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
