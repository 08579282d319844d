//! The limits over real loopback connections: what is over a bound is answered 503 at once,
//! and nothing waits past its deadline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]
#![allow(clippy::disallowed_methods, reason = "the deadlines are wall-clock time by nature")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use customer_access::SecurityPolicy;
use customer_access_examples::loopback_http::{Answer, Connection, Session};

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

#[test]
fn the_connection_bounds_fit_the_open_file_limit() {
    let asked = Limits::default();
    assert_eq!(asked.within_open_files(None), Ok((asked, None)), "unknown: unchanged");
    assert_eq!(asked.within_open_files(Some(100_000)), Ok((asked, None)), "room enough: unchanged");
    // 1,024 files: 64 for the rest, then 3 sockets per connection (1 served, 2 refused).
    let (fitted, note) = asked.within_open_files(Some(1024)).unwrap();
    assert_eq!(fitted, Limits { connections: 320, ..asked });
    assert!(note.unwrap().contains("fits 320 connections, not 1024"));
    let error = asked.within_open_files(Some(super::OTHER_FILES + 2)).unwrap_err();
    assert!(error.contains("raise it"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_bound_is_answered_503_at_once_and_closed() {
    let (_portal, addr) = serving(limits(1, 16, Duration::from_secs(10)), SecurityPolicy::default()).await;
    let mut held = Connection::open(addr).await.unwrap();
    assert_eq!(held.send("GET", "/login", &[], "").await.unwrap().status, 200);

    let started = Instant::now();
    let mut refused = Connection::open(addr).await.unwrap();
    // Answered before its request is read, so in English whatever the browser asks.
    let answer = refused.send("GET", "/login", &[("accept-language", "de")], "").await.unwrap();
    assert_busy(&answer, "We are busy");
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
    let cookie = connection.visit_login().await.unwrap().cookie;
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
            let session = connection.visit_login().await.unwrap();
            let started = Instant::now();
            let answer =
                connection.post_login(&session, &format!("nobody{i}"), &format!("wrong-guess-{i}")).await.unwrap();
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
    // The others were refused as wrong passwords: the login page again, with its notice.
    assert!(answers.iter().all(|(a, _)| a.status == 503 || a.status == 200), "{answers:?}");
}

// ---------------------------------------------------------------------------------------
// Attack review (branch attack-flood): what an attacker can do against these limits.
// ---------------------------------------------------------------------------------------

/// A new session, from the login page.
async fn login_session(addr: SocketAddr) -> Session {
    Connection::open(addr).await.unwrap().visit_login().await.unwrap()
}

/// One login POST on a new connection (`None` when the connection failed).
async fn post_login(addr: SocketAddr, session: &Session, username: &str, password: &str) -> Option<Answer> {
    Connection::open(addr).await.ok()?.post_login(session, username, password).await.ok()
}

/// ATTACK (found by the attack review): lock a contact out without guessing at their
/// password. The library charges a login attempt against the username's back-off before the
/// password is verified and refunds it when the verification succeeds. A request timeout
/// that cancelled the handler stopped a right-password login between the two: charged, never
/// refunded; an attacker keeping the hash queue long (logins for made-up usernames) made
/// the owner's every retry a charge, until "Too many attempts". The guard now lets a
/// handler past its deadline finish: here the owner's login is answered 503, and then
/// completes in the background, which shows as its session moving to a new id (the portal
/// rotates it at login), so the old id stops naming a session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_past_its_deadline_still_completes() {
    // One hashing thread and a queue deep enough that nothing is refused as Overloaded.
    let mut policy = SecurityPolicy::default();
    policy.max_concurrent_hashes = 1;
    policy.hash_queue_depth = 1000;
    let (_portal, addr) = serving(limits(512, 256, Duration::from_secs(1)), policy).await;
    // The queue made long: 100 logins for made-up usernames at once (two verifications
    // each on one thread: seconds of work, far past the 1 s deadline).
    let junk = login_session(addr).await;
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..100 {
        let junk = junk.clone();
        flood.spawn(async move { post_login(addr, &junk, &format!("nobody-{i}"), "Wrong-guess-1").await });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let owner = login_session(addr).await;
    let answer = post_login(addr, &owner, "anna.berg", "Anna-Start-2026").await.unwrap();
    assert_eq!(answer.status, 503, "the owner's login waits behind the queue past the deadline: {answer:?}");
    // Once the queue drains, the owner's login has completed: its session was rotated away.
    let completed = async {
        loop {
            let mut connection = Connection::open(addr).await.unwrap();
            let page = connection.send("GET", "/login", &[("cookie", &owner.cookie)], "").await.unwrap();
            if page.cookies().next().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), completed)
        .await
        .expect("the login cut off by the deadline never completed: it was cancelled halfway");
    flood.join_all().await;
}

/// The mechanism behind [`a_login_past_its_deadline_still_completes`]: a handler past the
/// deadline runs to its end, holding its slot until then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_past_its_deadline_finishes_holding_its_slot() {
    let portal =
        portal_with(CookieMode::Http, limits(16, 1, Duration::from_millis(200)), SecurityPolicy::default()).await;
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&finished);
    let slow = axum::Router::new()
        .route(
            "/slow",
            axum::routing::get(move || async move {
                tokio::time::sleep(Duration::from_millis(800)).await;
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }),
        )
        .route("/fast", axum::routing::get(|| async {}))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&portal.app), super::guard))
        .with_state(Arc::clone(&portal.app));
    let get = |path: &str| axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
    let response = tower::ServiceExt::oneshot(slow.clone(), get("/slow")).await.unwrap();
    assert_eq!(response.status(), 503);
    let response = tower::ServiceExt::oneshot(slow.clone(), get("/fast")).await.unwrap();
    assert_eq!(response.status(), 503, "the slow handler still holds the only slot");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(finished.load(std::sync::atomic::Ordering::SeqCst), "the slow handler ran to its end");
    let response = tower::ServiceExt::oneshot(slow, get("/fast")).await.unwrap();
    assert_eq!(response.status(), 200, "and then gave its slot back");
}

