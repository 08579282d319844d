//! The parser of imported password hashes (a bulk import's untrusted input): never panics;
//! whatever it accepts is within the limits and its scheme reads back from its parameter
//! text, which a wrapped hash stores.
#![no_main]

use customer_access::legacy::{LegacyHash, LegacyHashLimits, LegacyScheme};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let limits = LegacyHashLimits::default();
    if let Ok(hash) = LegacyHash::parse(text, &limits) {
        let scheme = hash.scheme();
        assert_eq!(LegacyScheme::from_params_text(&scheme.params_text(), &limits), Ok(scheme), "{text}");
        // The most the limits allow (argon2 at 256 MiB x 10 passes) is ~1.6 s.
        assert!(scheme.work() <= 2_000_000, "{text}: {scheme:?}");
        assert!(!hash.salt().is_empty() && !hash.output().is_empty());
    }
    if let Ok(scheme) = LegacyScheme::from_params_text(text, &limits) {
        assert_eq!(scheme.params_text(), text, "only canonical text is read");
    }
});
