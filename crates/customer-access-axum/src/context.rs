//! What the layer found out about a request, and the extractors handlers read it with.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use customer_access::{ContactId, CredentialVersion};
use tower_sessions::Session;

use crate::session::{self, AccessSession};

/// The layer's findings, in the request's extensions.
#[derive(Clone, Debug)]
pub(crate) struct AccessContext {
    contact: Option<(ContactId, CredentialVersion)>,
    pending: bool,
    ended: bool,
    login_path: String,
}

impl AccessContext {
    pub(crate) fn new(
        contact: Option<(ContactId, CredentialVersion)>,
        pending: bool,
        ended: bool,
        login_path: String,
    ) -> Self {
        Self { contact, pending, ended, login_path }
    }

    /// Did the layer just end this request's session because it was stale?
    pub(crate) fn session_ended(&self) -> bool {
        self.ended
    }

    /// Is a forced change pending in this session?
    pub(crate) fn change_pending(&self) -> bool {
        self.pending
    }
}

/// The logged-in contact, checked by the layer against the current credential version on
/// this very request. Without a login a browser is redirected to the login page (`303`) and
/// a JSON client (`Accept: application/json`) gets `401`. Use `Option<CurrentContact>` on
/// pages open to everyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CurrentContact {
    /// Who.
    pub id: ContactId,
    /// The credential version the session was granted under (and still current).
    pub credential_version: CredentialVersion,
}

/// Why [`CurrentContact`] could not be extracted.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginRequired {
    /// Nobody is logged in: redirect a browser to this login page.
    Redirect(String),
    /// Nobody is logged in and the client asked for JSON: `401`.
    Unauthorized,
    /// The layer is missing (a route outside [`CustomerAccess::install`](crate::CustomerAccess::install)):
    /// a programming error, answered `500`.
    NoLayer,
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect(to) => Redirect::to(&to).into_response(),
            Self::Unauthorized => crate::respond::json_error(axum::http::StatusCode::UNAUTHORIZED, "login_required"),
            Self::NoLayer => {
                tracing::error!("CurrentContact used on a route outside CustomerAccess::install");
                axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl<St: Send + Sync> FromRequestParts<St> for CurrentContact {
    type Rejection = LoginRequired;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, Self::Rejection> {
        let context = parts.extensions.get::<AccessContext>().ok_or(LoginRequired::NoLayer)?;
        match context.contact {
            Some((id, credential_version)) => Ok(Self { id, credential_version }),
            None if crate::guard::wants_json(&parts.headers) => Err(LoginRequired::Unauthorized),
            // Say why, when the layer has just ended this session as stale.
            None if context.ended => Err(LoginRequired::Redirect(format!("{}?n=session-ended", context.login_path))),
            None => Err(LoginRequired::Redirect(context.login_path.clone())),
        }
    }
}

impl<St: Send + Sync> OptionalFromRequestParts<St> for CurrentContact {
    type Rejection = LoginRequired;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Option<Self>, Self::Rejection> {
        let context = parts.extensions.get::<AccessContext>().ok_or(LoginRequired::NoLayer)?;
        Ok(context.contact.map(|(id, credential_version)| Self { id, credential_version }))
    }
}

/// The session's CSRF token, for the application's own forms (a hidden field named
/// [`csrf::FORM_FIELD`](crate::csrf::FORM_FIELD)) and scripts (the header
/// [`csrf::HEADER`](crate::csrf::HEADER)). Creates the session if there is none yet.
/// Every unsafe request under the layer without it is refused `403`.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl std::fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfToken([redacted])")
    }
}

impl CsrfToken {
    /// The token, to write into a page.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The session store failed while the CSRF token was created: `503`.
#[derive(Debug)]
pub struct CsrfUnavailable;

impl IntoResponse for CsrfUnavailable {
    fn into_response(self) -> Response {
        crate::respond::json_error(axum::http::StatusCode::SERVICE_UNAVAILABLE, "session_store_unavailable")
    }
}

impl<St: Send + Sync> FromRequestParts<St> for CsrfToken {
    type Rejection = CsrfUnavailable;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, Self::Rejection> {
        let Some(session) = parts.extensions.get::<Session>().cloned() else {
            tracing::error!("CsrfToken used without the session layer");
            return Err(CsrfUnavailable);
        };
        token_of(&session).await.map(Self).map_err(|_| CsrfUnavailable)
    }
}

/// The session's token, creating the crate's part of the session first if needed.
pub(crate) async fn token_of(session: &Session) -> Result<String, session::SessionUnavailable> {
    if let Some(existing) = session::read(session).await?
        && !existing.csrf.is_empty()
    {
        return Ok(existing.csrf.clone());
    }
    let fresh = AccessSession::fresh();
    session::write(session, &fresh).await?;
    Ok(fresh.csrf.clone())
}
