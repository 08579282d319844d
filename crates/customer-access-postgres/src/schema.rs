//! The schema name, the migrations, and every SQL statement, qualified with the schema.
//!
//! The schema name is the only text ever formatted into SQL, and it is checked to be a plain
//! lowercase identifier first ([`SchemaName::parse`]); every value is a bound parameter.

use std::borrow::Cow;
use std::fmt;

use sqlx::AssertSqlSafe;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use sqlx::SqlSafeStr;

/// `(version, description, SQL template)`, oldest first. Never edit a released one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "contacts", include_str!("../migrations/0001_contacts.sql")),
    (2, "login failures", include_str!("../migrations/0002_login_failures.sql")),
    (3, "devices", include_str!("../migrations/0003_devices.sql")),
    (4, "email hold", include_str!("../migrations/0004_email_hold.sql")),
];

/// The newest schema version this crate knows.
pub const SCHEMA_VERSION: i64 = 4;

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

fn qualify(template: &str, schema: &SchemaName) -> String {
    template.replace("{schema}", schema.as_str())
}

/// A migrator for `schema` holding every migration up to `version`.
pub(crate) fn migrator_up_to(schema: &SchemaName, version: i64) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .filter(|(v, _, _)| *v <= version)
        .map(|(v, description, sql)| {
            let sql = AssertSqlSafe(qualify(sql, schema)).into_sql_str();
            Migration::new(*v, Cow::Borrowed(*description), MigrationType::Simple, sql, false)
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.create_schema(schema.as_str().to_owned());
    migrator.dangerous_set_table_name(format!("\"{schema}\".schema_migrations"));
    migrator
}

/// Every statement the store runs, qualified once at construction.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) insert_retailer: String,
    pub(crate) retailer: String,
    pub(crate) retailers: String,
    pub(crate) insert_contact: String,
    pub(crate) contact_by_id: String,
    pub(crate) contact_by_key: String,
    pub(crate) contacts_of_retailer: String,
    pub(crate) update_contact: String,
    pub(crate) contact_exists: String,
    pub(crate) insert_audit: String,
    pub(crate) audit_log: String,
    pub(crate) assign: String,
    pub(crate) assigned: String,
    pub(crate) failures: String,
    pub(crate) prune_failures: String,
    pub(crate) trim_failures: String,
    pub(crate) insert_failures: String,
    pub(crate) swap_failures: String,
    pub(crate) clear_failures: String,
    pub(crate) insert_device: String,
    pub(crate) trim_devices: String,
    pub(crate) device: String,
}

const CONTACT_COLUMNS: &str = "id, retailer_id, username, username_key, email, display_name, login_enabled, \
     revision, credential_version, password_hash, temp_hash, temp_issued_at, temp_expires_at, temp_issued_by, \
     ticket_digest, ticket_expires_at, reset_window_started_at, reset_window_count, hold_previous_email, hold_until";

