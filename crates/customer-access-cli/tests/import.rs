//! `customer-access import` and `invite-imported` against real SQLite files, the real
//! PostgreSQL server and a real SMTP server on loopback: a 100,000-row CSV run twice leaves
//! the same database, a broken row is reported by its line and the rest imported, imported
//! hashes log in, and invitations go out throttled with progress.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use common::{Run, run};
use customer_access::secrecy::SecretString;
use customer_access::store::UsernameKey;
use customer_access::{AccessService, LoginOutcome, RecordingMailer, SecurityPolicy, Store, SystemClock};
use sqlx::{AssertSqlSafe, Row};

const HEADER: &str =
    "external_id,retailer_external_id,retailer_name,username,email,display_name,login_enabled,password_hash";
/// bcrypt (cost 5) of "pass word 42", made by Python's bcrypt.
const BCRYPT: &str = "$2b$05$AFY/f.q27nomBYI4.icG3.Ld5jxVKY9W8zfxMe7h/FPbLfdTKtCiq";
const BCRYPT_PASSWORD: &str = "pass word 42";

/// `rows` contacts of 50 per retailer, the one at `broken` with an invalid e-mail address,
/// the first two with bcrypt hashes, every seventh (from the first) disabled. Row `i` is on
/// line `i + 2`.
fn csv(dir: &Path, rows: usize, broken: usize) -> std::path::PathBuf {
    let mut text = String::with_capacity(rows * 90);
    text.push_str(HEADER);
    text.push('\n');
    for i in 0..rows {
        let r = i / 50;
        let email = if i == broken { "broken email".to_owned() } else { format!("user{i}@shop{r}.example") };
        let hash = if i < 2 { BCRYPT } else { "" };
        let enabled = i % 7 != 0;
        writeln!(text, "C-{i},R-{r},Retailer {r},user{i},{email},Contact {i},{enabled},{hash}").unwrap();
    }
    let path = dir.join("contacts.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn import(store: &[&str], file: &Path) -> Run {
    let mut args = vec!["import"];
    args.extend(store);
    args.extend(["--csv", file.to_str().unwrap(), "--staff-id", "7"]);
    run(args)
}

/// Every row of every table of a SQLite file, as text.
async fn sqlite_dump(path: &Path) -> Vec<String> {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut dump = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query(AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{table}')")))
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let row = columns.iter().map(|c| format!("quote({c})")).collect::<Vec<_>>().join(" || '|' || ");
        let sql = format!("SELECT '{table}|' || {row} FROM {table} ORDER BY rowid");
        dump.extend(
            sqlx::query(AssertSqlSafe(sql)).fetch_all(&pool).await.unwrap().iter().map(|r| r.get::<String, _>(0)),
        );
    }
    pool.close().await;
    dump
}

async fn logs_in_and_upgrades<S: Store>(store: S) {
    let service = AccessService::new(store, RecordingMailer::new(), SystemClock, SecurityPolicy::default()).unwrap();
    let outcome = service.login("user1", &SecretString::from(BCRYPT_PASSWORD)).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::Authenticated { .. }), "the imported bcrypt hash logs in: {outcome:?}");
    let key = UsernameKey::from_stored("user1").unwrap();
    let stored = service.store().contact_by_username(&key).await.unwrap().unwrap();
    assert!(stored.credentials.password.unwrap().as_phc().starts_with("$argon2id$"), "and is Argon2id now");
}

#[tokio::test]
async fn a_100k_row_csv_run_twice_leaves_the_same_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = csv(dir.path(), 100_000, 50_000);
    let db = dir.path().join("logins.db");
    let store = ["--sqlite", db.to_str().unwrap()];

    let first = import(&store, &file);
    assert_eq!(first.code, 1, "one row refused: {}", first.output());
    assert_eq!(
        first.stdout,
        "line 50002: refused: C-50000: invalid e-mail address: contains whitespace or a control character\n",
        "the broken row, by its line, and nothing else"
    );
    assert!(first.stderr.contains("99999 created, 0 updated, 0 unchanged, 1 refused"), "{}", first.stderr);
    assert!(first.stderr.contains("10000 rows read"), "progress on standard error: {}", first.stderr);
    let once = sqlite_dump(&db).await;
    assert!(once.len() > 200_000, "contacts, retailers, external ids and audit rows: {}", once.len());

    let second = import(&store, &file);
    assert_eq!(second.code, 1);
    assert_eq!(second.stdout, first.stdout, "the same row refused again");
    assert!(second.stderr.contains("0 created, 0 updated, 99999 unchanged, 1 refused"), "{}", second.stderr);
    assert!(sqlite_dump(&db).await == once, "the same database, row for row, table for table");

    logs_in_and_upgrades(customer_access_sqlite::open(&db).await.unwrap()).await;
}

