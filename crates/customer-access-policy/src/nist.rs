//! NIST SP 800-63B-4: the profile, and where a configured policy departs from it.

use std::fmt;

use crate::password::PasswordPolicy;

/// NIST SP 800-63B-4's minimum length for a password that is the only authentication factor.
pub const NIST_SINGLE_FACTOR_MIN_LENGTH: usize = 15;
/// NIST SP 800-63B-4: verifiers should permit passwords of at least this many characters.
pub const NIST_MIN_MAX_LENGTH: usize = 64;

/// One way a [`PasswordPolicy`] departs from NIST SP 800-63B-4 (single-factor passwords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NistDeparture {
    /// Composition rules (a number, a letter) are required; NIST says verifiers SHALL NOT
    /// impose them, since they push users to predictable patterns like `Password1`.
    CompositionRules,
    /// The minimum is below 15 characters, NIST's minimum for a single-factor password.
    MinimumBelowNist {
        /// The configured minimum.
        configured: usize,
    },
    /// Fewer than 64 characters are allowed; NIST says at least 64 SHOULD be.
    MaximumBelowNist {
        /// The configured maximum.
        configured: usize,
    },
    /// No blocklist; NIST says passwords SHALL be compared against one.
    NoBlocklist,
}

impl fmt::Display for NistDeparture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CompositionRules => f.write_str(
                "composition rules (at least 1 number / 1 letter) are imposed; \
                 NIST SP 800-63B-4 says verifiers SHALL NOT impose them",
            ),
            Self::MinimumBelowNist { configured } => write!(
                f,
                "minimum length {configured} is below the {NIST_SINGLE_FACTOR_MIN_LENGTH} \
                 characters NIST SP 800-63B-4 requires when the password is the only factor"
            ),
            Self::MaximumBelowNist { configured } => write!(
                f,
                "maximum length {configured} is below the {NIST_MIN_MAX_LENGTH} characters \
                 NIST SP 800-63B-4 says should be allowed"
            ),
            Self::NoBlocklist => f.write_str("no blocklist of common passwords; NIST SP 800-63B-4 requires one"),
        }
    }
}

impl PasswordPolicy {
    /// The profile of NIST SP 800-63B-4 for a password that is the only factor: at least 15
    /// characters, no composition rules, the blocklist on. Our other additions (not the
    /// username, not the temporary password, no control characters) stay on: NIST asks for
    /// context-specific words to be refused too.
    ///
    /// ```
    /// use customer_access_policy::PasswordPolicy;
    /// assert!(PasswordPolicy::nist_800_63b4_single_factor().nist_800_63b4_departures().is_empty());
    /// ```
    pub fn nist_800_63b4_single_factor() -> Self {
        Self {
            min_length: NIST_SINGLE_FACTOR_MIN_LENGTH,
            require_digit: false,
            require_letter: false,
            ..Self::default()
        }
    }

    /// Where this policy departs from NIST SP 800-63B-4 for single-factor passwords.
    /// The seed's rules (the [`Default`]) depart twice, and that is a deliberate trade-off:
    ///
    /// ```
    /// use customer_access_policy::{NistDeparture, PasswordPolicy};
    /// assert_eq!(
    ///     PasswordPolicy::default().nist_800_63b4_departures(),
    ///     [NistDeparture::CompositionRules, NistDeparture::MinimumBelowNist { configured: 8 }]
    /// );
    /// ```
    pub fn nist_800_63b4_departures(&self) -> Vec<NistDeparture> {
        let mut out = Vec::new();
        if self.require_digit || self.require_letter {
            out.push(NistDeparture::CompositionRules);
        }
        if self.min_length < NIST_SINGLE_FACTOR_MIN_LENGTH {
            out.push(NistDeparture::MinimumBelowNist { configured: self.min_length });
        }
        if self.max_length < NIST_MIN_MAX_LENGTH {
            out.push(NistDeparture::MaximumBelowNist { configured: self.max_length });
        }
        if !self.use_blocklist {
            out.push(NistDeparture::NoBlocklist);
        }
        out
    }
}
