//! Password hashes made by other systems, accepted when contacts move in.
//!
//! [`LegacyHash::parse`] reads the formats those systems write:
//!
//! | scheme | formats |
//! | --- | --- |
//! | Argon2i, Argon2d, Argon2id | PHC strings as libargon2 and argon2-cffi write them (`$argon2id$v=19$m=..,t=..,p=..$salt$hash`; no `v=` means version 1.0); Django's `argon2$argon2id$...` |
//! | bcrypt | `$2a$`, `$2b$`, `$2y$` (bcrypt's own Base64); Django's `bcrypt$$2b$...`, and `bcrypt_sha256$$2b$...` (bcrypt over the hex SHA-256 of the password) |
//! | PBKDF2-HMAC-SHA256, -SHA1 | PHC (`$pbkdf2-sha256$i=..,l=..$salt$hash`, `$pbkdf2$` for SHA-1); passlib (`$pbkdf2-sha256$29000$salt$hash`, its "adapted" Base64); Django (`pbkdf2_sha256$iterations$salt$hash`, `pbkdf2_sha1$...`, the salt used as text) |
//! | scrypt | PHC and passlib (`$scrypt$ln=..,r=..,p=..$salt$hash`); Django (`scrypt$N$salt$r$p$hash`) |
//!
//! Each hash's cost is bounded by [`LegacyHashLimits`] before anything runs, so no import
//! (and no edited row) can make a login run for hours. The service never stores a parsed
//! hash as it came: [`HashPool::wrap`](crate::hashing::HashPool::wrap) puts its output through
//! Argon2id first, and the contact's next login replaces it (see the design notes).
//!
//! The password a legacy scheme sees is the UTF-8 bytes *as typed*, not this library's NFKC
//! form: that is what Django, passlib, PHP and Python's bcrypt hashed.

mod compute;
mod parse;
mod text;

use std::fmt;

use zeroize::Zeroizing;

pub use customer_access_policy::LegacyHashLimits;

/// Longest imported hash text read, in bytes (every real format is well under 200).
pub const MAX_LEGACY_HASH_LEN: usize = 512;

/// A password hash made by another system, parsed and its cost bounded.
///
/// ```
/// use customer_access::legacy::{LegacyHash, LegacyHashLimits, LegacyScheme, Pbkdf2Prf};
/// // What Django 6.0 stores for "correct horse 1" (with a low iteration count).
/// let django = "pbkdf2_sha256$1000$s3cr3tSalt$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw=";
/// let hash = LegacyHash::parse(django, &LegacyHashLimits::default())?;
/// assert_eq!(hash.scheme(), LegacyScheme::Pbkdf2 { prf: Pbkdf2Prf::Sha256, iterations: 1000, output_len: 32 });
/// let typed = hash.scheme().compute(b"correct horse 1", hash.salt())?;
/// assert_eq!(typed.as_slice(), hash.output(), "the right password gives the stored digest");
/// assert_eq!(hash.scheme().params_text(), "pbkdf2-sha256,i=1000,l=32");
/// assert_eq!(format!("{hash:?}"), "LegacyHash(pbkdf2-sha256,i=1000,l=32)");
/// # Ok::<(), customer_access::legacy::LegacyHashError>(())
/// ```
#[derive(Clone)]
pub struct LegacyHash {
    scheme: LegacyScheme,
    salt: Vec<u8>,
    output: Zeroizing<Vec<u8>>,
}

impl LegacyHash {
    /// Parse an imported hash in any supported format (see the module docs); `limits`
    /// bound its cost before anything runs.
    ///
    /// # Errors
    /// [`LegacyHashError`] saying what is wrong: an unknown format, a malformed field, an
    /// unsupported variant, a cost out of bounds.
    pub fn parse(text: &str, limits: &LegacyHashLimits) -> Result<Self, LegacyHashError> {
        parse::parse(text, limits)
    }

    /// The hash `scheme` makes of `password` (as typed) with `salt`, as the other system
    /// would have stored it: for tests and for tools that check an export.
    ///
    /// # Errors
    /// [`LegacyHashError::Malformed`] for a salt the scheme cannot use.
    pub fn make(scheme: LegacyScheme, password: &[u8], salt: &[u8]) -> Result<Self, LegacyHashError> {
        parse::check_salt(scheme.name(), salt)?;
        let output = scheme.compute(password, salt)?;
        Ok(Self { scheme, salt: salt.to_vec(), output })
    }

    /// The scheme and its cost parameters.
    pub fn scheme(&self) -> LegacyScheme {
        self.scheme
    }

    /// The salt, as the scheme feeds it to its primitive.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The digest the other system stored.
    pub fn output(&self) -> &[u8] {
        &self.output
    }
}

impl fmt::Debug for LegacyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The salt and digest are offline-guessable: never shown.
        write!(f, "LegacyHash({})", self.scheme.params_text())
    }
}

/// A scheme of another system and its cost parameters (no salt, no digest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LegacyScheme {
    /// Argon2 (RFC 9106), any variant and version.
    Argon2 {
        /// i, d or id.
        variant: Argon2Variant,
        /// 16 (`0x10`) or 19 (`0x13`).
        version: u32,
        /// m, KiB.
        memory_kib: u32,
        /// t, passes.
        iterations: u32,
        /// p, lanes.
        parallelism: u32,
        /// Digest length, bytes.
        output_len: u32,
    },
    /// bcrypt (`$2a$`, `$2b$`, `$2y$`): the first 72 bytes of the password.
    Bcrypt {
        /// log2 of the rounds.
        cost: u32,
    },
    /// Django's `bcrypt_sha256`: bcrypt over the lowercase hex SHA-256 of the password (so
    /// no password is cut at 72 bytes).
    DjangoBcryptSha256 {
        /// log2 of the rounds.
        cost: u32,
    },
    /// PBKDF2 with HMAC.
    Pbkdf2 {
        /// The hash inside HMAC.
        prf: Pbkdf2Prf,
        /// Iterations.
        iterations: u32,
        /// Digest length, bytes.
        output_len: u32,
    },
    /// scrypt (RFC 7914).
    Scrypt {
        /// log2 of N.
        log_n: u8,
        /// Block size.
        r: u32,
        /// Lanes.
        p: u32,
        /// Digest length, bytes.
        output_len: u32,
    },
}

