//! Reading the formats of other systems' hashes (untrusted input: lengths and costs are
//! bounded before anything is decoded or run).

use base64ct::{Base64, Base64Bcrypt, Base64Unpadded, Encoding};
use zeroize::Zeroizing;

use super::{
    Argon2Variant, LegacyHash, LegacyHashError, LegacyHashLimits, LegacyScheme, MAX_LEGACY_HASH_LEN, Pbkdf2Prf,
};

/// Longest salt accepted, in bytes (real ones are 8 to 32).
const MAX_SALT: usize = 64;
/// Shortest salt accepted, in bytes: below this a salt does not separate users.
const MIN_SALT: usize = 8;
/// Digest lengths accepted, in bytes.
const OUTPUT_LEN: std::ops::RangeInclusive<usize> = 16..=64;

pub(super) fn parse(text: &str, limits: &LegacyHashLimits) -> Result<LegacyHash, LegacyHashError> {
    if text.len() > MAX_LEGACY_HASH_LEN {
        return Err(LegacyHashError::TooLong);
    }
    let hash = if let Some(rest) = text.strip_prefix("bcrypt_sha256$") {
        bcrypt(rest, true)?
    } else if let Some(rest) = text.strip_prefix("bcrypt$") {
        bcrypt(rest, false)?
    } else if text.starts_with("$2") {
        bcrypt(text, false)?
    } else if let Some(rest) = text.strip_prefix("argon2$") {
        argon2(&format!("${rest}"))?
    } else if text.starts_with("$argon2") {
        argon2(text)?
    } else if let Some(rest) = text.strip_prefix("pbkdf2_sha256$") {
        django_pbkdf2(rest, Pbkdf2Prf::Sha256)?
    } else if let Some(rest) = text.strip_prefix("pbkdf2_sha1$") {
        django_pbkdf2(rest, Pbkdf2Prf::Sha1)?
    } else if let Some(rest) = text.strip_prefix("$pbkdf2-sha256$") {
        phc_pbkdf2(rest, Pbkdf2Prf::Sha256)?
    } else if let Some(rest) = text.strip_prefix("$pbkdf2$") {
        phc_pbkdf2(rest, Pbkdf2Prf::Sha1)?
    } else if text.starts_with("$pbkdf2-") {
        return Err(LegacyHashError::Unsupported { scheme: "pbkdf2", detail: "only HMAC-SHA-1 and HMAC-SHA-256" });
    } else if let Some(rest) = text.strip_prefix("$scrypt$") {
        phc_scrypt(rest)?
    } else if let Some(rest) = text.strip_prefix("scrypt$") {
        django_scrypt(rest)?
    } else {
        return Err(LegacyHashError::Unrecognized);
    };
    check_cost(&hash.scheme, limits)?;
    check_salt(hash.scheme.name(), &hash.salt)?;
    Ok(hash)
}

/// A plain decimal that fits a `u32`: no sign, no leading zero, at most 10 digits.
pub(super) fn decimal(text: &str) -> Option<u32> {
    let plain = !text.is_empty()
        && text.len() <= 10
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if plain { text.parse().ok() } else { None }
}

/// The decimal values of `k=v,k=v` fields named `keys`, in any order, each at most once;
/// `other` for a field of another name. Absent ones are `None`.
fn named_values(
    scheme: &'static str,
    params: &str,
    keys: [&str; 3],
    other: LegacyHashError,
) -> Result<[Option<u32>; 3], LegacyHashError> {
    let mut values = [None; 3];
    for field in params.split(',') {
        let (key, value) = field.split_once('=').ok_or(malformed(scheme, "parameters"))?;
        let slot = keys.iter().position(|k| *k == key).ok_or_else(|| other.clone())?;
        if values[slot].replace(decimal(value).ok_or(malformed(scheme, "parameters"))?).is_some() {
            return Err(malformed(scheme, "a parameter given twice"));
        }
    }
    Ok(values)
}

fn malformed(scheme: &'static str, detail: &'static str) -> LegacyHashError {
    LegacyHashError::Malformed { scheme, detail }
}

pub(super) fn check_salt(scheme: &'static str, salt: &[u8]) -> Result<(), LegacyHashError> {
    if (MIN_SALT..=MAX_SALT).contains(&salt.len()) { Ok(()) } else { Err(malformed(scheme, "salt length")) }
}