#[tokio::test]
async fn json_lines_rows_update_by_external_id_and_unreadable_lines_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logins.db");
    let file = dir.path().join("contacts.jsonl");
    let line = |name: &str, enabled: bool| {
        format!(
            r#"{{"external_id":"C-{name}","retailer_external_id":"R-1","retailer_name":"Shop","username":"{name}","email":"{name}@example.com","display_name":"{name}","login_enabled":{enabled}}}"#
        )
    };
    std::fs::write(&file, format!("{}\n{{oops\n{}\n", line("anna", true), line("bert", true))).unwrap();
    let run_jsonl =
        || run(["import", "--sqlite", db.to_str().unwrap(), "--jsonl", file.to_str().unwrap(), "--staff-id", "1"]);
    let first = run_jsonl();
    assert_eq!(first.code, 1, "{}", first.output());
    assert!(first.stdout.starts_with("line 2: refused: cannot read the row: not a row object"), "{}", first.stdout);
    assert!(first.stderr.contains("2 created, 0 updated, 0 unchanged, 1 refused"), "{}", first.stderr);

    std::fs::write(&file, format!("{}\n{}\n", line("anna", false), line("bert", true))).unwrap();
    let second = run_jsonl();
    assert_eq!(second.code, 0, "{}", second.output());
    assert!(second.stderr.contains("0 created, 1 updated, 1 unchanged, 0 refused"), "{}", second.stderr);
}

#[tokio::test]
async fn a_missing_file_or_wrong_header_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logins.db");
    let missing = run(["import", "--sqlite", db.to_str().unwrap(), "--csv", "/nonexistent.csv", "--staff-id", "1"]);
    assert_eq!(missing.code, 2, "{}", missing.output());
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, "external_id,username\nC-1,ana\n").unwrap();
    let header = run(["import", "--sqlite", db.to_str().unwrap(), "--csv", file.to_str().unwrap(), "--staff-id", "1"]);
    assert_eq!(header.code, 2, "{}", header.output());
    assert!(header.stderr.contains("lacks the column \"retailer_external_id\""), "{}", header.stderr);
    assert!(!db.exists(), "nothing was created");
}

mod postgres {
    use super::*;
    use customer_access_postgres::SchemaName;

