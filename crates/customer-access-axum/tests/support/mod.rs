//! The layer under test on real stores: an SQLite file or the PostgreSQL test server, each
//! with its session store in the same database, and a tiny cookie-keeping client that sends
//! requests through the router (`tower::ServiceExt::oneshot`).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

pub mod staff;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::routing::get;
use customer_access::secrecy::{ExposeSecret, SecretString};
use customer_access::{
    AccessService, BoxStore, Contact, LoginOutcome, NewContact, RecordingMailer, SecurityPolicy, Staff, StaffId,
    SystemClock,
};
use customer_access_axum::store::{PostgresSessionStore, SqliteSessionStore};
use customer_access_axum::{CsrfToken, CurrentContact, CustomerAccess};
use customer_access_postgres::SchemaName;
use tower::ServiceExt;

pub type Service = AccessService<BoxStore, RecordingMailer, SystemClock>;
pub type Access = CustomerAccess<BoxStore, RecordingMailer, SystemClock>;

pub const PASSWORD: &str = "Start-Password-1";
pub const PREFIX: &str = "/account";
pub const BODY_LIMIT: usize = customer_access_axum::DEFAULT_BODY_LIMIT;

/// Where the sessions are kept: the same database as the contacts.
#[derive(Clone)]
pub enum Backend {
    Sqlite(SqliteSessionStore),
    Postgres(PostgresSessionStore, SchemaName),
}

impl Backend {
    /// `app` under `access`'s layer, sessions kept here.
    pub fn install(&self, access: &Access, app: Router) -> Router {
        match self {
            Self::Sqlite(s) => access.install(app, s.clone()),
            Self::Postgres(s, _) => access.install(app, s.clone()),
        }
    }

    /// Rows in the session table.
    pub async fn rows(&self) -> i64 {
        match self {
            Self::Sqlite(s) => s.count().await.unwrap(),
            Self::Postgres(s, _) => s.count().await.unwrap(),
        }
    }

    /// Every stored byte of the session table (row keys and sealed records).
    pub async fn bytes(&self) -> Vec<u8> {
        let rows: Vec<(Vec<u8>, Vec<u8>)> = match self {
            Self::Sqlite(s) => {
                sqlx::query_as("SELECT id, sealed FROM customer_access_sessions").fetch_all(s.pool()).await.unwrap()
            }
            Self::Postgres(s, schema) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT id, sealed FROM \"{}\".sessions", schema.as_str())))
                    .fetch_all(s.pool())
                    .await
                    .unwrap()
            }
        };
        rows.into_iter().flat_map(|(a, b)| a.into_iter().chain(b)).collect()
    }
}

