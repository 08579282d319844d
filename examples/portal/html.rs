//! The pages: plain HTML forms, every POST carrying the session's CSRF token.

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub(crate) fn page(title: &str, flash: Option<&str>, body: &str) -> String {
    let flash = flash.map(|f| format!(r#"<p class="flash" id="flash">{}</p>"#, escape(f))).unwrap_or_default();
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>{t} - Corner Wholesale</title>
<style>body{{font-family:sans-serif;max-width:46rem;margin:2rem auto}}.flash{{background:#eef;padding:.5rem}}
.errors{{color:#a00}}label{{display:block;margin-top:.6rem}}table{{border-collapse:collapse}}td,th{{padding:.3rem .6rem;border-bottom:1px solid #ddd}}</style>
</head><body><h1>{t}</h1>{flash}{body}</body></html>"#,
        t = escape(title)
    )
}

pub(crate) fn csrf(token: &str) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, escape(token))
}

pub(crate) fn login(token: &str) -> String {
    format!(
        r#"<form method="post" action="/login">{}
<label>Username <input name="username" id="username" autocomplete="username"></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button id="submit">Log in</button></form>
<p><a href="/forgot" id="forgot">Forgot your password?</a> &middot; <a href="/staff">Staff</a></p>"#,
        csrf(token)
    )
}

pub(crate) fn forgot(token: &str) -> String {
    format!(
        r#"<form method="post" action="/forgot">{}
<label>Username <input name="username" id="username"></label>
<button id="submit">Send me a temporary password</button></form>"#,
        csrf(token)
    )
}

/// One line per rule a refused password breaks, all at once.
pub(crate) fn violations(v: &customer_access::policy::PasswordViolations) -> Vec<String> {
    v.as_slice().iter().map(|v| format!("The password {v}.")).collect()
}

fn errors_list(errors: &[String]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let items: String = errors.iter().map(|e| format!("<li>{}</li>", escape(e))).collect();
    format!(r#"<ul class="errors" id="password-errors">{items}</ul>"#)
}

pub(crate) fn set_password(token: &str, errors: &[String]) -> String {
    let errors = errors_list(errors);
    format!(
        r#"<p>You logged in with a temporary password. Choose your own now: at least 8 characters,
with at least 1 number and 1 letter.</p>
<form method="post" action="/set-password">{}
<label>New password <input name="new_password" id="new_password" type="password" autocomplete="new-password"></label>
{errors}<button id="submit">Set password</button></form>"#,
        csrf(token)
    )
}

/// The voluntary change form: current and new password.
pub(crate) fn change_password(token: &str, errors: &[String]) -> String {
    let errors = errors_list(errors);
    format!(
        r#"<form method="post" action="/change-password">{}
<label>Current password <input name="current_password" id="current_password" type="password" autocomplete="current-password"></label>
<label>New password <input name="new_password" id="new_password" type="password" autocomplete="new-password"></label>
{errors}<button id="submit">Change password</button></form>
<p><a href="/">Back</a></p>"#,
        csrf(token)
    )
}
