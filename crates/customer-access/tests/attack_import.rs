//! Attack review of the bulk import (issue #16): staff operation sequences through
//! `import`/`invite_imported`, re-runs, failures between the batch write and its e-mail
//! notices, and what one import file can do to every login. Each test fails while the
//! defect it names exists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::hooked::{Call, Hooked, Hooks};
use common::{Harness, fast_policy, is_authenticated};
use customer_access::import::{ImportRefusal, ImportRow};
use customer_access::mailer::MailErrorKind;
use customer_access::secrecy::SecretString;
use customer_access::store::{StoreError, StoreErrorKind, StoreResult};
use customer_access::{
    AccessService, AuditKind, LoginOutcome, ManualClock, MemoryStore, RecordingMailer, Staff, StaffId, Store, Timestamp,
};

/// Django PBKDF2-SHA256 (1000 iterations, salt `SameSaltText1234`) of `OWN_PASSWORD`, made
/// with Python's `hashlib.pbkdf2_hmac`: the password the contact used in the old system.
const OWN_HASH: &str = "pbkdf2_sha256$1000$SameSaltText1234$CGfzDcVJKHzcn+T3xTK8UpsEdrK+I343jrYAuJBtxME=";
const OWN_PASSWORD: &str = "Contact-Own-Pass-1";
/// The same scheme, cost and salt, of `ROTATED_PASSWORD` (the contact changed their password
/// in the old system between two runs of the import; that system kept the per-user salt).
const ROTATED_HASH: &str = "pbkdf2_sha256$1000$SameSaltText1234$EnQ32OrYNN/Ihcbv7mbN8n2lcMtEQQbVThxNV01ecvQ=";
const ROTATED_PASSWORD: &str = "Rotated-Pass-2";
/// A hash the importing staff member made of a password they chose.
const ATTACKER_HASH: &str = "pbkdf2_sha256$1000$AttackerSalt9876$YGpdZ8Kuq1Dge0fGGif/d5uofb+lheXJFzCf92PCmtM=";
const ATTACKER_PASSWORD: &str = "Attacker-Pass-77";

fn row(id: &str, username: &str) -> ImportRow {
    ImportRow {
        external_id: id.into(),
        retailer_external_id: "R-1".into(),
        retailer_name: "Corner Shop".into(),
        username: username.into(),
        email: format!("{username}@example.com"),
        display_name: format!("Contact {username}"),
        login_enabled: true,
        password_hash: None,
    }
}

fn with_hash(mut row: ImportRow, hash: &str) -> ImportRow {
    row.password_hash = Some(SecretString::from(hash));
    row
}

fn lines(rows: Vec<ImportRow>) -> Vec<(u64, ImportRow)> {
    rows.into_iter().enumerate().map(|(i, r)| (i as u64 + 2, r)).collect()
}

async fn login<S: Store>(
    service: &AccessService<S, RecordingMailer, ManualClock>,
    username: &str,
    password: &str,
) -> LoginOutcome {
    service.login(username, &SecretString::from(password)).await.unwrap()
}

async fn stored(h: &Harness, username: &str) -> customer_access::store::ContactRecord {
    let key = h.service.policy().username.canonicalize(username).unwrap();
    h.store.contact_by_username(&key).await.unwrap().unwrap()
}

fn told(mailer: &RecordingMailer, address: &str) -> bool {
    mailer.messages().iter().any(|m| m.to.as_str() == address)
}

// ---------------------------------------------------------------------------------------
// 1. Staff operation sequences: a re-import replaces a working password.

/// A contact imported with the hash of their old-system password can log in with it here
/// until their first login upgrades it. Until then a sales admin re-imports the contact's
/// row with a hash of a password *they* chose: the row is `Updated`, the contact is told
/// nothing, their sessions are not ended, and the admin logs in as the contact. A staff
/// reset could at most mail a temporary password to the contact's own address; this is a
/// silent takeover (and the contact's own password stops working).
#[tokio::test]
async fn a_reimported_hash_silently_replaces_a_contacts_working_password() {
    let h = Harness::new().await;
    h.service.import(&h.admin, lines(vec![with_hash(row("C-1", "ana"), OWN_HASH)])).await.unwrap();
    let before = stored(&h, "ana").await;

    let report = h.service.import(&h.admin, lines(vec![with_hash(row("C-1", "ana"), ATTACKER_HASH)])).await.unwrap();
    let after = stored(&h, "ana").await;
    let taken = is_authenticated(&login(&h.service, "ana", ATTACKER_PASSWORD).await);
    let contact_told = told(&h.mailer, "ana@example.com");
    let sessions_ended = after.credentials.credential_version != before.credentials.credential_version;
    assert!(
        !taken || (contact_told && sessions_ended),
        "the importer now holds ana's login (report {report:?}); ana was told: {contact_told}, her sessions \
         ended: {sessions_ended}"
    );
}

