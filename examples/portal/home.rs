//! The account page a logged-in contact lands on: the welcome and the links, in the
//! contact's language.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, Redirect, Response};
use axum::routing::get;
use customer_access::Store;
use customer_access::i18n::MessageArgs;

use crate::{App, Shared, contact_words, html, respond, signed_in};

/// `/`: the account page.
pub(crate) fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new().route("/", get(home))
}

pub(crate) async fn home(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let Some(contact) = signed_in(&app, &id, &headers).await else {
        return respond(cookie, Redirect::to("/login"));
    };
    let t = contact_words(&app, contact, &headers).await;
    let name = match app.service.store().contact(contact).await {
        Ok(r) => r.contact.display_name,
        Err(_) => String::new(),
    };
    let (token, flash) = app.sessions.with(&id, |s| (s.csrf.clone(), s.flash.take()));
    let welcome = t.with("welcome", &MessageArgs::new().text("name", name));
    let body = format!(
        r#"<p id="welcome">{}</p>
<p><a href="/change-password" id="change-password">{}</a></p>
<form method="post" action="/logout">{}<button id="logout">{}</button></form>"#,
        html::escape(&welcome),
        html::escape(&t.get("change-password-link")),
        html::csrf(&token),
        html::escape(&t.get("logout-button")),
    );
    respond(cookie, Html(html::localized(&t, "home-title", flash.as_deref(), &body)))
}
