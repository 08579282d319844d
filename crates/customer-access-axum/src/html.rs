//! The crate's own pages: one small layout, labelled fields with the `autocomplete` values
//! password managers rely on, a show-password toggle and the password rules as a checklist
//! (both in `assets/access.js`, which the pages work without).

use std::time::Duration;

use crate::csrf;
use crate::templates::{ForgotPage, LoginPage, Notice, PasswordPage, StatusPage};

/// `text` safe inside HTML text and double- or single-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

type Words<'a> = &'a dyn Fn(Notice) -> String;

fn minutes(wait: Duration) -> u64 {
    wait.as_secs().div_ceil(60).max(1)
}

/// The English words of a notice.
pub(crate) fn notice_text(notice: Notice) -> String {
    match notice {
        Notice::WrongCredentials => "The username or password is wrong.".to_owned(),
        Notice::LockedOut { retry_after } => format!(
            "The username or password is wrong. Too many attempts: try again in {} minute(s).",
            minutes(retry_after)
        ),
        Notice::TemporaryExpired => {
            "That temporary password has expired. Ask for a new one with \"Forgot your password\".".to_owned()
        }
        Notice::Busy { retry_after } => {
            format!("We are busy right now. Please try again in {} second(s).", retry_after.as_secs().max(1))
        }
        Notice::SessionEnded => "You were logged out because your password was changed or reset.".to_owned(),
        Notice::LoggedOut => "You are logged out.".to_owned(),
        Notice::ChangeExpired => {
            "Setting your new password took too long. Log in with your temporary password again.".to_owned()
        }
        Notice::ResetSent => {
            "If that username exists, we have e-mailed a temporary password to its address.".to_owned()
        }
        Notice::PasswordChanged => "Your password was changed.".to_owned(),
        Notice::WrongCurrentPassword => "Your current password is wrong.".to_owned(),
        Notice::FormExpired => "This form has expired. Please go back, reload the page and try again.".to_owned(),
        Notice::TooLarge => "What you sent is too large.".to_owned(),
        Notice::Failed => "Something went wrong on our side. Please try again later.".to_owned(),
    }
}

fn layout(title: &str, assets: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/access.css">
<script src="{assets}/access.js" defer></script>
</head><body><main class="card"><h1>{title}</h1>
{body}</main></body></html>"#,
        title = escape(title),
        assets = escape(assets),
    )
}

