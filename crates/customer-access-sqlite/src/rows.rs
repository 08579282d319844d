//! Reading rows into the core's column-shaped records (which do all validation).

use customer_access::columns::{AuditColumns, ContactColumns};
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
             ticket_digest, ticket_expires_at, reset_window_started_at, reset_window_count"
        )
    };
}
pub(crate) use contact_columns;

pub(crate) fn record(row: &SqliteRow) -> Result<ContactRecord, StoreError> {
    columns(row)?.into_record()
}

pub(crate) fn columns(row: &SqliteRow) -> Result<ContactColumns, StoreError> {
    Ok(ContactColumns {
        id: row.try_get(0).map_err(map)?,
        retailer_id: row.try_get(1).map_err(map)?,
        username: row.try_get(2).map_err(map)?,
        username_key: row.try_get(3).map_err(map)?,
        email: row.try_get(4).map_err(map)?,
        display_name: row.try_get(5).map_err(map)?,
        login_enabled: row.try_get(6).map_err(map)?,
        revision: row.try_get(7).map_err(map)?,
        credential_version: row.try_get(8).map_err(map)?,
        password_hash: row.try_get(9).map_err(map)?,
        temp_hash: row.try_get(10).map_err(map)?,
        temp_issued_at: row.try_get(11).map_err(map)?,
        temp_expires_at: row.try_get(12).map_err(map)?,
        temp_issued_by: row.try_get(13).map_err(map)?,
        ticket_digest: row.try_get(14).map_err(map)?,
        ticket_expires_at: row.try_get(15).map_err(map)?,
        reset_window_started_at: row.try_get(16).map_err(map)?,
        reset_window_count: row.try_get(17).map_err(map)?,
    })
}

pub(crate) fn audit_event(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    AuditColumns {
        at: row.try_get(0).map_err(map)?,
        actor: row.try_get(1).map_err(map)?,
        retailer_id: row.try_get(2).map_err(map)?,
        contact_id: row.try_get(3).map_err(map)?,
        kind: row.try_get(4).map_err(map)?,
    }
    .into_event()
}
