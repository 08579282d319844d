//! Peppers: secret keys mixed into every Argon2id hash, held by the application and never
//! stored with the hashes, so that a stolen database alone cannot be attacked offline.

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretSlice};

/// Shortest key accepted (bytes): 256 bits, so guessing the key is out of reach too.
pub const MIN_PEPPER_KEY_BYTES: usize = 32;
/// Longest key accepted (bytes): Argon2 takes any length, but more adds nothing.
pub const MAX_PEPPER_KEY_BYTES: usize = 64;

/// The name of a pepper key, stored in each hash made with it (Argon2's `keyid`): 1 to 8
/// characters `A-Z a-z 0-9 - _` (Argon2 allows 8 bytes), e.g. `2026a`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PepperId(String);

impl PepperId {
    /// Parse a key id.
    ///
    /// # Errors
    /// [`PepperError::BadId`] for an empty, over-long or otherwise malformed id.
    pub fn parse(id: &str) -> Result<Self, PepperError> {
        let valid =
            (1..=8).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid { Ok(Self(id.to_owned())) } else { Err(PepperError::BadId) }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a hash stores it (its bytes; a PHC string shows them in Base64).
    pub(super) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The id a stored hash names, if it is one this type could have made.
    pub(super) fn from_stored(bytes: &[u8]) -> Option<Self> {
        std::str::from_utf8(bytes).ok().and_then(|s| Self::parse(s).ok())
    }
}

impl FromStr for PepperId {
    type Err = PepperError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PepperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PepperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PepperId({})", self.0)
    }
}

/// Why a pepper key was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PepperError {
    /// The key id is not 1 to 8 characters `A-Z a-z 0-9 - _`.
    #[error("a pepper key id is 1 to 8 characters A-Z, a-z, 0-9, - or _")]
    BadId,
    /// The key is shorter than [`MIN_PEPPER_KEY_BYTES`] or longer than
    /// [`MAX_PEPPER_KEY_BYTES`].
    #[error("a pepper key is {MIN_PEPPER_KEY_BYTES} to {MAX_PEPPER_KEY_BYTES} bytes, not {0}")]
    BadKeyLength(usize),
    /// Two keys share an id.
    #[error("pepper key id {0} is given twice")]
    DuplicateId(PepperId),
}

/// The pepper keys of a deployment: the current one, which every new hash is made with,
/// and retired ones, which still verify older hashes (each re-made with the current key
/// at its contact's next login). [`Peppers::none`] (the default) hashes without a key.
///
/// The keys come from the application's secret store (environment, a KMS, a file outside
/// the database), never from the database itself: a dump then holds hashes no one can test
/// a guess against without the key. Lose a key and the hashes made with it cannot be
/// verified: their contacts need a reset. Give every instance a new key as retired before
/// any instance makes it current, so that no instance meets a hash under a key it lacks.
///
/// ```
/// use customer_access::hashing::{Peppers, PepperError};
/// use customer_access::secrecy::SecretSlice;
/// let key = SecretSlice::from(vec![7u8; 32]); // from the application's secret store
/// let old = SecretSlice::from(vec![9u8; 32]);
/// let peppers = Peppers::current("2026b", key)?.with_retired("2026a", old)?;
/// assert_eq!(peppers.current_id().map(|id| id.as_str()), Some("2026b"));
/// assert!(format!("{peppers:?}").contains("2026a"), "ids show, keys do not");
/// assert_eq!(Peppers::current("x", SecretSlice::from(vec![0u8; 8])).unwrap_err(), PepperError::BadKeyLength(8));
/// # Ok::<(), PepperError>(())
/// ```
#[derive(Default)]
pub struct Peppers {
    current: Option<PepperId>,
    keys: Vec<(PepperId, SecretSlice<u8>)>,
}

impl Peppers {
    /// No pepper: hashes are made and verified without a key.
    pub fn none() -> Self {
        Self::default()
    }

    /// Make new hashes with `key`, named `id`.
    ///
    /// # Errors
    /// [`PepperError`] for a malformed id or a key of the wrong length.
    pub fn current(id: &str, key: SecretSlice<u8>) -> Result<Self, PepperError> {
        let mut peppers = Self::none().with_key(id, key)?;
        peppers.current = peppers.keys.first().map(|(id, _)| id.clone());
        Ok(peppers)
    }

    /// Also verify hashes made with `key`, named `id` (an earlier current key).
    ///
    /// # Errors
    /// [`PepperError`] for a malformed or repeated id or a key of the wrong length.
    pub fn with_retired(self, id: &str, key: SecretSlice<u8>) -> Result<Self, PepperError> {
        self.with_key(id, key)
    }

    fn with_key(mut self, id: &str, key: SecretSlice<u8>) -> Result<Self, PepperError> {
        let id = PepperId::parse(id)?;
        let len = key.expose_secret().len();
        if !(MIN_PEPPER_KEY_BYTES..=MAX_PEPPER_KEY_BYTES).contains(&len) {
            return Err(PepperError::BadKeyLength(len));
        }
        if self.keys.iter().any(|(known, _)| *known == id) {
            return Err(PepperError::DuplicateId(id));
        }
        self.keys.push((id, key));
        Ok(self)
    }

    /// The key new hashes are made with, if any.
    pub fn current_id(&self) -> Option<&PepperId> {
        self.current.as_ref()
    }

    /// Every key id, current and retired.
    pub fn ids(&self) -> impl Iterator<Item = &PepperId> {
        self.keys.iter().map(|(id, _)| id)
    }

    /// The key named `id`.
    pub(super) fn key(&self, id: &PepperId) -> Option<&[u8]> {
        self.keys.iter().find(|(known, _)| known == id).map(|(_, key)| key.expose_secret())
    }
}

impl fmt::Debug for Peppers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peppers")
            .field("current", &self.current)
            .field("ids", &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>())
            .finish()
    }
}
