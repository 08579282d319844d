//! Migrations shipped inside a driver crate, as a sqlx [`Migrator`].

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

/// One forward-only migration: `(version, description, SQL)`. Never edit a released one:
/// add a new one instead (sqlx refuses to run when a checksum changed).
pub type MigrationSource = (i64, &'static str, &'static str);

/// A migrator holding `migrations` up to and including `version`, each SQL text passed
/// through `qualify` (e.g. to put a validated schema name in), keeping its bookkeeping in
/// `table`.
pub fn migrator(
    migrations: &[MigrationSource],
    version: i64,
    qualify: impl Fn(&str) -> String,
    table: impl Into<Cow<'static, str>>,
) -> Migrator {
    let migrations = migrations
        .iter()
        .filter(|(v, _, _)| *v <= version)
        .map(|&(v, description, sql)| {
            let sql = AssertSqlSafe(qualify(sql)).into_sql_str();
            Migration::new(v, Cow::Borrowed(description), MigrationType::Simple, sql, false)
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.dangerous_set_table_name(table);
    migrator
}
