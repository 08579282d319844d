//! Attack review of the portal's overload limits (issue #20), against the real portal
//! binary on loopback. Each test names the attack it shows; a failing test is a defect.
//!
//! Build the binary first: `cargo build --example portal`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]
#![allow(clippy::disallowed_methods, reason = "deadlines are wall-clock time by nature")]

mod common;

use std::net::SocketAddr;
use std::process::Stdio;

use customer_access_examples::loopback_http::{Answer, Connection};

/// The demo data's contact and her password.
const ANNA: (&str, &str) = ("anna.berg", "Anna-Start-2026");
const NEW_PASSWORD: &str = "Harbour-Lantern-4417";

fn csrf_of(answer: &Answer) -> String {
    let rest = answer.body.split(r#"name="csrf" value=""#).nth(1).expect("a form with a CSRF token");
    rest.split('"').next().unwrap().to_owned()
}

/// A fresh session logged in as `username`: its cookie (`name=value`), or where the portal
/// sent the browser instead.
async fn log_in(addr: SocketAddr, username: &str, password: &str) -> Result<String, String> {
    let mut connection = Connection::open(addr).await.unwrap();
    let page = connection.send("GET", "/login", &[], "").await.unwrap();
    let cookie = page.cookies().next().unwrap().to_owned();
    let form = format!("csrf={}&username={username}&password={password}", csrf_of(&page));
    let answer = connection.send("POST", "/login", &[("cookie", &cookie)], &form).await.unwrap();
    match (answer.status, answer.header("location")) {
        (303, Some("/")) => Ok(answer.cookies().next().unwrap_or(&cookie).to_owned()),
        (status, location) => Err(format!("{status} {location:?}")),
    }
}

/// A mail relay on loopback that accepts connections and then never says anything (a
/// stalled or tarpitting relay); the sockets are held until the test ends.
async fn stalled_relay() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (port, task)
}

/// ATTACK (cancellation in the middle of a library call): the request timeout drops
/// `change_password` after its store transaction committed, while the library is still in
/// `after_password_change` (sending the "your password was changed" notice, which waits
/// for the mail relay, and would audit a failed notice). The contact is answered 503
/// "busy, please try again" with the form kept, so they believe nothing happened, yet the
/// password has changed, the security notice was never sent and its failure never audited
/// (the future was dropped, not failed), and the session, still holding the old credential
/// version, is logged out. A slow relay is enough (the SMTP timeout, 10 s by default, is
/// the request timeout's default too); so is a long hash queue before the commit.
/// Expected: a 503 means "not done": the old password still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_password_change_answered_503_has_not_happened() {
    let (relay, relay_task) = stalled_relay().await;
    let data = tempfile::tempdir().unwrap();
    let portal = common::Portal::start(
        data.path(),
        &[
            ("PORTAL_REQUEST_TIMEOUT_SECS", "1".to_owned()),
            ("PORTAL_SMTP_URL", format!("smtp://127.0.0.1:{relay}?tls=none")),
        ],
        Stdio::null(),
    );
    let addr: SocketAddr = ([127, 0, 0, 1], portal.port).into();

    let cookie = log_in(addr, ANNA.0, ANNA.1).await.expect("Anna logs in");
    let mut connection = Connection::open(addr).await.unwrap();
    let form_page = connection.send("GET", "/change-password", &[("cookie", &cookie)], "").await.unwrap();
    assert_eq!(form_page.status, 200, "{form_page:?}");
    let form = format!("csrf={}&current_password={}&new_password={NEW_PASSWORD}", csrf_of(&form_page), ANNA.1);
    let answer = connection.send("POST", "/change-password", &[("cookie", &cookie)], &form).await.unwrap();
    if answer.status != 503 {
        // Nothing cut off: the change went through and was answered as such.
        assert_eq!((answer.status, answer.header("location")), (303, Some("/")), "{answer:?}");
        relay_task.abort();
        return;
    }
    assert!(answer.body.contains("busy"), "answered as busy: {}", answer.body);
    let still_logged_in = Connection::open(addr).await.unwrap().send("GET", "/", &[("cookie", &cookie)], "").await;
    let still_logged_in = still_logged_in.map(|a| a.status).unwrap_or_default();
    let old = log_in(addr, ANNA.0, ANNA.1).await;
    let new = log_in(addr, ANNA.0, NEW_PASSWORD).await;
    relay_task.abort();
    assert!(
        old.is_ok(),
        "the change was answered 503 \"busy, try again\", but the password HAS changed (old password: {old:?}, \
         new password logs in: {}); the 'password changed' notice was dropped unsent and unaudited; the \
         session's home page now answers {still_logged_in} (200 = still logged in)",
        new.is_ok()
    );
}

/// ATTACK (file descriptors): the connection bound (default 1,024 served + 1,024 refusing)
/// is only a bound if the process may hold that many sockets. Nothing checks it against
/// `RLIMIT_NOFILE` (a soft limit of 1,024 is the common default, e.g. under systemd), and
/// nothing raises it: once descriptors run out, `accept` fails with EMFILE, the accept loop
/// sleeps and retries, and every further client waits in the kernel's listen backlog with
/// no answer at all (not 503 at once) until some connection ends, up to the request timeout
/// later for idle ones. Here the portal runs with 64 descriptors and its default limits;
/// 80 idle sockets use them up. Expected: the portal refuses to start with bounds it
/// cannot hold, or clamps them, so the over-bound client is answered 503 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_running_out_of_file_descriptors_still_answers_503_at_once() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new("sh")
        .args(["-c", "ulimit -n 64 && exec \"$0\""])
        .arg(common::portal_binary())
        .env("PORTAL_DATA", data.path())
        .env("PORTAL_PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut ready = false;
    for _ in 0..300 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if let Ok(mut probe) = Connection::open(addr).await {
            ready = probe.send("GET", "/login", &[], "").await.is_ok();
            break;
        }
    }
    assert!(ready, "the portal did not start");

    let mut idle = Vec::new();
    for _ in 0..80 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let mut real = Connection::open(addr).await.unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(3), real.send("GET", "/login", &[], "")).await;
    let _ = child.kill();
    let _ = child.wait();
    match answer {
        Ok(Ok(answer)) => assert!(answer.status == 503 || answer.status == 200, "{answer:?}"),
        Ok(Err(e)) => panic!("no answer but {e} after {:?}", started.elapsed()),
        Err(_) => panic!(
            "no answer within 3 s: with 64 descriptors and PORTAL_MAX_CONNECTIONS=1024 the bound never \
             engages; the client waits in the listen backlog (accept fails with EMFILE)"
        ),
    }
}