/// ATTACK (found by the attack review; fixed by `write_deadline.rs`): slow read. A client pipelines requests and never reads the answers (with a tiny
/// receive window). Once the portal's socket buffer is full, hyper waits to write with no
/// deadline: the header read timeout never starts (no head is being read) and the request
/// timeout ended with the handler. The connection is held until `CONNECTION_LIFETIME`
/// (120 s) plus the graceful-shutdown grace (the request timeout), 13 times the 10 s a
/// slowloris client gets; `connections` such clients shut every other client out (503) for
/// two minutes at the cost of a few KiB each. Expected: a client that does not take its
/// answers for the request timeout loses its connection like one that does not send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_client_that_never_reads_its_answers_frees_its_connection_after_the_timeout() {
    let (_portal, addr) = serving(limits(1, 16, Duration::from_secs(1)), SecurityPolicy::default()).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(1024).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    // 2,000 pipelined page loads (each answered with a few KiB), written in the background.
    let requests = "GET /login HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".repeat(2000);
    let (_reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let _ = writer.write_all(requests.as_bytes()).await;
        writer // kept open: the connection must not end by the client's doing
    });
    // Three request timeouts: by now the non-reader's connection should be gone.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut next = Connection::open(addr).await.unwrap();
    let answer = next.send("GET", "/login", &[], "").await.unwrap();
    assert_eq!(
        answer.status,
        200,
        "the only served connection is still held by a client that has read nothing for 3 s \
         (it is kept up to 120 s + the timeout): {} {:?}",
        answer.status,
        answer.header("retry-after")
    );
    writing.abort();
}

/// ATTACK (found by the attack review; fixed by answering refusals before reading):
/// connections that send nothing. The refusal path waits up to 2 s for a request
/// head before answering 503, and the served path up to the request timeout, so an
/// attacker who only opens idle sockets (no request, no bytes) fills the served bounds and
/// then the refusal bound; from then on every real client's connection is closed
/// unanswered (no 503, no Retry-After), contrary to "overload answered 503 at once".
/// Here the bound is 1 served + 1 refusing: two idle sockets are enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_idle_sockets_over_both_bounds_still_leave_real_clients_a_503() {
    let (_portal, addr) = serving(limits(1, 16, Duration::from_secs(10)), SecurityPolicy::default()).await;
    let _idle_served = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _idle_refused = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let mut real = Connection::open(addr).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), real.send("GET", "/login", &[], "")).await;
    match answer {
        Ok(Ok(answer)) => assert_busy(&answer, "busy"),
        Ok(Err(e)) => panic!("the real client got no answer but {e} after {:?}", started.elapsed()),
        Err(_) => panic!("the real client got no answer within 5 s"),
    }
}

