//! `SecurityPolicy` loaded from an arbitrary configuration file (JSON): never panics; a
//! policy that passes `check` keeps the safety floors (OWASP Argon2 minimum, at least 64
//! characters allowed, sane lifetimes) and round-trips through serialisation.
#![no_main]

use customer_access_policy::{Argon2Settings, SecurityPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = serde_json::from_slice::<SecurityPolicy>(data) else { return };
    if policy.check().is_ok() {
        let a = policy.argon2;
        assert!(!a.is_insecure_for_tests(), "test-only hashing cannot come from a file");
        assert!(a.memory_kib >= Argon2Settings::MIN_MEMORY_KIB);
        assert!(u64::from(a.memory_kib) * u64::from(a.iterations) >= Argon2Settings::MIN_MEMORY_TIMES_ITERATIONS);
        assert!(policy.password.max_length >= 64 && policy.password.min_length >= 1);
        assert!(policy.password.min_length <= policy.password.max_length);
        assert!(policy.temporary_password_ttl.as_secs() >= 60);
        assert!(policy.change_ticket_ttl.as_secs() <= 3600);
        let text = serde_json::to_string(&policy).expect("a checked policy serialises");
        let back: SecurityPolicy = serde_json::from_str(&text).expect("and loads again");
        assert_eq!(back, policy);
    }
});
