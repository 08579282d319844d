//! Imported hashes, stored wrapped: the other system's hash output, never stored itself, goes
//! through Argon2id with the pool's parameters.
//!
//! ```text
//! $ca-legacy$bcrypt,c=12$m=19456,t=2,p=1$<legacy salt>$<Argon2id salt>$<Argon2id output>
//! ```
//!
//! The text keeps what a login needs to recompute the legacy output from the typed password
//! (the scheme, its cost parameters and its salt), and what verifies that output (the
//! Argon2id salt and output). So a database dump shows no weak hash from the moment of
//! import: each guess against a wrapped hash costs the legacy computation *and* an Argon2id.
//! Everything up to the salts is the same for every hash of one scheme and cost, which is
//! what the census groups by ([`StoredHash::phc_prefix`]). Salts and output are standard
//! Base64 without padding, as in PHC strings.
//!
//! The text comes back from storage, so it is untrusted input: lengths and costs are
//! bounded ([`LegacyHashLimits`], the pool's Argon2 bounds) before anything runs.

use argon2::Params;
use argon2::password_hash::phc::ParamsString;
use base64ct::{Base64Unpadded, Encoding};

use super::{HashError, MAX_STORED_ITERATIONS, MAX_STORED_PARALLELISM, OUTPUT_BYTES, SALT_BYTES};
use crate::credential::StoredHash;
use crate::legacy::{LegacyHashLimits, LegacyScheme};

/// The algorithm field of a wrapped hash.
pub(super) const WRAPPED_PREFIX: &str = "$ca-legacy$";
/// Longest legacy salt kept (bytes). Real ones are 16 to 32; Django's PBKDF2 salts are text.
const MAX_LEGACY_SALT: usize = 128;
/// Longest wrapped text read back (a generous bound on every field above).
const MAX_WRAPPED_LEN: usize = 512;

/// A wrapped hash taken apart, ready to verify against.
pub(super) struct Wrapped {
    pub(super) scheme: LegacyScheme,
    pub(super) legacy_salt: Vec<u8>,
    pub(super) params: Params,
    pub(super) salt: Vec<u8>,
    pub(super) expected: Vec<u8>,
}

/// Is `stored` a wrapped imported hash (rather than a plain Argon2id one)?
pub(super) fn is_wrapped(stored: &StoredHash) -> bool {
    stored.as_phc().starts_with(WRAPPED_PREFIX)
}

/// The wrapped text of `scheme`'s hash with `legacy_salt`, whose output went through
/// Argon2id with `params` and `salt` to give `out`.
pub(super) fn encode(
    scheme: &LegacyScheme,
    legacy_salt: &[u8],
    params: &Params,
    salt: &[u8],
    out: &[u8],
) -> Result<StoredHash, HashError> {
    if legacy_salt.is_empty() || legacy_salt.len() > MAX_LEGACY_SALT {
        return Err(HashError::Malformed);
    }
    // `m=..,t=..,p=..` and, with a pepper, `keyid=..`: as in a PHC string.
    let argon = ParamsString::try_from(params).map_err(|_| HashError::Malformed)?;
    Ok(StoredHash::from_phc(format!(
        "{WRAPPED_PREFIX}{}${argon}${}${}${}",
        scheme.params_text(),
        Base64Unpadded::encode_string(legacy_salt),
        Base64Unpadded::encode_string(salt),
        Base64Unpadded::encode_string(out),
    )))
}

/// `m=..,t=..,p=..`: the Argon2id cost fields, as in a PHC string.
pub(super) fn argon2_fields(memory_kib: u32, iterations: u32, parallelism: u32) -> String {
    format!("m={memory_kib},t={iterations},p={parallelism}")
}

