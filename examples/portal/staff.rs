//! The staff side: act as a sales admin or an iPad user, pick a retailer, pick the right
//! contact, reset its password or edit its login. Every call is authorised by the library.
//!
//! In English only, unlike the contacts' pages: staff sign in elsewhere (in a real
//! deployment, the company's own staff tools), and this page only stands in for those.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use customer_access::secrecy::SecretString;
use customer_access::store::TemporaryCredential;
use customer_access::{
    AccessService, Actor, Clock, ContactId, ContactQuery, ContactSearch, DeviceId, LoginOutcome, NewContact,
    RecordingMailer, ResetOptions, RetailerId, SecurityPolicy, ServiceError, Staff, StaffId, Store, SystemClock,
};
use customer_access_axum::CsrfToken;
use customer_access_axum::tower_sessions::Session;
use customer_access_sqlite::SqliteStore;
use serde::Deserialize;

use crate::home::{set_flash, take_flash};
use crate::{App, Shared, html};

/// The session key of whom the staff pages act as (the demo shortcut for a staff sign-in).
const STAFF: &str = "portal_staff";

/// Whom this session acts as, if anyone.
async fn acting_as(session: &Session) -> Option<Staff> {
    let who: String = session.get(STAFF).await.ok().flatten()?;
    Some(staff_for(&who))
}

/// The demo staff member `who` names: `ipad` for the iPad user, anything else the admin.
fn staff_for(who: &str) -> Staff {
    match (who, DeviceId::parse("ipad-demo")) {
        ("ipad", Ok(device_id)) => Staff::IpadUser { staff_id: StaffId::new(2), device_id },
        _ => Staff::SalesAdmin { staff_id: StaffId::new(1) },
    }
}

/// The staff pages' language (see the module comment).
const STAFF_LANG: &str = "en";

pub(crate) fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new()
        .route("/staff", get(staff_home))
        .route("/staff/act-as", post(act_as))
        .route("/staff/retailer", get(retailer))
        .route("/staff/contact", post(contact_action))
}

/// Demo data on first start: two retailers, four contacts, an iPad user for one retailer.
/// Anna's password is `Anna-Start-2026`; Dora's invitation expired yesterday, and its
/// temporary password, `Dora-Expired-2026`, shows the "expired, send a new one" answer; the
/// others have only their (unsent) invitation.
pub(crate) async fn seed_demo_data(store: &SqliteStore) -> Result<(), Box<dyn std::error::Error>> {
    if !store.retailers().await?.is_empty() {
        return Ok(());
    }
    let mailer = RecordingMailer::new();
    let seeding = AccessService::new(store.clone(), mailer.clone(), SystemClock, SecurityPolicy::default())?;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let corner = seeding.create_retailer(&admin, "Corner Shop").await?;
    let deli = seeding.create_retailer(&admin, "Harbour Deli").await?;
    for (retailer, username, name) in [
        (corner.id, "anna.berg", "Anna Berg"),
        (corner.id, "ben.okafor", "Ben Okafor"),
        (deli.id, "carla.mendes", "Carla Mendes"),
        (deli.id, "dora.expired", "Dora Expired"),
    ] {
        let new = NewContact {
            retailer,
            username: username.into(),
            email: format!("{username}@example.com"),
            display_name: name.into(),
            preferences: Default::default(),
        };
        let contact = seeding.invite(&admin, &new).await?;
        if username == "dora.expired" {
            expire_invitation(&seeding, contact.id, &admin).await?;
        }
        if username == "anna.berg" {
            let temp = mailer.last_temporary_password().ok_or("no invitation")?;
            if let LoginOutcome::PasswordChangeRequired { ticket } = seeding.login(username, &temp).await? {
                let ticket = SecretString::from(ticket.expose_secret().to_owned());
                seeding.set_new_password(&ticket, &SecretString::from("Anna-Start-2026".to_owned())).await?;
            }
        }
    }
    store.assign_retailer(StaffId::new(2), corner.id).await?;
    Ok(())
}

