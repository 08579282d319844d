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
    /// When the session was last written (Unix seconds), so the layer can rewrite it now and
    /// then and move its idle expiry on while it is in use (see [`needs_touch`]).
    #[serde(default)]
    pub(crate) touched: i64,
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

/// Replace this crate's part of `session` (which also moves its idle expiry on).
pub(crate) async fn write(session: &Session, value: &AccessSession) -> Result<(), SessionUnavailable> {
    let mut value = value.clone();
    value.touched = now();
    session.insert(KEY, &value).await?;
    Ok(())
}

/// Now, in Unix seconds.
fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// tower-sessions writes a session, and so moves its idle expiry on, only when its data
/// changed. A session in use must not end `idle` after its last change, so the layer rewrites
/// it once a fraction of `idle` has passed: a tenth of it, at most a minute (one write per
/// minute of use, not one per request).
pub(crate) fn needs_touch(value: &AccessSession, idle: std::time::Duration) -> bool {
    let every = i64::try_from((idle / 10).min(std::time::Duration::from_secs(60)).as_secs()).unwrap_or(60);
    now() - value.touched >= every
}

/// Move the session to a new id, emptied, and give it `value` (with a new CSRF token: the old
/// one was in pages served under the old id). Whenever a session gains privilege: a login, a
/// change ticket, a new password. An id planted in the browser or seen before is then worth
/// nothing, and nothing the application kept in the session before (perhaps for another
/// contact, on a shared shop computer) carries over.
pub(crate) async fn rotate(session: &Session, mut value: AccessSession) -> Result<(), SessionUnavailable> {
    session.clear().await;
    session.cycle_id().await?;
    value.csrf = crate::csrf::new_token();
    write(session, &value).await
}

/// End the session: its data deleted from the store, its cookie removed. Should the same
/// request write the session again (a page that needs a CSRF token), that is a new session
/// under a new id: the ended id never names a session again.
pub(crate) async fn end(session: &Session) -> Result<(), SessionUnavailable> {
    session.flush().await?;
    session.cycle_id().await?;
    Ok(())
}
