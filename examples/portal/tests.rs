//! The handlers against a real SQLite store: the session id changes whenever the session
//! gains privilege, and the id it had before stops working; pages are in the browser's
//! language before login and in the contact's after.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use customer_access::i18n::{Locale, Preferences, TimeZoneName};
use customer_access::secrecy::ExposeSecret;
use customer_access::{
    AccessService, ContactId, RecordingMailer, ResetOptions, SecurityPolicy, Staff, StaffId, Store, SystemClock,
};

use crate::account::{self, ChangeForm};
use crate::cookie::CookieMode;
use crate::home::{PreferencesForm, home, save_preferences};
use crate::i18n::Pages;
use crate::limits::{Limits, RequestLimits};
use crate::session::Sessions;
use crate::staff::{self, RetailerQuery};
use crate::{App, LoginForm, NewPasswordForm, PortalMailer, login, login_page, set_password, set_password_page};

/// Anna's password in the demo data.
const ANNA: &str = "Anna-Start-2026";
const NEW_PASSWORD: &str = "Plum-Kettle-4242";

pub(crate) struct Portal {
    pub(crate) app: Arc<App>,
    mode: CookieMode,
    mailer: RecordingMailer,
    _dir: tempfile::TempDir,
}

async fn portal(mode: CookieMode) -> Portal {
    portal_with(mode, Limits::default(), SecurityPolicy::default()).await
}

/// A portal whose requests are held to `limits`, its service to `policy`.
pub(crate) async fn portal_with(mode: CookieMode, limits: Limits, policy: SecurityPolicy) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let store = customer_access_sqlite::open(dir.path().join("portal.db")).await.unwrap();
    crate::staff::seed_demo_data(&store).await.unwrap();
    let mailer = RecordingMailer::new();
    let service = AccessService::new(store, PortalMailer::Recording(mailer.clone()), SystemClock, policy).unwrap();
    let app = Arc::new(App {
        service,
        sessions: Sessions::new(mode),
        pages: Pages::shipped().unwrap(),
        requests: RequestLimits::new(&limits),
    });
    Portal { app, mode, mailer, _dir: dir }
}

impl Portal {
    fn state(&self) -> State<Arc<App>> {
        State(Arc::clone(&self.app))
    }

    /// A request presenting session `id`.
    fn cookie(&self, id: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("{}={id}", self.mode.name());
        headers.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        headers
    }

    /// A request from a browser asking for `accept_language`, presenting session `id`.
    fn browser(&self, id: &str, accept_language: &str) -> HeaderMap {
        let mut headers = self.cookie(id);
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(accept_language).unwrap());
        headers
    }

    fn csrf(&self, id: &str) -> String {
        self.app.sessions.with(id, |s| s.csrf.clone())
    }

    /// A browser's first visit to the login page: its session id.
    async fn first_visit(&self) -> String {
        let response = login_page(self.state(), HeaderMap::new()).await;
        session_id(&response, self.mode).expect("a new session sets a cookie")
    }

    async fn login(&self, id: &str, username: &str, password: &str) -> Response {
        let form = LoginForm { csrf: self.csrf(id), username: username.into(), password: password.into() };
        login(self.state(), self.cookie(id), Form(form)).await
    }

    /// Is session `id` logged in? (The account page answers 200; otherwise it redirects.)
    async fn logged_in(&self, id: &str) -> bool {
        home(self.state(), self.cookie(id)).await.status() == StatusCode::OK
    }

    async fn anna(&self) -> ContactId {
        let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
        for retailer in self.app.service.manageable_retailers(&admin).await.unwrap() {
            let contacts = self.app.service.list_contacts(&admin, retailer.id).await.unwrap();
            if let Some(c) = contacts.iter().find(|c| c.username == "anna.berg") {
                return c.id;
            }
        }
        panic!("no anna.berg in the demo data")
    }
}

/// The id in the response's `Set-Cookie`, if it sets the session cookie.
fn session_id(response: &Response, mode: CookieMode) -> Option<String> {
    let prefix = format!("{}=", mode.name());
    let sessions: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok()?.split(';').next()?.strip_prefix(&prefix).map(str::to_owned))
        .collect();
    assert!(sessions.len() <= 1, "one session cookie at most: {sessions:?}");
    sessions.into_iter().next()
}

