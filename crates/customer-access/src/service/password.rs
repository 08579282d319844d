//! Setting a new password: with a change ticket (after a temporary-password login), or
//! voluntarily (current + new).

use customer_access_policy::{PasswordContext, PasswordViolation, PasswordViolations};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::actor::Actor;
use crate::audit::{AuditEvent, AuditKind};
use crate::clock::Clock;
use crate::credential::{ContactRecord, CredentialVersion};
use crate::error::ServiceError;
use crate::hashing::{Candidate, HashError};
use crate::ids::ContactId;
use crate::mailer::Mailer;
use crate::state::{end_sessions, set_password, ticket_redeemable};
use crate::store::{Store, ThrottleKey};
use crate::ticket::ChangeTicketInput;

use super::throttle::Admission;
use super::{AccessService, Step};

/// A password was set or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordChanged {
    /// Whose.
    pub contact: ContactId,
    /// The new credential version: sessions holding an older one should end.
    pub credential_version: CredentialVersion,
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// Redeem a change ticket: set the contact's new password.
    ///
    /// The policy is checked first, and every violation is reported at once; the ticket stays
    /// valid after a rejection so the user can try again. On success the temporary password
    /// and ticket are gone, the credential version is bumped, failed logins are forgotten,
    /// and a "your password was changed" notice is sent. Of two concurrent redemptions of one
    /// ticket exactly one succeeds.
    ///
    /// # Errors
    /// [`ServiceError::InvalidTicket`] (unknown, used, expired, malformed, login disabled);
    /// [`ServiceError::PasswordRejected`]; [`ServiceError::Overloaded`]; store failures.
    #[tracing::instrument(skip_all, name = "set_new_password")]
    pub async fn set_new_password(
        &self,
        ticket: impl ChangeTicketInput,
        new_password: &SecretString,
    ) -> Result<PasswordChanged, ServiceError> {
        let (contact, digest) = ticket.redeemable().ok_or(ServiceError::InvalidTicket)?;
        self.reject_if_too_long(new_password)?;
        let now = self.now();
        let record = self.load(contact).await.map_err(|e| match e {
            ServiceError::ContactNotFound => ServiceError::InvalidTicket,
            other => other,
        })?;
        if !ticket_redeemable(&record, &digest, now) {
            return Err(ServiceError::InvalidTicket);
        }
        let candidate = self.check_new_password(&record, new_password, true).await?;
        let hash = self.inner.hasher.hash(candidate.as_bytes()).await?;
        let (changed, saved) = self
            .update(record, |current| {
                if !ticket_redeemable(current, &digest, now) {
                    return Err(ServiceError::InvalidTicket);
                }
                let t = set_password(current, hash.clone(), now, AuditKind::PasswordSet);
                let changed = PasswordChanged {
                    contact: current.contact.id,
                    credential_version: t.record.credentials.credential_version,
                };
                let saved = t.record.clone();
                Ok(Step::Save(t, (changed, saved)))
            })
            .await?;
        self.after_password_change(&saved).await;
        tracing::info!(contact = %changed.contact, "new password set with change ticket");
        Ok(changed)
    }

    /// A logged-in contact changes its password (current + new).
    ///
    /// # Errors
    /// [`ServiceError::InvalidCredentials`] for a wrong current password (counted like a
    /// failed login) or a disabled login; [`ServiceError::LockedOut`];
    /// [`ServiceError::PasswordRejected`]; [`ServiceError::Input`] for an over-long current
    /// password; [`ServiceError::ContactNotFound`]; store and hashing failures.
    #[tracing::instrument(skip_all, name = "change_password", fields(contact = %contact))]
    pub async fn change_password(
        &self,
        contact: ContactId,
        current_password: &SecretString,
        new_password: &SecretString,
    ) -> Result<PasswordChanged, ServiceError> {
        let current_candidate = self.normalized(current_password)?;
        self.reject_if_too_long(new_password)?;
        let record = self.load(contact).await?;
        let now = self.now();
        // A new password the policy refuses is bad input: refused before any attempt is
        // charged or any hash computed (against_temporary is false, so this hashes nothing).
        let candidate = self.check_new_password(&record, new_password, false).await?;
        // A hash under a pepper key this service lacks: a configuration error, not a wrong
        // password, so nothing is charged for it (as at login).
        if let Some(id) = self.inner.hasher.missing_pepper(record.credentials.password.as_ref()) {
            self.pepper_missing(id.clone());
            return Err(ServiceError::Hashing(HashError::UnknownPepper(id)));
        }
        // Counted like a login: reserved before the current password is verified.
        let key = ThrottleKey::username(&record.contact.username_key);
        if let Admission::Locked(retry_after) = self.reserve_attempt(&key).await? {
            return Err(ServiceError::LockedOut { retry_after });
        }
        let verified = record.credentials.password.clone();
        // An imported hash is checked on the password as typed (see `Candidate`).
        let typed = Candidate::new(current_candidate.as_bytes(), current_password.expose_secret().as_bytes());
        let matched = self.verify_or_false(typed, verified.as_ref()).await?;
        if !matched || !record.contact.login_enabled || verified.is_none() {
            return Err(ServiceError::InvalidCredentials);
        }
        let hash = self.inner.hasher.hash(candidate.as_bytes()).await?;
        let (changed, saved) = self
            .update(record, |current| {
                // The password proven above must still be the current one.
                if current.credentials.password != verified || !current.contact.login_enabled {
                    return Err(ServiceError::InvalidCredentials);
                }
                let t = set_password(current, hash.clone(), now, AuditKind::PasswordChanged);
                let changed = PasswordChanged { contact, credential_version: t.record.credentials.credential_version };
                let saved = t.record.clone();
                Ok(Step::Save(t, (changed, saved)))
            })
            .await?;
        self.after_password_change(&saved).await;
        Ok(changed)
    }

    /// A logged-in contact ends every session and every recognised device ("log out
    /// everywhere"): the credential version bumps, so every session that compares it ends on
    /// its next request and no device token is recognised any more. Returns the new version
    /// (keep it in the session that asked, if it stays logged in).
    ///
    /// # Errors
    /// [`ServiceError::ContactNotFound`]; store failures.
    #[tracing::instrument(skip_all, name = "log_out_everywhere", fields(contact = %contact))]
    pub async fn log_out_everywhere(&self, contact: ContactId) -> Result<CredentialVersion, ServiceError> {
        let record = self.load(contact).await?;
        let now = self.now();
        self.update(record, |current| {
            let t = end_sessions(current, now);
            let version = t.record.credentials.credential_version;
            Ok(Step::Save(t, version))
        })
        .await
    }

    fn reject_if_too_long(&self, new_password: &SecretString) -> Result<(), ServiceError> {
        let policy = &self.inner.policy.password;
        if policy.is_too_long(new_password.expose_secret()) {
            let too_long = PasswordViolations::single(PasswordViolation::TooLong { max: policy.max_length });
            return Err(ServiceError::PasswordRejected(too_long));
        }
        Ok(())
    }

    /// Every policy violation at once, plus "same as the temporary password", which only a
    /// hash comparison can tell. That comparison runs only for a password that passes every
    /// other rule: a temporary password passes them all by construction, so a password that
    /// breaks one cannot be it, and no hash work is spent on it. Returns the normalised
    /// password, the form to hash.
    async fn check_new_password(
        &self,
        record: &ContactRecord,
        new_password: &SecretString,
        against_temporary: bool,
    ) -> Result<Zeroizing<String>, ServiceError> {
        let policy = &self.inner.policy.password;
        let context = PasswordContext { username: Some(&record.contact.username), temporary_password: None };
        policy.validate(new_password.expose_secret(), &context).map_err(ServiceError::PasswordRejected)?;
        let candidate = self.normalized(new_password)?;
        let temporary =
            record.credentials.temporary.as_ref().filter(|_| against_temporary && policy.reject_temporary_password);
        if let Some(temporary) = temporary
            && self.verify_or_false(candidate.as_bytes().into(), Some(&temporary.hash)).await?
        {
            let same = PasswordViolations::single(PasswordViolation::SameAsTemporaryPassword);
            return Err(ServiceError::PasswordRejected(same));
        }
        Ok(candidate)
    }

    /// Forget failed logins and send the "your password was changed" notice. Best effort:
    /// the change itself already succeeded.
    async fn after_password_change(&self, record: &ContactRecord) {
        let store = &self.inner.store;
        if let Err(e) = store.clear_login_failures(&ThrottleKey::username(&record.contact.username_key)).await {
            tracing::warn!(error = %e, "could not clear failed logins after a password change");
        }
        let to = self.recipient_preferences(&record.contact).await;
        let notice = self.inner.messages.render_password_changed(&record.contact, &to);
        if let Err(e) = self.inner.mailer.send(&notice).await {
            tracing::warn!(error = %e, "password-changed notice failed");
            let event = AuditEvent {
                at: self.now(),
                actor: Actor::System,
                retailer: Some(record.contact.retailer),
                contact: Some(record.contact.id),
                kind: AuditKind::PasswordChangedNoticeFailed,
            };
            if let Err(e) = store.append_audit(&[event]).await {
                tracing::warn!(error = %e, "could not audit a failed notice");
            }
        }
    }
}
