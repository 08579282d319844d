//! The crate's own pages: one small layout, labelled fields with the `autocomplete` values
//! password managers rely on, a show-password toggle and the password rules as a checklist
//! (both in `assets/access.js`, which the pages work without). Every word comes from the
//! [`Templates`] hooks, so an application can have these pages in its own languages.

use std::time::Duration;

use customer_access::policy::PasswordViolation;

use crate::csrf;
use crate::templates::{ForgotPage, Language, LoginPage, Notice, PasswordPage, StatusPage, Templates, Text};

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

/// The words of one page: a template's hooks, for one reader.
pub(crate) struct Words<'a, T: ?Sized> {
    templates: &'a T,
    language: Language<'a>,
}

impl<'a, T: Templates + ?Sized> Words<'a, T> {
    pub(crate) fn new(templates: &'a T, language: Language<'a>) -> Self {
        Self { templates, language }
    }

    /// Text `t`, escaped for HTML.
    fn t(&self, text: Text) -> String {
        escape(&self.templates.text(text, self.language))
    }

    fn notice(&self, notice: Notice) -> String {
        escape(&self.templates.notice(notice, self.language))
    }

    fn violation(&self, violation: &PasswordViolation) -> String {
        escape(&self.templates.violation(violation, self.language))
    }

    fn lang(&self) -> String {
        escape(&self.templates.lang(self.language))
    }
}

fn minutes(wait: Duration) -> u64 {
    wait.as_secs().div_ceil(60).max(1)
}

/// The English words of a text.
pub(crate) fn english_text(text: Text) -> String {
    match text {
        Text::LoginTitle | Text::LoginButton => "Log in",
        Text::UsernameLabel => "Username",
        Text::PasswordLabel => "Password",
        Text::ForgotLink => "Forgot your password?",
        Text::ForgotTitle => "Forgot your password",
        Text::ForgotIntro => "Enter your username. We will e-mail a temporary password to the address we have for it.",
        Text::ForgotButton => "Send a temporary password",
        Text::BackToLogin => "Back to log in",
        Text::SetPasswordTitle => "Choose a new password",
        Text::SetPasswordIntro => "You logged in with a temporary password. Choose your own now.",
        Text::ChangePasswordTitle => "Change your password",
        Text::CurrentPasswordLabel => "Current password",
        Text::NewPasswordLabel => "New password",
        Text::SavePasswordButton => "Save the new password",
        Text::LogoutButton => "Log out",
        Text::ShowPassword => "Show",
        Text::HidePassword => "Hide",
        Text::RuleLength(n) => return format!("At least {n} characters"),
        Text::RuleLetter => "At least one letter",
        Text::RuleDigit => "At least one number",
        Text::StatusTitle(Notice::Busy { .. }) => "Busy",
        Text::StatusTitle(_) => "Sorry",
    }
    .to_owned()
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

fn layout<T: Templates + ?Sized>(w: &Words<'_, T>, title: Text, assets: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/access.css">
<script src="{assets}/access.js" defer></script>
</head><body><main class="card"><h1>{title}</h1>
{body}</main></body></html>"#,
        lang = w.lang(),
        title = w.t(title),
        assets = escape(assets),
    )
}

