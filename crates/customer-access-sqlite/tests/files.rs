//! The database file itself: migrations, reopening, error mapping, and what is on disk.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::time::Duration;

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::store::StoreErrorKind;
use customer_access::{
    AccessService, LoginOutcome, NewContact, RecordingMailer, ResetOptions, SecurityPolicy, Staff, StaffId, Store,
    SystemClock,
};
use customer_access_sqlite::{SCHEMA_VERSION, SqliteStore};
use sqlx::Row;

fn policy() -> SecurityPolicy {
    let mut p = SecurityPolicy::default();
    p.argon2 = Argon2Settings::danger_insecure_for_tests();
    p
}

fn temporary(mailer: &RecordingMailer) -> String {
    let temp = mailer.last_temporary_password().unwrap();
    customer_access::secrecy::ExposeSecret::expose_secret(&temp).to_owned()
}

async fn versions(store: &SqliteStore) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM ca_schema_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn migrates_an_empty_file_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = customer_access_sqlite::open(dir.path().join("a.db")).await.unwrap();
    assert_eq!(versions(&store).await, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    store.migrate().await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.pool()).await.unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(store.pool()).await.unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(store.pool()).await.unwrap();
    assert_eq!((journal.as_str(), sync, fk), ("wal", 2, 1), "WAL, synchronous=FULL, foreign keys on");
}

#[tokio::test]
async fn migrates_from_the_previous_version_keeping_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let old = customer_access_sqlite::open_unmigrated(&path).await.unwrap();
    old.migrate_to(SCHEMA_VERSION - 1).await.unwrap();
    let shop = old.create_retailer("Corner Shop").await.unwrap();
    old.close().await;
    let store = customer_access_sqlite::open(&path).await.unwrap();
    assert_eq!(versions(&store).await.last(), Some(&SCHEMA_VERSION));
    assert_eq!(store.retailer(shop.id).await.unwrap(), shop, "data survives the upgrade");
}

#[tokio::test]
async fn everything_survives_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reopen.db");
    let store = customer_access_sqlite::open(&path).await.unwrap();
    let mailer = RecordingMailer::new();
    let service = AccessService::new(store.clone(), mailer.clone(), SystemClock, policy()).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let new = NewContact {
        retailer: shop.id,
        username: "anna".into(),
        email: "anna@shop.example".into(),
        display_name: "Anna".into(),
        preferences: Default::default(),
    };
    let anna = service.invite(&admin, &new).await.unwrap();
    let before = store.contact(anna.id).await.unwrap();
    let log_before = store.audit_log(anna.id).await.unwrap();
    drop(service);
    store.close().await;

    let reopened = customer_access_sqlite::open(&path).await.unwrap();
    assert_eq!(reopened.contact(anna.id).await.unwrap(), before);
    assert_eq!(reopened.audit_log(anna.id).await.unwrap(), log_before);
    let service = AccessService::new(reopened, mailer.clone(), SystemClock, policy()).unwrap();
    let outcome = service.login("anna", &SecretString::from(temporary(&mailer))).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::PasswordChangeRequired { .. }), "the temporary password still works");
}

/// After the seed scenario, no table and no byte of the database files holds a temporary
/// password, a new password or a ticket.
#[tokio::test]
async fn no_secret_is_stored_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.db");
    let store = customer_access_sqlite::open(&path).await.unwrap();
    let mailer = RecordingMailer::new();
    let service = AccessService::new(store.clone(), mailer.clone(), SystemClock, policy()).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let mut secrets = Vec::new();
    for name in ["anna", "bert"] {
        let new = NewContact {
            retailer: shop.id,
            username: name.into(),
            email: format!("{name}@shop.example"),
            display_name: name.into(),
            preferences: Default::default(),
        };
        let c = service.invite(&admin, &new).await.unwrap();
        service.staff_reset(&admin, c.id, ResetOptions::default()).await.unwrap();
        let temp = temporary(&mailer);
        let LoginOutcome::PasswordChangeRequired { ticket } =
            service.login(name, &SecretString::from(temp.as_str())).await.unwrap()
        else {
            panic!()
        };
        let new_password = format!("{name}-Kettle-4242");
        service
            .set_new_password(&SecretString::from(ticket.expose_secret()), &SecretString::from(new_password.as_str()))
            .await
            .unwrap();
        service.request_password_reset(name).unwrap().run().await;
        secrets.extend([temp, ticket.expose_secret().to_owned(), new_password, temporary(&mailer)]);
    }
    // Every column of every table, as text.
    let mut dump = String::new();
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(store.pool())
        .await
        .unwrap();
    for table in &tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM \"{table}\"")))
            .fetch_all(store.pool())
            .await
            .unwrap();
        for row in rows {
            for i in 0..row.len() {
                let text: Option<String> = row.try_get::<Option<String>, _>(i).ok().flatten();
                dump.push_str(&text.unwrap_or_default());
                dump.push('|');
            }
        }
    }
    assert!(dump.contains("$argon2id$"), "the dump did read the hashes");
    drop(service);
    store.close().await;
    let mut bytes = std::fs::read(&path).unwrap();
    for extra in ["dump.db-wal", "dump.db-shm"] {
        if let Ok(more) = std::fs::read(dir.path().join(extra)) {
            bytes.extend(more);
        }
    }
    for s in &secrets {
        let tail = &s[s.len() - 12..];
        assert!(!dump.contains(tail), "a secret is stored in a table");
        assert!(!bytes.windows(tail.len()).any(|w| w == tail.as_bytes()), "a secret is in the database file");
    }
}

