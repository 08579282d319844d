//! Boundary tests, one or more per rule.

use customer_access_policy::{PasswordContext, PasswordPolicy, PasswordViolation as V, SecurityPolicy};

fn check(p: &str) -> Vec<V> {
    check_with(&PasswordPolicy::default(), p, &PasswordContext::default())
}

fn check_with(policy: &PasswordPolicy, p: &str, ctx: &PasswordContext<'_>) -> Vec<V> {
    policy.validate(p, ctx).map_or_else(|e| e.as_slice().to_vec(), |()| Vec::new())
}

#[test]
fn seven_characters_fail_eight_pass() {
    assert_eq!(check("kx7wqpz"), [V::TooShort { min: 8, actual: 7 }]);
    assert_eq!(check("kx7wqpzm"), []);
}

#[test]
fn multibyte_characters_count_once() {
    // 7 characters, 14 bytes: still too short.
    assert_eq!(check("ééééé7x"), [V::TooShort { min: 8, actual: 7 }]);
    assert_eq!(check("éééééé7x"), []);
    // Emoji are one scalar value each.
    assert_eq!(check("🦀🦀🦀🦀🦀🦀7x"), []);
    assert_eq!(check("🦀🦀🦀🦀🦀7x"), [V::TooShort { min: 8, actual: 7 }]);
}

#[test]
fn composed_and_decomposed_e_acute_are_the_same_length() {
    let composed = "caf\u{e9}kx9q"; // 8 characters
    let decomposed = "cafe\u{301}kx9q"; // 9 scalar values raw, 8 after NFKC
    assert_eq!(check(composed), []);
    assert_eq!(check(decomposed), []);
    assert_eq!(check("caf\u{e9}kx9"), [V::TooShort { min: 8, actual: 7 }]);
    assert_eq!(check("cafe\u{301}kx9"), [V::TooShort { min: 8, actual: 7 }]);
}

#[test]
fn fullwidth_and_non_ascii_digits_count_as_numbers() {
    assert_eq!(check("mountain８"), []); // fullwidth eight -> 8
    assert_eq!(check("mountain٣"), []); // ARABIC-INDIC DIGIT THREE
    assert_eq!(check("mountainx"), [V::MissingDigit]);
}

#[test]
fn non_ascii_letters_count_as_letters() {
    assert_eq!(check("жжжж1234"), []);
    assert_eq!(check("漢字漢字1234"), []);
    assert_eq!(check("12345678!"), [V::MissingLetter]);
    assert_eq!(check("🦀🦀🦀🦀🦀🦀🦀🦀"), [V::MissingDigit, V::MissingLetter]);
}

#[test]
fn right_to_left_text_is_counted_and_classified() {
    // Hebrew letters plus digits; the RLM mark U+200F is a format character, not a control.
    assert_eq!(check("שלוםעולם7"), []);
    assert_eq!(check("\u{200F}שלום7"), [V::TooShort { min: 8, actual: 6 }]);
}

#[test]
fn control_characters_are_refused() {
    assert_eq!(check("pass\0word42"), [V::ControlCharacter]);
    assert_eq!(check("pass\r\nword42"), [V::ControlCharacter]);
    assert_eq!(check("pass\u{7f}word42"), [V::ControlCharacter]);
    let mut policy = PasswordPolicy::default();
    policy.reject_control_characters = false;
    assert_eq!(check_with(&policy, "pass\tword42", &PasswordContext::default()), []);
}

#[test]
fn maximum_length_is_checked_raw_and_alone() {
    let at_max = format!("a1{}", "x".repeat(126));
    assert_eq!(check(&at_max), []);
    let over = format!("{at_max}x");
    assert_eq!(check(&over), [V::TooLong { max: 128 }]);
    // 1 MiB of control characters: only TooLong, nothing else was read.
    assert_eq!(check(&"\0".repeat(1 << 20)), [V::TooLong { max: 128 }]);
    // 128 four-byte characters are within the limit.
    let emoji = format!("a1{}", "🦀".repeat(126));
    assert_eq!(check(&emoji), []);
}

#[test]
fn username_is_refused_after_folding() {
    let ctx = PasswordContext { username: Some("Anna.Berg42"), temporary_password: None };
    let policy = PasswordPolicy::default();
    assert_eq!(check_with(&policy, "anna.berg42", &ctx), [V::SameAsUsername]);
    assert_eq!(check_with(&policy, "ＡＮＮＡ.ＢＥＲＧ42", &ctx), [V::SameAsUsername]);
    assert_eq!(check_with(&policy, "anna.berg43", &ctx), []);
}

