//! Bulk import through the service (issue #16): idempotent by external id, each row whole or
//! refused with its line and reason, imported hashes stored wrapped and upgraded at the next
//! login, never overwriting a contact's own password, and staff rules kept (only sales admins
//! import; an e-mail change starts the hold and tells the previous address).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use common::{Harness, is_authenticated, is_invalid};
use customer_access::import::{ImportRefusal, ImportRow};
use customer_access::secrecy::SecretString;
use customer_access::{AuditKind, InputError, LoginOutcome, ServiceError, Store};

/// bcrypt (cost 5) of `BCRYPT_PASSWORD`, made by Python's `bcrypt` (see fixtures/legacy-hashes).
const BCRYPT: &str = "$2b$05$AFY/f.q27nomBYI4.icG3.Ld5jxVKY9W8zfxMe7h/FPbLfdTKtCiq";
const BCRYPT_PASSWORD: &str = "pass word 42";
/// passlib's PBKDF2-SHA256 (1000 iterations) of the same password.
const PBKDF2: &str = "$pbkdf2-sha256$1000$s9baO6dUSilFqLVWivF.jw$GP25lYhrCV7OSQ/NHqPEUn.BGm43BwybNXWy8RlViq4";

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

async fn stored(h: &Harness, username: &str) -> customer_access::store::ContactRecord {
    let key = h.service.policy().username.canonicalize(username).unwrap();
    h.store.contact_by_username(&key).await.unwrap().unwrap()
}

async fn login(h: &Harness, username: &str, password: &str) -> LoginOutcome {
    h.service.login(username, &SecretString::from(password)).await.unwrap()
}

#[tokio::test]
async fn a_second_run_changes_nothing_and_sends_nothing() {
    let h = Harness::new().await;
    let rows = || lines((0..1200).map(|i| row(&format!("C-{i}"), &format!("user{i}"))).collect());
    let first = h.service.import(&h.admin, rows()).await.unwrap();
    assert_eq!((first.created, first.updated, first.unchanged, first.refused.len()), (1200, 0, 0, 0));
    let records = h.store.all_records();
    let events = h.store.all_audit_events().len();
    let imported = &h.store.all_audit_events()[1..];
    assert_eq!(imported.len(), 1201, "one event per contact and one for the retailer");
    assert!(imported.iter().all(|e| e.actor == customer_access::Actor::Staff(h.admin.clone())), "naming the importer");

    let second = h.service.import(&h.admin, rows()).await.unwrap();
    assert_eq!((second.created, second.updated, second.unchanged, second.refused.len()), (0, 0, 1200, 0));
    assert_eq!(h.store.all_records(), records, "the same contacts, field for field");
    assert_eq!(h.store.all_audit_events().len(), events, "and nothing audited: nothing changed");
    assert_eq!(h.service.manageable_retailers(&h.admin).await.unwrap().len(), 2, "the harness's shop and R-1");
    assert!(h.mailer.messages().is_empty(), "an import e-mails no one");
}

