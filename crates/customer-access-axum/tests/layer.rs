//! The layer's rules, each on both session stores (an SQLite file and the PostgreSQL test
//! server), through the real router: what a second browser, a forged form, a planted
//! session id or a typed URL gets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod support;

use axum::http::StatusCode;
use customer_access::secrecy::ExposeSecret;
use serde_json::json;
use support::{Db, PASSWORD, PREFIX, World};

/// Each test body once per database.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::support::world(super::Db::Sqlite).await.unwrap()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(world) = super::support::world(super::Db::Postgres).await {
                    super::$name(world).await;
                }
            })*
        }
    };
}

on_both!(
    a_second_browser_is_logged_out_on_its_next_request_to_any_route,
    staff_actions_end_sessions_everywhere,
    the_session_id_changes_at_login_and_the_old_one_is_worth_nothing,
    forms_without_their_token_are_refused_and_change_nothing,
    a_pending_change_cannot_be_skipped,
    the_json_endpoints_follow_the_same_rules,
    a_lockout_reads_like_a_wrong_password_plus_the_wait,
    sessions_rest_sealed,
    bodies_are_bounded_and_headers_set,
    logging_out_deletes_the_session,
    a_known_browser_is_not_locked_out_by_a_stranger,
);

async fn a_second_browser_is_logged_out_on_its_next_request_to_any_route(w: World) {
    let mut first = w.logged_in().await;
    let mut second = w.logged_in().await;
    let mut third = w.logged_in().await;
    assert_eq!(second.get("/orders").await.status, StatusCode::OK);
    let new = "Brand-New-Password-2";
    let a = first
        .post_form(&format!("{PREFIX}/change-password"), &[("current_password", PASSWORD), ("new_password", new)])
        .await;
    assert_eq!(a.location(), Some(&*format!("{PREFIX}/change-password?n=password-changed")), "{a:?}");
    // The browser that changed it stays logged in (under a new id and version).
    assert_eq!(first.get("/orders").await.body, format!("orders of contact {}", w.contact.id));
    // The second browser's next request, to a protected route: logged out, told why.
    let a = second.get("/orders").await;
    assert_eq!(a.location(), Some(&*format!("{PREFIX}/login?n=session-ended")));
    assert_eq!(second.get("/orders").await.location(), Some(&*format!("{PREFIX}/login")), "and stays out");
    // The third's next request goes to a public page: it is just as logged out.
    assert_eq!(third.get("/").await.body, "hello stranger");
    assert_eq!(third.get("/orders").await.location(), Some(&*format!("{PREFIX}/login")));
    // Stale sessions are deleted, not just ignored: only the first browser's remains.
    assert_eq!(w.session_rows().await, 1);
}

async fn staff_actions_end_sessions_everywhere(w: World) {
    // A staff reset that revokes the current password ends sessions; one that does not,
    // does not (the contact may still know their password).
    let mut browser = w.logged_in().await;
    w.staff_reset(false).await;
    assert_eq!(browser.get("/orders").await.status, StatusCode::OK, "a plain reset keeps sessions");
    w.staff_reset(true).await;
    assert_eq!(browser.get("/orders").await.location(), Some(&*format!("{PREFIX}/login?n=session-ended")));
    // Disabling the login ends them too.
    let temporary = w.staff_reset(false).await;
    let mut again = w.client();
    let a = again.log_in_with("anna.berg", &temporary).await;
    assert_eq!(a.location(), Some(&*format!("{PREFIX}/set-password")));
    let a = again.post_form(&format!("{PREFIX}/set-password"), &[("new_password", "Another-Password-3")]).await;
    assert_eq!(a.location(), Some("/orders"), "{a:?}");
    assert_eq!(again.get("/orders").await.status, StatusCode::OK);
    w.service.set_login_enabled(&w.admin, w.contact.id, false).await.unwrap();
    assert_eq!(again.get("/").await.body, "hello stranger");
    // "Log out everywhere" from the library ends it as well.
    w.service.set_login_enabled(&w.admin, w.contact.id, true).await.unwrap();
    let mut last = w.client();
    assert_eq!(last.log_in("anna.berg", "Another-Password-3").await.location(), Some("/orders"));
    w.service.log_out_everywhere(w.contact.id).await.unwrap();
    assert_eq!(last.get("/orders").await.location(), Some(&*format!("{PREFIX}/login?n=session-ended")));
}

