//! Bounds on the cost of password hashes imported from other systems.

/// The most an imported hash may cost to verify, per scheme. An import above them is
/// refused with the row's reason, and a stored hash above them is never run.
///
/// They bound more than one contact's login: while imported hashes of a scheme and cost are
/// in use, *every* login runs that scheme and cost once per verification slot (twice), so
/// that unknown, native and imported usernames cost the same (see the core's design notes).
/// So each limit is a bound on what every login may cost, and the defaults admit the
/// defaults of the ecosystems people move from, with one step of headroom, and nothing
/// far beyond: Django 6.0's PBKDF2 (1,200,000 iterations) and Argon2 (m = 100 MiB, t = 2,
/// p = 8) and scrypt (N = 2^14, r = 8), argon2-cffi's RFC 9106 low-memory profile
/// (m = 64 MiB, t = 3, p = 4), passlib's scrypt (N = 2^16), bcrypt's cost 12. A bcrypt
/// cost of 31, PBKDF2 at 10^9 iterations or scrypt at N = 2^30 (days, or a gigabyte, per
/// login) is a mistake or an attack, never a hash to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct LegacyHashLimits {
    /// Highest bcrypt cost (log2 of the rounds). Default 13: the libraries' default is 12
    /// (about a quarter of a second of one core); each step doubles it.
    pub max_bcrypt_cost: u32,
    /// Most PBKDF2 iterations (SHA-1 or SHA-256). Default 2,000,000: Django 6.0 makes
    /// 1,200,000 (about half a second of one core for SHA-256).
    pub max_pbkdf2_iterations: u32,
    /// Highest scrypt log2(N). Default 20; the memory bound below usually binds first.
    pub max_scrypt_log_n: u8,
    /// Most memory one scrypt computation may take, in KiB: every buffer it allocates,
    /// 128 x r x (N + p + 2) bytes. Default 131,072 (128 MiB): passlib's default takes
    /// 64 MiB, Django's 16 MiB.
    pub max_scrypt_memory_kib: u32,
    /// Most scrypt lanes (p, run one after the other here). Default 16.
    pub max_scrypt_parallelism: u32,
    /// Most memory of an imported Argon2 hash, in KiB. Default 262,144 (256 MiB): Django's
    /// default is 102,400.
    pub max_argon2_memory_kib: u32,
    /// Most passes of an imported Argon2 hash. Default 10 (argon2-cffi makes 3, Django 2).
    pub max_argon2_iterations: u32,
    /// Most lanes of an imported Argon2 hash (computed one after the other here). Default 16
    /// (Django makes 8).
    pub max_argon2_parallelism: u32,
}

impl Default for LegacyHashLimits {
    fn default() -> Self {
        Self {
            max_bcrypt_cost: 13,
            max_pbkdf2_iterations: 2_000_000,
            max_scrypt_log_n: 20,
            max_scrypt_memory_kib: 131_072,
            max_scrypt_parallelism: 16,
            max_argon2_memory_kib: 262_144,
            max_argon2_iterations: 10,
            max_argon2_parallelism: 16,
        }
    }
}

impl LegacyHashLimits {
    /// What [`SecurityPolicy::check`](crate::SecurityPolicy::check) refuses: limits beyond
    /// what any scheme allows, or beyond what one login may ever be made to cost.
    pub(crate) fn problem(&self) -> Option<(&'static str, &'static str)> {
        if !(4..=16).contains(&self.max_bcrypt_cost) {
            return Some(("legacy_hashes.max_bcrypt_cost", "must be between 4 and 16"));
        }
        if !(1..=10_000_000).contains(&self.max_pbkdf2_iterations) {
            return Some(("legacy_hashes.max_pbkdf2_iterations", "must be between 1 and 10000000"));
        }
        if !(1..=24).contains(&self.max_scrypt_log_n) {
            return Some(("legacy_hashes.max_scrypt_log_n", "must be between 1 and 24"));
        }
        if !(1..=1_048_576).contains(&self.max_scrypt_memory_kib) {
            return Some(("legacy_hashes.max_scrypt_memory_kib", "must be between 1 and 1048576 (1 GiB)"));
        }
        if !(1..=64).contains(&self.max_scrypt_parallelism) {
            return Some(("legacy_hashes.max_scrypt_parallelism", "must be between 1 and 64"));
        }
        if !(8..=1_048_576).contains(&self.max_argon2_memory_kib) {
            return Some(("legacy_hashes.max_argon2_memory_kib", "must be between 8 and 1048576 (1 GiB)"));
        }
        if !(1..=64).contains(&self.max_argon2_iterations) {
            return Some(("legacy_hashes.max_argon2_iterations", "must be between 1 and 64"));
        }
        if !(1..=64).contains(&self.max_argon2_parallelism) {
            return Some(("legacy_hashes.max_argon2_parallelism", "must be between 1 and 64"));
        }
        None
    }
}