#[tokio::test]
async fn a_bad_row_is_refused_by_line_and_the_rest_imported() {
    let h = Harness::new().await;
    h.contact("taken").await;
    let mut broken = row("C-2", "bea");
    broken.email = "not an address".into();
    let rows = vec![
        row("C-1", "ana"),
        broken,
        row("C-3", "TAKEN"),
        row("C-4", "cleo"),
        row("C-5", "Cleo"),
        with_hash(row("C-6", "dan"), "$md5$nope"),
        with_hash(row("C-7", "eve"), "$2b$31$AFY/f.q27nomBYI4.icG3.Ld5jxVKY9W8zfxMe7h/FPbLfdTKtCiq"),
        with_hash(
            row("C-8", "fay"),
            "$pbkdf2-sha256$1000000000$s9baO6dUSilFqLVWivF.jw$GP25lYhrCV7OSQ/NHqPEUn.BGm43BwybNXWy8RlViq4",
        ),
        with_hash(
            row("C-9", "gus"),
            "$scrypt$ln=30,r=8,p=1$pPR+rxWiVOp9L8V4T2ltDQ$VK7kNOJofG5x6/Bh7KzglnGbSf+2OwKPS5UfWeY9jFw",
        ),
        ImportRow { retailer_name: "Another Name".into(), ..row("C-10", "hal") },
        ImportRow { external_id: " C-11".into(), ..row("C-11", "ida") },
        row("C-12", "joe"),
    ];
    let report = h.service.import(&h.admin, lines(rows)).await.unwrap();
    assert_eq!(report.created, 3, "ana, cleo and joe: {report:?}");
    let mut refused: Vec<(u64, &str)> = report.refused.iter().map(|r| (r.line, r.external_id.as_str())).collect();
    refused.sort_unstable();
    assert_eq!(
        refused,
        vec![
            (3, "C-2"),
            (4, "C-3"),
            (6, "C-5"),
            (7, "C-6"),
            (8, "C-7"),
            (9, "C-8"),
            (10, "C-9"),
            (11, "C-10"),
            (12, " C-11")
        ]
    );
    let reason = |line: u64| report.refused.iter().find(|r| r.line == line).unwrap().result.clone().unwrap_err();
    assert!(matches!(reason(3), ImportRefusal::Input(InputError::Email(_))), "{:?}", reason(3));
    assert_eq!(reason(4), ImportRefusal::UsernameTaken, "an existing contact's username, under normalisation");
    assert_eq!(reason(6), ImportRefusal::UsernameTaken, "an earlier row's username, under normalisation");
    for line in [7, 8, 9, 10] {
        assert!(matches!(reason(line), ImportRefusal::Hash(_)), "line {line}: {:?}", reason(line));
    }
    assert_eq!(reason(11), ImportRefusal::RetailerNameDiffers);
    assert!(matches!(reason(12), ImportRefusal::ExternalId { field: "external_id", .. }));
    for refused in ["bea", "dan", "eve", "fay", "gus", "hal", "ida"] {
        let key = h.service.policy().username.canonicalize(refused).unwrap();
        assert!(h.store.contact_by_username(&key).await.unwrap().is_none(), "{refused}: nothing written");
    }
}

#[tokio::test]
async fn an_imported_hash_is_stored_wrapped_and_upgraded_at_the_next_login() {
    let h = Harness::new().await;
    let rows = lines(vec![with_hash(row("C-1", "ana"), BCRYPT), with_hash(row("C-2", "bob"), PBKDF2)]);
    let report = h.service.import(&h.admin, rows).await.unwrap();
    assert_eq!(report.created, 2);
    for username in ["ana", "bob"] {
        let wrapped = stored(&h, username).await.credentials.password.unwrap();
        assert!(wrapped.as_phc().starts_with("$ca-legacy$"), "{username}: stored wrapped from the start");
        assert!(!wrapped.as_phc().contains("AFY/f.q27"), "no part of the weak hash's output is stored");
        assert!(is_invalid(&login(&h, username, "wrong password 1").await));
        assert!(is_authenticated(&login(&h, username, BCRYPT_PASSWORD).await), "{username}: the old password works");
        let upgraded = stored(&h, username).await.credentials.password.unwrap();
        assert!(upgraded.as_phc().starts_with("$argon2id$"), "{username}: replaced by Argon2id at that login");
    }
    // Re-running the import after the logins: the contacts' own Argon2id hashes stay.
    let again = lines(vec![with_hash(row("C-1", "ana"), BCRYPT), with_hash(row("C-2", "bob"), PBKDF2)]);
    let report = h.service.import(&h.admin, again).await.unwrap();
    assert_eq!(report.unchanged, 2, "an upgraded hash is never overwritten");
    assert!(stored(&h, "ana").await.credentials.password.unwrap().as_phc().starts_with("$argon2id$"));
}

