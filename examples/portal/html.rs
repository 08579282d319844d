//! The pages: plain HTML forms, every POST carrying the session's CSRF token. Every text
//! comes from the caller's [`Words`] and is escaped here.

use crate::i18n::Words;

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A whole page in language `lang` (a BCP 47 tag: screen readers pick their voice, browsers
/// their hyphenation and translation offers by it).
/// `s` percent-encoded for a URL query value (every byte but the unreserved ones).
pub(crate) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn page(lang: &str, title: &str, flash: Option<&str>, body: &str) -> String {
    let flash = flash.map(|f| format!(r#"<p class="flash" id="flash">{}</p>"#, escape(f))).unwrap_or_default();
    format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{t} - Corner Wholesale</title>
<style>body{{font-family:sans-serif;max-width:46rem;margin:2rem auto}}.flash{{background:#eef;padding:.5rem}}
.errors{{color:#a00}}label{{display:block;margin-top:.6rem}}table{{border-collapse:collapse}}td,th{{padding:.3rem .6rem;border-bottom:1px solid #ddd}}</style>
</head><body><h1>{t}</h1>{flash}{body}</body></html>"#,
        lang = escape(lang),
        t = escape(title)
    )
}

/// A page in the language of `t`, its title message `title`.
pub(crate) fn localized(t: &Words<'_>, title: &str, flash: Option<&str>, body: &str) -> String {
    page(t.locale().as_str(), &t.get(title), flash, body)
}

pub(crate) fn csrf(token: &str) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, escape(token))
}

pub(crate) fn login(t: &Words<'_>, token: &str) -> String {
    format!(
        r#"<form method="post" action="/login">{}
<label>{} <input name="username" id="username" autocomplete="username"></label>
<label>{} <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button id="submit">{}</button></form>
<p><a href="/forgot" id="forgot">{}</a> &middot; <a href="/staff">{}</a></p>"#,
        csrf(token),
        escape(&t.get("username-label")),
        escape(&t.get("password-label")),
        escape(&t.get("login-button")),
        escape(&t.get("forgot-link")),
        escape(&t.get("staff-link")),
    )
}

pub(crate) fn forgot(t: &Words<'_>, token: &str) -> String {
    format!(
        r#"<form method="post" action="/forgot">{}
<label>{} <input name="username" id="username"></label>
<button id="submit">{}</button></form>"#,
        csrf(token),
        escape(&t.get("username-label")),
        escape(&t.get("forgot-button")),
    )
}

fn list(id: &str, class: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let items: String = items.iter().map(|e| format!("<li>{}</li>", escape(e))).collect();
    format!(r#"<ul class="{class}" id="{id}">{items}</ul>"#)
}

/// The new-password field, described for screen readers by the rules list, if the page
/// shows one, and by the errors, if any.
fn new_password_field(t: &Words<'_>, rules: bool, errors: &[String]) -> String {
    let described: Vec<&str> = [(rules, "password-rules"), (!errors.is_empty(), "password-errors")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, id)| *id)
        .collect();
    let described =
        if described.is_empty() { String::new() } else { format!(r#" aria-describedby="{}""#, described.join(" ")) };
    format!(
        r#"<label>{} <input name="new_password" id="new_password" type="password" autocomplete="new-password"{described}></label>
{}"#,
        escape(&t.get("new-password-label")),
        list("password-errors", "errors", errors),
    )
}

/// After a temporary-password login: the rules, the field, and why the last try was refused.
pub(crate) fn set_password(t: &Words<'_>, token: &str, rules: &[String], errors: &[String]) -> String {
    format!(
        r#"<p>{}</p>{}
<form method="post" action="/set-password">{}
{}<button id="submit">{}</button></form>"#,
        escape(&t.get("set-password-intro")),
        list("password-rules", "rules", rules),
        csrf(token),
        new_password_field(t, !rules.is_empty(), errors),
        escape(&t.get("set-password-button")),
    )
}

/// The voluntary change form: current and new password.
pub(crate) fn change_password(t: &Words<'_>, token: &str, errors: &[String]) -> String {
    format!(
        r#"<form method="post" action="/change-password">{}
<label>{} <input name="current_password" id="current_password" type="password" autocomplete="current-password"></label>
{}<button id="submit">{}</button></form>
<p><a href="/">{}</a></p>"#,
        csrf(token),
        escape(&t.get("current-password-label")),
        new_password_field(t, false, errors),
        escape(&t.get("change-password-button")),
        escape(&t.get("back-link")),
    )
}
