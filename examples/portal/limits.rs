//! What keeps the portal answering under a flood: every resource a client can hold is
//! bounded, and what is over a bound is answered at once (`503 Service Unavailable` with
//! `Retry-After` when the portal is busy) instead of waiting in a queue without end.
//!
//! - **Connections** (`accept.rs`): at most [`Limits::connections`] are served. One more is
//!   answered 503 the moment it is accepted, before its request is read, and closed after
//!   reading what it sent for at most a second (closing with a request unread would reset
//!   the connection under the answer); twice as many are refused that way at once, and past
//!   that the answer is written if the socket takes it and the connection closed.
//! - **Request heads**: a connection must send its next request head within
//!   [`Limits::request_timeout`] (hyper's header read timeout), so an idle keep-alive client
//!   or one sending a head byte by byte (slowloris) frees its connection; hyper buffers at
//!   most [`READ_BUFFER`] bytes of it.
//! - **Answers**: a write to the client must proceed within the same deadline
//!   (`write_deadline.rs`), so a client that stops reading its answers (slow read) frees its
//!   connection too; and every connection ends gracefully after [`CONNECTION_LIFETIME`].
//! - **Bodies** ([`guard`]): a form is read whole (at most [`MAX_BODY`] bytes, else 413)
//!   within the deadline (else 408) before the request takes a handler slot, so a client
//!   trickling its body holds only its own connection.
//! - **Requests in flight** ([`guard`]): at most [`Limits::in_flight`]; one more gets 503 at
//!   once. A handler past the deadline gets its request answered 503 ("still working: what you
//!   sent may still go through") and finishes on its own, never cancelled halfway through a
//!   library call.
//!
//! - **Open files**: the connection bounds are lowered to fit the process's open-file limit
//!   ([`Limits::within_open_files`]), so accepting never fails for want of a descriptor.
//!
//! Beside these the library bounds its own queues: its hash pool answers `Overloaded` when
//! `hash_queue_depth` requests wait, which the web layer answers with a 503 page (the form
//! kept) and `Retry-After`. Sessions are rows in the SQLite file, sealed, deleted when they
//! expire (30 idle minutes; `main` runs the clean-up).

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::App;
use crate::html;
use crate::i18n::Words;

/// What a client may hold, from the environment (see [`Limits::from_env`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Connections served at once (`PORTAL_MAX_CONNECTIONS`, default 1,024).
    pub(crate) connections: usize,
    /// Requests being handled at once (`PORTAL_MAX_IN_FLIGHT`, default 256).
    pub(crate) in_flight: usize,
    /// The longest a request may take to arrive, and to be answered; the longest a
    /// connection may wait for its next request head, and a write to its client may wait
    /// (`PORTAL_REQUEST_TIMEOUT_SECS`, default 10).
    pub(crate) request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { connections: 1024, in_flight: 256, request_timeout: Duration::from_secs(10) }
    }
}

/// A connection is asked to close after this long, finishing the request it is on.
pub(crate) const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// The most hyper buffers of one connection (its minimum; a request head must fit).
pub(crate) const READ_BUFFER: usize = 16 * 1024;
/// The largest form body accepted (every form is a few hundred bytes).
pub(crate) const MAX_BODY: usize = 16 * 1024;
/// What `Retry-After` says, in seconds: the hash queue drains in well under that.
pub(crate) const RETRY_AFTER_SECONDS: u64 = 1;

impl Limits {
    /// The defaults, each overridden by its variable when set: a whole number within bounds,
    /// else an error naming the variable (the portal refuses to start).
    pub(crate) fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let default = Self::default();
        Ok(Self {
            connections: setting(&lookup, "PORTAL_MAX_CONNECTIONS", default.connections, 1..=100_000)?,
            in_flight: setting(&lookup, "PORTAL_MAX_IN_FLIGHT", default.in_flight, 1..=100_000)?,
            request_timeout: Duration::from_secs(setting(
                &lookup,
                "PORTAL_REQUEST_TIMEOUT_SECS",
                default.request_timeout.as_secs(),
                1..=600,
            )?),
        })
    }
}

/// Open files the portal needs beside its connections: the SQLite file and its journals
/// for each pooled connection, the SMTP pool, the listener, the standard streams.
pub(crate) const OTHER_FILES: u64 = 64;
/// Connections refused at once (each for at most a second), per connection served.
pub(crate) const REFUSALS_PER_CONNECTION: usize = 2;

