//! A small web portal showing how an application integrates `customer-access` through
//! `customer-access-axum`:
//!
//! ```sh
//! cargo run --example portal            # http://127.0.0.1:3000, data in ./portal-data/
//! PORTAL_PORT=8080 PORTAL_DATA=/tmp/p PORTAL_SMTP_URL=smtp://mail:587 cargo run --example portal
//! PORTAL_SECURE_COOKIES=1 cargo run --example portal  # behind an HTTPS proxy
//! ```
//!
//! Contacts log in, use "Forgot your password", change their password, and are sent to "set
//! a new password" after a temporary-password login: those pages, the session rules (every
//! request checked against the contact's credential version, the session id rotated at each
//! gain of privilege, CSRF on every form, a pending forced change fenced in) and the sessions
//! themselves (sealed, in the SQLite file) are the web layer's; the portal adds its words in
//! five languages (`templates.rs`), the account page with its language and time-zone
//! preferences (`home.rs`), the staff pages (`staff.rs`) and its limits under a flood
//! (`limits.rs`). Staff (a sales admin, or an iPad user limited to their retailers) pick a
//! retailer, pick the right contact and reset its password or edit its login. Mail goes to
//! `.eml` files in `<data>/outbox/` unless an SMTP URL is given. The portal itself speaks
//! plain http on 127.0.0.1; when it is served over HTTPS (a TLS-terminating proxy in front),
//! set `PORTAL_SECURE_COOKIES=1` and the cookie becomes `__Host-portal_session` with `Secure`.
//! Staff sign-in is out of scope: the staff page lets you choose whom to act as (a demo
//! shortcut, not for production).
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

mod cookie;
mod home;
mod html;
mod i18n;
mod limits;
mod staff;
mod templates;
#[cfg(test)]
mod tests;
mod wording;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use customer_access::mailer::{MailError, OutgoingMessage};
use customer_access::{AccessService, Mailer, SecurityPolicy, SystemClock};
use customer_access_axum::CustomerAccess;
use customer_access_axum::store::SqliteSessionStore;
use customer_access_smtp::{FileMailer, Sender, SmtpConfig, SmtpMailer};
use customer_access_sqlite::SqliteStore;

use cookie::{CookieMode, SECURE_COOKIES_VAR};
use i18n::Pages;
use limits::{Limits, RequestLimits};

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
type Access = CustomerAccess<SqliteStore, PortalMailer, SystemClock>;

struct App {
    service: Service,
    /// The web layer over the service: sessions, login pages, the session rules.
    access: Access,
    /// Where the sessions are kept: the SQLite file the contacts are in.
    sessions: SqliteSessionStore,
    /// The words of the contacts' pages, in every shipped language.
    pages: Arc<Pages>,
    /// How many requests may be handled at once, and for how long each.
    requests: RequestLimits,
}

type Shared = axum::extract::State<Arc<App>>;

impl App {
    /// The portal over `store`, its sessions in the same file.
    async fn new(
        store: SqliteStore,
        mailer: PortalMailer,
        policy: SecurityPolicy,
        cookie_mode: CookieMode,
        limits: &Limits,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let pages = Arc::new(Pages::shipped()?);
        let sessions = SqliteSessionStore::new(store.pool().clone());
        sessions.migrate().await?;
        let service = AccessService::new(store, mailer, SystemClock, policy)?;
        let access = CustomerAccess::builder(service.clone())
            .templates(templates::PortalTemplates::new(Arc::clone(&pages)))
            .secure_cookie(cookie_mode == CookieMode::Https)
            .cookie_name(cookie_mode.name())
            .body_limit(limits::MAX_BODY)
            .retry_after(std::time::Duration::from_secs(limits::RETRY_AFTER_SECONDS))
            .build()?;
        Ok(Self { service, access, sessions, pages, requests: RequestLimits::new(limits) })
    }
}

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
    for gap in Pages::shipped()?.check()? {
        eprintln!("portal pages: {gap}");
    }
    let sender = Sender::new("no-reply@corner-wholesale.example", "Corner Wholesale")?;
    let mailer = match std::env::var("PORTAL_SMTP_URL") {
        Ok(url) => PortalMailer::Smtp(Box::new(SmtpMailer::new(SmtpConfig::from_url(&url)?, sender)?)),
        Err(_) => PortalMailer::Outbox(FileMailer::new(data.join("outbox"), sender)),
    };
    let store = customer_access_sqlite::open(data.join("portal.db")).await?;
    staff::seed_demo_data(&store).await?;
    let app = Arc::new(App::new(store, mailer, SecurityPolicy::default(), cookie_mode, &limits).await?);
    // Expired sessions are never loaded; this only keeps the table small.
    let cleanup = app.sessions.clone();
    tokio::spawn(async move {
        use customer_access_axum::tower_sessions::ExpiredDeletion;
        loop {
            tokio::time::sleep(customer_access_axum::store::SUGGESTED_CLEANUP_INTERVAL).await;
            if let Err(e) = cleanup.delete_expired().await {
                eprintln!("deleting expired sessions failed: {e}");
            }
        }
    });
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

/// Every route: the portal's own pages and the web layer's, under the web layer's session
/// rules, each request first held to the portal's limits ([`limits::guard`]).
fn router(app: Arc<App>) -> axum::Router {
    let portal = axum::Router::new().merge(home::routes()).merge(staff::routes()).with_state(Arc::clone(&app));
    app.access
        .install(portal, app.sessions.clone())
        .layer(DefaultBodyLimit::max(limits::MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), limits::guard))
}
