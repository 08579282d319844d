//! `SmtpConfig::from_url` on arbitrary text: never panics; an accepted URL names a host
//! without control characters or whitespace, and plain text is only ever chosen for a
//! loopback host (a URL must never send passwords across a network unencrypted).
#![no_main]

use customer_access_smtp::{Security, SmtpConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(config) = SmtpConfig::from_url(text) {
        assert!(!config.host.is_empty());
        assert!(!config.host.chars().any(|c| c.is_control() || c.is_whitespace()), "{:?}", config.host);
        if config.security == Security::DangerPlaintext {
            let loopback = config.host.eq_ignore_ascii_case("localhost")
                || config.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            assert!(loopback, "plain text for a non-loopback host: {text:?} -> {:?}", config.host);
        }
    }
});
