//! Messages per locale, in Project Fluent's format, with English as the fallback.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use unic_langid::LanguageIdentifier;

use super::{Locale, parse_accept_language};

type Bundle = FluentBundle<FluentResource>;

/// A set of Fluent messages per locale.
///
/// Looking a message up tries the locale itself (`de-CH`), then its language (`de`), then
/// English, so a partial translation still renders. [`missing`](Self::missing) lists what a
/// locale lacks, for a start-up check.
///
/// ```
/// use customer_access::i18n::{Locale, MessageArgs, Translations};
/// let mut t = Translations::new();
/// t.add(&Locale::english(), "hello = Hello { $name }!\nbye = Bye!")?;
/// t.add(&"de".parse()?, "hello = Hallo { $name }!")?;
/// let de_ch: Locale = "de-CH".parse()?;
/// assert_eq!(t.format(&de_ch, "hello", &MessageArgs::new().text("name", "Anna")).unwrap(), "Hallo Anna!");
/// assert_eq!(t.format(&de_ch, "bye", &MessageArgs::new()).unwrap(), "Bye!");
/// assert_eq!(t.missing(&["hello", "bye"]).len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Translations {
    bundles: BTreeMap<Locale, Bundle>,
}

/// A translation that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TranslationError {
    /// The Fluent source does not parse.
    #[error("{locale}: Fluent syntax error on line {line}: {detail}")]
    Syntax {
        /// The locale it was added for.
        locale: Locale,
        /// 1-based line of the first error.
        line: usize,
        /// What the parser said.
        detail: String,
    },
    /// English, the fallback of every locale, lacks a message the application needs.
    #[error("en: message `{id}` is missing; English is every locale's fallback and must have it")]
    MissingInFallback {
        /// The message.
        id: String,
    },
    /// A message renders with errors (an unknown variable or message, a cycle) or breaks a
    /// rule of the application (see the message).
    #[error("{locale}: message `{id}`: {detail}")]
    Message {
        /// The locale.
        locale: Locale,
        /// The message.
        id: String,
        /// What is wrong.
        detail: String,
    },
}

/// A message a locale lacks (it renders in English instead).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingMessage {
    /// The locale.
    pub locale: Locale,
    /// The message.
    pub id: String,
}

impl fmt::Display for MissingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: message `{}` missing, English is used", self.locale, self.id)
    }
}

/// The arguments of one message: text and numbers by name.
#[derive(Default)]
pub struct MessageArgs<'a>(FluentArgs<'a>);

impl<'a> MessageArgs<'a> {
    /// No arguments.
    pub fn new() -> Self {
        Self(FluentArgs::new())
    }

    /// Set `$name` to a text.
    #[must_use]
    pub fn text(mut self, name: &'a str, value: impl Into<Cow<'a, str>>) -> Self {
        self.0.set(name, FluentValue::String(value.into()));
        self
    }

    /// Set `$name` to a number (plural rules and `[1]`-style variants select on it).
    #[must_use]
    pub fn number(mut self, name: &'a str, value: i64) -> Self {
        self.0.set(name, FluentValue::from(value));
        self
    }
}

impl fmt::Debug for MessageArgs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: a value may be personal data.
        f.debug_list().entries(self.0.iter().map(|(name, _)| name)).finish()
    }
}

impl Translations {
    /// No messages in any locale.
    pub fn new() -> Self {
        Self { bundles: BTreeMap::new() }
    }

