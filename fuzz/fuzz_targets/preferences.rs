//! The language and time-zone parsers on arbitrary text: a browser's `Accept-Language`
//! header, a language tag and a time-zone name from a form or an import file. Never panics;
//! every accepted locale is canonical (parsing its text gives it back), at most 35 ASCII
//! letters, digits and `-`, the input's subtags up to case, order and repetition; a header gives at most 16 locales, none twice; an accepted zone
//! is a fixed point too and puts any instant on a valid wall clock.
#![no_main]

use customer_access::Timestamp;
use customer_access::i18n::{Locale, TimeZoneName, parse_accept_language};
use libfuzzer_sys::fuzz_target;

fn assert_canonical(locale: &Locale) {
    let text = locale.as_str();
    assert!(text.len() <= 35 && !text.is_empty());
    assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    assert_eq!(Locale::parse(text).as_ref(), Ok(locale), "canonical form {text:?} re-parses to itself");
}

fuzz_target!(|input: (&str, i64)| {
    let (text, millis) = input;
    let wanted = parse_accept_language(text);
    assert!(wanted.len() <= 16);
    for (i, locale) in wanted.iter().enumerate() {
        assert_canonical(locale);
        assert!(!wanted[..i].contains(locale), "no locale twice");
    }
    if let Ok(locale) = Locale::parse(text) {
        assert_canonical(&locale);
        // Canonicalising changes case, sorts variants and drops repeated ones, nothing else.
        let subtags = |s: &str| {
            let mut v: Vec<String> = s.split('-').map(str::to_ascii_lowercase).collect();
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(subtags(locale.as_str()), subtags(text));
    }
    if let Ok(zone) = TimeZoneName::parse(text) {
        assert!(zone.as_str().len() <= 64);
        assert_eq!(TimeZoneName::parse(zone.as_str()).as_ref(), Ok(&zone));
        let wall = zone.local_time(Timestamp::from_unix_millis(millis));
        assert!((1..=12).contains(&wall.month) && (1..=31).contains(&wall.day) && (1..=7).contains(&wall.weekday));
        assert!((0..24).contains(&wall.hour) && (0..60).contains(&wall.minute));
        assert!(!wall.abbreviation.is_empty() && !wall.abbreviation.chars().any(char::is_control));
    }
});
