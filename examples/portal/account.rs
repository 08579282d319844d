//! A logged-in contact changes its own password (current + new), in the contact's language.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use customer_access::ServiceError;
use customer_access::secrecy::SecretString;
use serde::Deserialize;

use crate::{App, Shared, contact_words, forbidden, html, limits, respond, signed_in, wording};

/// `/change-password`: the form (logged-in contacts only) and its submission.
pub(crate) fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new().route("/change-password", get(change_password_page).post(change_password))
}

async fn change_password_page(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    let Some(contact) = signed_in(&app, &id, &headers).await else {
        return respond(cookie, Redirect::to("/login"));
    };
    let t = contact_words(&app, contact, &headers).await;
    let token = app.sessions.with(&id, |s| s.csrf.clone());
    respond(cookie, Html(html::localized(&t, "change-password-title", None, &html::change_password(&t, &token, &[]))))
}

/// The change form's fields.
#[derive(Deserialize)]
pub(crate) struct ChangeForm {
    pub(crate) csrf: String,
    pub(crate) current_password: String,
    pub(crate) new_password: String,
}

/// Change the logged-in contact's password; on success the session moves to a new id.
pub(crate) async fn change_password(State(app): Shared, headers: HeaderMap, Form(form): Form<ChangeForm>) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    // Who is asking first, so that even a refused form answers in the contact's language.
    let Some(contact) = signed_in(&app, &id, &headers).await else {
        return respond(cookie, Redirect::to("/login"));
    };
    let t = contact_words(&app, contact, &headers).await;
    if !app.sessions.csrf_ok(&id, &form.csrf) {
        return forbidden(&t);
    }
    let current = SecretString::from(form.current_password.as_str());
    let errors =
        match app.service.change_password(contact, &current, &SecretString::from(form.new_password.as_str())).await {
            Ok(changed) => {
                // The new credential version ends every other session; this one moves to a new
                // id too, so an id that leaked before the change is worth nothing after it.
                let flash = t.get("password-changed");
                let (_, cookie, ()) = app.sessions.rotate(&id, |s| {
                    s.user = Some((changed.contact, changed.credential_version));
                    s.flash = Some(flash);
                });
                return respond(Some(cookie), Redirect::to("/"));
            }
            Err(ServiceError::PasswordRejected(v)) => wording::violations(&t, &v),
            Err(ServiceError::InvalidCredentials | ServiceError::Input(_)) => vec![t.get("current-password-wrong")],
            Err(ServiceError::LockedOut { retry_after }) => vec![wording::locked_out(&t, retry_after)],
            Err(ServiceError::Overloaded) => {
                let token = app.sessions.with(&id, |s| s.csrf.clone());
                let page = html::change_password(&t, &token, &[t.get("busy")]);
                let page = html::localized(&t, "change-password-title", None, &page);
                return respond(cookie, limits::unavailable(Html(page).into_response()));
            }
            Err(e) => {
                eprintln!("password change failed: {e}");
                vec![t.get("something-went-wrong")]
            }
        };
    let token = app.sessions.with(&id, |s| s.csrf.clone());
    respond(
        cookie,
        Html(html::localized(&t, "change-password-title", None, &html::change_password(&t, &token, &errors))),
    )
}