    /// Add the messages of a Fluent source to `locale` (creating it): a message already there
    /// is replaced, so a deployment overrides any shipped message by adding its own.
    ///
    /// # Errors
    /// [`TranslationError::Syntax`]; the locale is then left as it was.
    pub fn add(&mut self, locale: &Locale, source: &str) -> Result<(), TranslationError> {
        let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| {
            let first = errors.first();
            TranslationError::Syntax {
                locale: locale.clone(),
                line: first.map_or(1, |e| line_of(source, e.pos.start)),
                detail: first.map_or_else(String::new, |e| e.kind.to_string()),
            }
        })?;
        let bundle = self.bundles.entry(locale.clone()).or_insert_with(|| {
            let mut bundle = Bundle::new_concurrent(vec![locale.langid()]);
            // Fluent wraps every value in Unicode isolation marks by default: invisible
            // characters that would travel with a temporary password copied from an e-mail.
            bundle.set_use_isolating(false);
            bundle
        });
        bundle.add_resource_overriding(resource);
        Ok(())
    }

    /// The locales with messages of their own.
    pub fn locales(&self) -> impl Iterator<Item = &Locale> {
        self.bundles.keys()
    }

    /// The locale whose messages `wanted` reads: itself, its language, or English.
    pub fn resolve(&self, wanted: &Locale) -> Locale {
        self.chain(wanted).next().map_or_else(Locale::english, |(locale, _)| locale.clone())
    }

    /// The best locale for a browser's `Accept-Language` header, English if none fits.
    pub fn negotiate(&self, accept_language: &str) -> Locale {
        let wanted: Vec<LanguageIdentifier> =
            parse_accept_language(accept_language).iter().map(Locale::langid).collect();
        let available: Vec<(LanguageIdentifier, &Locale)> = self.bundles.keys().map(|l| (l.langid(), l)).collect();
        let ids: Vec<LanguageIdentifier> = available.iter().map(|(id, _)| id.clone()).collect();
        let best = negotiate_languages(&wanted, &ids, None, NegotiationStrategy::Lookup);
        best.first()
            .and_then(|id| available.iter().find(|(a, _)| a == *id))
            .map_or_else(Locale::english, |(_, locale)| (*locale).clone())
    }

    /// Render message `id` for `locale` (falling back as [`Translations`] says), or `None` if
    /// no locale in the chain, English included, has it. A variable the message uses but
    /// `args` lacks renders as `{$name}`; [`check`](Self::check) finds such messages first.
    pub fn format(&self, locale: &Locale, id: &str, args: &MessageArgs<'_>) -> Option<String> {
        self.format_checked(locale, id, args).map(|(text, _)| text)
    }

    /// Like [`format`](Self::format), with the problems Fluent reported.
    fn format_checked(&self, locale: &Locale, id: &str, args: &MessageArgs<'_>) -> Option<(String, Vec<String>)> {
        let (_, bundle) = self.chain(locale).find(|(_, b)| b.has_message(id))?;
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&args.0), &mut errors).into_owned();
        Some((text, errors.iter().map(ToString::to_string).collect()))
    }

    /// The syntax tree of message `id` (or of its `attribute`) as a lookup for `locale` finds
    /// it, for checks of what a message can show.
    pub(crate) fn pattern(
        &self,
        locale: &Locale,
        id: &str,
        attribute: Option<&str>,
    ) -> Option<&fluent_syntax::ast::Pattern<&str>> {
        let (_, bundle) = self.chain(locale).find(|(_, b)| b.has_message(id))?;
        let message = bundle.get_message(id)?;
        match attribute {
            None => message.value(),
            Some(name) => message.get_attribute(name).map(|a| a.value()),
        }
    }

    /// The messages of `ids` each locale lacks (rendering in English instead).
    pub fn missing(&self, ids: &[&str]) -> Vec<MissingMessage> {
        let mut missing = Vec::new();
        for (locale, bundle) in &self.bundles {
            for id in ids {
                if bundle.get_message(id).is_none_or(|m| m.value().is_none()) {
                    missing.push(MissingMessage { locale: locale.clone(), id: (*id).to_owned() });
                }
            }
        }
        missing
    }

    /// Check `ids` in every locale, rendering each with `args`: English must have them all,
    /// and none may render with an error. Returns what other locales lack.
    ///
    /// # Errors
    /// [`TranslationError::MissingInFallback`] or [`TranslationError::Message`].
    pub fn check(&self, ids: &[&str], args: &MessageArgs<'_>) -> Result<Vec<MissingMessage>, TranslationError> {
        let english = Locale::english();
        let missing = self.missing(ids);
        let lacking = if self.bundles.contains_key(&english) {
            missing.iter().find(|m| m.locale == english).map(|m| m.id.as_str())
        } else {
            ids.first().copied()
        };
        if let Some(id) = lacking {
            return Err(TranslationError::MissingInFallback { id: id.to_owned() });
        }
        for locale in self.bundles.keys() {
            for id in ids {
                let (_, errors) = self.format_checked(locale, id, args).unwrap_or_default();
                if let Some(error) = errors.first() {
                    return Err(TranslationError::Message {
                        locale: locale.clone(),
                        id: (*id).to_owned(),
                        detail: error.clone(),
                    });
                }
            }
        }
        Ok(missing)
    }

    /// The bundles a lookup for `wanted` tries, in order.
    fn chain<'s>(&'s self, wanted: &Locale) -> impl Iterator<Item = (&'s Locale, &'s Bundle)> {
        let language = (wanted.language() != wanted.as_str()).then(|| wanted.primary());
        [Some(wanted.clone()), language, Some(Locale::english())]
            .into_iter()
            .flatten()
            .filter_map(|l| self.bundles.get_key_value(&l))
    }
}

