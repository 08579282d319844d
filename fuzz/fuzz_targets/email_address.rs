//! `EmailAddress::parse` on arbitrary text: never panics; an accepted address is the input
//! unchanged, at most 254 bytes, with exactly one `@` and no whitespace or control
//! character anywhere (so it can never inject an e-mail header).
#![no_main]

use customer_access::EmailAddress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(address) = EmailAddress::parse(text) {
        assert_eq!(address.as_str(), text);
        assert!(text.len() <= 254);
        assert_eq!(text.matches('@').count(), 1);
        assert!(!text.chars().any(|c| c.is_control() || c.is_whitespace()));
        assert!(text.is_ascii());
    }
});
