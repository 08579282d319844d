//! Locales: which language (and regional variant) a contact reads.

use std::fmt;
use std::str::FromStr;

use unic_langid::LanguageIdentifier;

/// Longest tag accepted. BCP 47 allows more, but no tag a person picks from a list is longer
/// (`sr-Latn-RS` is 10), and a stored or logged value stays small.
pub(crate) const MAX_LOCALE_LEN: usize = 35;

/// A language tag (BCP 47: `de`, `de-CH`, `pt-BR`, `sr-Latn`) in its canonical spelling.
///
/// ```
/// use customer_access::i18n::Locale;
/// let locale: Locale = "de-ch".parse()?;
/// assert_eq!(locale.as_str(), "de-CH");
/// assert_eq!(locale.language(), "de");
/// assert!("deutsch please".parse::<Locale>().is_err());
/// # Ok::<(), customer_access::i18n::LocaleError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locale(String);

/// A language tag that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocaleError {
    /// Longer than 35 characters.
    #[error("a language tag has at most {MAX_LOCALE_LEN} characters")]
    TooLong,
    /// Not a well-formed language tag.
    #[error("not a language tag such as `de` or `de-CH`")]
    Malformed,
}

impl Locale {
    /// Parse and canonicalise a tag (`EN-gb` becomes `en-GB`).
    ///
    /// # Errors
    /// [`LocaleError`] for an over-long or malformed tag; nothing else is done.
    pub fn parse(tag: &str) -> Result<Self, LocaleError> {
        if tag.len() > MAX_LOCALE_LEN {
            return Err(LocaleError::TooLong);
        }
        // unic-langid accepts `_` as a separator and the empty tag as "und"; neither is
        // what a person or a browser means.
        if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(LocaleError::Malformed);
        }
        let id: LanguageIdentifier = tag.parse().map_err(|_| LocaleError::Malformed)?;
        if id.language.is_empty() {
            return Err(LocaleError::Malformed);
        }
        // A stored or compared tag must read back as itself. unic-langid's output is not
        // always its own canonical form (found by the `preferences` fuzz target: a variant
        // that reads as a script the second time); no real tag is like that.
        let canonical = id.to_string();
        let again: Result<LanguageIdentifier, _> = canonical.parse();
        if again.map(|again| again.to_string()).as_deref() != Ok(canonical.as_str()) {
            return Err(LocaleError::Malformed);
        }
        Ok(Self(canonical))
    }

    /// English: the language every other locale falls back to.
    pub fn english() -> Self {
        Self("en".to_owned())
    }

    /// The canonical tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`de` of `de-CH`).
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// The primary language alone (`de` of `de-CH`). A subtag of a canonical tag is
    /// canonical itself, so it is not parsed again (a lookup runs this per message).
    pub(crate) fn primary(&self) -> Self {
        Self(self.language().to_owned())
    }

    /// The same tag as a Fluent language identifier.
    pub(crate) fn langid(&self) -> LanguageIdentifier {
        // Parsed successfully once, in canonical form: parses again.
        self.0.parse().unwrap_or_default()
    }
}

impl FromStr for Locale {
    type Err = LocaleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Locale({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_canonicalised_and_bad_ones_refused() {
        for (input, canonical) in [("de", "de"), ("DE-ch", "de-CH"), ("sr-latn-rs", "sr-Latn-RS"), ("nl-BE", "nl-BE")] {
            assert_eq!(Locale::parse(input).unwrap().as_str(), canonical);
        }
        // The last: unic-langid writes it as `wwwwwp-ppww-wwwyywwy`, which it reads back as
        // having the script `Ppww`.
        for bad in ["", "de_CH", "x", "de-", "-de", "de CH", "ü", "und", "de--CH", "wwwwwp-wwwyywwy-ppww"] {
            assert!(Locale::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Locale::parse(&"a".repeat(36)), Err(LocaleError::TooLong));
    }

    proptest::proptest! {
        /// `primary` skips the parser: it must give what the parser would.
        #[test]
        fn the_primary_language_is_what_parsing_it_gives(tag in "[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8}){0,3}") {
            if let Ok(locale) = Locale::parse(&tag) {
                proptest::prop_assert_eq!(Locale::parse(locale.language()), Ok(locale.primary()));
            }
        }
    }
}
