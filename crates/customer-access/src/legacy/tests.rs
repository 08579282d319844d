use super::*;

fn limits() -> LegacyHashLimits {
    LegacyHashLimits::default()
}

#[test]
fn absurd_costs_are_refused_before_anything_runs() {
    // Each would run for days or take gigabytes if it were computed: the test would hang.
    let cases = [
        ("$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "cost"),
        ("pbkdf2_sha256$1000000000$salt1234$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw=", "iterations"),
        ("$pbkdf2-sha256$i=1000000000,l=32$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw", "iterations"),
        ("scrypt$1073741824$salt1234$8$1$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw=", "ln"),
        ("$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw", "ln"),
        ("$scrypt$ln=16,r=64,p=1$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw", "memory (KiB)"),
        ("$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw", "m"),
        ("$argon2i$v=19$m=65536,t=1000,p=4$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw", "t"),
    ];
    for (text, parameter) in cases {
        match LegacyHash::parse(text, &limits()) {
            Err(LegacyHashError::CostTooHigh { parameter: p, .. }) => assert_eq!(p, parameter, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn malformed_and_unknown_formats_are_refused_with_a_reason() {
    let unrecognized =
        ["", "plaintext", "md5$abc$def", "$1$abc$def", "{SSHA}abcdef", "$argon2x$v=19$m=8,t=1,p=1$AAAA$AAAA"];
    for text in unrecognized {
        assert_eq!(LegacyHash::parse(text, &limits()).unwrap_err(), LegacyHashError::Unrecognized, "{text:?}");
    }
    let unsupported = [
        "$2x$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        "$pbkdf2-sha512$25000$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw",
        "$argon2id$v=18$m=65536,t=3,p=4$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw",
        "$argon2id$v=19$m=65536,t=3,p=4,keyid=AAAA$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw",
    ];
    for text in unsupported {
        assert!(matches!(LegacyHash::parse(text, &limits()), Err(LegacyHashError::Unsupported { .. })), "{text}");
    }
    let malformed = [
        "$2b$12$short",
        "$2b$1$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        "$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW!",
        "pbkdf2_sha256$01000$salt1234$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw=",
        "pbkdf2_sha256$1000$salt1234$not base64",
        "pbkdf2_sha256$1000$salt1234$AAAA",
        "pbkdf2_sha256$1000$$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw=",
        "$scrypt$ln=14,r=8$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw",
        "$scrypt$ln=14,ln=14,r=8,p=1$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw",
        "$argon2id$v=19$m=65536,t=3$c2FsdHNhbHQ$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw",
    ];
    for text in malformed {
        assert!(matches!(LegacyHash::parse(text, &limits()), Err(LegacyHashError::Malformed { .. })), "{text}");
    }
    let invalid = [
        "$2b$03$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        "scrypt$1000$salt1234$8$1$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw=",
    ];
    for text in invalid {
        assert!(matches!(LegacyHash::parse(text, &limits()), Err(LegacyHashError::CostInvalid { .. })), "{text}");
    }
    assert_eq!(LegacyHash::parse(&"$2b$".repeat(200), &limits()).unwrap_err(), LegacyHashError::TooLong);
}

#[test]
fn bcrypt_reads_72_bytes_and_the_sha256_form_all_of_it() {
    let limits = limits();
    let salt = [9u8; 16];
    let long = [b'x'; 100];
    let plain = LegacyScheme::Bcrypt { cost: 4 };
    assert_eq!(plain.compute(&long[..72], &salt).unwrap(), plain.compute(&long, &salt).unwrap(), "cut at 72");
    assert_ne!(plain.compute(&long[..71], &salt).unwrap(), plain.compute(&long, &salt).unwrap());
    let django = LegacyScheme::DjangoBcryptSha256 { cost: 4 };
    assert_ne!(django.compute(&long[..72], &salt).unwrap(), django.compute(&long, &salt).unwrap(), "not cut");
    assert_eq!(LegacyScheme::from_params_text("bcrypt-sha256,c=4", &limits), Ok(django));
}

#[test]
fn debug_shows_the_scheme_only() {
    let text = "pbkdf2_sha256$1000$s3cr3tSalt$bVeRL/UmLYwnaqhdIegNtmeQWqdtZulKxFM4UvpGPNw=";
    let hash = LegacyHash::parse(text, &limits()).unwrap();
    let debug = format!("{hash:?}");
    assert_eq!(debug, "LegacyHash(pbkdf2-sha256,i=1000,l=32)");
    assert!(!debug.contains("s3cr3t") && !debug.contains("bVeRL"));
}

#[test]
fn params_text_is_canonical() {
    let limits = limits();
    for bad in [
        "bcrypt,c=012",
        "bcrypt,c=12,",
        "bcrypt,c=12,c=12",
        "bcrypt",
        "pbkdf2-sha256,l=32,i=1000",
        "scrypt,ln=14,r=8,p=1",
        "argon2id,v=19,m=65536,t=3,p=4,l=32,x=1",
        "md5,c=1",
        "bcrypt,c=31",
    ] {
        assert!(LegacyScheme::from_params_text(bad, &limits).is_err(), "{bad}");
    }
}

proptest::proptest! {
    /// Arbitrary text never panics, and whatever parses reads back from its parameter text
    /// and stays within the limits.
    #[test]
    fn parsing_never_panics_and_accepted_schemes_round_trip(text in "\\PC{0,200}") {
        if let Ok(hash) = LegacyHash::parse(&text, &limits()) {
            let scheme = hash.scheme();
            proptest::prop_assert_eq!(LegacyScheme::from_params_text(&scheme.params_text(), &limits()), Ok(scheme));
        }
    }

    /// Texts shaped like the real formats, with random fields.
    #[test]
    fn format_shaped_text_never_panics(
        prefix in proptest::sample::select(vec![
            "$2b$", "bcrypt_sha256$$2b$", "$argon2id$v=19$", "$argon2i$", "argon2$argon2d$v=16$",
            "pbkdf2_sha256$", "pbkdf2_sha1$", "$pbkdf2-sha256$", "$pbkdf2$", "$scrypt$", "scrypt$",
        ]),
        rest in "[a-zA-Z0-9=,./+$]{0,120}",
    ) {
        let text = format!("{prefix}{rest}");
        if let Ok(hash) = LegacyHash::parse(&text, &limits()) {
            let scheme = hash.scheme();
            proptest::prop_assert!(scheme.work() <= 100_000_000, "{text}");
            proptest::prop_assert_eq!(LegacyScheme::from_params_text(&scheme.params_text(), &limits()), Ok(scheme));
        }
    }
}
