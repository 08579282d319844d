//! Building a lettre message from the core's rendered [`OutgoingMessage`], refusing anything
//! that could inject a header before a byte is sent.

use customer_access::mailer::{MailError, MailErrorKind, OutgoingMessage};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");

/// A message that cannot be sent as given. Nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// An address that lettre's parser refuses.
    #[error("invalid {field} address")]
    InvalidAddress {
        /// `from` or `to`.
        field: &'static str,
    },
    /// CR, LF or another control character in a header value (display name or subject):
    /// a header-injection attempt.
    #[error("control character in the {field} header")]
    HeaderInjection {
        /// `from name`, `to name` or `subject`.
        field: &'static str,
    },
    /// lettre could not assemble the message.
    #[error("could not build the message")]
    Build,
}

impl From<MessageError> for MailError {
    fn from(e: MessageError) -> Self {
        // Sending the same message again cannot succeed.
        MailError::with_source(MailErrorKind::Permanent, e)
    }
}

/// The sender of every message: an address and a display name (UTF-8 is fine).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    mailbox: Mailbox,
}

impl Sender {
    /// Check and build a sender.
    ///
    /// ```
    /// use customer_access_smtp::Sender;
    /// assert!(Sender::new("no-reply@shop.example", "Bäckerei Shop").is_ok());
    /// assert!(Sender::new("no-reply@shop.example", "Shop\r\nBcc: x@evil.example").is_err());
    /// ```
    ///
    /// # Errors
    /// [`MessageError`] for an invalid address or a control character in the name.
    pub fn new(address: &str, name: &str) -> Result<Self, MessageError> {
        Ok(Self { mailbox: mailbox(address, name, "from")? })
    }

    /// The mailbox (`"Name" <address>`).
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }
}

fn check_header(value: &str, field: &'static str) -> Result<(), MessageError> {
    if value.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
        return Err(MessageError::HeaderInjection { field });
    }
    Ok(())
}

fn mailbox(address: &str, name: &str, field: &'static str) -> Result<Mailbox, MessageError> {
    check_header(address, field)?;
    check_header(name, if field == "from" { "from name" } else { "to name" })?;
    let address = address.parse().map_err(|_| MessageError::InvalidAddress { field })?;
    let name = (!name.is_empty()).then(|| name.to_owned());
    Ok(Mailbox::new(name, address))
}

/// `<128 random bits in hex@sender's domain>`: unique, and naming the sending domain rather
/// than the machine's host name (which would leak internal names and, in containers, is
/// often meaningless).
fn message_id(sender: &Sender) -> Result<String, MessageError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|_| MessageError::Build)?;
    Ok(format!("<{}@{}>", base16ct::lower::encode_string(&random), sender.mailbox.email.domain()))
}

/// A multipart (plain text + HTML) message with Date, Message-ID, From, To, Subject and
/// Content-Language (the language the core wrote it in; a validated tag of letters, digits
/// and `-`, so no header can be injected through it).
pub(crate) fn build(sender: &Sender, message: &OutgoingMessage) -> Result<Message, MessageError> {
    let to = mailbox(message.to.as_str(), &message.to_name, "to")?;
    check_header(&message.subject, "subject")?;
    Message::builder()
        .from(sender.mailbox.clone())
        .to(to)
        .subject(message.subject.clone())
        .date_now()
        .message_id(Some(message_id(sender)?))
        .raw_header(HeaderValue::new(CONTENT_LANGUAGE, message.language.as_str().to_owned()))
        .multipart(MultiPart::alternative_plain_html(message.text_body().to_owned(), message.html_body().to_owned()))
        .map_err(|_| MessageError::Build)
}
