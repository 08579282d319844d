//! What this crate keeps in a tower-sessions [`Session`]: one value under one key, so an
//! application's own session keys never collide with it.
//!
//! The change ticket of a forced password change is kept here, server-side, and never put in
//! a form field or a URL. With this crate's SQL session stores it rests encrypted; with
//! another [`SessionStore`](tower_sessions::SessionStore) it rests as that store keeps it.

use customer_access::{ContactId, CredentialVersion};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The key of this crate's value in the session.
pub(crate) const KEY: &str = "customer_access";

/// The crate's part of a session.
#[derive(Clone, Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct AccessSession {
    /// The CSRF token every form and JSON call of this session must carry.
    pub(crate) csrf: String,
    /// Who is logged in, and the credential version at login: `(contact, version)` raw.
    pub(crate) login: Option<(i64, i64)>,
    /// A pending forced change: the ticket's text.
    pub(crate) ticket: Option<String>,
    /// The username the ticket was obtained with, put (hidden) in the set-password form so a
    /// password manager saves the new password under it. Not a secret: the person typed it.
    pub(crate) ticket_username: Option<String>,
}

impl std::fmt::Debug for AccessSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessSession")
            .field("login", &self.login)
            .field("ticket", &self.ticket.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl AccessSession {
    /// A session with a fresh CSRF token and nothing else.
    pub(crate) fn fresh() -> Self {
        let mut fresh = Self::default();
        fresh.csrf = crate::csrf::new_token();
        fresh
    }

    /// The logged-in contact and the credential version the session was granted under.
    pub(crate) fn login(&self) -> Option<(ContactId, CredentialVersion)> {
        self.login.map(|(c, v)| (ContactId::new(c), CredentialVersion(v)))
    }
}

/// The session could not be read or written: the session store failed. Answered `503`.
#[derive(Debug, thiserror::Error)]
#[error("the session store failed: {0}")]
pub(crate) struct SessionUnavailable(#[from] tower_sessions::session::Error);

/// This crate's part of `session`, if it has one.
pub(crate) async fn read(session: &Session) -> Result<Option<AccessSession>, SessionUnavailable> {
    Ok(session.get::<AccessSession>(KEY).await?)
}

/// Replace this crate's part of `session`.
pub(crate) async fn write(session: &Session, value: &AccessSession) -> Result<(), SessionUnavailable> {
    session.insert(KEY, value).await?;
    Ok(())
}

/// Move the session to a new id and give it `value` (with a new CSRF token: the old one was
/// in pages served under the old id). Whenever a session gains privilege: a login, a change
/// ticket, a new password. An id planted in the browser or seen before is then worth nothing.
pub(crate) async fn rotate(session: &Session, mut value: AccessSession) -> Result<(), SessionUnavailable> {
    session.cycle_id().await?;
    value.csrf = crate::csrf::new_token();
    write(session, &value).await
}

/// End the session: its data deleted from the store, its cookie removed.
pub(crate) async fn end(session: &Session) -> Result<(), SessionUnavailable> {
    session.flush().await?;
    Ok(())
}
