//! The portal's own pages (the account page, the staff pages): plain HTML forms, every POST
//! carrying the session's CSRF token, in the web layer's style sheet. Every text comes from
//! the caller's [`Words`] and is escaped here. The login and password pages are the web
//! layer's (`templates.rs` gives them the portal's words).

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
    let flash = flash
        .map(|f| format!(r#"<p class="notice info" id="flash" role="status">{}</p>"#, escape(f)))
        .unwrap_or_default();
    format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{t} - Corner Wholesale</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/access.css">
</head><body><main class="card wide"><h1>{t}</h1>{flash}{body}</main></body></html>"#,
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
