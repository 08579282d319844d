//! Normalisation of passwords and usernames.
//!
//! - A **password** is compared and counted after NFKC, so the same password typed on a
//!   keyboard that sends composed `é` and on one that sends `e` + U+0301 is the same password,
//!   and a fullwidth `８` counts as the digit `8`.
//! - A **username** is matched after [`fold_username`] (NFKC, full Unicode case folding,
//!   NFKC again), and must then consist only of the characters listed on [`UsernameRules`].
//!   Core stores and looks up usernames through [`UsernameRules::canonicalize`], so writes and
//!   lookups can never disagree.

use std::fmt;

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::wipe::collect_secret;

/// The NFKC form of a password: the form in which it is counted, checked and hashed.
///
/// It is a secret like the password, so it comes wiped-on-drop, and is built without
/// leaving a partial copy in freed memory.
pub fn normalize_password(password: &str) -> Zeroizing<String> {
    collect_secret(password.nfkc(), password.len())
}

/// Compatibility caseless form of a username: NFKC, then Unicode full case folding, then NFKC.
///
/// Total (never fails) and idempotent: `fold_username(&fold_username(x)) == fold_username(x)`.
/// It maps `Ｊｏｈｎ` (fullwidth), `ᴶohn` (modifier letter), `JOHN` and `john` to `john`, and
/// U+212A KELVIN SIGN to `k`. It does **not** map the Turkish dotless `ı` to `i` (Unicode case
/// folding keeps them apart); [`UsernameRules::canonicalize`] refuses such characters instead.
pub fn fold_username(username: &str) -> String {
    fold(username).collect()
}

/// [`fold_username`] for a password (the blocklist and the not-the-username rule compare
/// folded forms): the same characters, in a string wiped on drop.
pub(crate) fn fold_secret(secret: &str) -> Zeroizing<String> {
    collect_secret(fold(secret), secret.len())
}

/// The three steps of [`fold_username`] as one pass over the characters: no intermediate
/// string (of a password, that would be a copy freed unwiped).
fn fold(s: &str) -> impl Iterator<Item = char> + '_ {
    s.nfkc().default_case_fold().nfkc()
}

/// What a username may look like, and its canonical (lookup) form.
///
/// After [`fold_username`], a username must be `min_length..=max_length` characters from
/// `a-z`, `0-9` and `. _ - @ +`, starting with a letter or digit. That alphabet is
/// deliberately ASCII: it is what lets the library promise that two usernames which *look*
/// alike are the same username. Case folding alone cannot merge confusables from different
/// scripts (Cyrillic `а` vs Latin `a`, dotless `ı` vs `i`), so those are refused, with a typed
/// error, rather than stored. E-mail-shaped usernames (`anna@shop.example`) are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct UsernameRules {
    /// Fewest characters after folding. Default 3: short enough for initials-based schemes.
    pub min_length: usize,
    /// Most characters after folding. Default 64; the raw input is refused unread above
    /// four times this many bytes, so hostile input costs nothing.
    pub max_length: usize,
}

impl Default for UsernameRules {
    fn default() -> Self {
        Self { min_length: 3, max_length: 64 }
    }
}

/// A username in canonical form: the key under which a contact is stored and looked up.
///
/// Only [`UsernameRules::canonicalize`] makes one from user input, so holding a `UsernameKey`
/// proves the string is folded and valid ("parse, don't validate").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsernameKey(String);