#[tokio::test]
async fn driver_errors_map_to_store_error_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("errors.db");
    let store = customer_access_sqlite::open(&path).await.unwrap();
    let shop = store.create_retailer("Shop").await.unwrap();
    // A corrupt row is Corrupt, not a panic.
    sqlx::query(
        "INSERT INTO ca_contacts (retailer_id, username, username_key, email, display_name, login_enabled, revision, \
         credential_version, reset_window_count) VALUES (?1, 'x', 'NOT CANONICAL', 'x@y.example', 'X', 1, 0, 0, 0)",
    )
    .bind(shop.id.get())
    .execute(store.pool())
    .await
    .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM ca_contacts WHERE id <> 0").fetch_one(store.pool()).await.unwrap();
    let err = store.contact(customer_access::ContactId::new(id)).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt);
    // A writer holding the lock past the busy timeout makes others Unavailable.
    let options = customer_access_sqlite::options(&path).busy_timeout(Duration::from_millis(100));
    let impatient =
        customer_access_sqlite::open_with(options, sqlx::sqlite::SqlitePoolOptions::new().max_connections(1))
            .await
            .unwrap();
    let mut holder = store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("INSERT INTO ca_retailers (name) VALUES ('held')").execute(&mut *holder).await.unwrap();
    let err = impatient.create_retailer("blocked").await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err:?}");
    assert!(std::error::Error::source(&err).is_some(), "the driver error is kept as the source");
    holder.rollback().await.unwrap();
    impatient.create_retailer("now fine").await.unwrap();
    // A closed pool is Unavailable too.
    impatient.close().await;
    assert_eq!(impatient.retailers().await.unwrap_err().kind(), StoreErrorKind::Unavailable);
}

/// The modes of `name` and its `-wal`, `-shm` and `-journal` files that exist in `dir`.
#[cfg(unix)]
fn modes(dir: &std::path::Path, name: &str) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| format!("{name}{suffix}"))
        .filter_map(|file| std::fs::metadata(dir.join(&file)).ok().map(|m| (file, m.permissions().mode() & 0o777)))
        .collect()
}

/// A new database file and the `-wal` and `-shm` files SQLite makes beside it are readable
/// by their owner only, whatever the umask: they hold every password hash.
#[cfg(unix)]
#[tokio::test]
async fn new_database_files_are_private_to_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let store = customer_access_sqlite::open(dir.path().join("private.db")).await.unwrap();
    store.create_retailer("Shop").await.unwrap(); // a write, so the WAL exists
    let found = modes(dir.path(), "private.db");
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.starts_with(&["private.db", "private.db-wal", "private.db-shm"]), "{names:?}");
    for (file, mode) in &found {
        assert_eq!(mode & 0o077, 0, "{file} has mode {mode:o} (umask {})", umask());
    }
    // `open_with` cannot create the file first, but narrows what SQLite made before any row.
    let options = customer_access_sqlite::options(dir.path().join("custom.db"));
    let store = customer_access_sqlite::open_with(options, sqlx::sqlite::SqlitePoolOptions::new()).await.unwrap();
    store.create_retailer("Shop").await.unwrap();
    for (file, mode) in modes(dir.path(), "custom.db") {
        assert_eq!(mode & 0o077, 0, "{file} has mode {mode:o} (umask {})", umask());
    }
}

/// A database file (and leftover `-wal`/`-shm` files) created earlier with group and world
/// read access is narrowed to its owner on open; nothing is ever widened.
#[cfg(unix)]
#[tokio::test]
async fn existing_readable_files_are_narrowed_on_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let store = customer_access_sqlite::open(&path).await.unwrap();
    store.create_retailer("Shop").await.unwrap();
    store.close().await;
    let readable = std::fs::Permissions::from_mode(0o644);
    std::fs::set_permissions(&path, readable.clone()).unwrap();
    for leftover in ["old.db-wal", "old.db-shm"] {
        std::fs::write(dir.path().join(leftover), b"").unwrap();
        std::fs::set_permissions(dir.path().join(leftover), readable.clone()).unwrap();
    }
    let store = customer_access_sqlite::open(&path).await.unwrap();
    store.create_retailer("Shop 2").await.unwrap();
    for (file, mode) in modes(dir.path(), "old.db") {
        assert_eq!(mode, 0o600, "{file} has mode {mode:o}");
    }
    // An owner-only mode stricter than 0600 is left as it is.
    store.close().await;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    // (Whether SQLite then manages to open it depends on who runs the test; root can.)
    drop(customer_access_sqlite::open_unmigrated(&path).await);
    assert_eq!(modes(dir.path(), "old.db")[0].1, 0o400);
}

/// The process umask, for failure messages (Linux only; "?" elsewhere).
#[cfg(unix)]
fn umask() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Umask:").map(|u| u.trim().to_owned())))
        .unwrap_or_else(|| "?".to_owned())
}
