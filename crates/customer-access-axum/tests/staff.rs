//! The staff router behind an application's staff guard, on both databases: who may do
//! what, what a response shows (never a password), and that the layer's CSRF check covers
//! it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod support;

use axum::http::{StatusCode, header};
use customer_access::Store;
use customer_access::secrecy::ExposeSecret;
use serde_json::json;
use support::staff::{call, staff_app};
use support::{Client, Db};

async fn staff_actions(db: Db) {
    let Some(w) = support::world(db).await else { return };
    let mut c = Client::on(staff_app(&w, "/staff"));
    let contact = w.contact.id.get();
    let retailer = w.contact.retailer.get();

    let list = call(&mut c, "admin", "GET", "/staff/retailers", None).await;
    assert_eq!(list.json(), json!([{ "id": retailer, "name": "Corner Shop" }]));
    let page = call(&mut c, "admin", "GET", &format!("/staff/retailers/{retailer}/contacts?q=anna"), None).await;
    let first = &page.json()["contacts"][0];
    assert_eq!((first["username"].as_str(), first["email"].as_str()), (Some("anna.berg"), Some("anna@shop.example")));
    assert_eq!(first.as_object().unwrap().len(), 6, "no credential state: {first}");

    let reset = call(&mut c, "admin", "POST", &format!("/staff/contacts/{contact}/reset"), Some(json!({}))).await;
    assert_eq!(reset.status, StatusCode::OK, "{reset:?}");
    let temporary = w.service.mailer().last_temporary_password().unwrap();
    assert!(!reset.body.contains(temporary.expose_secret()), "staff never see the password");
    assert!(reset.json()["expires_at"].is_string());

    // An iPad user not assigned to the retailer is refused, alike for a missing contact.
    let foreign = call(&mut c, "ipad", "POST", &format!("/staff/contacts/{contact}/unlock"), None).await;
    assert_eq!((foreign.status, foreign.json()["error"].clone()), (StatusCode::FORBIDDEN, json!("forbidden")));
    let listing = call(&mut c, "ipad", "GET", &format!("/staff/retailers/{retailer}/contacts"), None).await;
    assert_eq!(listing.status, StatusCode::FORBIDDEN);
    // Without a staff member: 401; without the CSRF token: the layer refuses first.
    let anonymous = call(&mut c, "nobody", "POST", &format!("/staff/contacts/{contact}/unlock"), None).await;
    assert_eq!(
        (anonymous.status, anonymous.json()["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("staff_required"))
    );
    let forged = axum::http::Request::post(format!("/staff/contacts/{contact}/login"))
        .header("x-test-staff", "admin")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .body(axum::body::Body::from(json!({ "enabled": false }).to_string()))
        .unwrap();
    assert_eq!(c.send(forged).await.status, StatusCode::FORBIDDEN);
    let stored = w.service.store().contact(w.contact.id).await.unwrap();
    assert!(stored.contact.login_enabled, "the forged request changed nothing");

    // Bad input is named; a taken username is a conflict; disabling ends the contact's sessions.
    let bad = call(
        &mut c,
        "admin",
        "POST",
        &format!("/staff/contacts/{contact}/email"),
        Some(json!({ "email": "not an address" })),
    )
    .await;
    assert_eq!((bad.status, bad.json()["error"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_input")));
    let mut browser = w.logged_in().await;
    let off =
        call(&mut c, "admin", "POST", &format!("/staff/contacts/{contact}/login"), Some(json!({ "enabled": false })))
            .await;
    assert_eq!(off.json()["login_enabled"], json!(false));
    assert_eq!(browser.get("/").await.body, "hello stranger", "disabling ended the contact's session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_actions_on_sqlite() {
    staff_actions(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_actions_on_postgres() {
    staff_actions(Db::Postgres).await;
}
