//! The `Accept-Language` header: which languages a browser's user reads, best first.

use super::Locale;

/// Longest header read; browsers send well under 200 characters. The rest is ignored, so a
/// crafted header costs no more than this.
const MAX_HEADER_LEN: usize = 1024;
/// Most entries kept.
const MAX_ENTRIES: usize = 16;

/// The locales of an `Accept-Language` header, most wanted first (by `q`, then by order),
/// without those marked `q=0` (not wanted), the wildcard `*`, and anything malformed.
///
/// Never fails: a header that says nothing usable gives an empty list, and the caller falls
/// back to its default.
///
/// ```
/// use customer_access::i18n::parse_accept_language;
/// let wanted = parse_accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5");
/// let tags: Vec<&str> = wanted.iter().map(|l| l.as_str()).collect();
/// assert_eq!(tags, ["fr-CH", "fr", "en", "de"]);
/// assert_eq!(parse_accept_language("nl;q=0.2, es").iter().map(|l| l.as_str()).collect::<Vec<_>>(), ["es", "nl"]);
/// ```
pub fn parse_accept_language(header: &str) -> Vec<Locale> {
    let header = match header.char_indices().nth(MAX_HEADER_LEN) {
        Some((cut, _)) => &header[..cut],
        None => header,
    };
    let mut weighted: Vec<(u16, Locale)> = header
        .split(',')
        .take(MAX_ENTRIES)
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let tag = parts.next()?.trim();
            let mut weight = 1000;
            for parameter in parts {
                let (name, value) = parameter.split_once('=')?;
                if name.trim().eq_ignore_ascii_case("q") {
                    weight = quality(value.trim())?;
                }
            }
            if weight == 0 || tag == "*" {
                return None;
            }
            Some((weight, Locale::parse(tag).ok()?))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    weighted.sort_by_key(|(weight, _)| std::cmp::Reverse(*weight));
    let mut locales: Vec<Locale> = Vec::with_capacity(weighted.len());
    for (_, locale) in weighted {
        if !locales.contains(&locale) {
            locales.push(locale);
        }
    }
    locales
}

/// A `q` value (`0`, `0.8`, `1.000`) in thousandths, as RFC 9110 writes it.
fn quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(header: &str) -> Vec<String> {
        parse_accept_language(header).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn weights_order_the_list_and_zero_removes() {
        assert_eq!(tags("de;q=0.5, nl;q=0.9, en"), ["en", "nl", "de"]);
        assert_eq!(tags("de;q=0, en-GB;q=1.0"), ["en-GB"]);
        assert_eq!(tags("de-DE, de;q=0.9, de-DE;q=0.8"), ["de-DE", "de"]);
    }

    #[test]
    fn garbage_is_skipped_not_fatal() {
        assert!(tags("").is_empty());
        assert!(tags(";;;,,,=").is_empty());
        assert_eq!(tags("x_y, de;q=2, fr;q=0.1234, es;q=abc, nl;foo, en;q=0.3"), ["en"]);
        assert_eq!(tags(&format!("{},fr", "de,".repeat(5000))), ["de"]);
    }
}
