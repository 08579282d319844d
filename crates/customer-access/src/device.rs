//! Recognised devices: the OWASP "device cookie". A successful login hands the application
//! a [`DeviceToken`] to keep in a long-lived cookie; a later login that presents it for the
//! same contact is throttled under the device's own key instead of the username's, so a
//! stranger who keeps guessing at a username cannot lock its owner's devices out.
//!
//! Only a digest of a token is stored ([`DeviceRecord`]). A token is recognised only while
//! the contact's credential version is the one it was issued under, so every credential
//! change (a new password, a staff revocation, disabling, a username change, "log out
//! everywhere") ends every device at once, with no write to the tokens themselves.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::clock::Timestamp;
use crate::credential::{ContactRecord, CredentialVersion};
use crate::ids::ContactId;

const DOMAIN: &[u8] = b"customer-access device token v1\0";

/// A device token: `<contact id>.<256 random bits in base64url>`. `Debug` is redacted,
/// there is no `Display`; the text is zeroized on drop.
pub struct DeviceToken {
    contact: ContactId,
    text: SecretString,
}

/// The text is not a device token this library issued. A login treats it like no token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed device token")]
pub struct MalformedDeviceToken;

impl DeviceToken {
    pub(crate) fn generate(contact: ContactId) -> Self {
        Self { contact, text: crate::token::generate(contact) }
    }

    /// Parse a token read back from a client's cookie (untrusted input).
    ///
    /// # Errors
    /// [`MalformedDeviceToken`] unless `text` has exactly the issued shape.
    pub fn parse(text: &str) -> Result<Self, MalformedDeviceToken> {
        let contact = crate::token::parse(text).ok_or(MalformedDeviceToken)?;
        Ok(Self { contact, text: SecretString::from(text.to_owned()) })
    }

    /// The contact the token was issued to.
    pub fn contact(&self) -> ContactId {
        self.contact
    }

    /// The token text, for an `HttpOnly`, `Secure` cookie.
    pub fn expose_secret(&self) -> &str {
        self.text.expose_secret()
    }

    /// The digest stored in place of the token.
    pub fn digest(&self) -> DeviceTokenDigest {
        DeviceTokenDigest(crate::token::digest_hex(DOMAIN, &self.text))
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceToken(contact {}, [REDACTED])", self.contact)
    }
}

/// The stored form of a [`DeviceToken`]: 64 hex digits of its BLAKE2b-256 digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceTokenDigest(String);

impl DeviceTokenDigest {
    /// A digest read back from storage.
    pub fn from_hex(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    /// The hex text.
    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

/// A recognised device as a store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Digest of the token (unique).
    pub digest: DeviceTokenDigest,
    /// The contact it was issued to.
    pub contact: ContactId,
    /// The contact's credential version at issue; any later credential change ends it.
    pub credential_version: CredentialVersion,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it stops being recognised.
    pub expires_at: Timestamp,
}

impl DeviceRecord {
    /// Does this record recognise a login of `record` at `now`?
    pub fn recognises(&self, record: &ContactRecord, now: Timestamp) -> bool {
        self.contact == record.contact.id
            && record.contact.login_enabled
            && self.credential_version == record.credentials.credential_version
            && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_digest_and_redaction() {
        let t = DeviceToken::generate(ContactId::new(5));
        let parsed = DeviceToken::parse(t.expose_secret()).unwrap();
        assert_eq!((parsed.contact(), parsed.digest()), (ContactId::new(5), t.digest()));
        assert_eq!(t.digest().as_hex().len(), 64);
        assert!(!format!("{t:?}").contains(t.expose_secret()));
        assert!(DeviceToken::parse("5.short").is_err());
    }

    #[test]
    fn a_device_digest_differs_from_a_ticket_digest_of_the_same_text() {
        let t = DeviceToken::generate(ContactId::new(5));
        let ticket = crate::ticket::ChangeTicket::parse(t.expose_secret()).unwrap();
        assert_ne!(t.digest().as_hex(), ticket.digest().as_hex(), "domain-separated");
    }
}
