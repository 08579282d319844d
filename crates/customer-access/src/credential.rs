//! The credential state of one contact. Holds hashes and digests, never a plaintext secret.

use std::fmt;

use crate::actor::Actor;
use crate::clock::Timestamp;
use crate::domain::Contact;
use crate::input::EmailAddress;

/// A password hash in PHC string format (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
///
/// Not a plaintext secret, but still offline-guessable, so `Debug` shows only the
/// algorithm and parameters.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredHash(String);

impl StoredHash {
    /// Wrap a PHC string read back from storage. It is parsed (and its parameters bounded)
    /// only when used, so a corrupt row fails one login, not the load.
    pub fn from_phc(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    /// The PHC string, for storing.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`: keep the first three fields.
        let public: Vec<&str> = self.0.splitn(5, '$').take(4).collect();
        write!(f, "StoredHash({}$…)", public.join("$"))
    }
}

/// A digest (BLAKE2b-256, hex) of a change ticket's secret part. The ticket itself is never
/// stored: it has 256 bits of entropy, so a fast digest is enough to make a leaked row
/// useless.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketDigest(String);

impl TicketDigest {
    /// Wrap a digest read back from storage.
    pub fn from_hex(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    /// The hex digest, for storing.
    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TicketDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TicketDigest(…)")
    }
}

/// A pending temporary password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryCredential {
    /// Argon2id hash of the temporary password.
    pub hash: StoredHash,
    /// When it was made.
    pub issued_at: Timestamp,
    /// First instant at which it no longer works.
    pub expires_at: Timestamp,
    /// Who asked for it.
    pub issued_by: Actor,
}

/// A pending change ticket (issued by a login with the temporary password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRecord {
    /// Digest of the ticket's secret.
    pub digest: TicketDigest,
    /// First instant at which it no longer works.
    pub expires_at: Timestamp,
}

/// Reset e-mails sent in the current throttle window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResetWindow {
    /// Start of the window; `None` before the first reset.
    pub started_at: Option<Timestamp>,
    /// Resets in the window.
    pub count: u32,
}

/// The hold that follows a staff change of a contact's e-mail address: until `until`, a
/// staff reset needs a second staff member and a self-service reset goes to `previous`, so
/// no one staff member can redirect the contact's mail and take the login over before the
/// previous address has been told and had time to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailHold {
    /// The address before the first staff change of this hold.
    pub previous: EmailAddress,
    /// When the hold ends.
    pub until: Timestamp,
}

impl EmailHold {
    /// Is the hold still in force at `now`? (Exclusive, like every expiry here.)
    pub fn active(&self, now: Timestamp) -> bool {
        now < self.until
    }
}

/// Compare-and-swap counter of a [`ContactRecord`]: bumped by every save. A store saves a
/// record only if the stored revision is the one the caller loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Revision(pub i64);

impl Revision {
    /// The revision after this one.
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

/// Bumped on every credential change (new password, revoked password, login disabled,
/// username changed): an application stores it in the session at login and ends the
/// session when it differs (the "security stamp" pattern).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CredentialVersion(pub i64);

impl CredentialVersion {
    /// The version after this one.
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

/// Everything about a contact's login that changes with resets, logins and password changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Compare-and-swap counter.
    pub revision: Revision,
    /// Session invalidation counter.
    pub credential_version: CredentialVersion,
    /// The current password's hash; `None` before the first password is set or after staff
    /// revoked it.
    pub password: Option<StoredHash>,
    /// At most one pending temporary password: a newer reset replaces it.
    pub temporary: Option<TemporaryCredential>,
    /// At most one pending change ticket.
    pub ticket: Option<TicketRecord>,
    /// Self-service reset throttle state.
    pub reset_window: ResetWindow,
    /// The hold after a staff change of the e-mail address, if one was made.
    pub email_hold: Option<EmailHold>,
}

impl Credentials {
    /// A fresh login: no password, nothing pending.
    pub fn empty() -> Self {
        Self {
            revision: Revision(0),
            credential_version: CredentialVersion(0),
            password: None,
            temporary: None,
            ticket: None,
            reset_window: ResetWindow::default(),
            email_hold: None,
        }
    }
}

/// A contact and its credentials: the unit a [`crate::Store`] loads and saves atomically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRecord {
    /// The contact.
    pub contact: Contact,
    /// Its credentials.
    pub credentials: Credentials,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_salt_and_hash() {
        let h = StoredHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
        let shown = format!("{h:?}");
        assert_eq!(shown, "StoredHash($argon2id$v=19$m=19456,t=2,p=1$…)");
        assert!(!format!("{:?}", TicketDigest::from_hex("abcd")).contains("abcd"));
    }
}
