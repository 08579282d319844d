//! Parsers of values read back from storage (a tampered or corrupt database is untrusted
//! input): PHC hash strings, wrapped imported hashes, actor encodings and audit codes. Never panics; accepted PHC
//! strings respect the parameter bounds; accepted actors and codes round-trip exactly.
#![no_main]

use customer_access::{Actor, AuditKind};
use customer_access::legacy::{LegacyHashLimits, LegacyScheme};
use customer_access::store::StoredHash;
use libfuzzer_sys::fuzz_target;

const MAX_MEMORY_KIB: u32 = 262_144;

fuzz_target!(|text: &str| {
    let limits = LegacyHashLimits::default();
    let stored = StoredHash::from_phc(text);
    if let Ok(p) = stored.parameters(MAX_MEMORY_KIB, &limits) {
        assert!(p.memory_kib <= MAX_MEMORY_KIB && p.iterations <= 64 && p.parallelism <= 16);
        assert!(p.iterations >= 1 && p.parallelism >= 1);
        // A wrapped imported hash: its scheme is within the limits and reads back as itself,
        // and the census groups it under the prefix its parameters give.
        if let Some(scheme) = p.legacy {
            assert_eq!(LegacyScheme::from_params_text(&scheme.params_text(), &limits), Ok(scheme));
            if !text.contains("keyid=") {
                assert_eq!(stored.phc_prefix(), p.phc_prefix(), "{text}");
            }
        }
    }
    if let Ok(actor) = Actor::decode(text) {
        assert_eq!(actor.encode(), text, "decode accepts only what encode produces");
    }
    if let Ok(kind) = text.parse::<AuditKind>() {
        assert_eq!(kind.code(), text);
    }
});