/// The same replacement, repeated over many contacts, is a mass takeover: nothing counts it
/// against the staff reset budgets, which a reset, a removal and a rename all count against
/// (a removal or a rename "followed by an invitation is a reset by other means"; so is this).
#[tokio::test]
async fn reimported_hashes_escape_the_staff_reset_budgets() {
    // Two budgeted actions per staff member per day.
    let h = Harness::with_budgets(10, 2, 20, &[]).await;
    let names = ["ana", "bob", "cyd", "dan", "eve"];
    let rows =
        |hash: &str| lines(names.iter().enumerate().map(|(i, n)| with_hash(row(&format!("C-{i}"), n), hash)).collect());
    h.service.import(&h.admin, rows(OWN_HASH)).await.unwrap();
    let report = h.service.import(&h.admin, rows(ATTACKER_HASH)).await.unwrap();

    let mut taken = Vec::new();
    for name in names {
        if is_authenticated(&login(&h.service, name, ATTACKER_PASSWORD).await) {
            taken.push(name);
        }
    }
    assert!(
        taken.len() <= 2,
        "one sales admin replaced {} passwords with one they know, past a budget of 2 a day: {taken:?} ({report:?})",
        taken.len()
    );
}

// ---------------------------------------------------------------------------------------
// 2. E-mail notices sent after the batch is written.

/// A row changing the address, the hash and the display name whose e-mail-change notice
/// cannot be sent was reported `EmailNoticeFailed` with only the address undone: the
/// staff-chosen hash (and the display name) stayed, so the importer logged in as the
/// contact although the row "failed". Now a changed hash refuses the row at once, and a
/// row whose notice fails (sent before anything is written) writes nothing at all.
#[tokio::test]
async fn a_row_refused_for_a_failed_notice_keeps_its_new_hash() {
    let h = Harness::new().await;
    h.service.import(&h.admin, lines(vec![with_hash(row("C-1", "ana"), OWN_HASH)])).await.unwrap();

    h.mailer.fail_with(Some(MailErrorKind::Permanent));
    let changed = ImportRow {
        email: "attacker@evil.example".into(),
        display_name: "Changed".into(),
        ..with_hash(row("C-1", "ana"), ATTACKER_HASH)
    };
    let report = h.service.import(&h.admin, lines(vec![changed.clone()])).await.unwrap();
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert_eq!(report.refused[0].result, Err(ImportRefusal::HashChanged), "a changed hash is refused first");
    let same_hash = ImportRow { password_hash: Some(SecretString::from(OWN_HASH)), ..changed };
    let report = h.service.import(&h.admin, lines(vec![same_hash])).await.unwrap();
    h.mailer.fail_with(None);
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert_eq!(report.refused[0].result, Err(ImportRefusal::EmailNoticeFailed));

    let record = stored(&h, "ana").await;
    assert_eq!(record.contact.email.as_str(), "ana@example.com", "the address is undone");
    assert!(
        !is_authenticated(&login(&h.service, "ana", ATTACKER_PASSWORD).await),
        "the refused row's hash was written: its author logs in as ana"
    );
    assert_eq!(record.contact.display_name, "Contact ana", "nothing of a refused row was written");
}

/// Fails the first import write after being armed (after the batch's notices went out).
#[derive(Clone, Debug, Default)]
struct FailNextAppend {
    armed: Arc<AtomicBool>,
}

impl Hooks for FailNextAppend {
    async fn before(&self, _: &MemoryStore, call: Call<'_>) -> StoreResult<()> {
        if matches!(call, Call::ImportBatch) && self.armed.swap(false, Ordering::SeqCst) {
            return Err(StoreError::new(StoreErrorKind::Unavailable));
        }
        Ok(())
    }
}

