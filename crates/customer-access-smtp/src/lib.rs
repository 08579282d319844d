//! Mail delivery for `customer-access`.
//!
//! - [`SmtpMailer`] sends over SMTP with lettre and rustls (no OpenSSL): STARTTLS required
//!   by default, implicit TLS, or plain text only by an explicit, dangerously named opt-in;
//!   login; custom root certificates; a connection pool; connect and command timeouts.
//! - [`FileMailer`] writes each message as an `.eml` file into a folder, for the quickstart
//!   and development.
//!
//! Both build a multipart (plain text + HTML) message with Date, Message-ID, From, To and
//! Subject headers from the core's rendered message, and refuse header-injection attempts
//! (CR/LF or other control characters in an address, display name or subject) with a typed
//! [`MessageError`] before anything is sent. Failures map to the core's transient (4xx
//! replies, timeouts, refused connections) and permanent (5xx replies, TLS failures, bad
//! messages) kinds, with lettre's error as the source.
//!
//! ```no_run
//! use customer_access_smtp::{Sender, SmtpConfig, SmtpMailer};
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SmtpConfig::from_url("smtp://mailer:secret@mail.shop.example:587")?;
//! let mailer = SmtpMailer::new(config, Sender::new("no-reply@shop.example", "Shop")?)?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod config;
mod file;
mod message;
mod smtp;

pub use config::{ConfigError, Security, SmtpConfig, SmtpCredentials};
pub use file::FileMailer;
pub use message::{MessageError, Sender};
pub use smtp::SmtpMailer;