/// The page a response carries.
async fn body(response: Response) -> String {
    String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap()
}

/// The flash message on a page, if any.
fn flash(page: &str) -> Option<&str> {
    page.split_once(r#"id="flash">"#)?.1.split_once("</p>").map(|(text, _)| text)
}

fn location(response: &Response) -> &str {
    response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn login_moves_the_session_to_a_new_id() {
    let p = portal(CookieMode::Http).await;
    let before = p.first_visit().await;
    let response = p.login(&before, "anna.berg", ANNA).await;
    assert_eq!(location(&response), "/");
    let after = session_id(&response, p.mode).expect("the login sets a new session cookie");
    assert_ne!(after, before);
    assert!(p.logged_in(&after).await);
    // Whoever planted or saw the old id is not logged in with it; it is not even a session.
    let response = home(p.state(), p.cookie(&before)).await;
    assert_eq!(location(&response), "/login");
    let replacement = session_id(&response, p.mode).expect("an unknown id gets a new session");
    assert_ne!(replacement, before);
}

#[tokio::test]
async fn a_failed_login_keeps_the_id() {
    let p = portal(CookieMode::Http).await;
    let id = p.first_visit().await;
    let response = p.login(&id, "anna.berg", "Wrong-Guess-1").await;
    assert_eq!(location(&response), "/login");
    assert_eq!(session_id(&response, p.mode), None, "no privilege gained, no new id needed");
}

#[tokio::test]
async fn the_change_ticket_and_the_new_password_each_get_a_new_id() {
    let p = portal(CookieMode::Http).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    p.app.service.staff_reset(&admin, p.anna().await, ResetOptions::default()).await.unwrap();
    let temporary = p.mailer.last_temporary_password().unwrap();

    let before = p.first_visit().await;
    let response = p.login(&before, "anna.berg", temporary.expose_secret()).await;
    assert_eq!(location(&response), "/set-password");
    let with_ticket = session_id(&response, p.mode).expect("the change step gets a new id");
    assert_ne!(with_ticket, before);
    let page = set_password_page(p.state(), p.cookie(&before)).await;
    assert_eq!(location(&page), "/login", "the old id holds no ticket");

    let form = NewPasswordForm { csrf: p.csrf(&with_ticket), new_password: NEW_PASSWORD.into() };
    let response = set_password(p.state(), p.cookie(&with_ticket), Form(form)).await;
    assert_eq!(location(&response), "/");
    let after = session_id(&response, p.mode).expect("the new password gets a new id");
    assert!(after != with_ticket && after != before);
    assert!(p.logged_in(&after).await);
    assert!(!p.logged_in(&with_ticket).await, "the change-step id is gone");
}

#[tokio::test]
async fn a_voluntary_change_gets_a_new_id() {
    let p = portal(CookieMode::Http).await;
    let first = p.first_visit().await;
    let logged_in = session_id(&p.login(&first, "anna.berg", ANNA).await, p.mode).unwrap();

    let form =
        ChangeForm { csrf: p.csrf(&logged_in), current_password: ANNA.into(), new_password: NEW_PASSWORD.into() };
    let response = account::change_password(p.state(), p.cookie(&logged_in), Form(form)).await;
    assert_eq!(location(&response), "/");
    let after = session_id(&response, p.mode).expect("the change gets a new id");
    assert_ne!(after, logged_in);
    assert!(p.logged_in(&after).await);
    assert!(!p.logged_in(&logged_in).await, "the id from before the change is gone");

    // A wrong current password changes nothing, the id included.
    let form = ChangeForm { csrf: p.csrf(&after), current_password: ANNA.into(), new_password: "Other-Pass-77".into() };
    let response = account::change_password(p.state(), p.cookie(&after), Form(form)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(session_id(&response, p.mode), None);
    assert!(p.logged_in(&after).await);
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_secure() {
    let p = portal(CookieMode::Https).await;
    let response = login_page(p.state(), HeaderMap::new()).await;
    let cookie = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    let before = session_id(&response, p.mode).unwrap();
    assert_eq!(cookie, format!("__Host-portal_session={before}; Path=/; Secure; HttpOnly; SameSite=Strict"));

    let response = p.login(&before, "anna.berg", ANNA).await;
    let cookie = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    let after = session_id(&response, p.mode).unwrap();
    assert_ne!(after, before);
    assert_eq!(cookie, format!("__Host-portal_session={after}; Path=/; Secure; HttpOnly; SameSite=Strict"));
    assert!(p.logged_in(&after).await);

    // The same id under the unprefixed name (settable without Secure, e.g. over http by a
    // network attacker) is not the session.
    let mut plain = HeaderMap::new();
    plain.insert(header::COOKIE, HeaderValue::from_str(&format!("portal_session={after}")).unwrap());
    assert_eq!(home(p.state(), plain).await.status(), StatusCode::SEE_OTHER);
}

/// Issue 13: the browser Anna logged in with keeps a device cookie; after a stranger has
/// locked her username out, that browser still logs her in, and another browser does not.
#[tokio::test]
async fn a_known_browser_logs_in_while_a_stranger_locks_the_username() {
    let p = portal(CookieMode::Http).await;
    let id = p.first_visit().await;
    let response = p.login(&id, "anna.berg", ANNA).await;
    let device = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("portal_device="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a successful login sets the device cookie");
    for i in 0..20 {
        let stranger = p.first_visit().await;
        p.login(&stranger, "anna.berg", &format!("guess-{i}-Pass")).await;
    }
    let elsewhere = p.first_visit().await;
    p.login(&elsewhere, "anna.berg", ANNA).await;
    assert!(!p.logged_in(&elsewhere).await, "a browser without the cookie is locked out");
    let known = p.first_visit().await;
    let form = LoginForm { csrf: p.csrf(&known), username: "anna.berg".into(), password: ANNA.into() };
    let mut headers = p.cookie(&known);
    let both = format!("{}={known}; portal_device={device}", p.mode.name());
    headers.insert(header::COOKIE, HeaderValue::from_str(&both).unwrap());
    let response = login(p.state(), headers, Form(form)).await;
    let new_id = session_id(&response, p.mode).expect("a login moves the session");
    assert!(p.logged_in(&new_id).await, "the browser with the device cookie logs in");
}

#[tokio::test]
async fn before_login_pages_follow_the_browsers_languages() {
    let p = portal(CookieMode::Http).await;
    for (accept_language, lang, button) in [
        (Some("de-CH, de;q=0.9"), "de", "Anmelden"),
        (Some("fr;q=0.8, nl"), "nl", "Inloggen"),
        (Some("x_y, ;;q=7, *"), "en", "Log in"),
        (None, "en", "Log in"),
    ] {
        let mut headers = HeaderMap::new();
        if let Some(value) = accept_language {
            headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(value).unwrap());
        }
        let page = body(login_page(p.state(), headers).await).await;
        assert!(page.contains(&format!(r#"<html lang="{lang}">"#)), "{accept_language:?}: {page}");
        assert!(page.contains(&format!(r#"<button id="submit">{button}</button>"#)), "{accept_language:?}: {page}");
    }
}

#[tokio::test]
async fn a_signed_in_contact_reads_their_own_language_whatever_the_browser_asks() {
    let p = portal(CookieMode::Http).await;
    let first = p.first_visit().await;
    let id = session_id(&p.login(&first, "anna.berg", ANNA).await, p.mode).unwrap();
    let spanish = Preferences::new(Locale::parse("es").unwrap(), TimeZoneName::parse("Europe/Madrid").unwrap());
    p.app.service.set_own_preferences(p.anna().await, spanish).await.unwrap();
    let page = body(home(p.state(), p.browser(&id, "en-US, en;q=0.9")).await).await;
    assert!(page.contains(r#"<html lang="es">"#), "{page}");
    assert!(page.contains("<h1>Su cuenta</h1>") && page.contains("Le damos la bienvenida, Anna Berg."), "{page}");
    assert!(page.contains(r#"<option value="es" lang="es" selected>Español</option>"#), "{page}");
    assert!(page.contains(r#"value="Europe/Madrid""#), "the zone field is prefilled: {page}");
}

#[tokio::test]
async fn the_preferences_form_saves_both_or_nothing() {
    let p = portal(CookieMode::Http).await;
    let first = p.first_visit().await;
    let id = session_id(&p.login(&first, "anna.berg", ANNA).await, p.mode).unwrap();
    let anna = p.anna().await;
    let before = p.app.service.preferences_of(anna).await.unwrap();
    let post = |locale: &str, time_zone: &str| {
        let form = PreferencesForm { csrf: p.csrf(&id), locale: locale.into(), time_zone: time_zone.into() };
        save_preferences(p.state(), p.cookie(&id), Form(form))
    };

    let response = post("de", "Mars/Olympus_Mons").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = body(response).await;
    assert!(page.contains(r#"id="time_zone-error">This is not a time zone we know."#), "{page}");
    assert!(page.contains(r#"value="Mars/Olympus_Mons""#), "the input is kept to correct: {page}");
    assert!(!page.contains("locale-error"), "the language was fine: {page}");
    assert_eq!(p.app.service.preferences_of(anna).await.unwrap(), before, "the good half is not saved either");
    let page = body(post("ja", "Europe/Berlin").await).await;
    assert!(page.contains(r#"id="locale-error">Please choose one of the languages in the list."#), "{page}");
    assert_eq!(p.app.service.preferences_of(anna).await.unwrap(), before);

    let response = post("nl", " europe/amsterdam ").await;
    assert_eq!(location(&response), "/");
    let after = p.app.service.preferences_of(anna).await.unwrap();
    assert_eq!((after.locale.as_str(), after.time_zone.as_str()), ("nl", "Europe/Amsterdam"));
    let page = body(home(p.state(), p.cookie(&id)).await).await;
    assert!(page.contains(r#"<html lang="nl">"#), "{page}");
    assert_eq!(flash(&page), Some("Uw taal en tijdzone zijn opgeslagen."), "the flash is in the new language");

    let form = PreferencesForm { csrf: "forged".into(), locale: "de".into(), time_zone: String::new() };
    let response = save_preferences(p.state(), p.cookie(&id), Form(form)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(body(response).await.contains("Ongeldig formuliertoken"), "refused in the contact's language");
    assert_eq!(p.app.service.preferences_of(anna).await.unwrap(), after);
}

#[tokio::test]
async fn a_lockout_is_named_in_german_with_the_right_plural() {
    let p = portal(CookieMode::Http).await;
    let id = p.first_visit().await;
    let german = p.browser(&id, "de-DE, de;q=0.9, en;q=0.5");
    for _ in 0..20 {
        let form = LoginForm { csrf: p.csrf(&id), username: "anna.berg".into(), password: "Wrong-Guess-1".into() };
        login(p.state(), german.clone(), Form(form)).await;
        let page = body(login_page(p.state(), german.clone()).await).await;
        let text = flash(&page).expect("every failed login leaves a flash").to_owned();
        let Some(wait) = text.strip_prefix("Zu viele Versuche. Bitte versuchen Sie es in ") else {
            assert_eq!(text, "Benutzername oder Passwort ist falsch.");
            continue;
        };
        let (n, unit) = wait.strip_suffix(" erneut.").and_then(|w| w.split_once(' ')).expect(&text);
        let n: u64 = n.parse().expect(&text);
        let expected = if n == 1 { ["Sekunde", "Minute"] } else { ["Sekunden", "Minuten"] };
        assert!(expected.contains(&unit), "{text}");
        return;
    }
    panic!("twenty wrong passwords did not lock the username");
}

#[tokio::test]
async fn staff_find_a_contact_by_search_and_page_on() {
    let p = portal(CookieMode::Http).await;
    let id = p.first_visit().await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    p.app.sessions.with(&id, |s| s.staff = Some(admin));
    let anna = p.anna().await;
    let shop = p.app.service.store().contact(anna).await.unwrap().contact.retailer;
    let query = |q: &str, after: Option<i64>| RetailerQuery { id: shop.get(), q: q.into(), after };

    let found = body(staff::retailer(p.state(), p.cookie(&id), Query(query("OKAFOR", None))).await).await;
    assert!(found.contains("ben.okafor") && !found.contains("anna.berg"), "only the match: {found}");
    assert!(!found.contains("next-page"), "one page holds every match");
    let everyone = body(staff::retailer(p.state(), p.cookie(&id), Query(query("", None))).await).await;
    assert!(everyone.contains("ben.okafor") && everyone.contains("anna.berg"), "no search lists all: {everyone}");
    let after_anna = body(staff::retailer(p.state(), p.cookie(&id), Query(query("", Some(anna.get())))).await).await;
    assert!(!after_anna.contains("anna.berg") && after_anna.contains("ben.okafor"), "pages start after the cursor");
    let refused = body(staff::retailer(p.state(), p.cookie(&id), Query(query("a\u{7}b", None))).await).await;
    assert!(refused.contains("control characters"), "a bad search is named: {refused}");
}

// Attacks on the staff page's search (issue 20, against 02da134). Both pass: regression
// tests for defences that hold.

/// Passes. A search text full of HTML and URL syntax is escaped in the search box and
/// percent-encoded in the "next" link: no markup gets into the page and the link carries
/// no extra parameter (`after`, `id`) or fragment of the attacker's choosing.
#[tokio::test]
async fn a_search_text_with_markup_and_url_syntax_stays_text() {
    use customer_access::import::ImportRow;
    let p = portal(CookieMode::Http).await;
    let id = p.first_visit().await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    p.app.sessions.with(&id, |s| s.staff = Some(admin.clone()));
    let evil = r#"x'"><svg onload=alert(1)>&id=1&after=999#"#;
    let rows = (0..30).map(|i| {
        let row = ImportRow {
            external_id: format!("C-{i}"),
            retailer_external_id: "R-EVIL".into(),
            retailer_name: "Evil Names".into(),
            username: format!("evil{i}"),
            email: format!("evil{i}@evil.example"),
            display_name: format!("Evil {i} {evil}"),
            login_enabled: true,
            password_hash: None,
        };
        (i + 1, row)
    });
    p.app.service.import(&admin, rows).await.unwrap();
    let shop = p.app.service.manageable_retailers(&admin).await.unwrap().into_iter().find(|r| r.name == "Evil Names");
    let shop = shop.unwrap().id;

    let query = RetailerQuery { id: shop.get(), q: evil.into(), after: None };
    let page = body(staff::retailer(p.state(), p.cookie(&id), Query(query)).await).await;
    assert!(page.contains("evil0") && page.contains("next-page"), "25 of 30 matches and a next link: {page}");
    assert!(!page.contains("<svg"), "no markup from the search or the names: {page}");
    let href = page.split_once(r#"id="next-page" href=""#).unwrap().1.split_once('"').unwrap().0;
    let query_string = href.strip_prefix("/staff/retailer?").unwrap().replace("&amp;", "&");
    let params: Vec<(&str, &str)> = query_string.split('&').map(|kv| kv.split_once('=').unwrap()).collect();
    let names: Vec<&str> = params.iter().map(|(k, _)| *k).collect();
    assert_eq!(names, ["id", "q", "after"], "exactly the page's own parameters: {href}");
    assert!(!href.contains('#') && !href.contains('\'') && !href.contains('<'), "{href}");
    assert_eq!(params[0].1, shop.get().to_string());
    assert_eq!(params[1].1, crate::html::url_encode(evil));
}

/// Passes. On the staff page an iPad user sees the same page for a retailer outside theirs
/// whether it exists (and whether the search would match there) or not.
#[tokio::test]
async fn an_ipad_user_cannot_tell_a_foreign_retailer_from_a_missing_one_on_the_page() {
    let p = portal(CookieMode::Http).await;
    let id = p.first_visit().await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let ipad = Staff::IpadUser {
        staff_id: StaffId::new(2),
        device_id: customer_access::DeviceId::parse("ipad-demo").unwrap(),
    };
    p.app.sessions.with(&id, |s| s.staff = Some(ipad.clone()));
    let mine = p.app.service.manageable_retailers(&ipad).await.unwrap();
    let all = p.app.service.manageable_retailers(&admin).await.unwrap();
    let foreign = all.iter().find(|r| !mine.iter().any(|m| m.id == r.id)).expect("a retailer the iPad user lacks");
    let missing = all.iter().map(|r| r.id.get()).max().unwrap() + 1000;
    let mut pages = Vec::new();
    for (retailer, q) in
        [(foreign.id.get(), "a"), (foreign.id.get(), "zz-nobody"), (foreign.id.get(), ""), (missing, "a")]
    {
        let query = RetailerQuery { id: retailer, q: q.into(), after: None };
        pages.push(body(staff::retailer(p.state(), p.cookie(&id), Query(query)).await).await);
    }
    assert!(pages.iter().all(|page| *page == pages[0]), "{pages:?}");
    assert!(!pages[0].contains(r#"id="contacts""#), "refused: {}", pages[0]);
}