#[test]
fn temporary_password_is_refused() {
    let ctx = PasswordContext { username: None, temporary_password: Some("Kp7xQ2mZr9TbW4vN") };
    let policy = PasswordPolicy::default();
    assert_eq!(check_with(&policy, "Kp7xQ2mZr9TbW4vN", &ctx), [V::SameAsTemporaryPassword]);
    // Case matters for passwords.
    assert_eq!(check_with(&policy, "kp7xq2mzr9tbw4vn", &ctx), []);
}

#[test]
fn blocklist_matches_case_insensitively_after_nfkc() {
    assert_eq!(check("password1"), [V::CommonPassword]);
    assert_eq!(check("PassWord1"), [V::CommonPassword]);
    assert_eq!(check("ｐａｓｓｗｏｒｄ1"), [V::CommonPassword]);
    let mut policy = PasswordPolicy::default();
    policy.use_blocklist = false;
    assert_eq!(check_with(&policy, "password1", &PasswordContext::default()), []);
}

#[test]
fn every_violation_is_reported_at_once() {
    let ctx = PasswordContext { username: Some("qzv"), temporary_password: Some("qzv") };
    assert_eq!(
        check_with(&PasswordPolicy::default(), "qzv", &ctx),
        [V::TooShort { min: 8, actual: 3 }, V::MissingDigit, V::SameAsUsername, V::SameAsTemporaryPassword,]
    );
}

#[test]
fn display_never_echoes_the_password() {
    let secret = "zz\u{0}zz";
    let errors = PasswordPolicy::default().validate(secret, &PasswordContext::default()).unwrap_err();
    let shown = format!("{errors} {errors:?}");
    assert!(!shown.contains("zz"), "{shown}");
    assert!(shown.contains("at least 8 characters"));
    assert_eq!(errors.as_slice()[0].code(), "too_short");
}

#[test]
fn nist_profile_has_no_composition_rules_and_fifteen_minimum() {
    let nist = PasswordPolicy::nist_800_63b4_single_factor();
    let ctx = PasswordContext::default();
    assert_eq!(check_with(&nist, "correcthorsebattery", &ctx), []);
    assert_eq!(check_with(&nist, "fourteen chars", &ctx), [V::TooShort { min: 15, actual: 14 }]);
    let mut weak = nist;
    weak.max_length = 64;
    weak.use_blocklist = false;
    assert_eq!(weak.nist_800_63b4_departures().len(), 1);
    weak.max_length = 63;
    assert_eq!(weak.nist_800_63b4_departures().len(), 2);
}

#[test]
fn security_policy_defaults_match_the_seed() {
    let p = SecurityPolicy::default();
    assert_eq!(p.temporary_password_ttl.as_secs(), 48 * 3600);
    assert_eq!(p.expired_temporary_notice.as_secs(), 30 * 86_400);
    assert!(!p.include_username_in_reset_email);
    assert_eq!((p.argon2.memory_kib, p.argon2.iterations, p.argon2.parallelism), (19_456, 2, 1));
    assert!(p.change_ticket_ttl.as_secs() <= 3600);
    p.check().unwrap();
}

#[test]
fn invalid_security_values_name_the_field() {
    let mut p = SecurityPolicy::default();
    p.password.max_length = 32;
    assert!(p.check().unwrap_err().to_string().contains("password.max_length"));
    let mut p = SecurityPolicy::default();
    p.temporary_password_ttl = std::time::Duration::ZERO;
    assert!(p.check().unwrap_err().to_string().contains("temporary_password_ttl"));
    let mut p = SecurityPolicy::default();
    p.expired_temporary_notice = std::time::Duration::from_secs(366 * 86_400);
    assert!(p.check().unwrap_err().to_string().contains("expired_temporary_notice"));
    p.expired_temporary_notice = std::time::Duration::ZERO;
    assert!(p.check().is_ok(), "zero turns the notice off");
    let mut p = SecurityPolicy::default();
    p.argon2.max_stored_memory_kib = 1000;
    assert!(p.check().is_err());
    let mut p = SecurityPolicy::default();
    p.argon2 = customer_access_policy::Argon2Settings::danger_insecure_for_tests();
    assert!(p.check().is_ok());
}
