//! Mapping SQLite and sqlx errors onto the core's [`StoreErrorKind`]s, keeping the driver
//! error as the source.

use customer_access::{StoreError, StoreErrorKind};

/// SQLite primary result codes that mean "someone else holds the lock; try later".
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;

pub(crate) fn map(error: sqlx::Error) -> StoreError {
    let kind = match &error {
        sqlx::Error::RowNotFound => StoreErrorKind::NotFound,
        sqlx::Error::Database(db) => {
            let primary = db.code().and_then(|c| c.parse::<i64>().ok()).map(|c| c & 0xff);
            if db.is_unique_violation() {
                StoreErrorKind::Duplicate
            } else if db.is_foreign_key_violation() {
                StoreErrorKind::NotFound
            } else if matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED)) {
                StoreErrorKind::Unavailable
            } else {
                StoreErrorKind::Other
            }
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            StoreErrorKind::Unavailable
        }
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
            StoreErrorKind::Corrupt
        }
        _ => StoreErrorKind::Other,
    };
    StoreError::with_source(kind, error)
}