impl Limits {
    /// These limits within an open-file limit of `max_files` (`None`: unknown, unchanged):
    /// the connections served, and refused at once, are sockets, and over the limit
    /// accepting fails, so clients would wait unanswered in the listen backlog instead of
    /// getting their 503 at once. Lowered to fit beside [`OTHER_FILES`], with a note saying
    /// so; an error when not even one connection fits.
    pub(crate) fn within_open_files(self, max_files: Option<u64>) -> Result<(Self, Option<String>), String> {
        let Some(max_files) = max_files else { return Ok((self, None)) };
        let per_connection = u64::try_from(1 + REFUSALS_PER_CONNECTION).unwrap_or(u64::MAX);
        let fits = usize::try_from(max_files.saturating_sub(OTHER_FILES) / per_connection).unwrap_or(usize::MAX);
        if fits == 0 {
            return Err(format!(
                "the open-file limit ({max_files}) leaves no room for connections beside the {OTHER_FILES} files \
                 the portal needs: raise it (ulimit -n)"
            ));
        }
        if fits >= self.connections {
            return Ok((self, None));
        }
        let note = format!(
            "the open-file limit ({max_files}) fits {fits} connections, not {}: serving {fits} \
             (raise ulimit -n for more)",
            self.connections
        );
        Ok((Self { connections: fits, ..self }, Some(note)))
    }
}

/// The process's soft limit of open files (Linux, from `/proc/self/limits`); `None` when it
/// cannot be read or is unlimited.
pub(crate) fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files").split_whitespace().next()?.parse().ok()
}

/// Variable `name`'s number, `default` when unset; an error naming it when out of `range`.
fn setting<T: FromStr + PartialOrd + Display>(
    lookup: impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
    range: RangeInclusive<T>,
) -> Result<T, String> {
    let Some(text) = lookup(name) else { return Ok(default) };
    match text.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!("{name} must be a whole number from {} to {}, not {text:?}", range.start(), range.end())),
    }
}

/// The per-request half of the limits, held by the app for [`guard`].
pub(crate) struct RequestLimits {
    in_flight: Arc<Semaphore>,
    timeout: Duration,
}

impl RequestLimits {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self { in_flight: Arc::new(Semaphore::new(limits.in_flight)), timeout: limits.request_timeout }
    }
}

/// Middleware for every route. The form body is read first, within the deadline and before a
/// handler slot is taken (a client trickling its form holds only its own connection; 408
/// when it is too slow, 413 when too long); then 503 at once when [`Limits::in_flight`]
/// requests are being handled, and 503 when the handler outlives the deadline.
///
/// A handler past its deadline is not cancelled: it finishes in a task of its own, holding
/// its slot, and its answer is dropped. Cancelling it could stop a library call halfway, e.g.
/// a login after its attempt was charged against the username's back-off but before the
/// right password was verified (which refunds it): enough such logins would lock the owner
/// out without a wrong password.
pub(crate) async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    // The answers here are in the browser's language; keep that header, the request moves on.
    let mut language = HeaderMap::new();
    if let Some(value) = request.headers().get(header::ACCEPT_LANGUAGE) {
        language.insert(header::ACCEPT_LANGUAGE, value.clone());
    }
    let (parts, body) = request.into_parts();
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let body = match tokio::time::timeout(app.requests.timeout, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => bytes,
        // Longer than it said, or the connection broke: nothing to answer sensibly.
        Ok(Err(_)) => return StatusCode::BAD_REQUEST.into_response(),
        Err(_elapsed) => return (StatusCode::REQUEST_TIMEOUT, [(header::CONNECTION, "close")]).into_response(),
    };
    let Ok(permit) = Arc::clone(&app.requests.in_flight).try_acquire_owned() else {
        return busy(&app.pages.for_browser(&language));
    };
    let request = Request::from_parts(parts, axum::body::Body::from(body));
    let handler = tokio::spawn(async move {
        let response = next.run(request).await;
        drop(permit);
        response
    });
    match tokio::time::timeout(app.requests.timeout, handler).await {
        Ok(Ok(response)) => response,
        Ok(Err(panicked)) => {
            eprintln!("a request handler failed: {panicked}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // Not "busy, try again": the handler goes on and may yet do what was asked.
        Err(_elapsed) => still_working(&app.pages.for_browser(&language)),
    }
}

/// The answer to a request whose handler is past the deadline: 503 with `Retry-After`,
/// saying that what was sent may still take effect (a password change may complete).
pub(crate) fn still_working(t: &Words<'_>) -> Response {
    unavailable_page(t, "still-working-title", "still-working", "/")
}

/// The busy page: 503 with `Retry-After`, in the language of `t`.
pub(crate) fn busy(t: &Words<'_>) -> Response {
    unavailable_page(t, "busy-title", "busy", "/login")
}

/// A 503 page in the language of `t`: message `message` under title `title`, and a link
/// back to `back`.
fn unavailable_page(t: &Words<'_>, title: &str, message: &str, back: &str) -> Response {
    let body = format!(
        r#"<p>{}</p><p><a href="{back}">{}</a></p>"#,
        html::escape(&t.get(message)),
        html::escape(&t.get("back-link"))
    );
    unavailable(Html(html::localized(t, title, None, &body)).into_response())
}

/// `response` (a page saying the service is busy) as a 503 with `Retry-After`.
pub(crate) fn unavailable(mut response: Response) -> Response {
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}

mod accept;
#[cfg(test)]
mod tests;
mod write_deadline;

pub(crate) use accept::serve;
