//! Mapping PostgreSQL and sqlx errors onto the core's [`StoreErrorKind`]s.

use customer_access::{StoreError, StoreErrorKind};

/// SQLSTATEs after which the same transaction, run again, may succeed.
const SERIALIZATION_FAILURE: &str = "40001";
const DEADLOCK_DETECTED: &str = "40P01";

/// Is this a serialization failure or deadlock, worth retrying as a whole?
pub(crate) fn is_retryable(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some(SERIALIZATION_FAILURE | DEADLOCK_DETECTED)))
}

pub(crate) fn map(error: sqlx::Error) -> StoreError {
    let kind = match &error {
        sqlx::Error::RowNotFound => StoreErrorKind::NotFound,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.is_unique_violation() {
                StoreErrorKind::Duplicate
            } else if db.is_foreign_key_violation() {
                StoreErrorKind::NotFound
            } else if code.starts_with("08") // connection exception
                || code.starts_with("57P") // admin shutdown, crash shutdown, cannot connect now
                || code.starts_with("53") // insufficient resources
                || code == SERIALIZATION_FAILURE
                || code == DEADLOCK_DETECTED
            {
                StoreErrorKind::Unavailable
            } else {
                StoreErrorKind::Other
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreErrorKind::Unavailable,
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
            StoreErrorKind::Corrupt
        }
        _ => StoreErrorKind::Other,
    };
    StoreError::with_source(kind, error)
}
