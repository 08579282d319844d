//! A logged-in contact changes its own password (current + new).

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{Html, Redirect, Response};
use axum::routing::get;
use customer_access::ServiceError;
use customer_access::secrecy::SecretString;
use serde::Deserialize;

use crate::{App, Shared, forbidden, html, respond, signed_in};

/// `/change-password`: the form (logged-in contacts only) and its submission.
pub(crate) fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new().route("/change-password", get(change_password_page).post(change_password))
}

async fn change_password_page(State(app): Shared, headers: HeaderMap) -> Response {
    let (id, cookie) = app.sessions.open(&headers);
    if signed_in(&app, &id).await.is_none() {
        return respond(cookie, Redirect::to("/login"));
    }
    let token = app.sessions.with(&id, |s| s.csrf.clone());
    respond(cookie, Html(html::page("Change your password", None, &html::change_password(&token, &[]))))
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
    if !app.sessions.csrf_ok(&id, &form.csrf) {
        return forbidden();
    }
    let Some(contact) = signed_in(&app, &id).await else {
        return respond(cookie, Redirect::to("/login"));
    };
    let current = SecretString::from(form.current_password.as_str());
    let errors =
        match app.service.change_password(contact, &current, &SecretString::from(form.new_password.as_str())).await {
            Ok(changed) => {
                // The new credential version ends every other session; this one moves to a new
                // id too, so an id that leaked before the change is worth nothing after it.
                let (_, cookie, ()) = app.sessions.rotate(&id, |s| {
                    s.user = Some((changed.contact, changed.credential_version));
                    s.flash = Some("Your password was changed.".into());
                });
                return respond(Some(cookie), Redirect::to("/"));
            }
            Err(ServiceError::PasswordRejected(v)) => html::violations(&v),
            Err(ServiceError::InvalidCredentials | ServiceError::Input(_)) => {
                vec!["Your current password is not correct.".to_owned()]
            }
            Err(ServiceError::LockedOut { retry_after }) => {
                vec![format!("Too many attempts. Try again in {} seconds.", retry_after.as_secs().max(1))]
            }
            Err(ServiceError::Overloaded) => vec!["We are busy; please try again in a moment.".to_owned()],
            Err(e) => {
                eprintln!("password change failed: {e}");
                vec!["Something went wrong; please try again.".to_owned()]
            }
        };
    let token = app.sessions.with(&id, |s| s.csrf.clone());
    respond(cookie, Html(html::page("Change your password", None, &html::change_password(&token, &errors))))
}
