//! Checks on untrusted input, run before any hashing or I/O.

use std::fmt;

use customer_access_policy::UsernameError;

/// Input refused before any work was done; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The username does not fit the username rules.
    #[error("invalid username: {0}")]
    Username(#[source] UsernameError),
    /// The e-mail address is not acceptable.
    #[error("invalid e-mail address: {0}")]
    Email(#[source] EmailError),
    /// A language tag or time-zone name is not acceptable.
    #[error("invalid {0}")]
    Preferences(#[from] crate::i18n::PreferencesError),
    /// A text field (display name, retailer name, device id) is not acceptable.
    #[error("invalid {field}: {problem}")]
    Text {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        problem: TextProblem,
    },
    /// The password is longer than the policy's maximum; it was not hashed.
    #[error("password longer than {max} characters")]
    PasswordTooLong {
        /// The policy's maximum.
        max: usize,
    },
    /// The password is empty; it was not hashed.
    #[error("password is empty")]
    PasswordEmpty,
    /// The password holds a control character (NUL, CR, LF, ...), which the policy never
    /// allows in a password; it was not hashed.
    #[error("password contains a control character")]
    PasswordControlCharacter,
    /// A page size outside `1..=max`.
    #[error("page size must be between 1 and {max}")]
    PageSize {
        /// The largest page.
        max: u32,
    },
    /// A page cursor no page can have returned (a negative contact id).
    #[error("invalid page cursor")]
    PageCursor,
    /// An audit retention shorter than the longest staff reset budget window, which must
    /// still count the events it would remove.
    #[error("audit retention must be at least {min_secs} s (the longest reset budget window)")]
    RetentionTooShort {
        /// The shortest allowed retention, in seconds.
        min_secs: u64,
    },
}

/// What is wrong with a text field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextProblem {
    /// Empty or only whitespace.
    Empty,
    /// More than the allowed bytes.
    TooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// Holds a control character (including CR and LF, which could inject e-mail headers).
    ControlCharacter,
    /// Holds a character the field does not allow.
    DisallowedCharacter,
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max } => write!(f, "must be at most {max} bytes"),
            Self::ControlCharacter => f.write_str("must not contain control characters"),
            Self::DisallowedCharacter => f.write_str("contains a character that is not allowed"),
        }
    }
}

/// A one-line, non-empty, bounded text without control characters.
pub(crate) fn check_text(field: &'static str, raw: &str, max: usize) -> Result<(), InputError> {
    let problem = if raw.len() > max {
        TextProblem::TooLong { max }
    } else if raw.trim().is_empty() {
        TextProblem::Empty
    } else if raw.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
        TextProblem::ControlCharacter
    } else {
        return Ok(());
    };
    Err(InputError::Text { field, problem })
}

/// Why an e-mail address was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// Empty.
    #[error("empty")]
    Empty,
    /// More than 254 bytes (the SMTP path limit).
    #[error("longer than 254 bytes")]
    TooLong,
    /// A control character, CR/LF or whitespace anywhere (header injection is refused here).
    #[error("contains whitespace or a control character")]
    ControlOrWhitespace,
    /// Not exactly one `@` with text on both sides.
    #[error("must be local-part@domain")]
    Shape,
    /// The local part is longer than 64 bytes or holds a character outside the plain
    /// dot-atom set (quoted local parts and non-ASCII addresses are not supported).
    #[error("unsupported local part")]
    LocalPart,
    /// The domain is not a dotted sequence of letter-digit-hyphen labels.
    #[error("invalid domain")]
    Domain,
}

/// A plain, deliverable e-mail address (`dot-atom@domain`, ASCII), checked on construction.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Check and wrap an address.
    ///
    /// ```
    /// use customer_access::EmailAddress;
    /// assert!(EmailAddress::parse("anna.berg@shop.example").is_ok());
    /// assert!(EmailAddress::parse("anna@shop.example\r\nBcc: x@evil.example").is_err());
    /// ```
    ///
    /// # Errors
    /// An [`EmailError`] naming the problem.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        if raw.is_empty() {
            return Err(EmailError::Empty);
        }
        if raw.len() > 254 {
            return Err(EmailError::TooLong);
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(EmailError::ControlOrWhitespace);
        }
        let (local, domain) = raw.split_once('@').ok_or(EmailError::Shape)?;
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(EmailError::Shape);
        }
        let atom = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
        if local.len() > 64 || local.split('.').any(|part| part.is_empty() || !part.chars().all(atom)) {
            return Err(EmailError::LocalPart);
        }
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if !domain.contains('.') || !domain.split('.').all(label_ok) {
            return Err(EmailError::Domain);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The address with most of it hidden, for telling an old address about a new one
    /// without handing over the new one whole: `anna.berg@corner-shop.example` becomes
    /// `a***@c***.example`.
    ///
    /// ```
    /// use customer_access::EmailAddress;
    /// let a = EmailAddress::parse("anna.berg@corner-shop.example").unwrap();
    /// assert_eq!(a.masked(), "a***@c***.example");
    /// ```
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", &self.0));
        let first = |s: &str| s.chars().next().map_or(String::new(), String::from);
        let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
        let tld = if tld.is_empty() { String::new() } else { format!(".{tld}") };
        format!("{}***@{}***{tld}", first(local), first(host))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({:?})", self.0)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        for ok in ["a@b.co", "anna.berg+shop@mail.example.com", "o'neil@x-y.example"] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        let cases = [
            ("", EmailError::Empty),
            ("anna", EmailError::Shape),
            ("@x.example", EmailError::Shape),
            ("a@b@c.example", EmailError::Shape),
            ("a b@c.example", EmailError::ControlOrWhitespace),
            ("a@c.example\r\nBcc: e@evil.example", EmailError::ControlOrWhitespace),
            ("a@c.example\n", EmailError::ControlOrWhitespace),
            ("a..b@c.example", EmailError::LocalPart),
            ("\"a\"@c.example", EmailError::LocalPart),
            ("ä@c.example", EmailError::LocalPart),
            ("a@localhost", EmailError::Domain),
            ("a@-x.example", EmailError::Domain),
            ("a@x..example", EmailError::Domain),
        ];
        for (raw, expected) in cases {
            assert_eq!(EmailAddress::parse(raw), Err(expected), "{raw:?}");
        }
        assert_eq!(EmailAddress::parse(&format!("a@{}.example", "b".repeat(250))), Err(EmailError::TooLong));
    }

    #[test]
    fn text_fields() {
        assert!(check_text("name", "Anna Berg", 10).is_ok());
        let problem = |raw: &str| match check_text("name", raw, 10) {
            Err(InputError::Text { problem, .. }) => Some(problem),
            _ => None,
        };
        assert_eq!(problem("  "), Some(TextProblem::Empty));
        assert_eq!(problem("Anna\nBcc"), Some(TextProblem::ControlCharacter));
        assert_eq!(problem("x\u{2028}y"), Some(TextProblem::ControlCharacter));
        assert_eq!(problem("01234567890"), Some(TextProblem::TooLong { max: 10 }));
    }
}
