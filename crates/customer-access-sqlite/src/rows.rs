//! Converting between rows and domain records.

use customer_access::{
    Actor, AuditEvent, AuditKind, Contact, ContactId, ContactRecord, CredentialVersion, Credentials, EmailAddress,
    ResetWindow, RetailerId, Revision, StoreError, StoredHash, TemporaryCredential, TicketDigest, TicketRecord,
    Timestamp, UsernameKey,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::errors::{corrupt, map};

/// Columns of `ca_contacts`, in the order [`record`] reads them.
pub(crate) const CONTACT_COLUMNS: &str = "id, retailer_id, username, username_key, email, display_name, \
     login_enabled, revision, credential_version, password_hash, temp_hash, temp_issued_at, temp_expires_at, \
     temp_issued_by, ticket_digest, ticket_expires_at, reset_window_started_at, reset_window_count";

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    column: &'static str,
) -> Result<T, StoreError> {
    row.try_get(column).map_err(map)
}

fn time(millis: Option<i64>) -> Option<Timestamp> {
    millis.map(Timestamp::from_unix_millis)
}

pub(crate) fn record(row: &SqliteRow) -> Result<ContactRecord, StoreError> {
    let key: String = get(row, "username_key")?;
    let email: String = get(row, "email")?;
    let temporary = match (
        get::<Option<String>>(row, "temp_hash")?,
        get::<Option<i64>>(row, "temp_issued_at")?,
        get::<Option<i64>>(row, "temp_expires_at")?,
        get::<Option<String>>(row, "temp_issued_by")?,
    ) {
        (None, ..) => None,
        (Some(hash), Some(issued_at), Some(expires_at), Some(by)) => Some(TemporaryCredential {
            hash: StoredHash::from_phc(hash),
            issued_at: Timestamp::from_unix_millis(issued_at),
            expires_at: Timestamp::from_unix_millis(expires_at),
            issued_by: Actor::decode(&by).map_err(|_| corrupt("temp_issued_by"))?,
        }),
        _ => return Err(corrupt("temp_*")),
    };
    let ticket = match (get::<Option<String>>(row, "ticket_digest")?, get::<Option<i64>>(row, "ticket_expires_at")?) {
        (None, _) => None,
        (Some(digest), Some(expires_at)) => Some(TicketRecord {
            digest: TicketDigest::from_hex(digest),
            expires_at: Timestamp::from_unix_millis(expires_at),
        }),
        _ => return Err(corrupt("ticket_*")),
    };
    let count: i64 = get(row, "reset_window_count")?;
    Ok(ContactRecord {
        contact: Contact {
            id: ContactId::new(get(row, "id")?),
            retailer: RetailerId::new(get(row, "retailer_id")?),
            username: get(row, "username")?,
            username_key: UsernameKey::from_stored(&key).map_err(|_| corrupt("username_key"))?,
            email: EmailAddress::parse(&email).map_err(|_| corrupt("email"))?,
            display_name: get(row, "display_name")?,
            login_enabled: get(row, "login_enabled")?,
        },
        credentials: Credentials {
            revision: Revision(get(row, "revision")?),
            credential_version: CredentialVersion(get(row, "credential_version")?),
            password: get::<Option<String>>(row, "password_hash")?.map(StoredHash::from_phc),
            temporary,
            ticket,
            reset_window: ResetWindow {
                started_at: time(get(row, "reset_window_started_at")?),
                count: u32::try_from(count).map_err(|_| corrupt("reset_window_count"))?,
            },
        },
    })
}

pub(crate) fn audit_event(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    let actor: String = get(row, "actor")?;
    let kind: String = get(row, "kind")?;
    Ok(AuditEvent {
        at: Timestamp::from_unix_millis(get(row, "at")?),
        actor: Actor::decode(&actor).map_err(|_| corrupt("actor"))?,
        retailer: get::<Option<i64>>(row, "retailer_id")?.map(RetailerId::new),
        contact: get::<Option<i64>>(row, "contact_id")?.map(ContactId::new),
        kind: kind.parse::<AuditKind>().map_err(|_| corrupt("kind"))?,
    })
}
