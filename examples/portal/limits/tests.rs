//! The limits over real loopback connections: what is over a bound is answered 503 at once,
//! and nothing waits past its deadline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]
#![allow(clippy::disallowed_methods, reason = "the deadlines are wall-clock time by nature")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use customer_access::SecurityPolicy;
use customer_access_examples::loopback_http::{Answer, Connection};

use super::{Limits, serve};
use crate::cookie::CookieMode;
use crate::tests::{Portal, portal_with};

/// A portal served on a free loopback port within `limits`.
async fn serving(limits: Limits, policy: SecurityPolicy) -> (Portal, SocketAddr) {
    let portal = portal_with(CookieMode::Http, limits, policy).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, Arc::clone(&portal.app), limits));
    (portal, addr)
}

fn limits(connections: usize, in_flight: usize, request_timeout: Duration) -> Limits {
    Limits { connections, in_flight, request_timeout }
}

fn assert_busy(answer: &Answer, words: &str) {
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert!(answer.body.contains(words), "the busy page in the browser's language: {}", answer.body);
}

/// A lookup of the variables `pairs` sets.
fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
}

#[test]
fn limits_come_from_the_environment_within_bounds() {
    assert_eq!(Limits::from_lookup(env(&[])), Ok(Limits::default()));
    assert_eq!(
        Limits::from_lookup(env(&[
            ("PORTAL_MAX_CONNECTIONS", "2000"),
            ("PORTAL_MAX_IN_FLIGHT", " 8 "),
            ("PORTAL_REQUEST_TIMEOUT_SECS", "3")
        ])),
        Ok(limits(2000, 8, Duration::from_secs(3)))
    );
    for (name, value) in [
        ("PORTAL_MAX_CONNECTIONS", "0"),
        ("PORTAL_MAX_IN_FLIGHT", "lots"),
        ("PORTAL_REQUEST_TIMEOUT_SECS", "601"),
        ("PORTAL_REQUEST_TIMEOUT_SECS", "-1"),
    ] {
        let error = Limits::from_lookup(env(&[(name, value)])).unwrap_err();
        assert!(error.starts_with(name) && error.contains(value), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_bound_is_answered_503_at_once_and_closed() {
    let (_portal, addr) = serving(limits(1, 16, Duration::from_secs(10)), SecurityPolicy::default()).await;
    let mut held = Connection::open(addr).await.unwrap();
    assert_eq!(held.send("GET", "/login", &[], "").await.unwrap().status, 200);

    let started = Instant::now();
    let mut refused = Connection::open(addr).await.unwrap();
    let answer = refused.send("GET", "/login", &[("accept-language", "de")], "").await.unwrap();
    assert_busy(&answer, "ausgelastet");
    assert!(refused.read_to_close().await.unwrap().is_empty(), "and the connection is closed");
    assert!(started.elapsed() < Duration::from_secs(2), "at once: {:?}", started.elapsed());

    assert_eq!(held.send("GET", "/login", &[], "").await.unwrap().status, 200, "the served one goes on");
    drop(held);
    let served_again = async {
        loop {
            let mut next = Connection::open(addr).await.unwrap();
            if next.send("GET", "/login", &[], "").await.unwrap().status == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), served_again).await.expect("a freed connection is served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_in_flight_bound_is_answered_503_at_once() {
    let (portal, addr) = serving(limits(16, 1, Duration::from_secs(10)), SecurityPolicy::default()).await;
    let permit = Arc::clone(&portal.app.requests.in_flight).try_acquire_owned().unwrap();
    let mut connection = Connection::open(addr).await.unwrap();
    let started = Instant::now();
    let answer = connection.send("GET", "/login", &[("accept-language", "fr")], "").await.unwrap();
    assert_busy(&answer, "sollicités");
    assert!(started.elapsed() < Duration::from_secs(2), "at once: {:?}", started.elapsed());
    assert!(!answer.closes(), "the connection stays usable");
    drop(permit);
    assert_eq!(connection.send("GET", "/login", &[], "").await.unwrap().status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_deadline_is_answered_503() {
    let portal =
        portal_with(CookieMode::Http, limits(16, 16, Duration::from_millis(300)), SecurityPolicy::default()).await;
    // A route as slow as a stuck store: the guard must answer, not the route.
    let slow = axum::Router::new()
        .route("/slow", axum::routing::get(|| tokio::time::sleep(Duration::from_secs(60))))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&portal.app), super::guard))
        .with_state(Arc::clone(&portal.app));
    let request = axum::http::Request::get("/slow").body(axum::body::Body::empty()).unwrap();
    let started = Instant::now();
    let response = tower::ServiceExt::oneshot(slow, request).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_sending_no_whole_request_head_is_closed_after_the_timeout() {
    let (_portal, addr) = serving(limits(1, 16, Duration::from_secs(1)), SecurityPolicy::default()).await;
    // A slowloris client: half a request head, then nothing.
    let mut slow = Connection::open(addr).await.unwrap();
    slow.write_raw(b"GET /login HTTP/1.1\r\nhost: 127.0.0.1\r\n").await.unwrap();
    let started = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_close()).await;
    assert!(closed.is_ok(), "still open after 5 s");
    assert!(started.elapsed() >= Duration::from_millis(900), "not before the timeout: {:?}", started.elapsed());
    // Its connection is free again (the bound is 1): the next client is served.
    let mut next = Connection::open(addr).await.unwrap();
    assert_eq!(next.send("GET", "/login", &[], "").await.unwrap().status, 200);
    // An idle kept-alive connection is closed the same way.
    let started = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), next.read_to_close()).await;
    assert!(closed.is_ok() && started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_over_the_body_bound_is_refused_before_any_work() {
    let (_portal, addr) = serving(limits(16, 16, Duration::from_secs(10)), SecurityPolicy::default()).await;
    let mut connection = Connection::open(addr).await.unwrap();
    let page = connection.send("GET", "/login", &[], "").await.unwrap();
    let cookie = page.cookies().next().unwrap().to_owned();
    let padding = "x".repeat(super::MAX_BODY);
    let answer = connection
        .send("POST", "/forgot", &[("cookie", &cookie)], &format!("csrf=0&username={padding}"))
        .await
        .unwrap();
    assert_eq!(answer.status, 413, "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hash_queue_answers_the_login_503_with_the_form_kept() {
    // One hashing thread, one waiting request: a burst of logins overflows it.
    let mut policy = SecurityPolicy::default();
    policy.max_concurrent_hashes = 1;
    policy.hash_queue_depth = 1;
    let (_portal, addr) = serving(limits(64, 64, Duration::from_secs(30)), policy).await;
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..12 {
        logins.spawn(async move {
            let mut connection = Connection::open(addr).await.unwrap();
            let page = connection.send("GET", "/login", &[], "").await.unwrap();
            let cookie = page.cookies().next().unwrap().to_owned();
            let csrf = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            let form = format!("csrf={csrf}&username=nobody{i}&password=wrong-guess-{i}");
            let started = Instant::now();
            let answer = connection.send("POST", "/login", &[("cookie", &cookie)], &form).await.unwrap();
            (answer, started.elapsed())
        });
    }
    let answers = logins.join_all().await;
    let busy: Vec<_> = answers.iter().filter(|(a, _)| a.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "some login found the queue full: {:?}",
        answers.iter().map(|(a, _)| a.status).collect::<Vec<_>>()
    );
    for (answer, _) in &busy {
        assert_eq!(answer.header("retry-after"), Some("1"));
        assert!(answer.body.contains("We are busy") && answer.body.contains(r#"action="/login""#), "{}", answer.body);
    }
    assert!(answers.iter().all(|(a, _)| a.status == 503 || a.status == 303), "{answers:?}");
}