fn notice_block(notice: Option<Notice>, words: Words<'_>) -> String {
    let Some(notice) = notice else { return String::new() };
    let kind = match notice {
        Notice::ResetSent | Notice::PasswordChanged | Notice::LoggedOut => "info",
        _ => "problem",
    };
    format!(r#"<p class="notice {kind}" id="notice" role="alert">{}</p>"#, escape(&words(notice)))
}

fn csrf_field(token: &str) -> String {
    format!(r#"<input type="hidden" name="{}" value="{}">"#, csrf::FORM_FIELD, escape(token))
}

/// A password field with its show/hide toggle (the script makes the button work; without
/// it the button stays hidden).
fn password_field(id: &str, label: &str, autocomplete: &str, described_by: &str) -> String {
    let described =
        if described_by.is_empty() { String::new() } else { format!(r#" aria-describedby="{described_by}""#) };
    format!(
        r#"<label for="{id}">{label}</label>
<div class="password"><input id="{id}" name="{id}" type="password" autocomplete="{autocomplete}" required{described}>
<button type="button" class="toggle" data-toggle="{id}" aria-controls="{id}" aria-pressed="false" hidden>Show</button></div>"#
    )
}

pub(crate) fn login(page: &LoginPage<'_>, words: Words<'_>) -> String {
    let body = format!(
        r#"{notice}<form method="post" action="{action}">{csrf}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="{username}">
{password}
<button type="submit" id="submit">Log in</button>
</form>
<p><a href="{forgot}" id="forgot">Forgot your password?</a></p>"#,
        notice = notice_block(page.notice, words),
        action = escape(page.action),
        csrf = csrf_field(page.csrf),
        username = escape(page.username),
        password = password_field("password", "Password", "current-password", ""),
        forgot = escape(page.forgot),
    );
    layout("Log in", page.assets, &body)
}

pub(crate) fn forgot(page: &ForgotPage<'_>, words: Words<'_>) -> String {
    let body = format!(
        r#"{notice}<p>Enter your username. We will e-mail a temporary password to the address we have for it.</p>
<form method="post" action="{action}">{csrf}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required>
<button type="submit" id="submit">Send a temporary password</button>
</form>
<p><a href="{login}">Back to log in</a></p>"#,
        notice = notice_block(page.notice, words),
        action = escape(page.action),
        csrf = csrf_field(page.csrf),
        login = escape(page.login),
    );
    layout("Forgot your password", page.assets, &body)
}

pub(crate) fn password(page: &PasswordPage<'_>, words: Words<'_>) -> String {
    let title = if page.current { "Change your password" } else { "Choose a new password" };
    let username = page.username.map_or_else(String::new, |u| {
        format!(
            r#"<input type="text" name="username" value="{}" autocomplete="username" hidden aria-hidden="true" tabindex="-1" readonly>"#,
            escape(u)
        )
    });
    let current = if page.current {
        password_field("current_password", "Current password", "current-password", "")
    } else {
        String::new()
    };
    let mut rules =
        format!(r#"<li data-rule="length" data-min="{0}">At least {0} characters</li>"#, page.rules.min_length);
    if page.rules.require_letter {
        rules.push_str(r#"<li data-rule="letter">At least one letter</li>"#);
    }
    if page.rules.require_digit {
        rules.push_str(r#"<li data-rule="digit">At least one number</li>"#);
    }
    let mut lines: Vec<String> = page
        .violations
        .map(|v| v.as_slice().iter().map(|v| format!("The new password {v}.")).collect())
        .unwrap_or_default();
    lines.extend(page.errors.iter().cloned());
    let errors = if lines.is_empty() {
        String::new()
    } else {
        let items: String = lines.iter().map(|e| format!("<li>{}</li>", escape(e))).collect();
        format!(r#"<ul class="errors" id="password-errors" role="alert">{items}</ul>"#)
    };
    let described = if lines.is_empty() { "rules" } else { "rules password-errors" };
    let body = format!(
        r#"{notice}{errors}<form method="post" action="{action}">{csrf}{username}
{current}
{new}
<ul class="rules" id="rules" data-for="new_password">{rules}</ul>
<button type="submit" id="submit">Save the new password</button>
</form>
<form method="post" action="{logout}" class="secondary">{csrf}<button type="submit" class="link" id="logout">Log out</button></form>"#,
        notice = notice_block(page.notice, words),
        action = escape(page.action),
        csrf = csrf_field(page.csrf),
        new = password_field("new_password", "New password", "new-password", described),
        logout = escape(page.logout),
    );
    layout(title, page.assets, &body)
}

pub(crate) fn status(page: &StatusPage, words: Words<'_>) -> String {
    let body = format!(
        r#"<p class="notice problem" id="notice" role="alert">{}</p><p><a href="{}">Back to log in</a></p>"#,
        escape(&words(page.notice)),
        escape(&page.home)
    );
    layout("Sorry", &page.assets, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::PasswordRules;

    #[test]
    fn escaping_covers_text_and_both_quotes() {
        assert_eq!(escape(r#"<a href="x" onclick='y'>&"#), "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;");
    }

    #[test]
    fn the_forced_change_form_carries_the_username_for_password_managers() {
        let rules = PasswordRules { min_length: 8, require_digit: true, require_letter: true };
        let page = PasswordPage {
            accept_language: "",
            locale: None,
            violations: None,
            action: "/set-password",
            csrf: "t",
            current: false,
            username: Some("anna<"),
            rules,
            errors: &[],
            notice: None,
            logout: "/logout",
            assets: "/assets",
        };
        let html = password(&page, &notice_text);
        assert!(html.contains(r#"value="anna&lt;" autocomplete="username""#));
        assert!(html.contains(r#"autocomplete="new-password""#));
        assert!(html.contains(r#"data-rule="digit""#) && html.contains(r#"data-min="8""#));
        assert!(!html.contains("current_password"));
    }

    #[test]
    fn locked_out_reads_like_a_wrong_password_plus_the_wait() {
        let wrong = notice_text(Notice::WrongCredentials);
        let locked = notice_text(Notice::LockedOut { retry_after: Duration::from_secs(61) });
        assert!(locked.starts_with(&wrong) && locked.contains("2 minute"));
    }
}