/// The variant of an Argon2 hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Argon2Variant {
    /// Argon2i.
    I,
    /// Argon2d.
    D,
    /// Argon2id.
    Id,
}

/// The hash inside PBKDF2's HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pbkdf2Prf {
    /// HMAC-SHA-1.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
}

impl LegacyScheme {
    /// Canonical text of the scheme and its cost, without salt or digest:
    /// `bcrypt,c=12`, `bcrypt-sha256,c=12`, `pbkdf2-sha256,i=600000,l=32`,
    /// `scrypt,ln=14,r=8,p=1,l=64`, `argon2i,v=19,m=65536,t=3,p=4,l=32`. Only `a-z 0-9 = , -`;
    /// equal schemes give equal text.
    pub fn params_text(&self) -> String {
        text::params_text(self)
    }

    /// Parse [`params_text`](Self::params_text) back (it comes from storage: untrusted, so
    /// only the canonical text is accepted, and the limits are checked again).
    ///
    /// # Errors
    /// [`LegacyHashError`] as for [`LegacyHash::parse`].
    pub fn from_params_text(text: &str, limits: &LegacyHashLimits) -> Result<Self, LegacyHashError> {
        text::from_params_text(text, limits)
    }

    /// The scheme's digest of `password` (as typed) with `salt`: equal to the stored
    /// [`LegacyHash::output`] exactly when the password is right. Runs the scheme's full
    /// cost; the service calls it on a hashing thread.
    ///
    /// # Errors
    /// [`LegacyHashError::Malformed`] if the primitive refuses the parameters or salt.
    pub fn compute(&self, password: &[u8], salt: &[u8]) -> Result<Zeroizing<Vec<u8>>, LegacyHashError> {
        compute::compute(self, password, salt)
    }

    /// Estimated cost of one [`compute`](Self::compute), in microseconds of one core of the
    /// reference machine: for ordering and adding, not for promises.
    pub fn work(&self) -> u64 {
        compute::work(self)
    }

    /// A salt length this scheme takes, for a dummy computation of the same cost.
    pub fn dummy_salt_len(&self) -> usize {
        match self {
            Self::Bcrypt { .. } | Self::DjangoBcryptSha256 { .. } | Self::Argon2 { .. } | Self::Scrypt { .. } => 16,
            Self::Pbkdf2 { .. } => 22,
        }
    }

    /// The scheme's short name, as in errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Argon2 { variant: Argon2Variant::I, .. } => "argon2i",
            Self::Argon2 { variant: Argon2Variant::D, .. } => "argon2d",
            Self::Argon2 { variant: Argon2Variant::Id, .. } => "argon2id",
            Self::Bcrypt { .. } => "bcrypt",
            Self::DjangoBcryptSha256 { .. } => "bcrypt-sha256",
            Self::Pbkdf2 { prf: Pbkdf2Prf::Sha1, .. } => "pbkdf2-sha1",
            Self::Pbkdf2 { prf: Pbkdf2Prf::Sha256, .. } => "pbkdf2-sha256",
            Self::Scrypt { .. } => "scrypt",
        }
    }
}

/// Why an imported hash was refused. Nothing was computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LegacyHashError {
    /// Longer than [`MAX_LEGACY_HASH_LEN`].
    #[error("the hash is longer than {MAX_LEGACY_HASH_LEN} bytes")]
    TooLong,
    /// Not a format of any supported scheme.
    #[error("not a hash format this library reads (Argon2, bcrypt, PBKDF2, scrypt)")]
    Unrecognized,
    /// A field of a known format is malformed.
    #[error("malformed {scheme} hash: {detail}")]
    Malformed {
        /// The scheme, e.g. `bcrypt`.
        scheme: &'static str,
        /// What is wrong.
        detail: &'static str,
    },
    /// A known scheme in a variant this library does not verify (`$2x$`, PBKDF2-SHA512,
    /// an unknown Argon2 version).
    #[error("unsupported {scheme} hash: {detail}")]
    Unsupported {
        /// The scheme.
        scheme: &'static str,
        /// What is unsupported.
        detail: &'static str,
    },
    /// A cost parameter above [`LegacyHashLimits`].
    #[error("{scheme} {parameter} = {value} is above the limit of {max}")]
    CostTooHigh {
        /// The scheme.
        scheme: &'static str,
        /// The parameter, e.g. `cost` or `iterations`.
        parameter: &'static str,
        /// Its value in the hash.
        value: u64,
        /// The limit.
        max: u64,
    },
    /// A cost parameter no implementation of the scheme accepts (bcrypt cost below 4, zero
    /// iterations).
    #[error("{scheme} {parameter} = {value} is not valid for the scheme")]
    CostInvalid {
        /// The scheme.
        scheme: &'static str,
        /// The parameter.
        parameter: &'static str,
        /// Its value in the hash.
        value: u64,
    },
}

#[cfg(test)]
mod tests;
