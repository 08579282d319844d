//! Reading rows into the core's column-shaped records (which do all validation).

use customer_access::columns::ContactColumns;
use customer_access::{AuditEvent, ContactRecord, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::errors::map;

/// Columns of `ca_contacts`, in the order [`columns`] reads them; with an argument, that
/// expression stands in for `username_key`.
macro_rules! contact_columns {
    () => {
        contact_columns!("username_key")
    };
    ($username_key:literal) => {
        concat!(
            "id, retailer_id, username, ",
            $username_key,
            ", email, display_name, login_enabled, revision, \
             credential_version, password_hash, temp_hash, temp_issued_at, temp_expires_at, temp_issued_by, \
             ticket_digest, ticket_expires_at, reset_window_started_at, reset_window_count, hold_previous_email, \
             hold_until"
        )
    };
}
pub(crate) use contact_columns;

pub(crate) fn record(row: &SqliteRow) -> Result<ContactRecord, StoreError> {
    columns(row)?.into_record()
}

pub(crate) fn columns(row: &SqliteRow) -> Result<ContactColumns, StoreError> {
    customer_access::read_contact_columns!(row, map)
}

pub(crate) fn audit_event(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    customer_access::read_audit_columns!(row, map)?.into_event()
}