fn notice_block<T: Templates + ?Sized>(w: &Words<'_, T>, notice: Option<Notice>) -> String {
    let Some(notice) = notice else { return String::new() };
    let kind = match notice {
        Notice::ResetSent | Notice::PasswordChanged | Notice::LoggedOut => "info",
        _ => "problem",
    };
    format!(r#"<p class="notice {kind}" id="notice" role="alert">{}</p>"#, w.notice(notice))
}

/// A paragraph, or nothing for an empty text.
fn paragraph<T: Templates + ?Sized>(w: &Words<'_, T>, text: Text) -> String {
    let words = w.t(text);
    if words.is_empty() { String::new() } else { format!("<p>{words}</p>") }
}

fn csrf_field(token: &str) -> String {
    format!(r#"<input type="hidden" name="{}" value="{}">"#, csrf::FORM_FIELD, escape(token))
}

/// A password field with its show/hide toggle (the script makes the button work and shows
/// it; without the script it stays hidden).
fn password_field<T: Templates + ?Sized>(
    w: &Words<'_, T>,
    id: &str,
    label: Text,
    autocomplete: &str,
    described_by: &str,
) -> String {
    let described =
        if described_by.is_empty() { String::new() } else { format!(r#" aria-describedby="{described_by}""#) };
    let (show, hide) = (w.t(Text::ShowPassword), w.t(Text::HidePassword));
    format!(
        r#"<label for="{id}">{label}</label>
<div class="password"><input id="{id}" name="{id}" type="password" autocomplete="{autocomplete}" required{described}>
<button type="button" class="toggle" data-toggle="{id}" data-show="{show}" data-hide="{hide}" aria-controls="{id}" aria-pressed="false" hidden>{show}</button></div>"#,
        label = w.t(label),
    )
}

pub(crate) fn login<T: Templates + ?Sized>(page: &LoginPage<'_>, w: &Words<'_, T>) -> String {
    let body = format!(
        r#"{notice}<form method="post" action="{action}">{csrf}
<label for="username">{username_label}</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="{username}">
{password}
<button type="submit" id="submit">{button}</button>
</form>
<p><a href="{forgot}" id="forgot">{forgot_link}</a></p>"#,
        notice = notice_block(w, page.notice),
        action = escape(page.action),
        csrf = csrf_field(page.csrf),
        username_label = w.t(Text::UsernameLabel),
        username = escape(page.username),
        password = password_field(w, "password", Text::PasswordLabel, "current-password", ""),
        button = w.t(Text::LoginButton),
        forgot = escape(page.forgot),
        forgot_link = w.t(Text::ForgotLink),
    );
    layout(w, Text::LoginTitle, page.assets, &body)
}

pub(crate) fn forgot<T: Templates + ?Sized>(page: &ForgotPage<'_>, w: &Words<'_, T>) -> String {
    let body = format!(
        r#"{notice}{intro}
<form method="post" action="{action}">{csrf}
<label for="username">{username_label}</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required>
<button type="submit" id="submit">{button}</button>
</form>
<p><a href="{login}" id="back">{back}</a></p>"#,
        notice = notice_block(w, page.notice),
        intro = paragraph(w, Text::ForgotIntro),
        action = escape(page.action),
        csrf = csrf_field(page.csrf),
        username_label = w.t(Text::UsernameLabel),
        button = w.t(Text::ForgotButton),
        login = escape(page.login),
        back = w.t(Text::BackToLogin),
    );
    layout(w, Text::ForgotTitle, page.assets, &body)
}

pub(crate) fn password<T: Templates + ?Sized>(page: &PasswordPage<'_>, w: &Words<'_, T>) -> String {
    let title = if page.current { Text::ChangePasswordTitle } else { Text::SetPasswordTitle };
    let intro = if page.current { String::new() } else { paragraph(w, Text::SetPasswordIntro) };
    let username = page.username.map_or_else(String::new, |u| {
        format!(
            r#"<input type="text" name="username" value="{}" autocomplete="username" hidden aria-hidden="true" tabindex="-1" readonly>"#,
            escape(u)
        )
    });
    let current = if page.current {
        password_field(w, "current_password", Text::CurrentPasswordLabel, "current-password", "")
    } else {
        String::new()
    };
    let mut rules = format!(
        r#"<li data-rule="length" data-min="{}">{}</li>"#,
        page.rules.min_length,
        w.t(Text::RuleLength(page.rules.min_length))
    );
    if page.rules.require_letter {
        rules.push_str(&format!(r#"<li data-rule="letter">{}</li>"#, w.t(Text::RuleLetter)));
    }
    if page.rules.require_digit {
        rules.push_str(&format!(r#"<li data-rule="digit">{}</li>"#, w.t(Text::RuleDigit)));
    }
    let mut lines: Vec<String> =
        page.violations.map(|v| v.as_slice().iter().map(|v| w.violation(v)).collect()).unwrap_or_default();
    lines.extend(page.errors.iter().map(|e| escape(e)));
    let errors = if lines.is_empty() {
        String::new()
    } else {
        let items: String = lines.iter().map(|e| format!("<li>{e}</li>")).collect();
        // The alert role on a wrapper: on the list itself it would hide the list's items
        // from screen readers as a list.
        format!(r#"<div role="alert"><ul class="errors" id="password-errors">{items}</ul></div>"#)
    };
    let described = if lines.is_empty() { "password-rules" } else { "password-rules password-errors" };
    let body = format!(
        r#"{notice}{intro}{errors}<form method="post" action="{action}">{csrf}{username}
{current}
{new}
<ul class="rules" id="password-rules" data-for="new_password">{rules}</ul>
<button type="submit" id="submit">{button}</button>
</form>
<form method="post" action="{logout}" class="secondary">{csrf}<button type="submit" class="link" id="logout">{logout_button}</button></form>"#,
        notice = notice_block(w, page.notice),
        action = escape(page.action),
        csrf = csrf_field(page.csrf),
        new = password_field(w, "new_password", Text::NewPasswordLabel, "new-password", described),
        button = w.t(Text::SavePasswordButton),
        logout = escape(page.logout),
        logout_button = w.t(Text::LogoutButton),
    );
    layout(w, title, page.assets, &body)
}

pub(crate) fn status<T: Templates + ?Sized>(page: &StatusPage, w: &Words<'_, T>) -> String {
    let body = format!(
        r#"<p class="notice problem" id="notice" role="alert">{}</p><p><a href="{}">{}</a></p>"#,
        w.notice(page.notice),
        escape(&page.home),
        w.t(Text::BackToLogin),
    );
    layout(w, Text::StatusTitle(page.notice), &page.assets, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::{DefaultTemplates, PasswordRules};

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
        let html = DefaultTemplates.password(&page);
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

    /// Templates that override only the words get the crate's pages in their language.
    #[test]
    fn the_words_can_be_replaced_without_the_pages() {
        struct Shouting;
        impl Templates for Shouting {
            fn lang(&self, _: Language<'_>) -> String {
                "x-shout".into()
            }
            fn text(&self, text: Text, _: Language<'_>) -> String {
                english_text(text).to_uppercase()
            }
        }
        let page = LoginPage {
            accept_language: "",
            action: "/login",
            csrf: "t",
            username: "",
            notice: Some(Notice::WrongCredentials),
            forgot: "/forgot",
            assets: "/assets",
        };
        let html = Shouting.login(&page);
        assert!(html.contains(r#"<html lang="x-shout">"#) && html.contains(">LOG IN</button>"), "{html}");
        assert!(html.contains("The username or password is wrong."), "notices keep their default");
    }
}