impl UsernameKey {
    /// The canonical string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuild a key read back from storage: it must already be in canonical form (folded,
    /// from the username alphabet, starting with a letter or digit, at most 1024 bytes).
    /// Length rules are not re-applied, so keys stored under other configured lengths load.
    ///
    /// # Errors
    /// [`UsernameError::NotCanonical`] for anything [`UsernameRules::canonicalize`] could
    /// not have produced (a sign the row was written by something else).
    pub fn from_stored(stored: &str) -> Result<Self, UsernameError> {
        // Canonical keys are exactly the strings of 1..=1024 characters from the username
        // alphabet starting with a letter or digit: folding is the identity on that ASCII
        // alphabet, so checking it is checking "canonicalize(x) == x" (the property tests
        // compare the two) in one pass over the bytes, without Unicode tables: stores
        // validate the key of every row they read.
        let bytes = stored.as_bytes();
        let canonical = bytes.len() <= MAX_STORED_KEY_BYTES
            && bytes.first().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && bytes.iter().all(|b| is_username_char(char::from(*b)));
        if canonical { Ok(Self(stored.to_owned())) } else { Err(UsernameError::NotCanonical) }
    }
}

/// The longest key [`UsernameKey::from_stored`] reads back, whatever the configured rules.
const MAX_STORED_KEY_BYTES: usize = 1024;

impl fmt::Display for UsernameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a username was refused. Usernames are not secret, but the error still never repeats
/// the input, so it can be logged as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsernameError {
    /// Nothing left after folding.
    Empty,
    /// Fewer than `min` characters after folding.
    TooShort {
        /// The configured minimum.
        min: usize,
    },
    /// More than `max` characters (checked on the raw bytes first, then after folding).
    TooLong {
        /// The configured maximum.
        max: usize,
    },
    /// A character outside `a-z 0-9 . _ - @ +` after folding (this includes control
    /// characters, whitespace, and letters of other scripts).
    DisallowedCharacter {
        /// The offending character, after folding.
        character: char,
    },
    /// The first character is not a letter or digit.
    MustStartAlphanumeric,
    /// A stored key is valid but not canonical.
    NotCanonical,
}

impl fmt::Display for UsernameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("username is empty"),
            Self::TooShort { min } => write!(f, "username must be at least {min} characters"),
            Self::TooLong { max } => write!(f, "username must be at most {max} characters"),
            Self::DisallowedCharacter { character } => {
                write!(f, "username may only contain a-z, 0-9 and . _ - @ + (found U+{:04X})", u32::from(*character))
            }
            Self::MustStartAlphanumeric => f.write_str("username must start with a letter or digit"),
            Self::NotCanonical => f.write_str("stored username key is not in canonical form"),
        }
    }
}

impl std::error::Error for UsernameError {}