/// Replace a contact's invitation with one that expired yesterday, whose temporary password
/// is `Dora-Expired-2026` (demo data: a real one is random and only e-mailed).
async fn expire_invitation(
    seeding: &AccessService<SqliteStore, RecordingMailer, SystemClock>,
    contact: ContactId,
    admin: &Staff,
) -> Result<(), Box<dyn std::error::Error>> {
    let record = seeding.store().contact(contact).await?;
    let now = seeding.clock().now();
    let day = std::time::Duration::from_secs(86_400);
    let mut next = record.clone();
    next.credentials.temporary = Some(TemporaryCredential {
        hash: seeding.hash_pool().hash(b"Dora-Expired-2026").await?,
        issued_at: now.minus(3 * day),
        expires_at: now.minus(day),
        issued_by: Actor::Staff(admin.clone()),
    });
    next.credentials.revision = record.credentials.revision.next();
    seeding.store().save(record.credentials.revision, &next, &[]).await?;
    Ok(())
}

fn staff_name(staff: &Staff) -> String {
    match staff {
        Staff::SalesAdmin { staff_id } => format!("sales admin #{staff_id}"),
        Staff::IpadUser { staff_id, device_id } => format!("iPad user #{staff_id} on {device_id}"),
        _ => "staff".into(),
    }
}

async fn staff_home(State(app): Shared, token: CsrfToken, session: Session) -> Response {
    let (staff, flash) = (acting_as(&session).await, take_flash(&session).await);
    let mut body = format!(
        r#"<form method="post" action="/staff/act-as">{}<label>Act as (demo shortcut for staff sign-in)
<select name="who" id="who"><option value="admin">Sales admin #1</option><option value="ipad">iPad user #2 (Corner Shop only)</option></select></label>
<button id="act-as">Continue</button></form>"#,
        html::csrf(token.as_str())
    );
    if let Some(staff) = staff {
        body.push_str(&format!("<h2>Retailers {} may manage</h2><ul>", html::escape(&staff_name(&staff))));
        for r in app.service.manageable_retailers(&staff).await.unwrap_or_default() {
            body.push_str(&format!(
                r#"<li><a href="/staff/retailer?id={id}" id="retailer-{id}">{name}</a></li>"#,
                id = r.id,
                name = html::escape(&r.name)
            ));
        }
        body.push_str("</ul>");
    }
    Html(html::page(STAFF_LANG, "Staff", flash.as_deref(), &body)).into_response()
}

/// The act-as form (its CSRF token is checked by the web layer).
#[derive(Deserialize)]
struct ActAs {
    who: String,
}

async fn act_as(session: Session, Form(form): Form<ActAs>) -> Response {
    let who = if form.who == "ipad" { "ipad" } else { "admin" };
    // A gain of privilege, like a login: a new session id, so an id planted in the browser
    // beforehand does not become a staff session.
    if let Err(e) = session.cycle_id().await {
        eprintln!("acting as staff failed: {e}");
        return Redirect::to("/staff").into_response();
    }
    if let Err(e) = session.insert(STAFF, who).await {
        eprintln!("acting as staff failed: {e}");
    }
    Redirect::to("/staff").into_response()
}

#[derive(Deserialize)]
pub(crate) struct RetailerQuery {
    pub(crate) id: i64,
    /// Search text: name, username or e-mail.
    #[serde(default)]
    pub(crate) q: String,
    /// The page starts after this contact id.
    pub(crate) after: Option<i64>,
}

/// Contacts shown per page of a retailer.
const CONTACTS_PER_PAGE: u32 = 25;

/// The page of contacts `q` asks for: a search when `q.q` holds text.
fn contact_query(q: &RetailerQuery) -> Result<ContactQuery, customer_access::InputError> {
    let query = ContactQuery::new(CONTACTS_PER_PAGE).after(q.after.map(ContactId::new));
    // Blank means no search, but only within the length a search may have: the text is
    // echoed back into the page and the next page's link.
    if q.q.trim().is_empty() && q.q.len() <= customer_access::MAX_SEARCH_LEN {
        Ok(query)
    } else {
        Ok(query.matching(ContactSearch::parse(&q.q)?))
    }
}

