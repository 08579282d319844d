//! Audit events: what happened, who did it, to which contact, when. Never a secret.
//!
//! Stored as a hash chain ([`chain`]) that [`verify_audit`] walks; read in pages by
//! [`AuditScope`]; counted by the staff reset budgets ([`BudgetCheck`]).

pub(crate) mod chain;
mod scope;
mod verify;

pub use chain::{AuditHash, AuditRecord, ChainEnds, ChainLink, MalformedAuditHash};
pub use scope::{AuditScope, BudgetCheck, OverBudget, device_of, staff_of};
pub use verify::{
    AnchorCheck, AuditAnchor, AuditBreak, AuditVerification, MalformedAnchor, VerifyError, cut_anchor, verify_audit,
};

use std::fmt;
use std::str::FromStr;

use crate::actor::Actor;
use crate::clock::Timestamp;
use crate::ids::{ContactId, RetailerId};

/// One audited fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
    /// Which retailer, when known.
    pub retailer: Option<RetailerId>,
    /// Which contact, when known.
    pub contact: Option<ContactId>,
    /// What.
    pub kind: AuditKind,
}

macro_rules! audit_kinds {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// What happened. Stored by its [`code`](Self::code).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum AuditKind {
            $($(#[$doc])* $variant,)*
        }

        impl AuditKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [AuditKind] = &[$(AuditKind::$variant,)*];

            /// A stable snake_case code for storage.
            pub fn code(self) -> &'static str {
                match self {
                    $(AuditKind::$variant => $code,)*
                }
            }
        }

        impl FromStr for AuditKind {
            type Err = UnknownAuditKind;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok(AuditKind::$variant),)*
                    _ => Err(UnknownAuditKind),
                }
            }
        }
    };
}

audit_kinds! {
    /// A retailer was created.
    RetailerCreated => "retailer_created",
    /// Staff created a contact's login (an invitation with a first temporary password).
    ContactInvited => "contact_invited",
    /// A contact asked for a reset by username and a temporary password was issued.
    SelfServiceResetIssued => "self_service_reset_issued",
    /// A self-service reset was refused by the per-contact throttle; nothing was sent.
    SelfServiceResetThrottled => "self_service_reset_throttled",
    /// Staff issued a temporary password.
    StaffResetIssued => "staff_reset_issued",
    /// Staff revoked the current password (suspected compromise).
    PasswordRevoked => "password_revoked",
    /// A reset or invitation e-mail was accepted by the mailer.
    ResetEmailSent => "reset_email_sent",
    /// A reset or invitation e-mail could not be sent.
    ResetEmailFailed => "reset_email_failed",
    /// A pending temporary password was withdrawn (undeliverable, or its contact changed).
    TemporaryPasswordWithdrawn => "temporary_password_withdrawn",
    /// A login with the temporary password issued a change ticket.
    ChangeTicketIssued => "change_ticket_issued",
    /// A new password was set with a change ticket.
    PasswordSet => "password_set",
    /// A logged-in contact changed its password.
    PasswordChanged => "password_changed",
    /// A stored hash with outdated parameters was re-hashed at login.
    PasswordHashUpgraded => "password_hash_upgraded",
    /// The "your password was changed" notice could not be sent.
    PasswordChangedNoticeFailed => "password_changed_notice_failed",
    /// Staff changed the contact's e-mail address.
    EmailChanged => "email_changed",
    /// Staff changed the contact's username.
    UsernameChanged => "username_changed",
    /// Staff enabled the login.
    LoginEnabled => "login_enabled",
    /// Staff disabled the login.
    LoginDisabled => "login_disabled",
    /// Staff cleared the failed-login lockout.
    Unlocked => "unlocked",
    /// A staff member tried to act on a retailer they may not manage.
    AccessDenied => "access_denied",
    /// Staff removed the contact: its login ended and its personal data was erased; the
    /// audit trail keeps pointing at its id.
    ContactRemoved => "contact_removed",
    /// The contact ended every session and recognised device ("log out everywhere").
    LoggedOutEverywhere => "logged_out_everywhere",
    /// The previous address was told of a staff e-mail change.
    EmailChangeNoticeSent => "email_change_notice_sent",
    /// The notice of a staff e-mail change to the previous address could not be sent.
    EmailChangeNoticeFailed => "email_change_notice_failed",
    /// A staff reset during the hold after a staff e-mail change was approved by a second
    /// staff member (named in this event as its actor).
    ResetApproved => "reset_approved",
    /// A staff reset (or removal or username change, which the same budgets count) was refused: the staff
    /// member, their iPad or the retailer had used up its reset budget
    /// (`SecurityPolicy::staff_reset_budgets`). Nothing changed.
    ResetBudgetExceeded => "reset_budget_exceeded",
    /// The contact's language or time zone was set (by staff or the contact).
    PreferencesChanged => "preferences_changed",
    /// Staff set a retailer's default language or time zone (no contact).
    RetailerPreferencesChanged => "retailer_preferences_changed",
    /// A bulk import created the contact (with an imported password hash or none; no
    /// e-mail was sent). The actor is the staff member who ran the import.
    ContactImported => "contact_imported",
    /// A bulk import changed the contact's display name, login or imported password hash
    /// (an e-mail change is recorded as [`EmailChanged`](Self::EmailChanged) as well).
    ContactReimported => "contact_reimported",
    /// A bulk import created the retailer (the event names the staff member who ran it).
    RetailerImported => "retailer_imported",
    /// A bulk import changed the retailer's name.
    RetailerRenamed => "retailer_renamed",
}

/// A stored audit code this version does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit event code")]
pub struct UnknownAuditKind;

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

impl fmt::Display for AuditEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} by {}", self.at, self.kind, self.actor)?;
        if let Some(contact) = self.contact {
            write!(f, " (contact {contact})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in AuditKind::ALL {
            assert!(seen.insert(kind.code()));
            assert_eq!(kind.code().parse::<AuditKind>(), Ok(*kind));
        }
        assert!("nope".parse::<AuditKind>().is_err());
    }
}