impl UsernameRules {
    /// Fold `raw` with [`fold_username`] and check it against these rules.
    ///
    /// ```
    /// use customer_access_policy::UsernameRules;
    /// let rules = UsernameRules::default();
    /// let a = rules.canonicalize("Anna.Berg").unwrap();
    /// let b = rules.canonicalize("ＡＮＮＡ.ｂｅｒｇ").unwrap(); // fullwidth
    /// assert_eq!(a, b);
    /// assert_eq!(a.as_str(), "anna.berg");
    /// assert!(rules.canonicalize("admın").is_err()); // dotless i is refused, not merged
    /// ```
    ///
    /// # Errors
    /// A [`UsernameError`] naming the first rule broken.
    pub fn canonicalize(&self, raw: &str) -> Result<UsernameKey, UsernameError> {
        // NFKC can expand a character at most 18-fold; refusing long raw input up front
        // bounds the work at a few hundred bytes whatever the caller sends.
        if raw.len() > self.max_length.saturating_mul(4) {
            return Err(UsernameError::TooLong { max: self.max_length });
        }
        let folded = fold_username(raw);
        let Some(first) = folded.chars().next() else {
            return Err(UsernameError::Empty);
        };
        if let Some(character) = folded.chars().find(|c| !is_username_char(*c)) {
            return Err(UsernameError::DisallowedCharacter { character });
        }
        if !first.is_ascii_alphanumeric() {
            return Err(UsernameError::MustStartAlphanumeric);
        }
        // Every remaining character is ASCII, so bytes == characters.
        if folded.len() < self.min_length {
            return Err(UsernameError::TooShort { min: self.min_length });
        }
        if folded.len() > self.max_length {
            return Err(UsernameError::TooLong { max: self.max_length });
        }
        Ok(UsernameKey(folded))
    }
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@' | '+')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Result<String, UsernameError> {
        UsernameRules::default().canonicalize(s).map(|k| k.0)
    }

    #[test]
    fn case_variants_share_one_key() {
        assert_eq!(key("Anna"), Ok("anna".into()));
        assert_eq!(key("ANNA"), key("anna"));
    }

    #[test]
    fn kelvin_sign_is_plain_k() {
        assert_eq!(key("\u{212A}arl"), Ok("karl".into()));
        assert_eq!(key("\u{212A}arl"), key("Karl"));
    }

    #[test]
    fn fullwidth_letters_fold_to_ascii() {
        assert_eq!(key("ＡＤＭＩＮ"), Ok("admin".into()));
    }

    #[test]
    fn superscript_and_modifier_letters_fold_to_ascii() {
        assert_eq!(key("\u{1D43}dmin"), Ok("admin".into())); // MODIFIER LETTER SMALL A
        assert_eq!(key("user\u{00B2}"), Ok("user2".into())); // SUPERSCRIPT TWO
        assert_eq!(key("\u{1D2C}dmin"), Ok("admin".into())); // MODIFIER LETTER CAPITAL A
    }

    #[test]
    fn dotless_and_dotted_i_are_refused_not_merged() {
        assert_eq!(key("adm\u{0131}n"), Err(UsernameError::DisallowedCharacter { character: '\u{0131}' }));
        // U+0130 folds to "i" + U+0307 COMBINING DOT ABOVE.
        assert_eq!(key("\u{0130}nga"), Err(UsernameError::DisallowedCharacter { character: '\u{0307}' }));
    }

    #[test]
    fn cyrillic_lookalike_is_refused() {
        assert!(matches!(key("\u{0430}nna"), Err(UsernameError::DisallowedCharacter { .. })));
    }

    #[test]
    fn controls_whitespace_and_length() {
        assert!(matches!(key("an na"), Err(UsernameError::DisallowedCharacter { character: ' ' })));
        assert!(matches!(key("anna\r\n"), Err(UsernameError::DisallowedCharacter { .. })));
        assert!(matches!(key("an\0na"), Err(UsernameError::DisallowedCharacter { .. })));
        assert_eq!(key(""), Err(UsernameError::Empty));
        assert_eq!(key("ab"), Err(UsernameError::TooShort { min: 3 }));
        assert_eq!(key(&"a".repeat(64)), Ok("a".repeat(64)));
        assert_eq!(key(&"a".repeat(65)), Err(UsernameError::TooLong { max: 64 }));
        assert_eq!(key(&"a".repeat(1 << 20)), Err(UsernameError::TooLong { max: 64 }));
        assert_eq!(key(".anna"), Err(UsernameError::MustStartAlphanumeric));
        assert_eq!(key("Anna.Berg+Shop@Example.com"), Ok("anna.berg+shop@example.com".into()));
    }

    #[test]
    fn stored_key_must_be_canonical() {
        assert!(UsernameKey::from_stored("anna").is_ok());
        assert!(UsernameKey::from_stored(&"a".repeat(100)).is_ok());
        assert_eq!(UsernameKey::from_stored("Anna"), Err(UsernameError::NotCanonical));
        assert_eq!(UsernameKey::from_stored(""), Err(UsernameError::NotCanonical));
        assert_eq!(UsernameKey::from_stored("an na"), Err(UsernameError::NotCanonical));
    }

    #[test]
    fn password_normalisation_composes_and_maps_compatibility_forms() {
        assert_eq!(normalize_password("e\u{0301}").as_str(), "\u{00E9}");
        assert_eq!(normalize_password("８").as_str(), "8");
    }
}
