//! Change tickets: the short-lived secret a login with a temporary password returns, redeemed
//! once to set the new password.
//!
//! Text form: `<contact id>.<43 characters of unpadded base64url>` (256 random bits). Only a
//! BLAKE2b-256 digest of the random part is stored.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::credential::TicketDigest;
use crate::ids::ContactId;

const DOMAIN: &[u8] = b"customer-access change ticket v1\0";

/// A change ticket. `Debug` is redacted, there is no `Display`; the text is zeroized on drop.
///
/// To carry it through a web form or a server-side session, keep
/// [`expose_secret`](Self::expose_secret) and give it back to [`parse`](Self::parse).
pub struct ChangeTicket {
    contact: ContactId,
    text: SecretString,
}

/// The text is not a ticket this library issued. The service answers every such case,
/// like an unknown or used ticket, with one `InvalidTicket`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed change ticket")]
pub struct MalformedTicket;

impl ChangeTicket {
    /// A new random ticket for `contact`.
    pub(crate) fn generate(contact: ContactId) -> Self {
        Self { contact, text: crate::token::generate(contact) }
    }

    /// Parse a ticket submitted by a client (untrusted input).
    ///
    /// # Errors
    /// [`MalformedTicket`] unless `text` has exactly the issued shape.
    pub fn parse(text: &str) -> Result<Self, MalformedTicket> {
        let contact = crate::token::parse(text).ok_or(MalformedTicket)?;
        Ok(Self { contact, text: SecretString::from(text.to_owned()) })
    }

    /// The contact the ticket was issued for.
    pub fn contact(&self) -> ContactId {
        self.contact
    }

    /// The ticket text, to hand to the client (hidden form field, never a URL).
    pub fn expose_secret(&self) -> &str {
        self.text.expose_secret()
    }

    /// The digest stored in place of the ticket.
    pub(crate) fn digest(&self) -> TicketDigest {
        TicketDigest::from_hex(crate::token::digest_hex(DOMAIN, &self.text))
    }
}

/// What [`AccessService::set_new_password`](crate::AccessService::set_new_password) accepts:
/// the [`ChangeTicket`] a login returned, or its text as a client sent it back (a
/// `SecretString` or `&str` read from a server-side session or a form), which is parsed;
/// malformed text is answered like an unknown ticket.
///
/// To carry a ticket through a web request, keep [`ChangeTicket::expose_secret`] in the
/// server-side session (never in a URL) and pass it back as it is.
pub trait ChangeTicketInput: sealed::Sealed {
    /// The contact and digest to redeem, if the input is a well-formed ticket.
    #[doc(hidden)]
    fn redeemable(&self) -> Option<(ContactId, TicketDigest)>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &super::ChangeTicket {}
    impl Sealed for &secrecy::SecretString {}
    impl Sealed for &str {}
}

impl ChangeTicketInput for &ChangeTicket {
    fn redeemable(&self) -> Option<(ContactId, TicketDigest)> {
        Some((self.contact, self.digest()))
    }
}

impl ChangeTicketInput for &SecretString {
    fn redeemable(&self) -> Option<(ContactId, TicketDigest)> {
        ChangeTicket::parse(self.expose_secret()).ok().map(|t| (t.contact, t.digest()))
    }
}

impl ChangeTicketInput for &str {
    fn redeemable(&self) -> Option<(ContactId, TicketDigest)> {
        ChangeTicket::parse(self).ok().map(|t| (t.contact, t.digest()))
    }
}

impl fmt::Debug for ChangeTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeTicket(contact {}, [REDACTED])", self.contact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_digest() {
        let t = ChangeTicket::generate(ContactId::new(42));
        let parsed = ChangeTicket::parse(t.expose_secret()).unwrap();
        assert_eq!(parsed.contact(), ContactId::new(42));
        assert_eq!(parsed.digest(), t.digest());
        assert_eq!(t.digest().as_hex().len(), 64);
        assert_ne!(ChangeTicket::generate(ContactId::new(42)).digest(), t.digest());
        assert!(!format!("{t:?}").contains(t.expose_secret()));
    }

    #[test]
    fn malformed_tickets() {
        let good = ChangeTicket::generate(ContactId::new(7));
        let secret = good.expose_secret().split_once('.').unwrap().1.to_owned();
        for bad in [
            String::new(),
            "7".into(),
            format!("07.{secret}"),
            format!("+7.{secret}"),
            format!("x.{secret}"),
            format!("7.{}", &secret[1..]),
            format!("7.{secret}A"),
            format!("7.{}=", &secret[..42]),
            format!("7.{}", "!".repeat(43)),
            format!("7.{secret}\n"),
        ] {
            assert!(ChangeTicket::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