/// Parse a wrapped hash read from storage, refusing costs above the bounds before anything
/// is allocated by them, and any text `encode` would not have written.
pub(super) fn parse(stored: &StoredHash, limits: &LegacyHashLimits, max_memory_kib: u32) -> Result<Wrapped, HashError> {
    let text = stored.as_phc();
    if text.len() > MAX_WRAPPED_LEN {
        return Err(HashError::Malformed);
    }
    let rest = text.strip_prefix(WRAPPED_PREFIX).ok_or(HashError::Malformed)?;
    let fields: Vec<&str> = rest.split('$').collect();
    let [scheme, argon, legacy_salt, salt, expected] = fields[..] else {
        return Err(HashError::Malformed);
    };
    // Costs above the limits included: a row no import could have written.
    let scheme = LegacyScheme::from_params_text(scheme, limits).map_err(|_| HashError::Malformed)?;
    let params = parse_argon2_fields(argon, max_memory_kib)?;
    let decode = |field: &str, max: usize| {
        if field.is_empty() || field.len() > max.div_ceil(3) * 4 {
            return Err(HashError::Malformed);
        }
        Base64Unpadded::decode_vec(field).map_err(|_| HashError::Malformed)
    };
    let legacy_salt = decode(legacy_salt, MAX_LEGACY_SALT)?;
    let salt = decode(salt, SALT_BYTES)?;
    let expected = decode(expected, OUTPUT_BYTES)?;
    if salt.len() != SALT_BYTES || expected.len() != OUTPUT_BYTES {
        return Err(HashError::Malformed);
    }
    // Only what `encode` writes: one text per hash, so the census's prefixes (and anyone
    // comparing stored hashes) see one form of each parameter set.
    if encode(&scheme, &legacy_salt, &params, &salt, &expected)?.as_phc() != text {
        return Err(HashError::Malformed);
    }
    Ok(Wrapped { scheme, legacy_salt, params, salt, expected })
}

