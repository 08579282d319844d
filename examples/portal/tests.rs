//! The portal through its whole router (limits, sessions, the web layer, its own pages)
//! against a real SQLite file: the words in the reader's language, the account page's
//! preferences, the staff pages, the session cookie's name and flags. The session rules
//! themselves are the web layer's and are tested in `customer-access-axum`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use customer_access::i18n::{Locale, Preferences, TimeZoneName};
use customer_access::secrecy::ExposeSecret;
use customer_access::{ContactId, RecordingMailer, ResetOptions, SecurityPolicy, Staff, StaffId, Store};
use tower::ServiceExt;

use crate::cookie::CookieMode;
use crate::html::url_encode;
use crate::limits::Limits;
use crate::{App, PortalMailer};

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
    let app = App::new(store, PortalMailer::Recording(mailer.clone()), policy, mode, &limits).await.unwrap();
    Portal { app: Arc::new(app), mode, mailer, _dir: dir }
}

impl Portal {
    /// A browser asking for `language` (if any), without cookies yet.
    fn browser(&self, language: Option<&str>) -> Browser {
        Browser {
            router: crate::router(Arc::clone(&self.app)),
            name: self.mode.name(),
            cookie: None,
            language: language.map(str::to_owned),
        }
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

/// One answer, its body read.
#[derive(Debug)]
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or("")
    }

