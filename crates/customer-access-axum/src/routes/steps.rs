//! What a login, a forced change and a voluntary change do to the session, once for the
//! pages and the JSON endpoints.

use axum::http::HeaderMap;
use axum::response::Response;
use customer_access::secrecy::SecretString;
use customer_access::{
    ChangeTicket, Clock, ContactId, CredentialVersion, DeviceToken, LoginOutcome, Mailer, PasswordChanged,
    ServiceError, Store,
};
use tower_sessions::Session;

use crate::access::CustomerAccess;
use crate::device;

use crate::respond::Refusal;
use crate::session::{self, AccessSession, SessionUnavailable};

impl From<SessionUnavailable> for Refusal {
    fn from(e: SessionUnavailable) -> Self {
        Self::SessionStore(e.to_string())
    }
}

/// A login attempt, presenting the browser's device token if it has one: a browser that
/// logged in before has its attempts counted on their own, so a stranger guessing at the
/// username cannot lock it out.
pub(super) async fn attempt<S: Store, M: Mailer, C: Clock>(
    access: &CustomerAccess<S, M, C>,
    headers: &HeaderMap,
    username: &str,
    password: &SecretString,
) -> Result<LoginOutcome, ServiceError> {
    let known = device::presented(access.settings(), headers);
    access.service().login_from_device(username, password, known.as_ref()).await
}

/// Logged in: the session granted (see [`grant`]), and `answer` with the new device token's
/// cookie if the login handed one out.
pub(super) async fn logged_in<S: Store, M: Mailer, C: Clock>(
    access: &CustomerAccess<S, M, C>,
    session: &Session,
    (contact, version): (ContactId, CredentialVersion),
    token: Option<DeviceToken>,
    mut answer: Response,
) -> Result<Response, Refusal> {
    grant(session, contact, version).await?;
    if let Some(token) = token {
        device::keep(access.settings(), &mut answer, &token, access.service().policy().device_tokens.ttl);
    }
    Ok(answer)
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
