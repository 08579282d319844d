//! A timing-leak check any store can run: do login and "Forgot your password" take the same
//! time for known and unknown usernames?
//!
//! The classes use the very same usernames and the very same service (one hashing pool, one
//! clock): only the store behind it switches, per call, between two stores of the same kind
//! with the same number of contacts, in one of which the probed usernames exist and in the
//! other not. So the text the normalisers process and the threads that hash cannot differ
//! between the classes; only existence can.
//! dudect-style: the two classes are interleaved at random, each call is timed, and a Welch
//! t-test compares the classes, on the whole sample and on the samples below several
//! percentiles (cropping the long tail the scheduler adds). The largest |t| is reported; below
//! 5 no difference is detectable at that sample size. Hash parameters are the cheap test ones,
//! so any difference caused by the lookup is not hidden under Argon2's cost.

use customer_access::store::import::{ExternalId, ImportApplied, ImportBatch, ImportLookup};
use customer_access::store::{BudgetCheck, OverBudget, Preferences};
use customer_access::{AuditRecord, AuditScope, ChainEnds};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::store::{
    ContactRecord, DeviceRecord, DeviceTokenDigest, FailureRetention, LoginFailures, NewContactRecord, Revision,
    StoreResult, StoredHash, ThrottleKey, UsernameKey,
};
use customer_access::{
    AccessService, AuditEvent, ContactId, LoginOutcome, ManualClock, RecordingMailer, Retailer, RetailerId,
    SecurityPolicy, Staff, StaffId, Store, Timestamp,
};

/// Known usernames in the store during the check.
const KNOWN: usize = 32;
/// Calls per class discarded before measuring.
const WARM_UP: usize = 200;

/// The result of [`enumeration_timing`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct TimingReport {
    /// Samples per class.
    pub samples: usize,
    /// Largest |t| comparing failed logins of known and unknown usernames.
    pub login_t: f64,
    /// Largest |t| comparing "Forgot your password" answers for known and unknown usernames.
    pub reset_t: f64,
    /// Median failed-login time, known usernames (ns).
    pub login_median_known_ns: f64,
    /// Median failed-login time, unknown usernames (ns).
    pub login_median_unknown_ns: f64,
}

fn median(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

impl TimingReport {
    /// The larger of the two.
    pub fn max_abs_t(&self) -> f64 {
        self.login_t.max(self.reset_t)
    }
}

/// Welch's t statistic of two samples.
pub fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    fn mean_var(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        (mean, var)
    }
    let ((ma, va), (mb, vb)) = (mean_var(a), mean_var(b));
    let se = (va / a.len() as f64 + vb / b.len() as f64).sqrt();
    if se == 0.0 { 0.0 } else { (ma - mb) / se }
}

/// Largest |t| over the whole sample and the samples below the 50th, 75th, 90th and 99th
/// percentile of both classes pooled.
pub fn max_abs_t_cropped(a: &[f64], b: &[f64]) -> f64 {
    let mut pooled: Vec<f64> = a.iter().chain(b).copied().collect();
    pooled.sort_by(f64::total_cmp);
    let mut worst = welch_t(a, b).abs();
    for percent in [50, 75, 90, 99] {
        let idx = (pooled.len() * percent / 100).min(pooled.len().saturating_sub(1));
        let cut = pooled[idx];
        let ca: Vec<f64> = a.iter().copied().filter(|v| *v <= cut).collect();
        let cb: Vec<f64> = b.iter().copied().filter(|v| *v <= cut).collect();
        if ca.len() > 2 && cb.len() > 2 {
            worst = worst.max(welch_t(&ca, &cb).abs());
        }
    }
    worst
}

/// xorshift64*: deterministic class interleaving without a dependency.
struct Coin(u64);

impl Coin {
    fn flip(&mut self) -> bool {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 63 == 1
    }
}

/// One or two stores behind one: `active` picks which one answers every call.
#[derive(Debug)]
struct Switch<S> {
    first: S,
    second: Option<S>,
    active: AtomicUsize,
}

impl<S> Switch<S> {
    fn with(&self) -> &S {
        match (&self.second, self.active.load(Ordering::Relaxed)) {
            (Some(second), 1) => second,
            _ => &self.first,
        }
    }
}

macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl<S: Store> Store for Switch<S> {
            $(async fn $name(&self, $($arg: $ty),*) -> StoreResult<$out> { self.with().$name($($arg),*).await })*
        }
    };
}

