//! The words of the pages a contact sees, in English, German, French, Spanish and Dutch:
//! Fluent files in `locales/<tag>/pages.ftl`, compiled in, with English as every locale's
//! fallback (a message a locale lacks shows in English rather than not at all).
//!
//! Which language a request gets is decided by the handlers: before login the browser's
//! `Accept-Language` ([`Pages::for_browser`]), since there is no contact yet to ask; after
//! login the contact's own preferences (`contact_words` in main.rs), so a contact on a shared
//! or borrowed browser still reads their language. Staff pages stay English (see staff.rs).

use axum::http::{HeaderMap, header};
use customer_access::i18n::{Locale, MessageArgs, MissingMessage, TranslationError, Translations};

/// The shipped files, by locale tag.
const SHIPPED: [(&str, &str); 5] = [
    ("en", include_str!("locales/en/pages.ftl")),
    ("de", include_str!("locales/de/pages.ftl")),
    ("fr", include_str!("locales/fr/pages.ftl")),
    ("es", include_str!("locales/es/pages.ftl")),
    ("nl", include_str!("locales/nl/pages.ftl")),
];

/// Every message id the pages use. The start-up check holds the files to this list, and in
/// debug builds [`Words`] refuses an id missing from it, so the list cannot silently fall
/// behind the code.
pub(crate) const MESSAGE_IDS: &[&str] = &[
    "language-name",
    "username-label",
    "password-label",
    "new-password-label",
    "back-link",
    "busy",
    "busy-title",
    "still-working-title",
    "still-working",
    "something-went-wrong",
    "forbidden-title",
    "forbidden-body",
    "locked-out-minutes",
    "locked-out-seconds",
    "login-title",
    "login-button",
    "forgot-link",
    "staff-link",
    "invalid-login",
    "temporary-password-expired",
    "signed-out-login-changed",
    "step-expired",
    "forgot-title",
    "forgot-button",
    "forgot-answer",
    "set-password-title",
    "set-password-intro",
    "set-password-button",
    "change-password-title",
    "current-password-label",
    "change-password-button",
    "current-password-wrong",
    "password-changed",
    "rule-min-length",
    "rule-digit",
    "rule-letter",
    "password-too-short",
    "password-too-long",
    "password-missing-digit",
    "password-missing-letter",
    "password-control-character",
    "password-same-as-username",
    "password-same-as-temporary",
    "password-common",
    "password-rejected",
    "home-title",
    "welcome",
    "change-password-link",
    "logout-button",
    "preferences-heading",
    "language-label",
    "time-zone-label",
    "time-zone-hint",
    "preferences-button",
    "preferences-saved",
    "show-password",
    "hide-password",
    "problem-title",
    "logged-out",
    "too-large",
    "preferences-bad-locale",
    "preferences-bad-time-zone",
];

/// Numbers the check renders every message with: each plural category of the five
/// languages (`one`, `other`, and 0, which French counts as `one`) and a large one.
const SAMPLE_NUMBERS: [i64; 5] = [0, 1, 2, 5, 1_000_000];

/// The arguments any message may use, with `n` for every number.
fn sample_args(n: i64) -> MessageArgs<'static> {
    let args = MessageArgs::new().text("name", "Anna Berg");
    ["min", "actual", "max", "minutes", "seconds"].into_iter().fold(args, |args, name| args.number(name, n))
}

/// The pages' messages in every shipped locale.
#[derive(Debug)]
pub(crate) struct Pages {
    translations: Translations,
}

impl Pages {
    /// The shipped files.
    ///
    /// # Errors
    /// A file that does not parse, with its line.
    pub(crate) fn shipped() -> Result<Self, TranslationError> {
        let mut translations = Translations::new();
        for (tag, source) in SHIPPED {
            let locale = Locale::parse(tag).unwrap_or_else(|_| Locale::english());
            translations.add(&locale, source)?;
        }
        Ok(Self { translations })
    }

    /// The start-up check: English has every message in [`MESSAGE_IDS`] and none renders
    /// with an error (an unknown variable, say) in any locale, whatever the numbers. Returns
    /// what other locales lack, which then shows in English.
    ///
    /// # Errors
    /// The first message English lacks or that renders with an error.
    pub(crate) fn check(&self) -> Result<Vec<MissingMessage>, TranslationError> {
        for n in SAMPLE_NUMBERS {
            self.translations.check(MESSAGE_IDS, &sample_args(n))?;
        }
        Ok(self.translations.missing(MESSAGE_IDS))
    }

    /// The locales with pages of their own.
    pub(crate) fn locales(&self) -> impl Iterator<Item = &Locale> {
        self.translations.locales()
    }

    /// The words for the language the browser asks for, English if none fits.
    pub(crate) fn for_browser(&self, headers: &HeaderMap) -> Words<'_> {
        let header = headers.get(header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).unwrap_or("");
        self.for_accept_language(header)
    }

    /// The words for an `Accept-Language` header's value, English if none fits.
    pub(crate) fn for_accept_language(&self, header: &str) -> Words<'_> {
        self.words(&self.translations.negotiate(header))
    }

    /// The words for `locale` (or its language, or English).
    pub(crate) fn words(&self, locale: &Locale) -> Words<'_> {
        Words { translations: &self.translations, locale: self.translations.resolve(locale) }
    }

    /// The words in English, for the staff pages.
    pub(crate) fn english(&self) -> Words<'_> {
        self.words(&Locale::english())
    }
}

/// The messages of one request, in one locale.
#[derive(Debug)]
pub(crate) struct Words<'a> {
    translations: &'a Translations,
    locale: Locale,
}

impl Words<'_> {
    /// The locale the words are in, for `<html lang>`.
    pub(crate) fn locale(&self) -> &Locale {
        &self.locale
    }

    /// Message `id` without arguments, as plain text (not yet escaped for HTML).
    pub(crate) fn get(&self, id: &str) -> String {
        self.with(id, &MessageArgs::new())
    }

    /// Message `id` with `args`, as plain text (not yet escaped for HTML). The start-up
    /// check makes sure English has it; should it still be missing, the id itself shows,
    /// which is visible and harmless.
    pub(crate) fn with(&self, id: &str, args: &MessageArgs<'_>) -> String {
        debug_assert!(MESSAGE_IDS.contains(&id), "message `{id}` is not in MESSAGE_IDS");
        self.translations.format(&self.locale, id, args).unwrap_or_else(|| id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn every_locale_has_every_message_and_each_renders_cleanly() {
        let pages = Pages::shipped().unwrap();
        let tags: Vec<&str> = pages.locales().map(Locale::as_str).collect();
        assert_eq!(tags, ["de", "en", "es", "fr", "nl"]);
        assert_eq!(pages.check().unwrap(), []);
        for locale in pages.locales() {
            let words = pages.words(locale);
            for n in SAMPLE_NUMBERS {
                for id in MESSAGE_IDS {
                    let text = words.with(id, &sample_args(n));
                    assert!(!text.trim().is_empty() && !text.contains('{'), "{locale} {id}: {text:?}");
                }
            }
        }
    }

    #[test]
    fn each_language_is_named_in_itself() {
        let pages = Pages::shipped().unwrap();
        let names: Vec<String> = pages.locales().map(|l| pages.words(l).get("language-name")).collect();
        assert_eq!(names, ["Deutsch", "English", "Español", "Français", "Nederlands"]);
    }
}
