//! Issue #20, faults: the disk fills up under a SQLite store mid-write. The write fails with
//! a typed `Unavailable` (SQLite's `SQLITE_FULL`), nothing of it is stored, the file stays
//! consistent (`PRAGMA integrity_check`, the audit chain verifies, every contact written
//! before reads back), reads go on while the disk is full, and writes work again once space
//! is freed, in the same store and after reopening the file.
//!
//! The database lives on a 4 MiB tmpfs the test mounts (and unmounts) itself, so it needs
//! root; without it the test says so and skips, unless `CUSTOMER_ACCESS_REQUIRE_TMPFS=1`
//! (set by `.ci/run`) makes that a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::store::StoreErrorKind;
use customer_access::{
    AccessService, ContactId, LoginOutcome, NewContact, RecordingMailer, RetailerId, SecurityPolicy, ServiceError,
    Staff, StaffId, Store, SystemClock,
};
use customer_access_conformance::support::contact_with_password;
use customer_access_sqlite::SqliteStore;

type Service = AccessService<SqliteStore, RecordingMailer, SystemClock>;

/// A tmpfs of `size` mounted on a fresh directory, unmounted and removed on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(size: &str) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("ca-small-disk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(&dir)
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Self(dir)),
            other => {
                let _ = std::fs::remove_dir(&dir);
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var("CUSTOMER_ACCESS_REQUIRE_TMPFS").as_deref() != Ok("1"),
                    "CUSTOMER_ACCESS_REQUIRE_TMPFS=1 but a tmpfs could not be mounted: {why}"
                );
                eprintln!("\n*** SKIPPED: mounting a small tmpfs needs root ({why}). ***\n");
                None
            }
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Fill the file system of `filler` to the last byte, then give back `leave` bytes.
fn fill_leaving(filler: &Path, leave: u64) {
    let mut file = OpenOptions::new().create(true).append(true).open(filler).unwrap();
    let chunk = vec![0x5a_u8; 16 * 1024];
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) || e.kind() == ErrorKind::StorageFull => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    let len = file.metadata().unwrap().len();
    file.set_len(len.saturating_sub(leave)).unwrap();
    file.sync_all().unwrap();
}

async fn service(path: &Path) -> Service {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    let store = customer_access_sqlite::open(path).await.unwrap();
    AccessService::new(store, RecordingMailer::new(), SystemClock, policy).unwrap()
}

fn new_contact(retailer: RetailerId, n: usize) -> NewContact {
    NewContact {
        retailer,
        username: format!("filler-{n}"),
        email: format!("filler-{n}@shop.example"),
        // Long names fill the disk sooner.
        display_name: format!("Filler contact {n} {}", "x".repeat(150)),
        preferences: Default::default(),
    }
}

/// `PRAGMA integrity_check` says "ok" and the audit chain verifies.
async fn consistent(service: &Service) {
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(service.store().pool()).await.unwrap();
    assert_eq!(check, "ok", "the file stays consistent");
    let verified = service.verify_audit(None).await;
    assert!(verified.is_ok(), "the audit chain verifies: {verified:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_cleanly_and_they_work_again_once_space_is_freed() {
    let Some(disk) = SmallDisk::mount("4m") else { return };
    let db = disk.path("access.db");
    let service = service(&db).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let password = SecretString::from("Anna-Pass-2026");
    let anna = contact_with_password(&service, &admin, shop.id, "anna", &password).await;

    // Leave 512 KiB, then write until the disk is full.
    fill_leaving(&disk.path("filler"), 512 * 1024);
    let mut written: Vec<ContactId> = Vec::new();
    let refused = loop {
        assert!(written.len() < 100_000, "the disk never filled up");
        match service.invite(&admin, &new_contact(shop.id, written.len())).await {
            Ok(contact) => written.push(contact.id),
            Err(e) => break e,
        }
    };
    let ServiceError::Store(error) = &refused else { panic!("a full disk must be a store error, got {refused:?}") };
    assert_eq!(error.kind(), StoreErrorKind::Unavailable, "a full disk is Unavailable: {error:?}");
    assert!(!written.is_empty(), "some writes fit before the disk filled up");
    let failed = format!("filler-{}", written.len());
    eprintln!("{} contacts written before the disk was full; then: {error:?}", written.len());

    // Nothing of the failed write is stored; everything before it reads back; reads go on
    // while the disk is full.
    let missing = customer_access::store::UsernameKey::from_stored(&failed).unwrap();
    assert!(service.store().contact_by_username(&missing).await.unwrap().is_none(), "the refused contact is absent");
    for id in &written {
        service.store().contact(*id).await.unwrap();
    }
    // A login reserves its attempt with a write first, so it fails closed: Unavailable,
    // never a wrong-password answer.
    let login = service.login("anna", &password).await;
    let unavailable = matches!(&login, Err(ServiceError::Store(e)) if e.kind() == StoreErrorKind::Unavailable);
    assert!(
        unavailable || matches!(login, Ok(LoginOutcome::Authenticated { .. })),
        "a login while the disk is full: {login:?}"
    );
    consistent(&service).await;

    // Space freed: the same store writes again, and the same name is free to take.
    std::fs::remove_file(disk.path("filler")).unwrap();
    let again = service.invite(&admin, &new_contact(shop.id, written.len())).await;
    assert!(again.is_ok(), "writes work again once space is freed: {again:?}");
    service.change_password(anna.id, &password, &SecretString::from("Anna-After-Full-1")).await.unwrap();
    consistent(&service).await;

    // And after reopening the file.
    service.store().pool().close().await;
    drop(service);
    let reopened = customer_access_sqlite::open(&db).await.unwrap();
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    let reopened = AccessService::new(reopened, RecordingMailer::new(), SystemClock, policy).unwrap();
    consistent(&reopened).await;
    let contacts = reopened.store().contacts_of_retailer(shop.id).await.unwrap();
    assert_eq!(contacts.len(), written.len() + 2, "anna, every contact written, and the one after");
    let login = reopened.login("anna", &SecretString::from("Anna-After-Full-1")).await;
    assert!(matches!(login, Ok(LoginOutcome::Authenticated { .. })), "{login:?}");
    reopened.store().pool().close().await;
}
