//! CSRF tokens: one random token per session, required on every request that is not a
//! `GET`, `HEAD` or `OPTIONS` under the layer, the crate's routes and the application's alike.
//! A form carries it as the field `csrf`, a script as the header `x-csrf-token`.

use subtle::ConstantTimeEq;

/// The form field name.
pub const FORM_FIELD: &str = "csrf";
/// The header name for JSON calls.
pub const HEADER: &str = "x-csrf-token";

/// 256 random bits, hex.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // The operating system's generator; without it no session can be trusted, so no form
    // either: an empty token matches nothing (see `matches`).
    if getrandom::fill(&mut bytes).is_err() {
        tracing::error!("no randomness for a CSRF token");
        return String::new();
    }
    base16ct::lower::encode_string(&bytes)
}

/// Does `submitted` equal the session's token? Constant-time; an empty token never matches.
pub(crate) fn matches(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

/// The `csrf` field of an `application/x-www-form-urlencoded` body.
pub(crate) fn from_form(body: &[u8]) -> Option<String> {
    form_urlencoded_pairs(body).find(|(k, _)| k == FORM_FIELD).map(|(_, v)| v)
}

fn form_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|&b| b == b'&').filter_map(|pair| {
        let mut parts = pair.splitn(2, |&b| b == b'=');
        let key = decode(parts.next()?)?;
        let value = decode(parts.next().unwrap_or_default())?;
        Some((key, value))
    })
}

/// Percent-decoding with `+` as space; `None` for invalid UTF-8 or escapes.
fn decode(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_is_found_among_others_and_decoded() {
        assert_eq!(from_form(b"username=a%20b&csrf=ab%2Bc+d&password=x").as_deref(), Some("ab+c d"));
        assert_eq!(from_form(b"username=a").as_deref(), None);
        assert_eq!(from_form(b"csrf=%zz").as_deref(), None);
        assert_eq!(from_form(b"csrf=%4").as_deref(), None);
    }

    #[test]
    fn tokens_differ_and_only_equal_ones_match() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(matches(&a, &a.clone()));
        assert!(!matches(&a, &b) && !matches(&a, "") && !matches("", ""));
    }
}
