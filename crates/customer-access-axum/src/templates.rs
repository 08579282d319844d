//! The pages, as overridable templates: implement [`Templates`] on your own type, override
//! the pages you want to change (each method has the crate's page as its default), and pass
//! it to [`CustomerAccessBuilder::templates`](crate::CustomerAccessBuilder::templates).
//!
//! Whatever a template writes, the routes keep the rules: the form fields' names, the CSRF
//! field, `POST` to the given action. Every value in a view is untrusted text except the
//! paths: escape it (the default templates use [`escape`]).
//!
//! ```
//! use customer_access_axum::templates::{DefaultTemplates, LoginPage, Templates, escape};
//!
//! /// The crate's pages, with the shop's own login page.
//! struct ShopTemplates;
//!
//! impl Templates for ShopTemplates {
//!     fn login(&self, page: &LoginPage<'_>) -> String {
//!         // Our header around the crate's login form.
//!         format!("<header>Corner Wholesale</header>{}", DefaultTemplates.login(page))
//!     }
//! }
//! assert_eq!(escape("<b>"), "&lt;b&gt;");
//! ```

use std::time::Duration;

use customer_access::i18n::Locale;
use customer_access::policy::{PasswordViolation, PasswordViolations};

pub use crate::html::escape;

/// A message shown on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// Wrong username or password (also: unknown username, disabled login).
    WrongCredentials,
    /// Too many failed attempts: the same words as a wrong password, plus the wait.
    LockedOut {
        /// How long to wait.
        retry_after: Duration,
    },
    /// The temporary password expired recently: ask for a new one.
    TemporaryExpired,
    /// The service is saturated: try again in a moment (the form is kept).
    Busy {
        /// How long to wait.
        retry_after: Duration,
    },
    /// The session ended because the password changed elsewhere, or it was reset or revoked.
    SessionEnded,
    /// Logged out.
    LoggedOut,
    /// The forced-change step expired or was used; log in with the temporary password again.
    ChangeExpired,
    /// "If that username exists, we have e-mailed a temporary password."
    ResetSent,
    /// The password was changed.
    PasswordChanged,
    /// The current password given to change it was wrong.
    WrongCurrentPassword,
    /// The form was posted without its token, or from an old page.
    FormExpired,
    /// The request body was too large.
    TooLarge,
    /// Something failed on the server.
    Failed,
}

/// The password rules the new-password forms show as a checklist (checked again on the
/// server, whatever the page says).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordRules {
    /// At least this many characters.
    pub min_length: usize,
    /// At least one digit.
    pub require_digit: bool,
    /// At least one letter.
    pub require_letter: bool,
}

/// The login page.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoginPage<'a> {
    /// The request's `Accept-Language` header (empty if none), for templates that speak
    /// several languages.
    pub accept_language: &'a str,
    /// Where the form posts (fields `username`, `password`, `csrf`).
    pub action: &'a str,
    /// The CSRF token.
    pub csrf: &'a str,
    /// The username as typed, kept after a failed attempt.
    pub username: &'a str,
    /// What to tell the person.
    pub notice: Option<Notice>,
    /// The "Forgot your password" page.
    pub forgot: &'a str,
    /// The assets route (`{assets}/access.css`, `{assets}/access.js`).
    pub assets: &'a str,
}

/// "Forgot your password".
#[derive(Debug)]
#[non_exhaustive]
pub struct ForgotPage<'a> {
    /// The request's `Accept-Language` header (empty if none), for templates that speak
    /// several languages.
    pub accept_language: &'a str,
    /// Where the form posts (fields `username`, `csrf`).
    pub action: &'a str,
    /// The CSRF token.
    pub csrf: &'a str,
    /// What to tell the person.
    pub notice: Option<Notice>,
    /// The login page.
    pub login: &'a str,
    /// The assets route.
    pub assets: &'a str,
}

/// A new-password form: the forced change (`current` false) or a voluntary change.
#[derive(Debug)]
#[non_exhaustive]
pub struct PasswordPage<'a> {
    /// The request's `Accept-Language` header (empty if none), for templates that speak
    /// several languages.
    pub accept_language: &'a str,
    /// The logged-in contact's own language (their preference, else their retailer's, else
    /// the service's default) on the voluntary change; `None` before login.
    pub locale: Option<&'a Locale>,
    /// Where the form posts (fields `new_password`, `csrf`, and `current_password` when
    /// `current`).
    pub action: &'a str,
    /// The CSRF token.
    pub csrf: &'a str,
    /// Ask for the current password too (voluntary change).
    pub current: bool,
    /// The username, for a hidden `autocomplete="username"` field: password managers save
    /// the new password under it.
    pub username: Option<&'a str>,
    /// The rules, for the live checklist.
    pub rules: PasswordRules,
    /// The rules the last try broke, if the password was refused.
    pub violations: Option<&'a PasswordViolations>,
    /// Other reasons the last try was refused, one line each.
    pub errors: &'a [String],
    /// What to tell the person.
    pub notice: Option<Notice>,
    /// Where "log out" posts.
    pub logout: &'a str,
    /// The assets route.
    pub assets: &'a str,
}

