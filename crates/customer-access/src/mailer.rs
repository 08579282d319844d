//! For mailer implementors: the mail contract (send one rendered message) and its types.
//!
//! `customer-access-smtp` implements [`Mailer`] over SMTP and as a file outbox;
//! [`RecordingMailer`](crate::RecordingMailer) keeps messages in memory for tests.

use std::fmt;
use std::future::Future;

use secrecy::{ExposeSecret, SecretString};

pub use crate::erased::{BoxFuture, DynMailer};
use crate::input::EmailAddress;
pub use crate::kinded::{ErrorKind, KindError};

/// What a message is for; lets a mailer route or tag it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageKind {
    /// A temporary password after a reset.
    PasswordReset,
    /// A first temporary password for a new login.
    Invitation,
    /// "Your password was changed" (no secret).
    PasswordChanged,
    /// To the previous address: staff changed the e-mail address (no secret; the new
    /// address masked).
    EmailChanged,
}

/// A rendered e-mail. The bodies may hold a temporary password, so they are secrets: `Debug`
/// shows only the recipient, kind and subject.
pub struct OutgoingMessage {
    /// Recipient address (already validated: no CR/LF, plain ASCII).
    pub to: EmailAddress,
    /// Recipient's display name.
    pub to_name: String,
    /// Subject line (no secret).
    pub subject: String,
    /// Plain-text body.
    pub text: SecretString,
    /// HTML body.
    pub html: SecretString,
    /// What the message is for.
    pub kind: MessageKind,
    /// The language it is written in (for a `Content-Language` header).
    pub language: crate::i18n::Locale,
}

impl OutgoingMessage {
    /// The plain-text body, for the mailer's eyes only.
    pub fn text_body(&self) -> &str {
        self.text.expose_secret()
    }

    /// The HTML body, for the mailer's eyes only.
    pub fn html_body(&self) -> &str {
        self.html.expose_secret()
    }
}

impl fmt::Debug for OutgoingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("to", &self.to)
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// Whether a failed send may work if retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailErrorKind {
    /// Retrying later may work (connection refused, timeout, 4xx reply).
    Transient,
    /// Retrying will not help (5xx reply, rejected address, TLS misconfiguration).
    Permanent,
}

impl ErrorKind for MailErrorKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Transient => "temporary mail delivery failure",
            Self::Permanent => "permanent mail delivery failure",
        }
    }
}

/// A failed send: a [`MailErrorKind`] and the transport's error as the source.
pub type MailError = KindError<MailErrorKind>;

/// Sends one rendered message. Success means the message was handed to the mail system
/// (accepted by the SMTP server, written to the outbox).
pub trait Mailer: Send + Sync + fmt::Debug + 'static {
    /// Send `message`.
    fn send(&self, message: &OutgoingMessage) -> impl Future<Output = Result<(), MailError>> + Send;
}
