//! Parsers of values read back from storage (a tampered or corrupt database is untrusted
//! input): PHC hash strings, actor encodings and audit codes. Never panics; accepted PHC
//! strings respect the parameter bounds; accepted actors and codes round-trip exactly.
#![no_main]

use customer_access::{Actor, AuditKind};
use customer_access::store::StoredHash;
use libfuzzer_sys::fuzz_target;

const MAX_MEMORY_KIB: u32 = 262_144;

fuzz_target!(|text: &str| {
    if let Ok(p) = StoredHash::from_phc(text).parameters(MAX_MEMORY_KIB) {
        assert!(p.memory_kib <= MAX_MEMORY_KIB && p.iterations <= 64 && p.parallelism <= 16);
        assert!(p.iterations >= 1 && p.parallelism >= 1);
    }
    if let Ok(actor) = Actor::decode(text) {
        assert_eq!(actor.encode(), text, "decode accepts only what encode produces");
    }
    if let Ok(kind) = text.parse::<AuditKind>() {
        assert_eq!(kind.code(), text);
    }
});
