//! [`CustomerAccess`]: the service, where its routes are mounted, how its pages look, and the
//! one call ([`install`](CustomerAccess::install)) that puts routes, layer and sessions
//! around an application's router.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use customer_access::{AccessService, Clock, Mailer, Store};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};

use crate::paths::Paths;
use crate::templates::{DefaultTemplates, Templates};

/// The web layer of one [`AccessService`]. Cheap to clone (one `Arc`).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum::{Router, routing::get};
/// use customer_access::{AccessService, MemoryStore, RecordingMailer, SecurityPolicy, SystemClock};
/// use customer_access_axum::{CurrentContact, CustomerAccess};
///
/// # let mut policy = SecurityPolicy::default();
/// # policy.argon2 = customer_access::policy::Argon2Settings::danger_insecure_for_tests();
/// let service = AccessService::new(MemoryStore::new(), RecordingMailer::new(), SystemClock, policy).unwrap();
/// let access = CustomerAccess::builder(service).prefix("/account").after_login("/orders").build().unwrap();
///
/// async fn orders(contact: CurrentContact) -> String {
///     format!("orders of contact {}", contact.id)
/// }
/// let app = Router::new().route("/orders", get(orders));
/// // Routes under /account, the layer over every route, sessions (here in memory: use
/// // `store::SqliteSessionStore` or `store::PostgresSessionStore` in production).
/// let app: Router = access.install(app, tower_sessions::MemoryStore::default());
/// # let _ = app;
/// # });
/// ```
pub struct CustomerAccess<S, M, C> {
    inner: Arc<Inner<S, M, C>>,
}

struct Inner<S, M, C> {
    service: AccessService<S, M, C>,
    paths: Paths,
    templates: Box<dyn Templates>,
    settings: Settings,
}

/// How the layer and the session cookie behave; see the builder's methods.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) body_limit: usize,
    pub(crate) retry_after: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) secure_cookie: bool,
    pub(crate) cookie_name: String,
}

impl<S, M, C> Clone for CustomerAccess<S, M, C> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<S, M, C> std::fmt::Debug for CustomerAccess<S, M, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerAccess")
            .field("paths", &self.inner.paths)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// A builder setting option could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The prefix or the after-login path is not an absolute path of plain characters
    /// (`/`, letters, digits, `-`, `_`, `.`; no `//`, no trailing `/` on a prefix).
    #[error("not a usable path: {0:?}")]
    Path(String),
    /// The body limit is smaller than a login form needs (1 KiB) or larger than 1 MiB.
    #[error("body limit {0} bytes is outside 1 KiB..=1 MiB")]
    BodyLimit(usize),
    /// The cookie name is empty or not a plain token.
    #[error("not a usable cookie name: {0:?}")]
    CookieName(String),
}

/// Builds a [`CustomerAccess`]; every setting has a default.
pub struct CustomerAccessBuilder<S, M, C> {
    service: AccessService<S, M, C>,
    prefix: String,
    after_login: String,
    templates: Box<dyn Templates>,
    settings: Settings,
    cookie_name: Option<String>,
}

impl<S, M, C> std::fmt::Debug for CustomerAccessBuilder<S, M, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerAccessBuilder")
            .field("prefix", &self.prefix)
            .field("after_login", &self.after_login)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Largest form or JSON body the layer reads, by default: a login form is well under 1 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024;
/// A session unused this long ends, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// What `Retry-After` says when the service is overloaded, by default.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(2);

impl<S, M, C> CustomerAccessBuilder<S, M, C> {
    /// Mount the routes under `prefix` (default: none, so `/login` etc.).
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// Where a contact goes after logging in or setting a password (default `/`).
    #[must_use]
    pub fn after_login(mut self, path: &str) -> Self {
        path.clone_into(&mut self.after_login);
        self
    }

    /// Render the pages with your own templates (see [`Templates`]).
    #[must_use]
    pub fn templates(mut self, templates: impl Templates) -> Self {
        self.templates = Box::new(templates);
        self
    }

