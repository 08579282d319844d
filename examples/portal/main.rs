//! A small web portal showing how an application integrates `customer-access`:
//!
//! ```sh
//! cargo run --example portal            # http://127.0.0.1:3000, data in ./portal-data/
//! PORTAL_PORT=8080 PORTAL_DATA=/tmp/p PORTAL_SMTP_URL=smtp://mail:587 cargo run --example portal
//! PORTAL_SECURE_COOKIES=1 cargo run --example portal  # behind an HTTPS proxy
//! ```
//!
//! Contacts log in, use "Forgot your password", change their password, and are sent to "set
//! a new password" after a temporary-password login; staff (a sales admin, or an iPad user
//! limited to their retailers) pick a retailer, pick the right contact and reset its password
//! or edit its login. Mail goes to `.eml` files in `<data>/outbox/` unless an SMTP URL is
//! given. Sessions are `HttpOnly`, `SameSite=Strict` cookies, every form carries a CSRF token,
//! the session id and token are replaced at login and at every password change (so an id
//! planted before cannot ride the login: session fixation), and a session ends when the
//! contact's credential version changes or after 30 idle minutes. The portal itself speaks
//! plain http on 127.0.0.1; when it is served over HTTPS (a TLS-terminating proxy in front),
//! set `PORTAL_SECURE_COOKIES=1` and the cookie becomes `__Host-portal_session` with
//! `Secure` (see `cookie.rs`). Staff sign-in is out of scope: the staff page lets you choose
//! whom to act as (a demo shortcut, not for production).
//!
//! A contact reads every page in English, German, French, Spanish or Dutch (`i18n.rs`): before
//! login as the browser's `Accept-Language` asks, after login in the contact's own language,
//! which they choose on their account page together with their time zone.

/// What `--help` prints.
const USAGE: &str = "\
A demo web portal for customer-access: contact login, \"Forgot your password\", the forced
password change, and a staff page (act-as selector: a demo shortcut, not for production).

Usage: cargo run --example portal [-- --help]

Settings (environment variables):
  PORTAL_PORT=3000            port on 127.0.0.1 to listen on
  PORTAL_DATA=portal-data     folder for the SQLite file and the .eml outbox
  PORTAL_SMTP_URL=smtp://...  send mail over SMTP instead of writing .eml files
  PORTAL_SECURE_COOKIES=1     served over HTTPS: __Host- cookie with Secure
  PORTAL_MAX_CONNECTIONS=1024 connections served at once; more are answered 503
  PORTAL_MAX_IN_FLIGHT=256    requests handled at once; more are answered 503
  PORTAL_REQUEST_TIMEOUT_SECS=10  a request's deadline (503 after it), and an idle
                              connection's (closed after it)
";

mod account;
mod cookie;
mod home;
mod html;
mod i18n;
mod limits;
mod session;
mod staff;
#[cfg(test)]
mod tests;
mod wording;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use customer_access::mailer::{MailError, OutgoingMessage};
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, ContactId, DeviceToken, LoginOutcome, Mailer, SecurityPolicy, ServiceError, SystemClock,
};
use customer_access_smtp::{FileMailer, Sender, SmtpConfig, SmtpMailer};
use customer_access_sqlite::SqliteStore;
use serde::Deserialize;

use cookie::{CookieMode, SECURE_COOKIES_VAR};
use i18n::{Pages, Words};
use limits::{Limits, RequestLimits};
use session::Sessions;

/// The outbox by default, SMTP when configured.
#[derive(Debug)]
enum PortalMailer {
    Outbox(FileMailer),
    Smtp(Box<SmtpMailer>),
    /// The handler tests read the temporary password from here.
    #[cfg(test)]
    Recording(customer_access::RecordingMailer),
}

impl Mailer for PortalMailer {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        match self {
            Self::Outbox(m) => m.send(message).await,
            Self::Smtp(m) => m.send(message).await,
            #[cfg(test)]
            Self::Recording(m) => m.send(message).await,
        }
    }
}

type Service = AccessService<SqliteStore, PortalMailer, SystemClock>;

struct App {
    service: Service,
    sessions: Sessions,
    /// The words of the contacts' pages, in every shipped language.
    pages: Pages,
    /// How many requests may be handled at once, and for how long each.
    requests: RequestLimits,
}

