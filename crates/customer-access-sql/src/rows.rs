//! Rows to and from the core's column-shaped records (which do all validation), by column
//! name, so a statement's column order never matters.

use customer_access::store::columns::{
    AuditColumns, ChainColumns, ContactColumns, DeviceColumns, FailureColumns, RetailerColumns,
};
use sqlx::query::Query;
use sqlx::{Database, Encode, Row, Type};

/// Bind the [contact fields](crate::statements::CONTACT_FIELDS) in their order. A trait over
/// the query type, so that the encoding bounds are written once, on its one implementation.
pub(crate) trait BindContact: Sized {
    fn bind_contact(self, c: ContactColumns) -> Self;
}

impl<DB> BindContact for Query<'_, DB, DB::Arguments>
where
    DB: Database,
    for<'e> i64: Encode<'e, DB> + Type<DB>,
    for<'e> Option<i64>: Encode<'e, DB>,
    for<'e> String: Encode<'e, DB> + Type<DB>,
    for<'e> Option<String>: Encode<'e, DB>,
    for<'e> bool: Encode<'e, DB> + Type<DB>,
{
    fn bind_contact(self, c: ContactColumns) -> Self {
        self.bind(c.username)
            .bind(c.username_key)
            .bind(c.email)
            .bind(c.display_name)
            .bind(c.login_enabled)
            .bind(c.locale)
            .bind(c.time_zone)
            .bind(c.revision)
            .bind(c.credential_version)
            .bind(c.password_hash)
            .bind(c.temp_hash)
            .bind(c.temp_issued_at)
            .bind(c.temp_expires_at)
            .bind(c.temp_issued_by)
            .bind(c.ticket_digest)
            .bind(c.ticket_expires_at)
            .bind(c.reset_window_started_at)
            .bind(c.reset_window_count)
            .bind(c.hold_previous_email)
            .bind(c.hold_until)
    }
}

/// Read rows of the [`Statements`](crate::Statements) into columns. A trait over the row
/// type, so that the decoding bounds are written once, on its one implementation.
pub(crate) trait ReadColumns {
    fn contact(&self) -> Result<ContactColumns, sqlx::Error>;
    fn retailer(&self) -> Result<RetailerColumns, sqlx::Error>;
    fn audit(&self) -> Result<AuditColumns, sqlx::Error>;
    fn device(&self) -> Result<DeviceColumns, sqlx::Error>;
    fn failures(&self) -> Result<FailureColumns, sqlx::Error>;
    fn chain(&self) -> Result<ChainColumns, sqlx::Error>;
}

impl<R> ReadColumns for R
where
    R: Row,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn contact(&self) -> Result<ContactColumns, sqlx::Error> {
        Ok(ContactColumns {
            id: self.try_get("id")?,
            retailer_id: self.try_get("retailer_id")?,
            username: self.try_get("username")?,
            username_key: self.try_get("username_key")?,
            email: self.try_get("email")?,
            display_name: self.try_get("display_name")?,
            login_enabled: self.try_get("login_enabled")?,
            locale: self.try_get("locale")?,
            time_zone: self.try_get("time_zone")?,
            revision: self.try_get("revision")?,
            credential_version: self.try_get("credential_version")?,
            password_hash: self.try_get("password_hash")?,
            temp_hash: self.try_get("temp_hash")?,
            temp_issued_at: self.try_get("temp_issued_at")?,
            temp_expires_at: self.try_get("temp_expires_at")?,
            temp_issued_by: self.try_get("temp_issued_by")?,
            ticket_digest: self.try_get("ticket_digest")?,
            ticket_expires_at: self.try_get("ticket_expires_at")?,
            reset_window_started_at: self.try_get("reset_window_started_at")?,
            reset_window_count: self.try_get("reset_window_count")?,
            hold_previous_email: self.try_get("hold_previous_email")?,
            hold_until: self.try_get("hold_until")?,
        })
    }

    fn retailer(&self) -> Result<RetailerColumns, sqlx::Error> {
        Ok(RetailerColumns {
            id: self.try_get("id")?,
            name: self.try_get("name")?,
            locale: self.try_get("locale")?,
            time_zone: self.try_get("time_zone")?,
        })
    }

    fn audit(&self) -> Result<AuditColumns, sqlx::Error> {
        Ok(AuditColumns {
            seq: self.try_get("seq")?,
            prev_hash: self.try_get("prev_hash")?,
            hash: self.try_get("hash")?,
            staff_id: self.try_get("staff_id")?,
            device_id: self.try_get("device_id")?,
            at: self.try_get("at")?,
            actor: self.try_get("actor")?,
            retailer_id: self.try_get("retailer_id")?,
            contact_id: self.try_get("contact_id")?,
            kind: self.try_get("kind")?,
        })
    }

    fn device(&self) -> Result<DeviceColumns, sqlx::Error> {
        Ok(DeviceColumns {
            digest: self.try_get("digest")?,
            contact_id: self.try_get("contact_id")?,
            credential_version: self.try_get("credential_version")?,
            issued_at: self.try_get("issued_at")?,
            expires_at: self.try_get("expires_at")?,
        })
    }

    fn failures(&self) -> Result<FailureColumns, sqlx::Error> {
        Ok(FailureColumns { count: self.try_get("count")?, last_failure_at: self.try_get("last_failure_at")? })
    }

    fn chain(&self) -> Result<ChainColumns, sqlx::Error> {
        Ok(ChainColumns {
            head_seq: self.try_get("head_seq")?,
            head_hash: self.try_get("head_hash")?,
            base_seq: self.try_get("base_seq")?,
            base_hash: self.try_get("base_hash")?,
        })
    }
}