pub(crate) async fn retailer(
    State(app): Shared,
    token: CsrfToken,
    session: Session,
    Query(q): Query<RetailerQuery>,
) -> Response {
    let Some(staff) = acting_as(&session).await else { return Redirect::to("/staff").into_response() };
    let flash = take_flash(&session).await;
    let page = match contact_query(&q) {
        Ok(query) => app.service.contacts_page(&staff, RetailerId::new(q.id), &query).await,
        Err(e) => Err(e.into()),
    };
    let (contacts, next) = match page {
        Ok(page) => (page.contacts, page.next),
        Err(e) => {
            let page = html::page(STAFF_LANG, "Contacts", Some(&e.to_string()), r#"<a href="/staff">Back</a>"#);
            return Html(page).into_response();
        }
    };
    let csrf = html::csrf(token.as_str());
    let mut rows = String::new();
    for c in contacts {
        let cid = c.id;
        let action = |name: &str, label: &str, extra: &str| {
            format!(
                r#"<form method="post" action="/staff/contact" style="display:inline">{csrf}<input type="hidden" name="contact" value="{cid}"><input type="hidden" name="retailer" value="{rid}"><input type="hidden" name="action" value="{name}">{extra}<button id="{name}-{cid}">{label}</button></form>"#,
                rid = q.id
            )
        };
        let toggle =
            if c.login_enabled { action("disable", "Disable login", "") } else { action("enable", "Enable login", "") };
        rows.push_str(&format!(
            "<tr><td>{name}</td><td>{user}</td><td>{email}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            action("reset", "Reset password", ""),
            action("email", "Change e-mail", r#"<input name="value" placeholder="new e-mail" size="16">"#),
            action("username", "Change username", r#"<input name="value" placeholder="new username" size="12">"#),
            toggle,
            name = html::escape(&c.display_name),
            user = html::escape(&c.username),
            email = html::escape(c.email.as_str()),
        ));
    }
    let search = format!(
        r#"<form method="get" action="/staff/retailer" role="search"><input type="hidden" name="id" value="{rid}"><label for="q">Find a contact (name, username or e-mail)</label> <input id="q" name="q" type="search" value="{text}" maxlength="100"> <button id="search">Search</button></form>"#,
        rid = q.id,
        text = html::escape(&q.q)
    );
    let more = next.map_or_else(String::new, |after| {
        format!(
            r#"<p><a id="next-page" href="/staff/retailer?id={rid}&amp;q={text}&amp;after={after}">Next contacts</a></p>"#,
            rid = q.id,
            text = html::url_encode(&q.q)
        )
    });
    let body = format!(
        r#"<p>Acting as {}. <a href="/staff">Back</a></p>{search}<table id="contacts"><tr><th>Name</th><th>Username</th><th>E-mail</th><th colspan="4">Login</th></tr>{rows}</table>{more}"#,
        html::escape(&staff_name(&staff))
    );
    Html(html::page(STAFF_LANG, "Contacts", flash.as_deref(), &body)).into_response()
}

/// A staff action on a contact (its CSRF token is checked by the web layer).
#[derive(Deserialize)]
struct ContactAction {
    contact: i64,
    retailer: i64,
    action: String,
    #[serde(default)]
    value: String,
}

async fn contact_action(State(app): Shared, session: Session, Form(form): Form<ContactAction>) -> Response {
    let Some(staff) = acting_as(&session).await else {
        return Redirect::to("/staff").into_response();
    };
    let contact = ContactId::new(form.contact);
    let s = &app.service;
    let result: Result<String, ServiceError> = match form.action.as_str() {
        "reset" => s
            .staff_reset(&staff, contact, ResetOptions::default())
            .await
            .map(|r| format!("A temporary password was e-mailed; it expires {}.", r.expires_at)),
        "email" => s.update_email(&staff, contact, &form.value).await.map(|_| "E-mail address changed.".into()),
        "username" => s.update_username(&staff, contact, &form.value).await.map(|_| "Username changed.".into()),
        "enable" => s.set_login_enabled(&staff, contact, true).await.map(|_| "Login enabled.".into()),
        "disable" => s.set_login_enabled(&staff, contact, false).await.map(|_| "Login disabled.".into()),
        _ => Ok("Unknown action.".into()),
    };
    let flash = result.unwrap_or_else(|e| format!("Not done: {e}"));
    set_flash(&session, flash).await;
    Redirect::to(&format!("/staff/retailer?id={}", form.retailer)).into_response()
}