/// Start a form POST whose body never finishes: the head promises `length` bytes, one is sent.
async fn stalled_post(addr: SocketAddr, path: &str, length: usize) -> Connection {
    let mut connection = Connection::open(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\n\
         content-length: {length}\r\n\r\nc"
    );
    connection.write_raw(head.as_bytes()).await.unwrap();
    connection
}

/// CHECK (not a defect): a client trickling a form's BODY (the head complete, so hyper's
/// header read timeout does not apply) is cut off by the request timeout, since the body is
/// read whole by the guard before the handler: 408 after the timeout, and the
/// connection is closed (the unread rest of the body is not waited for).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_a_body_trickled_byte_by_byte_is_cut_off_by_the_request_timeout() {
    let (_portal, addr) = serving(limits(4, 16, Duration::from_secs(1)), SecurityPolicy::default()).await;
    let cookie = login_session(addr).await.cookie;
    let mut connection = Connection::open(addr).await.unwrap();
    let head = format!(
        "POST /login HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: {cookie}\r\n\
         content-type: application/x-www-form-urlencoded\r\ncontent-length: 1000\r\n\r\n"
    );
    connection.write_raw(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        loop {
            if connection.write_raw(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    // Trickle for at most 3 s; then read what came back.
    let _ = tokio::time::timeout(Duration::from_secs(3), trickle).await;
    let answer = connection.read_answer().await.unwrap();
    assert_eq!(answer.status, 408, "a client too slow with its form: {answer:?}");
    // The trickle stopped because the portal closed the connection, well before 3 s.
    assert!(started.elapsed() < Duration::from_millis(2500), "{:?}", started.elapsed());
    // Then closed (cleanly or by a reset, the client having written into a closed socket).
    let closed = tokio::time::timeout(Duration::from_secs(2), connection.read_to_close()).await;
    assert!(closed.is_ok_and(|rest| rest.map_or(true, |r| r.is_empty())), "then closed");
}

/// ATTACK (found by the attack review; fixed by reading the body before taking a slot):
/// slow POST (R.U.D.Y.). A form POST whose head is complete but whose body is
/// trickled holds one of the `PORTAL_MAX_IN_FLIGHT` (256) permits for the whole request
/// timeout (10 s), because the guard takes the permit before the body is read: 256
/// connections sending a byte every few seconds (a quarter of the connection bound, no
/// hashing, almost no bandwidth) answer every other client's every request 503. A request
/// should not hold a handler slot while its (at most 16 KiB) body is still on the wire.
/// Here the in-flight bound is 2: two stalled uploads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_stalled_form_bodies_do_not_take_every_in_flight_permit() {
    let (_portal, addr) = serving(limits(64, 2, Duration::from_secs(10)), SecurityPolicy::default()).await;
    let _stalled = [stalled_post(addr, "/login", 200).await, stalled_post(addr, "/forgot", 200).await];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut real = Connection::open(addr).await.unwrap();
    let answer = real.send("GET", "/login", &[], "").await.unwrap();
    assert_eq!(
        answer.status, 200,
        "two uploads that sent one body byte each hold every in-flight permit: a real page load is refused"
    );
}

/// CHECK (refusal path, reset vs clean close): a refused client whose form body arrives a
/// moment after its head (as a browser may send it) still reads its 503, although the
/// refusal answers after the head and closes with the body unread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_a_refused_post_whose_body_comes_later_still_reads_its_503() {
    let (_portal, addr) = serving(limits(1, 16, Duration::from_secs(10)), SecurityPolicy::default()).await;
    let mut held = Connection::open(addr).await.unwrap();
    assert_eq!(held.send("GET", "/login", &[], "").await.unwrap().status, 200);
    let mut refused = stalled_post(addr, "/login", 60).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = refused.write_raw(&[b'x'; 59]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = refused.read_answer().await;
    assert!(answer.as_ref().is_ok_and(|a| a.status == 503), "the 503 was lost: {answer:?}");
}
