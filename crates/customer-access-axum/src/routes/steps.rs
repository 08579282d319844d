//! What a login, a forced change and a voluntary change do to the session, once for the
//! pages and the JSON endpoints.

use customer_access::{ChangeTicket, ContactId, CredentialVersion, PasswordChanged};
use tower_sessions::Session;

use crate::respond::Refusal;
use crate::session::{self, AccessSession, SessionUnavailable};

impl From<SessionUnavailable> for Refusal {
    fn from(e: SessionUnavailable) -> Self {
        Self::SessionStore(e.to_string())
    }
}

/// Logged in: a new session id holding the contact and its credential version.
pub(super) async fn grant(session: &Session, contact: ContactId, version: CredentialVersion) -> Result<(), Refusal> {
    let mut state = AccessSession::default();
    state.login = Some((contact.get(), version.0));
    Ok(session::rotate(session, state).await?)
}

/// A password was set or changed: this session goes on under the new version and a new id;
/// every other session of the contact ends on its next request.
pub(super) async fn regrant(session: &Session, changed: &PasswordChanged) -> Result<(), Refusal> {
    grant(session, changed.contact, changed.credential_version).await
}

/// A temporary password matched: a new session id holding the change ticket (not a login).
pub(super) async fn hold_ticket(session: &Session, ticket: &ChangeTicket, username: &str) -> Result<(), Refusal> {
    let mut state = AccessSession::default();
    state.ticket = Some(ticket.expose_secret().to_owned());
    state.ticket_username = Some(username.to_owned());
    Ok(session::rotate(session, state).await?)
}

/// The session's pending ticket and the username it was obtained with.
pub(super) async fn held_ticket(session: &Session) -> Result<Option<(String, Option<String>)>, Refusal> {
    Ok(session::read(session).await?.and_then(|s| s.ticket.clone().map(|t| (t, s.ticket_username.clone()))))
}

/// The ticket was refused as used or expired: the session drops it (and so leaves the
/// change fence) but keeps its id, which never held more than the ticket.
pub(super) async fn drop_ticket(session: &Session) -> Result<(), Refusal> {
    let mut state = session::read(session).await?.unwrap_or_else(AccessSession::fresh);
    state.ticket = None;
    state.ticket_username = None;
    Ok(session::write(session, &state).await?)
}

/// The session's CSRF token (created if needed).
pub(super) async fn csrf(session: &Session) -> Result<String, Refusal> {
    Ok(crate::context::token_of(session).await?)
}
