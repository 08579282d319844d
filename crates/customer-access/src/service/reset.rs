//! Resets: self-service ("Forgot your password"), by staff, and the e-mail that carries the
//! temporary password.

use customer_access_policy::{TemporaryPassword, UsernameKey};
use secrecy::ExposeSecret;

use crate::actor::{Actor, Staff};
use crate::audit::{AuditEvent, AuditKind};
use crate::clock::{Clock, Timestamp};
use crate::credential::{ContactRecord, StoredHash};
use crate::error::ServiceError;
use crate::ids::ContactId;
use crate::input::{EmailAddress, InputError};
use crate::mailer::{MailError, Mailer, MessageKind};
use crate::message::SecretMessage;
use crate::state::{IssueReason, issue_temporary, reset_allowed, withdraw_undelivered};
use crate::store::Store;

use super::budget::Budgets;
use super::{AccessService, Step};

/// Options of a staff reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResetOptions {
    /// Also remove the current password at once (suspected compromise). Default `false`:
    /// the current password keeps working until the contact sets a new one.
    pub revoke_current_password: bool,
    /// A second staff member who approves this reset. Needed only while the contact's
    /// e-mail address is on hold after a staff change (see
    /// [`ServiceError::SecondApprovalRequired`]); must be another staff member allowed to
    /// manage the contact. The application authenticates them; the approval is audited
    /// under their name.
    pub approved_by: Option<Staff>,
}

impl ResetOptions {
    /// Options that revoke the current password.
    pub fn revoking_current_password() -> Self {
        Self { revoke_current_password: true, approved_by: None }
    }

    /// These options, approved by `approver` (see [`approved_by`](Self::approved_by)).
    #[must_use]
    pub fn approved_by(mut self, approver: Staff) -> Self {
        self.approved_by = Some(approver);
        self
    }
}

/// What a staff member learns from a reset: never the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StaffResetReceipt {
    /// The contact.
    pub contact: ContactId,
    /// When the e-mailed temporary password stops working.
    pub expires_at: Timestamp,
}

/// What happened in the background after a self-service reset request. For logs and tests
/// only: the person who asked always gets the same answer, whatever this says.
#[derive(Debug)]
#[non_exhaustive]
pub enum SelfServiceOutcome {
    /// A temporary password was e-mailed.
    Sent,
    /// No contact has this username (nothing sent, nothing stored).
    UnknownUsername,
    /// The contact's login is disabled (nothing sent).
    LoginDisabled,
    /// The per-contact throttle refused it (nothing sent; audited).
    Throttled,
    /// The e-mail failed; the temporary password was withdrawn and the failure audited.
    DeliveryFailed(MailError),
    /// A store or hashing failure; nothing usable was left behind.
    Failed(ServiceError),
}

/// A self-service reset that has been answered but not yet carried out.
///
/// [`AccessService::request_password_reset`] checks only the username's *format* and
/// returns this at once, without touching the store, so the answer to the person who asked
/// cannot depend on whether the username exists or on how slow the mail server is. Run it
/// in the background, e.g. `tokio::spawn(pending.run())`. Dropping it unrun cancels the reset.
#[must_use = "a PendingReset does nothing until run"]
pub struct PendingReset<S, M, C> {
    service: AccessService<S, M, C>,
    key: UsernameKey,
}

impl<S, M, C> std::fmt::Debug for PendingReset<S, M, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingReset").field("key", &self.key).finish_non_exhaustive()
    }
}

impl<S: Store, M: Mailer, C: Clock> PendingReset<S, M, C> {
    /// Carry out the reset: look the username up, and if it names an enabled contact that
    /// is not throttled, store a new temporary password and e-mail it; withdraw it again if
    /// the e-mail fails. Costs one Argon2 operation whatever the outcome.
    #[tracing::instrument(skip_all, name = "self_service_reset")]
    pub async fn run(self) -> SelfServiceOutcome {
        let outcome = match self.service.self_service_reset(&self.key).await {
            Ok(outcome) => outcome,
            Err(e) => SelfServiceOutcome::Failed(e),
        };
        tracing::info!(outcome = ?outcome, "self-service reset processed");
        outcome
    }
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// "Forgot your password": accept a username and return at once.
    ///
    /// The caller shows every requester the same message ("if that username exists, we
    /// have e-mailed a temporary password") and runs the returned [`PendingReset`] in the
    /// background.
    ///
    /// # Errors
    /// [`ServiceError::Input`] when `username` does not fit the username rules (a property
    /// of the text alone, not of any stored contact).
    pub fn request_password_reset(&self, username: &str) -> Result<PendingReset<S, M, C>, ServiceError> {
        let key = self.inner.policy.username.canonicalize(username).map_err(InputError::Username)?;
        Ok(PendingReset { service: self.clone(), key })
    }

