//! The schema, shipped inside the crate as versioned, forward-only migrations.

use customer_access_sql::MigrationSource;

/// Every migration, oldest first. Never edit a released one: add a new file instead (sqlx
/// refuses to run when a checksum changed).
pub(crate) const MIGRATIONS: &[MigrationSource] = &[
    (1, "contacts", include_str!("../migrations/0001_contacts.sql")),
    (2, "login failures", include_str!("../migrations/0002_login_failures.sql")),
    (3, "decoy contact", include_str!("../migrations/0003_decoy_contact.sql")),
    (4, "devices", include_str!("../migrations/0004_devices.sql")),
    (5, "email hold", include_str!("../migrations/0005_email_hold.sql")),
    (6, "audit chain", include_str!("../migrations/0006_audit_chain.sql")),
    (7, "preferences", include_str!("../migrations/0007_preferences.sql")),
    (8, "import ids", include_str!("../migrations/0008_import_ids.sql")),
    (9, "budget indexes", include_str!("../migrations/0009_budget_indexes.sql")),
];

/// The newest schema version this crate knows.
pub const SCHEMA_VERSION: i64 = 9;