/// A batch changing two contacts' addresses was written first, then the notices went out
/// one by one: a store failure while auditing the first notice ended the import with the
/// second contact's address changed and its previous address never told. Now the notices
/// go out first and travel in the batch's own write: a failing write leaves at most a false
/// alarm, never an address changed untold.
#[tokio::test]
async fn a_store_failure_after_one_notice_leaves_the_batchs_other_email_changes_untold() {
    let store: Hooked<FailNextAppend> = Hooked::default();
    let mailer = RecordingMailer::new();
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let service = AccessService::new(store.clone(), mailer.clone(), clock, fast_policy()).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    service.import(&admin, lines(vec![row("C-1", "ana"), row("C-2", "bob")])).await.unwrap();

    let moved = |id, name: &str| ImportRow { email: format!("{name}@evil.example"), ..row(id, name) };
    store.hooks.armed.store(true, Ordering::SeqCst);
    let result = service.import(&admin, lines(vec![moved("C-1", "ana"), moved("C-2", "bob")])).await;
    assert!(result.is_err(), "the store failure ends the import: {result:?}");

    for name in ["ana", "bob"] {
        let key = service.policy().username.canonicalize(name).unwrap();
        let record = store.contact_by_username(&key).await.unwrap().unwrap();
        let previous = format!("{name}@example.com");
        assert!(
            record.contact.email.as_str() == previous || told(&mailer, &previous),
            "{name}'s address is now {} and {previous} was never told",
            record.contact.email.as_str()
        );
    }
}

// ---------------------------------------------------------------------------------------
// 3. Idempotency.

/// A file naming one contact twice (two exports merged, a contact listed under two
/// addresses) is accepted, its rows applied in order. Running that same file again is not a
/// no-op: both rows come back `Updated`, the address flips and back, two change notices go
/// out and the e-mail hold restarts on every run.
#[tokio::test]
async fn a_file_naming_one_contact_twice_changes_the_database_on_every_run() {
    let h = Harness::new().await;
    let file = || {
        lines(vec![
            row("C-1", "ana"),
            ImportRow { email: "ana.lima@example.com".into(), ..row("C-1", "ana") },
            row("C-2", "bob"),
        ])
    };
    h.service.import(&h.admin, file()).await.unwrap();
    let records = h.store.all_records();
    let mails = h.mailer.messages().len();

    h.clock.advance(std::time::Duration::from_secs(3600));
    let second = h.service.import(&h.admin, file()).await.unwrap();
    assert_eq!(second.updated, 0, "the same file again reported rows updated: {second:?}");
    assert_eq!(h.mailer.messages().len(), mails, "the same file again sent e-mail-change notices");
    assert_eq!(h.store.all_records(), records, "the same file again changed the contacts");
}

/// `is_wrapped_from` compares only the scheme, the cost and the legacy salt, never the
/// digest. A contact who changed their password in the old system between two runs (same
/// per-user salt, new digest) comes back `Unchanged`: the new hash is dropped, and the old
/// password (perhaps changed because it leaked) keeps working here.
#[tokio::test]
async fn a_changed_hash_with_the_same_salt_is_reported_unchanged_and_dropped() {
    let h = Harness::new().await;
    h.service.import(&h.admin, lines(vec![with_hash(row("C-1", "ana"), OWN_HASH)])).await.unwrap();

    let report = h.service.import(&h.admin, lines(vec![with_hash(row("C-1", "ana"), ROTATED_HASH)])).await.unwrap();
    let outcome = (report.created, report.updated, report.unchanged, report.refused.len());
    assert_ne!(outcome, (0, 0, 1, 0), "a row with another hash is not unchanged");
    if report.updated == 1 {
        assert!(is_authenticated(&login(&h.service, "ana", ROTATED_PASSWORD).await), "the new hash is in use");
        assert!(!is_authenticated(&login(&h.service, "ana", OWN_PASSWORD).await), "the old password is gone");
    }
}

// ---------------------------------------------------------------------------------------
// 4. One import file against every login.

