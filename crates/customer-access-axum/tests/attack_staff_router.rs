//! Attacks on the staff router (`customer_access_axum::staff`), mounted as documented: nested
//! behind the application's staff guard, inside `CustomerAccess::install`. Each test asserts
//! the secure behaviour, on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod support;

use axum::http::{StatusCode, header};
use customer_access::{AuditKind, NewContact, StaffId, Store};
use serde_json::json;
use support::staff::{call, ipad_user, raw, staff_app};
use support::{Answer, Client, Db, PASSWORD, PREFIX, World};

/// A typed refusal: a 4xx status and `{"error": "..."}`.
fn assert_typed_refusal(a: &Answer, what: &str) {
    assert!(a.status.is_client_error(), "{what}: expected a 4xx, got {a:?}");
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(&a.body);
    assert!(
        parsed.as_ref().is_ok_and(|v| v["error"].is_string()),
        "{what}: a refusal must be {{\"error\": ...}} as the staff router documents, got {} {:?}",
        a.status,
        a.body
    );
}

/// As [`assert_typed_refusal`], but the problem as text (to report every case at once).
fn typed_refusal_problem(a: &Answer, what: &str) -> Option<String> {
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(&a.body);
    if a.status.is_client_error() && parsed.as_ref().is_ok_and(|v| v["error"].is_string()) {
        None
    } else {
        Some(format!("{what}: {} {:?}", a.status, a.body))
    }
}

/// Everything that shows a change happened: the contact, the mails sent, its audit trail.
async fn snapshot(w: &World) -> (String, usize, usize) {
    let stored = w.service.store().contact(w.contact.id).await.unwrap();
    let audit = w.service.audit_log(&w.admin, w.contact.id).await.unwrap().len();
    (format!("{:?}", stored.contact), w.service.mailer().messages().len(), audit)
}

/// A second retailer, assigned to the iPad user, with its own contact: (retailer id, contact id).
async fn own_retailer_for_ipad(w: &World) -> (i64, i64) {
    let shop = w.service.create_retailer(&w.admin, "Harbour Deli").await.unwrap();
    w.service.store().assign_retailer(StaffId::new(9), shop.id).await.unwrap();
    let new = NewContact {
        retailer: shop.id,
        username: "carla.mendes".into(),
        email: "carla@deli.example".into(),
        display_name: "Carla Mendes".into(),
        preferences: Default::default(),
    };
    let c = w.service.invite(&w.admin, &new).await.unwrap();
    (shop.id.get(), c.id.get())
}

macro_rules! both {
    ($name:ident, $sqlite:ident, $pg:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $name(Db::Sqlite).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $pg() {
            $name(Db::Postgres).await;
        }
    };
}

// ---------------------------------------------------------------------------------------
// The reset's optional body: a malformed body must not be read as "no body".

