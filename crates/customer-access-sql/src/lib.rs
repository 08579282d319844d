//! The SQL [`Store`](customer_access::Store) of `customer-access`, written once over sqlx.
//!
//! [`SqlStore`] holds every step a SQL database takes for the store contract: the
//! compare-and-swap save and its `Conflict`/`NotFound` decision, failed-login counting and
//! pruning, audit rows, staff assignments, recognised devices, and the decoy row that makes
//! an unknown username cost what a known one does. Rows are read by column name into the
//! core's validated [`columns`](customer_access::store::columns).
//!
//! A driver crate adds only what differs, as a [`Dialect`]: where its tables are, how a
//! write transaction starts, what its error codes mean, and its [migrations](migrator). The
//! bundled drivers are `customer-access-sqlite` and `customer-access-postgres`; applications
//! use those, not this crate.
#![forbid(unsafe_code)]

mod audit;
mod dialect;
mod errors;
mod import;
mod migrations;
mod rows;
mod statements;
mod store;

pub use dialect::Dialect;
pub use errors::OpenError;
pub use migrations::{MigrationSource, migrator};
pub use statements::Statements;
pub use store::{MAX_TRANSIENT_ATTEMPTS, SqlStore};