    async fn self_service_reset(&self, key: &UsernameKey) -> Result<SelfServiceOutcome, ServiceError> {
        let now = self.now();
        let policy = &self.inner.policy;
        let record = self.inner.store.contact_by_username(key).await?;
        let refusal = match &record {
            None => Some(SelfServiceOutcome::UnknownUsername),
            Some(r) if !r.contact.login_enabled => Some(SelfServiceOutcome::LoginDisabled),
            Some(r) if !reset_allowed(&r.credentials.reset_window, now, &policy.reset_throttle) => {
                Some(SelfServiceOutcome::Throttled)
            }
            Some(_) => None,
        };
        if let (Some(refusal), record) = (refusal, &record) {
            // Same Argon2 cost as issuing, so even the background work has one shape.
            self.inner.hasher.verify(b"dummy", None).await?;
            if let (SelfServiceOutcome::Throttled, Some(r)) = (&refusal, record) {
                let event = AuditEvent {
                    at: now,
                    actor: Actor::Contact(r.contact.id),
                    retailer: Some(r.contact.retailer),
                    contact: Some(r.contact.id),
                    kind: AuditKind::SelfServiceResetThrottled,
                };
                self.inner.store.append_audit(&[event]).await?;
            }
            return Ok(refusal);
        }
        let Some(record) = record else {
            return Ok(SelfServiceOutcome::UnknownUsername);
        };
        let actor = Actor::Contact(record.contact.id);
        let issued = self.issue(record, &actor, IssueReason::SelfService, &[], &Budgets::none()).await?;
        let Some((saved, temporary, hash)) = issued else {
            return Ok(SelfServiceOutcome::Throttled);
        };
        // While the address is on hold after a staff change, a self-service reset goes to
        // the address before the change: whoever changed it cannot ask for one themselves.
        let recipient = saved.credentials.email_hold.as_ref().filter(|h| h.active(now)).map(|h| h.previous.clone());
        Ok(match self.deliver(&saved, &temporary, &hash, MessageKind::PasswordReset, recipient).await {
            Ok(()) => SelfServiceOutcome::Sent,
            Err(e) => SelfServiceOutcome::DeliveryFailed(e),
        })
    }

    /// Staff reset: a new temporary password for `contact`, e-mailed to the contact. The
    /// staff member never sees it.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] (audited) if `staff` (or the approver) may not manage the
    /// contact's retailer; [`ServiceError::ContactNotFound`]; [`ServiceError::LoginDisabled`];
    /// [`ServiceError::SecondApprovalRequired`] while the address is on hold after a staff
    /// change and no other staff member approved;
    /// [`ServiceError::ResetBudgetExceeded`] (audited, and reported to the
    /// [alert hook](Self::set_alert_hook)) when the staff member, their iPad or the retailer
    /// has used up its reset budget;
    /// [`ServiceError::Delivery`] if the e-mail failed (the temporary password was withdrawn;
    /// a requested revocation of the current password stands); store and hashing failures.
    #[tracing::instrument(skip_all, name = "staff_reset", fields(contact = %contact))]
    pub async fn staff_reset(
        &self,
        staff: &Staff,
        contact: ContactId,
        options: ResetOptions,
    ) -> Result<StaffResetReceipt, ServiceError> {
        let record = self.load_for_staff(staff, contact).await?;
        if !record.contact.login_enabled {
            return Err(ServiceError::LoginDisabled);
        }
        let now = self.now();
        let approver = options.approved_by.as_ref().filter(|a| a.staff_id() != staff.staff_id());
        if let Some(hold) = record.credentials.email_hold.as_ref().filter(|h| h.active(now)) {
            let Some(approver) = approver else {
                return Err(ServiceError::SecondApprovalRequired { until: hold.until });
            };
            self.authorize(approver, record.contact.retailer, Some(contact)).await?;
        }
        let actor = Actor::Staff(staff.clone());
        let reason = IssueReason::Staff { revoke_current: options.revoke_current_password };
        // An approver, checked above if a hold applied: if a hold begins meanwhile, `issue`
        // refuses unless one was given (and then checks them now).
        if let (Some(approver), None) = (approver, record.credentials.email_hold.as_ref().filter(|h| h.active(now))) {
            self.authorize(approver, record.contact.retailer, Some(contact)).await?;
        }
        let retailer = record.contact.retailer;
        let budgets = Budgets::staff_reset(&self.inner.policy.staff_reset_budgets, staff, retailer, now);
        // The approval is saved with the reset it approves, in the same write: a reset the
        // budget refuses leaves no approval behind.
        let approval: Vec<AuditEvent> = approver
            .map(|approver| AuditEvent {
                at: now,
                actor: Actor::Staff(approver.clone()),
                retailer: Some(retailer),
                contact: Some(contact),
                kind: AuditKind::ResetApproved,
            })
            .into_iter()
            .collect();
        let issued = match self.issue(record, &actor, reason, &approval, &budgets).await {
            Err(refusal @ ServiceError::ResetBudgetExceeded { .. }) => {
                return Err(self.refuse_over_budget(staff, contact, retailer, refusal).await);
            }
            issued => issued?,
        };
        let (saved, temporary, hash) = issued.ok_or(ServiceError::LoginDisabled)?;
        let expires_at = saved.credentials.temporary.as_ref().map_or(self.now(), |t| t.expires_at);
        self.deliver(&saved, &temporary, &hash, MessageKind::PasswordReset, None)
            .await
            .map_err(ServiceError::Delivery)?;
        tracing::info!("staff reset e-mailed");
        Ok(StaffResetReceipt { contact, expires_at })
    }

