//! Reading rows into the core's column-shaped records (which do all validation).

use customer_access::columns::ContactColumns;
use customer_access::{AuditEvent, ContactRecord, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::errors::map;

pub(crate) fn record(row: &PgRow) -> Result<ContactRecord, StoreError> {
    columns(row)?.into_record()
}

pub(crate) fn columns(row: &PgRow) -> Result<ContactColumns, StoreError> {
    customer_access::read_contact_columns!(row, map)
}

pub(crate) fn audit_event(row: &PgRow) -> Result<AuditEvent, StoreError> {
    customer_access::read_audit_columns!(row, map)?.into_event()
}