/// Every distinct imported scheme-and-cost is one more parameter set every login pads to,
/// and past 64 stored prefixes the census refuses every login. The import accepts each row
/// (each cost is within `LegacyHashLimits`) without bounding how many sets it adds, so one
/// file of 70 contacts with 70 PBKDF2 iteration counts (a sales admin's, or a long-lived
/// Django site's) stops every login on the site, native contacts' included.
#[tokio::test]
async fn an_import_with_many_distinct_costs_stops_every_login_on_the_site() {
    let h = Harness::new().await;
    h.contact("native").await;
    assert!(is_authenticated(&h.login("native", &Harness::password_of("native")).await));

    let rows: Vec<ImportRow> = (0..70u32)
        .map(|i| {
            let legacy = customer_access::legacy::LegacyHash::make(
                customer_access::legacy::LegacyScheme::from_params_text(
                    &format!("pbkdf2-sha256,i={},l=32", 1000 + i),
                    &h.service.policy().legacy_hashes,
                )
                .unwrap(),
                b"whatever",
                b"SaltText12345678",
            )
            .unwrap();
            with_hash(row(&format!("C-{i}"), &format!("user{i}")), &django_text(&legacy))
        })
        .collect();
    let report = h.service.import(&h.admin, lines(rows)).await.unwrap();

    h.clock.advance(customer_access::CENSUS_INTERVAL + std::time::Duration::from_secs(1));
    let outcome = h.service.login("native", &SecretString::from(Harness::password_of("native"))).await;
    assert!(
        matches!(outcome, Ok(LoginOutcome::Authenticated { .. })),
        "after an import of {} contacts, a native contact's correct password gives {outcome:?}",
        report.created
    );
}

/// Django's text of a PBKDF2-SHA256 `LegacyHash` made by the library.
fn django_text(legacy: &customer_access::legacy::LegacyHash) -> String {
    use base64ct::Encoding;
    let customer_access::legacy::LegacyScheme::Pbkdf2 { iterations, .. } = legacy.scheme() else {
        panic!("PBKDF2 only");
    };
    format!(
        "pbkdf2_sha256${iterations}${}${}",
        std::str::from_utf8(legacy.salt()).unwrap(),
        base64ct::Base64::encode_string(legacy.output())
    )
}

/// Gives every contact without a password one, just before the next save (a password set
/// by a concurrent staff action between `invite_imported`'s check and its write).
#[derive(Clone, Debug, Default)]
struct PasswordBeforeNextSave {
    armed: Arc<AtomicBool>,
}

impl Hooks for PasswordBeforeNextSave {
    async fn before(&self, inner: &MemoryStore, call: Call<'_>) -> StoreResult<()> {
        if matches!(call, Call::Save { .. }) && self.armed.swap(false, Ordering::SeqCst) {
            for record in inner.all_records().into_iter().filter(|r| r.credentials.password.is_none()) {
                let mut next = record.clone();
                next.credentials.password =
                    Some(customer_access::store::StoredHash::from_phc("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"));
                next.credentials.revision = record.credentials.revision.next();
                inner.save(record.credentials.revision, &next, &[]).await?;
            }
        }
        Ok(())
    }
}

/// `invite_imported` checked "no password, no temporary password" once, then issued on
/// whatever record its compare-and-swap retry reloaded: a password set in between still got
/// an invitation on top. Now the check is repeated on the record the save is computed from.
#[tokio::test]
async fn an_invitation_racing_a_new_password_is_not_sent() {
    let store: Hooked<PasswordBeforeNextSave> = Hooked::default();
    let mailer = RecordingMailer::new();
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let service = AccessService::new(store.clone(), mailer.clone(), clock, fast_policy()).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    service.import(&admin, lines(vec![row("C-1", "ana")])).await.unwrap();
    let key = service.policy().username.canonicalize("ana").unwrap();
    let ana = store.contact_by_username(&key).await.unwrap().unwrap();
    store.hooks.armed.store(true, Ordering::SeqCst);
    assert!(!service.invite_imported(&admin, ana.contact.id).await.unwrap(), "nothing sent");
    assert!(mailer.messages().is_empty(), "no invitation on top of the new password");
    let kinds: Vec<AuditKind> = store.audit_log(ana.contact.id).await.unwrap().iter().map(|e| e.kind).collect();
    assert!(!kinds.contains(&AuditKind::ContactInvited), "{kinds:?}");
}