/// A service, the web layer over a small application, and one contact with a password.
pub struct World {
    pub service: Service,
    pub access: Access,
    pub app: Router,
    pub admin: Staff,
    pub contact: Contact,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh world on `db`, or `None` (loudly) when PostgreSQL is missing and not required.
pub async fn world(db: Db) -> Option<World> {
    world_with(db, policy(), |b| b).await
}

/// As [`world`], under `policy`, with the builder adjusted by `adjust`.
pub async fn world_with(db: Db, policy: SecurityPolicy, adjust: impl FnOnce(Builder) -> Builder) -> Option<World> {
    world_with_app(db, policy, adjust, application).await
}

/// As [`world_with`], protecting the router `app()` instead of [`application`].
pub async fn world_with_app(
    db: Db,
    policy: SecurityPolicy,
    adjust: impl FnOnce(Builder) -> Builder,
    app: fn() -> Router,
) -> Option<World> {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let store = customer_access_sqlite::open(dir.path().join("shop.db")).await.unwrap();
            let sessions = SqliteSessionStore::new(store.pool().clone());
            sessions.migrate().await.unwrap();
            let service =
                AccessService::new(BoxStore::new(store), RecordingMailer::new(), SystemClock, policy).unwrap();
            Some(World::new(service, Backend::Sqlite(sessions), Some(dir), adjust, app).await)
        }
        Db::Postgres => {
            let url = std::env::var("CUSTOMER_ACCESS_PG_URL").unwrap_or_else(|_| PG_URL.to_owned());
            let pool = match sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect(&url)
                .await
            {
                Ok(pool) => pool,
                Err(e) if std::env::var("CUSTOMER_ACCESS_REQUIRE_PG").as_deref() == Ok("1") => {
                    panic!("PostgreSQL required (CUSTOMER_ACCESS_REQUIRE_PG=1) but unreachable at {url}: {e}")
                }
                Err(e) => {
                    eprintln!(
                        "\n*** SKIPPED: no PostgreSQL at {url} ({e}). Set CUSTOMER_ACCESS_PG_URL, or CUSTOMER_ACCESS_REQUIRE_PG=1 to fail instead. ***\n"
                    );
                    return None;
                }
            };
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().map(|d| d.subsec_nanos()).unwrap_or(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let schema = SchemaName::parse(&format!("ca_axum_{}_{n}_{nanos}", std::process::id())).unwrap();
            let store = customer_access_postgres::from_pool(pool.clone(), schema.clone()).await.unwrap();
            let sessions = PostgresSessionStore::new(pool, schema.clone());
            sessions.migrate().await.unwrap();
            let service =
                AccessService::new(BoxStore::new(store), RecordingMailer::new(), SystemClock, policy).unwrap();
            Some(World::new(service, Backend::Postgres(sessions, schema), None, adjust, app).await)
        }
    }
}

pub type Builder = customer_access_axum::CustomerAccessBuilder<BoxStore, RecordingMailer, SystemClock>;

impl Drop for World {
    fn drop(&mut self) {
        // The test's own schema goes with it (tests run in parallel: never another's).
        if let Backend::Postgres(sessions, schema) = &self.backend {
            let pool = sessions.pool().clone();
            let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", schema.as_str());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                let _ = rt.block_on(sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool));
            })
            .join()
            .ok();
        }
    }
}

pub fn policy() -> SecurityPolicy {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = customer_access::policy::Argon2Settings::danger_insecure_for_tests();
    policy
}

async fn home(contact: Option<CurrentContact>) -> String {
    contact.map_or_else(|| "hello stranger".to_owned(), |c| format!("hello contact {}", c.id))
}

async fn orders(contact: CurrentContact) -> String {
    format!("orders of contact {}", contact.id)
}

async fn order(contact: CurrentContact) -> String {
    format!("ordered for contact {}", contact.id)
}

