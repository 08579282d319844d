//! What keeps the portal answering under a flood: every resource a client can hold is
//! bounded, and what is over a bound is answered `503 Service Unavailable` with
//! `Retry-After` at once instead of waiting in a queue without end.
//!
//! - **Connections**: at most [`Limits::connections`] are served. One more is read, answered
//!   503 by a tiny HTTP service of its own and closed (up to as many again; past that a
//!   connection is closed unanswered): the client learns at once, and its request bytes are
//!   read first, so the close does not reset the connection before the answer arrives.
//! - **Request heads**: a connection must send its next request head within
//!   [`Limits::request_timeout`] (hyper's header read timeout), so an idle keep-alive client
//!   or one sending a head byte by byte (slowloris) frees its connection; each connection
//!   ends gracefully after [`CONNECTION_LIFETIME`] (a client that never reads its answers
//!   cannot keep one for good), and hyper buffers at most [`READ_BUFFER`] bytes of it.
//! - **Requests in flight**: at most [`Limits::in_flight`]; one more gets 503 at once.
//! - **Each request** (reading its form, the service call, the page) gets 503 after
//!   [`Limits::request_timeout`]; dropping the handler cancels the call (the library's
//!   store writes are transactions, so a cancelled one leaves nothing half done).
//! - **Bodies**: forms are small; anything over [`MAX_BODY`] bytes is refused (413).
//!
//! Beside these the library bounds its own queues: its hash pool answers `Overloaded` when
//! `hash_queue_depth` requests wait, which the handlers turn into the same 503 page, and the
//! in-memory sessions are bounded by `session::MAX_SESSIONS`.

use std::convert::Infallible;
use std::fmt::Display;
use std::io;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
    /// The longest a request may take, and the longest a connection may wait for its next
    /// request head (`PORTAL_REQUEST_TIMEOUT_SECS`, default 10).
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

/// Middleware for every route: 503 at once when [`Limits::in_flight`] requests are being
/// handled, 503 when this one outlives [`Limits::request_timeout`].
pub(crate) async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    // The 503 is in the browser's language; keep that header, the request moves on.
    let mut language = HeaderMap::new();
    if let Some(value) = request.headers().get(header::ACCEPT_LANGUAGE) {
        language.insert(header::ACCEPT_LANGUAGE, value.clone());
    }
    let Ok(_permit) = Arc::clone(&app.requests.in_flight).try_acquire_owned() else {
        return busy(&app.pages.for_browser(&language));
    };
    match tokio::time::timeout(app.requests.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_elapsed) => busy(&app.pages.for_browser(&language)),
    }
}

/// The busy page: 503 with `Retry-After`, in the language of `t`.
pub(crate) fn busy(t: &Words<'_>) -> Response {
    let body = format!(
        r#"<p>{}</p><p><a href="/login">{}</a></p>"#,
        html::escape(&t.get("busy")),
        html::escape(&t.get("back-link"))
    );
    unavailable(Html(html::localized(t, "busy-title", None, &body)).into_response())
}

/// `response` (a page saying the service is busy) as a 503 with `Retry-After`.
pub(crate) fn unavailable(mut response: Response) -> Response {
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}

/// Serve `router` on `listener` within `limits` until accepting fails for good.
pub(crate) async fn serve(listener: TcpListener, app: Arc<App>, limits: Limits) {
    let router = crate::router(Arc::clone(&app));
    let served = Arc::new(Semaphore::new(limits.connections));
    let refusing = Arc::new(Semaphore::new(limits.connections));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.request_timeout).max_buf_size(READ_BUFFER);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                accept_failed(&e).await;
                continue;
            }
        };
        if let Ok(permit) = Arc::clone(&served).try_acquire_owned() {
            let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router.clone()));
            let timeout = limits.request_timeout;
            tokio::spawn(async move {
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    _ = connection.as_mut() => {}
                    () = tokio::time::sleep(CONNECTION_LIFETIME) => {
                        connection.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(timeout, connection).await;
                    }
                }
                drop(permit);
            });
        } else if let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() {
            tokio::spawn(refuse(stream, Arc::clone(&app), permit));
        }
        // Else over both bounds: dropping `stream` closes it unanswered.
    }
}

/// Answer the connection's first request 503 and close it, within two seconds.
async fn refuse(stream: TcpStream, app: Arc<App>, permit: OwnedSemaphorePermit) {
    let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let response = busy(&app.pages.for_browser(request.headers()));
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(REFUSAL_TIME).max_buf_size(READ_BUFFER).keep_alive(false);
    let _ = tokio::time::timeout(REFUSAL_TIME, http.serve_connection(TokioIo::new(stream), service)).await;
    drop(permit);
}

/// The longest a refused connection is kept.
const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// A failed accept: a connection that went away before it was accepted is nothing; out of
/// file descriptors (or any other failure) waits a moment rather than spinning.
async fn accept_failed(e: &io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    eprintln!("accepting a connection failed: {e}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests;