    /// The session cookie's `Set-Cookie` line, if the answer sets it.
    fn set_cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&prefix))
            .map(str::to_owned)
    }

    /// The page's notice or flash, if any.
    fn notice(&self) -> Option<&str> {
        let (_, rest) = self
            .body
            .split_once(r#"id="notice" role="alert">"#)
            .or_else(|| self.body.split_once(r#"id="flash" role="status">"#))?;
        rest.split_once("</p>").map(|(text, _)| text)
    }
}

/// A browser: keeps the session cookie, sends its language.
struct Browser {
    router: axum::Router,
    name: &'static str,
    cookie: Option<String>,
    language: Option<String>,
}

impl Browser {
    async fn send(&mut self, mut request: Request<Body>) -> Page {
        if let Some(cookie) = &self.cookie {
            request.headers_mut().insert(header::COOKIE, format!("{}={cookie}", self.name).parse().unwrap());
        }
        if let Some(language) = &self.language {
            request.headers_mut().insert(header::ACCEPT_LANGUAGE, language.parse().unwrap());
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let page = Page { status, headers, body: String::from_utf8(body.to_vec()).unwrap() };
        if let Some(set) = page.set_cookie(self.name) {
            let value = set.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
            self.cookie = (!value.is_empty() && !set.contains("Max-Age=0")).then_some(value);
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// The session's CSRF token.
    async fn csrf(&mut self) -> String {
        let page = self
            .send(Request::get("/api/session").header("accept", "application/json").body(Body::empty()).unwrap())
            .await;
        let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        json["csrf"].as_str().unwrap().to_owned()
    }

    async fn post_with(&mut self, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
        let mut body = format!("csrf={}", url_encode(csrf));
        for (k, v) in fields {
            body.push_str(&format!("&{}={}", url_encode(k), url_encode(v)));
        }
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf().await;
        self.post_with(path, &csrf, fields).await
    }

    async fn log_in(&mut self, username: &str, password: &str) -> Page {
        self.get("/login").await;
        self.post("/login", &[("username", username), ("password", password)]).await
    }

    async fn act_as(&mut self, who: &str) {
        assert_eq!(self.post("/staff/act-as", &[("who", who)]).await.location(), "/staff");
    }
}

#[tokio::test]
async fn the_session_cookie_is_named_and_flagged_for_plain_http() {
    let p = portal(CookieMode::Http).await;
    let mut b = p.browser(None);
    let set = b.get("/login").await.set_cookie("portal_session").expect("the login page starts a session");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"), "{set}");
    assert!(!set.contains("Secure"), "a Secure cookie never comes back over plain http: {set}");
    let before = b.cookie.clone().unwrap();
    assert_eq!(b.log_in("anna.berg", ANNA).await.location(), "/");
    assert_ne!(b.cookie.clone().unwrap(), before, "the login moves the session to a new id");
    assert!(b.get("/").await.body.contains("Anna Berg"));
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_secure() {
    let p = portal(CookieMode::Https).await;
    let mut b = p.browser(None);
    let set = b.get("/login").await.set_cookie("__Host-portal_session").expect("a __Host- cookie");
    assert!(set.contains("Secure") && set.contains("HttpOnly") && set.contains("Path=/"), "{set}");
    assert!(!set.to_ascii_lowercase().contains("domain"), "__Host- forbids a Domain: {set}");
    assert_eq!(b.log_in("anna.berg", ANNA).await.location(), "/");
    let id = b.cookie.clone().unwrap();
    // The same id under the unprefixed name (settable without Secure, e.g. over http by a
    // network attacker) is not the session.
    let mut planted = p.browser(None);
    planted.name = "portal_session";
    planted.cookie = Some(id);
    assert_eq!(planted.get("/").await.location(), "/login");
}

#[tokio::test]
async fn a_password_change_elsewhere_ends_the_session_with_words_in_the_browsers_language() {
    let p = portal(CookieMode::Http).await;
    let mut first = p.browser(None);
    let mut second = p.browser(Some("de-DE, de;q=0.9"));
    first.log_in("anna.berg", ANNA).await;
    second.log_in("anna.berg", ANNA).await;
    let changed = first.post("/change-password", &[("current_password", ANNA), ("new_password", NEW_PASSWORD)]).await;
    assert_eq!(changed.location(), "/change-password?n=password-changed");
    // Any page: the second browser is logged out and told why, in German.
    let page = second.get("/").await;
    assert_eq!(page.location(), "/login?n=session-ended");
    let login = second.get(page.location()).await;
    let german = p.app.pages.words(&Locale::parse("de").unwrap()).get("signed-out-login-changed");
    assert_eq!(login.notice(), Some(german.as_str()), "{}", login.body);
    assert!(first.get("/").await.body.contains("Anna Berg"), "the browser that changed it stays in");
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
        let page = p.browser(accept_language).get("/login").await.body;
        assert!(page.contains(&format!(r#"<html lang="{lang}">"#)), "{accept_language:?}: {page}");
        assert!(page.contains(&format!(r#"id="submit">{button}</button>"#)), "{accept_language:?}: {page}");
    }
}

#[tokio::test]
async fn the_forced_change_speaks_the_browsers_language_and_lists_every_rule() {
    let p = portal(CookieMode::Http).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    p.app.service.staff_reset(&admin, p.anna().await, ResetOptions::default()).await.unwrap();
    let temporary = p.mailer.last_temporary_password().unwrap();
    let mut b = p.browser(Some("fr"));
    assert_eq!(b.log_in("anna.berg", temporary.expose_secret()).await.location(), "/set-password");
    assert_eq!(b.get("/").await.location(), "/set-password", "the change cannot be skipped");
    let page = b.get("/set-password").await.body;
    assert!(page.contains(r#"<html lang="fr">"#) && page.contains(r#"value="anna.berg" autocomplete="username""#));
    assert!(page.contains(r#"data-rule="length" data-min="8""#) && page.contains(r#"data-show="Afficher""#), "{page}");
    let refused = b.post("/set-password", &[("new_password", "anna")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("au moins 8 caractères"), "{}", refused.body);
    assert_eq!(b.post("/set-password", &[("new_password", NEW_PASSWORD)]).await.location(), "/");
    assert!(b.get("/").await.body.contains("Anna Berg"));
}

#[tokio::test]
async fn a_signed_in_contact_reads_their_own_language_whatever_the_browser_asks() {
    let p = portal(CookieMode::Http).await;
    let mut b = p.browser(Some("en-US, en;q=0.9"));
    b.log_in("anna.berg", ANNA).await;
    let spanish = Preferences::new(Locale::parse("es").unwrap(), TimeZoneName::parse("Europe/Madrid").unwrap());
    p.app.service.set_own_preferences(p.anna().await, spanish).await.unwrap();
    let page = b.get("/").await.body;
    assert!(page.contains(r#"<html lang="es">"#), "{page}");
    assert!(page.contains("<h1>Su cuenta</h1>") && page.contains("Le damos la bienvenida, Anna Berg."), "{page}");
    assert!(page.contains(r#"<option value="es" lang="es" selected>Español</option>"#), "{page}");
    assert!(page.contains(r#"value="Europe/Madrid""#), "the zone field is prefilled: {page}");
    // The web layer's change-password page too: the contact's language, not the browser's.
    let change = b.get("/change-password").await.body;
    assert!(change.contains(r#"<html lang="es">"#), "{change}");
}

#[tokio::test]
async fn the_preferences_form_saves_both_or_nothing() {
    let p = portal(CookieMode::Http).await;
    let mut b = p.browser(Some("nl"));
    b.log_in("anna.berg", ANNA).await;
    let anna = p.anna().await;
    let before = p.app.service.preferences_of(anna).await.unwrap();

    let page = b.post("/preferences", &[("locale", "de"), ("time_zone", "Mars/Olympus_Mons")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="time_zone-error">This is not a time zone we know."#), "{}", page.body);
    assert!(page.body.contains(r#"value="Mars/Olympus_Mons""#), "the input is kept to correct");
    assert!(!page.body.contains("locale-error"), "the language was fine");
    assert_eq!(p.app.service.preferences_of(anna).await.unwrap(), before, "the good half is not saved either");
    let page = b.post("/preferences", &[("locale", "ja"), ("time_zone", "Europe/Berlin")]).await;
    assert!(
        page.body.contains(r#"id="locale-error">Please choose one of the languages in the list."#),
        "{}",
        page.body
    );
    assert_eq!(p.app.service.preferences_of(anna).await.unwrap(), before);

    let page = b.post("/preferences", &[("locale", "nl"), ("time_zone", " europe/amsterdam ")]).await;
    assert_eq!(page.location(), "/");
    let after = p.app.service.preferences_of(anna).await.unwrap();
    assert_eq!((after.locale.as_str(), after.time_zone.as_str()), ("nl", "Europe/Amsterdam"));
    let page = b.get("/").await;
    assert!(page.body.contains(r#"<html lang="nl">"#), "{}", page.body);
    assert_eq!(page.notice(), Some("Uw taal en tijdzone zijn opgeslagen."), "the flash is in the new language");

    // A forged form is refused by the web layer, in the browser's language, and saves nothing.
    let page = b.post_with("/preferences", "forged", &[("locale", "de"), ("time_zone", "")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let dutch = p.app.pages.words(&Locale::parse("nl").unwrap()).get("forbidden-body");
    assert_eq!(page.notice(), Some(dutch.as_str()), "{}", page.body);
    assert_eq!(p.app.service.preferences_of(anna).await.unwrap(), after);
}

#[tokio::test]
async fn a_lockout_reads_like_a_wrong_password_plus_the_wait_in_german() {
    let p = portal(CookieMode::Http).await;
    let mut b = p.browser(Some("de-DE, de;q=0.9, en;q=0.5"));
    let wrong = "Benutzername oder Passwort ist falsch.";
    for _ in 0..20 {
        let page = b.log_in("anna.berg", "Wrong-Guess-1").await;
        let text = page.notice().expect("every failed login says why").to_owned();
        let Some(wait) = text.strip_prefix(&format!("{wrong} Zu viele Versuche. Bitte versuchen Sie es in ")) else {
            assert_eq!(text, wrong);
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

async fn retailer_page(b: &mut Browser, retailer: i64, q: &str, after: Option<i64>) -> String {
    let after = after.map_or_else(String::new, |a| format!("&after={a}"));
    b.get(&format!("/staff/retailer?id={retailer}&q={}{after}", url_encode(q))).await.body
}

#[tokio::test]
async fn staff_find_a_contact_by_search_and_page_on() {
    let p = portal(CookieMode::Http).await;
    let mut b = p.browser(None);
    b.act_as("admin").await;
    let anna = p.anna().await;
    let shop = p.app.service.store().contact(anna).await.unwrap().contact.retailer.get();

    let found = retailer_page(&mut b, shop, "OKAFOR", None).await;
    assert!(found.contains("ben.okafor") && !found.contains("anna.berg"), "only the match: {found}");
    assert!(!found.contains("next-page"), "one page holds every match");
    let everyone = retailer_page(&mut b, shop, "", None).await;
    assert!(everyone.contains("ben.okafor") && everyone.contains("anna.berg"), "no search lists all: {everyone}");
    let after_anna = retailer_page(&mut b, shop, "", Some(anna.get())).await;
    assert!(!after_anna.contains("anna.berg") && after_anna.contains("ben.okafor"), "pages start after the cursor");
    let refused = retailer_page(&mut b, shop, "a\u{7}b", None).await;
    assert!(refused.contains("control characters"), "a bad search is named: {refused}");
    // A staff action goes through the web layer's CSRF check like every form.
    let reset = b
        .post_with(
            "/staff/contact",
            "forged",
            &[("contact", &anna.get().to_string()), ("retailer", &shop.to_string()), ("action", "reset")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::FORBIDDEN);
    assert!(p.mailer.last_temporary_password().is_none(), "nothing was sent");
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
    let mut b = p.browser(None);
    b.act_as("admin").await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
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

    let page = retailer_page(&mut b, shop.get(), evil, None).await;
    assert!(page.contains("evil0") && page.contains("next-page"), "25 of 30 matches and a next link: {page}");
    assert!(!page.contains("<svg"), "no markup from the search or the names: {page}");
    let href = page.split_once(r#"id="next-page" href=""#).unwrap().1.split_once('"').unwrap().0;
    let query_string = href.strip_prefix("/staff/retailer?").unwrap().replace("&amp;", "&");
    let params: Vec<(&str, &str)> = query_string.split('&').map(|kv| kv.split_once('=').unwrap()).collect();
    let names: Vec<&str> = params.iter().map(|(k, _)| *k).collect();
    assert_eq!(names, ["id", "q", "after"], "exactly the page's own parameters: {href}");
    assert!(!href.contains('#') && !href.contains('\'') && !href.contains('<'), "{href}");
    assert_eq!(params[0].1, shop.get().to_string());
    assert_eq!(params[1].1, url_encode(evil));
}

/// Passes. On the staff page an iPad user sees the same page for a retailer outside theirs
/// whether it exists (and whether the search would match there) or not.
#[tokio::test]
async fn an_ipad_user_cannot_tell_a_foreign_retailer_from_a_missing_one_on_the_page() {
    let p = portal(CookieMode::Http).await;
    let mut b = p.browser(None);
    b.act_as("ipad").await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let ipad = Staff::IpadUser {
        staff_id: StaffId::new(2),
        device_id: customer_access::DeviceId::parse("ipad-demo").unwrap(),
    };
    let mine = p.app.service.manageable_retailers(&ipad).await.unwrap();
    let all = p.app.service.manageable_retailers(&admin).await.unwrap();
    let foreign = all.iter().find(|r| !mine.iter().any(|m| m.id == r.id)).expect("a retailer the iPad user lacks");
    let missing = all.iter().map(|r| r.id.get()).max().unwrap() + 1000;
    let mut pages = Vec::new();
    for (retailer, q) in
        [(foreign.id.get(), "a"), (foreign.id.get(), "zz-nobody"), (foreign.id.get(), ""), (missing, "a")]
    {
        pages.push(retailer_page(&mut b, retailer, q, None).await);
    }
    assert!(pages.iter().all(|page| *page == pages[0]), "{pages:?}");
    assert!(!pages[0].contains(r#"id="contacts""#), "refused: {}", pages[0]);
}

// --- attack tests (attack-staff): the staff act-as state and the contact's session ---------

/// The staff act-as state never outlives a contact login or logout in the same browser, and
/// a staff flash never reaches the contact's pages.
#[tokio::test]
async fn attack_staff_act_as_does_not_survive_contact_login_or_logout() {
    let p = portal(CookieMode::Http).await;
    let mut b = p.browser(None);
    b.act_as("admin").await;
    assert!(b.get("/staff").await.body.contains("Retailers sales admin"), "acting as the admin");
    // A staff action leaves a flash for the staff page.
    let anna = p.anna().await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let corner = p.app.service.manageable_retailers(&admin).await.unwrap()[0].id;
    let done = b
        .post(
            "/staff/contact",
            &[("contact", &anna.to_string()), ("retailer", &corner.to_string()), ("action", "email"), ("value", "x")],
        )
        .await;
    assert!(done.location().starts_with("/staff/retailer"), "{done:?}");
    // The contact logs in in the same browser: neither the act-as nor the flash carries over.
    assert_eq!(b.log_in("anna.berg", ANNA).await.location(), "/");
    let home = b.get("/").await;
    assert!(!home.body.contains("Not done"), "a staff flash reached the contact's page: {:?}", home.notice());
    let staff = b.get("/staff").await;
    assert!(!staff.body.contains("Retailers sales admin"), "the act-as survived the contact's login");
    // Acting as staff inside the contact's session, then the contact logs out: gone too.
    b.act_as("admin").await;
    let out = b.post("/logout", &[]).await;
    assert!(out.status.is_redirection(), "{out:?}");
    assert!(!b.get("/staff").await.body.contains("Retailers sales admin"), "the act-as survived the logout");
}

/// Acting as staff is a gain of privilege: like a contact login, it must move the session to
/// a new id, so a session id planted in the browser before does not become a staff session.
#[tokio::test]
async fn attack_acting_as_staff_moves_the_session_to_a_new_id() {
    let p = portal(CookieMode::Http).await;
    let mut b = p.browser(None);
    b.get("/staff").await;
    b.csrf().await;
    let planted = b.cookie.clone().expect("a session before acting as staff");
    b.act_as("admin").await;
    assert_ne!(b.cookie.clone(), Some(planted.clone()), "acting as staff kept the session id: fixation");
    let mut attacker = p.browser(None);
    attacker.cookie = Some(planted);
    assert!(
        !attacker.get("/staff").await.body.contains("Retailers sales admin"),
        "the planted id became a staff session"
    );
}