type Shared = State<Arc<App>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("-h" | "--help") => {
            print!("{USAGE}");
            return Ok(());
        }
        Some(other) => return Err(format!("unknown argument {other:?}; see --help").into()),
    }
    let data = std::path::PathBuf::from(std::env::var("PORTAL_DATA").unwrap_or_else(|_| "portal-data".into()));
    std::fs::create_dir_all(&data)?;
    let port: u16 = std::env::var("PORTAL_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let cookie_mode = CookieMode::from_setting(std::env::var(SECURE_COOKIES_VAR).ok().as_deref())?;
    let (limits, note) = Limits::from_env()?.within_open_files(limits::open_file_limit())?;
    if let Some(note) = note {
        eprintln!("portal: {note}");
    }
    // A page without its English words would show message ids: refuse to start. A message
    // another language lacks shows in English; say which, so a translator can fill it in.
    let pages = Pages::shipped()?;
    for gap in pages.check()? {
        eprintln!("portal pages: {gap}");
    }
    let sender = Sender::new("no-reply@corner-wholesale.example", "Corner Wholesale")?;
    let mailer = match std::env::var("PORTAL_SMTP_URL") {
        Ok(url) => PortalMailer::Smtp(Box::new(SmtpMailer::new(SmtpConfig::from_url(&url)?, sender)?)),
        Err(_) => PortalMailer::Outbox(FileMailer::new(data.join("outbox"), sender)),
    };
    let store = customer_access_sqlite::open(data.join("portal.db")).await?;
    staff::seed_demo_data(&store).await?;
    let service = AccessService::new(store, mailer, SystemClock, SecurityPolicy::default())?;
    let app =
        Arc::new(App { service, sessions: Sessions::new(cookie_mode), pages, requests: RequestLimits::new(&limits) });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "portal listening on http://{}  (data in {}, cookie {})",
        listener.local_addr()?,
        data.display(),
        cookie_mode.name()
    );
    limits::serve(listener, app, limits).await;
    Ok(())
}

/// Every route, each request guarded by [`limits::guard`].
fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/forgot", get(forgot_page).post(forgot))
        .route("/set-password", get(set_password_page).post(set_password))
        .merge(home::routes())
        .merge(account::routes())
        .merge(staff::routes())
        .layer(DefaultBodyLimit::max(limits::MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), limits::guard))
        .with_state(app)
}

/// Respond with `body`, setting the session cookie if the session is new.
fn respond(cookie: Option<String>, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The answer to a form whose CSRF token does not match, in the language of the page it
/// came from.
fn forbidden(t: &Words<'_>) -> Response {
    let body = format!("<p>{}</p>", html::escape(&t.get("forbidden-body")));
    (StatusCode::FORBIDDEN, Html(html::localized(t, "forbidden-title", None, &body))).into_response()
}

/// The contact session `id` is logged in as, if its login still stands. A session whose
/// credential version is no longer the contact's (password changed, login disabled) is
/// logged out here, with a flash saying why, in the browser's language: the flash shows on
/// the login page, which is in that language.
async fn signed_in(app: &App, id: &str, headers: &HeaderMap) -> Option<ContactId> {
    let (contact, version) = app.sessions.with(id, |s| s.user)?;
    let current = app.service.credential_version(contact).await.ok();
    if current != Some(version) {
        let flash = app.pages.for_browser(headers).get("signed-out-login-changed");
        app.sessions.with(id, |s| {
            s.user = None;
            s.flash = Some(flash);
        });
        return None;
    }
    Some(contact)
}

/// The words for a signed-in contact: their own language (else their retailer's, else the
/// service's default), whatever the browser asks for, so that what they chose holds on any
/// browser. The browser's choice only if the preferences cannot be read.
async fn contact_words<'a>(app: &'a App, contact: ContactId, headers: &HeaderMap) -> Words<'a> {
    match app.service.preferences_of(contact).await {
        Ok(preferences) => app.pages.words(&preferences.locale),
        Err(e) => {
            eprintln!("reading a contact's preferences failed: {e}");
            app.pages.for_browser(headers)
        }
    }
}