async fn reset_with_malformed_body_is_refused_and_changes_nothing(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let path = format!("/staff/api/contacts/{}/reset", w.contact.id.get());
    let mut problems = Vec::new();
    for (ct, body) in [
        (Some("application/json"), r#"{"revoke_current_password": "yes"}"#),
        (Some("application/json"), r#"{"revoke_current_password": 1}"#),
        (Some("application/json"), r#"{"revoke_current_password": tru"#),
        (Some("application/json"), r#"[true]"#),
    ] {
        let before = snapshot(&w).await;
        let a = raw(&mut c, "admin", "POST", &path, ct, body).await;
        if a.status.is_success() || snapshot(&w).await != before {
            problems.push(format!("reset with body {body}: done anyway ({} {})", a.status, a.body));
        }
        problems.extend(typed_refusal_problem(&a, &format!("reset with body {body}")));
    }
    assert!(problems.is_empty(), "refusals not typed as documented:\n{}", problems.join("\n"));
}
both!(
    reset_with_malformed_body_is_refused_and_changes_nothing,
    reset_malformed_body_refused_on_sqlite,
    reset_malformed_body_refused_on_postgres
);

async fn reset_with_unknown_field_is_refused(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let path = format!("/staff/api/contacts/{}/reset", w.contact.id.get());
    let before = snapshot(&w).await;
    // A typo of the revocation flag: the staff member asked to revoke the current password.
    let a = call(&mut c, "admin", "POST", &path, Some(json!({ "revoke_current_pasword": true }))).await;
    assert_typed_refusal(&a, "reset with a misspelt revoke flag");
    assert_eq!(snapshot(&w).await, before, "nothing changed");
}
both!(
    reset_with_unknown_field_is_refused,
    reset_unknown_field_refused_on_sqlite,
    reset_unknown_field_refused_on_postgres
);

async fn reset_revocation_without_content_type_is_not_silently_dropped(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let path = format!("/staff/api/contacts/{}/reset", w.contact.id.get());
    let before = snapshot(&w).await;
    // The iPad client forgot the Content-Type header: the body asks to revoke.
    let a = raw(&mut c, "admin", "POST", &path, None, &json!({ "revoke_current_password": true }).to_string()).await;
    if a.status.is_success() {
        // Done: then the revocation asked for must have been done too.
        let mut browser = w.client();
        let login = browser.log_in("anna.berg", PASSWORD).await;
        assert_ne!(
            login.location(),
            Some("/orders"),
            "the reset answered {} but the old password still logs in: revoke_current_password was ignored",
            a.status
        );
    } else {
        assert_typed_refusal(&a, "reset without Content-Type");
        assert_eq!(snapshot(&w).await, before);
    }
    let _ = PREFIX;
}
both!(
    reset_revocation_without_content_type_is_not_silently_dropped,
    reset_without_content_type_on_sqlite,
    reset_without_content_type_on_postgres
);

// ---------------------------------------------------------------------------------------
// Path ids, query parameters and JSON bodies: typed refusals, nothing done, never 500.

async fn bad_path_ids_are_typed_refusals(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let mut problems = Vec::new();
    for id in ["abc", "99999999999999999999", "1.5", "%00", "-"] {
        let before = snapshot(&w).await;
        for (method, path, body) in [
            ("GET", format!("/staff/api/retailers/{id}/contacts"), None),
            ("POST", format!("/staff/api/contacts/{id}/unlock"), None),
            ("POST", format!("/staff/api/contacts/{id}/reset"), Some(json!({}))),
            ("POST", format!("/staff/api/contacts/{id}/login"), Some(json!({ "enabled": false }))),
        ] {
            let a = call(&mut c, "admin", method, &path, body).await;
            assert!(a.status.is_client_error(), "{method} {path}: {a:?}");
            problems.extend(typed_refusal_problem(&a, &format!("{method} {path}")));
        }
        assert_eq!(snapshot(&w).await, before);
    }
    assert!(problems.is_empty(), "refusals not typed as documented:\n{}", problems.join("\n"));
}
both!(bad_path_ids_are_typed_refusals, bad_path_ids_on_sqlite, bad_path_ids_on_postgres);

async fn bad_query_parameters_are_typed_refusals(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let r = w.contact.retailer.get();
    let huge = "a".repeat(20_000);
    let mut problems = Vec::new();
    for query in [
        "limit=0".to_owned(),
        "limit=100000".to_owned(),
        "limit=4294967295".to_owned(),
        "after=-1".to_owned(),
        format!("q={huge}"),
        // Not even of the right type: still a typed refusal.
        "limit=-1".to_owned(),
        "limit=99999999999".to_owned(),
        "limit=ten".to_owned(),
        "after=x".to_owned(),
        "after=99999999999999999999".to_owned(),
    ] {
        let a = call(&mut c, "admin", "GET", &format!("/staff/api/retailers/{r}/contacts?{query}"), None).await;
        assert!(a.status.is_client_error(), "{a:?}");
        problems.extend(typed_refusal_problem(&a, &format!("query {}", &query[..query.len().min(40)])));
    }
    assert!(problems.is_empty(), "refusals not typed as documented:\n{}", problems.join("\n"));
}
both!(bad_query_parameters_are_typed_refusals, bad_query_on_sqlite, bad_query_on_postgres);

async fn bad_json_bodies_are_typed_refusals_and_change_nothing(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let id = w.contact.id.get();
    let (mut problems, mut changed) = (Vec::new(), Vec::new());
    let cases: Vec<(&str, Option<&str>, String)> = vec![
        ("login", Some("application/json"), "{}".into()),
        ("login", Some("application/json"), r#"{"enabled": "false"}"#.into()),
        ("login", Some("application/json"), r#"{"enabled": 0}"#.into()),
        ("login", Some("application/json"), r#"{"enabled": false, "contact": 2}"#.into()),
        ("login", None, r#"{"enabled": false}"#.into()),
        ("login", Some("text/plain"), r#"{"enabled": false}"#.into()),
        ("login", Some("application/json"), "not json".into()),
        ("email", Some("application/json"), "{}".into()),
        ("email", Some("application/json"), r#"{"email": 5}"#.into()),
        ("email", Some("application/json"), r#"{"email": "x@shop.example", "retailer": 2}"#.into()),
        ("username", Some("application/json"), "{}".into()),
        ("username", Some("application/json"), r#"{"username": null}"#.into()),
        ("username", Some("application/json"), r#"{"username": "bo", "username": "cleo"}"#.into()),
    ];
    for (action, ct, body) in cases {
        let before = snapshot(&w).await;
        let a = raw(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/{action}"), ct, &body).await;
        if snapshot(&w).await != before {
            changed.push(format!("{action} {ct:?} {body}: {} {}", a.status, a.body));
        }
        problems.extend(typed_refusal_problem(&a, &format!("{action} {ct:?} {body}")));
    }
    assert!(
        changed.is_empty() && problems.is_empty(),
        "bodies that should be refused changed the contact:\n{}\n\nrefusals not typed as documented:\n{}",
        changed.join("\n"),
        problems.join("\n")
    );
}
both!(bad_json_bodies_are_typed_refusals_and_change_nothing, bad_json_on_sqlite, bad_json_on_postgres);

async fn huge_bodies_are_refused_before_any_work(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let id = w.contact.id.get();
    let before = snapshot(&w).await;
    let big = format!(r#"{{"email": "{}@shop.example"}}"#, "a".repeat(support::BODY_LIMIT + 10));
    let a =
        raw(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/email"), Some("application/json"), &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.status);
    assert_typed_refusal(&a, "huge body");
    let big = format!(r#"{{"revoke_current_password": true, "pad": "{}"}}"#, "a".repeat(support::BODY_LIMIT + 10));
    let a =
        raw(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/reset"), Some("application/json"), &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A long but in-limit e-mail: the library's input check, never 500.
    let long = format!(r#"{{"email": "{}@shop.example"}}"#, "a".repeat(support::BODY_LIMIT / 2));
    let a =
        raw(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/email"), Some("application/json"), &long).await;
    assert_eq!((a.status, a.json()["error"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_input")));
    let long = format!(r#"{{"username": "{}"}}"#, "a".repeat(support::BODY_LIMIT / 2));
    let a =
        raw(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/username"), Some("application/json"), &long)
            .await;
    assert_eq!((a.status, a.json()["error"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_input")));
    assert_eq!(snapshot(&w).await, before);
}
both!(huge_bodies_are_refused_before_any_work, huge_bodies_on_sqlite, huge_bodies_on_postgres);

// ---------------------------------------------------------------------------------------
// Enumeration across retailers: an iPad user sees the same for a foreign and a missing id.

async fn ipad_sees_foreign_and_missing_alike(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let (own_retailer, own_contact) = own_retailer_for_ipad(&w).await;
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let foreign = w.contact.id.get();
    let missing = 987_654;
    let bodies: [(&str, Option<serde_json::Value>); 5] = [
        ("unlock", None),
        ("reset", Some(json!({}))),
        ("login", Some(json!({ "enabled": false }))),
        ("email", Some(json!({ "email": "new@shop.example" }))),
        ("username", Some(json!({ "username": "new.name" }))),
    ];
    for (action, body) in bodies.clone() {
        let before = snapshot(&w).await;
        let a = call(&mut c, "ipad", "POST", &format!("/staff/api/contacts/{foreign}/{action}"), body.clone()).await;
        let b = call(&mut c, "ipad", "POST", &format!("/staff/api/contacts/{missing}/{action}"), body.clone()).await;
        assert_eq!((a.status, &a.body), (b.status, &b.body), "{action}: foreign vs missing contact");
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{action}");
        let (contact, _, audit) = snapshot(&w).await;
        assert_eq!(contact, before.0, "{action} changed the foreign contact");
        assert_eq!(audit, before.2 + 1, "{action}: the refusal is audited on the contact");
    }
    // Foreign vs missing retailer, with and without search and paging.
    for q in ["", "?q=anna", "?q=zzz", "?after=0&limit=1"] {
        let a = call(
            &mut c,
            "ipad",
            "GET",
            &format!("/staff/api/retailers/{}/contacts{q}", w.contact.retailer.get()),
            None,
        )
        .await;
        let b = call(&mut c, "ipad", "GET", &format!("/staff/api/retailers/{missing}/contacts{q}"), None).await;
        assert_eq!((a.status, &a.body), (b.status, &b.body), "listing{q}: foreign vs missing retailer");
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
    // Its own retailer and contact work, and the listing shows only them.
    let list = call(&mut c, "ipad", "GET", "/staff/api/retailers", None).await;
    assert_eq!(list.json(), json!([{ "id": own_retailer, "name": "Harbour Deli" }]));
    let page = call(&mut c, "ipad", "GET", &format!("/staff/api/retailers/{own_retailer}/contacts"), None).await;
    assert_eq!(page.json()["contacts"][0]["id"], json!(own_contact));
    // A contact id of the own retailer put in a foreign retailer's listing: no cross-over.
    let page =
        call(&mut c, "ipad", "GET", &format!("/staff/api/retailers/{own_retailer}/contacts?after=0&q=anna"), None)
            .await;
    assert_eq!(page.json()["contacts"], json!([]));
}
both!(ipad_sees_foreign_and_missing_alike, ipad_enumeration_on_sqlite, ipad_enumeration_on_postgres);

// ---------------------------------------------------------------------------------------
// What responses show and how they may be kept.

async fn responses_show_no_secret(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let id = w.contact.id.get();
    let r = w.contact.retailer.get();
    // Failed logins on the username: the lockout state is credential state.
    let mut browser = w.client();
    for _ in 0..3 {
        browser.log_in("anna.berg", "wrong-password-1").await;
    }
    let answers = vec![
        call(&mut c, "admin", "GET", "/staff/api/retailers", None).await,
        call(&mut c, "admin", "GET", &format!("/staff/api/retailers/{r}/contacts"), None).await,
        call(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/reset"), Some(json!({}))).await,
        call(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/unlock"), None).await,
        call(
            &mut c,
            "admin",
            "POST",
            &format!("/staff/api/contacts/{id}/email"),
            Some(json!({ "email": "a2@shop.example" })),
        )
        .await,
        call(
            &mut c,
            "admin",
            "POST",
            &format!("/staff/api/contacts/{id}/username"),
            Some(json!({ "username": "anna.b" })),
        )
        .await,
        call(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/login"), Some(json!({ "enabled": true })))
            .await,
    ];
    let temporary = w.service.mailer().last_temporary_password();
    for a in &answers {
        assert_eq!(a.status, StatusCode::OK, "{a:?}");
        let lower = a.body.to_lowercase();
        for word in ["argon", "$", "hash", "ticket", "temporary", "password\"", "fail", "lock", "version", "revision"] {
            assert!(!lower.contains(word), "{word} in {}", a.body);
        }
        if let Some(t) = &temporary {
            use customer_access::secrecy::ExposeSecret;
            assert!(!a.body.contains(t.expose_secret()));
        }
    }
}
both!(responses_show_no_secret, no_secret_on_sqlite, no_secret_on_postgres);

async fn staff_answers_are_never_cached(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let r = w.contact.retailer.get();
    let id = w.contact.id.get();
    for a in [
        call(&mut c, "admin", "GET", "/staff/api/retailers", None).await,
        call(&mut c, "admin", "GET", &format!("/staff/api/retailers/{r}/contacts"), None).await,
        call(&mut c, "admin", "POST", &format!("/staff/api/contacts/{id}/login"), Some(json!({ "enabled": true })))
            .await,
        call(&mut c, "ipad", "GET", &format!("/staff/api/retailers/{r}/contacts"), None).await,
    ] {
        // Contacts' names, usernames and addresses, answered to staff tools (often a shared
        // iPad or a proxy in between): never kept by a cache, like the crate's own JSON.
        let cache = a.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(cache.contains("no-store"), "staff answer without Cache-Control: no-store ({cache:?}): {}", a.body);
    }
}
both!(staff_answers_are_never_cached, no_cache_on_sqlite, no_cache_on_postgres);

// ---------------------------------------------------------------------------------------
// CSRF: no way around the layer's check.

async fn csrf_cannot_be_bypassed(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let app = staff_app(&w, "/staff/api");
    let mut c = Client::on(app.clone());
    let id = w.contact.id.get();
    let before = snapshot(&w).await;
    // Another session's token.
    let mut other = Client::on(app.clone());
    let foreign_token = other.csrf().await;
    c.csrf().await;
    for (method, action, ct, body) in [
        ("POST", "reset", Some("application/json"), "{}".to_owned()),
        ("POST", "reset", None, String::new()),
        ("POST", "reset", Some("application/x-www-form-urlencoded"), format!("csrf={foreign_token}")),
        ("POST", "unlock", Some("application/x-www-form-urlencoded"), "csrf=".to_owned()),
        ("POST", "login", Some("application/json"), r#"{"enabled": false}"#.to_owned()),
        ("PUT", "login", Some("application/json"), r#"{"enabled": false}"#.to_owned()),
        ("DELETE", "unlock", None, String::new()),
        ("PATCH", "email", Some("application/json"), r#"{"email": "evil@x.example"}"#.to_owned()),
    ] {
        for token in [None, Some(foreign_token.as_str()), Some("")] {
            let mut request = axum::http::Request::builder()
                .method(method)
                .uri(format!("/staff/api/contacts/{id}/{action}"))
                .header(header::ACCEPT, "application/json")
                .header("x-test-staff", "admin");
            if let Some(ct) = ct {
                request = request.header(header::CONTENT_TYPE, ct);
            }
            if let Some(t) = token {
                request = request.header("x-csrf-token", t);
            }
            let a = c.send(request.body(axum::body::Body::from(body.clone())).unwrap()).await;
            assert!(
                a.status == StatusCode::FORBIDDEN || a.status == StatusCode::METHOD_NOT_ALLOWED,
                "{method} {action} token {token:?}: {a:?}"
            );
        }
    }
    // Without any session cookie at all.
    let mut fresh = Client::on(app.clone());
    let request = axum::http::Request::post(format!("/staff/api/contacts/{id}/unlock"))
        .header("x-test-staff", "admin")
        .header("x-csrf-token", "")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(fresh.send(request).await.status, StatusCode::FORBIDDEN);
    // GET/HEAD on action routes do nothing.
    for method in ["GET", "HEAD", "OPTIONS"] {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(format!("/staff/api/contacts/{id}/reset"))
            .header("x-test-staff", "admin")
            .body(axum::body::Body::empty())
            .unwrap();
        let a = c.send(request).await;
        assert!(!a.status.is_success(), "{method}: {a:?}");
    }
    assert_eq!(snapshot(&w).await, before, "nothing changed");
}
both!(csrf_cannot_be_bypassed, csrf_on_sqlite, csrf_on_postgres);

// ---------------------------------------------------------------------------------------
// A contact's own session never reaches the staff router, and staff calls don't touch it.

async fn contact_session_is_not_staff(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let app = staff_app(&w, "/staff/api");
    let id = w.contact.id.get();
    let mut c = Client::on(app.clone());
    let login = c.log_in("anna.berg", PASSWORD).await;
    assert_eq!(login.location(), Some("/orders"));
    let before = snapshot(&w).await;
    let a = call(&mut c, "nobody", "POST", &format!("/staff/api/contacts/{id}/reset"), Some(json!({}))).await;
    assert_eq!((a.status, a.json()["error"].clone()), (StatusCode::UNAUTHORIZED, json!("staff_required")));
    let a = call(&mut c, "nobody", "GET", "/staff/api/retailers", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(snapshot(&w).await, before);
}
both!(contact_session_is_not_staff, contact_not_staff_on_sqlite, contact_not_staff_on_postgres);

/// The audit of an admin's refused action on a missing contact: nothing to audit against,
/// but an iPad user's refused action on their own retailer's disabled contact is typed.
async fn refusals_are_typed_and_audited(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let (_, own_contact) = own_retailer_for_ipad(&w).await;
    let mut c = Client::on(staff_app(&w, "/staff/api"));
    let off = call(
        &mut c,
        "ipad",
        "POST",
        &format!("/staff/api/contacts/{own_contact}/login"),
        Some(json!({ "enabled": false })),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK, "{off:?}");
    let reset =
        call(&mut c, "ipad", "POST", &format!("/staff/api/contacts/{own_contact}/reset"), Some(json!({}))).await;
    assert_eq!((reset.status, reset.json()["error"].clone()), (StatusCode::CONFLICT, json!("login_disabled")));
    let missing = call(&mut c, "admin", "POST", "/staff/api/contacts/987654/unlock", None).await;
    assert_eq!((missing.status, missing.json()["error"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    // The iPad user's refusal on the foreign contact is in that contact's audit trail.
    call(&mut c, "ipad", "POST", &format!("/staff/api/contacts/{}/unlock", w.contact.id.get()), None).await;
    let log = w.service.audit_log(&w.admin, w.contact.id).await.unwrap();
    assert!(
        log.iter().any(|e| e.kind == AuditKind::AccessDenied && e.actor == customer_access::Actor::Staff(ipad_user())),
        "the refusal is audited: {log:?}"
    );
    // An iPad user listing a foreign retailer: audited too.
    let n = log.len();
    let _ = n;
}
both!(refusals_are_typed_and_audited, refusals_on_sqlite, refusals_on_postgres);