async fn order_form(_contact: CurrentContact, token: CsrfToken) -> String {
    format!(r#"<form method="post" action="/orders"><input name="csrf" value="{}"></form>"#, token.as_str())
}

/// The application the tests protect: a public home page, an orders page and form.
pub fn application() -> Router {
    Router::new().route("/", get(home)).route("/orders", get(orders).post(order)).route("/orders/new", get(order_form))
}

impl World {
    /// A world on `store`, sessions in `sessions`.
    async fn new(
        service: Service,
        backend: Backend,
        dir: Option<tempfile::TempDir>,
        adjust: impl FnOnce(Builder) -> Builder,
        application: fn() -> Router,
    ) -> Self {
        let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
        let shop = service.create_retailer(&admin, "Corner Shop").await.unwrap();
        let new = NewContact {
            retailer: shop.id,
            username: "anna.berg".into(),
            email: "anna@shop.example".into(),
            display_name: "Anna Berg".into(),
            preferences: Default::default(),
        };
        let contact = service.invite(&admin, &new).await.unwrap();
        let temporary = service.mailer().last_temporary_password().unwrap();
        let LoginOutcome::PasswordChangeRequired { ticket } = service.login("anna.berg", &temporary).await.unwrap()
        else {
            panic!("the invitation's password must ask for a change")
        };
        service.set_new_password(&ticket, &SecretString::from(PASSWORD)).await.unwrap();
        let builder =
            CustomerAccess::builder(service.clone()).prefix(PREFIX).after_login("/orders").secure_cookie(false);
        let access = adjust(builder).build().unwrap();
        let app = backend.install(&access, application());
        Self { service, access, app, admin, contact, backend, _dir: dir }
    }

    pub fn client(&self) -> Client {
        Client { app: self.app.clone(), cookie: None, device: None }
    }

    /// A client logged in as the contact.
    pub async fn logged_in(&self) -> Client {
        let mut c = self.client();
        let a = c.log_in("anna.berg", PASSWORD).await;
        assert_eq!(a.location(), Some("/orders"), "{a:?}");
        c
    }

    pub async fn session_rows(&self) -> i64 {
        self.backend.rows().await
    }

    /// Staff reset: the contact's temporary password.
    pub async fn staff_reset(&self, revoke: bool) -> SecretString {
        let options = if revoke {
            customer_access::ResetOptions::revoking_current_password()
        } else {
            customer_access::ResetOptions::default()
        };
        self.service.staff_reset(&self.admin, self.contact.id, options).await.unwrap();
        self.service.mailer().last_temporary_password().unwrap()
    }
}

/// One answer, its body read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A browser: keeps the session cookie the server sets.
#[derive(Clone)]
pub struct Client {
    app: Router,
    pub cookie: Option<String>,
    /// The recognised-device cookie, once a login set it.
    pub device: Option<String>,
}

impl Client {
    /// A browser without a cookie, on `app` (e.g. a second instance's router).
    pub fn on(app: Router) -> Self {
        Self { app, cookie: None, device: None }
    }

    pub async fn send(&mut self, mut request: Request<Body>) -> Answer {
        let mut cookies = Vec::new();
        if let Some(cookie) = &self.cookie {
            cookies.push(format!("customer_access={cookie}"));
        }
        if let Some(device) = &self.device {
            cookies.push(format!("customer_access_device={device}"));
        }
        if !cookies.is_empty() {
            request.headers_mut().insert(header::COOKIE, cookies.join("; ").parse().unwrap());
        }
        let response = self.app.clone().oneshot(request).await.unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            if let Some(device) = set.split(';').next().and_then(|kv| kv.strip_prefix("customer_access_device=")) {
                assert!(set.contains("HttpOnly") && set.contains("Max-Age="), "{set}");
                self.device = Some(device.to_owned());
                continue;
            }
            let Some(value) = set.split(';').next().and_then(|kv| kv.strip_prefix("customer_access=")) else {
                continue;
            };
            let removed = value.is_empty() || set.contains("Max-Age=0");
            self.cookie = (!removed).then(|| value.to_owned());
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    pub async fn get_json(&mut self, path: &str) -> Answer {
        self.send(Request::get(path).header(header::ACCEPT, "application/json").body(Body::empty()).unwrap()).await
    }

    /// The session's CSRF token (creating the session if needed).
    pub async fn csrf(&mut self) -> String {
        let a = self.get_json(&format!("{PREFIX}/api/session")).await;
        a.json()["csrf"].as_str().unwrap().to_owned()
    }

    /// Post a form as a browser would, with `csrf` as its token field (if any).
    pub async fn post_form_with(&mut self, path: &str, csrf: Option<&str>, fields: &[(&str, &str)]) -> Answer {
        let mut body = form_urlencoded(fields);
        if let Some(token) = csrf {
            body = format!("csrf={}&{body}", enc(token));
        }
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Post a form with the session's token.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.csrf().await;
        self.post_form_with(path, Some(&token), fields).await
    }

    /// Post JSON with the session's token in the header.
    pub async fn post_json(&mut self, path: &str, body: serde_json::Value) -> Answer {
        let token = self.csrf().await;
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header("x-csrf-token", token)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    pub async fn log_in(&mut self, username: &str, password: &str) -> Answer {
        self.get(&format!("{PREFIX}/login")).await;
        self.post_form(&format!("{PREFIX}/login"), &[("username", username), ("password", password)]).await
    }

    pub async fn log_in_with(&mut self, username: &str, password: &SecretString) -> Answer {
        self.log_in(username, password.expose_secret()).await
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form_urlencoded(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// Wait until `f` holds or 5 s pass (for background sends).
pub async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
