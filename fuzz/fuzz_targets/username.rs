//! Username folding and canonicalisation on arbitrary input: folding is idempotent, a
//! canonical key is a fixed point, and a key holds only the documented alphabet.
#![no_main]

use customer_access_policy::{UsernameRules, fold_username};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let once = fold_username(raw);
    assert_eq!(fold_username(&once), once, "fold_username is idempotent");
    let rules = UsernameRules::default();
    if let Ok(key) = rules.canonicalize(raw) {
        assert_eq!(rules.canonicalize(key.as_str()).as_ref(), Ok(&key));
        assert!(key.as_str().bytes().all(|b| b.is_ascii_lowercase()
            || b.is_ascii_digit()
            || b".-_@+".contains(&b)));
        assert!((3..=64).contains(&key.as_str().len()));
    }
});
