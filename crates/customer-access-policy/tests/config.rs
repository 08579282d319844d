//! Loading `SecurityPolicy` from an application's config file (the `serde` feature).
#![cfg(feature = "serde")]

use customer_access_policy::SecurityPolicy;

#[test]
fn partial_config_keeps_defaults_for_the_rest() {
    let json = r#"{
        "temporary_password_ttl_secs": 86400,
        "include_username_in_reset_email": true,
        "password": { "min_length": 12 },
        "reset_throttle": { "max_requests": 5, "window_secs": 7200 }
    }"#;
    let policy: SecurityPolicy = serde_json::from_str(json).unwrap();
    assert_eq!(policy.temporary_password_ttl.as_secs(), 86_400);
    assert!(policy.include_username_in_reset_email);
    assert_eq!(policy.password.min_length, 12);
    assert!(policy.password.require_digit);
    assert_eq!(policy.reset_throttle.window.as_secs(), 7200);
    assert_eq!(policy.argon2, SecurityPolicy::default().argon2);
    policy.check().unwrap();
}

#[test]
fn round_trips() {
    let policy = SecurityPolicy::default();
    let text = serde_json::to_string(&policy).unwrap();
    assert!(text.contains("\"temporary_password_ttl_secs\":172800"));
    let back: SecurityPolicy = serde_json::from_str(&text).unwrap();
    assert_eq!(back, policy);
}

#[test]
fn unknown_fields_and_bad_values_are_clear_errors() {
    let err = serde_json::from_str::<SecurityPolicy>(r#"{"temp_ttl": 5}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `temp_ttl`"), "{err}");
    let policy: SecurityPolicy = serde_json::from_str(r#"{"argon2": {"memory_kib": 1024, "iterations": 1}}"#).unwrap();
    let err = policy.check().unwrap_err();
    assert!(err.to_string().contains("argon2.memory_kib"), "{err}");
}

#[test]
fn test_only_weak_hashing_cannot_be_switched_on_from_a_file() {
    let result = serde_json::from_str::<SecurityPolicy>(
        r#"{"argon2": {"memory_kib": 64, "iterations": 1, "insecure_for_tests": true}}"#,
    );
    let err = result.unwrap_err();
    assert!(err.to_string().contains("unknown field `insecure_for_tests`"), "{err}");
}