async fn login_page(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let t = app.pages.for_browser(&headers);
    let (token, flash) = app.sessions.with(&id, |s| (s.csrf.clone(), s.flash.take()));
    respond(cookie, Html(html::localized(&t, "login-title", flash.as_deref(), &html::login(&t, &token))))
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

async fn login(State(app): Shared, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    // Every answer here is a flash on the login page, so in the same language as that page.
    let t = app.pages.for_browser(&headers);
    if !app.sessions.csrf_ok(&id, &form.csrf) {
        return forbidden(&t);
    }
    // A browser that logged in before presents its device token: its attempts are throttled
    // on their own, so a stranger guessing at the username cannot lock it out.
    let mode = app.sessions.cookie_mode();
    let known = mode.read_device(&headers).and_then(|t| DeviceToken::parse(&t).ok());
    let outcome = app
        .service
        .login_from_device(&form.username, &SecretString::from(form.password.as_str()), known.as_ref())
        .await;
    // Success moves the session to a new id (see `Sessions::rotate`), and a login replaces
    // whichever login or change step the session held before.
    let message = match outcome {
        Ok(LoginOutcome::Authenticated { contact, credential_version, device }) => {
            let (_, cookie, ()) = app.sessions.rotate(&id, |s| {
                s.user = Some((contact, credential_version));
                s.ticket = None;
            });
            let device_cookie = device.map(|d| mode.set_device_cookie(d.expose_secret()));
            let mut response = respond(Some(cookie), Redirect::to("/"));
            if let Some(value) = device_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            return response;
        }
        Ok(LoginOutcome::PasswordChangeRequired { ticket }) => {
            let (_, cookie, ()) = app.sessions.rotate(&id, |s| {
                s.user = None;
                s.ticket = Some(SecretString::from(ticket.expose_secret()));
            });
            return respond(Some(cookie), Redirect::to("/set-password"));
        }
        // Only the holder of the e-mailed temporary password sees this.
        Ok(LoginOutcome::TemporaryPasswordExpired { .. }) => t.get("temporary-password-expired"),
        Ok(LoginOutcome::LockedOut { retry_after }) => wording::locked_out(&t, retry_after),
        Ok(_) | Err(ServiceError::Input(_)) => t.get("invalid-login"),
        // Answered at once, on the login page (the form is kept for the retry).
        Err(ServiceError::Overloaded) => {
            let token = app.sessions.with(&id, |s| s.csrf.clone());
            let page = html::localized(&t, "login-title", Some(&t.get("busy")), &html::login(&t, &token));
            return respond(cookie, limits::unavailable(Html(page).into_response()));
        }
        Err(e) => {
            eprintln!("login failed: {e}");
            t.get("something-went-wrong")
        }
    };
    app.sessions.with(&id, |s| s.flash = Some(message));
    respond(cookie, Redirect::to("/login"))
}

async fn logout(State(app): Shared, headers: HeaderMap, Form(form): Form<CsrfOnly>) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    if app.sessions.csrf_ok(&id, &form.csrf) {
        app.sessions.with(&id, |s| s.user = None);
    }
    respond(cookie, Redirect::to("/login"))
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn forgot_page(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let t = app.pages.for_browser(&headers);
    let (token, flash) = app.sessions.with(&id, |s| (s.csrf.clone(), s.flash.take()));
    respond(cookie, Html(html::localized(&t, "forgot-title", flash.as_deref(), &html::forgot(&t, &token))))
}

#[derive(Deserialize)]
struct ForgotForm {
    csrf: String,
    username: String,
}

async fn forgot(State(app): Shared, headers: HeaderMap, Form(form): Form<ForgotForm>) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let t = app.pages.for_browser(&headers);
    if !app.sessions.csrf_ok(&id, &form.csrf) {
        return forbidden(&t);
    }
    // Answer at once and identically; the e-mail (if any) goes out in the background.
    if let Ok(pending) = app.service.request_password_reset(&form.username) {
        tokio::spawn(pending.run());
    }
    // The same words for every request, as the library intends (in the asker's language,
    // which says nothing about the username).
    let answer = t.get("forgot-answer");
    app.sessions.with(&id, |s| s.flash = Some(answer));
    respond(cookie, Redirect::to("/login"))
}

async fn set_password_page(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let (token, has_ticket) = app.sessions.with(&id, |s| (s.csrf.clone(), s.ticket.is_some()));
    if !has_ticket {
        return respond(cookie, Redirect::to("/login"));
    }
    respond(cookie, Html(set_password_html(&app, &app.pages.for_browser(&headers), &token, &[])))
}

/// The set-new-password page: still before login (the session holds only a change ticket),
/// so in the browser's language.
fn set_password_html(app: &App, t: &Words<'_>, token: &str, errors: &[String]) -> String {
    let rules = wording::password_rules(t, &app.service.policy().password);
    html::localized(t, "set-password-title", None, &html::set_password(t, token, &rules, errors))
}

#[derive(Deserialize)]
struct NewPasswordForm {
    csrf: String,
    new_password: String,
}

async fn set_password(State(app): Shared, headers: HeaderMap, Form(form): Form<NewPasswordForm>) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let t = app.pages.for_browser(&headers);
    if !app.sessions.csrf_ok(&id, &form.csrf) {
        return forbidden(&t);
    }
    let Some(ticket) = app.sessions.with(&id, |s| {
        s.ticket.as_ref().map(|held| SecretString::from(customer_access::secrecy::ExposeSecret::expose_secret(held)))
    }) else {
        return respond(cookie, Redirect::to("/login"));
    };
    let errors = match app.service.set_new_password(&ticket, &SecretString::from(form.new_password.as_str())).await {
        Ok(changed) => {
            let (_, cookie, ()) = app.sessions.rotate(&id, |s| {
                s.ticket = None;
                s.user = Some((changed.contact, changed.credential_version));
            });
            return respond(Some(cookie), Redirect::to("/"));
        }
        Err(ServiceError::PasswordRejected(v)) => wording::violations(&t, &v),
        Err(ServiceError::InvalidTicket) => {
            let flash = t.get("step-expired");
            app.sessions.with(&id, |s| {
                s.ticket = None;
                s.flash = Some(flash);
            });
            return respond(cookie, Redirect::to("/login"));
        }
        Err(ServiceError::Overloaded) => {
            let token = app.sessions.with(&id, |s| s.csrf.clone());
            let page = set_password_html(&app, &t, &token, &[t.get("busy")]);
            return respond(cookie, limits::unavailable(Html(page).into_response()));
        }
        // The details are for the log, not for the contact.
        Err(e) => {
            eprintln!("setting a new password failed: {e}");
            vec![t.get("something-went-wrong")]
        }
    };
    let token = app.sessions.with(&id, |s| s.csrf.clone());
    respond(cookie, Html(set_password_html(&app, &t, &token, &errors)))
}
