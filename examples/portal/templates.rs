//! The web layer's pages (log in, "Forgot your password", set and change the password) in
//! the portal's five languages: `customer-access-axum`'s own pages, with every word taken
//! from the portal's messages. Before login in the language the browser asks for; the
//! voluntary change in the contact's own.

use std::sync::Arc;

use customer_access::policy::PasswordViolation;
use customer_access_axum::templates::{Language, Notice, Templates, Text};

use crate::i18n::{Pages, Words};
use crate::wording;

/// The portal's words for the web layer's pages.
pub(crate) struct PortalTemplates {
    pages: Arc<Pages>,
}

impl PortalTemplates {
    pub(crate) fn new(pages: Arc<Pages>) -> Self {
        Self { pages }
    }

    fn words(&self, language: Language<'_>) -> Words<'_> {
        match language.locale {
            Some(locale) => self.pages.words(locale),
            None => self.pages.for_accept_language(language.accept_language),
        }
    }
}

impl Templates for PortalTemplates {
    fn lang(&self, language: Language<'_>) -> String {
        self.words(language).locale().to_string()
    }

    fn text(&self, text: Text, language: Language<'_>) -> String {
        let t = self.words(language);
        let id = match text {
            Text::LoginTitle => "login-title",
            Text::UsernameLabel => "username-label",
            Text::PasswordLabel => "password-label",
            Text::LoginButton => "login-button",
            Text::ForgotLink => "forgot-link",
            Text::ForgotTitle => "forgot-title",
            Text::ForgotButton => "forgot-button",
            Text::BackToLogin => "back-link",
            Text::SetPasswordTitle => "set-password-title",
            Text::SetPasswordIntro => "set-password-intro",
            Text::ChangePasswordTitle => "change-password-title",
            Text::CurrentPasswordLabel => "current-password-label",
            Text::NewPasswordLabel => "new-password-label",
            Text::SavePasswordButton => "set-password-button",
            Text::LogoutButton => "logout-button",
            Text::ShowPassword => "show-password",
            Text::HidePassword => "hide-password",
            Text::RuleLength(min) => return wording::min_length_rule(&t, min),
            Text::RuleLetter => "rule-letter",
            Text::RuleDigit => "rule-digit",
            Text::StatusTitle(Notice::Busy { .. }) => "busy-title",
            Text::StatusTitle(Notice::FormExpired) => "forbidden-title",
            Text::StatusTitle(_) => "problem-title",
            // The field's label says it all; a text added to the layer later shows nothing
            // rather than English in a German page.
            _ => return String::new(),
        };
        t.get(id)
    }

    fn notice(&self, notice: Notice, language: Language<'_>) -> String {
        let t = self.words(language);
        let id = match notice {
            Notice::WrongCredentials => "invalid-login",
            // The same words as a wrong password, plus the wait.
            Notice::LockedOut { retry_after } => {
                return format!("{} {}", t.get("invalid-login"), wording::locked_out(&t, retry_after));
            }
            Notice::TemporaryExpired => "temporary-password-expired",
            Notice::Busy { .. } => "busy",
            Notice::SessionEnded => "signed-out-login-changed",
            Notice::LoggedOut => "logged-out",
            Notice::ChangeExpired => "step-expired",
            Notice::ResetSent => "forgot-answer",
            Notice::PasswordChanged => "password-changed",
            Notice::WrongCurrentPassword => "current-password-wrong",
            Notice::FormExpired => "forbidden-body",
            Notice::TooLarge => "too-large",
            _ => "something-went-wrong",
        };
        t.get(id)
    }

    fn violation(&self, violation: &PasswordViolation, language: Language<'_>) -> String {
        wording::violation(&self.words(language), violation)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use std::time::Duration;

    use customer_access::i18n::Locale;

    use super::*;

    #[test]
    fn the_layers_pages_speak_the_readers_language() {
        let templates = PortalTemplates::new(Arc::new(Pages::shipped().unwrap()));
        let german = Language::new("de-CH, en;q=0.5", None);
        assert_eq!(templates.lang(german), "de");
        assert_eq!(templates.text(Text::ShowPassword, german), "Anzeigen");
        let locked = templates.notice(Notice::LockedOut { retry_after: Duration::from_secs(120) }, german);
        assert!(locked.starts_with(&templates.notice(Notice::WrongCredentials, german)), "{locked}");
        assert!(locked.contains("2 Minuten"), "{locked}");
        // A logged-in contact's own language wins over the browser's.
        let dutch = Locale::parse("nl").unwrap();
        assert_eq!(templates.text(Text::LogoutButton, Language::new("de", Some(&dutch))), "Uitloggen");
    }
}