/// Decode Base64 of at most `max` bytes, in any of the alphabets these formats use:
/// standard, with or without padding, or passlib's "adapted" one (`.` for `+`).
fn base64(scheme: &'static str, what: &'static str, text: &str, max: usize) -> Result<Vec<u8>, LegacyHashError> {
    if text.is_empty() || text.len() > max.div_ceil(3) * 4 {
        return Err(malformed(scheme, what));
    }
    let adapted = text.replace('.', "+");
    let decoded =
        if adapted.ends_with('=') { Base64::decode_vec(&adapted) } else { Base64Unpadded::decode_vec(&adapted) };
    decoded.map_err(|_| malformed(scheme, what))
}

fn output(scheme: &'static str, bytes: Vec<u8>) -> Result<(Zeroizing<Vec<u8>>, u32), LegacyHashError> {
    let bytes = Zeroizing::new(bytes);
    if !OUTPUT_LEN.contains(&bytes.len()) {
        return Err(malformed(scheme, "digest length"));
    }
    let len = u32::try_from(bytes.len()).map_err(|_| malformed(scheme, "digest length"))?;
    Ok((bytes, len))
}

/// `$2b$12$<22 salt><31 digest>`, bcrypt's own Base64.
fn bcrypt(text: &str, sha256: bool) -> Result<LegacyHash, LegacyHashError> {
    const S: &str = "bcrypt";
    let fields: Vec<&str> = text.split('$').collect();
    let ["", version, cost, rest] = fields[..] else {
        return Err(malformed(S, "expected $2b$<cost>$<salt and digest>"));
    };
    match version {
        "2a" | "2b" | "2y" => {}
        "2x" | "2" => return Err(LegacyHashError::Unsupported { scheme: S, detail: "the $2x$ and $2$ variants" }),
        _ => return Err(malformed(S, "version")),
    }
    if cost.len() != 2 {
        return Err(malformed(S, "cost is two digits"));
    }
    let cost = cost.parse::<u32>().map_err(|_| malformed(S, "cost is two digits"))?;
    if rest.len() != 53 || !rest.is_ascii() {
        return Err(malformed(S, "salt and digest are 53 characters"));
    }
    let (salt, digest) = rest.split_at(22);
    let salt = Base64Bcrypt::decode_vec(salt).map_err(|_| malformed(S, "salt"))?;
    let digest = Base64Bcrypt::decode_vec(digest).map_err(|_| malformed(S, "digest"))?;
    if salt.len() != 16 || digest.len() != 23 {
        return Err(malformed(S, "salt or digest length"));
    }
    let scheme = if sha256 { LegacyScheme::DjangoBcryptSha256 { cost } } else { LegacyScheme::Bcrypt { cost } };
    Ok(LegacyHash { scheme, salt, output: Zeroizing::new(digest) })
}

/// A PHC Argon2 string.
fn argon2(text: &str) -> Result<LegacyHash, LegacyHashError> {
    const S: &str = "argon2";
    let mut fields: Vec<&str> = text.split('$').collect();
    // No `v=` field means version 1.0 (libargon2's oldest output).
    let version = match fields.get(2).and_then(|f| f.strip_prefix("v=")) {
        Some(v) => {
            let v = decimal(v).ok_or(malformed(S, "version"))?;
            fields.remove(2);
            v
        }
        None => 0x10,
    };
    let ["", ident, params, salt, digest] = fields[..] else {
        return Err(malformed(S, "expected $argon2id$v=19$m=..,t=..,p=..$salt$digest"));
    };
    let variant = match ident {
        "argon2i" => Argon2Variant::I,
        "argon2d" => Argon2Variant::D,
        "argon2id" => Argon2Variant::Id,
        _ => return Err(LegacyHashError::Unrecognized),
    };
    if version != 0x10 && version != 0x13 {
        return Err(LegacyHashError::Unsupported { scheme: S, detail: "versions other than 16 and 19" });
    }
    // Secret keys and associated data were never used by these tools.
    let other = LegacyHashError::Unsupported { scheme: S, detail: "parameters other than m, t, p" };
    let values = named_values(S, params, ["m", "t", "p"], other)?;
    let [Some(memory_kib), Some(iterations), Some(parallelism)] = values else {
        return Err(malformed(S, "m, t and p are all needed"));
    };
    let salt = base64(S, "salt", salt, MAX_SALT)?;
    let (output, output_len) = output(S, base64(S, "digest", digest, 64)?)?;
    let scheme = LegacyScheme::Argon2 { variant, version, memory_kib, iterations, parallelism, output_len };
    Ok(LegacyHash { scheme, salt, output })
}