impl Default for Translations {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Translations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Translations").field("locales", &self.bundles.keys().collect::<Vec<_>>()).finish()
    }
}

/// The 1-based line of byte `offset` in `source`.
fn line_of(source: &str, offset: usize) -> usize {
    source.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(tag: &str) -> Locale {
        tag.parse().unwrap()
    }

    fn sample() -> Translations {
        let mut t = Translations::new();
        t.add(&Locale::english(), "a = A\nb = B { $n ->\n    [one] one\n   *[other] many\n}").unwrap();
        t.add(&locale("nl"), "a = Nl-A").unwrap();
        t.add(&locale("de"), "a = De-A\nb = De-B").unwrap();
        t
    }

    #[test]
    fn lookup_falls_back_from_region_to_language_to_english() {
        let t = sample();
        let args = MessageArgs::new().number("n", 1);
        assert_eq!(t.format(&locale("nl-BE"), "a", &args).unwrap(), "Nl-A");
        assert_eq!(t.format(&locale("nl-BE"), "b", &args).unwrap(), "B one");
        assert_eq!(t.format(&locale("ja"), "a", &args).unwrap(), "A");
        assert_eq!(t.format(&locale("ja"), "zzz", &args), None);
        assert_eq!(t.resolve(&locale("de-AT")), locale("de"));
    }

    #[test]
    fn overriding_replaces_one_message_and_syntax_errors_name_the_line() {
        let mut t = sample();
        t.add(&locale("de"), "a = Anders").unwrap();
        assert_eq!(t.format(&locale("de"), "a", &MessageArgs::new()).unwrap(), "Anders");
        assert_eq!(t.format(&locale("de"), "b", &MessageArgs::new()).unwrap(), "De-B");
        let err = t.add(&locale("de"), "ok = fine\n\nbroken = { $\n").unwrap_err();
        assert!(matches!(err, TranslationError::Syntax { line: 3, .. }), "{err}");
        assert_eq!(t.format(&locale("de"), "ok", &MessageArgs::new()), None);
    }

    #[test]
    fn the_check_reports_gaps_and_refuses_broken_messages() {
        let t = sample();
        let missing = t.check(&["a", "b"], &MessageArgs::new().number("n", 2)).unwrap();
        assert_eq!(missing, [MissingMessage { locale: locale("nl"), id: "b".into() }]);
        assert!(matches!(t.check(&["c"], &MessageArgs::new()), Err(TranslationError::MissingInFallback { .. })));
        let mut broken = sample();
        broken.add(&locale("de"), "a = { $unknown }").unwrap();
        assert!(matches!(broken.check(&["a"], &MessageArgs::new()), Err(TranslationError::Message { .. })));
    }

    #[test]
    fn negotiation_follows_the_header_and_defaults_to_english() {
        let t = sample();
        assert_eq!(t.negotiate("de-CH, nl;q=0.5"), locale("de"));
        assert_eq!(t.negotiate("fr, nl;q=0.5"), locale("nl"));
        assert_eq!(t.negotiate("fr"), Locale::english());
        assert_eq!(t.negotiate(""), Locale::english());
    }

    #[test]
    fn values_are_not_wrapped_in_isolation_marks() {
        let mut t = Translations::new();
        t.add(&Locale::english(), "p = Password: { $p }").unwrap();
        assert_eq!(t.format(&Locale::english(), "p", &MessageArgs::new().text("p", "Xy7")).unwrap(), "Password: Xy7");
    }
}
