//! How refusals and failures are answered: the right status, `Retry-After` where waiting
//! helps, an HTML page or a JSON body, and the security headers on everything.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use customer_access::ServiceError;
use customer_access::store::StoreErrorKind;

use crate::access::CustomerAccess;
use crate::templates::{Notice, StatusPage};

/// Why the layer or a route did not do what was asked.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The session store failed.
    SessionStore(String),
    /// The service failed or is saturated.
    Service(ServiceError),
    /// A forced change is pending and this is not the set-password route.
    ChangePending,
    /// The body is over the limit.
    TooLarge,
    /// The CSRF token is missing or wrong.
    Csrf,
}

/// The answer to `refusal`, as JSON when `api`.
pub(crate) fn refusal<S, M, C>(
    access: &CustomerAccess<S, M, C>,
    refusal: Refusal,
    api: bool,
    accept_language: &str,
) -> Response {
    let retry = access.settings().retry_after;
    let (status, code, notice) = match refusal {
        Refusal::SessionStore(e) => {
            tracing::error!(error = %e, "session store failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable", Notice::Busy { retry_after: retry })
        }
        Refusal::Service(e) => match classify(&e) {
            Failure::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy", Notice::Busy { retry_after: retry }),
            Failure::Unavailable => {
                tracing::error!(error = %e, "store unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", Notice::Busy { retry_after: retry })
            }
            Failure::Broken => {
                tracing::error!(error = %e, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", Notice::Failed)
            }
        },
        Refusal::ChangePending if api => (StatusCode::FORBIDDEN, "password_change_required", Notice::Failed),
        Refusal::ChangePending => return Redirect::to(&access.paths().set_password()).into_response(),
        Refusal::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", Notice::TooLarge),
        Refusal::Csrf => (StatusCode::FORBIDDEN, "csrf", Notice::FormExpired),
    };
    let mut response = if api {
        json_error(status, code)
    } else {
        let page = StatusPage {
            accept_language: accept_language.to_owned(),
            notice,
            home: access.paths().login(),
            assets: access.paths().assets(),
        };
        let mut response = (status, Html(access.templates().status(&page))).into_response();
        page_headers(response.headers_mut());
        response
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        retry_after(&mut response, retry);
    }
    response
}

/// What kind of failure a service error is, for its status code.
pub(crate) enum Failure {
    /// Hashing saturated: `503`, try again shortly.
    Busy,
    /// The store is unreachable: `503`.
    Unavailable,
    /// Anything else reaching here is a bug or a broken configuration: `500`.
    Broken,
}

pub(crate) fn classify(e: &ServiceError) -> Failure {
    match e {
        ServiceError::Overloaded => Failure::Busy,
        ServiceError::Store(s) if s.kind() == StoreErrorKind::Unavailable => Failure::Unavailable,
        _ => Failure::Broken,
    }
}

/// `Retry-After` in whole seconds, at least 1.
pub(crate) fn retry_after(response: &mut Response, wait: std::time::Duration) {
    let secs = wait.as_secs().max(1);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
}

/// `{"error": code}` with `status`.
pub(crate) fn json_error(status: StatusCode, code: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": code }))).into_response()
}

/// Headers every answer under the layer carries unless the handler set its own.
pub(crate) fn security_headers(headers: &mut HeaderMap) {
    let defaults: [(HeaderName, &str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    for (name, value) in defaults {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
}

/// Headers of the crate's own pages: a strict content security policy (the pages load their
/// style sheet and script from the crate's assets route and nothing else) and no caching (a
/// page may carry a CSRF token or a username).
pub(crate) fn page_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    no_store(headers);
}

/// `Cache-Control: no-store`: the answer holds a CSRF token or who is logged in.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The request's `Accept-Language`, or empty.
pub(crate) fn accept_language(headers: &HeaderMap) -> &str {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("")
}