impl Statements {
    pub(crate) fn new(schema: &SchemaName) -> Self {
        let q = |t: &str| qualify(&t.replace("{columns}", CONTACT_COLUMNS), schema);
        Self {
            insert_retailer: q(r#"INSERT INTO "{schema}".retailers (name) VALUES ($1) RETURNING id"#),
            retailer: q(r#"SELECT name FROM "{schema}".retailers WHERE id = $1"#),
            retailers: q(r#"SELECT id, name FROM "{schema}".retailers ORDER BY id"#),
            insert_contact: q(r#"INSERT INTO "{schema}".contacts (username, username_key, email, display_name,
                login_enabled, revision, credential_version, password_hash, temp_hash, temp_issued_at,
                temp_expires_at, temp_issued_by, ticket_digest, ticket_expires_at, reset_window_started_at,
                reset_window_count, hold_previous_email, hold_until, retailer_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                RETURNING id"#),
            contact_by_id: q(r#"SELECT {columns} FROM "{schema}".contacts WHERE id = $1"#),
            // The contact, or else the decoy row bound as $2..$21: a miss reads and decodes one
            // row just like a hit, so lookups take the same time either way.
            contact_by_key: q(r#"SELECT {columns} FROM "{schema}".contacts WHERE username_key = $1
                UNION ALL SELECT $2::BIGINT, $3::BIGINT, $4::TEXT, $5::TEXT, $6::TEXT, $7::TEXT, $8::BOOLEAN,
                  $9::BIGINT, $10::BIGINT, $11::TEXT, $12::TEXT, $13::BIGINT, $14::BIGINT, $15::TEXT, $16::TEXT,
                  $17::BIGINT, $18::BIGINT, $19::BIGINT, $20::TEXT, $21::BIGINT
                WHERE NOT EXISTS (SELECT 1 FROM "{schema}".contacts WHERE username_key = $1)"#),
            contacts_of_retailer: q(r#"SELECT {columns} FROM "{schema}".contacts WHERE retailer_id = $1 ORDER BY id"#),
            update_contact: q(r#"UPDATE "{schema}".contacts SET username = $1, username_key = $2, email = $3,
                display_name = $4, login_enabled = $5, revision = $6, credential_version = $7,
                password_hash = $8, temp_hash = $9, temp_issued_at = $10, temp_expires_at = $11,
                temp_issued_by = $12, ticket_digest = $13, ticket_expires_at = $14,
                reset_window_started_at = $15, reset_window_count = $16, hold_previous_email = $17,
                hold_until = $18
                WHERE id = $19 AND revision = $20"#),
            contact_exists: q(r#"SELECT 1 FROM "{schema}".contacts WHERE id = $1"#),
            insert_audit: q(r#"INSERT INTO "{schema}".audit (at, actor, retailer_id, contact_id, kind)
                VALUES ($1, $2, $3, $4, $5)"#),
            audit_log: q(r#"SELECT at, actor, retailer_id, contact_id, kind FROM "{schema}".audit
                WHERE contact_id = $1 ORDER BY id"#),
            assign: q(r#"INSERT INTO "{schema}".staff_retailers (staff_id, retailer_id) VALUES ($1, $2)
                ON CONFLICT DO NOTHING"#),
            assigned: q(r#"SELECT retailer_id FROM "{schema}".staff_retailers WHERE staff_id = $1
                ORDER BY retailer_id"#),
            failures: q(r#"SELECT count, last_failure_at FROM "{schema}".login_failures WHERE username_key = $1"#),
            prune_failures: q(r#"DELETE FROM "{schema}".login_failures WHERE last_failure_at < $1"#),
            trim_failures: q(r#"DELETE FROM "{schema}".login_failures WHERE username_key IN
                (SELECT username_key FROM "{schema}".login_failures
                 ORDER BY count DESC, last_failure_at DESC, username_key OFFSET $1)"#),
            insert_failures: q(r#"INSERT INTO "{schema}".login_failures (username_key, count, last_failure_at)
                VALUES ($1, $2, $3) ON CONFLICT (username_key) DO NOTHING"#),
            swap_failures: q(r#"UPDATE "{schema}".login_failures SET count = $2, last_failure_at = $3
                WHERE username_key = $1 AND count = $4 AND last_failure_at = $5"#),
            clear_failures: q(r#"DELETE FROM "{schema}".login_failures WHERE username_key = $1"#),
            insert_device: q(r#"INSERT INTO "{schema}".devices
                (digest, contact_id, credential_version, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)"#),
            trim_devices: q(r#"DELETE FROM "{schema}".devices WHERE contact_id = $1 AND (expires_at <= $2
                OR seq NOT IN (SELECT seq FROM "{schema}".devices WHERE contact_id = $1
                               ORDER BY issued_at DESC, seq DESC LIMIT $3))"#),
            device: q(r#"SELECT digest, contact_id, credential_version, issued_at, expires_at
                FROM "{schema}".devices WHERE digest = $1"#),
        }
    }
}
