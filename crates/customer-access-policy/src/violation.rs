//! The typed result of [`PasswordPolicy::validate`](crate::PasswordPolicy::validate).

use std::fmt;

/// One rule a candidate password breaks. Never carries the password or any part of it.
///
/// `Display` is plain English for logs and simple UIs; [`code`](Self::code) is a stable
/// identifier a UI can translate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PasswordViolation {
    /// Fewer characters than the minimum (characters = Unicode scalar values after NFKC).
    TooShort {
        /// The configured minimum.
        min: usize,
        /// Characters in the candidate.
        actual: usize,
    },
    /// More characters than the maximum, counted on the raw input before normalisation.
    /// When this is reported no other rule was checked: the input is not worth reading.
    TooLong {
        /// The configured maximum.
        max: usize,
    },
    /// No number (any Unicode `Numeric` character after NFKC, so `٣` counts).
    MissingDigit,
    /// No letter (any Unicode `Alphabetic` character after NFKC, so `é` and `ж` count).
    MissingLetter,
    /// Contains a control character (Unicode category Cc: NUL, CR, LF, TAB, DEL, ...).
    ControlCharacter,
    /// Equal to the contact's username (compared after username folding).
    SameAsUsername,
    /// Equal to the temporary password it replaces.
    SameAsTemporaryPassword,
    /// On the list of common passwords (compared after NFKC and case folding).
    CommonPassword,
}

impl PasswordViolation {
    /// A stable, lowercase identifier, e.g. `"too_short"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::MissingDigit => "missing_digit",
            Self::MissingLetter => "missing_letter",
            Self::ControlCharacter => "control_character",
            Self::SameAsUsername => "same_as_username",
            Self::SameAsTemporaryPassword => "same_as_temporary_password",
            Self::CommonPassword => "common_password",
        }
    }
}

impl fmt::Display for PasswordViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min, actual } => {
                write!(f, "must be at least {min} characters long (it has {actual})")
            }
            Self::TooLong { max } => write!(f, "must be at most {max} characters long"),
            Self::MissingDigit => f.write_str("must contain at least 1 number"),
            Self::MissingLetter => f.write_str("must contain at least 1 letter"),
            Self::ControlCharacter => f.write_str("must not contain control characters"),
            Self::SameAsUsername => f.write_str("must not be the same as the username"),
            Self::SameAsTemporaryPassword => f.write_str("must not be the same as the temporary password"),
            Self::CommonPassword => f.write_str("is too common; choose a less predictable one"),
        }
    }
}

/// Every rule a candidate password breaks, in a fixed order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordViolations(Vec<PasswordViolation>);

impl PasswordViolations {
    /// Wrap a list; `None` when it is empty (an empty list is not an error).
    pub fn new(list: Vec<PasswordViolation>) -> Option<Self> {
        if list.is_empty() { None } else { Some(Self(list)) }
    }

    /// Exactly one violation.
    pub fn single(violation: PasswordViolation) -> Self {
        Self(vec![violation])
    }

    /// The violations.
    pub fn as_slice(&self) -> &[PasswordViolation] {
        &self.0
    }

    /// Is `violation` among them (compared by kind, ignoring parameters)?
    pub fn contains_code(&self, code: &str) -> bool {
        self.0.iter().any(|v| v.code() == code)
    }

    /// Add one more (used by callers that check a rule the pure policy cannot, such as
    /// comparing against a temporary password known only by its hash).
    pub fn push(&mut self, violation: PasswordViolation) {
        if !self.0.contains(&violation) {
            self.0.push(violation);
        }
    }
}

impl IntoIterator for PasswordViolations {
    type Item = PasswordViolation;
    type IntoIter = std::vec::IntoIter<PasswordViolation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for PasswordViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the new password ")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PasswordViolations {}