/// Django: `<iterations>$<salt text>$<standard Base64 digest>`.
fn django_pbkdf2(rest: &str, prf: Pbkdf2Prf) -> Result<LegacyHash, LegacyHashError> {
    const S: &str = "pbkdf2";
    let [iterations, salt, digest] = rest.split('$').collect::<Vec<_>>()[..] else {
        return Err(malformed(S, "expected pbkdf2_sha256$<iterations>$<salt>$<digest>"));
    };
    let iterations = decimal(iterations).ok_or(malformed(S, "iterations"))?;
    if salt.is_empty() || salt.len() > MAX_SALT {
        return Err(malformed(S, "salt length"));
    }
    let (output, output_len) = output(S, base64(S, "digest", digest, 64)?)?;
    // Django feeds the salt's text to PBKDF2 as it is.
    let scheme = LegacyScheme::Pbkdf2 { prf, iterations, output_len };
    Ok(LegacyHash { scheme, salt: salt.as_bytes().to_vec(), output })
}

/// PHC (`i=..,l=..$salt$digest`, RustCrypto) or passlib (`<iterations>$salt$digest`).
fn phc_pbkdf2(rest: &str, prf: Pbkdf2Prf) -> Result<LegacyHash, LegacyHashError> {
    const S: &str = "pbkdf2";
    let [params, salt, digest] = rest.split('$').collect::<Vec<_>>()[..] else {
        return Err(malformed(S, "expected $pbkdf2-sha256$<iterations>$<salt>$<digest>"));
    };
    let iterations = match decimal(params) {
        Some(iterations) => iterations, // passlib
        None => {
            let mut iterations = None;
            let mut length = None;
            for field in params.split(',') {
                match field.split_once('=') {
                    Some(("i", v)) if iterations.is_none() => iterations = decimal(v),
                    Some(("l", v)) if length.is_none() => length = decimal(v),
                    _ => return Err(malformed(S, "parameters")),
                }
            }
            iterations.ok_or(malformed(S, "iterations"))?
        }
    };
    let salt = base64(S, "salt", salt, MAX_SALT)?;
    let (output, output_len) = output(S, base64(S, "digest", digest, 64)?)?;
    // A PHC `l=` names the digest length, which the digest itself gives; a mismatch is
    // caught by the digest never matching, so it is not read twice.
    let scheme = LegacyScheme::Pbkdf2 { prf, iterations, output_len };
    Ok(LegacyHash { scheme, salt, output })
}

/// PHC and passlib: `ln=..,r=..,p=..$salt$digest`.
fn phc_scrypt(rest: &str) -> Result<LegacyHash, LegacyHashError> {
    const S: &str = "scrypt";
    let [params, salt, digest] = rest.split('$').collect::<Vec<_>>()[..] else {
        return Err(malformed(S, "expected $scrypt$ln=..,r=..,p=..$salt$digest"));
    };
    let values = named_values(S, params, ["ln", "r", "p"], malformed(S, "parameters other than ln, r, p"))?;
    let [Some(log_n), Some(r), Some(p)] = values else {
        return Err(malformed(S, "ln, r and p are all needed"));
    };
    let log_n = u8::try_from(log_n).map_err(|_| cost_too_high_log_n(log_n))?;
    let salt = base64(S, "salt", salt, MAX_SALT)?;
    let (output, output_len) = output(S, base64(S, "digest", digest, 64)?)?;
    Ok(LegacyHash { scheme: LegacyScheme::Scrypt { log_n, r, p, output_len }, salt, output })
}

