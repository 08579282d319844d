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
    answer.form_value("csrf").expect("a form with a CSRF token").to_owned()
}

/// A fresh session logged in as `username`: its cookie (`name=value`), or where the portal
/// sent the browser instead.
async fn log_in(addr: SocketAddr, username: &str, password: &str) -> Result<String, String> {
    let mut connection = Connection::open(addr).await.unwrap();
    let session = connection.visit_login().await.unwrap();
    let answer = connection.post_login(&session, username, password).await.unwrap();
    match (answer.status, answer.header("location")) {
        // The session cookie (the login also sets the recognised-device cookie).
        (303, Some("/")) => {
            Ok(answer.cookies().find(|c| c.starts_with("portal_session=")).unwrap_or(&session.cookie).to_owned())
        }
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

/// ATTACK (found by the attack review: cancellation in the middle of a library call): the
/// request timeout dropped `change_password` after its store transaction committed, while
/// the library was still sending the "your password was changed" notice to a slow relay.
/// The contact was answered "busy, please try again" with the form kept, so they believed
/// nothing happened, yet the password had changed and the notice was never sent nor its
/// failure audited (the future was dropped, not failed). Now a handler past the deadline
/// finishes on its own (the notice goes out, or its failure is audited) and the answer says
/// what is true: it is still working, and what was sent may still go through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_past_its_deadline_completes_and_says_so() {
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
    // The notice waits on the stalled relay, so the handler is past the 1 s deadline.
    assert_eq!(answer.status, 503, "{answer:?}");
    assert!(answer.body.contains("may still go through"), "not \"busy, try again\": {}", answer.body);
    assert!(!answer.body.contains("We are busy"), "{}", answer.body);
    // The change completes: the new password logs in, the old one no more.
    let changed = async {
        loop {
            if log_in(addr, ANNA.0, NEW_PASSWORD).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), changed).await.expect("the change completed");
    assert!(log_in(addr, ANNA.0, ANNA.1).await.is_err(), "the old password no longer logs in");
    relay_task.abort();
}

/// ATTACK (found by the attack review; fixed by `Limits::within_open_files`, which lowers
/// the connection bounds to fit the open-file limit): the connection bound (default 1,024 served + 1,024 refusing)
/// is only a bound if the process may hold that many sockets. Nothing checks it against
/// `RLIMIT_NOFILE` (a soft limit of 1,024 is the common default, e.g. under systemd), and
/// nothing raises it: once descriptors run out, `accept` fails with EMFILE, the accept loop
/// sleeps and retries, and every further client waits in the kernel's listen backlog with
/// no answer at all (not 503 at once) until some connection ends, up to the request timeout
/// later for idle ones. Here the portal runs with 256 descriptors and its default limits
/// (which it lowers to 64 served + 128 refused at once); 80 idle sockets are more than it
/// serves: the next client is answered 503 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_running_out_of_file_descriptors_still_answers_503_at_once() {
    let data = tempfile::tempdir().unwrap();
    let portal = common::Portal::start_with_open_files(data.path(), 256);
    let addr: SocketAddr = ([127, 0, 0, 1], portal.port).into();

    let mut idle = Vec::new();
    for _ in 0..80 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let mut real = Connection::open(addr).await.unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(3), real.send("GET", "/login", &[], "")).await;
    drop(portal);
    match answer {
        Ok(Ok(answer)) => {
            assert_eq!(answer.status, 503, "{answer:?}");
            assert!(started.elapsed() < std::time::Duration::from_secs(1), "at once: {:?}", started.elapsed());
        }
        Ok(Err(e)) => panic!("no answer but {e} after {:?}", started.elapsed()),
        Err(_) => panic!(
            "no answer within 3 s: with 256 descriptors and PORTAL_MAX_CONNECTIONS=1024 the bound never \
             engages; the client waits in the listen backlog (accept fails with EMFILE)"
        ),
    }
}
