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
";

mod account;
mod cookie;
mod html;
mod session;
mod staff;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use customer_access::mailer::{MailError, OutgoingMessage};
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, ContactId, DeviceToken, LoginOutcome, Mailer, SecurityPolicy, ServiceError, Store, SystemClock,
};
use customer_access_smtp::{FileMailer, Sender, SmtpConfig, SmtpMailer};
use customer_access_sqlite::SqliteStore;
use serde::Deserialize;

use cookie::{CookieMode, SECURE_COOKIES_VAR};
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
}

type Shared = State<Arc<App>>;

/// The same words for every "Forgot your password" request, as the library intends.
const FORGOT_ANSWER: &str = "If that username exists, we have e-mailed a temporary password to its owner.";

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
    let sender = Sender::new("no-reply@corner-wholesale.example", "Corner Wholesale")?;
    let mailer = match std::env::var("PORTAL_SMTP_URL") {
        Ok(url) => PortalMailer::Smtp(Box::new(SmtpMailer::new(SmtpConfig::from_url(&url)?, sender)?)),
        Err(_) => PortalMailer::Outbox(FileMailer::new(data.join("outbox"), sender)),
    };
    let store = customer_access_sqlite::open(data.join("portal.db")).await?;
    staff::seed_demo_data(&store).await?;
    let service = AccessService::new(store, mailer, SystemClock, SecurityPolicy::default())?;
    let app = Arc::new(App { service, sessions: Sessions::new(cookie_mode) });
    let router = axum::Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/forgot", get(forgot_page).post(forgot))
        .route("/set-password", get(set_password_page).post(set_password))
        .merge(account::routes())
        .merge(staff::routes())
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "portal listening on http://{}  (data in {}, cookie {})",
        listener.local_addr()?,
        data.display(),
        cookie_mode.name()
    );
    axum::serve(listener, router).await?;
    Ok(())
}

/// Respond with `body`, setting the session cookie if the session is new.
fn respond(cookie: Option<String>, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, Html(html::page("Forbidden", None, "<p>Invalid form token.</p>"))).into_response()
}

/// The contact session `id` is logged in as, if its login still stands. A session whose
/// credential version is no longer the contact's (password changed, login disabled) is
/// logged out here, with a flash saying why.
async fn signed_in(app: &App, id: &str) -> Option<ContactId> {
    let (contact, version) = app.sessions.with(id, |s| s.user)?;
    let current = app.service.credential_version(contact).await.ok();
    if current != Some(version) {
        app.sessions.with(id, |s| {
            s.user = None;
            s.flash = Some("You were signed out because your login details changed.".into());
        });
        return None;
    }
    Some(contact)
}

async fn home(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let Some(contact) = signed_in(&app, &id).await else {
        return respond(cookie, Redirect::to("/login"));
    };
    let name = match app.service.store().contact(contact).await {
        Ok(r) => r.contact.display_name,
        Err(_) => String::new(),
    };
    let (token, flash) = app.sessions.with(&id, |s| (s.csrf.clone(), s.flash.take()));
    let body = format!(
        r#"<p id="welcome">Welcome, {}. You are logged in and can place orders.</p>
<p><a href="/change-password" id="change-password">Change your password</a></p>
<form method="post" action="/logout">{}<button id="logout">Log out</button></form>"#,
        html::escape(&name),
        html::csrf(&token)
    );
    respond(cookie, Html(html::page("Your account", flash.as_deref(), &body)))
}

async fn login_page(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let (token, flash) = app.sessions.with(&id, |s| (s.csrf.clone(), s.flash.take()));
    respond(cookie, Html(html::page("Log in", flash.as_deref(), &html::login(&token))))
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

async fn login(State(app): Shared, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    if !app.sessions.csrf_ok(&id, &form.csrf) {
        return forbidden();
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
        Ok(LoginOutcome::TemporaryPasswordExpired { .. }) => {
            "Your temporary password has expired. Use \"Forgot your password?\" to get a new one.".to_owned()
        }
        Ok(LoginOutcome::LockedOut { retry_after }) => {
            format!("Too many attempts. Try again in {} seconds.", retry_after.as_secs().max(1))
        }
        Ok(_) | Err(ServiceError::Input(_)) => "Invalid username or password.".to_owned(),
        Err(ServiceError::Overloaded) => "We are busy; please try again in a moment.".to_owned(),
        Err(e) => {
            eprintln!("login failed: {e}");
            "Something went wrong; please try again.".to_owned()
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
    let (token, flash) = app.sessions.with(&id, |s| (s.csrf.clone(), s.flash.take()));
    respond(cookie, Html(html::page("Forgot your password", flash.as_deref(), &html::forgot(&token))))
}

#[derive(Deserialize)]
struct ForgotForm {
    csrf: String,
    username: String,
}

async fn forgot(State(app): Shared, headers: HeaderMap, Form(form): Form<ForgotForm>) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    if !app.sessions.csrf_ok(&id, &form.csrf) {
        return forbidden();
    }
    // Answer at once and identically; the e-mail (if any) goes out in the background.
    if let Ok(pending) = app.service.request_password_reset(&form.username) {
        tokio::spawn(pending.run());
    }
    app.sessions.with(&id, |s| s.flash = Some(FORGOT_ANSWER.into()));
    respond(cookie, Redirect::to("/login"))
}

async fn set_password_page(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let (token, has_ticket) = app.sessions.with(&id, |s| (s.csrf.clone(), s.ticket.is_some()));
    if !has_ticket {
        return respond(cookie, Redirect::to("/login"));
    }
    respond(cookie, Html(html::page("Set a new password", None, &html::set_password(&token, &[]))))
}

#[derive(Deserialize)]
struct NewPasswordForm {
    csrf: String,
    new_password: String,
}

async fn set_password(State(app): Shared, headers: HeaderMap, Form(form): Form<NewPasswordForm>) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    if !app.sessions.csrf_ok(&id, &form.csrf) {
        return forbidden();
    }
    let Some(ticket) = app.sessions.with(&id, |s| {
        s.ticket.as_ref().map(|t| SecretString::from(customer_access::secrecy::ExposeSecret::expose_secret(t)))
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
        Err(ServiceError::PasswordRejected(v)) => html::violations(&v),
        Err(ServiceError::InvalidTicket) => {
            app.sessions.with(&id, |s| {
                s.ticket = None;
                s.flash = Some("That step has expired; please log in again.".into());
            });
            return respond(cookie, Redirect::to("/login"));
        }
        Err(e) => vec![format!("Something went wrong: {e}")],
    };
    let token = app.sessions.with(&id, |s| s.csrf.clone());
    respond(cookie, Html(html::page("Set a new password", None, &html::set_password(&token, &errors))))
}
