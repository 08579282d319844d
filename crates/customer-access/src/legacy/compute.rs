//! Running each scheme, with the maintained implementations (RustCrypto, `bcrypt`).

use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::{Argon2Variant, LegacyHashError, LegacyScheme, Pbkdf2Prf};

/// Longest password bcrypt reads; the rest is ignored, as every bcrypt does.
const BCRYPT_MAX_PASSWORD: usize = 72;

pub(super) fn compute(
    scheme: &LegacyScheme,
    password: &[u8],
    salt: &[u8],
) -> Result<Zeroizing<Vec<u8>>, LegacyHashError> {
    let refused = |detail| LegacyHashError::Malformed { scheme: scheme.name(), detail };
    match *scheme {
        LegacyScheme::Argon2 { variant, version, memory_kib, iterations, parallelism, output_len } => {
            let algorithm = match variant {
                Argon2Variant::I => Algorithm::Argon2i,
                Argon2Variant::D => Algorithm::Argon2d,
                Argon2Variant::Id => Algorithm::Argon2id,
            };
            let version = if version == 0x10 { Version::V0x10 } else { Version::V0x13 };
            let len = usize::try_from(output_len).map_err(|_| refused("output length"))?;
            let params = Params::new(memory_kib, iterations, parallelism, Some(len))
                .map_err(|_| refused("parameters the argon2 crate refuses"))?;
            let mut out = Zeroizing::new(vec![0u8; len]);
            Argon2::new(algorithm, version, params)
                .hash_password_into(password, salt, &mut out)
                .map_err(|_| refused("parameters or salt the argon2 crate refuses"))?;
            Ok(out)
        }
        LegacyScheme::Bcrypt { cost } => bcrypt_digest(cost, salt, password).ok_or(refused("salt is not 16 bytes")),
        LegacyScheme::DjangoBcryptSha256 { cost } => {
            // Django: bcrypt(hexdigest(sha256(password))), lowercase hex.
            let mut digest = Sha256::digest(password);
            let mut hex = Zeroizing::new([0u8; 64]);
            let encoded = base16ct::lower::encode(&digest, hex.as_mut_slice()).map(drop);
            digest.as_mut_slice().zeroize();
            encoded.map_err(|_| refused("hex"))?;
            bcrypt_digest(cost, salt, hex.as_slice()).ok_or(refused("salt is not 16 bytes"))
        }
        LegacyScheme::Pbkdf2 { prf, iterations, output_len } => {
            let len = usize::try_from(output_len).map_err(|_| refused("output length"))?;
            let mut out = Zeroizing::new(vec![0u8; len]);
            match prf {
                Pbkdf2Prf::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, &mut out),
                Pbkdf2Prf::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out),
            }
            Ok(out)
        }
        LegacyScheme::Scrypt { log_n, r, p, output_len } => {
            let len = usize::try_from(output_len).map_err(|_| refused("output length"))?;
            let params = scrypt::Params::new(log_n, r, p).map_err(|_| refused("parameters scrypt refuses"))?;
            let mut out = Zeroizing::new(vec![0u8; len]);
            scrypt::scrypt(password, salt, &params, &mut out).map_err(|_| refused("output length scrypt refuses"))?;
            Ok(out)
        }
    }
}

/// bcrypt's 23-byte digest, the password prepared as every bcrypt does: its first 72
/// bytes, NUL-terminated when shorter. `None` for a salt that is not 16 bytes.
fn bcrypt_digest(cost: u32, salt: &[u8], password: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let salt: [u8; 16] = salt.try_into().ok()?;
    let used = password.len().min(BCRYPT_MAX_PASSWORD);
    let mut key = Zeroizing::new([0u8; BCRYPT_MAX_PASSWORD]);
    key[..used].copy_from_slice(&password[..used]);
    let key_len = (used + 1).min(BCRYPT_MAX_PASSWORD);
    let raw = Zeroizing::new(bcrypt::bcrypt(cost, salt, &key[..key_len]));
    // The stored digest drops the last byte (bcrypt's encoding has room for 23).
    Some(Zeroizing::new(raw[..23].to_vec()))
}

/// Microseconds of one core of the reference machine, measured roughly; only ordered and
/// added, so a factor of two does not matter.
pub(super) fn work(scheme: &LegacyScheme) -> u64 {
    match *scheme {
        // ~0.6 us per KiB and pass, times lanes run one after the other.
        LegacyScheme::Argon2 { memory_kib, iterations, .. } => {
            u64::from(memory_kib).saturating_mul(u64::from(iterations)) * 6 / 10
        }
        // Cost 12 takes about 250 ms.
        LegacyScheme::Bcrypt { cost } | LegacyScheme::DjangoBcryptSha256 { cost } => 61u64 << cost.min(40),

        LegacyScheme::Pbkdf2 { prf: Pbkdf2Prf::Sha1, iterations, .. } => u64::from(iterations) / 4,
        LegacyScheme::Pbkdf2 { prf: Pbkdf2Prf::Sha256, iterations, .. } => u64::from(iterations) * 4 / 10,
        // N = 2^14, r = 8 takes about 50 ms.
        LegacyScheme::Scrypt { log_n, r, p, .. } => {
            (1u64 << log_n.min(40)).saturating_mul(u64::from(r)).saturating_mul(u64::from(p)) * 4 / 10
        }
    }
}