#[tokio::test]
async fn a_rerun_with_changed_rows_updates_them() {
    let h = Harness::new().await;
    h.service.import(&h.admin, lines(vec![row("C-1", "ana"), with_hash(row("C-2", "bob"), BCRYPT)])).await.unwrap();
    let before = stored(&h, "bob").await.credentials.password.unwrap();

    // The same hash again is recognised without wrapping it again; another one is refused:
    // an import never chooses an existing contact's password.
    let same = h.service.import(&h.admin, lines(vec![with_hash(row("C-2", "bob"), BCRYPT)])).await.unwrap();
    assert_eq!(same.unchanged, 1);
    assert_eq!(stored(&h, "bob").await.credentials.password.unwrap(), before);
    for other in [with_hash(row("C-2", "bob"), PBKDF2), with_hash(row("C-1", "ana"), PBKDF2)] {
        let changed = h.service.import(&h.admin, lines(vec![other])).await.unwrap();
        assert_eq!(changed.refused[0].result, Err(ImportRefusal::HashChanged));
    }
    assert_eq!(stored(&h, "bob").await.credentials.password.unwrap(), before, "nothing written");
    assert!(stored(&h, "ana").await.credentials.password.is_none(), "nothing written");

    let ana = ImportRow {
        display_name: "Ana Lima".into(),
        login_enabled: false,
        retailer_name: "Corner Shop Ltd".into(),
        ..row("C-1", "ana")
    };
    let report = h.service.import(&h.admin, lines(vec![ana])).await.unwrap();
    assert_eq!(report.updated, 1);
    let record = stored(&h, "ana").await;
    assert_eq!((record.contact.display_name.as_str(), record.contact.login_enabled), ("Ana Lima", false));
    assert_eq!(h.service.store().retailer(record.contact.retailer).await.unwrap().name, "Corner Shop Ltd");
    let kinds: Vec<AuditKind> = h.store.audit_log(record.contact.id).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![AuditKind::ContactImported, AuditKind::LoginDisabled, AuditKind::ContactReimported]);

    let renamed = ImportRow { username: "ana2".into(), ..row("C-1", "ana") };
    let report = h.service.import(&h.admin, lines(vec![renamed])).await.unwrap();
    assert_eq!(report.refused[0].result, Err(ImportRefusal::UsernameChanged), "an import does not rename");
    let moved = ImportRow { retailer_external_id: "R-2".into(), retailer_name: "Other".into(), ..row("C-1", "ana") };
    let report = h.service.import(&h.admin, lines(vec![moved])).await.unwrap();
    assert_eq!(report.refused[0].result, Err(ImportRefusal::RetailerChanged), "an import does not move");
    assert_eq!(h.service.manageable_retailers(&h.admin).await.unwrap().len(), 2, "and made no retailer for it");
}

#[tokio::test]
async fn an_email_change_by_import_holds_resets_and_tells_the_previous_address() {
    let h = Harness::new().await;
    h.service.import(&h.admin, lines(vec![with_hash(row("C-1", "ana"), BCRYPT)])).await.unwrap();
    let moved = ImportRow { email: "attacker@example.net".into(), ..with_hash(row("C-1", "ana"), BCRYPT) };
    let report = h.service.import(&h.admin, lines(vec![moved])).await.unwrap();
    assert_eq!(report.updated, 1);
    let notice = h.mailer.messages();
    assert_eq!(notice.len(), 1, "the previous address is told");
    assert_eq!(notice[0].to.as_str(), "ana@example.com");
    let record = stored(&h, "ana").await;
    let reset = h.service.staff_reset(&h.admin, record.contact.id, Default::default()).await;
    assert!(matches!(reset, Err(ServiceError::SecondApprovalRequired { .. })), "{reset:?}");
}

#[tokio::test]
async fn only_sales_admins_import_and_a_removed_contact_stays_removed() {
    let h = Harness::new().await;
    let rep = h.ipad(5);
    let denied = h.service.import(&rep, lines(vec![row("C-1", "ana")])).await.unwrap_err();
    assert!(matches!(denied, ServiceError::Forbidden));
    assert_eq!(h.store.all_audit_events().last().unwrap().kind, AuditKind::AccessDenied, "the attempt is audited");

    h.service.import(&h.admin, lines(vec![row("C-1", "ana")])).await.unwrap();
    let id = stored(&h, "ana").await.contact.id;
    h.service.remove_contact(&h.admin, id).await.unwrap();
    let report = h.service.import(&h.admin, lines(vec![row("C-1", "ana")])).await.unwrap();
    assert_eq!(report.refused[0].result, Err(ImportRefusal::Removed));
}

#[tokio::test]
async fn contacts_imported_without_a_hash_are_invited_once() {
    let h = Harness::new().await;
    let rows = lines(vec![row("C-1", "ana"), with_hash(row("C-2", "bob"), BCRYPT), row("C-3", "cyd")]);
    h.service.import(&h.admin, rows).await.unwrap();
    let shop = stored(&h, "ana").await.contact.retailer;
    let waiting = h.service.uninvited_contacts(&h.admin, shop).await.unwrap();
    let names: Vec<&str> = waiting.iter().map(|c| c.username.as_str()).collect();
    assert_eq!(names, vec!["ana", "cyd"], "bob has his imported password");
    for contact in &waiting {
        assert!(h.service.invite_imported(&h.admin, contact.id).await.unwrap());
    }
    assert_eq!(h.mailer.messages().len(), 2);
    assert!(!h.service.invite_imported(&h.admin, waiting[0].id).await.unwrap(), "never twice");
    assert!(h.service.uninvited_contacts(&h.admin, shop).await.unwrap().is_empty());
    let temporary = h.mailer.last_temporary_password().unwrap();
    let outcome = h.service.login("cyd", &temporary).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::PasswordChangeRequired { .. }), "{outcome:?}");
}
