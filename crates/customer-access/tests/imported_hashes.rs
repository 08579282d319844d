//! Password hashes imported from other systems (issue #16): stored wrapped from the start,
//! verified at the contact's next login on the password as typed, then replaced by a plain
//! Argon2id hash in the same compare-and-swap; and while they exist, a failed login costs
//! the same for unknown, native and imported usernames.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use common::{Harness, fast_policy, is_authenticated, is_invalid};
use customer_access::legacy::LegacyHash;
use customer_access::secrecy::SecretString;
use customer_access::store::StoredHash;
use customer_access::{AuditKind, LoginOutcome, Store};

/// One hash made by a real tool of another ecosystem (see `fixtures/legacy-hashes`).
struct Fixture {
    tool: String,
    password: String,
    hash: String,
}

/// The fixtures at low cost: the tools' default-cost rows are verified in `legacy_hashes.rs`;
/// here, where every login of every username pads to them, Django's million PBKDF2
/// iterations alone (seconds each in a debug build) would take minutes.
fn cheap_fixtures() -> Vec<Fixture> {
    fixtures().into_iter().filter(|f| !f.tool.contains("default")).collect()
}

fn fixtures() -> Vec<Fixture> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy-hashes/legacy-hashes.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |name: &str| v[name].as_str().unwrap_or_else(|| panic!("{name} in {line}")).to_owned();
            Fixture {
                tool: format!("{} {}", field("tool"), field("format")),
                password: field("password"),
                hash: field("hash"),
            }
        })
        .collect()
}

/// Give `username`'s contact the wrapped form of `imported`, as an import does.
async fn import_hash(h: &Harness, username: &str, imported: &str) -> StoredHash {
    let legacy = LegacyHash::parse(imported, &h.service.policy().legacy_hashes).unwrap();
    let wrapped = h.service.hash_pool().wrap(&legacy).await.unwrap();
    let key = h.service.policy().username.canonicalize(username).unwrap();
    let record = h.store.contact_by_username(&key).await.unwrap().unwrap();
    let mut next = record.clone();
    next.credentials.password = Some(wrapped.clone());
    next.credentials.revision = record.credentials.revision.next();
    h.store.save(record.credentials.revision, &next, &[]).await.unwrap();
    // The next login counts the parameter sets in use again.
    h.clock.advance(customer_access::CENSUS_INTERVAL);
    wrapped
}

async fn stored_password(h: &Harness, username: &str) -> StoredHash {
    let key = h.service.policy().username.canonicalize(username).unwrap();
    h.store.contact_by_username(&key).await.unwrap().unwrap().credentials.password.unwrap()
}

async fn upgrades_of(h: &Harness, username: &str) -> usize {
    let key = h.service.policy().username.canonicalize(username).unwrap();
    let id = h.store.contact_by_username(&key).await.unwrap().unwrap().contact.id;
    h.store.audit_log(id).await.unwrap().iter().filter(|e| e.kind == AuditKind::PasswordHashUpgraded).count()
}

#[tokio::test]
async fn every_tools_hash_logs_in_once_and_is_replaced_by_argon2id() {
    let h = Harness::new().await;
    for (i, fixture) in cheap_fixtures().iter().enumerate() {
        let username = format!("imported{i}");
        h.contact(&username).await;
        let wrapped = import_hash(&h, &username, &fixture.hash).await;
        assert!(wrapped.as_phc().starts_with("$ca-legacy$"), "{}: stored wrapped", fixture.tool);
        // A wrong password fails and leaves the wrapped hash in place.
        assert!(is_invalid(&h.login(&username, "Wrong-Pass-42").await), "{}", fixture.tool);
        assert_eq!(stored_password(&h, &username).await, wrapped, "{}", fixture.tool);
        // The right one, as typed, logs in and replaces the hash; except plain bcrypt with
        // a password past 72 bytes, which bcrypt never read: kept, so the owner's own
        // password (not the variant typed) keeps working.
        let outcome = h.login(&username, &fixture.password).await;
        assert!(is_authenticated(&outcome), "{}: {outcome:?}", fixture.tool);
        let plain_bcrypt = fixture.hash.starts_with("$2") || fixture.hash.starts_with("bcrypt$");
        let upgrades = usize::from(!(plain_bcrypt && fixture.password.len() > 72));
        let after = stored_password(&h, &username).await;
        assert_eq!(after.as_phc().starts_with("$argon2id$v=19$"), upgrades == 1, "{}: {after:?}", fixture.tool);
        assert_eq!(upgrades_of(&h, &username).await, upgrades, "{}: audited upgrades", fixture.tool);
        let again = h.login(&username, &fixture.password).await;
        assert!(is_authenticated(&again), "{}: the hash verifies again", fixture.tool);
        assert_eq!(upgrades_of(&h, &username).await, upgrades, "{}: upgraded at most once", fixture.tool);
    }
}

#[tokio::test]
async fn a_dump_after_import_holds_no_weak_hash() {
    let h = Harness::new().await;
    let fixtures = fixtures();
    // Every contact first: a login after an import pads to every imported scheme.
    for i in 0..fixtures.len() {
        h.contact(&format!("dumped{i}")).await;
    }
    for (i, fixture) in fixtures.iter().enumerate() {
        let username = format!("dumped{i}");
        let legacy = LegacyHash::parse(&fixture.hash, &h.service.policy().legacy_hashes).unwrap();
        let wrapped = import_hash(&h, &username, &fixture.hash).await;
        let text = wrapped.as_phc();
        // Neither the imported text nor its digest, in any encoding a tool uses.
        use base64ct::{Base64, Base64Unpadded, Encoding};
        let digest_forms = [
            Base64::encode_string(legacy.output()),
            Base64Unpadded::encode_string(legacy.output()),
            base16ct::lower::encode_string(legacy.output()),
        ];
        assert!(!text.contains(fixture.hash.as_str()), "{}", fixture.tool);
        for form in digest_forms {
            assert!(!text.contains(&form), "{}: the legacy digest is stored", fixture.tool);
        }
        // Only Argon2id's output over it: the pool's parameters, 32 bytes.
        let params = h.service.hash_pool().parameters_of(&wrapped).unwrap();
        assert_eq!(params.legacy, Some(legacy.scheme()), "{}", fixture.tool);
        let current = h.service.hash_pool().current_parameters();
        assert_eq!((params.memory_kib, params.iterations), (current.memory_kib, current.iterations));
    }
}

