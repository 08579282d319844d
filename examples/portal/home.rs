//! The account page a logged-in contact lands on: the welcome, the links, and a form to
//! choose the language and time zone of these pages and of the e-mails (`/preferences`).

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use customer_access::i18n::{Locale, MessageArgs, Preferences, TimeZoneName};
use customer_access::{ContactId, Store};
use customer_access_axum::tower_sessions::Session;
use customer_access_axum::{CsrfToken, CurrentContact};
use serde::Deserialize;

use crate::i18n::Words;
use crate::{App, Shared, html};

/// The session key of a message shown once on the next page (the portal's own, beside the
/// web layer's).
pub(crate) const FLASH: &str = "portal_flash";

/// The flash message, taken out of the session.
pub(crate) async fn take_flash(session: &Session) -> Option<String> {
    session.remove::<String>(FLASH).await.ok().flatten()
}

/// Keep `message` for the next page.
pub(crate) async fn set_flash(session: &Session, message: String) {
    if let Err(e) = session.insert(FLASH, message).await {
        eprintln!("keeping a message for the next page failed: {e}");
    }
}

/// The words for a signed-in contact: their own language (else their retailer's, else the
/// service's default), whatever the browser asks for, so that what they chose holds on any
/// browser. The browser's choice only if the preferences cannot be read.
pub(crate) async fn contact_words<'a>(app: &'a App, contact: ContactId, headers: &HeaderMap) -> Words<'a> {
    match app.service.preferences_of(contact).await {
        Ok(preferences) => app.pages.words(&preferences.locale),
        Err(e) => {
            eprintln!("reading a contact's preferences failed: {e}");
            app.pages.for_browser(headers)
        }
    }
}

/// `/` (the account page) and `/preferences` (its language and time-zone form).
pub(crate) fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new().route("/", get(home)).route("/preferences", post(save_preferences))
}

/// What the preferences form shows: the values and, after a refused submission, why.
#[derive(Default)]
struct Choice {
    locale: String,
    time_zone: String,
    locale_error: Option<String>,
    time_zone_error: Option<String>,
}

/// The account page. The web layer has checked the session against the contact's current
/// credential version on this very request (a session from before a password change never
/// gets here), and sends a browser without a login to the login page.
pub(crate) async fn home(
    State(app): Shared,
    contact: CurrentContact,
    token: CsrfToken,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let contact = contact.id;
    // One read of the preferences for both the page's language and the form's values.
    let (t, choice) = match app.service.preferences_of(contact).await {
        Ok(p) => (
            app.pages.words(&p.locale),
            Choice { locale: p.locale.to_string(), time_zone: p.time_zone.to_string(), ..Choice::default() },
        ),
        Err(e) => {
            eprintln!("reading a contact's preferences failed: {e}");
            (app.pages.for_browser(&headers), Choice::default())
        }
    };
    let flash = take_flash(&session).await;
    Html(account_page(&app, token.as_str(), contact, &t, &choice, flash.as_deref()).await).into_response()
}

/// The preferences form's fields (its CSRF token is checked by the web layer).
#[derive(Deserialize)]
pub(crate) struct PreferencesForm {
    pub(crate) locale: String,
    pub(crate) time_zone: String,
}

/// Save the contact's language and time zone, both or neither: a bad value shows the page
/// again with the error beside its field and the contact's input kept.
pub(crate) async fn save_preferences(
    State(app): Shared,
    contact: CurrentContact,
    token: CsrfToken,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<PreferencesForm>,
) -> Response {
    let contact = contact.id;
    let t = contact_words(&app, contact, &headers).await;
    // Only a language offered in the menu: one without pages or e-mails would show English
    // while claiming to be something else.
    let locale = Locale::parse(form.locale.trim()).ok().filter(|l| offered(&app).iter().any(|(o, _)| o == l));
    // Empty: no zone of the contact's own, so the retailer's (or the service's) applies.
    let zone = match form.time_zone.trim() {
        "" => Ok(None),
        name => TimeZoneName::parse(name).map(Some),
    };
    let (Some(locale), Ok(time_zone)) = (&locale, &zone) else {
        let choice = Choice {
            locale: locale.as_ref().unwrap_or(t.locale()).to_string(),
            time_zone: form.time_zone.clone(),
            locale_error: locale.is_none().then(|| t.get("preferences-bad-locale")),
            time_zone_error: zone.is_err().then(|| t.get("preferences-bad-time-zone")),
        };
        return Html(account_page(&app, token.as_str(), contact, &t, &choice, None).await).into_response();
    };
    let preferences = Preferences { locale: Some(locale.clone()), time_zone: time_zone.clone() };
    let flash = match app.service.set_own_preferences(contact, preferences).await {
        // In the language just chosen: the page it shows on is in that language now.
        Ok(_) => app.pages.words(locale).get("preferences-saved"),
        Err(e) => {
            eprintln!("saving a contact's preferences failed: {e}");
            t.get("something-went-wrong")
        }
    };
    set_flash(&session, flash).await;
    Redirect::to("/").into_response()
}

