//! Records and events the checks store and read back.

use customer_access::store::{
    ContactRecord, Credentials, EmailHold, NewContactRecord, ResetWindow, Revision, StoredHash, TemporaryCredential,
    TicketDigest, TicketRecord, UsernameKey,
};
use customer_access::{
    Actor, AuditEvent, AuditKind, ContactId, CredentialVersion, DeviceId, EmailAddress, RetailerId, Staff, StaffId,
    Timestamp, policy::UsernameRules,
};

pub(crate) fn key(username: &str) -> UsernameKey {
    UsernameRules::default().canonicalize(username).expect("fixture usernames are valid")
}

pub(crate) fn at(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_795_828_920_123 + millis)
}

pub(crate) fn ipad() -> Actor {
    Actor::Staff(Staff::IpadUser { staff_id: StaffId::new(77), device_id: DeviceId::parse("ipad-7:B").unwrap() })
}

/// A contact with every credential field set, so a round trip proves each column.
pub(crate) fn new_contact(retailer: RetailerId, username: &str) -> NewContactRecord {
    NewContactRecord {
        retailer,
        username: username.to_owned(),
        username_key: key(username),
        email: EmailAddress::parse(&format!("{}@shop.example", key(username).as_str().replace('@', "."))).unwrap(),
        display_name: "Ånna Berg ✓".to_owned(),
        login_enabled: true,
        preferences: customer_access::i18n::Preferences::new(
            "de-CH".parse().unwrap(),
            "Europe/Zurich".parse().unwrap(),
        ),
        credentials: Credentials {
            revision: Revision(0),
            credential_version: CredentialVersion(3),
            password: Some(StoredHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA")),
            temporary: Some(TemporaryCredential {
                hash: StoredHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$dGVtcHNhbHQ$dGVtcA"),
                issued_at: at(0),
                expires_at: at(48 * 3_600_000),
                issued_by: ipad(),
            }),
            ticket: Some(TicketRecord { digest: TicketDigest::from_hex("ab".repeat(32)), expires_at: at(600_001) }),
            reset_window: ResetWindow { started_at: Some(at(-5)), count: 2 },
            email_hold: Some(EmailHold {
                previous: EmailAddress::parse("before@shop.example").unwrap(),
                until: at(72 * 3_600_000),
            }),
        },
    }
}

pub(crate) fn event(
    contact: Option<ContactId>,
    retailer: RetailerId,
    kind: AuditKind,
    actor: Actor,
    ms: i64,
) -> AuditEvent {
    AuditEvent { at: at(ms), actor, retailer: Some(retailer), contact, kind }
}

/// The record as the next save would write it: revision bumped, some fields changed.
pub(crate) fn changed(record: &ContactRecord) -> ContactRecord {
    let mut next = record.clone();
    next.credentials.revision = record.credentials.revision.next();
    next.credentials.credential_version = record.credentials.credential_version.next();
    next.credentials.temporary = None;
    next.credentials.ticket = None;
    next.credentials.password = Some(StoredHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3"));
    next.contact.login_enabled = false;
    next.contact.display_name = "Anna B.".to_owned();
    next
}