    fn url() -> String {
        std::env::var("CUSTOMER_ACCESS_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    }

    async fn pool() -> Option<sqlx::PgPool> {
        let options = sqlx::postgres::PgPoolOptions::new().max_connections(2).acquire_timeout(Duration::from_secs(5));
        match options.connect(&url()).await {
            Ok(pool) => Some(pool),
            Err(e) if std::env::var("CUSTOMER_ACCESS_REQUIRE_PG").as_deref() == Ok("1") => {
                panic!("PostgreSQL required: {e}")
            }
            Err(e) => {
                eprintln!("\n*** SKIPPED: no PostgreSQL at {} ({e}). ***\n", url());
                None
            }
        }
    }

    /// Every row of every table of `schema`, as text.
    async fn dump(pool: &sqlx::PgPool, schema: &SchemaName) -> Vec<String> {
        let tables: Vec<String> =
            sqlx::query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1")
                .bind(schema.as_str())
                .fetch_all(pool)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
        let mut rows = Vec::new();
        for table in tables {
            let sql = format!(r#"SELECT '{table}|' || t::text FROM "{}"."{table}" t ORDER BY 1"#, schema.as_str());
            rows.extend(
                sqlx::query(AssertSqlSafe(sql)).fetch_all(pool).await.unwrap().iter().map(|r| r.get::<String, _>(0)),
            );
        }
        rows
    }

    #[tokio::test]
    async fn a_csv_run_twice_leaves_the_same_postgres_schema() {
        let Some(pool) = pool().await else { return };
        let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().subsec_nanos();
        let schema = SchemaName::parse(&format!("ca_cli_import_{}_{nanos}", std::process::id())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = csv(dir.path(), 20_000, 10_000);
        let url = url();
        let store = ["--postgres", url.as_str(), "--schema", schema.as_str()];

        let first = import(&store, &file);
        assert_eq!(first.code, 1, "{}", first.output());
        assert!(first.stdout.starts_with("line 10002: refused: C-10000: invalid e-mail address"), "{}", first.stdout);
        assert!(first.stderr.contains("19999 created, 0 updated, 0 unchanged, 1 refused"), "{}", first.stderr);
        let once = dump(&pool, &schema).await;
        let second = import(&store, &file);
        assert!(second.stderr.contains("0 created, 0 updated, 19999 unchanged, 1 refused"), "{}", second.stderr);
        assert!(dump(&pool, &schema).await == once, "the same schema, row for row");

        logs_in_and_upgrades(customer_access_postgres::connect(&url, schema.clone()).await.unwrap()).await;
        sqlx::query(AssertSqlSafe(format!(r#"DROP SCHEMA "{}" CASCADE"#, schema.as_str())))
            .execute(&pool)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_applications_policy_is_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logins.db");
    let file = csv(dir.path(), 3, 99);
    let mut policy = SecurityPolicy::default();
    policy.username.min_length = 6;
    let path = dir.path().join("policy.json");
    std::fs::write(&path, serde_json::to_vec(&policy).unwrap()).unwrap();
    let args = |policy: &Path| {
        let mut args = vec!["import", "--sqlite", db.to_str().unwrap(), "--csv", file.to_str().unwrap()];
        args.extend(["--staff-id", "1", "--policy", policy.to_str().unwrap()]);
        run(args)
    };
    let ran = args(&path);
    assert_eq!(ran.code, 1, "{}", ran.output());
    assert_eq!(
        ran.stdout.lines().count(),
        3,
        "user0..user2 are too short under the application's rules: {}",
        ran.stdout
    );

    policy.argon2.memory_kib = 8;
    std::fs::write(&path, serde_json::to_vec(&policy).unwrap()).unwrap();
    let refused = args(&path);
    assert_eq!(refused.code, 2, "a policy that fails its check is refused: {}", refused.output());
    assert!(refused.stderr.contains("--policy"), "{}", refused.stderr);
}

/// Invitations go to the imported contacts without a hash only, through the real server,
/// spaced by `--per-minute`, with progress on standard error; a second run finds nobody.
#[tokio::test]
#[allow(clippy::disallowed_methods, reason = "the throttle's spacing is what is checked")]
async fn invite_imported_mails_the_contacts_without_a_hash_throttled() {
    let Some(server) = common::smtp::SmtpServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logins.db");
    // Rows 0 and 1 have hashes; rows 2, 3 and 4 none; row 0 is disabled (every seventh).
    let file = csv(dir.path(), 5, 99);
    assert_eq!(import(&["--sqlite", db.to_str().unwrap()], &file).code, 0);
    let smtp = format!("smtp://127.0.0.1:{}?tls=none", server.port);
    let invite = || {
        let started = std::time::Instant::now();
        let ran = run([
            "invite-imported",
            "--sqlite",
            db.to_str().unwrap(),
            "--staff-id",
            "1",
            "--per-minute",
            "120",
            "--smtp",
            &smtp,
            "--from",
            "logins@shop.example",
        ]);
        (ran, started.elapsed())
    };
    let (first, took) = invite();
    assert_eq!(first.code, 0, "{}", first.output());
    assert!(first.stderr.contains("3 contacts to invite, at most 120 per minute"), "{}", first.stderr);
    assert!(first.stderr.contains("invited 3 of 3"), "{}", first.stderr);
    assert!(took >= Duration::from_millis(900), "two gaps of 0.5 s between three sends: {took:?}");
    let mut to = server.recipients();
    to.sort();
    assert_eq!(to, vec!["user2@shop0.example", "user3@shop0.example", "user4@shop0.example"]);

    let (second, _) = invite();
    assert_eq!(second.code, 0, "{}", second.output());
    assert!(second.stderr.contains("0 contacts to invite"), "{}", second.stderr);
    assert_eq!(server.recipients().len(), 3, "nobody is invited twice");
}
