//! `PasswordPolicy::validate` on arbitrary input and configuration: it never panics, never
//! returns an empty error, never echoes the candidate, and reports only `TooLong` for input
//! over the maximum.
#![no_main]

use arbitrary::Arbitrary;
use customer_access_policy::{PasswordContext, PasswordPolicy, PasswordViolation, normalize_password};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    candidate: String,
    username: Option<String>,
    temporary: Option<String>,
    min_length: u8,
    max_length: u8,
    flags: [bool; 6],
}

fuzz_target!(|input: Input| {
    let mut policy = PasswordPolicy::default();
    policy.min_length = usize::from(input.min_length).max(1);
    policy.max_length = 64 + usize::from(input.max_length);
    policy.require_digit = input.flags[0];
    policy.require_letter = input.flags[1];
    policy.reject_username = input.flags[2];
    policy.reject_temporary_password = input.flags[3];
    policy.reject_control_characters = input.flags[4];
    policy.use_blocklist = input.flags[5];
    let ctx = PasswordContext {
        username: input.username.as_deref(),
        temporary_password: input.temporary.as_deref(),
    };
    let normalized = normalize_password(&input.candidate);
    assert_eq!(normalize_password(&normalized), normalized, "NFKC is idempotent");
    if let Err(errors) = policy.validate(&input.candidate, &ctx) {
        assert!(!errors.as_slice().is_empty());
        // The message is made from the violations alone (which hold only numbers), so it
        // cannot echo the password, whatever the password is.
        let parts: Vec<String> = errors.as_slice().iter().map(ToString::to_string).collect();
        assert_eq!(errors.to_string(), format!("the new password {}", parts.join("; ")));
        if input.candidate.chars().count() > policy.max_length {
            assert_eq!(errors.as_slice(), &[PasswordViolation::TooLong { max: policy.max_length }]);
        }
    }
});
