//! sqlx errors as the core's [`StoreErrorKind`]s, the driver error kept as the source.

use customer_access::store::{StoreError, StoreErrorKind};

use crate::Dialect;

/// The kind of `error`: the generic cases here, the database's own codes by the dialect.
pub(crate) fn map<D: Dialect>(error: sqlx::Error) -> StoreError {
    let kind = match &error {
        sqlx::Error::RowNotFound => StoreErrorKind::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreErrorKind::Duplicate,
        // A contact of a missing retailer, a device of a missing contact.
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreErrorKind::NotFound,
        sqlx::Error::Database(db) if D::is_unavailable(db.as_ref()) => StoreErrorKind::Unavailable,
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

/// Is `error` worth running the whole transaction again for?
pub(crate) fn is_transient<D: Dialect>(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if D::is_transient(db.as_ref()))
}

/// Opening, connecting to or migrating a database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The database could not be created, reached, opened or configured.
    #[error("could not open the database")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The schema could not be brought up to date (or is newer than this crate knows).
    #[error("could not migrate the database schema")]
    Migrate(#[source] Box<dyn std::error::Error + Send + Sync>),
}
