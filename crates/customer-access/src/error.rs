//! [`ServiceError`]: everything a service call can answer besides success.

use customer_access_policy::{ConfigError, PasswordViolations};

use crate::hashing::HashError;
use crate::i18n::TranslationError;
use crate::input::InputError;
use crate::mailer::MailError;
use crate::store::{StoreError, StoreErrorKind};

/// Why a service call did not succeed. Variants are chosen so a caller can act on them; none
/// carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// Input refused before any work; nothing changed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The new password breaks the policy; every violation is listed. Nothing changed (a
    /// change ticket stays valid).
    #[error(transparent)]
    PasswordRejected(PasswordViolations),
    /// Wrong current password (voluntary change).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed attempts; try again after this long.
    #[error("too many failed attempts; try again in {} s", retry_after.as_secs().max(1))]
    LockedOut {
        /// How long to wait.
        retry_after: std::time::Duration,
    },
    /// The change ticket is unknown, used, expired, malformed, or its login was disabled.
    #[error("the change ticket is invalid or has expired; log in again")]
    InvalidTicket,
    /// The staff member may not manage this retailer. The attempt was audited.
    #[error("not allowed to manage this retailer")]
    Forbidden,
    /// No such contact. Told only to sales admins (who may manage every retailer): an iPad
    /// user asking for a contact outside their retailers, or for no contact at all, gets
    /// [`Forbidden`](Self::Forbidden) either way, so ids outside their scope say nothing.
    #[error("no such contact")]
    ContactNotFound,
    /// The contact's e-mail address was changed by staff less than
    /// `SecurityPolicy::staff_email_change_hold` ago: a staff reset now needs a second staff
    /// member's approval ([`ResetOptions::approved_by`](crate::ResetOptions::approved_by)),
    /// or must wait until `until`. Nothing changed.
    #[error("a second staff member must approve a reset so soon after an e-mail change")]
    SecondApprovalRequired {
        /// When the hold ends.
        until: crate::clock::Timestamp,
    },
    /// A staff reset, removal or username change was refused: the staff member, their iPad
    /// or the retailer has had `max` of them in the last `window`
    /// (`SecurityPolicy::staff_reset_budgets`).
    /// Nothing changed; the refusal was audited and reported to the alert hook.
    #[error("reset budget of {scope} used up ({max} per {} min); try later or ask a sales admin", window.as_secs() / 60)]
    ResetBudgetExceeded {
        /// Whose budget: [`AuditScope::Staff`](crate::AuditScope::Staff),
        /// [`AuditScope::Device`](crate::AuditScope::Device) or
        /// [`AuditScope::Retailer`](crate::AuditScope::Retailer).
        scope: crate::audit::AuditScope,
        /// Resets allowed per window.
        max: u32,
        /// The window.
        window: std::time::Duration,
    },
    /// No such retailer.
    #[error("no such retailer")]
    RetailerNotFound,
    /// The username is taken by another contact (compared in canonical form).
    #[error("that username is already taken")]
    UsernameTaken,
    /// The contact's login is disabled; enable it first.
    #[error("the contact's login is disabled")]
    LoginDisabled,
    /// An e-mail could not be sent: a reset's or invitation's temporary password was
    /// withdrawn, or an e-mail change was undone because its notice to the previous address
    /// failed; the failure was audited.
    #[error("the e-mail could not be sent; the change was withdrawn")]
    Delivery(#[source] MailError),
    /// Password hashing is saturated; try again shortly. Nothing changed.
    #[error("too busy; try again shortly")]
    Overloaded,
    /// Concurrent updates kept winning; gave up after a bounded number of retries.
    #[error("the contact was changed concurrently; try again")]
    Conflict,
    /// The store failed.
    #[error("storage failed: {0}")]
    Store(#[source] StoreError),
    /// Hashing failed for another reason than load.
    #[error("password hashing failed: {0}")]
    Hashing(#[source] HashError),
    /// The service was configured with an invalid security policy.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The service was configured with a message catalog that could send a broken e-mail
    /// ([`MessageCatalog::check`](crate::MessageCatalog::check)).
    #[error(transparent)]
    Translation(#[from] TranslationError),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e.kind() {
            StoreErrorKind::Conflict => Self::Conflict,
            StoreErrorKind::Duplicate => Self::UsernameTaken,
            _ => Self::Store(e),
        }
    }
}

impl From<HashError> for ServiceError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Overloaded => Self::Overloaded,
            other => Self::Hashing(other),
        }
    }
}
