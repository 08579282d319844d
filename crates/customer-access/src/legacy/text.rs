//! The canonical text of a scheme and its cost, as wrapped hashes store it.

use super::{Argon2Variant, LegacyHashError, LegacyHashLimits, LegacyScheme, Pbkdf2Prf, parse};

pub(super) fn params_text(scheme: &LegacyScheme) -> String {
    let name = scheme.name();
    match *scheme {
        LegacyScheme::Argon2 { version, memory_kib, iterations, parallelism, output_len, .. } => {
            format!("{name},v={version},m={memory_kib},t={iterations},p={parallelism},l={output_len}")
        }
        LegacyScheme::Bcrypt { cost } | LegacyScheme::DjangoBcryptSha256 { cost } => format!("{name},c={cost}"),
        LegacyScheme::Pbkdf2 { iterations, output_len, .. } => format!("{name},i={iterations},l={output_len}"),
        LegacyScheme::Scrypt { log_n, r, p, output_len } => format!("{name},ln={log_n},r={r},p={p},l={output_len}"),
    }
}

/// Read `keys` (in this order) after the name; each value a plain decimal.
fn values<const N: usize>(rest: &str, keys: [&str; N]) -> Option<[u32; N]> {
    let mut out = [0u32; N];
    let mut fields = rest.split(',');
    for (key, slot) in keys.iter().zip(&mut out) {
        let value = fields.next()?.strip_prefix(key)?.strip_prefix('=')?;
        *slot = parse::decimal(value)?;
    }
    fields.next().is_none().then_some(out)
}

pub(super) fn from_params_text(text: &str, limits: &LegacyHashLimits) -> Result<LegacyScheme, LegacyHashError> {
    let malformed = LegacyHashError::Malformed { scheme: "stored", detail: "not a scheme's parameter text" };
    if text.len() > 128 {
        return Err(malformed);
    }
    let (name, rest) = text.split_once(',').ok_or(malformed.clone())?;
    let scheme = match name {
        "argon2i" | "argon2d" | "argon2id" => {
            let [version, memory_kib, iterations, parallelism, output_len] =
                values(rest, ["v", "m", "t", "p", "l"]).ok_or(malformed.clone())?;
            let variant = match name {
                "argon2i" => Argon2Variant::I,
                "argon2d" => Argon2Variant::D,
                _ => Argon2Variant::Id,
            };
            LegacyScheme::Argon2 { variant, version, memory_kib, iterations, parallelism, output_len }
        }
        "bcrypt" | "bcrypt-sha256" => {
            let [cost] = values(rest, ["c"]).ok_or(malformed.clone())?;
            if name == "bcrypt" { LegacyScheme::Bcrypt { cost } } else { LegacyScheme::DjangoBcryptSha256 { cost } }
        }
        "pbkdf2-sha1" | "pbkdf2-sha256" => {
            let [iterations, output_len] = values(rest, ["i", "l"]).ok_or(malformed.clone())?;
            let prf = if name == "pbkdf2-sha1" { Pbkdf2Prf::Sha1 } else { Pbkdf2Prf::Sha256 };
            LegacyScheme::Pbkdf2 { prf, iterations, output_len }
        }
        "scrypt" => {
            let [log_n, r, p, output_len] = values(rest, ["ln", "r", "p", "l"]).ok_or(malformed.clone())?;
            let log_n = u8::try_from(log_n).map_err(|_| malformed.clone())?;
            LegacyScheme::Scrypt { log_n, r, p, output_len }
        }
        _ => return Err(malformed),
    };
    parse::check_cost(&scheme, limits)?;
    // One text per scheme: anything `params_text` would not write is refused.
    if params_text(&scheme) != text {
        return Err(malformed);
    }
    Ok(scheme)
}
