//! The layer every request passes: the session's login checked against the contact's current
//! credential version, a pending forced change fenced in, CSRF checked on every unsafe
//! method, bodies bounded, security headers added.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use customer_access::{Clock, Mailer, ServiceError, Store};
use tower_sessions::Session;

use crate::access::CustomerAccess;
use crate::context::AccessContext;
use crate::csrf;
use crate::respond::{self, Refusal};
use crate::session::{self, AccessSession};

/// The middleware [`CustomerAccess::install`] puts over every route.
pub(crate) async fn guard<S: Store, M: Mailer, C: Clock>(
    State(access): State<CustomerAccess<S, M, C>>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let ours = access.paths().is_api(request.uri().path());
    let api = ours || wants_json(request.headers());
    let language = respond::accept_language(request.headers()).to_owned();
    let mut response = match admit(&access, &session, request).await {
        Ok(request) => next.run(request).await,
        Err(refusal) => respond::refusal(&access, refusal, api, &language),
    };
    respond::security_headers(response.headers_mut());
    if ours {
        // The JSON answers carry the CSRF token and who is logged in: never stored.
        respond::no_store(response.headers_mut());
    }
    response
}

/// The request, with its [`AccessContext`] and its body read, or why it is refused.
async fn admit<S: Store, M: Mailer, C: Clock>(
    access: &CustomerAccess<S, M, C>,
    session: &Session,
    request: Request,
) -> Result<Request, Refusal> {
    let mut state = session::read(session).await.map_err(|e| Refusal::SessionStore(e.to_string()))?;
    let mut ended = false;
    let mut contact = None;
    if let Some((id, version)) = state.as_ref().and_then(AccessSession::login) {
        // One indexed read of the contact; no hashing. A password change (here or on
        // another instance), a staff reset revoking the password, disabling the login or
        // "log out everywhere" all bump the version, so this session ends here.
        match access.service().credential_version(id).await {
            Ok(current) if current == version => contact = Some((id, version)),
            Ok(_) | Err(ServiceError::ContactNotFound) => {
                session::end(session).await.map_err(|e| Refusal::SessionStore(e.to_string()))?;
                tracing::info!(contact = %id, "session ended: its credential version is no longer current");
                state = None;
                ended = true;
            }
            Err(e) => return Err(Refusal::Service(e)),
        }
    }
    if let Some(value) = state.as_ref().filter(|v| session::needs_touch(v, access.settings().idle_timeout)) {
        session::write(session, value).await.map_err(|e| Refusal::SessionStore(e.to_string()))?;
    }
    let pending = state.as_ref().is_some_and(|s| s.ticket.is_some());
    let path = request.uri().path();
    if pending && !access.paths().open_while_change_pending(path) {
        return Err(Refusal::ChangePending);
    }
    // Every body is read here within the limit, whatever the method: a handler never reads
    // more than the limit, however it reads.
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, access.settings().body_limit).await.map_err(|_| Refusal::TooLarge)?;
    if !is_safe(&parts.method) {
        let submitted = parts
            .headers
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| is_form(&parts.headers).then(|| csrf::from_form(&bytes)).flatten());
        let expected = state.as_ref().map_or("", |s| s.csrf.as_str());
        if !submitted.is_some_and(|t| csrf::matches(expected, &t)) {
            tracing::info!(path = %parts.uri.path(), "refused: missing or wrong CSRF token");
            return Err(Refusal::Csrf);
        }
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(AccessContext::new(contact, pending, ended, access.paths().login()));
    Ok(request)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Does the client ask for JSON (a script or the iPad client)? Then refusals are JSON.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}
