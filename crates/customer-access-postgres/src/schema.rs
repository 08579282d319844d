//! The schema name and the migrations.
//!
//! The schema name is the only text ever formatted into SQL, and it is checked to be a plain
//! lowercase identifier first ([`SchemaName::parse`]); every value is a bound parameter.

use std::fmt;

use customer_access_sql::MigrationSource;

/// Every migration as a template with `{schema}` for the schema name, oldest first. Never
/// edit a released one: add a new file instead.
pub(crate) const MIGRATIONS: &[MigrationSource] = &[
    (1, "contacts", include_str!("../migrations/0001_contacts.sql")),
    (2, "login failures", include_str!("../migrations/0002_login_failures.sql")),
    (3, "devices", include_str!("../migrations/0003_devices.sql")),
    (4, "email hold", include_str!("../migrations/0004_email_hold.sql")),
    (5, "decoy contact", include_str!("../migrations/0005_decoy_contact.sql")),
    (6, "audit chain", include_str!("../migrations/0006_audit_chain.sql")),
    (7, "preferences", include_str!("../migrations/0007_preferences.sql")),
    (8, "import ids", include_str!("../migrations/0008_import_ids.sql")),
    (9, "budget indexes", include_str!("../migrations/0009_budget_indexes.sql")),
];

/// The newest schema version this crate knows.
pub const SCHEMA_VERSION: i64 = 9;

/// A PostgreSQL schema to hold the tables, so they can live beside an application's own:
/// 1 to 63 characters of `a-z`, `0-9` and `_`, not starting with a digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SchemaName(String);

/// The schema name is not a plain identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("schema name must be 1-63 characters of a-z, 0-9 and _, not starting with a digit")]
pub struct InvalidSchemaName;

impl SchemaName {
    /// The default schema, `customer_access`.
    pub fn default_schema() -> Self {
        Self("customer_access".to_owned())
    }

    /// Check a schema name.
    ///
    /// ```
    /// use customer_access_postgres::SchemaName;
    /// assert!(SchemaName::parse("shop_logins").is_ok());
    /// assert!(SchemaName::parse("x\"; DROP TABLE users; --").is_err());
    /// ```
    ///
    /// # Errors
    /// [`InvalidSchemaName`] unless `name` is a plain lowercase identifier.
    pub fn parse(name: &str) -> Result<Self, InvalidSchemaName> {
        let ok = (1..=63).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit();
        if ok { Ok(Self(name.to_owned())) } else { Err(InvalidSchemaName) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Put the schema name into a migration's SQL.
pub(crate) fn qualify(template: &str, schema: &SchemaName) -> String {
    template.replace("{schema}", schema.as_str())
}
