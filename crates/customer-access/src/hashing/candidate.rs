//! A password offered for verification, in both forms verification may need.

use std::fmt;

/// A password to verify: its normalised form (NFKC, what this library hashes) and the form
/// it was typed in (what another system hashed, for a wrapped imported hash: Django,
/// passlib and bcrypt hash the bytes they were given). Both borrow; neither is copied
/// until a worker takes the job, into wiped buffers.
///
/// From plain bytes, both forms are those bytes: right for every hash this library made,
/// and for an imported one whenever normalisation changes nothing (every ASCII password).
///
/// ```
/// use customer_access::hashing::Candidate;
/// let typed = "cafe\u{301}-Pass-1"; // `e` + combining acute, as some keyboards send it
/// let normalized = customer_access_policy::normalize_password(typed);
/// let candidate = Candidate::new(normalized.as_bytes(), typed.as_bytes());
/// assert_ne!(candidate.normalized(), candidate.as_typed());
/// assert_eq!(format!("{candidate:?}"), "Candidate(…)");
/// ```
#[derive(Clone, Copy)]
pub struct Candidate<'a> {
    normalized: &'a [u8],
    as_typed: &'a [u8],
}

impl<'a> Candidate<'a> {
    /// `normalized` as this library hashes it, `as_typed` as the user typed it.
    pub fn new(normalized: &'a [u8], as_typed: &'a [u8]) -> Self {
        Self { normalized, as_typed }
    }

    /// The normalised form.
    pub fn normalized(&self) -> &'a [u8] {
        self.normalized
    }

    /// The form as typed.
    pub fn as_typed(&self) -> &'a [u8] {
        self.as_typed
    }
}

impl<'a> From<&'a [u8]> for Candidate<'a> {
    fn from(password: &'a [u8]) -> Self {
        Self::new(password, password)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Candidate<'a> {
    fn from(password: &'a [u8; N]) -> Self {
        Self::new(password, password)
    }
}

impl fmt::Debug for Candidate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Candidate(…)")
    }
}