/// A page answering a refused or failed request (form expired, too large, busy, failed).
#[derive(Debug)]
#[non_exhaustive]
pub struct StatusPage {
    /// The request's `Accept-Language` header (empty if none).
    pub accept_language: String,
    /// What happened.
    pub notice: Notice,
    /// A link back (the login page).
    pub home: String,
    /// The assets route.
    pub assets: String,
}

/// Whom a page is for: what their browser asks for and, once logged in, their own language.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Language<'a> {
    /// The request's `Accept-Language` header (empty if none).
    pub accept_language: &'a str,
    /// The logged-in contact's own language, when the page knows it.
    pub locale: Option<&'a Locale>,
}

impl<'a> Language<'a> {
    /// For a reader whose browser sent `accept_language` and whose own language is `locale`.
    pub fn new(accept_language: &'a str, locale: Option<&'a Locale>) -> Self {
        Self { accept_language, locale }
    }
}

/// A fixed text of the default pages (labels, buttons, titles), for [`Templates::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Text {
    /// The login page's title.
    LoginTitle,
    /// "Username".
    UsernameLabel,
    /// "Password".
    PasswordLabel,
    /// The login button.
    LoginButton,
    /// The link to "Forgot your password".
    ForgotLink,
    /// The "Forgot your password" page's title.
    ForgotTitle,
    /// What the "Forgot your password" page asks for (empty: no paragraph).
    ForgotIntro,
    /// Its button.
    ForgotButton,
    /// A link back to the login page.
    BackToLogin,
    /// The forced change's title.
    SetPasswordTitle,
    /// Why the forced change is asked for (empty: no paragraph).
    SetPasswordIntro,
    /// The voluntary change's title.
    ChangePasswordTitle,
    /// "Current password".
    CurrentPasswordLabel,
    /// "New password".
    NewPasswordLabel,
    /// The new-password forms' button.
    SavePasswordButton,
    /// "Log out".
    LogoutButton,
    /// The show-password toggle, while the password is hidden.
    ShowPassword,
    /// The show-password toggle, while the password is shown.
    HidePassword,
    /// The rule "at least `n` characters".
    RuleLength(usize),
    /// The rule "at least one letter".
    RuleLetter,
    /// The rule "at least one number".
    RuleDigit,
    /// The title of a page answering a refused or failed request.
    StatusTitle(Notice),
}

/// The pages of the crate's routes. Every method has a default: override whole pages, or
/// only the words (`lang`, `text`, `notice`, `violation`) to have the crate's pages in
/// your languages.
pub trait Templates: Send + Sync + 'static {
    /// The login page.
    fn login(&self, page: &LoginPage<'_>) -> String {
        crate::html::login(page, &crate::html::Words::new(self, Language::new(page.accept_language, None)))
    }

    /// "Forgot your password".
    fn forgot(&self, page: &ForgotPage<'_>) -> String {
        crate::html::forgot(page, &crate::html::Words::new(self, Language::new(page.accept_language, None)))
    }

    /// The forced change and the voluntary change.
    fn password(&self, page: &PasswordPage<'_>) -> String {
        crate::html::password(page, &crate::html::Words::new(self, Language::new(page.accept_language, page.locale)))
    }

    /// A refused or failed request.
    fn status(&self, page: &StatusPage) -> String {
        crate::html::status(page, &crate::html::Words::new(self, Language::new(&page.accept_language, None)))
    }

    /// The `lang` attribute of a page for `language` (default `en`).
    fn lang(&self, language: Language<'_>) -> String {
        let _ = language;
        "en".to_owned()
    }

    /// A fixed text of the default pages, for `language` (default English).
    fn text(&self, text: Text, language: Language<'_>) -> String {
        let _ = language;
        crate::html::english_text(text)
    }

    /// The words of a notice, for `language` (default English).
    fn notice(&self, notice: Notice, language: Language<'_>) -> String {
        let _ = language;
        crate::html::notice_text(notice)
    }

    /// One rule a refused password breaks, for `language` (default the policy's English).
    fn violation(&self, violation: &PasswordViolation, language: Language<'_>) -> String {
        let _ = language;
        format!("The new password {violation}.")
    }
}

/// The crate's own pages.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultTemplates;

impl Templates for DefaultTemplates {}