forward! {
    create_retailer(name: &str) -> Retailer;
    retailer(id: RetailerId) -> Retailer;
    retailers() -> Vec<Retailer>;
    set_retailer_preferences(id: RetailerId, preferences: &Preferences, events: &[AuditEvent]) -> Retailer;
    create_contact(new: &NewContactRecord, events: &[AuditEvent]) -> ContactRecord;
    contact(id: ContactId) -> ContactRecord;
    contact_by_username(key: &UsernameKey) -> Option<ContactRecord>;
    contacts_of_retailer(retailer: RetailerId) -> Vec<ContactRecord>;
    save(expected: Revision, record: &ContactRecord, events: &[AuditEvent]) -> ();
    append_audit(events: &[AuditEvent]) -> ();
    audit_log(contact: ContactId) -> Vec<AuditEvent>;
    save_within_budgets(expected: Revision, record: &ContactRecord, events: &[AuditEvent], budgets: &[BudgetCheck]) -> Result<(), OverBudget>;
    audit_page(scope: &AuditScope, before: Option<u64>, limit: u32) -> Vec<AuditRecord>;
    audit_chain() -> ChainEnds;
    prune_audit(before: Timestamp) -> ChainEnds;
    assign_retailer(staff: StaffId, retailer: RetailerId) -> ();
    assigned_retailers(staff: StaffId) -> Vec<RetailerId>;
    login_failures(key: &ThrottleKey) -> LoginFailures;
    swap_login_failures(key: &ThrottleKey, expected: LoginFailures, new: LoginFailures, retention: FailureRetention) -> bool;
    clear_login_failures(key: &ThrottleKey) -> ();
    add_device(device: &DeviceRecord, keep_per_contact: u32) -> ();
    device(digest: &DeviceTokenDigest) -> Option<DeviceRecord>;
    hash_outside(prefixes: &[String]) -> Option<StoredHash>;
    import_lookup(retailers: &[ExternalId], contacts: &[ExternalId], usernames: &[UsernameKey]) -> ImportLookup;
    import_batch(batch: &ImportBatch) -> ImportApplied;
}

type Service<S> = AccessService<Switch<S>, RecordingMailer, ManualClock>;

/// Fill the active store with contacts named `names`, each with a password set and nothing
/// pending (the common state).
async fn populate<S: Store>(service: &Service<S>, names: &[String]) {
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Timing Shop").await.unwrap();
    for username in names {
        let password = SecretString::from(format!("{username}-Pass-1"));
        crate::support::contact_with_password(service, &admin, shop.id, username, &password).await;
    }
}

fn timing_service<S: Store>(first: S, second: Option<S>) -> Service<S> {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    // Lockouts would skip hashing and swamp the comparison; they are tested elsewhere.
    policy.login_backoff.free_attempts = u32::MAX;
    // The removal variant removes every known contact at once: not the staff budgets' test.
    let unbounded = customer_access::policy::Budget::new(100_000, std::time::Duration::from_secs(60));
    policy.staff_reset_budgets.per_staff_member = unbounded;
    policy.staff_reset_budgets.per_retailer = unbounded;
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let switch = Switch { first, second, active: AtomicUsize::new(0) };
    AccessService::new(switch, RecordingMailer::new(), clock, policy).unwrap()
}

/// Give every contact in `names` a password hash made with other Argon2 parameters than
/// the service's (`m` x4, `t` x2 of the test parameters: eight times the work), as left by
/// an earlier parameter set or an import, saved with compare-and-swap.
async fn rehash_with_other_parameters<S: Store>(service: &Service<S>, names: &[String]) {
    let mut other = Argon2Settings::danger_insecure_for_tests();
    other.memory_kib *= 4;
    other.iterations *= 2;
    let pool = customer_access::hashing::HashPool::new(&other, 1, 64).unwrap();
    let rules = &service.policy().username;
    for username in names {
        let key = rules.canonicalize(username).unwrap();
        let record = service.store().contact_by_username(&key).await.unwrap().unwrap();
        let mut next = record.clone();
        next.credentials.password = Some(pool.hash(format!("{username}-Pass-1").as_bytes()).await.unwrap());
        next.credentials.revision = record.credentials.revision.next();
        service.store().save(record.credentials.revision, &next, &[]).await.unwrap();
    }
}

