//! The schema, shipped inside the crate as versioned, forward-only migrations.

use std::borrow::Cow;

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(version, description, SQL)` of every migration, oldest first. Never edit a released
/// one: add a new file instead (sqlx refuses to run when a checksum changed).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "contacts", include_str!("../migrations/0001_contacts.sql")),
    (2, "login failures", include_str!("../migrations/0002_login_failures.sql")),
    (3, "decoy contact", include_str!("../migrations/0003_decoy_contact.sql")),
    (4, "devices", include_str!("../migrations/0004_devices.sql")),
    (5, "email hold", include_str!("../migrations/0005_email_hold.sql")),
];

/// The newest schema version this crate knows.
pub const SCHEMA_VERSION: i64 = 5;

/// A migrator holding every migration up to and including `version`.
pub(crate) fn migrator_up_to(version: i64) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .filter(|(v, _, _)| *v <= version)
        .map(|(v, description, sql)| {
            Migration::new(*v, Cow::Borrowed(*description), MigrationType::Simple, SqlStr::from_static(sql), false)
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.dangerous_set_table_name("ca_schema_migrations");
    migrator
}
