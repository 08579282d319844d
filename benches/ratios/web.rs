//! Benchmark 8: a logged-in request through `customer-access-axum`'s layer (the session's
//! credential version checked against the contact's) against the same request behind the
//! same sealed session store without the layer, on SQLite and PostgreSQL; and the layer's
//! added cost against one Argon2 verification, to show the check is a read, not a hash.

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use customer_access::{BoxStore, Store};
use customer_access_axum::store::{PostgresSessionStore, SqliteSessionStore};
use customer_access_axum::tower_sessions::{Session, SessionManagerLayer, SessionStore};
use customer_access_axum::{CurrentContact, CustomerAccess};
use customer_access_postgres::SchemaName;
use tower::ServiceExt;

use crate::report::{Row, rounds};
use crate::service::{password_of, populated};

const TARGET: &str = "<= 2.5";
const LIMIT: f64 = 2.5;
const HASH_TARGET: &str = "<= 0.1";
const HASH_LIMIT: f64 = 0.1;

pub async fn run(rows: &mut Vec<Row>) {
    let dir = tempfile::tempdir().unwrap();
    let store = customer_access_sqlite::open(dir.path().join("web.db")).await.unwrap();
    let sessions = SqliteSessionStore::new(store.pool().clone());
    sessions.migrate().await.unwrap();
    let (ratio, added_ms, detail) = measure(BoxStore::new(store), sessions).await;
    rows.push(Row::at_most(
        "8. logged-in request through the layer / the same behind sessions alone, SQLite",
        ratio,
        LIMIT,
        TARGET,
        detail,
    ));
    let verify_ms = argon2_verify_ms();
    rows.push(Row::at_most(
        "8. the layer's added cost per request / one Argon2 verification (default parameters)",
        added_ms / verify_ms,
        HASH_LIMIT,
        HASH_TARGET,
        format!("{:.3} ms added vs {verify_ms:.1} ms per verification", added_ms),
    ));

    let url = std::env::var("CUSTOMER_ACCESS_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = SchemaName::parse(&format!("ca_bench_web_{}", std::process::id())).unwrap();
    let name = "8. logged-in request through the layer / the same behind sessions alone, PostgreSQL";
    let pg = match customer_access_postgres::connect(&url, schema.clone()).await {
        Ok(pg) => pg,
        Err(e) => {
            rows.push(Row::skipped(name, TARGET, e.to_string()));
            return;
        }
    };
    let pool = pg.pool().clone();
    let sessions = PostgresSessionStore::new(pool.clone(), schema.clone());
    sessions.migrate().await.unwrap();
    let (ratio, _, detail) = measure(BoxStore::new(pg), sessions).await;
    rows.push(Row::at_most(name, ratio, LIMIT, TARGET, detail));
    let drop = format!("DROP SCHEMA \"{}\" CASCADE", schema.as_str());
    sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await.unwrap();
}

async fn orders(contact: CurrentContact) -> String {
    format!("orders of contact {}", contact.id)
}

/// The baseline: the same answer, the session loaded as the layer loads it, no check.
async fn orders_from_session(session: Session) -> String {
    let value: Option<serde_json::Value> = session.get("customer_access").await.unwrap();
    let contact = value.and_then(|v| v["login"][0].as_i64()).unwrap();
    format!("orders of contact {contact}")
}

/// The median over rounds of (layer / baseline), the layer's added milliseconds, and the
/// figures.
async fn measure<S: Store, St: SessionStore + Clone>(store: S, sessions: St) -> (f64, f64, String) {
    let service = populated(store, 2, 64, 1).await;
    let access = CustomerAccess::builder(service.clone()).secure_cookie(false).build().unwrap();
    let layered = access.install(Router::new().route("/orders", get(orders)), sessions.clone());
    let baseline = Router::new()
        .route("/orders", get(orders_from_session))
        .layer(SessionManagerLayer::new(sessions).with_name("customer_access").with_secure(false));
    let cookie = log_in(&layered).await;
    let expected = request(&layered, &cookie).await;
    assert_eq!(expected, request(&baseline, &cookie).await, "both answer alike");
    let hashes_before = service.hash_operations();
    let per_round = rounds(10, 40);
    let batch = 50;
    let (mut ratios, mut with_ms, mut without_ms) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..per_round {
        let a = time_batch(&layered, &cookie, batch).await;
        let b = time_batch(&baseline, &cookie, batch).await;
        ratios.push(a / b);
        with_ms.push(a);
        without_ms.push(b);
    }
    let hashes = service.hash_operations() - hashes_before;
    assert_eq!(hashes, 0, "the layer hashed");
    let (ratio, with, without) = (median(&mut ratios), median(&mut with_ms), median(&mut without_ms));
    let detail =
        format!("{with:.3} ms vs {without:.3} ms per request (median of {per_round} rounds of {batch}); 0 hashes");
    (ratio, with - without, detail)
}

async fn time_batch(app: &Router, cookie: &str, n: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        request(app, cookie).await;
    }
    started.elapsed().as_secs_f64() * 1e3 / f64::from(n)
}

async fn request(app: &Router, cookie: &str) -> String {
    let request = Request::get("/orders").header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Log in as `bench000` over the JSON endpoints; the session cookie.
async fn log_in(app: &Router) -> String {
    let response = app.clone().oneshot(Request::get("/api/session").body(Body::empty()).unwrap()).await.unwrap();
    let cookie = set_cookie(&response).unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    let csrf = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["csrf"].as_str().unwrap().to_owned();
    let login = serde_json::json!({"username": "bench000", "password": customer_access::secrecy::ExposeSecret::expose_secret(&password_of("bench000"))});
    let request = Request::post("/api/login")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", csrf)
        .body(Body::from(login.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert!(response.status().is_success(), "login: {}", response.status());
    set_cookie(&response).unwrap()
}

fn set_cookie(response: &axum::response::Response) -> Option<String> {
    let value = response.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    value.split(';').next().map(str::to_owned)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Milliseconds per Argon2id verification at the default parameters (m = 19456 KiB, t = 2,
/// p = 1), the cost a login pays per password checked.
fn argon2_verify_ms() -> f64 {
    use argon2::{Argon2, PasswordHasher, PasswordVerifier};
    let argon = Argon2::default();
    let hash = argon.hash_password_with_salt(b"bench-password-1", b"bench-salt-16byt").unwrap();
    let n = rounds(3, 10);
    let started = Instant::now();
    for _ in 0..n {
        argon.verify_password(b"bench-password-1", &hash).unwrap();
    }
    started.elapsed().as_secs_f64() * 1e3 / f64::from(n)
}