/// [`enumeration_timing_in_one_store`] where every known username's hash was made with
/// other Argon2 parameters (eight times the work of the current ones): a failed login must
/// still cost the same as an unknown username's, because every login is padded to every
/// parameter set in use. Run it as a test: it needs no more samples than the plain check,
/// since without the padding the difference is several times the whole login.
pub async fn enumeration_timing_with_other_parameters<S: Store>(store: S, samples: usize) -> TimingReport {
    let service = timing_service(store, None);
    let known: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i, i + 40)).collect();
    let unknown: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i + 40, i)).collect();
    populate(&service, &known).await;
    rehash_with_other_parameters(&service, &known).await;
    // The next login takes a new census of the parameter sets in use.
    service.store().active.store(0, Ordering::Relaxed);
    service.clock().advance(customer_access::CENSUS_INTERVAL);
    measure(&service, [&known, &unknown], false, samples).await
}

/// Give every contact in `names` a hash imported from another system, stored wrapped as an
/// import stores it: PBKDF2-SHA256 at 2,000 iterations, several times the work of the test
/// Argon2 parameters, so that without padding the difference is most of a failed login.
async fn import_legacy_hashes<S: Store>(service: &Service<S>, names: &[String]) {
    use customer_access::legacy::{LegacyHash, LegacyScheme};
    let limits = &service.policy().legacy_hashes;
    let scheme = LegacyScheme::from_params_text("pbkdf2-sha256,i=2000,l=32", limits).unwrap();
    let rules = &service.policy().username;
    for username in names {
        let salt = format!("salt-{username}");
        let imported = LegacyHash::make(scheme, format!("{username}-Pass-1").as_bytes(), salt.as_bytes()).unwrap();
        let key = rules.canonicalize(username).unwrap();
        let record = service.store().contact_by_username(&key).await.unwrap().unwrap();
        let mut next = record.clone();
        next.credentials.password = Some(service.hash_pool().wrap(&imported).await.unwrap());
        next.credentials.revision = record.credentials.revision.next();
        service.store().save(record.credentials.revision, &next, &[]).await.unwrap();
    }
}

/// [`enumeration_timing_in_one_store`] while hashes imported from another system exist
/// (issue 16): half the known contacts hold one (wrapped, see `import_legacy_hashes`), half
/// a native Argon2id hash. Returns two reports from the same service: imported against
/// unknown usernames, then native against unknown usernames. Every login is padded to every
/// scheme in use, so neither may differ.
pub async fn enumeration_timing_with_imported_hashes<S: Store>(store: S, samples: usize) -> [TimingReport; 2] {
    let service = timing_service(store, None);
    let imported: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i, i + 40)).collect();
    // Same length as the others: the reset answer's time follows the username's length.
    let native: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i, i + 60)).collect();
    let unknown: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i + 40, i)).collect();
    populate(&service, &imported).await;
    populate(&service, &native).await;
    import_legacy_hashes(&service, &imported).await;
    // The next login takes a new census of the schemes in use.
    service.store().active.store(0, Ordering::Relaxed);
    service.clock().advance(customer_access::CENSUS_INTERVAL);
    let against_imported = measure(&service, [&imported, &unknown], false, samples).await;
    let against_native = measure(&service, [&native, &unknown], false, samples).await;
    [against_imported, against_native]
}

/// [`enumeration_timing_in_one_store`] where every known contact holds a temporary password
/// that expired a day ago (within the notice period, so its hash is kept and a login is
/// verified against it): a wrong password must still cost what an unknown username's does.
pub async fn enumeration_timing_with_expired_temporaries<S: Store>(store: S, samples: usize) -> TimingReport {
    let service = timing_service(store, None);
    let known: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i, i + 40)).collect();
    let unknown: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i + 40, i)).collect();
    populate(&service, &known).await;
    let invitations = service.mailer().messages().len();
    for username in &known {
        service.request_password_reset(username).unwrap().run().await;
    }
    let resets = service.mailer().messages().len() - invitations;
    assert_eq!(resets, KNOWN, "every known contact got a temporary password");
    let day = std::time::Duration::from_secs(86_400);
    service.clock().advance(service.policy().temporary_password_ttl + day);
    assert!(service.policy().expired_temporary_notice > day, "the expired hashes are still kept");
    measure(&service, [&known, &unknown], false, samples).await
}