    /// Largest request body the layer reads (default [`DEFAULT_BODY_LIMIT`]); a larger one is
    /// answered `413` before any handler runs.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.settings.body_limit = bytes;
        self
    }

    /// End sessions unused this long (default [`DEFAULT_IDLE_TIMEOUT`]).
    #[must_use]
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.settings.idle_timeout = idle;
        self
    }

    /// `Retry-After` of a `503` when hashing is saturated (default [`DEFAULT_RETRY_AFTER`]).
    #[must_use]
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.settings.retry_after = wait;
        self
    }

    /// Mark the session cookie `Secure` (default `true`; turn it off only for plain-HTTP
    /// development on localhost).
    #[must_use]
    pub fn secure_cookie(mut self, secure: bool) -> Self {
        self.settings.secure_cookie = secure;
        self
    }

    /// The session cookie's name (default `__Host-customer_access` with
    /// [`secure_cookie`](Self::secure_cookie), `customer_access` without: the `__Host-`
    /// prefix makes the browser refuse a cookie of that name that is not `Secure`, has a
    /// `Domain` or another `Path`, so a sibling subdomain or a network attacker cannot plant
    /// a session id). The recognised-device cookie is named after it, with `_device`.
    #[must_use]
    pub fn cookie_name(mut self, name: &str) -> Self {
        self.cookie_name = Some(name.to_owned());
        self
    }

    /// Check the settings and build.
    ///
    /// # Errors
    /// [`BuildError`] for an unusable path, body limit or cookie name.
    pub fn build(mut self) -> Result<CustomerAccess<S, M, C>, BuildError> {
        let paths = Paths::new(&self.prefix, &self.after_login)?;
        self.settings.cookie_name = self.cookie_name.take().unwrap_or_else(|| {
            if self.settings.secure_cookie { "__Host-customer_access" } else { "customer_access" }.to_owned()
        });
        if !(1024..=1024 * 1024).contains(&self.settings.body_limit) {
            return Err(BuildError::BodyLimit(self.settings.body_limit));
        }
        let name = &self.settings.cookie_name;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(BuildError::CookieName(name.clone()));
        }
        Ok(CustomerAccess {
            inner: Arc::new(Inner { service: self.service, paths, templates: self.templates, settings: self.settings }),
        })
    }
}

impl<S, M, C> CustomerAccess<S, M, C> {
    /// Start building the web layer of `service`.
    pub fn builder(service: AccessService<S, M, C>) -> CustomerAccessBuilder<S, M, C> {
        CustomerAccessBuilder {
            service,
            prefix: String::new(),
            after_login: "/".to_owned(),
            templates: Box::new(DefaultTemplates),
            settings: Settings {
                body_limit: DEFAULT_BODY_LIMIT,
                retry_after: DEFAULT_RETRY_AFTER,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                secure_cookie: true,
                cookie_name: String::new(),
            },
            cookie_name: None,
        }
    }

    /// The service.
    pub fn service(&self) -> &AccessService<S, M, C> {
        &self.inner.service
    }

    /// Where the routes are.
    pub fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    pub(crate) fn templates(&self) -> &dyn Templates {
        &*self.inner.templates
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.inner.settings
    }
}

impl<S: Store, M: Mailer, C: Clock> CustomerAccess<S, M, C> {
    /// `app` with this crate's routes added, the layer over all of them, and sessions kept in
    /// `sessions`. Call it last: routes added to the result afterwards are outside the layer.
    ///
    /// The session cookie is `HttpOnly`, `SameSite=Lax`, `Secure` (see
    /// [`secure_cookie`](CustomerAccessBuilder::secure_cookie)), path `/`, and ends after
    /// [`idle_timeout`](CustomerAccessBuilder::idle_timeout) without a request.
    pub fn install<St: SessionStore + Clone>(&self, app: Router, sessions: St) -> Router {
        let settings = self.settings();
        let idle = time::Duration::try_from(settings.idle_timeout).unwrap_or(time::Duration::MINUTE * 30);
        let session_layer = SessionManagerLayer::new(sessions)
            .with_name(settings.cookie_name.clone())
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(settings.secure_cookie)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(idle));
        app.merge(crate::routes::router(self.clone()))
            .layer(axum::middleware::from_fn_with_state(self.clone(), crate::guard::guard::<S, M, C>))
            .layer(session_layer)
    }
}
