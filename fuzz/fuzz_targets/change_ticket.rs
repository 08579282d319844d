//! `ChangeTicket::parse` on arbitrary text: never panics; an accepted ticket is exactly the
//! input, names a contact by its canonical decimal id, and has a stable digest-independent
//! shape (`<id>.<43 base64url characters>`).
#![no_main]

use customer_access::ChangeTicket;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(ticket) = ChangeTicket::parse(text) {
        assert_eq!(ticket.expose_secret(), text);
        let (id, secret) = text.split_once('.').expect("accepted tickets have a dot");
        assert_eq!(id, ticket.contact().get().to_string());
        assert_eq!(secret.len(), 43);
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(!format!("{ticket:?}").contains(secret), "Debug must not show the secret");
    }
});