async fn the_session_id_changes_at_login_and_the_old_one_is_worth_nothing(w: World) {
    let mut browser = w.client();
    browser.get(&format!("{PREFIX}/login")).await;
    let before = browser.cookie.clone().expect("the login page starts a session (for its CSRF token)");
    // An attacker who planted or saw this id keeps a copy of it.
    let mut attacker = w.client();
    attacker.cookie = Some(before.clone());
    let token = browser.csrf().await;
    let a = browser
        .post_form_with(&format!("{PREFIX}/login"), Some(&token), &[("username", "anna.berg"), ("password", PASSWORD)])
        .await;
    assert_eq!(a.location(), Some("/orders"));
    let after = browser.cookie.clone().unwrap();
    assert_ne!(before, after, "the session cookie changes at login");
    assert_eq!(attacker.get("/orders").await.location(), Some(&*format!("{PREFIX}/login")), "the old id is nobody");
    // The old page's token does not vouch for the new session.
    let a = browser.post_form_with("/orders", Some(&token), &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A forced change rotates too, at the ticket and again at the new password.
    let temporary = w.staff_reset(true).await;
    let mut c = w.client();
    c.get(&format!("{PREFIX}/login")).await;
    let anonymous = c.cookie.clone().unwrap();
    c.log_in_with("anna.berg", &temporary).await;
    let with_ticket = c.cookie.clone().unwrap();
    assert_ne!(anonymous, with_ticket);
    c.post_form(&format!("{PREFIX}/set-password"), &[("new_password", "Another-Password-3")]).await;
    let logged_in = c.cookie.clone().unwrap();
    assert!(logged_in != with_ticket && logged_in != anonymous);
    let mut planted = w.client();
    planted.cookie = Some(with_ticket);
    assert_eq!(planted.get(&format!("{PREFIX}/set-password")).await.location(), Some(&*format!("{PREFIX}/login")));
}

async fn forms_without_their_token_are_refused_and_change_nothing(w: World) {
    let mut browser = w.logged_in().await;
    let other_token = w.client().csrf().await;
    for token in [None, Some(""), Some("0000"), Some(other_token.as_str())] {
        let a = browser
            .post_form_with(
                &format!("{PREFIX}/change-password"),
                token,
                &[("current_password", PASSWORD), ("new_password", "Forged-Password-9")],
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "token {token:?}");
        assert!(a.body.contains("This form has expired"), "{}", a.body);
        // The application's own form is protected alike.
        assert_eq!(browser.post_form_with("/orders", token, &[]).await.status, StatusCode::FORBIDDEN);
        // Logging out, too (a forged logout is a nuisance).
        assert_eq!(browser.post_form_with(&format!("{PREFIX}/logout"), token, &[]).await.status, StatusCode::FORBIDDEN);
    }
    // Nothing changed: the password is the old one, the session still logged in.
    assert_eq!(browser.get("/orders").await.status, StatusCode::OK);
    assert_eq!(w.client().log_in("anna.berg", PASSWORD).await.location(), Some("/orders"));
    // The application's form, with the token from the extractor, goes through.
    let page = browser.get("/orders/new").await.body;
    let token = page.split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let a = browser.post_form_with("/orders", Some(&token), &[]).await;
    assert_eq!(a.body, format!("ordered for contact {}", w.contact.id));
    // A login form posted without a token logs nobody in.
    let mut stranger = w.client();
    let a = stranger
        .post_form_with(&format!("{PREFIX}/login"), None, &[("username", "anna.berg"), ("password", PASSWORD)])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(stranger.cookie.is_none());
}

async fn a_pending_change_cannot_be_skipped(w: World) {
    let temporary = w.staff_reset(true).await;
    let mut c = w.client();
    let a = c.log_in_with("anna.berg", &temporary).await;
    assert_eq!(a.location(), Some(&*format!("{PREFIX}/set-password")));
    let fence = format!("{PREFIX}/set-password");
    for path in [
        "/",
        "/orders",
        "/orders/new",
        &format!("{PREFIX}/change-password"),
        &format!("{PREFIX}/login"),
        &format!("{PREFIX}/forgot"),
    ] {
        assert_eq!(c.get(path).await.location(), Some(&*fence), "GET {path}");
    }
    assert_eq!(c.post_form("/orders", &[]).await.location(), Some(&*fence));
    let a = c.get_json("/orders").await;
    assert_eq!((a.status, a.json()["error"].as_str()), (StatusCode::FORBIDDEN, Some("password_change_required")));
    // The page itself: the rules, the hidden username for password managers, no ticket.
    let page = c.get(&fence).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"value="anna.berg" autocomplete="username""#), "{}", page.body);
    assert!(page.body.contains(r#"autocomplete="new-password""#));
    assert!(!page.body.contains(temporary.expose_secret()));
    // A weak password is refused with every reason, and the fence holds.
    let a = c.post_form(&fence, &[("new_password", "short")]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("at least 8 characters") && a.body.contains("digit"), "{}", a.body);
    assert_eq!(c.get("/orders").await.location(), Some(&*fence));
    // Logging out leaves the fence.
    c.post_form(&format!("{PREFIX}/logout"), &[]).await;
    assert_eq!(c.get("/").await.body, "hello stranger");
}

async fn the_json_endpoints_follow_the_same_rules(w: World) {
    let mut app = w.client();
    let a = app.get_json(&format!("{PREFIX}/api/session")).await;
    assert_eq!(a.json()["state"], "anonymous");
    let login = format!("{PREFIX}/api/login");
    let a = app.post_json(&login, json!({"username": "anna.berg", "password": "wrong-password-1"})).await;
    assert_eq!((a.status, a.json()["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_credentials")));
    let before = app.cookie.clone();
    let a = app.post_json(&login, json!({"username": "anna.berg", "password": PASSWORD})).await;
    assert_eq!(a.json()["status"], "logged_in");
    assert_ne!(app.cookie, before);
    assert_eq!(app.get_json(&format!("{PREFIX}/api/session")).await.json()["contact"], json!(w.contact.id.get()));
    // Without the header the same call is refused.
    let request = axum::http::Request::post(&login)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(axum::body::Body::from(json!({"username": "anna.berg", "password": PASSWORD}).to_string()))
        .unwrap();
    let a = app.send(request).await;
    assert_eq!((a.status, a.json()["error"].clone()), (StatusCode::FORBIDDEN, json!("csrf")));
    // Change, then the forced change, over JSON.
    let a = app
        .post_json(
            &format!("{PREFIX}/api/change-password"),
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.json()["problems"].as_array().is_some_and(|p| !p.is_empty()));
    let temporary = w.staff_reset(true).await;
    assert_eq!(app.get_json("/orders").await.status, StatusCode::UNAUTHORIZED, "revoked: logged out");
    let a = app.post_json(&login, json!({"username": "anna.berg", "password": temporary.expose_secret()})).await;
    assert_eq!(a.json()["status"], "password_change_required");
    assert_eq!(app.get_json(&format!("{PREFIX}/api/session")).await.json()["state"], "password_change_required");
    let a = app.post_json(&format!("{PREFIX}/api/set-password"), json!({"new_password": "Json-Password-4"})).await;
    assert_eq!(a.json()["status"], "logged_in", "{a:?}");
    assert_eq!(app.get_json("/orders").await.status, StatusCode::OK);
    // Forgot: one answer whatever the username.
    let known = app.post_json(&format!("{PREFIX}/api/forgot"), json!({"username": "anna.berg"})).await;
    let unknown = app.post_json(&format!("{PREFIX}/api/forgot"), json!({"username": "nobody.here"})).await;
    assert_eq!((known.status, known.body.clone()), (unknown.status, unknown.body));
}

async fn a_lockout_reads_like_a_wrong_password_plus_the_wait(w: World) {
    let mut c = w.client();
    let first = c.log_in("anna.berg", "wrong-password-1").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("The username or password is wrong."));
    assert!(first.body.contains(r#"value="anna.berg""#), "the username is kept");
    let mut locked = None;
    for _ in 0..20 {
        let a = c.log_in("anna.berg", "wrong-password-1").await;
        if a.body.contains("Too many attempts") {
            locked = Some(a);
            break;
        }
    }
    let locked = locked.expect("the back-off locks after repeated failures");
    assert_eq!(locked.status, first.status);
    assert!(locked.body.contains("The username or password is wrong. Too many attempts: try again in"));
    // An unknown username locks alike (a lockout says nothing about existence).
    let a = c.log_in("nobody.here", "wrong-password-1").await;
    assert!(a.body.contains("The username or password is wrong."));
    // JSON: 429 with Retry-After.
    let a = c.post_json(&format!("{PREFIX}/api/login"), json!({"username": "anna.berg", "password": PASSWORD})).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.contains_key("retry-after"));
}

async fn sessions_rest_sealed(w: World) {
    let mut d = w.logged_in().await;
    let temporary = w.staff_reset(false).await;
    let mut c = w.client();
    c.log_in_with("anna.berg", &temporary).await;
    let id = c.cookie.clone().unwrap();
    let stored = w.backend.bytes().await;
    assert!(!stored.is_empty());
    let text = String::from_utf8_lossy(&stored);
    for secret in [id.as_str(), d.cookie.as_deref().unwrap(), "anna.berg", "ticket", "customer_access", "csrf"] {
        assert!(!text.contains(secret), "{secret:?} is readable in the session table");
    }
    // The pending ticket's text is not there either (the ticket is `<contact>.<base64>`).
    assert!(!text.contains(&format!("{}.", w.contact.id)));
    assert_eq!(d.get("/orders").await.status, StatusCode::OK, "and the sessions still work");
}

async fn bodies_are_bounded_and_headers_set(w: World) {
    let mut c = w.logged_in().await;
    let big = "x".repeat(support::BODY_LIMIT + 1);
    let a = c.post_form("/orders", &[("note", &big)]).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    let page = c.get(&format!("{PREFIX}/change-password")).await;
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(page.headers.get(name).and_then(|v| v.to_str().ok()), Some(value), "{name}");
    }
    let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    // The application's pages get the general headers too.
    assert_eq!(c.get("/orders").await.headers.get("x-frame-options").unwrap(), "DENY");
}

async fn logging_out_deletes_the_session(w: World) {
    let mut c = w.logged_in().await;
    let id = c.cookie.clone().unwrap();
    assert_eq!(w.session_rows().await, 1);
    let a = c.post_form(&format!("{PREFIX}/logout"), &[]).await;
    assert_eq!(a.location(), Some(&*format!("{PREFIX}/login?n=logged-out")));
    assert!(c.cookie.is_none(), "the cookie is removed");
    assert_eq!(w.session_rows().await, 0);
    let mut replay = w.client();
    replay.cookie = Some(id);
    assert_eq!(replay.get("/orders").await.location(), Some(&*format!("{PREFIX}/login")));
}

/// A burst larger than the hashing pool and its queue: the logins beyond it are answered at
/// once with `503` and `Retry-After`, the form kept, nothing charged; the rest log in.
async fn a_burst_past_the_hashing_queue_is_answered_busy(db: Db) {
    let mut policy = support::policy();
    policy.argon2 = customer_access::policy::Argon2Settings::default();
    policy.max_concurrent_hashes = 1;
    policy.hash_queue_depth = 1;
    let Some(w) = support::world_with(db, policy, |b| b.retry_after(std::time::Duration::from_secs(3))).await else {
        return;
    };
    let mut clients = Vec::new();
    for _ in 0..12 {
        let mut c = w.client();
        let token = c.csrf().await;
        clients.push((c, token));
    }
    let attempts = clients.into_iter().map(|(mut c, token)| {
        tokio::spawn(async move {
            c.post_form_with(
                &format!("{PREFIX}/login"),
                Some(&token),
                &[("username", "anna.berg"), ("password", PASSWORD)],
            )
            .await
        })
    });
    let mut busy = 0;
    let mut in_ = 0;
    for answer in futures_join(attempts).await {
        match answer.status {
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(answer.headers.get("retry-after").unwrap(), "3");
                assert!(answer.body.contains("We are busy right now"), "{}", answer.body);
                assert!(answer.body.contains(r#"value="anna.berg""#), "the form is kept");
            }
            StatusCode::SEE_OTHER => {
                assert_eq!(answer.location(), Some("/orders"));
                in_ += 1;
            }
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    assert!(busy > 0 && in_ > 0, "{busy} busy, {in_} logged in");
    // Busy answers charged nothing: the owner is not locked out.
    assert_eq!(w.client().log_in("anna.berg", PASSWORD).await.location(), Some("/orders"));
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_past_the_hashing_queue_is_answered_busy_on_sqlite() {
    a_burst_past_the_hashing_queue_is_answered_busy(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_past_the_hashing_queue_is_answered_busy_on_postgres() {
    a_burst_past_the_hashing_queue_is_answered_busy(Db::Postgres).await;
}

async fn a_known_browser_is_not_locked_out_by_a_stranger(w: World) {
    let mut owner = w.logged_in().await;
    assert!(owner.device.is_some(), "a login keeps a device token in the browser");
    owner.post_form(&format!("{PREFIX}/logout"), &[]).await;
    // A stranger hammers the username until it is locked.
    let mut stranger = w.client();
    let mut locked = false;
    for _ in 0..30 {
        if stranger.log_in("anna.berg", "guess-password-1").await.body.contains("Too many attempts") {
            locked = true;
            break;
        }
    }
    assert!(locked, "the stranger's guesses lock the username");
    // The owner's browser, presenting its device token, still logs in.
    assert_eq!(owner.log_in("anna.berg", PASSWORD).await.location(), Some("/orders"));
    // Another browser without the token is locked like the stranger.
    assert!(w.client().log_in("anna.berg", PASSWORD).await.body.contains("Too many attempts"));
}