/// The languages a contact may choose: those with both pages and e-mails, each with its
/// name in itself ("Deutsch"), so a contact finds their own whatever the page is in.
fn offered(app: &App) -> Vec<(Locale, String)> {
    let emails: Vec<&Locale> = app.service.messages().translations().locales().collect();
    app.pages
        .locales()
        .filter(|l| emails.contains(l))
        .map(|l| (l.clone(), app.pages.words(l).get("language-name")))
        .collect()
}

async fn account_page(
    app: &App,
    token: &str,
    contact: ContactId,
    t: &Words<'_>,
    choice: &Choice,
    flash: Option<&str>,
) -> String {
    let name = match app.service.store().contact(contact).await {
        Ok(r) => r.contact.display_name,
        Err(_) => String::new(),
    };
    let welcome = t.with("welcome", &MessageArgs::new().text("name", name));
    let body = format!(
        r#"<p id="welcome">{}</p>
<p><a href="/change-password" id="change-password">{}</a></p>
{}
<form method="post" action="/logout">{}<button id="logout">{}</button></form>"#,
        html::escape(&welcome),
        html::escape(&t.get("change-password-link")),
        preferences_form(t, token, &offered(app), choice),
        html::csrf(token),
        html::escape(&t.get("logout-button")),
    );
    html::localized(t, "home-title", flash, &body)
}

/// The language menu and the time-zone field, each labelled, each error tied to its field
/// (`aria-describedby`, `aria-invalid`) so a screen reader reads it with the field.
fn preferences_form(t: &Words<'_>, token: &str, offered: &[(Locale, String)], choice: &Choice) -> String {
    let options: String = offered
        .iter()
        .map(|(locale, name)| {
            let tag = html::escape(locale.as_str());
            let selected = if locale.as_str() == choice.locale { " selected" } else { "" };
            format!(r#"<option value="{tag}" lang="{tag}"{selected}>{}</option>"#, html::escape(name))
        })
        .collect();
    let locale_error = error_paragraph("locale-error", choice.locale_error.as_deref());
    let zone_error = error_paragraph("time_zone-error", choice.time_zone_error.as_deref());
    let locale_aria =
        if locale_error.is_empty() { "" } else { r#" aria-describedby="locale-error" aria-invalid="true""# };
    let zone_aria = if zone_error.is_empty() {
        r#" aria-describedby="time_zone-hint""#
    } else {
        r#" aria-describedby="time_zone-hint time_zone-error" aria-invalid="true""#
    };
    format!(
        r#"<h2 id="preferences-heading">{heading}</h2>
<form method="post" action="/preferences" aria-labelledby="preferences-heading">{csrf}
<label>{language} <select name="locale" id="locale"{locale_aria}>{options}</select></label>{locale_error}
<label>{zone} <input name="time_zone" id="time_zone" value="{value}" autocomplete="off" spellcheck="false"{zone_aria}></label>
<p id="time_zone-hint">{hint}</p>{zone_error}
<button id="save-preferences">{save}</button></form>"#,
        heading = html::escape(&t.get("preferences-heading")),
        csrf = html::csrf(token),
        language = html::escape(&t.get("language-label")),
        zone = html::escape(&t.get("time-zone-label")),
        value = html::escape(&choice.time_zone),
        hint = html::escape(&t.get("time-zone-hint")),
        save = html::escape(&t.get("preferences-button")),
    )
}

/// The paragraph naming what is wrong with a field, or nothing.
fn error_paragraph(id: &str, error: Option<&str>) -> String {
    error.map(|e| format!(r#"<p class="errors" id="{id}">{}</p>"#, html::escape(e))).unwrap_or_default()
}