/// The Argon2id fields as in a PHC string (`m=..,t=..,p=..` and perhaps `keyid=..`), within
/// the bounds. Parsing reads numbers only; nothing is allocated by them.
fn parse_argon2_fields(text: &str, max_memory_kib: u32) -> Result<Params, HashError> {
    let fields: ParamsString = text.parse().map_err(|_| HashError::Malformed)?;
    let params = Params::try_from(&fields).map_err(|_| HashError::Malformed)?;
    if params.m_cost() > max_memory_kib
        || params.t_cost() > MAX_STORED_ITERATIONS
        || params.p_cost() > MAX_STORED_PARALLELISM
    {
        return Err(HashError::ParamsTooLarge);
    }
    if params.output_len().is_some_and(|len| len != OUTPUT_BYTES) || !params.data().is_empty() {
        return Err(HashError::Malformed);
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::{Candidate, HashPool, HashPoolOptions, Peppers};
    use crate::legacy::LegacyHash;
    use customer_access_policy::Argon2Settings;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    }

    fn pool(peppers: Peppers) -> HashPool {
        let options = HashPoolOptions { peppers, ..HashPoolOptions::default() };
        HashPool::with_options(&Argon2Settings::danger_insecure_for_tests(), 1, 8, options).unwrap()
    }

    fn imported(password: &str) -> LegacyHash {
        let limits = LegacyHashLimits::default();
        let scheme = LegacyScheme::from_params_text("pbkdf2-sha256,i=1000,l=32", &limits).unwrap();
        LegacyHash::make(scheme, password.as_bytes(), b"NaCl-salt-0123").unwrap()
    }

    #[test]
    fn a_wrapped_hash_verifies_the_password_as_typed_only() {
        block_on(async {
            let pool = pool(Peppers::none());
            // Typed decomposed (e + U+0301): the other system hashed these bytes.
            let typed = "cafe\u{301}-Pass-1";
            let normalized = customer_access_policy::normalize_password(typed);
            let stored = pool.wrap(&imported(typed)).await.unwrap();
            assert!(stored.as_phc().starts_with("$ca-legacy$pbkdf2-sha256,i=1000,l=32$m=64,t=1,p=1$"), "{stored:?}");
            let right = Candidate::new(normalized.as_bytes(), typed.as_bytes());
            assert!(pool.verify(right, Some(&stored)).await.unwrap());
            let normalized_only = Candidate::from(normalized.as_bytes());
            assert!(!pool.verify(normalized_only, Some(&stored)).await.unwrap(), "NFKC bytes are not what was hashed");
            assert!(!pool.verify(b"cafe-Pass-1", Some(&stored)).await.unwrap());
            assert!(pool.needs_rehash(&stored), "replaced at the next login");
            let params = pool.parameters_of(&stored).unwrap();
            assert_eq!(stored.phc_prefix(), params.phc_prefix(), "the census groups by this prefix");
        });
    }

    #[test]
    fn with_a_pepper_the_wrapped_hash_names_and_needs_the_key() {
        block_on(async {
            let key = || secrecy::SecretSlice::from(vec![3u8; 32]);
            let keyed = pool(Peppers::current("k1", key()).unwrap());
            let stored = keyed.wrap(&imported("Old-Pass-1")).await.unwrap();
            assert!(stored.as_phc().contains(",keyid=azE$"), "{stored:?}");
            assert!(keyed.verify(b"Old-Pass-1", Some(&stored)).await.unwrap());
            let unkeyed = pool(Peppers::none());
            assert!(matches!(unkeyed.verify(b"Old-Pass-1", Some(&stored)).await, Err(HashError::UnknownPepper(_))));
        });
    }

    #[test]
    fn a_hash_above_the_pools_limits_is_not_wrapped() {
        block_on(async {
            let mut loose = LegacyHashLimits::default();
            loose.max_pbkdf2_iterations = 10_000_000;
            let scheme = LegacyScheme::from_params_text("pbkdf2-sha256,i=3000000,l=32", &loose).unwrap();
            let text = format!("pbkdf2_sha256$3000000$somesalt${}", "A".repeat(43) + "=");
            let imported = LegacyHash::parse(&text, &loose).unwrap();
            assert_eq!(imported.scheme(), scheme);
            let pool = pool(Peppers::none());
            assert!(matches!(pool.wrap(&imported).await, Err(HashError::ParamsTooLarge)));
            assert_eq!(pool.operations(), 0, "refused before any work");
        });
    }

    #[test]
    fn only_the_text_encode_writes_is_read_back() {
        block_on(async {
            let pool = pool(Peppers::none());
            let stored = pool.wrap(&imported("Old-Pass-1")).await.unwrap();
            let text = stored.as_phc().to_owned();
            assert!(pool.verify(b"Old-Pass-1", Some(&stored)).await.unwrap());
            let bad = [
                text.replacen("m=64", "m=064", 1),
                text.replacen("m=64,t=1,p=1", "t=1,m=64,p=1", 1),
                text.replacen("i=1000", "i=01000", 1),
                format!("{text}$"),
                format!("{text}A"),
                text.replacen("$ca-legacy$", "$ca-legacy$$", 1),
                text[..text.len() - 2].to_owned(),
                text.replacen("m=64,t=1,p=1", "m=64,t=1,p=1,data=AAAA", 1),
                format!("{text}{}", "A".repeat(600)),
                String::from("$ca-legacy$"),
            ];
            for tampered in bad {
                let result = pool.verify(b"Old-Pass-1", Some(&StoredHash::from_phc(tampered.clone()))).await;
                assert!(
                    matches!(result, Err(HashError::Malformed | HashError::ParamsTooLarge)),
                    "{tampered}: {result:?}"
                );
            }
            let huge = text.replacen("m=64", "m=99999999", 1);
            let result = pool.verify(b"Old-Pass-1", Some(&StoredHash::from_phc(huge))).await;
            assert!(matches!(result, Err(HashError::ParamsTooLarge)), "{result:?}");
        });
    }
}