    /// Generate, hash and store a temporary password, with a staff approval's event when one
    /// approved it (saved first, in the same write), within `budgets`. `None` when the fresh
    /// record no longer allows it (login disabled or throttled meanwhile).
    pub(super) async fn issue(
        &self,
        record: ContactRecord,
        actor: &Actor,
        reason: IssueReason,
        approval: &[AuditEvent],
        budgets: &Budgets,
    ) -> Result<Option<(ContactRecord, TemporaryPassword, StoredHash)>, ServiceError> {
        let policy = &self.inner.policy;
        let approved = !approval.is_empty();
        let temporary = TemporaryPassword::generate(&mut crate::random::os_rng(), &policy.password);
        let hash = self.inner.hasher.hash(temporary.expose_secret().as_bytes()).await?;
        let now = self.now();
        let saved = self
            .update_within(record, budgets, |current| {
                let throttled = reason == IssueReason::SelfService
                    && !reset_allowed(&current.credentials.reset_window, now, &policy.reset_throttle);
                // An invitation goes only to a contact that still has no secret at all: a
                // password or temporary one given meanwhile (a reset, a login) stands.
                let invited = reason == IssueReason::Invitation
                    && (current.credentials.password.is_some() || current.credentials.temporary.is_some());
                if !current.contact.login_enabled || throttled || invited {
                    return Ok(Step::Stop(None));
                }
                // The hold is checked again on the record this save is computed from: an
                // e-mail change that won a race with this reset must still hold it.
                if let (IssueReason::Staff { .. } | IssueReason::Invitation, false, Some(hold)) =
                    (reason, approved, current.credentials.email_hold.as_ref().filter(|h| h.active(now)))
                {
                    return Err(ServiceError::SecondApprovalRequired { until: hold.until });
                }
                let mut t = issue_temporary(
                    current,
                    hash.clone(),
                    now,
                    policy.temporary_password_ttl,
                    actor,
                    reason,
                    &policy.reset_throttle,
                );
                t.events.splice(0..0, approval.iter().cloned());
                let saved = t.record.clone();
                Ok(Step::Save(t, Some(saved)))
            })
            .await?;
        Ok(saved.map(|saved| (saved, temporary, hash)))
    }

    /// E-mail the temporary password, to the contact's address or to `recipient`. On
    /// failure, withdraw it (if it is still the pending one) so no unsent secret stays
    /// usable, and audit the failure.
    pub(super) async fn deliver(
        &self,
        record: &ContactRecord,
        temporary: &TemporaryPassword,
        issued: &StoredHash,
        kind: MessageKind,
        recipient: Option<EmailAddress>,
    ) -> Result<(), MailError> {
        let policy = &self.inner.policy;
        let expires_at = record.credentials.temporary.as_ref().map_or(self.now(), |t| t.expires_at);
        let to = self.recipient_preferences(&record.contact).await;
        let mut message = self.inner.messages.render_secret(
            &SecretMessage {
                contact: &record.contact,
                temporary_password: temporary.expose_secret(),
                expires_at,
                valid_for_hours: policy.temporary_password_ttl.as_secs() / 3600,
                include_username: policy.include_username_in_reset_email,
                kind,
            },
            &to,
        );
        if let Some(recipient) = recipient {
            message.to = recipient;
        }
        match self.inner.mailer.send(&message).await {
            Ok(()) => {
                let event = AuditEvent {
                    at: self.now(),
                    actor: Actor::System,
                    retailer: Some(record.contact.retailer),
                    contact: Some(record.contact.id),
                    kind: AuditKind::ResetEmailSent,
                };
                if let Err(e) = self.inner.store.append_audit(&[event]).await {
                    tracing::warn!(error = %e, "could not audit a sent reset e-mail");
                }
                Ok(())
            }
            Err(mail_error) => {
                tracing::warn!(error = %mail_error, kind = ?mail_error.kind(), "reset e-mail failed; withdrawing");
                if let Err(e) = self.withdraw(record.contact.id, issued).await {
                    tracing::error!(error = %e, "could not withdraw an undelivered temporary password");
                }
                Err(mail_error)
            }
        }
    }

    /// Withdraw the undelivered temporary password and audit the failure (with the
    /// withdrawal when it was still pending, alone when a newer change had replaced it).
    async fn withdraw(&self, contact: ContactId, issued: &StoredHash) -> Result<(), ServiceError> {
        let record = self.load(contact).await?;
        let retailer = record.contact.retailer;
        let now = self.now();
        let withdrawn = self
            .update(record, |current| {
                Ok(match withdraw_undelivered(current, issued, now) {
                    Some(t) => Step::Save(t, true),
                    None => Step::Stop(false),
                })
            })
            .await?;
        if !withdrawn {
            let event = AuditEvent {
                at: now,
                actor: Actor::System,
                retailer: Some(retailer),
                contact: Some(contact),
                kind: AuditKind::ResetEmailFailed,
            };
            self.inner.store.append_audit(&[event]).await?;
        }
        Ok(())
    }
}