/// Django: `<N>$<salt text>$<r>$<p>$<standard Base64 digest>`.
fn django_scrypt(rest: &str) -> Result<LegacyHash, LegacyHashError> {
    const S: &str = "scrypt";
    let [n, salt, r, p, digest] = rest.split('$').collect::<Vec<_>>()[..] else {
        return Err(malformed(S, "expected scrypt$<N>$<salt>$<r>$<p>$<digest>"));
    };
    let n = decimal(n).ok_or(malformed(S, "N"))?;
    if !n.is_power_of_two() || n < 2 {
        return Err(LegacyHashError::CostInvalid { scheme: S, parameter: "N", value: n.into() });
    }
    let log_n = u8::try_from(n.trailing_zeros()).map_err(|_| malformed(S, "N"))?;
    let r = decimal(r).ok_or(malformed(S, "r"))?;
    let p = decimal(p).ok_or(malformed(S, "p"))?;
    if salt.is_empty() || salt.len() > MAX_SALT {
        return Err(malformed(S, "salt length"));
    }
    let (output, output_len) = output(S, base64(S, "digest", digest, 64)?)?;
    let scheme = LegacyScheme::Scrypt { log_n, r, p, output_len };
    Ok(LegacyHash { scheme, salt: salt.as_bytes().to_vec(), output })
}

fn cost_too_high_log_n(log_n: u32) -> LegacyHashError {
    LegacyHashError::CostTooHigh { scheme: "scrypt", parameter: "ln", value: log_n.into(), max: u8::MAX.into() }
}

/// Refuse costs above `limits`, or ones the scheme does not allow, before anything runs.
pub(super) fn check_cost(scheme: &LegacyScheme, limits: &LegacyHashLimits) -> Result<(), LegacyHashError> {
    let name = scheme.name();
    let high = |parameter, value: u64, max: u64| {
        if value > max { Err(LegacyHashError::CostTooHigh { scheme: name, parameter, value, max }) } else { Ok(()) }
    };
    let invalid = |parameter, value: u64| Err(LegacyHashError::CostInvalid { scheme: name, parameter, value });
    match *scheme {
        LegacyScheme::Argon2 { version, memory_kib, iterations, parallelism, output_len, .. } => {
            if version != 0x10 && version != 0x13 {
                return invalid("version", version.into());
            }
            high("m", memory_kib.into(), limits.max_argon2_memory_kib.into())?;
            high("t", iterations.into(), limits.max_argon2_iterations.into())?;
            high("p", parallelism.into(), limits.max_argon2_parallelism.into())?;
            if iterations == 0 {
                return invalid("t", 0);
            }
            if parallelism == 0 || memory_kib < 8 * parallelism {
                return invalid("p", parallelism.into());
            }
            if !OUTPUT_LEN.contains(&(output_len as usize)) {
                return invalid("l", output_len.into());
            }
        }
        LegacyScheme::Bcrypt { cost } | LegacyScheme::DjangoBcryptSha256 { cost } => {
            high("cost", cost.into(), limits.max_bcrypt_cost.into())?;
            if cost < 4 {
                return invalid("cost", cost.into());
            }
        }
        LegacyScheme::Pbkdf2 { iterations, output_len, .. } => {
            high("iterations", iterations.into(), limits.max_pbkdf2_iterations.into())?;
            if iterations == 0 {
                return invalid("iterations", 0);
            }
            if !OUTPUT_LEN.contains(&(output_len as usize)) {
                return invalid("l", output_len.into());
            }
        }
        LegacyScheme::Scrypt { log_n, r, p, output_len } => {
            high("ln", log_n.into(), limits.max_scrypt_log_n.into())?;
            high("p", p.into(), limits.max_scrypt_parallelism.into())?;
            // Every buffer scrypt allocates: V (128 x r x N bytes), B (128 x r x p) and XY
            // (256 x r). Saturating, so no limit however wide can make this overflow.
            let n = 1u64.checked_shl(log_n.into()).unwrap_or(u64::MAX);
            let blocks = n.saturating_add(u64::from(p)).saturating_add(2);
            let memory_kib = 128u64.saturating_mul(u64::from(r)).saturating_mul(blocks) / 1024;
            high("memory (KiB)", memory_kib, limits.max_scrypt_memory_kib.into())?;
            if log_n == 0 {
                return invalid("ln", 0);
            }
            if r == 0 || p == 0 {
                return invalid("r and p", 0);
            }
            if !OUTPUT_LEN.contains(&(output_len as usize)) {
                return invalid("l", output_len.into());
            }
        }
    }
    Ok(())
}