#[tokio::test]
async fn failed_logins_cost_the_same_for_unknown_native_and_imported_usernames() {
    let h = Harness::new().await;
    h.contact("native").await;
    h.contact("imported").await;
    let fixture = cheap_fixtures().into_iter().find(|f| f.tool.contains("pbkdf2")).expect("a PBKDF2 fixture");
    import_hash(&h, "imported", &fixture.hash).await;
    let mut costs = Vec::new();
    for username in ["nobody", "native", "imported"] {
        // A census is taken on the first login; measure the ones after it.
        h.login(username, "Wrong-Pass-42").await;
        let before = h.service.hash_operations();
        let outcome = h.login(username, "Wrong-Pass-42").await;
        assert!(matches!(outcome, LoginOutcome::InvalidCredentials), "{username}: {outcome:?}");
        costs.push((username, h.service.hash_operations() - before));
    }
    // Two verifications, each padded with one dummy of the other scheme in use.
    assert!(costs.iter().all(|(_, ops)| *ops == 4), "{costs:?}");
    // Once the imported hash is upgraded, the next census drops its scheme again.
    assert!(is_authenticated(&h.login("imported", &fixture.password).await));
    h.clock.advance(customer_access::CENSUS_INTERVAL);
    h.login("nobody", "Wrong-Pass-42").await;
    let before = h.service.hash_operations();
    h.login("nobody", "Wrong-Pass-42").await;
    assert_eq!(h.service.hash_operations() - before, 2, "one scheme in use: no padding");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_with_an_imported_hash_upgrade_it_once() {
    let h = Harness::new().await;
    h.contact("anna").await;
    let fixture = cheap_fixtures().into_iter().find(|f| f.tool.contains("bcrypt")).expect("a bcrypt fixture");
    import_hash(&h, "anna", &fixture.hash).await;
    // As many as the back-off lets through at once (five free attempts, each reserved).
    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (service, password) = (h.service.clone(), SecretString::from(fixture.password.as_str()));
        logins.spawn(async move { service.login("anna", &password).await });
    }
    let outcomes = logins.join_all().await;
    assert!(outcomes.iter().all(|o| o.as_ref().is_ok_and(is_authenticated)), "{outcomes:?}");
    assert_eq!(upgrades_of(&h, "anna").await, 1, "one compare-and-swap wins");
    assert!(stored_password(&h, "anna").await.as_phc().starts_with("$argon2id$"));
    assert!(is_authenticated(&h.login("anna", &fixture.password).await));
}

#[tokio::test]
async fn a_password_change_proves_the_imported_password_and_replaces_it() {
    let h = Harness::new().await;
    let anna = h.contact("anna").await;
    let fixture = cheap_fixtures().into_iter().find(|f| f.tool.contains("django")).expect("a Django fixture");
    import_hash(&h, "anna", &fixture.hash).await;
    let new = SecretString::from("Fresh-Start-2026");
    let wrong = h.service.change_password(anna.id, &SecretString::from("Wrong-Pass-42"), &new).await;
    assert!(wrong.is_err(), "{wrong:?}");
    h.service.change_password(anna.id, &SecretString::from(fixture.password.as_str()), &new).await.unwrap();
    assert!(stored_password(&h, "anna").await.as_phc().starts_with("$argon2id$"));
    assert!(is_authenticated(&h.login("anna", "Fresh-Start-2026").await));
    assert!(is_invalid(&h.login("anna", &fixture.password).await));
}

#[tokio::test]
async fn a_tampered_wrapped_hash_fails_the_login_without_running_it() {
    let mut policy = fast_policy();
    policy.login_backoff.free_attempts = u32::MAX;
    let h = Harness::with_policy(policy).await;
    h.contact("anna").await;
    let fixture = cheap_fixtures().into_iter().find(|f| f.tool.contains("bcrypt")).expect("a bcrypt fixture");
    let wrapped = import_hash(&h, "anna", &fixture.hash).await;
    let text = wrapped.as_phc();
    let key = h.service.policy().username.canonicalize("anna").unwrap();
    // The cost raised beyond the limits in the database: refused, never run.
    let cost = text.split('$').nth(2).unwrap().to_owned();
    for tampered in [
        text.replacen(&cost, "bcrypt,c=31", 1),
        text.replacen("m=", "m=99999999", 1),
        text.replacen("$ca-legacy$", "$ca-legacy$$", 1),
        format!("{text}$extra"),
        text[..text.len() - 4].to_owned(),
    ] {
        let record = h.store.contact_by_username(&key).await.unwrap().unwrap();
        let mut next = record.clone();
        next.credentials.password = Some(StoredHash::from_phc(tampered.clone()));
        next.credentials.revision = record.credentials.revision.next();
        h.store.save(record.credentials.revision, &next, &[]).await.unwrap();
        let outcome = h.login("anna", &fixture.password).await;
        assert!(is_invalid(&outcome), "{tampered}: {outcome:?}");
    }
}