/// [`enumeration_timing_in_one_store`] where every known contact has been removed: a login
/// for a removed contact's username costs what a never-seen username's does.
pub async fn enumeration_timing_with_removed_contacts<S: Store>(store: S, samples: usize) -> TimingReport {
    let service = timing_service(store, None);
    let removed: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i, i + 40)).collect();
    let unknown: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i + 40, i)).collect();
    populate(&service, &removed).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    for retailer in service.manageable_retailers(&admin).await.unwrap() {
        for contact in service.list_contacts(&admin, retailer.id).await.unwrap() {
            service.remove_contact(&admin, contact.id).await.unwrap();
        }
    }
    measure(&service, [&removed, &unknown], false, samples).await
}

/// Measure `samples` calls per class of failed login and of the "Forgot your password"
/// answer, with the same usernames in both classes. `with` and `without` must be two fresh,
/// empty stores of the same kind: the probed usernames will exist in `with` only (`without`
/// gets as many other contacts), and every call goes to one or the other at random.
///
/// This is the sharpest design when the two stores behave alike (in-memory stores). Where
/// two instances differ in ways of their own (two database files with their own disk and
/// checkpoint timing), use [`enumeration_timing_in_one_store`].
pub async fn enumeration_timing<S: Store>(with: S, without: S, samples: usize) -> TimingReport {
    let service = timing_service(with, Some(without));
    let names: Vec<String> = (0..KNOWN).map(|i| format!("user{i:04}")).collect();
    let others: Vec<String> = (0..KNOWN).map(|i| format!("else{i:04}")).collect();
    populate(&service, &names).await;
    service.store().active.store(1, Ordering::Relaxed);
    populate(&service, &others).await;
    measure(&service, [&names, &names], true, samples).await
}

/// The same measurement on one store: known usernames `userAABB` against unknown ones
/// `userBBAA` (the same characters rearranged, so normalisation costs the same).
pub async fn enumeration_timing_in_one_store<S: Store>(store: S, samples: usize) -> TimingReport {
    let service = timing_service(store, None);
    let known: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i, i + 40)).collect();
    let unknown: Vec<String> = (0..KNOWN).map(|i| format!("user{:02}{:02}", i + 40, i)).collect();
    populate(&service, &known).await;
    measure(&service, [&known, &unknown], false, samples).await
}

/// Interleave the classes at random; class 0 probes `probes[0]` (existing), class 1
/// `probes[1]`; with `switch`, class `c` also runs against store `c`. Each operation gets its
/// own loop, so one measurement never follows the other's class-dependent work.
#[allow(clippy::disallowed_methods, clippy::cast_precision_loss, reason = "measuring wall time is the point")]
async fn measure<S: Store>(service: &Service<S>, probes: [&[String]; 2], switch: bool, samples: usize) -> TimingReport {
    let wrong = SecretString::from("Wrong-Pass-42".to_owned());
    let mut coin = Coin(0x9E37_79B9_7F4A_7C15);
    let (mut login, mut reset) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for i in 0..(samples + WARM_UP) * 2 {
        let class = usize::from(coin.flip());
        service.store().active.store(if switch { class } else { 0 }, Ordering::Relaxed);
        let start = Instant::now();
        let outcome = service.login(&probes[class][i % KNOWN], &wrong).await.unwrap();
        let elapsed = start.elapsed().as_nanos() as f64;
        assert!(matches!(outcome, LoginOutcome::InvalidCredentials));
        if i >= WARM_UP * 2 {
            login[class].push(elapsed);
        }
    }
    for i in 0..(samples + WARM_UP) * 2 {
        let class = usize::from(coin.flip());
        service.store().active.store(if switch { class } else { 0 }, Ordering::Relaxed);
        let start = Instant::now();
        let pending = service.request_password_reset(&probes[class][i % KNOWN]).unwrap();
        let elapsed = start.elapsed().as_nanos() as f64;
        drop(pending); // the answer is what the requester sees; nothing is sent
        if i >= WARM_UP * 2 {
            reset[class].push(elapsed);
        }
    }
    TimingReport {
        samples: login[0].len().min(login[1].len()),
        login_t: max_abs_t_cropped(&login[0], &login[1]),
        reset_t: max_abs_t_cropped(&reset[0], &reset[1]),
        login_median_known_ns: median(&login[0]),
        login_median_unknown_ns: median(&login[1]),
    }
}

/// Samples per class for a test run: `CUSTOMER_ACCESS_TIMING_SAMPLES`, else `default`.
pub fn samples_from_env(default: usize) -> usize {
    std::env::var("CUSTOMER_ACCESS_TIMING_SAMPLES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
