//! [`PasswordPolicy`]: the rules a new password must pass.

use crate::blocklist;
use crate::normalize::{fold_secret, fold_username, normalize_password};
use crate::violation::{PasswordViolation, PasswordViolations};

/// The rules a new password must pass.
///
/// [`Default`] is the seed's rules plus our additions:
///
/// | rule | default | why |
/// | --- | --- | --- |
/// | `min_length` | 8 | the seed: "a minimum of 8 characters" |
/// | `require_digit` | on | the seed: "at least 1 number" |
/// | `require_letter` | on | the seed: "at least 1 alphabet (letter) character" |
/// | `max_length` | 128 | checked on the raw input before any work, so a 1 MiB password costs nothing; NIST asks that at least 64 be allowed |
/// | `reject_username` | on | the first guess of anyone who knows the username |
/// | `reject_temporary_password` | on | it travelled by e-mail; it must not become permanent |
/// | `reject_control_characters` | on | they cannot be typed reliably and break logs and forms |
/// | `use_blocklist` | on | 10,000 most common passwords, matched case-insensitively |
///
/// A **character** is a Unicode scalar value of the password after NFKC normalisation, so
/// `é` counts once whether typed composed or as `e` + U+0301, and an emoji counts once.
/// A **number** is any character with the Unicode `Numeric` property after NFKC: ASCII
/// digits, and also non-ASCII digits such as Arabic-Indic `٣` (fullwidth `８` becomes `8`).
/// A **letter** is any character with the Unicode `Alphabetic` property: ASCII letters and
/// also `é`, `ж`, `ש`, `漢`. Both count non-ASCII characters so that people who do not type
/// in Latin script can meet the rules in their own script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct PasswordPolicy {
    /// Fewest characters (after NFKC).
    pub min_length: usize,
    /// Most characters (raw input, before normalisation).
    pub max_length: usize,
    /// At least one number.
    pub require_digit: bool,
    /// At least one letter.
    pub require_letter: bool,
    /// Refuse a password equal to the username.
    pub reject_username: bool,
    /// Refuse a password equal to the temporary password it replaces.
    pub reject_temporary_password: bool,
    /// Refuse control characters.
    pub reject_control_characters: bool,
    /// Refuse passwords on the compiled-in common-password list.
    pub use_blocklist: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 128,
            require_digit: true,
            require_letter: true,
            reject_username: true,
            reject_temporary_password: true,
            reject_control_characters: true,
            use_blocklist: true,
        }
    }
}

/// What a candidate password is compared with, besides the rules themselves.
#[derive(Clone, Copy, Default)]
pub struct PasswordContext<'a> {
    /// The contact's username, as typed or stored.
    pub username: Option<&'a str>,
    /// The temporary password being replaced, when the caller has it in plaintext.
    pub temporary_password: Option<&'a str>,
}

impl std::fmt::Debug for PasswordContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordContext")
            .field("username", &self.username)
            .field("temporary_password", &self.temporary_password.map(|_| "[REDACTED]"))
            .finish()
    }
}

impl PasswordPolicy {
    /// Check `candidate` against every rule and report every violation at once.
    ///
    /// ```
    /// use customer_access_policy::{PasswordContext, PasswordPolicy, PasswordViolation};
    /// let policy = PasswordPolicy::default();
    /// let errors = policy.validate("qzv", &PasswordContext::default()).unwrap_err();
    /// assert_eq!(
    ///     errors.as_slice(),
    ///     &[PasswordViolation::TooShort { min: 8, actual: 3 }, PasswordViolation::MissingDigit]
    /// );
    /// assert!(policy.validate("correct horse 7", &PasswordContext::default()).is_ok());
    /// ```
    ///
    /// # Errors
    /// [`PasswordViolations`], never empty. When the raw input is longer than `max_length`
    /// only [`PasswordViolation::TooLong`] is reported: nothing else is read.
    pub fn validate(&self, candidate: &str, context: &PasswordContext<'_>) -> Result<(), PasswordViolations> {
        let errors = self.violations(candidate, context);
        PasswordViolations::new(errors).map_or(Ok(()), Err)
    }

    fn violations(&self, candidate: &str, context: &PasswordContext<'_>) -> Vec<PasswordViolation> {
        if exceeds_chars(candidate, self.max_length) {
            return vec![PasswordViolation::TooLong { max: self.max_length }];
        }
        let normalized = normalize_password(candidate);
        let mut errors = Vec::new();
        let length = normalized.chars().count();
        if length < self.min_length {
            errors.push(PasswordViolation::TooShort { min: self.min_length, actual: length });
        }
        if self.require_digit && !normalized.chars().any(char::is_numeric) {
            errors.push(PasswordViolation::MissingDigit);
        }
        if self.require_letter && !normalized.chars().any(char::is_alphabetic) {
            errors.push(PasswordViolation::MissingLetter);
        }
        if self.reject_control_characters && normalized.chars().any(char::is_control) {
            errors.push(PasswordViolation::ControlCharacter);
        }
        if self.reject_username
            && let Some(username) = context.username
            && !username.is_empty()
        {
            let folded = fold_secret(&normalized);
            if constant_time_eq(folded.as_bytes(), fold_username(username).as_bytes()) {
                errors.push(PasswordViolation::SameAsUsername);
            }
        }
        if self.reject_temporary_password
            && let Some(temporary) = context.temporary_password
        {
            let temporary = normalize_password(temporary);
            if constant_time_eq(normalized.as_bytes(), temporary.as_bytes()) {
                errors.push(PasswordViolation::SameAsTemporaryPassword);
            }
        }
        if self.use_blocklist && blocklist::is_common(&normalized) {
            errors.push(PasswordViolation::CommonPassword);
        }
        errors
    }
}

impl PasswordPolicy {
    /// Is the raw `candidate` longer than `max_length` characters? Reads at most
    /// `4 * max_length + 4` bytes, so callers can refuse hostile input before any other work
    /// (the core service does, before hashing anything).
    pub fn is_too_long(&self, candidate: &str) -> bool {
        exceeds_chars(candidate, self.max_length)
    }
}

/// More than `max` Unicode scalar values? Reads at most `4 * max + 4` bytes of `s`.
pub(crate) fn exceeds_chars(s: &str, max: usize) -> bool {
    s.len() > max.saturating_mul(4) || s.chars().nth(max).is_some()
}

/// Compare two byte strings without an early exit on the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
