//! The OS random number generator, the only source of randomness in the crate.

use rand_core::UnwrapErr;

/// The OS RNG as a `CryptoRng`. It panics only if the operating system cannot supply random
/// bytes at all, a state in which no secret can be made safely.
pub(crate) fn os_rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

/// Fill `buf` with random bytes from the OS.
pub(crate) fn fill(buf: &mut [u8]) {
    rand_core::Rng::fill_bytes(&mut os_rng(), buf);
}
