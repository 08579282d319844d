//! Property tests: the generator, the normalisers and `validate`.

use std::collections::HashSet;

use customer_access_policy::{
    PasswordContext, PasswordPolicy, PasswordViolation, TemporaryPassword, UsernameKey, UsernameRules, fold_username,
    normalize_password,
};
use proptest::prelude::*;
use secrecy::ExposeSecret;

/// A seeded, reproducible stand-in for the OS RNG (ChaCha from `rand`, which proptest ships).
fn rng(seed: u64) -> impl rand_core::CryptoRng {
    use proptest::test_runner::{RngAlgorithm, TestRng};
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRngAdapter(TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// proptest's `TestRng` is a `TryRng` but does not claim `CryptoRng`; its ChaCha mode is one,
/// so this test-only wrapper says so.
struct TestRngAdapter(proptest::test_runner::TestRng);
impl rand_core::TryRng for TestRngAdapter {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        rand_core::TryRng::try_next_u32(&mut self.0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        rand_core::TryRng::try_next_u64(&mut self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        rand_core::TryRng::try_fill_bytes(&mut self.0, dst)
    }
}
impl rand_core::TryCryptoRng for TestRngAdapter {}

#[test]
fn hundred_thousand_temporary_passwords_pass_and_are_unique() {
    let policy = PasswordPolicy::default();
    let mut os = rand_core::UnwrapErr(getrandom::SysRng);
    let mut seen = HashSet::with_capacity(100_000);
    for _ in 0..100_000 {
        let temp = TemporaryPassword::generate(&mut os, &policy);
        let text = temp.expose_secret();
        assert!(policy.validate(text, &PasswordContext::default()).is_ok());
        assert!(seen.insert(text.to_owned()), "duplicate temporary password");
    }
}

fn any_policy() -> impl Strategy<Value = PasswordPolicy> {
    (1usize..40, 64usize..200, any::<[bool; 6]>()).prop_map(|(min, max, f)| {
        let mut p = PasswordPolicy::default();
        p.min_length = min;
        p.max_length = max;
        p.require_digit = f[0];
        p.require_letter = f[1];
        p.reject_username = f[2];
        p.reject_temporary_password = f[3];
        p.reject_control_characters = f[4];
        p.use_blocklist = f[5];
        p
    })
}

proptest! {
    #[test]
    fn generated_passwords_pass_any_valid_policy(policy in any_policy(), seed in any::<u64>()) {
        let temp = TemporaryPassword::generate(&mut rng(seed), &policy);
        prop_assert_eq!(temp.expose_secret().chars().count(), TemporaryPassword::length_for(&policy));
        prop_assert!(policy.validate(temp.expose_secret(), &PasswordContext::default()).is_ok());
    }

    #[test]
    fn fold_username_is_idempotent(s in "\\PC{0,40}") {
        let once = fold_username(&s);
        prop_assert_eq!(fold_username(&once), once);
    }

    #[test]
    fn canonical_username_is_a_fixed_point(s in "\\PC{0,40}") {
        let rules = UsernameRules::default();
        if let Ok(key) = rules.canonicalize(&s) {
            let again = rules.canonicalize(key.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&key));
        }
    }

    #[test]
    fn from_stored_accepts_exactly_the_fixed_points_of_canonicalize(
        s in prop_oneof!["\\PC{0,40}", "[a-z0-9._@+A-Z-]{0,40}", "[a-z0-9]{1020,1030}"]
    ) {
        let mut widest = UsernameRules::default();
        widest.min_length = 1;
        widest.max_length = 1024;
        let by_folding = widest.canonicalize(&s).ok().filter(|k| k.as_str() == s);
        prop_assert_eq!(UsernameKey::from_stored(&s).ok(), by_folding);
    }

    #[test]
    fn password_normalisation_is_idempotent(s in "\\PC{0,40}") {
        let once = normalize_password(&s);
        let twice = normalize_password(&once);
        prop_assert_eq!(twice.as_str(), once.as_str());
    }

    /// Folding in one pass over the characters (no intermediate strings) gives what the
    /// three steps give one after the other.
    #[test]
    fn fold_username_is_nfkc_then_case_fold_then_nfkc(s in "\\PC{0,40}") {
        use unicode_normalization::UnicodeNormalization;
        let compat: String = s.nfkc().collect();
        let folded = caseless::default_case_fold_str(&compat);
        prop_assert_eq!(fold_username(&s), folded.nfkc().collect::<String>());
    }

    #[test]
    fn validate_never_panics_and_never_echoes(
        policy in any_policy(),
        candidate in any::<String>(),
        username in proptest::option::of(any::<String>()),
        temporary in proptest::option::of(any::<String>()),
    ) {
        let ctx = PasswordContext { username: username.as_deref(), temporary_password: temporary.as_deref() };
        if let Err(errors) = policy.validate(&candidate, &ctx) {
            prop_assert!(!errors.as_slice().is_empty());
            // The message is made from the violations alone (which hold only numbers), so it
            // cannot echo the password. (A plain "does not contain the password" check fails
            // for passwords like "the new password", as the fuzzer found.)
            let parts: Vec<String> = errors.as_slice().iter().map(ToString::to_string).collect();
            prop_assert_eq!(errors.to_string(), format!("the new password {}", parts.join("; ")));
        }
    }

    /// Starting from a password that passes everything, breaking one rule reports exactly
    /// that rule.
    #[test]
    fn each_rule_can_fail_alone(rule in 0usize..8, filler in "[a-z]{2,6}") {
        let policy = PasswordPolicy::default();
        let base = format!("{filler}-Quartz-7");
        let none = PasswordContext::default();
        prop_assert!(policy.validate(&base, &none).is_ok());
        let (candidate, ctx, expected) = match rule {
            0 => ("q7".to_owned(), none, PasswordViolation::TooShort { min: 8, actual: 2 }),
            1 => ("x7".repeat(65), none, PasswordViolation::TooLong { max: 128 }),
            2 => (format!("{filler}-Quartz-x"), none, PasswordViolation::MissingDigit),
            3 => ("1234-5678-90".to_owned(), none, PasswordViolation::MissingLetter),
            4 => (format!("{base}\u{7}"), none, PasswordViolation::ControlCharacter),
            5 => (base.clone(), PasswordContext { username: Some(&base), temporary_password: None }, PasswordViolation::SameAsUsername),
            6 => (base.clone(), PasswordContext { username: None, temporary_password: Some(&base) }, PasswordViolation::SameAsTemporaryPassword),
            _ => ("Password123".to_owned(), none, PasswordViolation::CommonPassword),
        };
        let errors = policy.validate(&candidate, &ctx).unwrap_err();
        prop_assert_eq!(errors.as_slice(), &[expected]);
    }
}
