//! [`RecordingMailer`]: a [`Mailer`] that keeps every message in memory, with a switch that
//! makes sends fail. For tests and prototypes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use secrecy::{ExposeSecret, SecretString};

use crate::mailer::{MailError, MailErrorKind, Mailer, OutgoingMessage};

/// Records messages instead of sending them. Clones share the same recording.
#[derive(Clone, Debug, Default)]
pub struct RecordingMailer {
    state: Arc<Mutex<Recording>>,
}

#[derive(Debug, Default)]
struct Recording {
    sent: Vec<OutgoingMessage>,
    failure: Option<MailErrorKind>,
}

fn copy(m: &OutgoingMessage) -> OutgoingMessage {
    OutgoingMessage {
        to: m.to.clone(),
        to_name: m.to_name.clone(),
        subject: m.subject.clone(),
        text: SecretString::from(m.text.expose_secret().to_owned()),
        html: SecretString::from(m.html.expose_secret().to_owned()),
        kind: m.kind,
        language: m.language.clone(),
    }
}

impl RecordingMailer {
    /// A mailer that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Recording> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Copies of every message accepted so far, oldest first.
    pub fn messages(&self) -> Vec<OutgoingMessage> {
        self.lock().sent.iter().map(copy).collect()
    }

    /// The most recent message, if any.
    pub fn last_message(&self) -> Option<OutgoingMessage> {
        self.lock().sent.last().map(copy)
    }

    /// The temporary password in the most recent message, in any language: read from the
    /// HTML body's `<code class="temporary-password">` element.
    pub fn last_temporary_password(&self) -> Option<SecretString> {
        let state = self.lock();
        let html = state.sent.last()?.html.expose_secret();
        let (_, after) = html.split_once("<code class=\"temporary-password\">")?;
        let (password, _) = after.split_once("</code>")?;
        // The temporary password alphabet has nothing HTML escapes.
        Some(SecretString::from(password.to_owned()))
    }

    /// From now on, fail every send with `kind` (`None`: accept again).
    pub fn fail_with(&self, kind: Option<MailErrorKind>) {
        self.lock().failure = kind;
    }
}

impl Mailer for RecordingMailer {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        let mut state = self.lock();
        if let Some(kind) = state.failure {
            return Err(MailError::new(kind));
        }
        state.sent.push(copy(message));
        Ok(())
    }
}
